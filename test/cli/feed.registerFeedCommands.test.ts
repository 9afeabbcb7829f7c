import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { closePools, getPool } from '../../activities/store/db.ts';
import { tmpDir } from '../helpers/adobe-feed-delivery.ts';
import { runCli } from '../helpers/run-cli.ts';

const dirs: string[] = [];
const RUN = Date.now().toString(36);
const tmp = () => {
  const d = tmpDir('scoreflow-cli-feed-');
  dirs.push(d);
  return d;
};
afterAll(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await closePools();
});

interface GeneratedDelivery {
  deliveryId: string;
  manifest: string;
  dataFiles: string[];
  records: number;
}

describe('scoreflow feed generate', () => {
  it('writes deliveries that scoreflow ingest accepts whole, with the records it generated', async () => {
    const out = join(tmp(), 'inbox');
    const rsid = `cligen${RUN}`;
    const gen = await runCli(['feed', 'generate', '--visitors', '150', '--days', '2', '--seed', '11', '--start-date', '2019-03-01', '--rsid', rsid, '--out', out, '--json']);
    expect(gen.code).toBe(0);
    expect(gen.json).toMatchObject({ ok: true, out, visitors: 150 });
    const deliveries = gen.json.deliveries as GeneratedDelivery[];
    expect(deliveries.map((d) => d.deliveryId)).toEqual([`${rsid}_2019-03-01`, `${rsid}_2019-03-02`]);
    for (const f of gen.json.files as string[]) expect(existsSync(join(out, f))).toBe(true);
    expect(readFileSync(join(out, 'ground_truth.csv'), 'utf8').trimEnd().split('\n')).toHaveLength(151);

    const ing = await runCli(['ingest', out, '--pipeline', 'pipelines/demo.yaml', '--json']);
    expect(ing.code).toBe(0);
    expect(ing.json).toMatchObject({ ok: true, rejected: [], records: gen.json.records, quarantined: 0 });
    expect(ing.json.deliveries.map((d: { deliveryId: string; records: number }) => [d.deliveryId, d.records])).toEqual(deliveries.map((d) => [d.deliveryId, d.records]));
    for (const d of ing.json.deliveries) expect(d.records).toBe(d.loaded + d.excluded + d.quarantined);
    // The pipeline's customer id eVar was read: generated visitors who log in carry a customer id.
    const { rows } = await getPool().query<{ n: number }>('SELECT count(*)::int AS n FROM feed_hit WHERE delivery_id LIKE $1 AND customer_id IS NOT NULL', [`${rsid}_%`]);
    expect(rows[0]!.n).toBeGreaterThan(0);
  });

  it('writes the same bytes for the same options', async () => {
    const args = ['feed', 'generate', '--visitors', '40', '--days', '1', '--seed', '3', '--rsid', `clisame${RUN}`, '--start-date', '2019-04-01', '--json'];
    const [a, b] = await Promise.all([runCli([...args, '--out', tmp()]), runCli([...args, '--out', tmp()])]);
    const file = a.json.deliveries[0].dataFiles[0] as string;
    expect(readFileSync(join(a.json.out, file))).toEqual(readFileSync(join(b.json.out, file)));
  });

  it('refuses a bad flag value, naming the flag', async () => {
    const res = await runCli(['feed', 'generate', '--visitors', '0', '--days', '1', '--seed', '1', '--out', tmp(), '--json']);
    expect(res.code).toBe(2);
    expect(res.json).toMatchObject({ ok: false, error: 'UsageError', message: '--visitors 0: must be between 1 and 100000000.' });
    const date = await runCli(['feed', 'generate', '--visitors', '5', '--days', '1', '--seed', '1', '--start-date', '2026-02-30', '--out', tmp(), '--json']);
    expect(date.json.message).toMatch(/^--start-date "2026-02-30": expected a calendar date/);
  });
});

describe('scoreflow feed follow-up', () => {
  it("writes the day after the feed, arms from the pipeline's holdout, and ingest accepts it", async () => {
    const out = tmp();
    const rsid = `clifu${RUN}`;
    const res = await runCli(['feed', 'follow-up', '--visitors', '200', '--seed', '11', '--days', '2', '--start-date', '2019-03-01', '--rsid', rsid, '--treatment-effect', '0.05', '--out', out, '--json']);
    expect(res.code).toBe(0);
    expect(res.json).toMatchObject({ ok: true, experimentKey: 'demo-propensity-2026', controlShare: 0.1, unassigned: 0, delivery: { deliveryId: `${rsid}_2019-03-03` } });
    expect(res.json.arms.treatment.assigned + res.json.arms.control.assigned).toBe(200);
    const ing = await runCli(['ingest', out, '--json']);
    expect(ing.json).toMatchObject({ ok: true, records: res.json.records });
  });
});
