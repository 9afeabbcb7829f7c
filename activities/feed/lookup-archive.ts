/**
 * Builds the lookup archive `<rsid>_<date>-lookup_data.tar.gz` of the sample feed: a deterministic
 * ustar (entries in alphabetical order, mtime the next day 04:00 UTC like Adobe's nightly packing,
 * fixed owner and mode) gzipped at a fixed level, so the same date always gives the same bytes.
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { lookupFiles } from './generated-lookups.ts';
import { buildUstar } from './ustar-archive.ts';

export function lookupArchiveBytes(date: string): Buffer {
  const mtime = Date.parse(`${date}T00:00:00Z`) / 1000 + 86400 + 4 * 3600;
  const tar = buildUstar(lookupFiles(), { mtime, mode: 0o644, uid: 1000, gid: 1000, uname: 'datafeed', gname: 'datafeed' });
  return gzipSync(tar, { level: 9 });
}

export async function writeLookupArchive(dir: string, name: string, date: string): Promise<{ name: string; md5: string; size: number }> {
  const bytes = lookupArchiveBytes(date);
  await writeFile(join(dir, name), bytes);
  return { name, md5: createHash('md5').update(bytes).digest('hex'), size: bytes.length };
}
