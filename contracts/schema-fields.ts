/**
 * Flattens a JSON Schema into one entry per field path, the unit that diffs and consumer
 * registrations talk about. Paths: `score.value`, `segments[]`, `segments[].id`, `score.range[0]`,
 * `compliance.consent.advertising` (records keyed by an enum list every key), `''` for the root.
 * Unions (anyOf/oneOf) are merged: a child is required only when every variant requires it,
 * an enum is the union of the variants' values. Pure.
 */
export const LOWER_BOUNDS = ['minimum', 'exclusiveMinimum', 'minLength', 'minItems'] as const;
export const UPPER_BOUNDS = ['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems'] as const;
export type BoundKey = (typeof LOWER_BOUNDS)[number] | (typeof UPPER_BOUNDS)[number];
export type EnumValue = string | number | boolean | null;

export interface FieldShape {
  path: string;
  /** JSON types the field may take, sorted; 'any' when the schema does not restrict it. */
  types: string[];
  /** Required within its parent object (array items and tuple slots are always present). */
  required: boolean;
  /** Allowed values when every variant restricts them (enum or const), sorted. */
  enum?: EnumValue[];
  bounds: Partial<Record<BoundKey, number>>;
  pattern?: string;
  format?: string;
  description?: string;
}

type Node = Record<string, unknown>;

function isNode(x: unknown): x is Node {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function joinPath(parent: string, key: string): string {
  if (key.startsWith('[')) return `${parent}${key}`;
  return parent ? `${parent}.${key}` : key;
}

/** `segments[].id` → ['segments', '[]', 'id']. */
export function pathTokens(path: string): string[] {
  return path === '' ? [] : path.replace(/\[/g, '.[').split('.').filter((t) => t !== '');
}

/** The path of the object or array holding `path` ('' for top-level fields). */
export function parentPath(path: string): string {
  const t = pathTokens(path);
  t.pop();
  return t.reduce((acc, tok) => joinPath(acc, tok), '');
}

/** True when `a` is `b` or one of its ancestors. */
export function isAncestorOrSelf(a: string, b: string): boolean {
  const ta = pathTokens(a);
  const tb = pathTokens(b);
  return ta.length <= tb.length && ta.every((t, i) => t === tb[i]);
}

function resolveRef(node: Node, root: Node): Node {
  let cur = node;
  for (let hops = 0; typeof cur.$ref === 'string' && hops < 32; hops++) {
    const ref = cur.$ref as string;
    if (!ref.startsWith('#')) throw new Error(`schema-fields: only local $ref is supported, got ${ref}`);
    let target: unknown = root;
    for (const raw of ref.slice(1).split('/').filter(Boolean)) {
      const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      target = isNode(target) ? target[key] : undefined;
    }
    if (!isNode(target)) throw new Error(`schema-fields: $ref ${ref} does not resolve`);
    const { $ref: _ref, ...siblings } = cur;
    cur = { ...target, ...siblings };
  }
  return cur;
}

/** The union-free alternatives of a node. */
function variantsOf(node: Node, root: Node): Node[] {
  const n = resolveRef(node, root);
  const alts = (Array.isArray(n.anyOf) ? n.anyOf : Array.isArray(n.oneOf) ? n.oneOf : undefined) as unknown[] | undefined;
  const base: Node = { ...n };
  delete base.anyOf;
  delete base.oneOf;
  let out: Node[] = alts ? alts.filter(isNode).flatMap((a) => variantsOf({ ...base, ...a }, root)) : [base];
  if (Array.isArray(n.allOf)) {
    const parts = n.allOf.filter(isNode).map((p) => resolveRef(p, root));
    out = out.map((v) => {
      const merged: Node = { ...v };
      delete merged.allOf;
      for (const p of parts) {
        merged.properties = { ...(isNode(merged.properties) ? merged.properties : {}), ...(isNode(p.properties) ? p.properties : {}) };
        merged.required = [...(Array.isArray(merged.required) ? merged.required : []), ...(Array.isArray(p.required) ? p.required : [])];
        for (const [k, val] of Object.entries(p)) if (!(k in merged)) merged[k] = val;
      }
      return merged;
    });
  }
  return out;
}

function jsonTypeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typesOf(v: Node): string[] {
  if (typeof v.type === 'string') return [v.type];
  if (Array.isArray(v.type)) return v.type.filter((t): t is string => typeof t === 'string');
  if ('const' in v) return [jsonTypeOf(v.const)];
  if (Array.isArray(v.enum)) return [...new Set(v.enum.map(jsonTypeOf))];
  if (isNode(v.properties)) return ['object'];
  if (v.items !== undefined || v.prefixItems !== undefined) return ['array'];
  return ['any'];
}

function enumOf(v: Node): EnumValue[] | undefined {
  if ('const' in v) return [v.const as EnumValue];
  if (Array.isArray(v.enum)) return v.enum as EnumValue[];
  if (v.type === 'null') return [null];
  if (v.type === 'boolean') return [false, true];
  return undefined;
}

function sortValues(values: EnumValue[]): EnumValue[] {
  const uniq = new Map(values.map((x) => [JSON.stringify(x), x]));
  return [...uniq.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, x]) => x);
}

function shapeOf(path: string, required: boolean, variants: Node[], own: Node): FieldShape {
  const types = [...new Set(variants.flatMap(typesOf))].sort();
  const shape: FieldShape = { path, types, required, bounds: {} };
  const enums = variants.map(enumOf);
  const restricted = enums.every((e) => e !== undefined) && !types.every((t) => t === 'boolean' || t === 'null');
  if (restricted) shape.enum = sortValues(enums.flatMap((e) => e ?? []));
  const valued = variants.filter((v) => !(typesOf(v).length === 1 && typesOf(v)[0] === 'null'));
  if (valued.length > 0) {
    for (const key of LOWER_BOUNDS) {
      const xs = valued.map((v) => v[key]);
      if (xs.every((x): x is number => typeof x === 'number')) shape.bounds[key] = Math.min(...xs);
    }
    for (const key of UPPER_BOUNDS) {
      const xs = valued.map((v) => v[key]);
      if (xs.every((x): x is number => typeof x === 'number')) shape.bounds[key] = Math.max(...xs);
    }
    for (const key of ['pattern', 'format'] as const) {
      const xs = new Set(valued.map((v) => v[key]));
      const only = xs.size === 1 ? [...xs][0] : undefined;
      if (typeof only === 'string') shape[key] = only;
    }
  }
  const description = typeof own.description === 'string' ? own.description : variants.map((v) => v.description).find((d) => typeof d === 'string');
  if (typeof description === 'string') shape.description = description;
  return shape;
}

interface Child {
  key: string;
  nodes: Node[];
  requiredIn: number;
  presentIn: number;
}

function walk(node: Node, path: string, required: boolean, root: Node, out: Map<string, FieldShape>): void {
  const variants = variantsOf(node, root);
  out.set(path, shapeOf(path, required, variants, resolveRef(node, root)));

  const objects = variants.filter((v) => typesOf(v).includes('object'));
  const children = new Map<string, Child>();
  const add = (key: string, schema: unknown, isRequired: boolean): void => {
    const c = children.get(key) ?? { key, nodes: [], requiredIn: 0, presentIn: 0 };
    c.nodes.push(isNode(schema) ? schema : {});
    c.presentIn += 1;
    if (isRequired) c.requiredIn += 1;
    children.set(key, c);
  };
  for (const o of objects) {
    const req = new Set(Array.isArray(o.required) ? o.required.filter((r): r is string => typeof r === 'string') : []);
    if (isNode(o.properties)) for (const [k, s] of Object.entries(o.properties)) add(k, s, req.has(k));
    const names = isNode(o.propertyNames) ? resolveRef(o.propertyNames, root) : undefined;
    if (names && Array.isArray(names.enum) && isNode(o.additionalProperties)) {
      for (const k of names.enum) if (typeof k === 'string') add(k, o.additionalProperties, req.has(k));
    } else if (isNode(o.additionalProperties) && !isNode(o.properties)) {
      add('*', o.additionalProperties, false);
    }
  }
  for (const c of children.values()) {
    const childNode: Node = c.nodes.length === 1 ? c.nodes[0]! : { anyOf: c.nodes };
    walk(childNode, joinPath(path, c.key), c.requiredIn === objects.length && c.presentIn === objects.length, root, out);
  }

  const arrays = variants.filter((v) => typesOf(v).includes('array'));
  const items = arrays.map((a) => a.items).filter(isNode);
  if (items.length > 0) walk(items.length === 1 ? items[0]! : { anyOf: items }, joinPath(path, '[]'), true, root, out);
  const tuples = arrays.map((a) => a.prefixItems).filter((p): p is unknown[] => Array.isArray(p));
  const width = Math.max(0, ...tuples.map((t) => t.length));
  for (let i = 0; i < width; i++) {
    const slot = tuples.map((t) => t[i]).filter(isNode);
    if (slot.length > 0) walk(slot.length === 1 ? slot[0]! : { anyOf: slot }, joinPath(path, `[${i}]`), true, root, out);
  }
}

/** Every field path of a JSON Schema with its shape, the root under ''. */
export function flattenSchema(schema: Record<string, unknown>): Map<string, FieldShape> {
  const out = new Map<string, FieldShape>();
  walk(schema, '', true, schema, out);
  return out;
}
