/**
 * activationRun end to end on the dev server: a real worker with the real activities runs one cycle
 * over a generated feed (ingest → features → score → gate → publish → online → export), and the
 * counts, the file outbox, the ledger, the search attributes and the `status` query agree with what
 * the database holds. Then every stage is run again over the same delivery, to show it is idempotent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { GenerateResult } from '../../tools/feed-generator/generator.ts';
import { ingestFeedActivity } from '../../activities/feed/activities.ts';
import { extractFeaturesActivity } from '../../activities/features/activities.ts';
import { publishCanonicalActivity } from '../../activities/publish/publish-canonical.ts';
import { exportDestinationActivity } from '../../activities/destinations/export-activity.ts';
import { resolveModelActivity } from '../../activities/scoring/resolve-model.ts';
import { closeActivityRedis } from '../../activities/online/online-store.ts';
import { closePools, getPool } from '../../activities/store/db.ts';
import { statusQuery } from '../../workflows/messages.ts';
import { GateStatusKey, ModelVersionKey, PipelineKey, RunStatusKey } from '../../workflows/search-attributes.ts';
import type { ActivationRunResult } from '../../workflows/activation-run.ts';
import { writeTestPipeline, type TestPipeline } from '../helpers/pipeline.ts';
import { generateRecentFeed, readFileExport, result, startActivationWorker, uid, type ActivationWorker } from '../helpers/activation-run.ts';

let h: ActivationWorker;
let pipeline: TestPipeline;
let feed: GenerateResult;
const onlineNs = uid('wfa-online');
const workflowId = uid('wfa-happy');
let run: ActivationRunResult;

beforeAll(async () => {
  pipeline = writeTestPipeline({ online: { enabled: true, namespace: onlineNs } }, uid('wfa-happy'));
  feed = await generateRecentFeed({ out: pipeline.inbox, rsid: uid('wfahappy'), seed: 4242, visitors: 300 });
  // Another report suite's feed over the same days, loaded in the same database but not this pipeline's.
  const foreign = join(pipeline.dir, 'foreign');
  const other = await generateRecentFeed({ out: foreign, rsid: uid('wfaforeign'), seed: 4343, visitors: 200 });
  for (const d of other.deliveries) await ingestFeedActivity({ dir: foreign, manifestFile: d.manifest, customerIdColumn: 'post_evar3', consentColumn: 'post_evar5', maxQuarantineShare: 0.01 });
  h = await startActivationWorker('wfa-happy');
  const handle = await h.start(workflowId, { pipelinePath: pipeline.path, feedDir: pipeline.inbox });
  run = await result(handle);
}, 120_000);

afterAll(async () => {
  await h?.close();
  const redis = new Redis('redis://127.0.0.1:6379');
  const keys = await redis.keys(`${onlineNs}:*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
  await closeActivityRedis();
  await closePools();
});

describe('activationRun happy path on the dev server', () => {
  it('completes with non-zero counts at every stage, and the counts reconcile', async () => {
    expect(run.status).toBe('COMPLETED');
    const c = run.counts;
    for (const k of ['records', 'loaded', 'features', 'scored', 'published', 'publishedOnline', 'exported']) expect(c[k], k).toBeGreaterThan(0);
    expect(c.records).toBe(feed.records); // as generated: every record of both deliveries is counted
    expect(c.records).toBe(c.loaded! + c.excluded! + c.quarantined!);
    expect(c.features).toBeLessThanOrEqual(feed.visitors);
    expect(c.scored).toBe(c.features);
    expect(c.published! + c.contractQuarantined!).toBe(c.scored);
    expect(c.exported).toBeLessThan(c.published!); // consent, eligibility and the holdout filter some out

    const db = getPool();
    const { rows } = await db.query<{ n: number; versions: string[] }>(
      'SELECT count(*)::int AS n, array_agg(DISTINCT model_version) AS versions FROM activation_record WHERE run_id = $1',
      [workflowId],
    );
    expect(rows[0]).toEqual({ n: c.published, versions: ['1.0.0'] });
    const loaded = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM feed_hit WHERE delivery_id = ANY($1)', [feed.deliveries.map((d) => d.deliveryId)]);
    expect(loaded.rows[0]!.n).toBe(c.loaded);
    // Exactly this feed's visitors are scored: the other report suite's hits in the database stay out.
    const own = await db.query<{ visitor_id: string }>('SELECT DISTINCT visitor_id FROM feed_hit WHERE delivery_id = ANY($1)', [feed.deliveries.map((d) => d.deliveryId)]);
    const published = await db.query<{ entity_id: string }>('SELECT entity_id FROM activation_record WHERE run_id = $1', [workflowId]);
    expect(c.features).toBe(own.rows.length);
    expect(new Set(published.rows.map((r) => r.entity_id))).toEqual(new Set(own.rows.map((r) => r.visitor_id)));
  });

  it('writes exactly the routed canonical records to the file outbox, and the ledger says so', async () => {
    expect(run.exports).toHaveLength(1);
    const e = run.exports[0]!;
    expect(e).toMatchObject({ destination: 'outbox', cycleRunId: workflowId, rows: run.counts.exported });
    expect(e.location).toBe(join(pipeline.outbox, pipeline.name, workflowId, 'outbox'));
    const out = readFileExport(e.location!);
    expect(out.csv).toHaveLength(e.rows);
    expect(out.jsonl).toHaveLength(e.rows);
    expect(out.manifest).toMatchObject({ runId: workflowId, rows: e.rows });

    // Who should be there, from the stored records, independently of the route filter's code.
    const { rows } = await getPool().query<{ entity_id: string; segment: string }>(
      `SELECT entity_id, segment FROM activation_record WHERE run_id = $1 AND eligible AND holdout_arm = 'treatment'
         AND (record->'compliance'->'consent'->>'personalization')::boolean AND expires_at > (record->'metadata'->>'scored_at')::timestamptz`,
      [workflowId],
    );
    const expected = new Set(rows.map((r) => `${r.entity_id}|${r.segment}`));
    expect(new Set(out.csv.map((r) => `${r.entity_id}|${r.segment}`))).toEqual(expected);
    expect(new Set(out.jsonl.map((r) => `${r.entity_id}|${r.segments[0]!.id}`))).toEqual(expected);
    expect(out.csv.every((r) => r.eligible === 'true' && r.model_version === '1.0.0' && r.holdout_arm === 'treatment')).toBe(true);

    const ledger = await getPool().query<{ stage: string; n: number }>(
      "SELECT stage, count(*)::int AS n FROM ledger_event WHERE run_id = $1 AND destination IN ('', 'outbox') GROUP BY stage ORDER BY stage",
      [workflowId],
    );
    expect(Object.fromEntries(ledger.rows.map((r) => [r.stage, r.n]))).toEqual({
      generated: run.counts.published,
      exported: e.rows,
      delivered: e.rows,
      suppressed: run.counts.published! - e.rows,
    });
  });

  it('sets the search attributes and answers the status query', async () => {
    const handle = h.client.workflow.getHandle(workflowId);
    const desc = await handle.describe();
    expect(desc.status.name).toBe('COMPLETED');
    const sa = desc.typedSearchAttributes;
    expect(sa.get(PipelineKey)).toBe(pipeline.name);
    expect(sa.get(ModelVersionKey)).toBe('1.0.0');
    expect(sa.get(RunStatusKey)).toBe('COMPLETED');
    expect(['PASSED', 'WARNED']).toContain(sa.get(GateStatusKey));

    const status = await handle.query(statusQuery);
    expect(status).toMatchObject({
      runId: workflowId,
      pipeline: pipeline.name,
      status: 'COMPLETED',
      stage: 'done',
      pausedReason: null,
      counts: run.counts,
      model: { name: 'purchase-propensity', version: '1.0.0', policy: 'model' },
      cycles: [{ runId: workflowId, rollbackOf: null, model: 'purchase-propensity@1.0.0' }],
      exports: run.exports,
      rejectedSignals: [],
      operatorActions: [],
    });
    expect(['pass', 'warn']).toContain(status.gate.status);
    expect(status.gate.results.length).toBeGreaterThan(5);
    expect(sa.get(GateStatusKey)).toBe(status.gate.status === 'warn' ? 'WARNED' : 'PASSED');
  });

  it('a second run over the same inbox ingests nothing twice: NO_DATA, no new records', async () => {
    const again = await result(await h.start(uid('wfa-happy-again'), { pipelinePath: pipeline.path, feedDir: pipeline.inbox }));
    expect(again).toMatchObject({ status: 'NO_DATA', counts: { deliveries: 0 }, exports: [] });
    const { rows } = await getPool().query<{ n: number }>('SELECT count(*)::int AS n FROM activation_record WHERE pipeline = $1', [pipeline.name]);
    expect(rows[0]!.n).toBe(run.counts.published);
  });

  it('re-running each stage over the same delivery gives the same counts, records, bytes and ledger', async () => {
    const db = getPool();
    const ledgerCount = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM ledger_event WHERE run_id = $1', [workflowId])).rows[0]!.n;
    const ledgerBefore = await ledgerCount();

    // Ingest both deliveries again: replaced whole, same figures, same rows.
    const totals = { records: 0, loaded: 0, excluded: 0, quarantined: 0 };
    const deliveryIds: string[] = [];
    for (const d of feed.deliveries) {
      const res = await ingestFeedActivity({ dir: pipeline.inbox, manifestFile: d.manifest, customerIdColumn: 'post_evar3', consentColumn: 'post_evar5', maxQuarantineShare: 0.01 });
      deliveryIds.push(res.deliveryId);
      for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += res[k];
    }
    expect(totals).toEqual({ records: run.counts.records, loaded: run.counts.loaded, excluded: run.counts.excluded, quarantined: run.counts.quarantined });
    const hits = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM feed_hit WHERE delivery_id = ANY($1)', [deliveryIds]);
    expect(hits.rows[0]!.n).toBe(run.counts.loaded);

    // Features: the snapshot is keyed by its inputs, so it is found again, not rebuilt.
    const { rows: runRow } = await db.query<{ snapshot_id: string }>('SELECT snapshot_id FROM activation_run WHERE run_id = $1', [workflowId]);
    const snap = await extractFeaturesActivity({ deliveryIds, lookbackDays: 30 });
    expect(snap).toMatchObject({ snapshotId: runRow[0]!.snapshot_id, entities: run.counts.features, reused: true });

    // Publish: a run's canonical records are immutable; publishing again changes nothing.
    const model = await resolveModelActivity({ pipelinePath: pipeline.path });
    const before = await db.query<{ digest: string }>("SELECT md5(string_agg(entity_id || ':' || record::text, ',' ORDER BY entity_id)) AS digest FROM activation_record WHERE run_id = $1", [workflowId]);
    const pub = await publishCanonicalActivity({ runId: workflowId, parentRunId: workflowId, pipelinePath: pipeline.path, snapshotId: snap.snapshotId, model, rollbackOf: null });
    expect(pub).toMatchObject({ published: run.counts.published, alreadyPublished: true });
    const after = await db.query<{ digest: string }>("SELECT md5(string_agg(entity_id || ':' || record::text, ',' ORDER BY entity_id)) AS digest FROM activation_record WHERE run_id = $1", [workflowId]);
    expect(after.rows[0]!.digest).toBe(before.rows[0]!.digest);

    // Export: identical bytes, the same ledger rows, none twice.
    const location = run.exports[0]!.location!;
    const sha = (f: string) => createHash('sha256').update(readFileSync(join(location, f))).digest('hex');
    const shas = [sha('records.csv'), sha('records.jsonl')];
    const exp = await exportDestinationActivity({ runId: workflowId, pipelinePath: pipeline.path, destination: 'outbox' });
    expect(exp).toMatchObject({ rows: run.exports[0]!.rows, location });
    expect([sha('records.csv'), sha('records.jsonl')]).toEqual(shas);
    expect(await ledgerCount()).toBe(ledgerBefore);
    const dup = await db.query('SELECT entity_id, destination, stage FROM ledger_event WHERE run_id = $1 GROUP BY 1, 2, 3 HAVING count(*) > 1', [workflowId]);
    expect(dup.rows).toEqual([]);
  });
});
