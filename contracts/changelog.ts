/** Renders contract changes as a Markdown changelog, one section per contract, breaking changes first. Pure. */
import type { ContractAssessment } from './compatibility.ts';
import { showPath } from './schema-diff.ts';

export function renderChangelog(assessments: readonly ContractAssessment[]): string {
  const sections = assessments
    .filter((a) => a.changes.length > 0)
    .map((a) => {
      const head = a.released
        ? `## ${a.contract} ${a.released} → ${a.working} (changes need a ${a.requiredBump} bump)`
        : `## ${a.contract} ${a.working} (new contract)`;
      const ordered = [...a.changes].sort((x, y) => (x.kind === y.kind ? 0 : x.kind === 'breaking' ? -1 : 1));
      const lines = ordered.map((c) => `- ${c.kind === 'breaking' ? '**BREAKING** ' : ''}\`${showPath(c.path)}\` ${c.change.replace(/_/g, ' ')}: ${c.detail}`);
      return [head, '', ...lines].join('\n');
    });
  return sections.length > 0 ? `${sections.join('\n\n')}\n` : 'No changes against the released contracts.\n';
}
