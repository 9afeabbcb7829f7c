/**
 * Runs the feed cases of the bad-input corpus (feed.cases.ts) through ingestDirectory, the entry
 * point of `scoreflow ingest`, in this process. Per case: the delivery is rejected (or reported as
 * waiting for its manifest), the message starts with the file and carries the reason, the rejection
 * is in feed_rejection, and no row of the delivery is in feed_delivery, feed_hit, feed_product or
 * feed_quarantine. Then the encoding cases: invalid UTF-8 is counted and flagged, never mojibake.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { closePools, getPool } from '../../activities/store/db.ts';
import { ingestDirectory } from '../../activities/feed/ingest-delivery.ts';
import { hit, tmpDir, writeDelivery } from '../helpers/adobe-feed-delivery.ts';
import { FEED_CASES, removeCaseDir } from './feed.cases.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) removeCaseDir(d);
  await closePools();
});

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Rows the delivery has in every feed table. */
async function leftovers(deliveryId: string): Promise<Record<string, number>> {
  const { rows } = await getPool().query<Record<string, number>>(
    `SELECT (SELECT count(*)::int FROM feed_delivery WHERE delivery_id = $1) AS deliveries,
            (SELECT count(*)::int FROM feed_hit WHERE delivery_id = $1) AS hits,
            (SELECT count(*)::int FROM feed_product WHERE delivery_id = $1) AS products,
            (SELECT count(*)::int FROM feed_quarantine WHERE delivery_id = $1) AS quarantined`,
    [deliveryId],
  );
  return rows[0]!;
}

const NOTHING = { deliveries: 0, hits: 0, products: 0, quarantined: 0 };

describe(`bad-input corpus: feeds, manifests and lookups (${FEED_CASES.length} cases)`, () => {
  it.each(FEED_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const dir = tmpDir('scoreflow-corpus-');
    dirs.push(dir);
    const rsid = `cf${randomBytes(4).toString('hex')}`;
    const d = await c.build({ dir, rsid });
    const out = await ingestDirectory(dir, c.options ?? {});
    const file = c.file({ ...d, rsid });
    expect(out.results).toEqual([]);
    if (c.outcome === 'withoutManifest') {
      expect(out.rejected).toEqual([]);
      expect(out.withoutManifest).toHaveLength(1);
      expect(out.withoutManifest[0]!.manifestFile).toBe(file);
      const { withoutManifestMessage } = await import('../../cli/commands/ingest.ts');
      expect(withoutManifestMessage(dir, out.withoutManifest[0]!)).toMatch(new RegExp(`^${escapeRe(file)}: ${c.reason.source}`));
    } else {
      expect(out.rejected).toHaveLength(1);
      expect(out.rejected[0]!.manifestFile).toBe(d.manifestFile);
      expect(out.rejected[0]!.reason).toMatch(new RegExp(`^${escapeRe(file)}:? ${c.reason.source}`));
      // The rejection is kept with its reason and file (quarantine of the delivery as a whole).
      const rej = await getPool().query('SELECT file_name, reason FROM feed_rejection WHERE delivery_id = $1', [d.deliveryId]);
      expect(rej.rows).toEqual([{ file_name: file, reason: out.rejected[0]!.reason }]);
    }
    expect(await leftovers(d.deliveryId)).toEqual(NOTHING);
  });
});

describe('bad-input corpus: feed encoding (invalid UTF-8 is counted and flagged, never stored as mojibake)', () => {
  const utf8 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');

  async function deliver(pagenames: string[], extra: Record<string, string> = {}) {
    const dir = tmpDir('scoreflow-corpus-enc-');
    dirs.push(dir);
    const d = await writeDelivery({ dir, rsid: `ce${randomBytes(4).toString('hex')}`, files: [{ rows: pagenames.map((p, i) => hit({ post_pagename: p, visit_page_num: String(i + 1), ...extra })) }] });
    return d;
  }
  const stored = async (deliveryId: string) =>
    (await getPool().query<{ pagename: string }>('SELECT pagename FROM feed_hit WHERE delivery_id = $1 ORDER BY record_no', [deliveryId])).rows.map((r) => r.pagename);
  const flags = async (deliveryId: string) =>
    (await getPool().query('SELECT encoding, replaced_bytes::int AS bytes, replaced_records AS records, first_replacement AS first FROM feed_delivery WHERE delivery_id = $1', [deliveryId])).rows[0];

  it('utf-8 delivery (auto): valid UTF-8 is stored as written; an invalid byte becomes U+FFFD and is counted with file, record and column', async () => {
    // The test helper writes strings byte for byte (latin1), so utf8() gives the UTF-8 bytes.
    const d = await deliver([utf8('Zürich'), utf8('Köln'), `bad\xff${utf8('ü')}`, 'plain']);
    const out = await ingestDirectory(d.dir, {});
    expect(out.rejected).toEqual([]);
    expect(out.results[0]).toMatchObject({ loaded: 4, quarantined: 0, encoding: 'utf-8', replacedBytes: 1, replacedRecords: 1, firstReplacement: `${d.dataFiles[0]} record 3 column post_pagename` });
    expect(await stored(d.deliveryId)).toEqual(['Zürich', 'Köln', 'bad\uFFFDü', 'plain']);
    expect(await flags(d.deliveryId)).toEqual({ encoding: 'utf-8', bytes: 1, records: 1, first: `${d.dataFiles[0]} record 3 column post_pagename` });
  });

  it('iso-8859-1 delivery (auto): every byte is its character, nothing replaced', async () => {
    const d = await deliver(['Zürich', 'Köln', 'Málaga']);
    const out = await ingestDirectory(d.dir, {});
    expect(out.results[0]).toMatchObject({ encoding: 'iso-8859-1', replacedBytes: 0, replacedRecords: 0 });
    expect(await stored(d.deliveryId)).toEqual(['Zürich', 'Köln', 'Málaga']);
  });

  it('encoding utf-8 forced on an ISO-8859-1 delivery: each byte that is no UTF-8 is replaced and counted, also in product names', async () => {
    const d = await deliver(['Zürich', 'Köln'], { post_event_list: '1', post_product_list: 'Café;Crème brûlée;1;3.50' });
    const out = await ingestDirectory(d.dir, { encoding: 'utf-8' });
    // Per record: the pagename's ü or ö, é of the category, è, û and é of the product: 5 bytes, 10 in all.
    expect(out.results[0]).toMatchObject({ encoding: 'utf-8', replacedBytes: 10, replacedRecords: 2, firstReplacement: `${d.dataFiles[0]} record 1 column post_pagename` });
    expect(await stored(d.deliveryId)).toEqual(['Z\uFFFDrich', 'K\uFFFDln']);
    const p = await getPool().query('SELECT category, product FROM feed_product WHERE delivery_id = $1 ORDER BY record_no', [d.deliveryId]);
    expect(p.rows[0]).toEqual({ category: 'Caf\uFFFD', product: 'Cr\uFFFDme br\uFFFDl\uFFFDe' });
  });

  it('encoding iso-8859-1 forced on a UTF-8 delivery reads bytes as characters (the operator chose it), counted as 0 replaced', async () => {
    const d = await deliver([utf8('Zürich')]);
    const out = await ingestDirectory(d.dir, { encoding: 'iso-8859-1' });
    expect(out.results[0]).toMatchObject({ encoding: 'iso-8859-1', replacedBytes: 0 });
    expect(await stored(d.deliveryId)).toEqual(['ZÃ¼rich']);
  });

  it('an unknown encoding option is refused naming the option and the allowed values', async () => {
    await expect(ingestDirectory(tmpDir(), { encoding: 'latin9' as never })).rejects.toThrow(/encoding[\s\S]*(auto|utf-8|iso-8859-1)/);
  });
});
