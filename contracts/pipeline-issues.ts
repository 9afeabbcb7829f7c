/**
 * Turns schema problems of a pipeline file into lines a person can act on: the key path
 * (`destinations[1].config.tokenEnv`), what is wrong, and for an unknown key the closest known key
 * ("did you mean holdout?", by Levenshtein distance) or the keys allowed there. Works on the zod
 * issues of a strict schema and on the JSON Schema generated from it (to know the keys at a path).
 * Pure: no I/O.
 */
import type { z } from 'zod';

export interface PipelineProblem {
  /** Key path, e.g. `destinations[1].kind`; `(file)` for the file as a whole. */
  path: string;
  message: string;
}

export function levenshtein(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The closest candidate when it is close enough to be a typo (case-insensitive), else undefined. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    const d = levenshtein(word.toLowerCase(), c.toLowerCase());
    if (!best || d < best.d) best = { c, d };
  }
  if (!best) return undefined;
  const limit = Math.max(2, Math.floor(Math.max(word.length, best.c.length) / 3));
  return best.d <= limit ? best.c : undefined;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out || '(root)';
}

type JsonSchema = { [k: string]: unknown };

function deref(root: JsonSchema, node: JsonSchema): JsonSchema {
  let cur = node;
  for (let i = 0; i < 20 && typeof cur.$ref === 'string'; i++) {
    const ref = cur.$ref as string;
    if (!ref.startsWith('#/')) break;
    let target: unknown = root;
    for (const part of ref.slice(2).split('/')) target = (target as JsonSchema)?.[part];
    if (!target || typeof target !== 'object') break;
    cur = target as JsonSchema;
  }
  return cur;
}

/** The alternatives of a node (oneOf/anyOf/allOf flattened), narrowed to the branch whose `const` keys match `value`. */
function branches(root: JsonSchema, node: JsonSchema, value: unknown): JsonSchema[] {
  const n = deref(root, node);
  const alts = [...((n.oneOf ?? []) as JsonSchema[]), ...((n.anyOf ?? []) as JsonSchema[]), ...((n.allOf ?? []) as JsonSchema[])];
  if (alts.length === 0) return [n];
  const all = alts.flatMap((a) => branches(root, a, value));
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const v = value as Record<string, unknown>;
    const matching = all.filter((b) => {
      const props = (b.properties ?? {}) as Record<string, JsonSchema>;
      return Object.entries(props).every(([k, p]) => {
        const pd = deref(root, p);
        if (pd.const !== undefined) return v[k] === pd.const;
        if (Array.isArray(pd.enum) && k in v) return pd.enum.includes(v[k]);
        return true;
      });
    });
    if (matching.length > 0) return matching;
  }
  return all;
}

/** The JSON Schema nodes at `path` inside `value` (several when a union cannot be narrowed). */
export function schemasAt(root: JsonSchema, path: readonly PropertyKey[], value: unknown): JsonSchema[] {
  let nodes = [root];
  let cur = value;
  for (const seg of path) {
    const next: JsonSchema[] = [];
    for (const n of nodes) {
      for (const b of branches(root, n, cur)) {
        if (typeof seg === 'number') {
          if (b.items && typeof b.items === 'object') next.push(b.items as JsonSchema);
        } else {
          const props = (b.properties ?? {}) as Record<string, JsonSchema>;
          if (props[String(seg)]) next.push(props[String(seg)]!);
          else if (b.additionalProperties && typeof b.additionalProperties === 'object') next.push(b.additionalProperties as JsonSchema);
        }
      }
    }
    nodes = next;
    cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[String(seg)] : undefined;
  }
  return nodes;
}

/** The keys an object at `path` may have, per the JSON Schema. */
export function knownKeysAt(root: JsonSchema, path: readonly PropertyKey[], value: unknown): string[] {
  let cur = value;
  for (const seg of path) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[String(seg)] : undefined;
  const keys = new Set<string>();
  for (const n of schemasAt(root, path, value)) for (const b of branches(root, n, cur)) for (const k of Object.keys((b.properties ?? {}) as object)) keys.add(k);
  return [...keys];
}

export function unknownKeyProblem(path: readonly PropertyKey[], key: string, known: readonly string[]): PipelineProblem {
  const hint = closest(key, known);
  const at = formatPath([...path, key]);
  const where = path.length ? ` in ${formatPath(path)}` : '';
  return {
    path: at,
    message: hint
      ? `unknown key "${key}"${where}; did you mean "${hint}"?`
      : `unknown key "${key}"${where}; the keys allowed here are: ${[...known].sort().join(', ') || '(none)'}`,
  };
}

/**
 * Every key of `value` that the JSON Schema does not allow, recursively, with suggestions. Used for
 * blocks whose zod schema is not strict (gate thresholds, destination adapter configs). Objects
 * whose schema allows any further keys (records) are only descended into.
 */
export function unknownKeys(root: JsonSchema, value: unknown, prefix: readonly PropertyKey[] = []): PipelineProblem[] {
  const out: PipelineProblem[] = [];
  const walk = (v: unknown, path: PropertyKey[]) => {
    if (!v || typeof v !== 'object') return;
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, [...path, i]));
    const bs = schemasAt(root, path, value).flatMap((n) => branches(root, n, v));
    if (bs.length === 0) return;
    const open = bs.some((b) => !b.properties || b.additionalProperties === true || (typeof b.additionalProperties === 'object' && b.additionalProperties !== null));
    const known = new Set<string>();
    for (const b of bs) for (const k of Object.keys((b.properties ?? {}) as object)) known.add(k);
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (!open && !known.has(k)) out.push(unknownKeyProblem([...prefix, ...path], k, [...known]));
      else walk(x, [...path, k]);
    }
  };
  walk(value, []);
  return out;
}

/** One problem per zod issue; an unrecognized key becomes one problem per key, with a suggestion. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], raw: unknown, schema: JsonSchema, prefix: readonly PropertyKey[] = []): PipelineProblem[] {
  const out: PipelineProblem[] = [];
  for (const i of issues) {
    if (i.code === 'unrecognized_keys') {
      const known = knownKeysAt(schema, i.path, raw);
      for (const k of i.keys) out.push(unknownKeyProblem([...prefix, ...i.path], k, known));
    } else if (i.code === 'invalid_union' && 'discriminator' in i && i.discriminator) {
      let given: unknown = raw;
      for (const seg of i.path) given = given && typeof given === 'object' ? (given as Record<string, unknown>)[String(seg)] : undefined;
      const options = ((i as { options?: unknown[] }).options ?? []).map(String);
      const hint = typeof given === 'string' ? closest(given, options) : undefined;
      const what = given === undefined ? `${String(i.discriminator)} is missing` : `unknown ${String(i.discriminator)} ${JSON.stringify(given)}`;
      out.push({ path: formatPath([...prefix, ...i.path]), message: `${what}${hint ? `; did you mean "${hint}"?` : ''}; valid: ${options.join(', ')}` });
    } else {
      out.push({ path: formatPath([...prefix, ...i.path]), message: i.message });
    }
  }
  return out;
}
