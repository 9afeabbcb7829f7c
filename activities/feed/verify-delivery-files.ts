/**
 * Checks every file a manifest lists against it before anything is loaded: present, File-Size
 * equal, MD5 digest equal. Any difference means a broken or unfinished transfer, so the delivery
 * is rejected as a whole with an InvalidFeedError naming the file.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Manifest, ManifestFile } from './manifest.ts';
import { InvalidFeedError } from './invalid-feed-error.ts';

export async function md5OfFile(path: string): Promise<string> {
  const hash = createHash('md5');
  await pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), hash);
  return hash.digest('hex');
}

export async function verifyFile(dir: string, file: ManifestFile): Promise<void> {
  const path = join(dir, file.name);
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new InvalidFeedError(`${file.name}: listed in the manifest but missing from ${dir}. The delivery is incomplete: re-deliver the file.`, file.name);
    }
    throw err;
  }
  if (size !== file.size) {
    throw new InvalidFeedError(`${file.name}: File-Size mismatch (manifest ${file.size} bytes, file ${size} bytes). The transfer is broken: re-deliver the file.`, file.name);
  }
  const md5 = await md5OfFile(path);
  if (md5 !== file.md5) {
    throw new InvalidFeedError(`${file.name}: MD5 digest mismatch (manifest ${file.md5}, file ${md5}). The transfer is broken: re-deliver the file.`, file.name);
  }
}

/** Verifies the lookup archives and data files of a manifest in parallel; reports the first failure in manifest order. */
export async function verifyDeliveryFiles(dir: string, manifest: Manifest): Promise<void> {
  const results = await Promise.allSettled([...manifest.lookupFiles, ...manifest.dataFiles].map((f) => verifyFile(dir, f)));
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}
