/**
 * Reads the lookups a delivery needs from its lookup archive(s): `column_headers.tsv` (the column
 * order of hit_data) and `event.tsv` (event ids to names). Only those two entries are kept in
 * memory; the rest of the archive (browser.tsv and friends, megabytes) is streamed past.
 * A missing required lookup rejects the delivery.
 */
import { open } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { t as listTar } from 'tar';
import type { Manifest } from './manifest.ts';
import { InvalidFeedError } from './invalid-feed-error.ts';
import { parseColumnHeaders, parseLookupTable } from './lookup-tables.ts';

export interface DeliveryLookups {
  columns: string[];
  /** Event id (as delivered, a string) → event name. */
  events: Map<string, string>;
}

const REQUIRED = ['column_headers.tsv', 'event.tsv'] as const;

/**
 * Rejects an archive that is not gzip before tar reads it: tar would take other bytes as an
 * uncompressed archive with no entries, and the delivery would be reported as missing
 * column_headers.tsv instead of having a broken archive.
 */
async function requireGzip(path: string, name: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    if (bytesRead < 2 || head[0] !== 0x1f || head[1] !== 0x8b) {
      const what = bytesRead === 0 ? 'it is empty' : `it starts with bytes ${head.subarray(0, bytesRead).toString('hex')}, not the gzip signature 1f8b`;
      throw new InvalidFeedError(`${name}: the lookup archive is not gzip (${what}); a lookup archive is a tar.gz. Re-deliver the lookup archive.`, name);
    }
  } finally {
    await fh.close();
  }
}

async function readEntries(archive: string, wanted: ReadonlySet<string>): Promise<{ found: Map<string, Buffer>; entries: number }> {
  const found = new Map<string, Buffer>();
  let entries = 0;
  await listTar({
    file: archive,
    onReadEntry: (entry) => {
      entries++;
      const base = posix.basename(entry.path);
      if (!wanted.has(base) || found.has(base)) {
        entry.resume();
        return;
      }
      const parts: Buffer[] = [];
      entry.on('data', (c: Buffer) => parts.push(c));
      entry.on('end', () => found.set(base, Buffer.concat(parts)));
    },
  });
  return { found, entries };
}

export async function readLookups(dir: string, manifest: Manifest, manifestFile: string): Promise<DeliveryLookups> {
  if (manifest.lookupFiles.length === 0) {
    throw new InvalidFeedError(
      `${manifestFile}: the manifest lists no lookup archive, so column_headers.tsv and event.tsv are missing. Without them the hit_data columns are unknown: re-deliver the day with its lookup_data archive.`,
      manifestFile,
    );
  }
  const found = new Map<string, { archive: string; bytes: Buffer }>();
  for (const f of manifest.lookupFiles) {
    const wanted = new Set(REQUIRED.filter((n) => !found.has(n)));
    if (wanted.size === 0) break;
    let entries: Map<string, Buffer>;
    await requireGzip(join(dir, f.name), f.name);
    try {
      const read = await readEntries(join(dir, f.name), wanted);
      if (read.entries === 0) throw new Error('the gzip holds no tar entries');
      entries = read.found;
    } catch (err) {
      throw new InvalidFeedError(`${f.name}: the lookup archive cannot be read as tar.gz (${(err as Error).message}). Re-deliver the lookup archive.`, f.name);
    }
    for (const [name, bytes] of entries) found.set(name, { archive: f.name, bytes });
  }
  const archives = manifest.lookupFiles.map((f) => f.name).join(', ');
  for (const name of REQUIRED) {
    if (!found.has(name)) {
      throw new InvalidFeedError(`${archives}: required lookup ${name} is missing from the lookup archive. Re-deliver the day with a complete lookup_data archive.`, manifest.lookupFiles[0]?.name);
    }
  }
  const headers = found.get('column_headers.tsv')!;
  let columns: string[];
  try {
    columns = parseColumnHeaders(headers.bytes.toString('latin1'));
  } catch (err) {
    throw new InvalidFeedError(`${headers.archive}: ${(err as Error).message}. Re-deliver the lookup archive.`, headers.archive);
  }
  if (columns.length === 0 || columns.some((c) => c === '')) {
    throw new InvalidFeedError(`${headers.archive}: column_headers.tsv has an empty column name. Re-deliver the lookup archive.`, headers.archive);
  }
  const dup = columns.find((c, i) => columns.indexOf(c) !== i);
  if (dup) throw new InvalidFeedError(`${headers.archive}: column_headers.tsv names column ${dup} twice. Re-deliver the lookup archive.`, headers.archive);
  const events = parseLookupTable(found.get('event.tsv')!.bytes.toString('latin1'));
  return { columns, events };
}
