/**
 * `scoreflow contracts check`: diffs every working contract against its latest released snapshot,
 * checks the version bump and every registered consumer, and renders a changelog of the diff.
 * The judging is pure (contracts/compatibility.ts); this shell loads snapshots and prints.
 */
import { assessContract, unknownContractFailures, type ContractAssessment } from '../../contracts/compatibility.ts';
import { renderChangelog } from '../../contracts/changelog.ts';
import { CONSUMERS, type ConsumerRegistration } from '../../contracts/consumers.ts';
import type { DataContract } from '../../contracts/contract.ts';
import { contractJsonSchema } from '../../contracts/json-schema.ts';
import { ALL_CONTRACTS } from '../../contracts/registry.ts';
import type { ContractChange } from '../../contracts/schema-diff.ts';
import { DEFAULT_RELEASED_DIR, readLatestReleased } from './released-snapshots.ts';

export interface CheckContractsInput {
  workingContracts: readonly DataContract[];
  releasedDir: string;
  consumers: readonly ConsumerRegistration[];
  /** YYYY-MM-DD for deprecation deadlines; defaults to today (UTC). */
  today?: string;
}

export interface CheckContractsResult {
  ok: boolean;
  changes: ContractChange[];
  failures: string[];
  warnings: string[];
  changelog: string;
  contracts: Omit<ContractAssessment, 'changes' | 'failures' | 'warnings'>[];
}

export async function checkContracts(input: CheckContractsInput): Promise<CheckContractsResult> {
  const names = input.workingContracts.map((c) => c.name);
  const failures: string[] = [];
  const dupes = names.filter((n, i) => names.indexOf(n) !== i);
  for (const d of new Set(dupes)) failures.push(`contract ${d} is declared twice in the working set: give each contract one definition.`);
  failures.push(...unknownContractFailures(input.consumers, names));
  const assessments: ContractAssessment[] = [];
  for (const contract of input.workingContracts) {
    const released = await readLatestReleased(input.releasedDir, contract.name);
    assessments.push(
      assessContract({
        working: contractJsonSchema(contract),
        released: released ? { version: released.version, schema: released.schema } : null,
        consumers: input.consumers.filter((c) => c.contract === contract.name),
        releasedDir: input.releasedDir,
        today: input.today,
      }),
    );
  }
  failures.push(...assessments.flatMap((a) => a.failures));
  return {
    ok: failures.length === 0,
    changes: assessments.flatMap((a) => a.changes),
    failures,
    warnings: assessments.flatMap((a) => a.warnings),
    changelog: renderChangelog(assessments),
    contracts: assessments.map(({ changes: _c, failures: _f, warnings: _w, ...rest }) => rest),
  };
}

export interface RunContractsCheckOptions {
  json?: boolean;
  releasedDir?: string;
  contracts?: readonly DataContract[];
  consumers?: readonly ConsumerRegistration[];
  write?: (text: string) => void;
}

/** Runs the check on the repository's contracts and prints a report (or JSON). Exit non-zero when !ok. */
export async function runContractsCheck(opts: RunContractsCheckOptions = {}): Promise<CheckContractsResult> {
  const write = opts.write ?? ((t: string) => void process.stdout.write(t));
  const result = await checkContracts({
    workingContracts: opts.contracts ?? ALL_CONTRACTS,
    releasedDir: opts.releasedDir ?? DEFAULT_RELEASED_DIR,
    consumers: opts.consumers ?? CONSUMERS,
  });
  if (opts.json) {
    write(`${JSON.stringify(result, null, 2)}\n`);
    return result;
  }
  const lines: string[] = [];
  for (const c of result.contracts) {
    const state = c.released === null ? 'unreleased' : c.released === c.working ? 'released' : `released ${c.released}`;
    lines.push(`${c.contract.padEnd(20)} ${c.working.padEnd(8)} ${state}${c.requiredBump !== 'none' ? `, changes need a ${c.requiredBump} bump` : ''}`);
  }
  lines.push('', result.changelog.trimEnd());
  if (result.warnings.length > 0) lines.push('', 'Warnings:', ...result.warnings.map((w) => `  - ${w}`));
  if (result.failures.length > 0) lines.push('', 'Failures:', ...result.failures.map((f) => `  ✗ ${f}`));
  lines.push('', result.ok ? 'contracts check passed' : `contracts check failed (${result.failures.length})`);
  write(`${lines.join('\n')}\n`);
  return result;
}
