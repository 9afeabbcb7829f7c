/**
 * Copies one generated delivery into another folder with some visitors changed, as a later Adobe
 * delivery would carry them: their hits dropped (the visitor did not come back), or their consent
 * column (post_evar5 and evar5) replaced (the visitor revoked a purpose). Column positions come
 * from the delivery's own column_headers.tsv; the data file is re-escaped, gzipped and listed in a
 * new manifest with its MD5, size and record count, so ingest verifies it like any delivery.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { escapeHitField } from '../../tools/feed-generator/hit-data-escape.ts';
import { formatManifest } from '../../tools/feed-generator/manifest-writer.ts';
import { md5, readDataFile, readManifest, readTarEntries, size } from './generated-feed-reader.ts';

export interface DeliveryRewrite {
  /** Folder and manifest file name of the source delivery. */
  from: string;
  manifest: string;
  to: string;
  /** Visitors ("<high>_<low>") whose hits are left out. */
  drop?: ReadonlySet<string>;
  /** Visitor → the consent string its hits carry instead (e.g. "analytics"). */
  consent?: ReadonlyMap<string, string>;
  /** gzip level of the data files: the same hits at another level are other bytes, so the day counts as delivered again. */
  gzipLevel?: number;
}

export async function rewriteDelivery(r: DeliveryRewrite): Promise<{ records: number; dropped: number; changed: number }> {
  mkdirSync(r.to, { recursive: true });
  const manifest = readManifest(readFileSync(join(r.from, r.manifest), 'latin1'));
  const lookup = manifest.lookups[0]!;
  const headers = (await readTarEntries(join(r.from, lookup.name))).get('column_headers.tsv');
  if (!headers) throw new Error(`${lookup.name} has no column_headers.tsv`);
  const columns = headers.toString('latin1').trim().split('\t');
  const at = (name: string) => {
    const i = columns.indexOf(name);
    if (i < 0) throw new Error(`column_headers.tsv has no ${name}`);
    return i;
  };
  const high = at('post_visid_high');
  const low = at('post_visid_low');
  const postConsent = at('post_evar5');
  const consentAsSent = at('evar5');

  copyFileSync(join(r.from, lookup.name), join(r.to, lookup.name));
  const data: { name: string; md5: string; size: number; records: number }[] = [];
  let dropped = 0;
  let changed = 0;
  for (const f of manifest.data) {
    const { records } = readDataFile(r.from, f.name);
    const kept: string[] = [];
    for (const rec of records) {
      const visitor = `${rec[high]}_${rec[low]}`;
      if (r.drop?.has(visitor)) {
        dropped++;
        continue;
      }
      const consent = r.consent?.get(visitor);
      if (consent !== undefined) {
        rec[postConsent] = consent;
        if (rec[consentAsSent] !== '') rec[consentAsSent] = consent;
        changed++;
      }
      kept.push(`${rec.map(escapeHitField).join('\t')}\n`);
    }
    const path = join(r.to, f.name);
    writeFileSync(path, gzipSync(Buffer.from(kept.join(''), 'latin1'), r.gzipLevel === undefined ? {} : { level: r.gzipLevel }));
    data.push({ name: f.name, md5: md5(path), size: size(path), records: kept.length });
  }
  writeFileSync(join(r.to, r.manifest), formatManifest([{ name: lookup.name, md5: lookup.md5, size: lookup.size }], data), 'latin1');
  return { records: data.reduce((s, d) => s + d.records, 0), dropped, changed };
}
