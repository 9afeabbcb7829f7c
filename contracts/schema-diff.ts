/**
 * Diffs two released-form JSON Schemas of one contract (old = the latest released snapshot,
 * new = the working contract) into classified changes. Breaking: a field removed or renamed, a
 * type changed, optional→required (or required→optional: readers may now find it missing), an enum
 * or a range narrowed, a pattern or format changed, the declared score semantics changed, the
 * freshness promise weakened. Non-breaking: an optional field added, an enum or range widened, a
 * description, owner or deprecation notice changed. Pure.
 */
import type { ContractSemantics, DeclaredScoreSemantics } from './contract.ts';
import type { JsonSchema, ScoreflowSchemaMeta } from './json-schema.ts';
import {
  flattenSchema, isAncestorOrSelf, joinPath, LOWER_BOUNDS, parentPath, UPPER_BOUNDS,
  type EnumValue, type FieldShape,
} from './schema-fields.ts';

export type ChangeKind = 'breaking' | 'non-breaking';
export type BumpLevel = 'major' | 'minor' | 'patch';

export type ChangeType =
  | 'contract_added'
  | 'field_removed'
  | 'field_renamed'
  | 'field_added_optional'
  | 'field_added_required'
  | 'type_changed'
  | 'made_required'
  | 'made_optional'
  | 'enum_narrowed'
  | 'enum_widened'
  | 'range_narrowed'
  | 'range_widened'
  | 'pattern_changed'
  | 'format_changed'
  | 'description_changed'
  | 'semantics_changed'
  | 'freshness_changed'
  | 'deprecation_added'
  | 'deprecation_removed'
  | 'metadata_changed';

export interface ContractChange {
  contract: string;
  /** Field path ('' = the whole record), or `x-scoreflow.<key>` for contract-level metadata. */
  path: string;
  kind: ChangeKind;
  change: ChangeType;
  detail: string;
  /** The smallest version bump this change needs. */
  level: BumpLevel;
}

const fmt = (xs: EnumValue[]): string => xs.map((x) => JSON.stringify(x)).join(', ');

function sameShape(a: FieldShape, b: FieldShape): boolean {
  return a.types.join() === b.types.join() && JSON.stringify(a.enum) === JSON.stringify(b.enum);
}

/** Keeps only the topmost of a set of paths (a removed object implies its removed children). */
function topmost(paths: string[]): string[] {
  return paths.filter((p) => !paths.some((q) => q !== p && isAncestorOrSelf(q, p)));
}

function compareField(contract: string, a: FieldShape, b: FieldShape): ContractChange[] {
  const out: ContractChange[] = [];
  const at = (kind: ChangeKind, change: ChangeType, detail: string, level: BumpLevel): void => {
    out.push({ contract, path: a.path, kind, change, detail, level });
  };
  if (a.required !== b.required) {
    if (b.required) at('breaking', 'made_required', 'optional → required: records without it no longer validate', 'major');
    else at('breaking', 'made_optional', 'required → optional: consumers reading it may now find it missing', 'major');
  }
  if (a.types.join() !== b.types.join()) {
    // The constraints of a different type are not comparable; the type change says it all.
    at('breaking', 'type_changed', `type changed from ${a.types.join('|')} to ${b.types.join('|')}`, 'major');
    return out;
  }
  if (a.enum || b.enum) {
    if (!b.enum) at('non-breaking', 'enum_widened', `no longer restricted to ${fmt(a.enum ?? [])}`, 'minor');
    else if (!a.enum) at('breaking', 'enum_narrowed', `now restricted to ${fmt(b.enum)}`, 'major');
    else {
      const key = (x: EnumValue): string => JSON.stringify(x);
      const after = new Set(b.enum.map(key));
      const before = new Set(a.enum.map(key));
      const gone = a.enum.filter((x) => !after.has(key(x)));
      const added = b.enum.filter((x) => !before.has(key(x)));
      if (gone.length > 0) at('breaking', 'enum_narrowed', `values removed: ${fmt(gone)}${added.length ? `; added: ${fmt(added)}` : ''}`, 'major');
      else if (added.length > 0) at('non-breaking', 'enum_widened', `values added: ${fmt(added)}`, 'minor');
    }
  }
  const narrowed: string[] = [];
  const widened: string[] = [];
  for (const key of [...LOWER_BOUNDS, ...UPPER_BOUNDS]) {
    const x = a.bounds[key];
    const y = b.bounds[key];
    if (x === y) continue;
    const lower = (LOWER_BOUNDS as readonly string[]).includes(key);
    const desc = `${key} ${x ?? 'none'} → ${y ?? 'none'}`;
    if (x === undefined) narrowed.push(desc);
    else if (y === undefined) widened.push(desc);
    else if (lower ? y > x : y < x) narrowed.push(desc);
    else widened.push(desc);
  }
  if (narrowed.length > 0) at('breaking', 'range_narrowed', `range narrowed: ${[...narrowed, ...widened].join(', ')}`, 'major');
  else if (widened.length > 0) at('non-breaking', 'range_widened', `range widened: ${widened.join(', ')}`, 'minor');
  for (const key of ['pattern', 'format'] as const) {
    const x = a[key];
    const y = b[key];
    if (x === y) continue;
    if (y === undefined) at('non-breaking', key === 'pattern' ? 'range_widened' : 'format_changed', `${key} removed (was ${x})`, 'minor');
    else at('breaking', key === 'pattern' ? 'pattern_changed' : 'format_changed', `${key} ${x === undefined ? 'added' : 'changed'}: ${y}`, 'major');
  }
  if ((a.description ?? '') !== (b.description ?? '')) {
    at('non-breaking', 'description_changed', 'description changed', 'patch');
  }
  return out;
}

export function diffFields(contract: string, before: Map<string, FieldShape>, after: Map<string, FieldShape>): ContractChange[] {
  const out: ContractChange[] = [];
  const removed = topmost([...before.keys()].filter((p) => !after.has(p)));
  const added = topmost([...after.keys()].filter((p) => !before.has(p)));
  const renamedTo = new Map<string, string>();
  for (const r of removed) {
    const old = before.get(r)!;
    const twin = added.find((a) => ![...renamedTo.values()].includes(a) && parentPath(a) === parentPath(r) && sameShape(old, after.get(a)!));
    if (twin !== undefined) renamedTo.set(r, twin);
  }
  for (const r of removed) {
    const old = before.get(r)!;
    const to = renamedTo.get(r);
    if (to !== undefined) {
      out.push({ contract, path: r, kind: 'breaking', change: 'field_renamed', detail: `renamed to ${to} (removed ${r}, added ${to})`, level: 'major' });
    } else {
      out.push({ contract, path: r, kind: 'breaking', change: 'field_removed', detail: `no longer in the contract (was ${old.required ? 'required' : 'optional'} ${old.types.join('|')})`, level: 'major' });
    }
  }
  const renamedTargets = new Set(renamedTo.values());
  for (const a of added) {
    if (renamedTargets.has(a)) continue;
    const shape = after.get(a)!;
    if (shape.required) {
      out.push({ contract, path: a, kind: 'breaking', change: 'field_added_required', detail: `required field added (${shape.types.join('|')}): records without it no longer validate`, level: 'major' });
    } else {
      out.push({ contract, path: a, kind: 'non-breaking', change: 'field_added_optional', detail: `optional field added (${shape.types.join('|')})`, level: 'minor' });
    }
  }
  for (const [path, a] of before) {
    const b = after.get(path);
    if (b) out.push(...compareField(contract, a, b));
  }
  return out;
}

function scoreSemanticsChanges(contract: string, a: DeclaredScoreSemantics | undefined, b: DeclaredScoreSemantics | undefined): ContractChange[] {
  if (!a && !b) return [];
  if (a && !b) return [{ contract, path: joinPath(a.path, 'semantics'), kind: 'breaking', change: 'semantics_changed', detail: 'the declared score semantics were dropped', level: 'major' }];
  if (!a && b) return [{ contract, path: joinPath(b.path, 'semantics'), kind: 'non-breaking', change: 'semantics_changed', detail: `score semantics declared: ${describeMeaning(b)}`, level: 'minor' }];
  const out: ContractChange[] = [];
  const x = a!;
  const y = b!;
  const sem = joinPath(y.path, 'semantics');
  const mx = x.meaning as Record<string, unknown>;
  const my = y.meaning as Record<string, unknown>;
  for (const key of ['kind', 'outcome', 'horizon_days', 'population']) {
    if (mx[key] === my[key]) continue;
    out.push({
      contract, path: joinPath(sem, key), kind: 'breaking', change: 'semantics_changed', level: 'major',
      detail: `score semantics ${key} changed from ${JSON.stringify(mx[key] ?? null)} to ${JSON.stringify(my[key] ?? null)} (was ${describeMeaning(x)}, now ${describeMeaning(y)})`,
    });
  }
  if (x.range.join() !== y.range.join()) {
    out.push({ contract, path: joinPath(y.path, 'range'), kind: 'breaking', change: 'semantics_changed', detail: `declared score range changed from [${x.range.join(', ')}] to [${y.range.join(', ')}]`, level: 'major' });
  }
  if (x.calibration !== y.calibration) {
    const weaker = y.calibration === 'any';
    out.push({
      contract, path: joinPath(y.path, 'calibration'), kind: weaker ? 'breaking' : 'non-breaking', change: 'semantics_changed', level: weaker ? 'major' : 'minor',
      detail: `declared calibration changed from ${x.calibration} to ${y.calibration}`,
    });
  }
  if (x.clear_sentinel.value !== y.clear_sentinel.value) {
    out.push({ contract, path: joinPath(y.path, 'value'), kind: 'breaking', change: 'semantics_changed', detail: `clear sentinel changed from ${x.clear_sentinel.value} to ${y.clear_sentinel.value}`, level: 'major' });
  } else if (x.clear_sentinel.rule !== y.clear_sentinel.rule) {
    out.push({ contract, path: joinPath(y.path, 'value'), kind: 'non-breaking', change: 'description_changed', detail: 'clear sentinel rule reworded', level: 'patch' });
  }
  return out;
}

export function describeMeaning(s: DeclaredScoreSemantics): string {
  const m = s.meaning;
  if (m.kind === 'probability') return `probability of ${m.outcome} within ${m.horizon_days} days`;
  if (m.kind === 'percentile') return `percentile within ${m.population}`;
  return 'relative score 0–100';
}

function fieldSemanticsChanges(contract: string, a: ContractSemantics['fields'], b: ContractSemantics['fields']): ContractChange[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys
    .filter((k) => a[k] !== b[k])
    .map((k) => ({ contract, path: k, kind: 'non-breaking' as const, change: 'description_changed' as const, detail: 'documented meaning changed', level: 'patch' as const }));
}

function metaChanges(contract: string, a: ScoreflowSchemaMeta, b: ScoreflowSchemaMeta): ContractChange[] {
  const out: ContractChange[] = [];
  out.push(...scoreSemanticsChanges(contract, a.semantics.score, b.semantics.score));
  out.push(...fieldSemanticsChanges(contract, a.semantics.fields, b.semantics.fields));
  if (a.freshness.maxAgeHours !== b.freshness.maxAgeHours) {
    const weaker = b.freshness.maxAgeHours > a.freshness.maxAgeHours;
    out.push({
      contract, path: 'x-scoreflow.freshness.maxAgeHours', kind: weaker ? 'breaking' : 'non-breaking', change: 'freshness_changed', level: weaker ? 'major' : 'minor',
      detail: `records now expire ${b.freshness.maxAgeHours} h after scoring (was ${a.freshness.maxAgeHours} h)${weaker ? ': consumers may hold staler records' : ''}`,
    });
  }
  if (a.freshness.cadence !== b.freshness.cadence) {
    out.push({ contract, path: 'x-scoreflow.freshness.cadence', kind: 'non-breaking', change: 'freshness_changed', detail: `cadence ${a.freshness.cadence} → ${b.freshness.cadence}`, level: 'minor' });
  }
  const depKey = (d: { field: string; removal_date: string; replacement?: string }): string => `${d.field}@${d.removal_date}→${d.replacement ?? ''}`;
  const before = new Set(a.deprecations.map(depKey));
  const after = new Set(b.deprecations.map(depKey));
  for (const d of b.deprecations) {
    if (!before.has(depKey(d))) {
      out.push({ contract, path: d.field, kind: 'non-breaking', change: 'deprecation_added', detail: `deprecated, removal on ${d.removal_date}${d.replacement ? `; use ${d.replacement}` : ''}`, level: 'minor' });
    }
  }
  for (const d of a.deprecations) {
    if (!after.has(depKey(d))) out.push({ contract, path: d.field, kind: 'non-breaking', change: 'deprecation_removed', detail: 'deprecation notice withdrawn or changed', level: 'patch' });
  }
  for (const key of ['owner', 'domain'] as const) {
    if (a[key] !== b[key]) out.push({ contract, path: `x-scoreflow.${key}`, kind: 'non-breaking', change: 'metadata_changed', detail: `${key} ${a[key]} → ${b[key]}`, level: 'patch' });
  }
  if (a.status !== b.status) {
    out.push({ contract, path: 'x-scoreflow.status', kind: 'non-breaking', change: 'metadata_changed', detail: `status ${a.status} → ${b.status}`, level: 'minor' });
  }
  return out;
}

/** Classified changes from `released` to `working`, both in released (contractJsonSchema) form. */
export function diffContractSchemas(contract: string, released: JsonSchema, working: JsonSchema): ContractChange[] {
  const out = diffFields(contract, flattenSchema(released), flattenSchema(working));
  const a = released['x-scoreflow'];
  const b = working['x-scoreflow'];
  if (a && b) out.push(...metaChanges(contract, a, b));
  return out;
}

/** A path for people: the root reads '(root)'. */
export function showPath(path: string): string {
  return path || '(root)';
}
