/**
 * activationRun with `scale.shards: 3` on the dev server: scoring, publish and the stateful export
 * run as one activity per entity-hash shard, and the cycle comes out as the unsharded cycle of the
 * same feed does: every feature row scored and published once, each NATS message delivered once,
 * the destination's receipt summing its three shards. Then one shard's export is run again: it
 * replays its stored plan and sends nothing twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from 'nats';
import { exportDestinationActivity } from '../../activities/destinations/export-activity.ts';
import { closePools, getPool } from '../../activities/store/db.ts';
import type { ActivationRunResult } from '../../workflows/activation-run.ts';
import { writeTestPipeline, type TestPipeline } from '../helpers/pipeline.ts';
import { generateRecentFeed, result, startActivationWorker, uid, type ActivationWorker } from '../helpers/activation-run.ts';

const SHARDS = 3;
let h: ActivationWorker;
let pipeline: TestPipeline;
let nc: NatsConnection;
const workflowId = uid('wfa-shards');
const stream = uid('SHARDS').toUpperCase().replace(/-/g, '_');
const subject = `scoreflow.shards.${stream.toLowerCase()}`;
let run: ActivationRunResult;

beforeAll(async () => {
  nc = await connect({ servers: process.env.NATS_URL ?? '127.0.0.1:4222' });
  pipeline = writeTestPipeline(
    {
      online: { enabled: false },
      scale: { shards: SHARDS, pageSize: 50 },
      destinations: [
        { name: 'decisions', kind: 'nats', mappingVersion: '1', filter: { requireEligible: false }, holdout: 'include_all', config: { servers: process.env.NATS_URL ?? '127.0.0.1:4222', stream, subject, maxChunkRows: 40 } },
      ],
    },
    uid('wfa-shards'),
  );
  await generateRecentFeed({ out: pipeline.inbox, rsid: uid('wfashards'), seed: 5151, visitors: 300 });
  h = await startActivationWorker('wfa-shards');
  run = await result(await h.start(workflowId, { pipelinePath: pipeline.path, feedDir: pipeline.inbox, pauseTimeout: '20s' }));
}, 180_000);

afterAll(async () => {
  await h?.close();
  if (nc) {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.delete(stream).catch(() => undefined);
    await nc.close();
  }
  await closePools();
});

async function streamMessages(): Promise<number> {
  const jsm = await nc.jetstreamManager();
  return (await jsm.streams.info(stream)).state.messages;
}

describe(`activationRun with ${SHARDS} shards`, () => {
  it('scores, publishes and exports every entity exactly once across the shards', async () => {
    expect(run.status, JSON.stringify(run.counts)).toBe('COMPLETED');
    const db = getPool();
    const c = run.counts;
    expect(c.features).toBeGreaterThan(0);
    expect(c.scored).toBe(c.features);
    const { rows: scored } = await db.query<{ n: number; d: number }>('SELECT count(*)::int AS n, count(DISTINCT entity_id)::int AS d FROM scored_entity WHERE run_id = $1', [workflowId]);
    expect(scored[0]).toEqual({ n: c.scored, d: c.scored });
    const { rows: published } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM activation_record WHERE run_id = $1', [workflowId]);
    expect(published[0]!.n).toBe(c.published);
    expect(c.published! + (c.contractQuarantined ?? 0)).toBe(c.scored);

    // Three plans, one per shard, that together plan every published entity once (an add or held).
    const { rows: plans } = await db.query<{ destination: string; n: number }>(
      "SELECT destination, count(*)::int AS n FROM destination_sync_plan_row WHERE run_id = $1 GROUP BY destination ORDER BY destination",
      [workflowId],
    );
    expect(plans.map((p) => p.destination)).toEqual(Array.from({ length: SHARDS }, (_, i) => `decisions#${i}/${SHARDS}`));
    for (const p of plans) expect(p.n).toBeGreaterThan(0);
    expect(plans.reduce((a, p) => a + p.n, 0)).toBe(c.published);

    // Each entity with an open backend channel is delivered once (the rest are held for consent):
    // the stream holds one message each, and the receipt sums the three shards.
    const { rows: adds } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM destination_sync_plan_row WHERE run_id = $1 AND list = 'adds'", [workflowId]);
    const added = adds[0]!.n;
    expect(added).toBeGreaterThan(0);
    const { rows: delivered } = await db.query<{ n: number; d: number }>(
      "SELECT count(*)::int AS n, count(DISTINCT entity_id)::int AS d FROM ledger_event WHERE run_id = $1 AND destination = 'decisions' AND stage = 'delivered'",
      [workflowId],
    );
    expect(delivered[0]).toEqual({ n: added, d: added });
    expect(c.exported).toBe(added);
    expect(await streamMessages()).toBe(added);
    const { rows: receipt } = await db.query<{ rows: number; receipt: { shards: number; accepted: number; plan: { adds: number; held: number } } }>(
      "SELECT rows, receipt FROM destination_export WHERE run_id = $1 AND destination = 'decisions'",
      [workflowId],
    );
    expect(receipt[0]!.rows).toBe(added);
    expect(receipt[0]!.receipt.shards).toBe(SHARDS);
    expect(receipt[0]!.receipt.plan.adds + receipt[0]!.receipt.plan.held).toBe(c.published);
  });

  it('a shard exported again replays its stored plan and sends nothing new', async () => {
    const before = await streamMessages();
    const again = await exportDestinationActivity({ runId: workflowId, pipelinePath: pipeline.path, destination: 'decisions', shard: { index: 1, count: SHARDS } });
    expect(again.rows).toBeGreaterThan(0);
    expect(await streamMessages()).toBe(before);
    const { rows: chunks } = await getPool().query<{ n: number }>("SELECT count(*)::int AS n FROM destination_sync_chunk WHERE run_id = $1 AND destination = $2", [workflowId, `decisions#1/${SHARDS}`]);
    expect(chunks[0]!.n).toBeGreaterThan(1);
  });
});
