import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { closePools, getPool } from '../../activities/store/db.ts';
import { FIXTURE_DATA, FIXTURE_DIR, FIXTURE_MANIFEST, copyFixture } from '../helpers/adobe-feed-delivery.ts';
import { fixtureRecipes } from '../helpers/fixture-recipes.ts';
import { runCli } from '../helpers/run-cli.ts';

const dirs: string[] = [];
/** Delivery ids unique per run and suite, so parallel suites never share one. */
const RUN = Date.now().toString(36);
afterAll(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await closePools();
});

/** A writable copy of the fixture under a delivery id of its own (the manifest name is the id). */
function fixtureAs(rsid: string): { dir: string; deliveryId: string } {
  const dir = copyFixture();
  dirs.push(dir);
  const id = `${rsid}${RUN}`;
  renameSync(join(dir, FIXTURE_MANIFEST), join(dir, `${id}_2015-07-13.txt`));
  return { dir, deliveryId: `${id}_2015-07-13` };
}

/** Rows a delivery has in every feed table, and digests of their content. */
async function snapshot(deliveryId: string) {
  const { rows } = await getPool().query<{ hits: number; distinctHits: number; products: number; quarantined: number; deliveries: number; digest: string | null; delivery: string | null }>(
    `SELECT (SELECT count(*)::int FROM feed_hit WHERE delivery_id = $1) AS hits,
            (SELECT count(DISTINCT (file_name, record_no))::int FROM feed_hit WHERE delivery_id = $1) AS "distinctHits",
            (SELECT count(*)::int FROM feed_product WHERE delivery_id = $1) AS products,
            (SELECT count(*)::int FROM feed_quarantine WHERE delivery_id = $1) AS quarantined,
            (SELECT count(*)::int FROM feed_delivery WHERE delivery_id = $1) AS deliveries,
            (SELECT md5(string_agg(h::text, '|' ORDER BY file_name, record_no)) FROM feed_hit h WHERE delivery_id = $1) AS digest,
            (SELECT md5(row(records, loaded, excluded, quarantined, visitors, visits, page_views, orders, units, revenue, manifest_md5)::text) FROM feed_delivery WHERE delivery_id = $1) AS delivery`,
    [deliveryId],
  );
  return rows[0]!;
}

describe('scoreflow ingest', () => {
  it("reports the fixture's 592 records with Adobe's visitors, visits and page views, computed independently", async () => {
    const expected = await fixtureRecipes();
    expect(expected.records).toBe(592);
    const res = await runCli(['ingest', FIXTURE_DIR, '--json']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.json).toMatchObject({ ok: true, records: 592, loaded: 592, excluded: 0, quarantined: 0, pageViews: expected.pageViews, rejected: [] });
    expect(res.json.deliveries).toEqual([
      {
        deliveryId: 'zwitchdev_2015-07-13',
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
        encoding: 'utf-8',
        replacedBytes: 0,
        replacedRecords: 0,
      },
    ]);
    expect(res.stdout.trimEnd().split('\n')).toHaveLength(1);
  });

  it('prints the same figures for a person without --json', async () => {
    const expected = await fixtureRecipes();
    const res = await runCli(['ingest', FIXTURE_DIR]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('zwitchdev_2015-07-13: 592 records = 592 loaded + 0 excluded + 0 quarantined');
    expect(res.stdout).toContain(`${expected.visitors} visitors, ${expected.visits} visits, ${expected.pageViews} page views`);
  });

  it('rejects a copy with one changed byte in the data file, naming the file and the digest mismatch, exit 1, rows unchanged', async () => {
    const f = fixtureAs('clibroken');
    const first = await runCli(['ingest', f.dir, '--json']);
    expect(first.code).toBe(0);
    const before = await snapshot(f.deliveryId);
    expect(before).toMatchObject({ hits: 592, deliveries: 1 });

    const path = join(f.dir, FIXTURE_DATA);
    const bytes = readFileSync(path);
    bytes[40_000] = bytes[40_000]! ^ 0x01;
    writeFileSync(path, bytes);
    const res = await runCli(['ingest', f.dir, '--json']);

    expect(res.code).toBe(1);
    expect(res.json).toMatchObject({ ok: false, error: 'InvalidFeed', deliveries: [], records: 0 });
    expect(res.json.rejected).toEqual([{ manifestFile: `clibroken${RUN}_2015-07-13.txt`, reason: expect.stringMatching(/^01-zwitchdev_2015-07-13\.tsv\.gz: MD5 digest mismatch \(manifest 994c3109e0ddbd7c66c360426eaf0cd1, file [0-9a-f]{32}\)/) }]);
    expect(res.json.message).toMatch(/01-zwitchdev_2015-07-13\.tsv\.gz: MD5 digest mismatch/);
    expect(res.stderr).toMatch(/^scoreflow: clibroken\w+_2015-07-13\.txt rejected: 01-zwitchdev_2015-07-13\.tsv\.gz: MD5 digest mismatch/m);
    expect(await snapshot(f.deliveryId)).toEqual(before);
    const rej = await getPool().query('SELECT file_name FROM feed_rejection WHERE delivery_id = $1', [f.deliveryId]);
    expect(rej.rows).toEqual([{ file_name: FIXTURE_DATA }]);
  });

  it('gives the same counts and the same rows when the same delivery is ingested twice, with no duplicates', async () => {
    const f = fixtureAs('clitwice');
    const first = await runCli(['ingest', f.dir, '--json']);
    const before = await snapshot(f.deliveryId);
    const second = await runCli(['ingest', f.dir, '--json']);
    const after = await snapshot(f.deliveryId);
    expect([first.code, second.code]).toEqual([0, 0]);
    expect(second.json).toEqual(first.json);
    expect(first.json.deliveries[0]).toMatchObject({ deliveryId: f.deliveryId, records: 592 });
    expect(after).toEqual(before);
    expect(after).toMatchObject({ hits: 592, distinctHits: 592, deliveries: 1 });
  });

  it('names a missing folder and exits 1', async () => {
    const res = await runCli(['ingest', '/nonexistent/scoreflow-feed', '--json']);
    expect(res.code).toBe(1);
    expect(res.json).toMatchObject({ ok: false, message: expect.stringContaining('/nonexistent/scoreflow-feed: the feed folder does not exist') });
  });
});
