/**
 * The fault-injection suite: `npm run chaos [-- --short] [-- --json] [-- --seed N]` (docs/chaos.md).
 *
 * Each run is a full activation cycle (ingest → features → score → gate → publish → export) of a
 * generated feed, on a `scoreflow worker` child process, against its own contract servers (Target,
 * Google, Meta, a webhook receiver; each behind a fault proxy) and its own NATS JetStream stream,
 * on one Temporal dev server that keeps its state in a file (so a kill -9 and restart loses nothing).
 * While the run is under way one fault is injected:
 * - worker-kill@<stage>: kill -9 of the worker at a random moment of ingest, score, publish or export,
 *   then a new worker is started (as a supervisor would);
 * - temporal-restart: kill -9 of the Temporal dev server during scoring, restarted on the same port
 *   and database file;
 * - db-terminate: pg_terminate_backend of every backend of the database, again and again (0.3–2 s
 *   apart, at most 3 hits per stage) from the start of ingest to the end of the export;
 * - receivers-500/503/429: every HTTP receiver answers that status for --outage-seconds from the
 *   start of the export, then recovers.
 * A run that pauses is resumed the way an operator does it (`scoreflow resume --run`), once the
 * fault is over. A worker that exits without being killed is counted as a crash and replaced (an
 * operator would have to start it by hand). Then every receiver is counted against the sync plan
 * the run stored in PostgreSQL: lost rows, rows applied twice, rows nobody planned.
 *
 * Exit code 0 only when nothing was lost, duplicated or unplanned, no worker crashed, and every run
 * completed (after resumes). Fixed seed by default; the seed is printed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { connect, type NatsConnection } from 'nats';
import pg from 'pg';
import { stringify } from 'yaml';
import { generateFeed } from './feed-generator/generator.ts';
import { closePools, ensureDatabase, getPool, migrate } from '../activities/store/db.ts';
import type { Destination } from '../contracts/pipeline-config.ts';
import type { RunStatusView } from '../workflows/messages.ts';
import type { ActivationRunResult } from '../workflows/activation-run.ts';
import { WORKFLOWS_PATH } from '../workers/worker.ts';
import { accountRun, KINDS, type DestinationCount, type Kind } from './chaos/accounting.ts';
import { startFaultProxy, type FaultProxy, type OutageStatus } from './chaos/fault-proxy.ts';
import { startContractServers, type ContractServers } from './contract-servers/start-all.ts';
import { freePort, startDevServer, type RunningDevServer } from '../cli/services/dev-server.ts';
import { generatedFeedPipelineBase } from './pipeline-base.ts';
import { createRandom, deriveSeed, type SeededRandom } from './feed-generator/seeded-random.ts';

const REPO = resolve(import.meta.dirname, '..');
const DEFAULT_SEED = 20_261_204;
const DEFAULT_DATABASE = 'postgres://postgres@127.0.0.1:5432/scoreflow_chaos_dev';
const NATS_URL = process.env.NATS_URL ?? '127.0.0.1:4222';
const KILL_STAGES = ['ingest', 'score', 'publish', 'export'] as const;
type KillStage = (typeof KILL_STAGES)[number];
/** Workflow stages in run order, to tell whether a run is already past a stage it was to be killed in. */
const STAGE_ORDER = ['load-pipeline', 'discover', 'expire', 'ingest', 'mark-deliveries', 'identity-sources', 'features', 'resolve-model', 'score', 'gate', 'set-champion', 'publish', 'publish-online', 'export', 'activation-drift', 'report', 'rollback-window', 'done'];
const stageIndex = (s: string) => STAGE_ORDER.indexOf(s);
/** Small chunks, so a kill or an outage lands between the chunks of an export under way. */
const CHUNK_ROWS: Record<Kind, number> = { target: 100, google: 50, meta: 50, webhook: 100, nats: 100 };
const BASE_NAME: Record<Kind, string> = { target: 'target-profiles', google: 'google-audience', meta: 'meta-audience', webhook: 'offers-webhook', nats: 'decisions-nats' };
const GATES_OFF = {
  // Every run is a first cycle over a generated feed with fixed dates: feed age and drift between
  // runs are not what is under test.
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

type Fault = { kind: 'worker-kill'; stage: KillStage } | { kind: 'temporal-restart' } | { kind: 'db-terminate' } | { kind: 'receivers'; status: OutageStatus };
const faultLabel = (f: Fault) => (f.kind === 'worker-kill' ? `worker-kill@${f.stage}` : f.kind === 'receivers' ? `receivers-${f.status}` : f.kind);
/** Faults that hit everything in flight (one server, one database): their runs go one at a time, alone. */
const isGlobal = (f: Fault) => f.kind === 'temporal-restart' || f.kind === 'db-terminate';

interface Options {
  json: boolean;
  short: boolean;
  seed: number;
  visitors: number;
  kills: number;
  outageSeconds: number;
  parallel: number;
  runTimeoutSeconds: number;
  databaseUrl: string;
  keep: boolean;
  /** Run the Temporal restart and the backend termination alongside the others (short form), not alone at the end. */
  overlap: boolean;
  /** Also write the JSON object to this file (whatever the stdout form). */
  jsonFile?: string;
  /** Only the faults whose label starts with one of these (e.g. `db-terminate,receivers`). */
  only?: string[];
}

export interface RunOutcome {
  run: string;
  fault: string;
  status: string;
  injected: string[];
  paused: number;
  resumed: number;
  pausedReasons: string[];
  workerCrashes: number;
  crashLog?: string;
  seconds: number;
  destinations: DestinationCount[];
  planned: number;
  lost: number;
  duplicated: number;
  unplanned: number;
  redelivered: number;
  error?: string;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: 'boolean', default: false },
      short: { type: 'boolean', default: false },
      seed: { type: 'string' },
      visitors: { type: 'string' },
      kills: { type: 'string' },
      'outage-seconds': { type: 'string' },
      parallel: { type: 'string' },
      'run-timeout': { type: 'string' },
      'database-url': { type: 'string' },
      keep: { type: 'boolean', default: false },
      overlap: { type: 'boolean' },
      'json-file': { type: 'string' },
      only: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'npm run chaos -- [--short] [--json] [--seed N] [--visitors N] [--kills N] [--outage-seconds N] [--parallel N] [--run-timeout S] [--database-url URL] [--overlap] [--json-file FILE] [--only FAULT,...] [--keep]\n' +
        'Full cycles under injected faults; counts lost and duplicated rows at the receivers against the stored sync plan. See docs/chaos.md.\n',
    );
    process.exit(0);
  }
  const int = (flag: string, v: string | undefined, dflt: number, min: number) => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${flag} "${v}": expected a whole number ≥ ${min}`);
    return n;
  };
  const short = values.short!;
  const databaseUrl = values['database-url'] ?? process.env.SCOREFLOW_CHAOS_DATABASE_URL ?? DEFAULT_DATABASE;
  const dbName = new URL(databaseUrl).pathname.slice(1);
  // The suite drops and recreates its database, and terminates every backend of it.
  if (!/^scoreflow_chaos\w*$/.test(dbName)) throw new Error(`--database-url names "${dbName}": the chaos suite drops and recreates its database, so it only uses databases named scoreflow_chaos*`);
  return {
    json: values.json!,
    short,
    seed: int('seed', values.seed, DEFAULT_SEED, 0),
    visitors: int('visitors', values.visitors, short ? 1_000 : 2_000, 50),
    kills: int('kills', values.kills, short ? 2 : 10, 0),
    outageSeconds: int('outage-seconds', values['outage-seconds'], short ? 20 : 75, 1),
    parallel: int('parallel', values.parallel, 3, 1),
    runTimeoutSeconds: int('run-timeout', values['run-timeout'], 900, 30),
    databaseUrl,
    keep: values.keep!,
    overlap: values.overlap ?? short,
    jsonFile: values['json-file'],
    only: values.only?.split(',').map((x) => x.trim()).filter(Boolean),
  };
}

/** The runs of a suite: --kills worker kills spread over the four stages, then one of each other fault. */
function planRuns(o: Options): Fault[] {
  const kills: Fault[] = Array.from({ length: o.kills }, (_, i) => ({ kind: 'worker-kill', stage: (o.short ? (['score', 'export'] as const) : KILL_STAGES)[i % (o.short ? 2 : 4)]! }));
  const outages: Fault[] = o.short ? [{ kind: 'receivers', status: 503 }] : ([500, 503, 429] as const).map((status) => ({ kind: 'receivers', status }));
  const all: Fault[] = [...kills, ...outages, { kind: 'temporal-restart' }, { kind: 'db-terminate' }];
  return o.only ? all.filter((f) => o.only!.some((p) => faultLabel(f).startsWith(p))) : all;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)));
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

interface WorkerProc {
  child: ChildProcess;
  log: () => string;
  killedByUs: boolean;
  exited: Promise<void>;
}

/** The suite's shared parts: database, Temporal dev server (restartable), NATS, the workflow bundle. */
class Suite {
  dev!: RunningDevServer;
  port!: number;
  connection!: Connection;
  client!: Client;
  nc!: NatsConnection;
  bundlePath!: string;
  readonly dir: string;
  readonly rnd: SeededRandom;
  /** Every worker process started, so an interrupted suite leaves none behind. */
  readonly children = new Set<ChildProcess>();
  private readonly log: (line: string) => void;

  constructor(readonly o: Options) {
    this.dir = mkdtempSync(join(tmpdir(), 'scoreflow-chaos-'));
    this.rnd = createRandom(o.seed);
    this.log = (line) => process.stderr.write(`[chaos] ${line}\n`);
  }

  say(line: string) {
    this.log(line);
  }

  async start() {
    await recreateChaosDatabase(this.o.databaseUrl);
    this.say(`database ${new URL(this.o.databaseUrl).pathname.slice(1)} recreated and migrated`);
    const quiet = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: (m: string) => this.say(m) };
    const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quiet });
    this.bundlePath = join(this.dir, 'workflow-bundle.js');
    writeFileSync(this.bundlePath, bundle.code);
    this.port = await freePort();
    await this.startTemporal();
    this.connection = await Connection.connect({ address: this.dev.address });
    this.client = new Client({ connection: this.connection });
    this.nc = await connect({ servers: NATS_URL });
  }

  /** Starts (or restarts) the dev server on the suite's port and database file: its state survives a kill -9. */
  async startTemporal() {
    this.dev = await startDevServer({ port: this.port, headless: true, dbFile: join(this.dir, 'temporal', 'dev-server.db'), logFile: join(this.dir, 'temporal', 'dev-server.log') });
  }

  async killTemporal(): Promise<void> {
    const child = this.dev.child;
    const exited = new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
    child.kill('SIGKILL');
    await exited;
  }

  startWorker(env: Record<string, string>): WorkerProc {
    let out = '';
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'cli', 'main.ts'), 'worker'], {
      cwd: REPO,
      env: {
        ...process.env,
        ...env,
        TEMPORAL_ADDRESS: this.dev.address,
        DATABASE_URL: this.o.databaseUrl,
        SCOREFLOW_WORKFLOW_BUNDLE: this.bundlePath,
        METRICS_PORT: 'off',
        LOG_LEVEL: 'warn',
        NATS_URL,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (b: Buffer) => {
      out = (out + b.toString()).slice(-20_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.children.add(child);
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    return { child, log: () => out, killedByUs: false, exited };
  }

  /** `scoreflow resume --run ID`, as an operator sends it. */
  async resume(workflowId: string, reason: string): Promise<{ ok: boolean; output: string }> {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'cli', 'main.ts'), 'resume', '--run', workflowId, '--reason', reason, '--operator', 'chaos-suite', '--timeout', '60s', '--json'], {
      cwd: REPO,
      env: { ...process.env, TEMPORAL_ADDRESS: this.dev.address, DATABASE_URL: this.o.databaseUrl, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (output += b.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    return { ok: code === 0, output: output.trim().slice(-2000) };
  }

  async terminateBackends(): Promise<number> {
    const admin = new URL(this.o.databaseUrl);
    const db = admin.pathname.slice(1);
    admin.pathname = '/postgres';
    const c = new pg.Client({ connectionString: admin.toString() });
    await c.connect();
    try {
      const { rows } = await c.query<{ n: number }>('SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [db]);
      return rows[0]!.n;
    } finally {
      await c.end();
    }
  }

  async stop() {
    await this.connection?.close().catch(() => undefined);
    await this.nc?.drain().catch(() => undefined);
    await this.dev?.stop().catch(() => undefined);
    await closePools();
    if (!this.o.keep) rmSync(this.dir, { recursive: true, force: true });
    else this.say(`kept ${this.dir}`);
  }
}

async function recreateChaosDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const c = new pg.Client({ connectionString: admin.toString() });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await c.end();
  }
  await ensureDatabase(url);
  await migrate(url);
}

/** One run: its receivers, feed, pipeline and worker; the fault injected; the resumes; the count. */
async function executeRun(suite: Suite, index: number, fault: Fault): Promise<RunOutcome> {
  const o = suite.o;
  const label = faultLabel(fault);
  // Names carry the process id: two suites may share the NATS server (stream names) at once.
  const tag = `c${process.pid.toString(36)}n${index}`;
  const workflowId = `chaos-${tag}.run`;
  const dir = join(suite.dir, tag);
  mkdirSync(dir, { recursive: true });
  const rnd = createRandom(deriveSeed(o.seed, index));
  const started = Date.now();
  const outcome: RunOutcome = {
    run: workflowId,
    fault: label,
    status: 'NOT_STARTED',
    injected: [],
    paused: 0,
    resumed: 0,
    pausedReasons: [],
    workerCrashes: 0,
    seconds: 0,
    destinations: [],
    planned: 0,
    lost: 0,
    duplicated: 0,
    unplanned: 0,
    redelivered: 0,
  };
  const note = (what: string) => {
    outcome.injected.push(`${((Date.now() - started) / 1000).toFixed(1)}s ${what}`);
    suite.say(`${workflowId} [${label}] ${what}`);
  };

  const servers: ContractServers = await startContractServers({
    tag,
    // A Target window of one second: many small chunks must not wait out the one-minute rate limit.
    target: { windowMs: 1000, latencyMs: 5 },
    google: { latencyMs: 5 },
    meta: { latencyMs: 5 },
    webhook: { latencyMs: 5 },
  });
  const proxies: Partial<Record<Kind, FaultProxy>> = {};
  let worker: WorkerProc | undefined;
  const workers: WorkerProc[] = [];
  try {
    proxies.target = await startFaultProxy(servers.target.url);
    proxies.google = await startFaultProxy(servers.google.url);
    proxies.meta = await startFaultProxy(servers.meta.url);
    proxies.webhook = await startFaultProxy(servers.webhook.url);
    const names = Object.fromEntries(KINDS.map((k) => [k, BASE_NAME[k]])) as Record<Kind, string>;
    const destinations = servers.destinations().map((d) => {
      const kind = (Object.entries(BASE_NAME) as [Kind, string][]).find(([, n]) => n === d.name)![0];
      const config: Record<string, unknown> = { ...(d as { config: Record<string, unknown> }).config, chunkRows: CHUNK_ROWS[kind] };
      if (kind === 'target') {
        config.baseUrl = proxies.target!.url;
        config.rateWindowMs = 1000;
      }
      if (kind === 'google') config.baseUrl = proxies.google!.url;
      if (kind === 'meta') config.baseUrl = proxies.meta!.url;
      if (kind === 'webhook') config.url = proxies.webhook!.url;
      return { ...d, config } as Destination;
    });

    const feedDir = join(dir, 'feed');
    await generateFeed({ visitors: o.visitors, days: 1, seed: deriveSeed(o.seed, 7), out: feedDir, rsid: `sfchaos${tag}`, startDate: '2026-03-02' });
    const pipelinePath = join(dir, 'pipeline.yaml');
    writeFileSync(
      pipelinePath,
      stringify({
        name: `chaos-${tag}`,
        inbox: feedDir,
        ...generatedFeedPipelineBase(),
        // Records must outlive the run however long the faults hold it up.
        freshness: { maxAgeHours: 24 * 365 * 5 },
        holdout: { experimentKey: 'chaos', controlShare: 0.1 },
        gates: GATES_OFF,
        online: { enabled: false },
        destinations,
      }),
    );

    const taskQueue = `chaos-${tag}`;
    const workerEnv = { ...servers.env, SCOREFLOW_TASK_QUEUE: taskQueue, SCOREFLOW_REPORT_DIR: join(dir, 'reports') };
    const newWorker = () => {
      worker = suite.startWorker(workerEnv);
      workers.push(worker);
      return worker;
    };
    newWorker();
    const handle: WorkflowHandle = await suite.client.workflow.start('activationRun', { taskQueue, workflowId, args: [{ pipelinePath, feedDir }] });
    outcome.status = 'RUNNING';

    // What to inject, and when.
    const killAt = fault.kind === 'worker-kill' ? fault.stage : undefined;
    let killDelayMs = Math.floor(rnd.next() * 1500);
    let injected = false;
    const terminatedIn = new Map<string, number>();
    let nextTerminationAt = 0;
    let faultClearsAt = 0;
    let lastStage = '';
    let stageSeenAt = 0;
    const deadline = started + o.runTimeoutSeconds * 1000;

    for (;;) {
      // A worker that died without being killed by the suite: a crash. Replace it, as an operator would have to.
      if (worker && worker.child.exitCode !== null && !worker.killedByUs) {
        outcome.workerCrashes++;
        const tail = worker.log().trim().split('\n').slice(-8).join('\n');
        outcome.crashLog ??= tail;
        note(`worker exited on its own (code ${worker.child.exitCode}); starting a new one. Last output:\n${tail}`);
        newWorker();
      }
      const desc = await withTimeout(handle.describe(), 5000).catch(() => undefined);
      if (desc && desc.status.name !== 'RUNNING') break;
      const view = (await withTimeout(handle.query<RunStatusView>('status'), 3000).catch(() => undefined)) as RunStatusView | undefined;
      const stage = view?.stage ?? lastStage;
      if (stage !== lastStage) {
        lastStage = stage;
        stageSeenAt = Date.now();
      }

      if (!injected && killAt && stage && (stage === killAt || stageIndex(stage) > stageIndex(killAt))) {
        // Past the stage already (it was shorter than one poll): kill now, and say where it landed.
        if (stage !== killAt) killDelayMs = 0;
        if (Date.now() - stageSeenAt >= killDelayMs) {
          injected = true;
          worker!.killedByUs = true;
          worker!.child.kill('SIGKILL');
          await worker!.exited;
          note(`kill -9 worker during ${stage} (${killDelayMs} ms into it)`);
          newWorker();
        }
      }
      if (!injected && fault.kind === 'temporal-restart' && stage === 'score') {
        injected = true;
        await sleep(Math.floor(rnd.next() * 500));
        await suite.killTemporal();
        note('kill -9 Temporal dev server during score');
        await sleep(3000);
        await suite.startTemporal();
        note('Temporal dev server restarted on the same port and database file');
      }
      // Backend termination: again and again, from the start of ingest to the end of the export, so
      // it hits clients that are idle, mid-query and checked out in a transaction.
      // At most 3 terminations that found a backend per stage, so a long ingest does not use them all.
      if (fault.kind === 'db-terminate' && (terminatedIn.get(stage) ?? 0) < 3 && stageIndex(stage) >= stageIndex('ingest') && stageIndex(stage) <= stageIndex('export') && Date.now() >= nextTerminationAt) {
        const n = await suite.terminateBackends();
        if (n > 0) {
          injected = true;
          terminatedIn.set(stage, (terminatedIn.get(stage) ?? 0) + 1);
          note(`pg_terminate_backend of ${n} backend(s) of the database during ${stage}`);
        }
        nextTerminationAt = Date.now() + 300 + Math.floor(rnd.next() * 1700);
      }
      if (!injected && fault.kind === 'receivers' && stage === 'export') {
        injected = true;
        const ms = o.outageSeconds * 1000;
        for (const p of Object.values(proxies)) p!.outage(fault.status, ms);
        faultClearsAt = Date.now() + ms;
        note(`every HTTP receiver answers ${fault.status} for ${o.outageSeconds} s`);
      }

      if (view?.status === 'PAUSED' && Date.now() >= faultClearsAt) {
        const reason = view.pausedReason ?? view.awaiting?.reason ?? '(no reason given)';
        outcome.paused++;
        outcome.pausedReasons.push(reason);
        note(`run paused: ${reason}`);
        if (outcome.resumed >= 3) {
          note('paused again after 3 resumes: giving up on it');
          break;
        }
        await sleep(1000);
        const r = await suite.resume(workflowId, `chaos suite: ${label} is over`);
        if (r.ok) {
          outcome.resumed++;
          note('scoreflow resume accepted');
        } else note(`scoreflow resume refused: ${r.output}`);
      }
      if (Date.now() > deadline) {
        outcome.status = 'STUCK';
        outcome.error = `not finished within ${o.runTimeoutSeconds} s (last stage ${lastStage || 'unknown'}, ${view?.status ?? 'no answer to the status query'}); worker output: ${worker?.log().trim().split('\n').slice(-3).join(' | ') || '(none)'}`;
        note(outcome.error);
        await handle.terminate('chaos suite: run timeout').catch(() => undefined);
        break;
      }
      await sleep(100);
    }

    if (outcome.status !== 'STUCK') {
      const result = (await withTimeout(handle.result() as Promise<ActivationRunResult>, 30_000).catch((err: Error) => ({ status: `FAILED: ${err.message}` }) as ActivationRunResult)) ?? ({ status: 'NO_RESULT' } as ActivationRunResult);
      outcome.status = result.status;
      if (result.status === 'COMPLETED') {
        const cycleRunId = result.exports.find((e) => e.destination === names.nats)?.cycleRunId ?? workflowId;
        outcome.destinations = await accountRun({ pool: getPool(o.databaseUrl), cycleRunId, names, chunkRows: CHUNK_ROWS, servers, nc: suite.nc, stream: servers.natsStream });
        for (const d of outcome.destinations) {
          outcome.planned += d.planned;
          outcome.lost += d.lost;
          outcome.duplicated += d.duplicated;
          outcome.unplanned += d.unplanned;
          outcome.redelivered += d.redelivered;
        }
      }
    }
    if (!injected) {
      outcome.error = `${outcome.error ? `${outcome.error}; ` : ''}the fault was never injected (the run never reached its stage)`;
    }
  } catch (err) {
    outcome.error = (err as Error).stack ?? String(err);
    suite.say(`${workflowId}: ${outcome.error}`);
  } finally {
    for (const w of workers) {
      if (w.child.exitCode === null && w.child.signalCode === null) {
        w.killedByUs = true;
        w.child.kill('SIGTERM');
        const t = setTimeout(() => w.child.kill('SIGKILL'), 10_000);
        await w.exited;
        clearTimeout(t);
      }
    }
    await Promise.allSettled(Object.values(proxies).map((p) => p!.close()));
    await servers.close();
    const jsm = await suite.nc.jetstreamManager().catch(() => undefined);
    await jsm?.streams.delete(servers.natsStream).catch(() => undefined);
    outcome.seconds = Math.round((Date.now() - started) / 1000);
  }
  suite.say(`${workflowId} [${label}] ${outcome.status} in ${outcome.seconds} s: planned ${outcome.planned}, lost ${outcome.lost}, duplicated ${outcome.duplicated}, unplanned ${outcome.unplanned}, paused ${outcome.paused}, resumed ${outcome.resumed}, worker crashes ${outcome.workerCrashes}`);
  return outcome;
}

export interface FaultRow {
  fault: string;
  runs: number;
  completed: number;
  paused: number;
  resumed: number;
  workerCrashes: number;
  planned: number;
  lost: number;
  duplicated: number;
  unplanned: number;
  redelivered: number;
  ok: boolean;
}

const runOk = (r: RunOutcome) => r.status === 'COMPLETED' && r.lost === 0 && r.duplicated === 0 && r.unplanned === 0 && r.workerCrashes === 0 && !r.error;

export function summarise(runs: RunOutcome[]): FaultRow[] {
  const rows = new Map<string, FaultRow>();
  for (const r of runs) {
    const row = rows.get(r.fault) ?? { fault: r.fault, runs: 0, completed: 0, paused: 0, resumed: 0, workerCrashes: 0, planned: 0, lost: 0, duplicated: 0, unplanned: 0, redelivered: 0, ok: true };
    row.runs++;
    if (r.status === 'COMPLETED') row.completed++;
    row.paused += r.paused;
    row.resumed += r.resumed;
    row.workerCrashes += r.workerCrashes;
    row.planned += r.planned;
    row.lost += r.lost;
    row.duplicated += r.duplicated;
    row.unplanned += r.unplanned;
    row.redelivered += r.redelivered;
    row.ok &&= runOk(r);
    rows.set(r.fault, row);
  }
  return [...rows.values()];
}

export function formatTable(rows: FaultRow[]): string {
  const head = ['fault', 'runs', 'completed', 'paused(+resumed)', 'crashes', 'planned rows', 'lost', 'duplicated', 'unplanned', 'redelivered', 'ok'];
  const total = rows.reduce(
    (t, r) => ({
      ...t,
      runs: t.runs + r.runs,
      completed: t.completed + r.completed,
      paused: t.paused + r.paused,
      resumed: t.resumed + r.resumed,
      workerCrashes: t.workerCrashes + r.workerCrashes,
      planned: t.planned + r.planned,
      lost: t.lost + r.lost,
      duplicated: t.duplicated + r.duplicated,
      unplanned: t.unplanned + r.unplanned,
      redelivered: t.redelivered + r.redelivered,
      ok: t.ok && r.ok,
    }),
    { fault: 'total', runs: 0, completed: 0, paused: 0, resumed: 0, workerCrashes: 0, planned: 0, lost: 0, duplicated: 0, unplanned: 0, redelivered: 0, ok: true },
  );
  const cells = [...rows, total].map((r) => [r.fault, r.runs, r.completed, `${r.paused} (+${r.resumed})`, r.workerCrashes, r.planned, r.lost, r.duplicated, r.unplanned, r.redelivered, r.ok ? 'yes' : 'NO'].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(0, -1).map(line), widths.map((w) => '-'.repeat(w)).join('  '), line(cells.at(-1)!)].join('\n');
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function pooled<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

async function main() {
  const o = parseOptions(process.argv.slice(2));
  const faults = planRuns(o);
  const suite = new Suite(o);
  const began = Date.now();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      suite.say(`${signal}: killing the workers and the Temporal dev server`);
      for (const c of suite.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      suite.dev?.child.kill('SIGKILL');
      process.exit(130);
    });
  }
  suite.say(`seed ${o.seed}; ${o.short ? 'short' : 'full'} form: ${faults.length} runs of ${o.visitors} visitors (${faults.map(faultLabel).join(', ')}); up to ${o.parallel} at once`);
  let runs: RunOutcome[] = [];
  try {
    await suite.start();
    const local = faults.map((f, i) => ({ f, i })).filter(({ f }) => o.overlap || !isGlobal(f));
    const global = faults.map((f, i) => ({ f, i })).filter(({ f }) => !o.overlap && isGlobal(f));
    runs = await pooled(local, o.parallel, ({ f, i }) => executeRun(suite, i, f));
    for (const { f, i } of global) runs.push(await executeRun(suite, i, f));
  } finally {
    await suite.stop();
  }
  const rows = summarise(runs);
  const ok = rows.every((r) => r.ok) && runs.length === faults.length;
  const seconds = Math.round((Date.now() - began) / 1000);
  const report = JSON.stringify({ ok, seed: o.seed, form: o.short ? 'short' : 'full', visitors: o.visitors, seconds, faults: rows, runs });
  if (o.jsonFile) writeFileSync(o.jsonFile, `${report}\n`);
  if (o.json) {
    process.stdout.write(`${report}\n`);
  } else {
    process.stdout.write(`chaos suite, seed ${o.seed} (${o.short ? 'short' : 'full'} form, ${o.visitors} visitors per run, ${seconds} s)\n\n${formatTable(rows)}\n\n`);
    for (const r of runs.filter((x) => !runOk(x))) {
      process.stdout.write(`NOT OK ${r.run} [${r.fault}] ${r.status}${r.error ? `: ${r.error.split('\n')[0]}` : ''}\n`);
      if (r.crashLog) process.stdout.write(`  worker crash: ${r.crashLog.split('\n').join('\n    ')}\n`);
      for (const p of r.pausedReasons) process.stdout.write(`  paused: ${p}\n`);
      for (const d of r.destinations.filter((x) => x.lost || x.duplicated || x.unplanned)) process.stdout.write(`  ${d.destination}: lost ${d.lost}, duplicated ${d.duplicated}, unplanned ${d.unplanned} of ${d.planned}\n`);
    }
    process.stdout.write(ok ? 'verdict: OK (nothing lost, nothing applied twice, every run completed)\n' : 'verdict: FAILED\n');
  }
  process.exitCode = ok ? 0 : 1;
}

main().catch((err) => {
  process.stderr.write(`chaos: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 2;
});
