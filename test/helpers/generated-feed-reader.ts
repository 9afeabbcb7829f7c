/**
 * A small reader of generated deliveries, written independently of activities/feed (no shared
 * code with the generator or the ingest parser), for the generator's tests: manifest `Key: Value`
 * sections, hit data honouring the backslash layer, tar entries, simple CSV.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { t as listTar } from 'tar';

export interface ReadManifest {
  header: Record<string, string>;
  lookups: { name: string; md5: string; size: number }[];
  data: { name: string; md5: string; size: number; records: number }[];
}

export function readManifest(text: string): ReadManifest {
  const sections = text.split(/\n\s*\n/).map((block) =>
    Object.fromEntries(
      block
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => {
          const c = l.indexOf(':');
          return [l.slice(0, c).trim(), l.slice(c + 1).trim()];
        }),
    ),
  ) as Record<string, string>[];
  const [header, ...rest] = sections;
  return {
    header: header!,
    lookups: rest.filter((s) => 'Lookup-File' in s).map((s) => ({ name: s['Lookup-File']!, md5: s['MD5-Digest']!, size: Number(s['File-Size']) })),
    data: rest
      .filter((s) => 'Data-File' in s)
      .map((s) => ({ name: s['Data-File']!, md5: s['MD5-Digest']!, size: Number(s['File-Size']), records: Number(s['Record-Count']) })),
  };
}

/**
 * Records of raw (uncompressed) hit data: a backslash makes the next byte literal, an unescaped tab
 * ends a field, an unescaped LF ends a record. Bytes are ISO-8859-1.
 */
export function readHitRecords(bytes: Buffer): string[][] {
  const records: string[][] = [];
  let fields: string[] = [];
  let field: number[] = [];
  const endField = () => {
    fields.push(Buffer.from(field).toString('latin1'));
    field = [];
  };
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x5c && i + 1 < bytes.length) {
      field.push(bytes[++i]!);
    } else if (b === 0x09) endField();
    else if (b === 0x0a) {
      endField();
      records.push(fields);
      fields = [];
    } else field.push(b);
  }
  if (field.length || fields.length) {
    endField();
    records.push(fields);
  }
  return records;
}

export const md5 = (path: string): string => createHash('md5').update(readFileSync(path)).digest('hex');
export const size = (path: string): number => statSync(path).size;

export function readDataFile(dir: string, name: string): { raw: Buffer; records: string[][] } {
  const raw = gunzipSync(readFileSync(join(dir, name)));
  return { raw, records: readHitRecords(raw) };
}

export async function readTarEntries(path: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  await listTar({
    file: path,
    onReadEntry: (entry) => {
      const parts: Buffer[] = [];
      entry.on('data', (c: Buffer) => parts.push(c));
      entry.on('end', () => out.set(entry.path, Buffer.concat(parts)));
    },
  });
  return out;
}

/** Splits a CSV line with "" quoting (no embedded newlines). */
export function csvSplit(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (q) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') q = false;
      else cur += c;
    } else if (c === '"') q = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

export function readCsv(path: string): Record<string, string>[] {
  const [head, ...lines] = readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');
  const cols = csvSplit(head!);
  return lines.map((l) => {
    const f = csvSplit(l);
    return Object.fromEntries(cols.map((c, i) => [c, f[i] ?? '']));
  });
}

/** All hit records of every data file of a generated folder's delivery, as column → value objects. */
export function hitsAsObjects(columns: string[], records: string[][]): Record<string, string>[] {
  return records.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i] ?? ''])));
}
