/**
 * Validates one record against a contract at a boundary, for quarantine: the zod schema first, then
 * the contract's declared score semantics (kind, outcome, horizon, range, and value inside the range).
 * Issues carry a dotted path ('score.value', 'segments[0].id') and a reason that never echoes the value.
 * Pure: no I/O.
 */
import type { z } from 'zod';
import type { DataContract } from './contract.ts';

export interface ContractIssue {
  path: string;
  reason: string;
}
export type ContractValidation = { ok: true } | { ok: false; issues: ContractIssue[] };

/** ['segments', 0, 'id'] → 'segments[0].id'; [] → '(root)'. */
export function dottedPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(root)';
}

function at(obj: unknown, path: string): unknown {
  if (path === '') return obj;
  let cur: unknown = obj;
  for (const key of path.split('.')) {
    cur = typeof cur === 'object' && cur !== null ? (cur as Record<string, unknown>)[key] : undefined;
  }
  return cur;
}

function semanticIssues(contract: DataContract, record: unknown): ContractIssue[] {
  const declared = contract.semantics.score;
  if (!declared) return [];
  const prefix = declared.path ? `${declared.path}.` : '';
  const score = at(record, declared.path) as { value: number; range: [number, number]; semantics: Record<string, unknown> };
  const issues: ContractIssue[] = [];
  const meaning = declared.meaning as Record<string, unknown>;
  for (const key of ['kind', 'outcome', 'horizon_days', 'population']) {
    if (meaning[key] === undefined) continue;
    if (score.semantics[key] !== meaning[key]) {
      issues.push({
        path: `${prefix}semantics.${key}`,
        reason: `${contract.name} ${contract.version} declares score semantics ${key} = ${JSON.stringify(meaning[key])}; the record says ${JSON.stringify(score.semantics[key] ?? null)}`,
      });
    }
  }
  const [lo, hi] = declared.range;
  if (score.range[0] !== lo || score.range[1] !== hi) {
    issues.push({ path: `${prefix}range`, reason: `${contract.name} ${contract.version} declares range [${lo}, ${hi}]; the record says [${score.range.join(', ')}]` });
  }
  if (score.value < lo || score.value > hi) {
    issues.push({ path: `${prefix}value`, reason: `outside the declared range [${lo}, ${hi}]` });
  }
  return issues;
}

export function validateAgainstContract(contract: DataContract, record: unknown): ContractValidation {
  const parsed = (contract.schema as z.ZodType).safeParse(record);
  if (!parsed.success) {
    return { ok: false, issues: parsed.error.issues.map((i) => ({ path: dottedPath(i.path), reason: i.message })) };
  }
  const issues = semanticIssues(contract, parsed.data);
  return issues.length > 0 ? { ok: false, issues } : { ok: true };
}
