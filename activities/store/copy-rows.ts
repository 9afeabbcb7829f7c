/**
 * COPY ... FROM STDIN in text format for bulk writes (pg-copy-streams), with the text-format escaping
 * of tabs, newlines, carriage returns and backslashes, and \N for NULL.
 */
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';

export type CopyValue = string | number | boolean | null | undefined | Date | string[] | number[] | object;

function escapeText(s: string): string {
  return s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

function arrayLiteral(values: (string | number)[]): string {
  return `{${values.map((v) => (typeof v === 'number' ? String(v) : `"${String(v).replace(/["\\]/g, (c) => `\\${c}`)}"`)).join(',')}}`;
}

export function copyField(v: CopyValue): string {
  if (v === null || v === undefined) return '\\N';
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return escapeText(arrayLiteral(v));
  if (typeof v === 'object') return escapeText(JSON.stringify(v));
  if (typeof v === 'boolean') return v ? 't' : 'f';
  return escapeText(String(v));
}

export async function copyRows(client: pg.PoolClient | pg.Client, table: string, columns: string[], rows: Iterable<CopyValue[]>): Promise<number> {
  let n = 0;
  const source = Readable.from(
    (function* () {
      let buf = '';
      for (const r of rows) {
        buf += `${r.map(copyField).join('\t')}\n`;
        n++;
        if (buf.length > 1 << 16) {
          yield buf;
          buf = '';
        }
      }
      if (buf) yield buf;
    })(),
  );
  const sink = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  await pipeline(source, sink);
  return n;
}
