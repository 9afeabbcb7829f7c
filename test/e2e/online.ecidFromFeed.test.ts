/**
 * The ECID map is populated from the feed's `mcvisid` during publish, so a real XDM event carrying a
 * visitor's ECID resolves to its entity in the real-time path. From a generated feed (which emits
 * mcvisid, drawn independently of the visitor id):
 *
 * 1. before any cycle, an event with a visitor's ECID resolves to nothing (`unmapped`);
 * 2. a real cycle (dev server, real activities) maps every visitor's ECID, as read from the generated
 *    hit data here, to its entity (source `feed_mcvisid`); recording the map again changes nothing;
 * 3. one XDM cart-add event with the ECID of an entity changes that entity's served decision.
 *
 * The event API re-scores with the test cart scorer (one cart add puts anyone in the top segment),
 * so the decision change is certain; what is under test is that the ECID finds the entity.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFeed, type GenerateResult } from '../../tools/feed-generator/generator.ts';
import { getPool } from '../../activities/store/db.ts';
import { buildDecisionApi } from '../../activities/online/decision-api.ts';
import { loadRulePolicy } from '../../activities/online/fallback-policy.ts';
import { createOnlineMetrics } from '../../activities/online/online-metrics.ts';
import { DEFAULT_ONLINE_ROUTES } from '../../activities/online/online-blob.ts';
import { createOnlineRedis, redisReady } from '../../activities/online/redis-connection.ts';
import { recordFeedEcids } from '../../activities/online/online-store.ts';
import { loadPipelineConfig } from '../../activities/run/pipeline.ts';
import type { ActivationRunResult } from '../../workflows/activation-run.ts';
import { startActivationWorker, type ActivationWorker } from '../helpers/activation-run.ts';
import { hitsAsObjects, readDataFile, readTarEntries } from '../helpers/generated-feed-reader.ts';
import { writeTestPipeline, type TestPipeline } from '../helpers/pipeline.ts';
import { cartScorer, xdmEvent } from '../helpers/online.ts';

const VISITORS = 120;
const GATES_OFF = {
  feedFreshness: { enabled: false },
  scorePsi: { enabled: false },
  featurePsi: { enabled: false },
  categoricalJsd: { enabled: false },
  volumeChange: { enabled: false },
  featureNullRate: { enabled: false },
  collapse: { topValueShare: { enabled: false }, minStdDev: { enabled: false }, minDistinct: { enabled: false }, massAtBounds: { enabled: false } },
};

const tmp = mkdtempSync(join(tmpdir(), 'scoreflow-ecid-'));
let worker: ActivationWorker;
let pipeline: TestPipeline;
let ns: string;
let redis: Redis;
let app: ReturnType<typeof buildDecisionApi>;
let feedDir: string;
/** ECID -> entity id, read from the generated hit data (not through ingest). */
const truth = new Map<string, string>();

async function feedEcids(dir: string, g: GenerateResult): Promise<void> {
  for (const d of g.deliveries) {
    const tar = await readTarEntries(join(dir, d.lookupFile));
    const columns = tar.get('column_headers.tsv')!.toString('latin1').trim().split('\t');
    for (const f of d.dataFiles) {
      for (const h of hitsAsObjects(columns, readDataFile(dir, f).records)) truth.set(h.mcvisid!, `${h.post_visid_high}_${h.post_visid_low}`);
    }
  }
}

async function postEvent(ecid: string) {
  const e = xdmEvent({ ecid, eventType: 'commerce.productListAdds' });
  const res = await app.inject({ method: 'POST', url: '/v1/events', payload: JSON.stringify(e), headers: { 'content-type': 'application/json' } });
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as { results: { _id: string; outcome: string }[] }).results[0]!;
}

async function decision(entity: string) {
  const res = await app.inject({ method: 'GET', url: `/v1/decisions/${entity}?destination=webhook` });
  return { status: res.statusCode, body: res.json() as { segment?: string; origin?: string; source?: string } };
}

beforeAll(async () => {
  const tag = randomBytes(3).toString('hex');
  ns = `sfecid${tag}`;
  pipeline = writeTestPipeline({ gates: GATES_OFF, features: { lookbackDays: 1 }, online: { enabled: true, namespace: ns } }, `ecid-${tag}`);
  feedDir = join(tmp, 'day-1');
  const g = await generateFeed({ visitors: VISITORS, days: 1, seed: 9_152_026, out: feedDir, rsid: `sfecid${tag}`, startDate: '2026-04-06' });
  await feedEcids(feedDir, g);
  expect(truth.size).toBeGreaterThanOrEqual(VISITORS * 0.9);
  for (const [ecid] of truth) expect(ecid).toMatch(/^\d{38}$/);

  redis = createOnlineRedis('redis://127.0.0.1:6379', { commandTimeoutMs: 2_000 });
  await redisReady(redis);
  const cfg = loadPipelineConfig(pipeline.path);
  app = buildDecisionApi({
    redis,
    namespace: ns,
    fallback: loadRulePolicy(),
    metrics: createOnlineMetrics(),
    ingest: {
      scorer: cartScorer({ intercept: -3, cartWeight: 10 }),
      decision: { segments: cfg.scoring.segments, eligibility: cfg.scoring.eligibility, topN: cfg.scoring.topN },
      routes: DEFAULT_ONLINE_ROUTES,
      destinations: [],
      ledger: getPool(),
      staleAfterMs: 30 * 60_000,
    },
  });
  await app.ready();
  worker = await startActivationWorker('ecid');
}, 120_000);

afterAll(async () => {
  await app?.close();
  await worker?.close();
  if (redis) {
    const k = await redis.keys(`${ns}:*`);
    if (k.length) await redis.del(...k);
    redis.disconnect();
  }
});

describe('ECID map from the feed\'s mcvisid', () => {
  let runId = '';

  it('before a cycle, an event with a visitor\'s ECID resolves to nothing', async () => {
    const [ecid] = [...truth.keys()];
    expect(await postEvent(ecid!)).toMatchObject({ outcome: 'unmapped' });
  });

  it('a cycle maps every visitor\'s ECID to its entity, idempotently', { timeout: 240_000 }, async () => {
    runId = `${pipeline.name}.run-1`;
    const r = (await (await worker.start(runId, { pipelinePath: pipeline.path, feedDir })).result()) as ActivationRunResult;
    expect(r.status, JSON.stringify(r.counts)).toBe('COMPLETED');
    const { rows } = await getPool().query<{ ecid: string; entity_id: string; source: string }>('SELECT ecid, entity_id, source FROM online_identity_map WHERE ecid = ANY($1)', [[...truth.keys()]]);
    expect(new Map(rows.map((x) => [x.ecid, x.entity_id]))).toEqual(truth);
    expect(new Set(rows.map((x) => x.source))).toEqual(new Set(['feed_mcvisid']));
    const { rows: receipt } = await getPool().query<{ ecids_mapped: number; records: number }>('SELECT ecids_mapped, records FROM online_publish WHERE run_id = $1', [runId]);
    expect(receipt[0]!.ecids_mapped).toBeGreaterThan(0);
    // Mapped ECIDs are in the online store, as the event path reads them.
    const { rows: scored } = await getPool().query<{ entity_id: string }>('SELECT entity_id FROM activation_record WHERE run_id = $1', [runId]);
    const scoredIds = new Set(scored.map((x) => x.entity_id));
    const inStore = [...truth].filter(([, entity]) => scoredIds.has(entity));
    expect(inStore.length).toBeGreaterThan(0);
    for (const [ecid, entity] of inStore) expect(await redis.get(`${ns}:ecid:${ecid}`)).toBe(entity);
    expect(await recordFeedEcids(runId)).toBe(0);
  });

  it('one XDM event with an entity\'s ECID changes that entity\'s decision', { timeout: 60_000 }, async () => {
    const cfg = loadPipelineConfig(pipeline.path);
    const top = [...cfg.scoring.segments].sort((a, b) => b.minScore - a.minScore)[0]!.id;
    const byEntity = new Map([...truth].map(([e, v]) => [v, e]));
    const { rows } = await getPool().query<{ entity_id: string; segment: string }>(
      `SELECT entity_id, segment FROM activation_record WHERE run_id = $1 AND segment <> $2 AND eligible AND holdout_arm = 'treatment' ORDER BY entity_id`,
      [runId, top],
    );
    const candidate = rows.find((r) => byEntity.has(r.entity_id));
    expect(candidate, 'an eligible treatment entity outside the top segment').toBeDefined();
    const entity = candidate!.entity_id;
    const before = await decision(entity);
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ segment: candidate!.segment, origin: 'cycle' });

    expect(await postEvent(byEntity.get(entity)!)).toMatchObject({ outcome: 'changed' });
    const after = await decision(entity);
    expect(after.body).toMatchObject({ segment: top, origin: 'realtime' });
    expect(after.body.segment).not.toBe(before.body.segment);
  });
});
