/**
 * A database fault must fail an activity, never the worker process. A `scoreflow worker` child
 * process (as an operator runs it) works through a real activation cycle (ingest, features, score,
 * gate, publish, a file export and a webhook export to the contract receiver) while every backend of
 * the test database is terminated with pg_terminate_backend, several times: while a transaction
 * is open (score's DELETE, held on a table lock the test takes), while a COPY is in flight
 * (publish's COPY, held the same way), and then blindly. The worker process must still be alive, the run
 * must complete (Temporal retries the failed activities), and the counts must reconcile: every
 * record of the feed loaded once, every visitor published once, the ledger and the receivers holding
 * each routed row exactly once.
 *
 * The faults terminate every backend of a database, so the suite runs on a database of its own
 * (the run's test database name + `_dbfault_test`, recreated and migrated here): suites running in
 * parallel on the shared test database never see their connections cut.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerateResult } from '../../tools/feed-generator/generator.ts';
import { closePools, getPool, migrate, recreateDatabase } from '../../activities/store/db.ts';
import { startContractServers, type ContractServers } from '../../tools/contract-servers/start-all.ts';
import type { ActivationRunResult } from '../../workflows/activation-run.ts';
import { statusQuery } from '../../workflows/messages.ts';
import type { Destination } from '../../contracts/pipeline-config.ts';
import { generateRecentFeed, readFileExport, uid } from '../helpers/activation-run.ts';
import { writeTestPipeline, type TestPipeline } from '../helpers/pipeline.ts';
import { REPO_ROOT } from '../helpers/run-cli.ts';
import { temporalAddress } from '../helpers/temporal.ts';

const VISITORS = 800;
/** Terminations of every backend of the database during the run, at least. */
const MIN_KILLS = 2;
/**
 * At most this many, at least this far apart, and at most KILLS_PER_STEP while the same activities
 * (or export children) are pending: a stage's activity has 5 attempts, and a database that fails it
 * five times in a row is an outage that should pause the run, which is not what this test is about.
 */
const MAX_KILLS = 10;
const KILL_SPACING_MS = 3_000;
const KILLS_PER_STEP = 2;

/** This suite's database (set in beforeAll); process.env.DATABASE_URL is left as it is. */
let dbUrl = '';
const databaseName = () => new URL(dbUrl).pathname.slice(1);

/** This suite's own database, next to the run's test database (recreated: only *_test names are). */
function ownDatabaseUrl(shared: string): string {
  const url = new URL(shared);
  url.pathname = `/${url.pathname.slice(1)}_dbfault_test`;
  return url.toString();
}

interface Kill {
  /** What was running when the backends were terminated. */
  during: 'copy' | 'transaction' | 'any';
  /** The run's pending activities and child workflows at that moment. */
  step: string;
  terminated: number;
  query: string;
}

let servers: ContractServers;
let pipeline: TestPipeline;
let feed: GenerateResult;
let worker: ChildProcess;
let workerLog = '';
let workerExit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
let connection: Connection;
let client: Client;
const workflowId = uid('dbfault-run');
let run: ActivationRunResult;
const kills: Kill[] = [];

/** Terminates every backend of the test database (from the `postgres` database, so not itself). */
async function terminateAll(admin: pg.Client): Promise<number> {
  const { rows } = await admin.query<{ n: number }>(
    'SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
    [databaseName()],
  );
  return rows[0]!.n;
}

/** What the run is doing: its pending activities and child workflows, by type. */
async function pendingStep(handle: WorkflowHandle): Promise<string> {
  const { raw } = await handle.describe();
  const acts = (raw.pendingActivities ?? []).map((a) => a.activityType?.name ?? '?');
  const children = (raw.pendingChildren ?? []).map((c) => `child:${c.workflowTypeName ?? '?'}`);
  return [...acts, ...children].sort().join(',');
}

/** A connection to the test database holding `LOCK TABLE <table> IN SHARE MODE` in an open transaction. */
async function lockTable(table: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: dbUrl });
  c.on('error', () => {}); // it is terminated with the others
  await c.connect();
  await c.query('BEGIN');
  await c.query(`LOCK TABLE ${table} IN SHARE MODE`);
  return c;
}

/**
 * The deterministic faults: each lock blocks the run's writes to one table, so a backend is caught
 * waiting inside its statement and its transaction when every backend is terminated (the lock holder
 * with them, which releases the lock). The score activity's transaction starts with a DELETE from
 * scored_entity ('transaction'); publish writes activation_record with COPY ('copy').
 */
const LOCKED_STEPS: { during: 'transaction' | 'copy'; table: string; statement: RegExp }[] = [
  { during: 'transaction', table: 'scored_entity', statement: /^\s*DELETE FROM scored_entity\b/i },
  { during: 'copy', table: 'activation_record', statement: /^\s*COPY activation_record\b/i },
];

/**
 * Until `done()`: first the locked steps, in order (each terminates every backend while the run's
 * statement waits on the lock), then blind terminations whenever the worker is busy, spaced
 * KILL_SPACING_MS apart and at most KILLS_PER_STEP per pending step.
 */
async function terminateDuringRun(handle: WorkflowHandle, firstLock: pg.Client, done: () => boolean): Promise<void> {
  const url = new URL(dbUrl);
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  admin.on('error', () => {});
  await admin.connect();
  let locker: pg.Client | undefined = firstLock;
  let lockerPid = (await firstLock.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  let locked = 0;
  try {
    let last = 0;
    while (!done() && kills.length < MAX_KILLS) {
      await new Promise((r) => setTimeout(r, 25));
      const { rows } = await admin.query<{ pid: number; query: string; in_tx: boolean; waiting: boolean }>(
        `SELECT pid, query, xact_start IS NOT NULL AS in_tx, wait_event_type = 'Lock' AS waiting FROM pg_stat_activity
          WHERE datname = $1 AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')`,
        [databaseName()],
      );
      const run = rows.filter((r) => r.pid !== lockerPid);
      let during: Kill['during'] | undefined;
      let query = '';
      if (locked < LOCKED_STEPS.length) {
        const step = LOCKED_STEPS[locked]!;
        const blocked = run.find((r) => r.waiting && r.in_tx && step.statement.test(r.query));
        if (!blocked) continue;
        [during, query] = [step.during, blocked.query];
      } else {
        if (Date.now() - last < KILL_SPACING_MS || run.length === 0) continue;
        [during, query] = ['any', run[0]!.query];
      }
      const step = await pendingStep(handle);
      if (during === 'any' && (!step || kills.filter((k) => k.step === step).length >= KILLS_PER_STEP)) continue;
      const terminated = await terminateAll(admin);
      await locker?.end().catch(() => {});
      locker = undefined;
      if (terminated === 0) continue;
      kills.push({ during, step, terminated, query: query.slice(0, 80) });
      last = Date.now();
      if (during !== 'any') {
        locked++;
        if (locked < LOCKED_STEPS.length) {
          locker = await lockTable(LOCKED_STEPS[locked]!.table);
          lockerPid = (await locker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
        }
      }
    }
  } finally {
    await locker?.end().catch(() => {});
    await admin.end().catch(() => {});
  }
}

beforeAll(async () => {
  // Passed explicitly (the worker child's env, getPool(dbUrl)); the process environment is not changed.
  dbUrl = ownDatabaseUrl(process.env.DATABASE_URL!);
  await recreateDatabase(dbUrl);
  await migrate(dbUrl);
  const tmp = mkdtempSync(join(tmpdir(), 'scoreflow-dbfault-'));
  servers = await startContractServers({ tag: uid('dbf').replace(/-/g, '') });
  const webhook = servers.destinations().find((d) => d.kind === 'webhook')! as Destination;
  pipeline = writeTestPipeline(
    {
      online: { enabled: false },
      destinations: [
        { name: 'outbox', kind: 'file', outbox: join(tmp, 'outbox'), formats: ['csv', 'jsonl'], filter: { consentPurpose: 'personalization', requireEligible: true }, holdout: 'exclude_control' },
        { ...webhook, name: 'offers-webhook' },
      ],
    },
    uid('dbfault'),
  );
  feed = await generateRecentFeed({ out: pipeline.inbox, rsid: uid('dbfault').replace(/-/g, ''), seed: 14_001, visitors: VISITORS });

  const taskQueue = uid('dbfault-queue');
  worker = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'cli', 'main.ts'), 'worker'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      ...servers.env,
      TEMPORAL_ADDRESS: temporalAddress(),
      DATABASE_URL: dbUrl,
      SCOREFLOW_TASK_QUEUE: taskQueue,
      // Its own real-time queue too: on another database, it must never take another suite's tasks.
      SCOREFLOW_REALTIME_TASK_QUEUE: `${taskQueue}-realtime`,
      SCOREFLOW_REPORT_DIR: join(tmp, 'reports'),
      METRICS_PORT: 'off',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (b: Buffer) => {
    workerLog = (workerLog + b.toString()).slice(-40_000);
  };
  worker.stdout!.on('data', keep);
  worker.stderr!.on('data', keep);
  worker.once('exit', (code, signal) => {
    workerExit = { code, signal };
  });

  // The faults are for the run: wait until the worker has migrated and is polling.
  const deadline = Date.now() + 300_000;
  while (!/worker running/.test(workerLog)) {
    if (workerExit || Date.now() > deadline) throw new Error(`the worker did not start (${JSON.stringify(workerExit)}):\n${workerLog}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  connection = await Connection.connect({ address: temporalAddress() });
  client = new Client({ connection });
  const firstLock = await lockTable(LOCKED_STEPS[0]!.table);
  const handle = await client.workflow.start('activationRun', { taskQueue, workflowId, args: [{ pipelinePath: pipeline.path, feedDir: pipeline.inbox }] });
  let finished = false;
  const killing = terminateDuringRun(handle, firstLock, () => finished || workerExit !== null);
  try {
    // Fails fast, with what happened, when the worker dies or the run pauses instead of completing.
    for (;;) {
      const desc = await handle.describe();
      if (desc.status.name !== 'RUNNING') break;
      if (workerExit) throw new Error(`the worker process exited (${JSON.stringify(workerExit)})`);
      const view = await handle.query(statusQuery).catch(() => undefined);
      if (view?.status === 'PAUSED') throw new Error(`the run paused at ${view.stage}: ${view.pausedReason}`);
      await new Promise((r) => setTimeout(r, 1_000));
    }
    run = (await handle.result()) as ActivationRunResult;
  } catch (err) {
    throw new Error(`run ${workflowId} did not complete: ${(err as Error).message}\nkills: ${JSON.stringify(kills)}\nworker log:\n${workerLog}`);
  } finally {
    finished = true;
    await killing;
  }
}, 900_000);

afterAll(async () => {
  if (worker && worker.exitCode === null && worker.signalCode === null) {
    worker.kill('SIGTERM');
    await new Promise((r) => worker.once('exit', r));
  }
  await connection?.close();
  await servers?.close();
  await closePools();
});

describe('the worker survives termination of every database backend during a run', () => {
  it('terminated the backends repeatedly, mid-COPY and mid-transaction included, and the worker process stayed up', () => {
    expect(kills.length, JSON.stringify(kills)).toBeGreaterThanOrEqual(MIN_KILLS);
    expect(kills.filter((k) => k.during === 'copy').length, JSON.stringify(kills)).toBeGreaterThanOrEqual(1);
    expect(kills.filter((k) => k.during === 'transaction').length, JSON.stringify(kills)).toBeGreaterThanOrEqual(1);
    expect(workerExit, `the worker exited:\n${workerLog}`).toBeNull();
    expect(worker.exitCode).toBeNull();
    expect(workerLog).not.toMatch(/Emitted 'error' event|Unhandled/);
  });

  it('the run completes, and its counts reconcile with the feed and the database', async () => {
    expect(run.status, `paused or failed: ${JSON.stringify(run)}\nkills: ${JSON.stringify(kills)}`).toBe('COMPLETED');
    const c = run.counts;
    expect(c.records).toBe(feed.records);
    expect(c.records).toBe(c.loaded! + c.excluded! + c.quarantined!);
    const db = getPool(dbUrl);
    const deliveries = feed.deliveries.map((d) => d.deliveryId);
    const hits = await db.query<{ n: number; distinct_n: number }>(
      'SELECT count(*)::int AS n, count(DISTINCT (delivery_id, file_name, record_no))::int AS distinct_n FROM feed_hit WHERE delivery_id = ANY($1)',
      [deliveries],
    );
    expect(hits.rows[0]).toEqual({ n: c.loaded, distinct_n: c.loaded });
    const visitors = await db.query<{ n: number }>('SELECT count(DISTINCT visitor_id)::int AS n FROM feed_hit WHERE delivery_id = ANY($1)', [deliveries]);
    expect(c.features).toBe(visitors.rows[0]!.n);
    expect(c.scored).toBe(c.features);
    expect(c.published! + c.contractQuarantined!).toBe(c.scored);
    const published = await db.query<{ n: number; distinct_n: number }>(
      'SELECT count(*)::int AS n, count(DISTINCT entity_id)::int AS distinct_n FROM activation_record WHERE run_id = $1',
      [workflowId],
    );
    expect(published.rows[0]).toEqual({ n: c.published, distinct_n: c.published });
  });

  it('the file export holds each routed record once, and the ledger agrees', async () => {
    const e = run.exports.find((x) => x.destination === 'outbox')!;
    const out = readFileExport(e.location!);
    expect(out.csv).toHaveLength(e.rows);
    expect(new Set(out.csv.map((r) => r.entity_id)).size).toBe(e.rows);
    const { rows } = await getPool(dbUrl).query<{ stage: string; n: number }>(
      "SELECT stage, count(*)::int AS n FROM ledger_event WHERE run_id = $1 AND destination IN ('', 'outbox') GROUP BY stage ORDER BY stage",
      [workflowId],
    );
    expect(Object.fromEntries(rows.map((r) => [r.stage, r.n]))).toEqual({ generated: run.counts.published, exported: e.rows, delivered: e.rows, suppressed: run.counts.published! - e.rows });
  });

  it('the webhook receiver applied every delivered row exactly once', async () => {
    const e = run.exports.find((x) => x.destination === 'offers-webhook')!;
    expect(e.rows).toBeGreaterThan(0);
    const delivered = await getPool(dbUrl).query<{ entity_id: string }>("SELECT entity_id FROM ledger_event WHERE run_id = $1 AND destination = 'offers-webhook' AND stage = 'delivered'", [workflowId]);
    // Applied = the first delivery of each webhook-id; redeliveries after a lost commit are deduped by the receiver.
    const applied = [...servers.webhook.messages.values()].flatMap((m) => (m as { data: { rows: { entity_id: string }[] } }).data.rows.map((r) => r.entity_id));
    expect(applied.length).toBe(new Set(applied).size);
    expect(new Set(applied)).toEqual(new Set(delivered.rows.map((r) => r.entity_id)));
    expect(applied.length).toBe(e.rows);
  });
});
