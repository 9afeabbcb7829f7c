/**
 * Writes a delivery manifest `<rsid>_<date>.txt` exactly as Adobe lays it out (header section,
 * then one Lookup-File and one Data-File section per file, no newline after the last line), and
 * writes it last and atomically (temporary name, then rename), so a folder watcher never sees a
 * manifest before its files are complete.
 */
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ManifestEntry {
  name: string;
  md5: string;
  size: number;
}

export function formatManifest(lookups: readonly ManifestEntry[], data: readonly (ManifestEntry & { records: number })[]): string {
  const total = data.reduce((s, f) => s + f.records, 0);
  const sections = [
    `Datafeed-Manifest-Version: 1.0\nLookup-Files: ${lookups.length}\nData-Files: ${data.length}\nTotal-Records: ${total}`,
    ...lookups.map((f) => `Lookup-File: ${f.name}\nMD5-Digest: ${f.md5}\nFile-Size: ${f.size}`),
    ...data.map((f) => `Data-File: ${f.name}\nMD5-Digest: ${f.md5}\nFile-Size: ${f.size}\nRecord-Count: ${f.records}`),
  ];
  return sections.join('\n\n');
}

export async function writeManifest(dir: string, name: string, text: string): Promise<void> {
  const tmp = join(dir, `.${name}.partial`);
  await writeFile(tmp, text, 'latin1');
  await rename(tmp, join(dir, name));
}
