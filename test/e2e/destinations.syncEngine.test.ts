/**
 * The sync engine end to end: activationRun on the real dev server, with real workers, delivering to
 * the contract servers (Target, Google, Meta, a signed-webhook receiver) and a NATS JetStream stream.
 * Every step is judged by what the receivers themselves hold and count, against the plan the engine
 * stored for the run.
 *
 * Two pipelines run side by side, each with its own servers, stream, rsid and dates:
 * - `chain` (an in-process worker) over four cycles: adds; deltas after a later delivery, with a
 *   `sync preview` taken first and compared with what is then sent, and a visitor past expires_at
 *   removed; a visitor who revoked consent removed and never re-added; 429s and 503s that still end
 *   in every row applied once;
 * - `crash` (a worker in a child process, `scoreflow worker`) killed with SIGKILL while the slowed
 *   receivers have seen part of the export, then started again: nothing lost, nothing applied twice.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode, type ActivityInterceptorsFactory } from '@temporalio/worker';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as activities from '../../activities/index.ts';
import { generateFeed, generateFollowUp } from '../../tools/feed-generator/generator.ts';
import { getPool } from '../../activities/store/db.ts';
import { startContractServers, type ContractServers } from '../../tools/contract-servers/start-all.ts';
import { WORKFLOWS_PATH } from '../../workers/worker.ts';
import { activityMetricsInterceptor, createWorkerMetrics } from '../../workers/metrics.ts';
import type { ActivationRunInput, ActivationRunResult } from '../../workflows/activation-run.ts';
import type { Destination } from '../../contracts/pipeline-config.ts';
import { rewriteDelivery } from '../helpers/delivery-rewrite.ts';
import { writeTestPipeline, type TestPipeline } from '../helpers/pipeline.ts';
import { REPO_ROOT, runCli } from '../helpers/run-cli.ts';
import {
  HeldSet,
  mark,
  metaSessions,
  natsIds,
  receivedSince,
  runPlan,
  sentForm,
  sortRows,
  targetAttrs,
  targetRows,
  webhookIds,
  type Marks,
  type Received,
  type RunPlan,
  type SentRow,
} from '../helpers/sync-receivers.ts';
import { temporalAddress } from '../helpers/temporal.ts';

// Every feed of this file takes one seed: customer ids (C0000001, ...) are the same for every seed,
// and the CRM extract loaded last wins, so all feeds must agree on it.
const SEED = 7_302_026;
const VISITORS = 300;
/**
 * expires_at = scored_at + this: short, so a visitor that stops arriving expires between two cycles,
 * yet long enough that a cycle's own records outlive the time from its scoring to its export plan
 * (cycle 2 holds its exports while five `sync preview` processes start, which on a loaded 2-core
 * machine took over 20 s).
 */
const MAX_AGE_SECONDS = 60;
const WEBHOOK_BATCH = 200;
/** Small chunks, so the crash lands between chunks of an export that is well under way. */
const CRASH_CHUNK_ROWS = { target: 10, google: 1, meta: 1, webhook: 10, nats: 10 } as const;
const NATS_URL = process.env.NATS_URL ?? '127.0.0.1:4222';

const KINDS = ['target', 'google', 'meta', 'webhook', 'nats'] as const;
type Kind = (typeof KINDS)[number];
const BASE_NAME: Record<Kind, string> = { target: 'target-profiles', google: 'google-audience', meta: 'meta-audience', webhook: 'offers-webhook', nats: 'decisions-nats' };

const pool = () => getPool();
const tmp = mkdtempSync(join(tmpdir(), 'scoreflow-sync-e2e-'));
process.env.SCOREFLOW_REPORT_DIR = join(tmp, 'reports');
let bundlePath: string;
let client: Client;
let clientConnection: Connection;
let nc: NatsConnection;

interface Scenario {
  tag: string;
  rsid: string;
  startDate: string;
  servers: ContractServers;
  pipeline: TestPipeline;
  names: Record<Kind, string>;
  stream: string;
  /** Rows per chunk, per destination (the adapters' maximum unless the config says less). */
  chunkRows: Record<Kind, number>;
  taskQueue: string;
  /** What each receiver holds, as the test follows it from what it was sent. */
  held: Record<'target' | 'webhook' | 'nats', HeldSet>;
}

const GATES_OFF = {
  // Each cycle of this file is built from one delivery, days apart: drift against the previous cycle
  // and feed age are not what is under test here.
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

async function scenario(label: string, startDate: string, opts: { chunkRows?: Partial<Record<Kind, number>>; latencyMs?: number }): Promise<Scenario> {
  const tag = `${label}${randomBytes(3).toString('hex')}`;
  const latency = opts.latencyMs ?? 0;
  const servers = await startContractServers({
    tag,
    // A Target window of one second instead of a minute: many small chunks must not wait for the rate limit.
    target: { windowMs: 1000, latencyMs: latency },
    google: { latencyMs: latency },
    meta: { latencyMs: latency },
    webhook: { latencyMs: latency },
  });
  const names = Object.fromEntries(KINDS.map((k) => [k, `${BASE_NAME[k]}-${tag}`])) as Record<Kind, string>;
  const destinations = servers.destinations().map((d) => {
    const kind = (Object.entries(BASE_NAME) as [Kind, string][]).find(([, n]) => n === d.name)![0];
    const config: Record<string, unknown> = { ...(d as { config: Record<string, unknown> }).config, ...(opts.chunkRows?.[kind] ? { chunkRows: opts.chunkRows[kind] } : {}) };
    if (kind === 'target') config.rateWindowMs = 1000;
    return { ...d, name: names[kind], config } as Destination;
  });
  const pipeline = writeTestPipeline(
    {
      destinations,
      gates: GATES_OFF,
      features: { lookbackDays: 1 },
      freshness: { maxAgeHours: MAX_AGE_SECONDS / 3600 },
      online: { enabled: false },
      // A fixed experiment key: the same visitors land in the control arm on every run of this file.
      holdout: { experimentKey: 'sync-e2e', controlShare: 0.1 },
    },
    `sync-e2e-${tag}`,
  );
  return {
    tag,
    rsid: `sfsync${tag}`,
    startDate,
    servers,
    pipeline,
    names,
    stream: servers.natsStream,
    chunkRows: Object.fromEntries(KINDS.map((k) => [k, opts.chunkRows?.[k] ?? 10_000])) as Record<Kind, number>,
    taskQueue: `sync-e2e-${tag}`,
    held: { target: new HeldSet(), webhook: new HeldSet(), nats: new HeldSet() },
  };
}

const isoDay = (startDate: string, plus: number) => new Date(Date.parse(`${startDate}T00:00:00Z`) + plus * 86_400_000).toISOString().slice(0, 10);

/** The first delivery of a scenario (one day of VISITORS visitors), in the folder of its first run. */
async function firstDelivery(s: Scenario): Promise<string> {
  const dir = join(tmp, `${s.tag}-run-1`);
  await generateFeed({ visitors: VISITORS, days: 1, seed: SEED, out: dir, rsid: s.rsid, startDate: s.startDate });
  return dir;
}

/**
 * A later delivery `plusDays` after the first: every visitor visits once more (so features and
 * scores change), except `drop`; `revoke` visitors' consent column lists analytics only.
 */
async function laterDelivery(s: Scenario, run: number, plusDays: number, drop: ReadonlySet<string>, revoke: ReadonlySet<string>): Promise<string> {
  const staged = join(tmp, `${s.tag}-staged-${run}`);
  const date = isoDay(s.startDate, plusDays);
  await generateFollowUp({ seed: SEED, visitors: VISITORS, out: staged, date, startDate: s.startDate, days: 1, rsid: s.rsid, treatmentEffect: 0, assignments: () => null });
  const dir = join(tmp, `${s.tag}-run-${run}`);
  await rewriteDelivery({ from: staged, manifest: `${s.rsid}_${date}.txt`, to: dir, drop, consent: new Map([...revoke].map((v) => [v, 'analytics'])) });
  return dir;
}

async function startRun(s: Scenario, run: number, feedDir: string): Promise<WorkflowHandle> {
  const input: ActivationRunInput = { pipelinePath: s.pipeline.path, feedDir };
  return client.workflow.start('activationRun', { taskQueue: s.taskQueue, workflowId: `${s.pipeline.name}.run-${run}`, args: [input] });
}

async function completed(h: WorkflowHandle): Promise<ActivationRunResult> {
  const r = (await h.result()) as ActivationRunResult;
  expect(r.status, `run ${h.workflowId} ended ${r.status}; counts ${JSON.stringify(r.counts)}`).toBe('COMPLETED');
  return r;
}

async function members(destination: string): Promise<Map<string, Record<string, string>>> {
  const { rows } = await pool().query<{ entity_id: string; identifiers: Record<string, string> }>(
    "SELECT entity_id, identifiers FROM destination_sync_state WHERE split_part(destination, '/', 2) = $1 AND member",
    [destination],
  );
  return new Map(rows.map((r) => [r.entity_id, r.identifiers]));
}

async function plansOf(s: Scenario, runId: string): Promise<Record<Kind, RunPlan>> {
  const out = {} as Record<Kind, RunPlan>;
  for (const k of KINDS) out[k] = await runPlan(pool(), runId, s.names[k], s.chunkRows[k]);
  return out;
}

const sorted = <T>(xs: T[]) => [...xs].sort();
const ops = (p: RunPlan, op: 'upsert' | 'remove') => p.rows.filter((r) => r.op === op).length;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/**
 * The receivers got exactly what the engine planned for the run, each chunk once under its key:
 * the same rows (entity, op, digest, payload), the same webhook-ids, Nats-Msg-Ids, Meta sessions and
 * Target/Google idempotency keys; adds, updates and removes as the receivers see them equal the plan;
 * and every receiver holds exactly the destination's members.
 */
async function verifyRun(s: Scenario, runId: string, before: Marks): Promise<{ plans: Record<Kind, RunPlan>; received: Received }> {
  const received = await receivedSince(s.servers, nc, s.stream, before);
  const plans = await plansOf(s, runId);
  const { target, google, meta, webhook, nats } = plans;
  const counts = (p: RunPlan) => ({ adds: p.counts.adds, updates: p.counts.updates, removes: p.counts.removes });
  for (const k of KINDS) expect(plans[k].counts.retries, `${k}: no refused row to retry`).toBe(0);
  console.info(`${runId}: ${KINDS.map((k) => `${k} ${JSON.stringify(plans[k].counts)}`).join('; ')}`);

  // Webhook: one message per batch of a chunk, under the planned webhook-id, carrying the planned rows.
  expect(sorted(received.webhook.map((m) => m.id))).toEqual(sorted(webhookIds(webhook, WEBHOOK_BATCH)));
  const whRows = received.webhook.flatMap((m) => m.rows);
  expect(sortRows(whRows)).toEqual(sortRows(webhook.rows.map(sentForm)));
  expect(s.held.webhook.apply(whRows.map((r) => ({ id: r.entity_id, op: r.op })))).toEqual(counts(webhook));

  // NATS: one message per row under the planned Nats-Msg-Id.
  expect(sorted(received.nats.map((m) => m.msgId))).toEqual(sorted(natsIds(nats)));
  expect(sortRows(received.nats.map((m) => m.body))).toEqual(sortRows(nats.rows.map(sentForm)));
  expect(s.held.nats.apply(received.nats.map((m) => ({ id: m.body.entity_id, op: m.body.op })))).toEqual(counts(nats));

  // Target: one batch file per chunk under its key; the rows it applied carry the planned attributes.
  expect(sorted(received.target.map((b) => b.idempotencyKey!))).toEqual(sorted(target.chunks.map((c) => `${c.key}/0`)));
  const tRows = targetRows(received.target);
  const byId = (r: { id: string; op: string }) => `${r.op}:${r.id}`;
  expect([...tRows].sort((a, b) => byId(a).localeCompare(byId(b)))).toEqual(
    target.rows.map((r) => ({ id: r.identifiers.thirdPartyId!, op: r.op, attrs: targetAttrs(r.payload, r.op) })).sort((a, b) => byId(a).localeCompare(byId(b))),
  );
  expect(s.held.target.apply(tRows)).toEqual(counts(target));

  // Google and Meta: one request per chunk under its key (session), members as planned. Google
  // dedupes nothing, so a chunk resent after a crash is applied twice (harmlessly: a set); count firsts.
  received.google = received.google.filter((d) => !d.resend);
  expect(sorted(received.google.map((d) => d.idempotencyKey!))).toEqual(sorted(google.chunks.map((c) => c.key)));
  expect(sum(received.google.filter((d) => d.operation === 'ingest').map((d) => d.members))).toBe(ops(google, 'upsert'));
  expect(sum(received.google.filter((d) => d.operation === 'remove').map((d) => d.members))).toBe(ops(google, 'remove'));
  expect(sorted(received.meta.map((d) => d.sessionId))).toEqual(sorted(metaSessions(meta)));
  expect(sum(received.meta.filter((d) => d.method === 'POST').map((d) => d.records))).toBe(ops(meta, 'upsert'));
  expect(sum(received.meta.filter((d) => d.method === 'DELETE').map((d) => d.records))).toBe(ops(meta, 'remove'));

  // What every receiver holds is what the engine says the destination holds.
  expect(s.held.webhook.held).toEqual(new Set((await members(s.names.webhook)).keys()));
  expect(s.held.nats.held).toEqual(new Set((await members(s.names.nats)).keys()));
  expect(s.held.target.held).toEqual(new Set([...(await members(s.names.target)).values()].map((i) => i.thirdPartyId!)));
  expect(s.servers.google.membership(s.servers.googleAudienceId)).toBe((await members(s.names.google)).size);
  expect(s.servers.meta.membership(s.servers.metaAudienceId)).toBe((await members(s.names.meta)).size);
  return { plans, received };
}

async function ledgerReasons(runId: string, destination: string, stage: string): Promise<Map<string, string>> {
  const { rows } = await pool().query<{ entity_id: string; reason: string }>(
    "SELECT entity_id, detail->>'reason' AS reason FROM ledger_event WHERE run_id = $1 AND destination = $2 AND stage = $3",
    [runId, destination, stage],
  );
  return new Map(rows.map((r) => [r.entity_id, r.reason]));
}

// ---------------------------------------------------------------------------------------------
// Workers

/** Holds export activities (before they plan anything) while `exportsHeld` is set, so a preview can be taken first. */
let exportsHeld: { waiting: number; release: () => void; released: Promise<void> } | null = null;
const holdExports: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      const hold = exportsHeld;
      if (hold && ctx.info.activityType === 'exportDestinationActivity') {
        hold.waiting++;
        await hold.released;
      }
      return next(input);
    },
  },
});

let chainWorker: { worker: Worker; running: Promise<void>; connection: NativeConnection } | undefined;

async function startInProcessWorker(taskQueue: string) {
  const connection = await NativeConnection.connect({ address: temporalAddress() });
  const metrics = createWorkerMetrics({ defaultMetrics: false });
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowBundle: { codePath: bundlePath },
    activities,
    interceptors: { activity: [activityMetricsInterceptor(metrics), holdExports] },
    maxConcurrentActivityTaskExecutions: 8,
    shutdownGraceTime: '2s',
  });
  return { worker, running: worker.run(), connection };
}

const children: ChildProcess[] = [];

/** `scoreflow worker` in a child process, as an operator runs it. */
function startWorkerProcess(s: Scenario): { child: ChildProcess; log: () => string } {
  let log = '';
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'cli', 'main.ts'), 'worker'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      ...s.servers.env,
      TEMPORAL_ADDRESS: temporalAddress(),
      DATABASE_URL: process.env.DATABASE_URL!,
      SCOREFLOW_TASK_QUEUE: s.taskQueue,
      SCOREFLOW_WORKFLOW_BUNDLE: bundlePath,
      METRICS_PORT: 'off',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (b: Buffer) => {
    log = (log + b.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  children.push(child);
  return { child, log: () => log };
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// ---------------------------------------------------------------------------------------------

interface CrashOutcome {
  runId: string;
  atKill: { target: number; google: number; meta: number; webhook: number };
  /** Chunks each HTTP receiver's export was planned in. */
  chunksAtKill: Record<'target' | 'google' | 'meta' | 'webhook', number>;
  result: ActivationRunResult;
}

/**
 * The crash scenario, started in the background by beforeAll (its recovery waits out the export
 * activity's one-minute heartbeat timeout, so it runs while the four cycles do): a `scoreflow worker`
 * process starts the export, is killed with SIGKILL once every HTTP receiver has seen part of it (the
 * receivers answer slowly), and a second worker process finishes the run.
 */
async function killWorkerMidExport(): Promise<CrashOutcome> {
  const s = crash.servers;
  const first = startWorkerProcess(crash);
  const handle = await startRun(crash, 1, crashFeed);
  const runId = `${crash.pipeline.name}.run-1`;
  const seen = () => ({ target: s.target.batches.size, google: s.google.received().length, meta: s.meta.received().length, webhook: s.webhook.counts.unique });
  await until(
    'the receivers to see part of the export',
    () => {
      const n = seen();
      return n.target >= 1 && n.google >= 2 && n.meta >= 2 && n.webhook >= 2 ? true : undefined;
    },
    60_000,
    10,
  );
  first.child.kill('SIGKILL');
  await new Promise((r) => first.child.once('exit', r));
  const atKill = seen();
  const chunksAtKill = {} as CrashOutcome['chunksAtKill'];
  for (const k of ['target', 'google', 'meta', 'webhook'] as const) chunksAtKill[k] = (await runPlan(pool(), runId, crash.names[k], crash.chunkRows[k])).chunks.length;
  s.target.setLatency(0);
  s.google.setLatency(0);
  s.meta.setLatency(0);
  s.webhook.setLatency(0);

  const second = startWorkerProcess(crash);
  try {
    const result = await completed(handle);
    return { runId, atKill, chunksAtKill, result };
  } catch (err) {
    throw new Error(`${(err as Error).message}\nfirst worker:\n${first.log()}\nsecond worker:\n${second.log()}`);
  } finally {
    second.child.kill('SIGTERM');
  }
}

let crashOutcome: Promise<CrashOutcome>;
let chain: Scenario;
let crash: Scenario;
let chainFeed1: string;
let crashFeed: string;

beforeAll(async () => {
  nc = await connect({ servers: NATS_URL });
  clientConnection = await Connection.connect({ address: temporalAddress() });
  client = new Client({ connection: clientConnection });
  const [bundle, a, b] = await Promise.all([
    bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: (m: string) => console.error(m) } }),
    scenario('a', '2026-03-02', {}),
    scenario('b', '2026-06-01', { chunkRows: CRASH_CHUNK_ROWS, latencyMs: 150 }),
  ]);
  bundlePath = join(tmp, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  chain = a;
  crash = b;
  Object.assign(process.env, chain.servers.env); // the in-process worker's credentials
  [chainFeed1, crashFeed] = await Promise.all([firstDelivery(chain), firstDelivery(crash)]);
  crashOutcome = killWorkerMidExport();
  crashOutcome.catch(() => undefined); // awaited (and reported) by its test
  chainWorker = await startInProcessWorker(chain.taskQueue);
});

afterAll(async () => {
  exportsHeld?.release();
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  if (chainWorker) {
    chainWorker.worker.shutdown();
    await chainWorker.running.catch(() => undefined);
    await chainWorker.connection.close();
  }
  await clientConnection?.close();
  if (nc) {
    const jsm = await nc.jetstreamManager();
    for (const s of [chain, crash]) if (s) await jsm.streams.delete(s.stream).catch(() => undefined);
    await nc.drain();
  }
  await Promise.allSettled([chain?.servers.close(), crash?.servers.close()]);
});

describe('the sync engine end to end, judged by the receivers', () => {
  describe('one pipeline over four cycles', () => {
    /** Visitors that stop arriving after the first cycle: they expire. */
    let expiring: Set<string>;
    /** Visitors that revoke consent at the third cycle. */
    let revoking = new Set<string>();
    let run1ExpiresAt: number;

    it('cycle 1 delivers adds to every destination', async () => {
      const before = await mark(chain.servers, nc, chain.stream);
      await completed(await startRun(chain, 1, chainFeed1));
      const { plans } = await verifyRun(chain, `${chain.pipeline.name}.run-1`, before);
      for (const k of KINDS) {
        expect(plans[k].counts, k).toMatchObject({ updates: 0, removes: 0, unchanged: 0, retries: 0 });
        expect(plans[k].counts.adds, k).toBeGreaterThan(5);
      }
      // The funnel reconciles per destination: every published entity was delivered or suppressed
      // (with a reason), exactly once.
      const runId = `${chain.pipeline.name}.run-1`;
      const { rows: pub } = await pool().query<{ n: number }>('SELECT count(*)::int AS n FROM activation_record WHERE run_id = $1', [runId]);
      for (const k of KINDS) {
        const delivered = await ledgerReasons(runId, chain.names[k], 'delivered');
        const suppressed = await ledgerReasons(runId, chain.names[k], 'suppressed');
        expect([...delivered.keys()].filter((e) => suppressed.has(e)), k).toEqual([]);
        expect(delivered.size + suppressed.size, k).toBe(pub[0]!.n);
        expect(delivered.size, k).toBe(plans[k].counts.adds);
        expect([...suppressed.values()].every((r) => typeof r === 'string' && r.length > 0), k).toBe(true);
      }
      // Visitors every destination holds; three of them will not come back.
      const all = await Promise.all(KINDS.map((k) => members(chain.names[k])));
      const everywhere = [...all[0]!.keys()].filter((e) => all.every((m) => m.has(e))).sort();
      expect(everywhere.length).toBeGreaterThanOrEqual(6);
      expiring = new Set(everywhere.slice(0, 3));
      const { rows } = await pool().query<{ t: Date }>('SELECT max(expires_at) AS t FROM activation_record WHERE run_id = $1', [`${chain.pipeline.name}.run-1`]);
      run1ExpiresAt = rows[0]!.t.getTime();
    });

    it('cycle 2 sends only the deltas of a later delivery, exactly as `sync preview` showed them, and removes what expired', { timeout: 240_000 }, async () => {
      const feed = await laterDelivery(chain, 2, 3, expiring, new Set());
      // Cycle 1's records are past expires_at before cycle 2 plans.
      await new Promise((r) => setTimeout(r, Math.max(0, run1ExpiresAt + 250 - Date.now())));
      const before = await mark(chain.servers, nc, chain.stream);
      const held = new Map([...(await Promise.all(KINDS.map(async (k) => [k, await members(chain.names[k])] as const)))]);
      const runId = `${chain.pipeline.name}.run-2`;

      let release!: () => void;
      exportsHeld = { waiting: 0, release: () => release(), released: new Promise<void>((r) => (release = r)) };
      const handle = await startRun(chain, 2, feed);
      let previews: Record<Kind, { rows: { entityId: string; op: 'upsert' | 'remove'; reason: string; digest: string; payload: Record<string, unknown> }[]; counts: Record<string, number>; stored: boolean }>;
      try {
        await until('the five exports to start', () => (exportsHeld!.waiting === KINDS.length ? true : undefined), 30_000);
        const outs = await Promise.all(KINDS.map((k) => runCli(['sync', 'preview', '--pipeline', chain.pipeline.path, '--destination', chain.names[k], '--run', runId, '--limit', '0', '--json'])));

        for (const o of outs) expect(o.code, o.stderr).toBe(0);
        previews = Object.fromEntries(KINDS.map((k, i) => [k, outs[i]!.json])) as typeof previews;
      } finally {
        exportsHeld.release();
        exportsHeld = null;
      }
      await completed(handle);
      const { plans, received } = await verifyRun(chain, runId, before);

      for (const k of KINDS) {
        // The preview was taken before the export planned, and it is the plan the export then stored and sent.
        expect(previews[k].stored, k).toBe(false);
        expect(previews[k].counts, k).toEqual(plans[k].counts);
        expect(previews[k].rows, k).toEqual(plans[k].rows.map((r) => ({ entityId: r.entityId, op: r.op, reason: r.reason, digest: r.digest, payload: r.payload, identifierKinds: Object.keys(r.identifiers).sort() })));
        // Deltas only: nothing the plan calls unchanged reached the receiver.
        const unchanged = new Set(plans[k].plan.unchanged.map((u) => u.entityId));
        expect(plans[k].rows.filter((r) => unchanged.has(r.entityId)), k).toEqual([]);
        // Expiry: every expiring visitor the destination held is removed because it expired.
        const expired = [...expiring].filter((e) => held.get(k)!.has(e)).sort();
        expect(expired.length, k).toBeGreaterThan(0);
        expect(plans[k].plan.removes.filter((r) => r.reason === 'expired').map((r) => r.entityId).sort(), k).toEqual(expired);
        const removed = await ledgerReasons(runId, chain.names[k], 'removed');
        for (const e of expired) expect(removed.get(e), `${k} ${e}`).toBe('expired');
      }
      // Exact payloads: what the webhook receiver and the stream got is the preview, row for row.
      const preview = (k: Kind): SentRow[] => previews[k].rows.map((r) => ({ entity_id: r.entityId, op: r.op, digest: r.digest, payload: r.payload }));
      expect(sortRows(received.webhook.flatMap((m) => m.rows))).toEqual(sortRows(preview('webhook')));
      expect(sortRows(received.nats.map((m) => m.body))).toEqual(sortRows(preview('nats')));
      const customer = new Map(plans.target.rows.map((r) => [r.entityId, r.identifiers.thirdPartyId!]));
      expect(new Map(targetRows(received.target).map((r) => [`${r.op}:${r.id}`, r.attrs]))).toEqual(
        new Map(previews.target.rows.map((r) => [`${r.op}:${customer.get(r.entityId)}`, targetAttrs(r.payload, r.op)])),
      );
      // Google and Meta carry no attributes: the preview's counts are the members they were sent.
      const g = previews.google.counts;
      expect(sum(received.google.filter((d) => d.operation === 'ingest').map((d) => d.members))).toBe(g.adds! + g.updates!);
      expect(sum(received.meta.filter((d) => d.method === 'DELETE').map((d) => d.records))).toBe(previews.meta.counts.removes);
      // Google and Meta carry no attributes: members the new scores keep in the routed segments are unchanged, and not re-sent.
      for (const k of ['google', 'meta'] as const) expect(plans[k].counts.unchanged, k).toBeGreaterThan(0);
      // The expired visitors are gone from the audiences (by their email hash as last sent).
      for (const e of expiring) {
        const gEmail = held.get('google')!.get(e)?.emailAddress;
        if (gEmail) expect(chain.servers.google.hasEmail(chain.servers.googleAudienceId, gEmail)).toBe(false);
        const mEmail = held.get('meta')!.get(e)?.EMAIL;
        if (mEmail) expect(chain.servers.meta.hasEmail(chain.servers.metaAudienceId, mEmail)).toBe(false);
      }
    });

    it('cycle 3 removes visitors whose later hits revoke consent, everywhere', async () => {
      const all = await Promise.all(KINDS.map((k) => members(chain.names[k])));
      const everywhere = [...all[0]!.keys()].filter((e) => all.every((m) => m.has(e))).sort();
      expect(everywhere.length).toBeGreaterThanOrEqual(3);
      revoking = new Set(everywhere.slice(0, 3));
      const emails = { google: [...revoking].map((e) => all[1]!.get(e)!.emailAddress), meta: [...revoking].map((e) => all[2]!.get(e)!.EMAIL) };

      const before = await mark(chain.servers, nc, chain.stream);
      const runId = `${chain.pipeline.name}.run-3`;
      await completed(await startRun(chain, 3, await laterDelivery(chain, 3, 6, expiring, revoking)));
      const { plans } = await verifyRun(chain, runId, before);
      for (const k of KINDS) {
        expect(plans[k].plan.removes.filter((r) => r.reason === 'consent_revoked').map((r) => r.entityId).sort(), k).toEqual([...revoking].sort());
        const removed = await ledgerReasons(runId, chain.names[k], 'removed');
        for (const e of revoking) expect(removed.get(e), `${k} ${e}`).toBe('consent_revoked');
      }
      const { rows } = await pool().query<{ n: number }>(
        "SELECT count(*)::int AS n FROM destination_sync_state WHERE split_part(destination, '/', 2) = ANY($1) AND entity_id = ANY($2) AND NOT member AND NOT consented AND consent_revoked_at IS NOT NULL",
        [KINDS.map((k) => chain.names[k]), [...revoking]],
      );
      expect(rows[0]!.n).toBe(KINDS.length * revoking.size);
      for (const h of emails.google) if (h) expect(chain.servers.google.hasEmail(chain.servers.googleAudienceId, h)).toBe(false);
      for (const h of emails.meta) if (h) expect(chain.servers.meta.hasEmail(chain.servers.metaAudienceId, h)).toBe(false);
    });

    it('cycle 4 rides out 429s and 503s with Retry-After: every row applied once, the revoked visitors never re-added', async () => {
      const s = chain.servers;
      const throttledBefore = { google: s.google.counts.throttled, meta: s.meta.counts.throttled, webhook: s.webhook.counts.injected, target: s.target.counts.throttled };
      s.google.failNext(2, 429, 1);
      s.google.failNext(3, 503, 1);
      s.meta.failNext(3, 503, 1);
      s.meta.failNext(2, 429, 1);
      s.webhook.injectFailures(2, 429, 1);
      s.webhook.injectFailures(3, 503, 1);
      s.target.inject({ throttle: 4, serverError: 1 });

      const before = await mark(chain.servers, nc, chain.stream);
      const runId = `${chain.pipeline.name}.run-4`;
      await completed(await startRun(chain, 4, await laterDelivery(chain, 4, 9, expiring, revoking)));
      const { plans } = await verifyRun(chain, runId, before);

      // Every injected failure was answered, and the run still completed with each chunk applied once.
      expect(s.google.counts.throttled - throttledBefore.google).toBe(5);
      expect(s.meta.counts.throttled - throttledBefore.meta).toBe(5);
      expect(s.webhook.counts.injected - throttledBefore.webhook).toBe(5);
      expect(s.target.counts.throttled - throttledBefore.target).toBe(4);
      expect(s.google.counts.duplicates).toBe(0);
      expect(s.meta.counts.duplicates).toBe(0);
      expect(s.target.counts.duplicateBatches).toBe(0);
      const { rows: chunkRows } = await pool().query<{ destination: string; n: number }>(
        'SELECT destination, count(*)::int AS n FROM destination_sync_chunk WHERE run_id = $1 GROUP BY destination',
        [runId],
      );
      for (const k of KINDS) expect(chunkRows.find((r) => r.destination === chain.names[k])?.n ?? 0, k).toBe(plans[k].chunks.length);

      // Consent still revoked: held back, never sent, not delivered.
      for (const k of KINDS) {
        expect(plans[k].rows.filter((r) => revoking.has(r.entityId)), k).toEqual([]);
        const heldBack = plans[k].plan.held.filter((h) => revoking.has(h.entityId));
        expect(heldBack.map((h) => h.reason), k).toEqual([...revoking].map(() => 'no_consent'));
        const delivered = await ledgerReasons(runId, chain.names[k], 'delivered');
        for (const e of revoking) expect(delivered.has(e), `${k} ${e}`).toBe(false);
      }
      for (const e of revoking) {
        expect(chain.held.webhook.held.has(e)).toBe(false);
        expect(chain.held.nats.held.has(e)).toBe(false);
      }
    });
  });

  describe('a worker killed mid-export (run in the background from the start)', () => {
    it('resumes on a new worker with nothing lost and nothing applied twice at any receiver', { timeout: 150_000 }, async () => {
      const { runId, atKill, chunksAtKill, result } = await crashOutcome;
      const s = crash.servers;
      for (const k of ['target', 'google', 'meta', 'webhook'] as const) {
        expect(atKill[k], `${k} had seen ${atKill[k]} of ${chunksAtKill[k]} chunks when the worker died`).toBeLessThan(chunksAtKill[k]);
      }

      // Nothing lost: every planned row reached its receiver, under the planned keys.
      const { plans } = await verifyRun(crash, runId, { webhook: 0, target: 0, google: 0, meta: 0, natsSeq: 0 });
      for (const k of KINDS) {
        expect(plans[k].counts, k).toMatchObject({ updates: 0, removes: 0 });
        expect(plans[k].chunks.length, `${k} was sent in several chunks`).toBeGreaterThan(2);
        expect(result.exports.find((e) => e.destination === crash.names[k])?.rows, k).toBe(plans[k].rows.length);
      }
      // Nothing applied twice: a chunk in flight when the worker died was sent again under the same
      // key and recognised as a redelivery, never applied a second time.
      expect(s.google.membership(crash.servers.googleAudienceId)).toBe(plans.google.counts.adds);
      expect(s.google.counts.membersNew).toBe(plans.google.counts.adds);
      expect(s.meta.membership(crash.servers.metaAudienceId)).toBe(plans.meta.counts.adds);
      expect(s.meta.counts.recordsAdded).toBe(plans.meta.counts.adds);
      expect(sum([...s.target.batches.values()].map((b) => b.applied.length))).toBe(plans.target.counts.adds);
      expect(s.target.profiles.size).toBe(plans.target.counts.adds);
      expect(s.webhook.counts.unique).toBe(webhookIds(plans.webhook, WEBHOOK_BATCH).length);
      const redelivered = s.google.counts.duplicates + s.meta.counts.duplicates + s.target.counts.duplicateBatches + s.webhook.counts.duplicates;
      console.info(`crash: receivers at kill ${JSON.stringify(atKill)}; redeliveries recognised ${redelivered}`);
      // The requests in flight when the worker died were applied by the receivers and sent again.
      expect(redelivered).toBeGreaterThan(0);
    });
  });
});
