/**
 * What the Temporal Web UI shows for a run under "User Metadata" → current details (and
 * `temporal workflow metadata`): the stage, the counts so far, the model and gate, and, when paused,
 * what the run waits for and the exact signal to send. Rendered from the status view only, so it is
 * deterministic workflow code; the Web UI renders it as Markdown.
 */
import type { OperatorActionName, RunStatusView } from './messages.ts';

const WHAT_ACTIONS_DO: Record<OperatorActionName, string> = {
  approve: 'override the failed gate, or retry what failed, and continue',
  resume: 'continue (re-runs only what failed)',
  abort: 'end the run; nothing more is exported',
  rollback: 're-score this snapshot with an earlier version or the rules policy',
  pause: 'pause at the next stage boundary',
};

const WHO = '{"operator":"you","reason":"why"}';

function payloadOf(action: OperatorActionName): string {
  return action === 'rollback' ? '{"to":{"modelVersion":"1.0.0"},"operator":"you","reason":"why"}' : WHO;
}

/** The Markdown of a run's current details. */
export function currentDetails(view: RunStatusView): string {
  const lines: string[] = [];
  lines.push(`**${view.status}** · stage \`${view.stage}\``);
  if (view.awaiting) {
    const a = view.awaiting;
    lines.push('', `**Waiting for an operator** since ${a.since}: ${a.reason}`, '', 'Send one of these signals (Web UI: Send a Signal; or `temporal workflow signal`):');
    for (const action of a.actions) lines.push(`- \`${action}\` with \`${payloadOf(action)}\`: ${WHAT_ACTIONS_DO[action]}`);
    lines.push('', `e.g. \`temporal workflow signal --workflow-id ${view.runId} --name ${a.actions[0]} --input '${payloadOf(a.actions[0]!)}'\`, or \`scoreflow ${a.actions[0]} --run ${view.runId} --reason "…"\``);
  }
  if (view.model) lines.push('', `Model: ${view.model.policy === 'rules' ? `rules policy ${view.model.version ?? ''}`.trim() : `${view.model.name}@${view.model.version}`}`);
  if (view.gate.status !== 'not_run') {
    const failed = view.gate.results.filter((r) => r.status !== 'pass').map((r) => `${r.gate}${r.subject ? `(${r.subject})` : ''} ${r.status}`);
    lines.push(`Gate: ${view.gate.status}${failed.length ? ` (${failed.join(', ')})` : ''}${view.gate.overriddenBy ? `, overridden by ${view.gate.overriddenBy.operator}: ${view.gate.overriddenBy.reason}` : ''}`);
  }
  const counts = Object.entries(view.counts);
  if (counts.length) {
    lines.push('', '| count | value |', '| --- | --- |');
    for (const [k, v] of counts) lines.push(`| ${k} | ${v} |`);
  }
  if (view.exportStatus && Object.keys(view.exportStatus).length) {
    lines.push('', 'Exports: ' + Object.entries(view.exportStatus).map(([d, s]) => `${d} ${s.status}${s.rows !== undefined ? ` (${s.rows} rows)` : ''}`).join(', '));
  }
  if (view.cycles.length > 1) lines.push('', `Cycles: ${view.cycles.map((c) => `${c.runId} (${c.model}${c.rollbackOf ? `, rollback of ${c.rollbackOf}` : ''})`).join('; ')}`);
  return lines.join('\n');
}
