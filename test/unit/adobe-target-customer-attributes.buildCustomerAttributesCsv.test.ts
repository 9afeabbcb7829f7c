import { describe, expect, it } from 'vitest';
import { CUSTOMER_ATTRIBUTES_MAX_ATTRIBUTES, buildCustomerAttributesCsv } from '../../activities/destinations/adobe-target-customer-attributes.ts';

/** Reads a file the way Adobe's rule describes: quoted fields may hold , " and line breaks; \" is a quote. */
function parseAdobeCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '\\' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}

describe('buildCustomerAttributesCsv', () => {
  it('puts the customer id in column 1 and quotes commas, quotes and newlines with \\" escaping', () => {
    const f = buildCustomerAttributesCsv({
      attributes: ['segment', 'score', 'note'],
      rows: [
        { customerId: 'C-1', values: { segment: 'high_intent', score: 0.82, note: 'said "hi", then\nleft' } },
        { customerId: 'C-2', values: { segment: 'Ärger', score: null } },
      ],
    });
    expect(f.rows).toBe(2);
    expect(f.rejected).toEqual([]);
    expect(f.csv).toContain('"said \\"hi\\", then\nleft"');
    expect(f.csv).not.toContain('""');
    expect(parseAdobeCsv(f.csv)).toEqual([
      ['customer_id', 'segment', 'score', 'note'],
      ['C-1', 'high_intent', '0.82', 'said "hi", then\nleft'],
      ['C-2', 'Ärger', '', ''],
    ]);
    expect(Buffer.from(f.csv, 'utf8').toString('utf8')).toBe(f.csv);
  });

  it('refuses attribute names with a period, and more than 200 attributes', () => {
    expect(() => buildCustomerAttributesCsv({ attributes: ['score.value'], rows: [] })).toThrow(/period/);
    const many = Array.from({ length: CUSTOMER_ATTRIBUTES_MAX_ATTRIBUTES + 1 }, (_, i) => `a${i}`);
    expect(() => buildCustomerAttributesCsv({ attributes: many, rows: [] })).toThrow(/at most 200/);
    expect(buildCustomerAttributesCsv({ attributes: many.slice(0, 200), rows: [] }).csv.split(',')).toHaveLength(201);
  });

  it('rejects per row: empty or repeated ids, undeclared attributes, and backslashes the escape cannot carry', () => {
    const f = buildCustomerAttributesCsv({
      attributes: ['note'],
      rows: [
        { customerId: 'C-1', values: { note: 'ok \\ plain' } },
        { customerId: '', values: { note: 'x' } },
        { customerId: 'C-1', values: { note: 'dup' } },
        { customerId: 'C-3', values: { other: 'x' } },
        { customerId: 'C-4', values: { note: 'ends with, \\' } },
        { customerId: 'C-5', values: { note: 'a \\"b' } },
      ],
    });
    expect(f.rows).toBe(1);
    expect(parseAdobeCsv(f.csv)[1]).toEqual(['C-1', 'ok \\ plain']);
    expect(f.rejected.map((r) => r.index)).toEqual([1, 2, 3, 4, 5]);
    expect(f.rejected[0]!.reason).toMatch(/empty/);
    expect(f.rejected[1]!.reason).toMatch(/unique/);
    expect(f.rejected[2]!.reason).toMatch(/not a declared column/);
    expect(f.rejected[3]!.reason).toMatch(/backslash/);
    expect(f.rejected[4]!.reason).toMatch(/backslash/);
  });
});
