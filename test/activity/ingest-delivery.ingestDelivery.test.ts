import { afterAll, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getPool } from '../../activities/store/db.ts';
import { ingestDelivery, InvalidFeedError } from '../../activities/feed/ingest-delivery.ts';
import {
  BASE_COLUMNS,
  FIXTURE_DATA,
  FIXTURE_MANIFEST,
  copyFixture,
  hit,
  hitLine,
  tmpDir,
  writeDelivery,
  type Row,
} from '../helpers/adobe-feed-delivery.ts';
import { fixtureRecipes } from '../helpers/fixture-recipes.ts';

const dirs: string[] = [];
/** Delivery ids are unique per run: the test database outlives runs. */
const RUN = Date.now().toString(36);
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The fixture under a delivery id of its own (the manifest name is the id), so suites never collide. */
function fixtureAs(rsid: string): { dir: string; manifestFile: string; deliveryId: string } {
  const dir = copyFixture();
  dirs.push(dir);
  const id = `${rsid}${RUN}`;
  const manifestFile = `${id}_2015-07-13.txt`;
  renameSync(join(dir, FIXTURE_MANIFEST), join(dir, manifestFile));
  return { dir, manifestFile, deliveryId: `${id}_2015-07-13` };
}

/** Rows a delivery has in every feed table, and a digest of their content. */
async function snapshot(deliveryId: string) {
  const { rows } = await getPool().query<{ hits: number; products: number; quarantined: number; deliveries: number; digest: string | null; delivery: string | null }>(
    `SELECT (SELECT count(*)::int FROM feed_hit WHERE delivery_id = $1) AS hits,
            (SELECT count(*)::int FROM feed_product WHERE delivery_id = $1) AS products,
            (SELECT count(*)::int FROM feed_quarantine WHERE delivery_id = $1) AS quarantined,
            (SELECT count(*)::int FROM feed_delivery WHERE delivery_id = $1) AS deliveries,
            (SELECT md5(string_agg(h::text, '|' ORDER BY file_name, record_no)) FROM feed_hit h WHERE delivery_id = $1) AS digest,
            (SELECT md5(row(records, loaded, excluded, quarantined, visitors, visits, page_views, orders, units, revenue, manifest_md5)::text) FROM feed_delivery WHERE delivery_id = $1) AS delivery`,
    [deliveryId],
  );
  return rows[0]!;
}

async function rejectionOf(err: unknown) {
  expect(err).toBeInstanceOf(InvalidFeedError);
  const e = err as InvalidFeedError;
  expect(e.name).toBe('InvalidFeed');
  return e;
}

async function ingestRejected(input: Parameters<typeof ingestDelivery>[0]): Promise<InvalidFeedError> {
  try {
    await ingestDelivery(input);
  } catch (err) {
    return rejectionOf(err);
  }
  throw new Error('expected the delivery to be rejected');
}

describe('ingestDelivery on the real fixture (zwitchdev, 294 columns)', () => {
  it("loads 592 records whose visitors, visits and page views equal Adobe's recipes computed independently", async () => {
    const expected = await fixtureRecipes();
    expect(expected.records).toBe(592);
    expect(expected.columns).toBe(294);
    expect(expected.allFieldCountsRight).toBe(true);
    const f = fixtureAs('zwfix');
    const result = await ingestDelivery({ dir: f.dir, manifestFile: f.manifestFile });
    expect(result).toEqual({
      deliveryId: f.deliveryId,
      records: 592,
      loaded: 592,
      excluded: 0,
      quarantined: 0,
      exclusions: {},
      visitors: expected.visitors,
      visits: expected.visits,
      pageViews: expected.pageViews,
      orders: expected.purchases,
      units: 0,
      revenue: 0,
      // All ASCII: reads the same in both encodings, reported as UTF-8; nothing replaced.
      encoding: 'utf-8',
      replacedBytes: 0,
      replacedRecords: 0,
    });
    // The stored rows give the same figures in SQL.
    const { rows } = await getPool().query(
      `SELECT count(*)::int AS hits, count(DISTINCT visitor_id)::int AS visitors,
              count(DISTINCT (visitor_id, visit_num, visit_start_time_gmt))::int AS visits,
              count(*) FILTER (WHERE is_page_view)::int AS page_views, min(hit_time_gmt)::bigint AS min_time,
              count(DISTINCT record_no)::int AS record_nos, min(record_no) AS first, max(record_no) AS last
       FROM feed_hit WHERE delivery_id = $1`,
      [f.deliveryId],
    );
    expect(rows[0]).toEqual({ hits: 592, visitors: expected.visitors, visits: expected.visits, page_views: expected.pageViews, min_time: expected.minTime, record_nos: 592, first: 1, last: 592 });
    const d = await getPool().query('SELECT rsid, feed_date, status, records, loaded, excluded, quarantined, visitors, visits, page_views, array_length(columns, 1) AS ncols, extract(epoch FROM min_hit_time)::bigint AS min_hit FROM feed_delivery WHERE delivery_id = $1', [f.deliveryId]);
    expect(d.rows[0]).toMatchObject({ rsid: `zwfix${RUN}`, feed_date: '2015-07-13', status: 'loaded', records: 592, loaded: 592, excluded: 0, quarantined: 0, visitors: expected.visitors, visits: expected.visits, page_views: expected.pageViews, ncols: 294, min_hit: expected.minTime });
  });

  it('is idempotent: ingesting the same delivery twice gives the same counts and the same rows, no duplicates', async () => {
    const f = fixtureAs('zwidem');
    const first = await ingestDelivery({ dir: f.dir, manifestFile: f.manifestFile });
    const before = await snapshot(f.deliveryId);
    const second = await ingestDelivery({ dir: f.dir, manifestFile: f.manifestFile });
    const after = await snapshot(f.deliveryId);
    expect(second).toEqual(first);
    expect(after).toEqual(before);
    expect(after.hits).toBe(592);
    expect(after.deliveries).toBe(1);
  });

  it('loads the same rows whether parsing runs in a worker thread or in process', async () => {
    const a = fixtureAs('zwworker');
    const b = fixtureAs('zwinproc');
    const ra = await ingestDelivery({ dir: a.dir, manifestFile: a.manifestFile }, { parseInWorker: true });
    const rb = await ingestDelivery({ dir: b.dir, manifestFile: b.manifestFile }, { parseInWorker: false });
    expect({ ...ra, deliveryId: '' }).toEqual({ ...rb, deliveryId: '' });
    const { rows } = await getPool().query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (
         (SELECT file_name, record_no, visitor_id, visit_num, visit_start_time_gmt, visit_page_num, hit_time_gmt, page_event, pagename, page_url, event_ids, is_page_view, is_purchase FROM feed_hit WHERE delivery_id = $1
          EXCEPT SELECT file_name, record_no, visitor_id, visit_num, visit_start_time_gmt, visit_page_num, hit_time_gmt, page_event, pagename, page_url, event_ids, is_page_view, is_purchase FROM feed_hit WHERE delivery_id = $2)) d`,
      [a.deliveryId, b.deliveryId],
    );
    expect(rows[0]!.n).toBe(0);
  });

  it('rejects a data file with one changed byte, naming the file and the digest mismatch, and leaves the DB unchanged', async () => {
    const f = fixtureAs('zwbroken');
    await ingestDelivery({ dir: f.dir, manifestFile: f.manifestFile });
    const before = await snapshot(f.deliveryId);
    const path = join(f.dir, FIXTURE_DATA);
    const bytes = readFileSync(path);
    bytes[40_000] = bytes[40_000]! ^ 0x01;
    writeFileSync(path, bytes);
    const err = await ingestRejected({ dir: f.dir, manifestFile: f.manifestFile });
    expect(err.message).toMatch(/^01-zwitchdev_2015-07-13\.tsv\.gz: MD5 digest mismatch \(manifest 994c3109e0ddbd7c66c360426eaf0cd1, file [0-9a-f]{32}\)\. The transfer is broken: re-deliver the file\.$/);
    expect(err.fileName).toBe(FIXTURE_DATA);
    expect(await snapshot(f.deliveryId)).toEqual(before);
    const rej = await getPool().query('SELECT file_name, reason, source_dir FROM feed_rejection WHERE delivery_id = $1', [f.deliveryId]);
    expect(rej.rows).toEqual([{ file_name: FIXTURE_DATA, reason: err.message, source_dir: f.dir }]);
  });

  it('rejects a truncated data file by its size before reading it', async () => {
    const f = fixtureAs('zwshort');
    const path = join(f.dir, FIXTURE_DATA);
    writeFileSync(path, readFileSync(path).subarray(0, 1000));
    const err = await ingestRejected({ dir: f.dir, manifestFile: f.manifestFile });
    expect(err.message).toBe('01-zwitchdev_2015-07-13.tsv.gz: File-Size mismatch (manifest 75830 bytes, file 1000 bytes). The transfer is broken: re-deliver the file.');
    expect((await snapshot(f.deliveryId)).deliveries).toBe(0);
  });

  it('rejects a delivery whose data file is missing', async () => {
    const f = fixtureAs('zwmissing');
    rmSync(join(f.dir, FIXTURE_DATA));
    const err = await ingestRejected({ dir: f.dir, manifestFile: f.manifestFile });
    expect(err.message).toMatch(/^01-zwitchdev_2015-07-13\.tsv\.gz: listed in the manifest but missing from /);
  });
});

describe('ingestDelivery on built deliveries', () => {
  it('rejects a delivery whose lookup archive lacks column_headers.tsv, and one without event.tsv', async () => {
    for (const omit of ['column_headers.tsv', 'event.tsv'] as const) {
      const d = await writeDelivery({ rsid: `nolookup${omit.length}${RUN}`, files: [{ rows: [hit()] }], omitLookup: omit });
      dirs.push(d.dir);
      const err = await ingestRejected({ dir: d.dir, manifestFile: d.manifestFile });
      expect(err.message).toBe(`${d.lookupFile}: required lookup ${omit} is missing from the lookup archive. Re-deliver the day with a complete lookup_data archive.`);
      expect((await snapshot(d.deliveryId)).deliveries).toBe(0);
      const rej = await getPool().query('SELECT file_name FROM feed_rejection WHERE delivery_id = $1', [d.deliveryId]);
      expect(rej.rows).toEqual([{ file_name: d.lookupFile }]);
    }
  });

  it('quarantines a record with the wrong field count with its file and record number, and loads the rest', async () => {
    const rows = Array.from({ length: 200 }, (_, i) => hit({ post_visid_low: String(1000 + i), visit_page_num: String(i + 1) }));
    const good = rows.map((r) => hitLine(BASE_COLUMNS, r));
    const badLine = `${good[41]!.slice(0, -1)}\tone too many\n`;
    good[41] = badLine;
    const d = await writeDelivery({ rsid: `fieldcount${RUN}`, files: [{ raw: good.join('') }] });
    dirs.push(d.dir);
    const result = await ingestDelivery({ dir: d.dir, manifestFile: d.manifestFile });
    expect(result).toMatchObject({ records: 200, loaded: 199, quarantined: 1, excluded: 0 });
    const q = await getPool().query<{ file_name: string; record_no: number; reason: string; raw: Buffer }>('SELECT file_name, record_no, reason, raw FROM feed_quarantine WHERE delivery_id = $1', [d.deliveryId]);
    expect(q.rows).toHaveLength(1);
    expect(q.rows[0]).toMatchObject({ file_name: d.dataFiles[0], record_no: 42, reason: `has ${BASE_COLUMNS.length + 1} fields, column_headers.tsv has ${BASE_COLUMNS.length}` });
    expect(q.rows[0]!.raw.toString('latin1')).toBe(badLine.slice(0, -1));
    const hits = await getPool().query('SELECT count(*)::int AS n FROM feed_hit WHERE delivery_id = $1 AND record_no = 42', [d.deliveryId]);
    expect(hits.rows[0].n).toBe(0);
  });

  it('rejects the whole delivery when more than maxQuarantineShare of its records are quarantined', async () => {
    const lines = Array.from({ length: 100 }, (_, i) => hitLine(BASE_COLUMNS, hit({ post_visid_low: String(i) })));
    for (const i of [9, 19, 29]) lines[i] = 'short\trecord\n';
    const d = await writeDelivery({ rsid: `tooquarantined${RUN}`, files: [{ raw: lines.join('') }] });
    dirs.push(d.dir);
    const err = await ingestRejected({ dir: d.dir, manifestFile: d.manifestFile });
    expect(err.message).toMatch(new RegExp(`^${d.dataFiles[0]!.replace(/\./g, '\\.')}: at least 2 of 100 records quarantined \\(≥ 2%\\), above maxQuarantineShare 1%\\. First: ${d.dataFiles[0]!.replace(/\./g, '\\.')} record 10: has 2 fields`));
    expect(await snapshot(d.deliveryId)).toMatchObject({ hits: 0, products: 0, quarantined: 0, deliveries: 0 });
    // The worker-thread parser rejects it the same way.
    const inWorker = await ingestDelivery({ dir: d.dir, manifestFile: d.manifestFile }, { parseInWorker: true }).catch((e: unknown) => e);
    expect(inWorker).toBeInstanceOf(InvalidFeedError);
    expect((inWorker as Error).message).toBe(err.message);
    expect((await snapshot(d.deliveryId)).deliveries).toBe(0);
    // A looser limit lets it load, quarantining the three.
    const ok = await ingestDelivery({ dir: d.dir, manifestFile: d.manifestFile, maxQuarantineShare: 0.05 });
    expect(ok).toMatchObject({ records: 100, loaded: 97, quarantined: 3 });
  });

  it('rejects a data file whose record count differs from its manifest Record-Count', async () => {
    const d = await writeDelivery({ rsid: `countmismatch${RUN}`, files: [{ rows: [hit(), hit({ visit_page_num: '2' })], declaredRecords: 3 }] });
    dirs.push(d.dir);
    const err = await ingestRejected({ dir: d.dir, manifestFile: d.manifestFile });
    expect(err.message).toBe(`${d.dataFiles[0]}: Record-Count mismatch (manifest 3, file 2 records). The file or the manifest is wrong: re-deliver the day.`);
    expect((await snapshot(d.deliveryId)).deliveries).toBe(0);
  });

  it('rejects a data file that is not gzip even though its digest matches the manifest', async () => {
    const gz = gzipSync(Buffer.from(hitLine(BASE_COLUMNS, hit()).repeat(50), 'latin1'));
    const d = await writeDelivery({ rsid: `notgzip${RUN}`, files: [{ rows: Array.from({ length: 50 }, () => hit()), fileBytes: gz.subarray(0, gz.length - 12) }] });
    dirs.push(d.dir);
    const err = await ingestRejected({ dir: d.dir, manifestFile: d.manifestFile });
    expect(err.message).toMatch(new RegExp(`^${d.dataFiles[0]!.replace(/\./g, '\\.')}: not a valid gzip file after record \\d+ \\(.+\\)\\. Re-deliver the file\\.$`));
    expect((await snapshot(d.deliveryId)).deliveries).toBe(0);
  });

  it('filters, types, escapes and measures a delivery with purchases, products and escaped text', async () => {
    const V1 = { post_visid_high: '111', post_visid_low: '1' };
    const V2 = { post_visid_high: '222', post_visid_low: '2' };
    const rows: Row[] = [
      hit({ ...V1, post_pagename: 'Tab\there\nand a \\ backslash', post_evar3: 'CUST-1', post_evar5: 'marketing=1|ads=0' }),
      hit({ ...V1, visit_page_num: '2', post_event_list: '2,12', post_product_list: 'Boots^, Winter;SKU-1;;;;101=red' }),
      hit({ ...V1, visit_page_num: '3', post_event_list: '1,200=2', post_product_list: 'Boots^, Winter;SKU-1;2;59.98;200=1;101=red,Bags;SKU-2;1;10.01;;,;;;;', post_purchaseid: 'P-1' }),
      hit({ ...V1, visit_page_num: '4', post_event_list: '1', post_product_list: 'Bags;SKU-2;1;10.01;;', duplicate_purchase: '1' }),
      hit({ ...V2, visit_num: '2', visit_start_time_gmt: '1714525200', hit_time_gmt: '1714525200', post_pagename: '', post_page_url: '', post_page_event: '100' }),
      hit({ ...V2, exclude_hit: '4' }),
      hit({ ...V2, hit_source: '5' }),
      hit({ ...V2, hit_source: '9' }),
      hit({ ...V2, customer_perspective: '1' }),
      hit({ ...V1, visit_num: '2', visit_start_time_gmt: '1714530000', hit_time_gmt: '1714530000', post_pagename: 'Zürich' }),
    ];
    const d = await writeDelivery({ rsid: `rich${RUN}`, files: [{ rows: rows.slice(0, 6) }, { rows: rows.slice(6) }] });
    dirs.push(d.dir);
    const result = await ingestDelivery({ dir: d.dir, manifestFile: d.manifestFile, customerIdColumn: 'post_evar3', consentColumn: 'post_evar5' });
    expect(result).toEqual({
      deliveryId: d.deliveryId,
      records: 10,
      loaded: 6,
      excluded: 4,
      quarantined: 0,
      exclusions: { exclude_hit: 1, hit_source: 2, customer_perspective: 1 },
      visitors: 2,
      visits: 3,
      pageViews: 5,
      orders: 1,
      units: 3,
      revenue: 69.99,
      // 'Zürich' is written in ISO-8859-1 (0xFC then 'r' is no UTF-8 sequence): auto reads the delivery as ISO-8859-1.
      encoding: 'iso-8859-1',
      replacedBytes: 0,
      replacedRecords: 0,
    });
    const pool = getPool();
    const h = await pool.query('SELECT file_name, record_no, visitor_id, pagename, customer_id, consent, event_ids, is_purchase, revenue, units, purchase_id FROM feed_hit WHERE delivery_id = $1 ORDER BY file_name, record_no', [d.deliveryId]);
    expect(h.rows[0]).toMatchObject({ record_no: 1, visitor_id: '111_1', pagename: 'Tab\there\nand a \\ backslash', customer_id: 'CUST-1', consent: 'marketing=1|ads=0' });
    expect(h.rows[2]).toMatchObject({ record_no: 3, event_ids: [1, 200], is_purchase: true, revenue: 69.99, units: 3, purchase_id: 'P-1' });
    expect(h.rows[3]).toMatchObject({ record_no: 4, is_purchase: false, revenue: 0 });
    expect(h.rows.at(-1)).toMatchObject({ file_name: d.dataFiles[1], record_no: 4, pagename: 'Zürich' });
    const p = await pool.query('SELECT record_no, position, category, product, quantity, price, event_ids FROM feed_product WHERE delivery_id = $1 ORDER BY record_no, position', [d.deliveryId]);
    expect(p.rows).toEqual([
      { record_no: 2, position: 1, category: 'Boots, Winter', product: 'SKU-1', quantity: null, price: null, event_ids: [] },
      { record_no: 3, position: 1, category: 'Boots, Winter', product: 'SKU-1', quantity: 2, price: 59.98, event_ids: [200] },
      { record_no: 3, position: 2, category: 'Bags', product: 'SKU-2', quantity: 1, price: 10.01, event_ids: [] },
      { record_no: 4, position: 1, category: 'Bags', product: 'SKU-2', quantity: null, price: null, event_ids: [] },
    ]);
    const del = await pool.query('SELECT exclusions, orders, units, revenue FROM feed_delivery WHERE delivery_id = $1', [d.deliveryId]);
    expect(del.rows[0]).toEqual({ exclusions: { exclude_hit: 1, hit_source: 2, customer_perspective: 1 }, orders: 1, units: 3, revenue: 69.99 });
  });

  it('replaces a re-delivered day with its new content', async () => {
    const dir = tmpDir();
    dirs.push(dir);
    const first = await writeDelivery({ dir, rsid: `redeliver${RUN}`, files: [{ rows: [hit(), hit({ visit_page_num: '2' }), hit({ visit_page_num: '3' })] }] });
    await ingestDelivery({ dir, manifestFile: first.manifestFile });
    expect((await snapshot(first.deliveryId)).hits).toBe(3);
    await writeDelivery({ dir, rsid: `redeliver${RUN}`, files: [{ rows: [hit({ post_visid_low: '77' })] }] });
    const again = await ingestDelivery({ dir, manifestFile: first.manifestFile });
    expect(again).toMatchObject({ records: 1, loaded: 1, visitors: 1 });
    const { rows } = await getPool().query('SELECT visitor_id FROM feed_hit WHERE delivery_id = $1', [first.deliveryId]);
    expect(rows).toEqual([{ visitor_id: '3085510024563356709_77' }]);
  });

  it('loads a day without data (Data-Files: 0) as an empty delivery', async () => {
    const d = await writeDelivery({ rsid: `emptyday${RUN}`, files: [] });
    dirs.push(d.dir);
    const result = await ingestDelivery({ dir: d.dir, manifestFile: d.manifestFile });
    expect(result).toMatchObject({ records: 0, loaded: 0, visitors: 0 });
    expect((await snapshot(d.deliveryId)).deliveries).toBe(1);
  });

  it('rejects an unknown customerIdColumn before loading anything', async () => {
    const d = await writeDelivery({ rsid: `badoption${RUN}`, files: [{ rows: [hit()] }] });
    dirs.push(d.dir);
    const err = await ingestRejected({ dir: d.dir, manifestFile: d.manifestFile, customerIdColumn: 'post_evar42' });
    expect(err.message).toMatch(/customerIdColumn names column post_evar42, which this feed does not have/);
    expect((await snapshot(d.deliveryId)).deliveries).toBe(0);
  });
});
