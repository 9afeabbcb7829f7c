/**
 * A contract as an Open Data Contract Standard (ODCS v3.0.2) document: one schema object (the
 * canonical `activation_record` table) with nested properties, logical types and required flags,
 * quality rules, freshness SLAs, the owning team, and the Scoreflow semantics as custom properties.
 * Pure: returns the document and its YAML; the caller writes the file.
 */
import YAML from 'yaml';
import type { ConsumerRegistration } from './consumers.ts';
import type { DataContract } from './contract.ts';
import { destinationOwnership, durationMs, type DecisionOwnership } from './pipeline-config.ts';
import { contractJsonSchema } from './json-schema.ts';
import { flattenSchema, joinPath, pathTokens, type FieldShape } from './schema-fields.ts';

export const ODCS_API_VERSION = 'v3.0.2';

export interface OdcsQualityRule {
  type: 'library' | 'sql' | 'text';
  description: string;
  dimension?: 'accuracy' | 'completeness' | 'conformity' | 'consistency' | 'coverage' | 'timeliness' | 'uniqueness';
  rule?: string;
  validValues?: unknown[];
  query?: string;
  mustBe?: number;
  severity?: 'error' | 'warning';
}

export interface OdcsProperty {
  name: string;
  logicalType: 'string' | 'date' | 'number' | 'integer' | 'object' | 'array' | 'boolean';
  required: boolean;
  description?: string;
  logicalTypeOptions?: Record<string, unknown>;
  properties?: OdcsProperty[];
  items?: Omit<OdcsProperty, 'name' | 'required'> & { name?: string };
  quality?: OdcsQualityRule[];
}

export interface OdcsDocument {
  apiVersion: string;
  kind: 'DataContract';
  id: string;
  name: string;
  version: string;
  status: string;
  domain: string;
  dataProduct: string;
  tenant: string;
  description: { purpose: string; usage: string; limitations: string };
  schema: {
    name: string;
    physicalName: string;
    physicalType: 'table';
    logicalType: 'object';
    description: string;
    properties: OdcsProperty[];
    quality: OdcsQualityRule[];
  }[];
  slaDefaultElement: string;
  slaProperties: { property: string; value: number | string; unit?: string; element?: string }[];
  team: { username: string; role: string; dateIn: string }[];
  tags: string[];
  customProperties: { property: string; value: unknown }[];
  contractCreatedTs: string;
}

interface Node {
  shape: FieldShape;
  children: Map<string, Node>;
}

function tree(fields: Map<string, FieldShape>): Node {
  const root: Node = { shape: fields.get('')!, children: new Map() };
  for (const [path, shape] of fields) {
    if (path === '') continue;
    let cur = root;
    const tokens = pathTokens(path);
    tokens.forEach((tok, i) => {
      const key = /^\[\d+\]$/.test(tok) ? '[]' : tok;
      let next = cur.children.get(key);
      if (!next) {
        const at = tokens.slice(0, i + 1).reduce((acc, t) => joinPath(acc, t), '');
        next = { shape: fields.get(at) ?? shape, children: new Map() };
        cur.children.set(key, next);
      }
      cur = next;
    });
  }
  return root;
}

const SAFE = Number.MAX_SAFE_INTEGER;

function logicalTypeOf(s: FieldShape): OdcsProperty['logicalType'] {
  const t = s.types.filter((x) => x !== 'null');
  if (t.length !== 1) return 'string';
  const only = t[0]!;
  if (only === 'string') return s.format === 'date-time' || s.format === 'date' ? 'date' : 'string';
  if (only === 'number' || only === 'integer' || only === 'object' || only === 'array' || only === 'boolean') return only;
  return 'string';
}

function optionsOf(s: FieldShape): Record<string, unknown> | undefined {
  const o: Record<string, unknown> = {};
  if (s.format) o.format = s.format;
  if (s.pattern) o.pattern = s.pattern;
  for (const [k, v] of Object.entries(s.bounds)) if (v !== undefined && Math.abs(v) !== SAFE) o[k] = v;
  return Object.keys(o).length > 0 ? o : undefined;
}

function propertyOf(name: string, node: Node, meanings: Record<string, string>): OdcsProperty {
  const s = node.shape;
  const p: OdcsProperty = { name, logicalType: logicalTypeOf(s), required: s.required && !s.types.includes('null') };
  const description = [s.description, meanings[s.path]].filter(Boolean).join(' ');
  if (description) p.description = description;
  if (s.types.includes('null')) p.description = `${p.description ? `${p.description} ` : ''}Null when unknown.`;
  const opts = optionsOf(s);
  if (opts) p.logicalTypeOptions = opts;
  if (s.enum && s.enum.length > 0) {
    p.quality = [{ type: 'library', rule: 'validValues', validValues: s.enum, mustBe: 0, dimension: 'conformity', description: `Only ${s.enum.map((x) => JSON.stringify(x)).join(', ')}.` }];
  }
  const named = [...node.children.entries()].filter(([k]) => k !== '[]');
  if (named.length > 0) p.properties = named.map(([k, child]) => propertyOf(k, child, meanings));
  const items = node.children.get('[]');
  if (items) {
    const { name: _n, required: _r, ...rest } = propertyOf('items', items, meanings);
    p.items = rest;
  }
  return p;
}

/** What of a pipeline the exported contract states: its freshness, cadence and who owns each destination's decision. */
export interface OdcsPipeline {
  name: string;
  cadence: string;
  freshness: { maxAgeHours: number };
  destinations: readonly { name: string; kind: string; decision?: DecisionOwnership }[];
}

/** A pipeline duration ("15m", "6h", "7d") as the ISO 8601 duration the contract's cadence uses ("PT15M"). */
export function isoDuration(d: string): string {
  const ms = durationMs(d);
  if (ms === 0) return 'PT0S';
  const days = Math.floor(ms / 86_400_000);
  let rest = ms - days * 86_400_000;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const sec = rest / 1000;
  const time = `${h ? `${h}H` : ''}${m ? `${m}M` : ''}${sec ? `${sec}S` : ''}`;
  return `P${days ? `${days}D` : ''}${time ? `T${time}` : ''}`;
}

function qualityRules(contract: DataContract, table: string): OdcsQualityRule[] {
  const rules: OdcsQualityRule[] = [
    {
      type: 'sql', dimension: 'uniqueness', severity: 'error', mustBe: 0,
      description: 'One record per entity per run.',
      query: `SELECT COUNT(*) FROM (SELECT run_id, entity_id FROM ${table} GROUP BY run_id, entity_id HAVING COUNT(*) > 1) d`,
    },
    {
      type: 'sql', dimension: 'timeliness', severity: 'error', mustBe: 0,
      description: `expires_at is scored_at + ${contract.freshness.maxAgeHours} h.`,
      query:
        `SELECT COUNT(*) FROM ${table} WHERE (record->'metadata'->>'expires_at')::timestamptz <> ` +
        `(record->'metadata'->>'scored_at')::timestamptz + interval '${contract.freshness.maxAgeHours} hours'`,
    },
    {
      type: 'sql', dimension: 'consistency', severity: 'error', mustBe: 0,
      description: 'No channel is eligible without the consent its purpose needs (paid_media needs advertising, onsite needs personalization, email needs email).',
      query:
        `SELECT COUNT(*) FROM ${table} WHERE ((record->'compliance'->'channels'->>'paid_media')::boolean AND NOT (record->'compliance'->'consent'->>'advertising')::boolean) ` +
        `OR ((record->'compliance'->'channels'->>'onsite')::boolean AND NOT (record->'compliance'->'consent'->>'personalization')::boolean) ` +
        `OR ((record->'compliance'->'channels'->>'email')::boolean AND NOT (record->'compliance'->'consent'->>'email')::boolean)`,
    },
  ];
  const s = contract.semantics.score;
  if (s) {
    const col = s.path ? `(record->'${s.path}'->>'value')::double precision` : `(record->>'value')::double precision`;
    rules.push({
      type: 'sql', dimension: 'accuracy', severity: 'error', mustBe: 0,
      description: `score.value lies in the declared range [${s.range.join(', ')}].`,
      query: `SELECT COUNT(*) FROM ${table} WHERE ${col} < ${s.range[0]} OR ${col} > ${s.range[1]}`,
    });
    rules.push({ type: 'text', dimension: 'conformity', description: s.clear_sentinel.rule });
  }
  return rules;
}

export function contractToOdcs(
  base: DataContract,
  opts: { table?: string; consumers?: readonly ConsumerRegistration[]; tenant?: string; pipeline?: OdcsPipeline } = {},
): OdcsDocument {
  const table = opts.table ?? base.name;
  const p = opts.pipeline;
  // With a pipeline, the promise is that pipeline's: records expire after its freshness.maxAgeHours, produced at its cadence.
  const contract: DataContract = p ? { ...base, freshness: { maxAgeHours: p.freshness.maxAgeHours, cadence: isoDuration(p.cadence) } } : base;
  const decisions = destinationOwnership(p);
  const owners = [...new Set(decisions.map((d) => d.owner).filter((o): o is string => o !== null))].sort();
  const fields = flattenSchema(contractJsonSchema(contract));
  const root = tree(fields);
  const properties = [...root.children.entries()].filter(([k]) => k !== '[]').map(([k, n]) => propertyOf(k, n, contract.semantics.fields));
  const created = contract.changelog.map((e) => e.date).sort()[0]!;
  const consumers = (opts.consumers ?? []).filter((c) => c.contract === contract.name);
  return {
    apiVersion: ODCS_API_VERSION,
    kind: 'DataContract',
    id: `urn:scoreflow:contract:${contract.name}`,
    name: contract.name,
    version: contract.version,
    status: contract.status,
    domain: contract.domain,
    dataProduct: 'scoreflow-activation',
    tenant: opts.tenant ?? 'scoreflow',
    description: {
      purpose: contract.description,
      usage: 'Destinations map these records to their own payloads; each mapping is registered in contracts/consumers.ts with the fields it reads and the semantics it assumes.',
      limitations: `A record is valid until metadata.expires_at (scored_at + ${contract.freshness.maxAgeHours} h); afterwards destinations remove it. Records are immutable once published.`,
    },
    schema: [{ name: table, physicalName: table, physicalType: 'table', logicalType: 'object', description: contract.description, properties, quality: qualityRules(contract, table) }],
    slaDefaultElement: `${table}.metadata.scored_at`,
    slaProperties: [
      { property: 'freshness', value: contract.freshness.maxAgeHours, unit: 'hours', element: `${table}.metadata.scored_at` },
      { property: 'frequency', value: contract.freshness.cadence, element: `${table}.metadata.scored_at` },
    ],
    team: [{ username: contract.owner, role: 'owner', dateIn: created }, ...owners.map((o) => ({ username: o, role: 'decision-owner', dateIn: created }))],
    tags: ['scoreflow', contract.domain, ...(p ? [`pipeline:${p.name}`] : [])],
    customProperties: [
      { property: 'scoreflowSemantics', value: contract.semantics },
      { property: 'deprecations', value: contract.deprecations },
      { property: 'changelog', value: contract.changelog },
      { property: 'consumers', value: consumers.map((c) => ({ consumer: c.consumer, versionRange: c.versionRange, fieldsRead: c.fieldsRead })) },
      ...(p
        ? [
            { property: 'pipeline', value: { name: p.name, cadence: p.cadence, freshnessMaxAgeHours: p.freshness.maxAgeHours } },
            { property: 'decisions', value: decisions },
          ]
        : []),
    ],
    contractCreatedTs: `${created}T00:00:00Z`,
  };
}

export function odcsYaml(doc: OdcsDocument): string {
  return YAML.stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false });
}
