/**
 * Builds the lookup archive `<rsid>_<date>-lookup_data.tar.gz` of the sample feed with the `tar`
 * package (the one tar reader and writer of the project): entries in alphabetical order, portable
 * headers (no owner, device or access times), every mtime the next day 04:00 UTC like Adobe's
 * nightly packing, mode 0644, gzipped at a fixed level — so the same date always gives the same bytes.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { c as createTar } from 'tar';
import { lookupFiles } from './generated-lookups.ts';

export async function lookupArchiveBytes(date: string): Promise<Buffer> {
  const mtime = new Date(Date.parse(`${date}T00:00:00Z`) + (86400 + 4 * 3600) * 1000);
  const files = lookupFiles().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const staging = await mkdtemp(join(tmpdir(), 'scoreflow-lookups-'));
  try {
    for (const f of files) {
      const path = join(staging, f.name);
      await writeFile(path, f.content);
      await chmod(path, 0o644); // not the umask's choice
    }
    const chunks: Buffer[] = [];
    for await (const chunk of createTar({ cwd: staging, portable: true, mtime, noDirRecurse: true }, files.map((f) => f.name))) {
      chunks.push(chunk as Buffer);
    }
    return gzipSync(Buffer.concat(chunks), { level: 9 });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

export async function writeLookupArchive(dir: string, name: string, date: string): Promise<{ name: string; md5: string; size: number }> {
  const bytes = await lookupArchiveBytes(date);
  await writeFile(join(dir, name), bytes);
  return { name, md5: createHash('md5').update(bytes).digest('hex'), size: bytes.length };
}
