import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CsvInputError, csvField, readCsvRecords } from '../../activities/run/csv-line.ts';

const dir = mkdtempSync(join(tmpdir(), 'csv-line-'));

async function records(name: string, text: string): Promise<{ lineNo: number; fields: string[] }[]> {
  const path = join(dir, name);
  writeFileSync(path, text);
  const out: { lineNo: number; fields: string[] }[] = [];
  for await (const r of readCsvRecords(path)) out.push(r);
  return out;
}

describe('readCsvRecords', () => {
  it('keeps a quoted newline inside its field, so the records after it keep their columns', async () => {
    const rows = await records('crm.csv', 'customer_id,first_name,zip\nC1,"Anne\nMarie",10115\nC2,Bob,20095\n');
    expect(rows.map((r) => r.fields)).toEqual([
      ['customer_id', 'first_name', 'zip'],
      ['C1', 'Anne\nMarie', '10115'],
      ['C2', 'Bob', '20095'],
    ]);
    expect(rows.map((r) => r.lineNo)).toEqual([1, 3, 4]);
  });

  it('reads "" escapes, CRLF line ends and a byte-order mark, and skips blank lines', async () => {
    const rows = await records('bom.csv', '\uFEFFentity_id,note\r\nv1,"say ""hi"", then go"\r\n\r\nv2,plain\r\n');
    expect(rows.map((r) => r.fields)).toEqual([
      ['entity_id', 'note'],
      ['v1', 'say "hi", then go'],
      ['v2', 'plain'],
    ]);
  });

  it('names the file and line of an unterminated quote and says what to do', async () => {
    const path = join(dir, 'broken.csv');
    const read = records('broken.csv', 'a,b\n1,2\n3,"never closed\n');
    await expect(read).rejects.toBeInstanceOf(CsvInputError);
    await expect(records('broken.csv', 'a,b\n1,2\n3,"never closed\n')).rejects.toThrow(new RegExp(`^${path.replaceAll('.', '\\.')}: not valid CSV .*Quote fields that hold`));
  });

  it('writes fields that round-trip through the reader', async () => {
    const values = ['plain', 'with,comma', 'with "quote"', 'two\nlines'];
    const rows = await records('round.csv', `${values.map(csvField).join(',')}\n`);
    expect(rows[0]!.fields).toEqual(values);
  });
});
