/**
 * Pure: the Customer Attributes upload file (docs/destinations/adobe-target.md; Experience Cloud customer attribute
 * data file rules).
 * - UTF-8 CSV. Column 1 is the customer id, unique per file; the other columns are attributes.
 * - Attribute names contain no period; at most 200 attributes (Target Premium's subscription limit).
 * - Fields holding a comma, double quote, CR or LF are quoted, and a double quote inside is written
 *   as \" (backslash escape, not RFC's ""). Adobe's rule has no escape for the backslash itself, so a
 *   quoted value with a backslash right before a quote or at its end would read back wrong: such a
 *   row is rejected with a reason.
 * - A blank field is stored as null: unlike Target profile updates, an empty value clears here.
 */
export const CUSTOMER_ATTRIBUTES_MAX_ATTRIBUTES = 200;

export type CustomerAttributeValue = string | number | boolean | null | undefined;

export interface CustomerAttributesRow {
  customerId: string;
  values: Record<string, CustomerAttributeValue>;
}

export interface CustomerAttributesInput {
  /** Header of column 1; the schema validation maps it to the alias id. */
  idHeader?: string;
  attributes: readonly string[];
  rows: readonly CustomerAttributesRow[];
}

export interface CustomerAttributesFile {
  csv: string;
  rows: number;
  /** Index into input.rows and the reason; never the id or value. */
  rejected: { index: number; reason: string }[];
}

/** Quotes a field per Adobe's rule, or returns undefined when the backslash escape would be ambiguous. */
export function customerAttributeField(value: string): string | undefined {
  if (!/[",\r\n]/.test(value)) return value;
  if (/\\"/.test(value) || value.endsWith('\\')) return undefined;
  return `"${value.replaceAll('"', '\\"')}"`;
}

function headerProblem(name: string): string | undefined {
  if (name.trim() === '') return 'an attribute name is empty';
  if (name.includes('.')) return `attribute name "${name}" contains a period, which Customer Attributes does not allow`;
  if (/[",\r\n]/.test(name)) return `attribute name "${name}" contains a comma, quote or line break`;
  return undefined;
}

function text(v: CustomerAttributeValue): string | { reason: string } {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : { reason: 'a value is not a finite number' };
  return String(v);
}

export function buildCustomerAttributesCsv(input: CustomerAttributesInput): CustomerAttributesFile {
  const idHeader = input.idHeader ?? 'customer_id';
  if (input.attributes.length === 0) throw new RangeError('Customer Attributes needs at least one attribute column');
  if (input.attributes.length > CUSTOMER_ATTRIBUTES_MAX_ATTRIBUTES) {
    throw new RangeError(`${input.attributes.length} attributes declared; Customer Attributes takes at most ${CUSTOMER_ATTRIBUTES_MAX_ATTRIBUTES}. Drop some from the mapping`);
  }
  for (const name of [idHeader, ...input.attributes]) {
    const p = headerProblem(name);
    if (p) throw new RangeError(`${p}; fix the destination mapping`);
  }
  const names = new Set([idHeader, ...input.attributes]);
  if (names.size !== input.attributes.length + 1) throw new RangeError('Customer Attributes column names repeat; fix the destination mapping');

  const lines = [[idHeader, ...input.attributes].join(',')];
  const rejected: CustomerAttributesFile['rejected'] = [];
  const seen = new Set<string>();
  input.rows.forEach((row, index) => {
    if (row.customerId.trim() === '') return void rejected.push({ index, reason: 'customer id is empty' });
    if (seen.has(row.customerId)) return void rejected.push({ index, reason: 'customer id repeats in this file; column 1 must be unique' });
    const undeclared = Object.keys(row.values).find((k) => !names.has(k) || k === idHeader);
    if (undeclared !== undefined) return void rejected.push({ index, reason: `attribute "${undeclared}" is not a declared column` });
    const fields: string[] = [];
    for (const raw of [row.customerId, ...input.attributes.map((a) => row.values[a])]) {
      const t = text(raw);
      if (typeof t !== 'string') return void rejected.push({ index, reason: t.reason });
      const f = customerAttributeField(t);
      if (f === undefined) {
        return void rejected.push({ index, reason: `${fields.length === 0 ? 'customer id' : `attribute "${input.attributes[fields.length - 1]}"`} has a backslash before a quote or at its end, which Adobe's \\" escaping cannot carry` });
      }
      fields.push(f);
    }
    seen.add(row.customerId);
    lines.push(fields.join(','));
  });
  return { csv: `${lines.join('\n')}\n`, rows: lines.length - 1, rejected };
}
