/**
 * Pure: the Target Recommendations entity feed (CSV), the catalogue of items that top-N
 * recommendations point at (docs/destinations/adobe-target.md).
 * - The file opens with `## RECS` lines; the last one lists the columns:
 *   `## RECSentity.id,entity.name,entity.categoryId,entity.message,entity.thumbnailUrl,
 *   entity.value,entity.pageUrl,entity.inventory,entity.margin,entity.<custom>...`
 * - RFC 4180 quoting: a field with a comma, quote or line break is quoted, and a quote is doubled.
 * - At most 100 custom attributes. Multi-value custom attributes are written as a JSON array, as in
 *   Adobe's sample. Several categories are comma-joined in entity.categoryId.
 * - An empty value never overwrites an existing one, and entities expire 61 days after their last
 *   update, so the feed is re-sent before that.
 */
import { csvField } from '../run/csv-line.ts';

export const RECS_STANDARD_FIELDS = ['id', 'name', 'categoryId', 'message', 'thumbnailUrl', 'value', 'pageUrl', 'inventory', 'margin'] as const;
export const RECS_MAX_CUSTOM_ATTRIBUTES = 100;

export const RECS_PREAMBLE = [
  '## RECSRecommendations Upload File',
  "## RECS''## RECS'' indicates a Recommendations pre-process header. Please do not remove these lines.",
  '## RECS',
];

export type RecsValue = string | number | boolean | null | undefined;

export interface RecsEntity {
  id: string;
  name?: string;
  categoryId?: string | readonly string[];
  message?: string;
  thumbnailUrl?: string;
  value?: number;
  pageUrl?: string;
  inventory?: number;
  margin?: number;
  custom?: Record<string, RecsValue | readonly string[]>;
}

export interface RecommendationsFeed {
  csv: string;
  rows: number;
  columns: string[];
  rejected: { index: number; reason: string }[];
}

function customNameProblem(name: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) return `custom attribute "${name}" must be letters, digits and underscores, starting with a letter`;
  if ((RECS_STANDARD_FIELDS as readonly string[]).includes(name)) return `custom attribute "${name}" collides with a standard entity field`;
  return undefined;
}

function cell(v: RecsValue | readonly string[]): string | { reason: string } {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return JSON.stringify(v);
  if (typeof v === 'number' && !Number.isFinite(v)) return { reason: 'a numeric field is not finite' };
  return String(v);
}

export function buildRecommendationsFeed(input: { customAttributes?: readonly string[]; entities: readonly RecsEntity[] }): RecommendationsFeed {
  const custom = [...(input.customAttributes ?? [])];
  if (custom.length > RECS_MAX_CUSTOM_ATTRIBUTES) {
    throw new RangeError(`${custom.length} custom attributes declared; the entity feed takes at most ${RECS_MAX_CUSTOM_ATTRIBUTES}`);
  }
  for (const c of custom) {
    const p = customNameProblem(c);
    if (p) throw new RangeError(`${p}; fix the feed mapping`);
  }
  if (new Set(custom).size !== custom.length) throw new RangeError('custom attribute names repeat; fix the feed mapping');
  const columns = [...RECS_STANDARD_FIELDS, ...custom].map((c) => `entity.${c}`);

  const lines = [...RECS_PREAMBLE, `## RECS${columns.join(',')}`];
  const rejected: RecommendationsFeed['rejected'] = [];
  const seen = new Set<string>();
  input.entities.forEach((e, index) => {
    if (e.id.trim() === '') return void rejected.push({ index, reason: 'entity.id is empty' });
    if (seen.has(e.id)) return void rejected.push({ index, reason: 'entity.id repeats in this feed' });
    const undeclared = Object.keys(e.custom ?? {}).find((k) => !custom.includes(k));
    if (undeclared !== undefined) return void rejected.push({ index, reason: `custom attribute "${undeclared}" is not declared` });
    const category = typeof e.categoryId === 'string' || e.categoryId === undefined ? e.categoryId : e.categoryId.join(',');
    const values = [e.id, e.name, category, e.message, e.thumbnailUrl, e.value, e.pageUrl, e.inventory, e.margin, ...custom.map((c) => e.custom?.[c])];
    const fields: string[] = [];
    for (const v of values) {
      const t = cell(v);
      if (typeof t !== 'string') return void rejected.push({ index, reason: t.reason });
      fields.push(csvField(t));
    }
    seen.add(e.id);
    lines.push(fields.join(','));
  });
  return { csv: `${lines.join('\n')}\n`, rows: lines.length - RECS_PREAMBLE.length - 1, columns, rejected };
}
