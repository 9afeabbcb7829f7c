/**
 * Change digests leave validity timestamps out: a cycle that scores an unchanged population sends
 * nothing to any destination, judged by what the receivers themselves got (the Target, Google and
 * Meta contract servers, the webhook receiver and the NATS JetStream stream). Cycles run on the real
 * dev server with the real activities and default freshness settings (24 h validity, 6 h refresh lead).
 *
 * 1. cycle 1 adds everyone;
 * 2. cycle 2, the same day delivered again (same hits, so the same scores, but a new scored_at and
 *    expires_at): 0 rows at every receiver;
 * 3. cycle 3, the same day again under a `warm` threshold moved past three warm members' scores: they
 *    turn `cold` (a content change for Target and NATS), and only they are re-sent;
 * 4. cycle 4, unchanged again, but a few members' held expiry is made to lapse within the lead time
 *    (as if they were last sent 23 hours ago): only they are re-sent, with reason `refresh`.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFeed } from '../../tools/feed-generator/generator.ts';
import { getPool } from '../../activities/store/db.ts';
import { startContractServers, type ContractServers } from '../../tools/contract-servers/start-all.ts';
import type { ActivationRunResult } from '../../workflows/activation-run.ts';
import type { Destination } from '../../contracts/pipeline-config.ts';
import { startActivationWorker, type ActivationWorker } from '../helpers/activation-run.ts';
import { rewriteDelivery } from '../helpers/delivery-rewrite.ts';
import { writeTestPipeline, type TestPipeline } from '../helpers/pipeline.ts';
import { mark, receivedSince, targetRows, type Received } from '../helpers/sync-receivers.ts';

const VISITORS = 200;
const SEED = 4_402_026;
const NATS_URL = process.env.NATS_URL ?? '127.0.0.1:4222';
const KINDS = ['target', 'google', 'meta', 'webhook', 'nats'] as const;
type Kind = (typeof KINDS)[number];
const BASE_NAME: Record<Kind, string> = { target: 'target-profiles', google: 'google-audience', meta: 'meta-audience', webhook: 'offers-webhook', nats: 'decisions-nats' };

const GATES_OFF = {
  // Every cycle here re-delivers one generated day: drift and feed age are not under test.
  feedFreshness: { enabled: false },
  scorePsi: { enabled: false },
  featurePsi: { enabled: false },
  categoricalJsd: { enabled: false },
  volumeChange: { enabled: false },
  featureNullRate: { enabled: false },
  collapse: { topValueShare: { enabled: false }, minStdDev: { enabled: false }, minDistinct: { enabled: false }, massAtBounds: { enabled: false } },
  matchRateDecline: { enabled: false },
  acceptanceDecline: { enabled: false },
};

const pool = () => getPool();
const tmp = mkdtempSync(join(tmpdir(), 'scoreflow-unchanged-'));
let servers: ContractServers;
let nc: NatsConnection;
let worker: ActivationWorker;
let pipeline: TestPipeline;
let names: Record<Kind, string>;
let rsid: string;
let firstDir: string;
let manifest: string;

/** Rows each receiver got, per entity: Target rows by customer id mapped back to entities through the state. */
async function receivedEntities(r: Received): Promise<Record<Kind, string[]>> {
  const { rows } = await pool().query<{ entity_id: string; tpid: string }>(
    "SELECT entity_id, identifiers->>'thirdPartyId' AS tpid FROM destination_sync_state WHERE destination = $1",
    [`${pipeline.name}/${names.target}`],
  );
  const byTpid = new Map(rows.map((x) => [x.tpid, x.entity_id]));
  return {
    target: targetRows(r.target).map((x) => byTpid.get(x.id) ?? `?${x.id}`),
    google: r.google.flatMap((d) => Array.from({ length: d.members }, () => `google#${d.operation}`)),
    meta: r.meta.flatMap((d) => Array.from({ length: d.records }, () => `meta#${d.method}`)),
    webhook: r.webhook.flatMap((m) => m.rows.map((x) => x.entity_id)),
    nats: r.nats.map((m) => m.body.entity_id),
  };
}

const rowCounts = (e: Record<Kind, string[]>) => Object.fromEntries(KINDS.map((k) => [k, e[k].length])) as Record<Kind, number>;

async function cycle(n: number, feedDir: string): Promise<{ counts: Record<Kind, number>; entities: Record<Kind, string[]>; runId: string }> {
  const before = await mark(servers, nc, servers.natsStream);
  const runId = `${pipeline.name}.run-${n}`;
  const r = (await (await worker.start(runId, { pipelinePath: pipeline.path, feedDir })).result()) as ActivationRunResult;
  expect(r.status, `run ${runId}: ${JSON.stringify(r.counts)}`).toBe('COMPLETED');
  const entities = await receivedEntities(await receivedSince(servers, nc, servers.natsStream, before));
  const counts = rowCounts(entities);
  console.info(`cycle ${n}: rows at the receivers ${JSON.stringify(counts)}`);
  return { counts, entities, runId };
}

/**
 * The generated day delivered again into a new folder: the same hits, gzipped at another level, so
 * the manifest differs and the day is taken up again (as Adobe re-delivers a day).
 */
async function redeliver(n: number): Promise<string> {
  const dir = join(tmp, `run-${n}`);
  await rewriteDelivery({ from: firstDir, manifest, to: dir, gzipLevel: n });
  for (const f of ['crm_extract.csv', 'cmp_consent.csv']) copyFileSync(join(firstDir, f), join(dir, f));
  return dir;
}

async function members(kind: Kind): Promise<string[]> {
  const { rows } = await pool().query<{ entity_id: string }>('SELECT entity_id FROM destination_sync_state WHERE destination = $1 AND member ORDER BY entity_id', [
    `${pipeline.name}/${names[kind]}`,
  ]);
  return rows.map((r) => r.entity_id);
}

beforeAll(async () => {
  const tag = randomBytes(3).toString('hex');
  rsid = `sfunch${tag}`;
  nc = await connect({ servers: NATS_URL });
  servers = await startContractServers({ tag, target: { windowMs: 1000 } });
  names = Object.fromEntries(KINDS.map((k) => [k, `${BASE_NAME[k]}-${tag}`])) as Record<Kind, string>;
  const destinations = servers.destinations().map((d) => {
    const kind = (Object.entries(BASE_NAME) as [Kind, string][]).find(([, n]) => n === d.name)![0];
    const config: Record<string, unknown> = { ...(d as { config: Record<string, unknown> }).config };
    if (kind === 'target') config.rateWindowMs = 1000;
    return { ...d, name: names[kind], config } as Destination;
  });
  // Default freshness: 24 h validity, 6 h refresh lead.
  pipeline = writeTestPipeline({ destinations, gates: GATES_OFF, features: { lookbackDays: 1 }, freshness: {}, online: { enabled: false } }, `unchanged-${tag}`);
  Object.assign(process.env, servers.env);
  firstDir = join(tmp, 'run-1');
  await generateFeed({ visitors: VISITORS, days: 1, seed: SEED, out: firstDir, rsid, startDate: '2026-04-06' });
  manifest = readdirSync(firstDir).find((f) => f.startsWith(`${rsid}_`) && f.endsWith('.txt'))!;
  worker = await startActivationWorker('unchanged');
}, 120_000);

afterAll(async () => {
  await worker?.close();
  if (nc) {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.delete(servers.natsStream).catch(() => undefined);
    await nc.drain();
  }
  await servers?.close();
});

describe('an unchanged population is not re-sent', () => {
  let changed: string[] = [];

  it('cycle 1 adds members at every receiver', { timeout: 240_000 }, async () => {
    const { counts } = await cycle(1, firstDir);
    for (const k of KINDS) expect(counts[k], k).toBeGreaterThan(5);
  });

  it('cycle 2 of the same population sends 0 rows to every destination', { timeout: 240_000 }, async () => {
    const { counts, runId } = await cycle(2, await redeliver(2));
    expect(counts).toEqual({ target: 0, google: 0, meta: 0, webhook: 0, nats: 0 });
    // The cycle did score anew (new expiry), and the engine called everyone unchanged.
    const { rows } = await pool().query<{ a: Date; b: Date }>(
      'SELECT (SELECT max(expires_at) FROM activation_record WHERE run_id = $1) AS a, (SELECT max(expires_at) FROM activation_record WHERE run_id = $2) AS b',
      [`${pipeline.name}.run-1`, runId],
    );
    expect(rows[0]!.b.getTime()).toBeGreaterThan(rows[0]!.a.getTime());
    const { rows: plan } = await pool().query<{ list: string; n: number }>('SELECT list, count(*)::int AS n FROM destination_sync_plan_row WHERE run_id = $1 GROUP BY list', [runId]);
    expect(plan.filter((p) => p.list !== 'unchanged' && p.list !== 'held').map((p) => p.list)).toEqual([]);
    expect(plan.find((p) => p.list === 'unchanged')!.n).toBeGreaterThan(0);
  });

  it('cycle 3 re-sends only the members whose content changed', { timeout: 240_000 }, async () => {
    // The `warm` segment's threshold moves up just past a few warm members' scores: they become
    // `cold`, which changes Target's sf_segment and the NATS decision's segments for them alone. The
    // webhook payload carries no segment, and the audiences are not filtered by segment: unchanged.
    const { rows: warm } = await pool().query<{ entity_id: string; score: number }>(
      `SELECT entity_id, score FROM activation_record WHERE run_id = $1 AND segment = 'warm' AND entity_id = ANY($2) ORDER BY score LIMIT 4`,
      [`${pipeline.name}.run-2`, await members('nats')],
    );
    expect(warm.length).toBe(4);
    const threshold = warm[3]!.score; // the three lowest-scored warm members move to cold
    const moved = new Set(warm.slice(0, 3).map((r) => r.entity_id));
    const cfg = parse(readFileSync(pipeline.path, 'utf8')) as { scoring: { segments: { id: string; minScore: number }[] } };
    cfg.scoring.segments = cfg.scoring.segments.map((x) => (x.id === 'warm' ? { ...x, minScore: threshold } : x));
    writeFileSync(pipeline.path, stringify(cfg));

    const { counts, entities, runId } = await cycle(3, await redeliver(3));
    const { rows: segs } = await pool().query<{ entity_id: string }>(`SELECT entity_id FROM activation_record WHERE run_id = $1 AND entity_id = ANY($2) AND segment = 'cold'`, [runId, [...moved]]);
    expect(new Set(segs.map((r) => r.entity_id))).toEqual(moved);
    const targetMoved = (await members('target')).filter((e) => moved.has(e)).sort();
    expect([...entities.nats].sort()).toEqual([...moved].sort());
    expect([...entities.target].sort()).toEqual(targetMoved);
    // Every row planned for any destination is a moved member's; the audiences (routed by segment)
    // drop the moved members that left their segments, and the receivers got exactly the plan.
    const { rows } = await pool().query<{ entity_id: string; destination: string; reason: string }>(
      "SELECT entity_id, destination, row->>'reason' AS reason FROM destination_sync_plan_row WHERE run_id = $1 AND list NOT IN ('unchanged', 'held')",
      [runId],
    );
    expect(rows.filter((r) => !moved.has(r.entity_id))).toEqual([]);
    const planned = (k: Kind) => rows.filter((r) => r.destination === names[k]).length;
    expect(counts).toEqual({ target: targetMoved.length, google: planned('google'), meta: planned('meta'), webhook: 0, nats: 3 });
    expect(planned('target')).toBe(targetMoved.length);
    changed = [...moved];
  });

  it('a member whose held expiry lapses within the lead time is re-sent, and no other', { timeout: 240_000 }, async () => {
    expect(changed.length).toBeGreaterThan(0);
    const soon: Record<'target' | 'webhook' | 'nats', string[]> = { target: [], webhook: [], nats: [] };
    for (const k of ['target', 'webhook', 'nats'] as const) {
      soon[k] = (await members(k)).slice(0, 3);
      // As if these members were last sent 23 hours ago: the expiry their destination holds is an hour away.
      const key = k === 'target' ? 'sf_expires_at' : 'expires_at';
      await pool().query(
        `UPDATE destination_sync_state SET payload = jsonb_set(payload, $3::text[], to_jsonb(to_char((now() + interval '1 hour') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))
          WHERE destination = $1 AND entity_id = ANY($2)`,
        [`${pipeline.name}/${names[k]}`, soon[k], `{${key}}`],
      );
    }
    const { counts, entities, runId } = await cycle(4, await redeliver(4));
    expect(counts).toEqual({ target: 3, google: 0, meta: 0, webhook: 3, nats: 3 });
    for (const k of ['target', 'webhook', 'nats'] as const) expect([...entities[k]].sort(), k).toEqual([...soon[k]].sort());
    const { rows } = await pool().query<{ reason: string; n: number }>(
      "SELECT row->>'reason' AS reason, count(*)::int AS n FROM destination_sync_plan_row WHERE run_id = $1 AND list = 'updates' GROUP BY 1",
      [runId],
    );
    expect(rows).toEqual([{ reason: 'refresh', n: 9 }]);
  });
});
