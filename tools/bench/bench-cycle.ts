/**
 * Bench sections `cycle`, `scaleOut` and `scoring`.
 *
 * cycle: a full activation cycle (ingest → features → score → gate → publish → export to every demo
 *   destination: file, Target, Google, Meta, webhook, NATS, served by the contract servers) of a
 *   generated feed of ≥ --records hits, on one `scoreflow worker` process, against `scoreflow ingest`
 *   of the same deliveries alone, measured in the same run. ratioToIngest = cycle ÷ ingest seconds
 *   (target ≤ 3, goal 1.5); peakRssMb is the worker's VmHWM (target ≤ 1024).
 * scaleOut: the same cycle with `scale.shards: 2`, once on 1 worker process and once on 2, each
 *   worker pinned to one core with taskset; speedUp = 1-worker ÷ 2-worker seconds (target ≥ 1.6).
 * scoring: entities scored per second on one core (one thread, batches of 5,000) for the logistic,
 *   XGBoost and ONNX artifacts under models/purchase-propensity.
 *
 * Every cycle starts from a fresh bench database and its own headless Temporal dev server.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { stringify } from 'yaml';
import { closePools } from '../../activities/store/db.ts';
import { generateFeed } from '../feed-generator/generator.ts';
import { loadScorer } from '../../activities/scoring/load-scorer.ts';
import { FEATURE_NAMES, type FeatureVector } from '../../contracts/feature-set.ts';
import type { ArtifactFormat } from '../../contracts/model-artifact.ts';
import type { ActivationRunResult } from '../../workflows/activation-run.ts';
import { WORKFLOWS_PATH } from '../../workers/worker.ts';
import { startContractServers } from '../contract-servers/start-all.ts';
import { formatStageTimes, stageTimes } from '../../cli/commands/stage-times.ts';
import { freePort, startDevServer, type RunningDevServer } from '../../cli/services/dev-server.ts';
import { freshDatabase } from './bench-ingest.ts';
import type { BenchContext, BenchSection } from './section.ts';
import { generatedFeedPipelineBase } from '../pipeline-base.ts';

const REPO = resolve(import.meta.dirname, '..', '..');
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const FEED_DAYS = 3;
/** The generator averages about 12 hits per visitor over three days. */
const HITS_PER_VISITOR = 11.5;

const GATES_OFF = {
  // The cached feed has fixed dates: its age and the drift between bench runs are not what is measured.
  feedFreshness: { enabled: false },
  scorePsi: { enabled: false },
  featurePsi: { enabled: false },
  categoricalJsd: { enabled: false },
  volumeChange: { enabled: false },
  matchRateDecline: { enabled: false },
  acceptanceDecline: { enabled: false },
};

interface CycleFeed {
  dir: string;
  visitors: number;
  hits: number;
}

async function ensureCycleFeed(ctx: BenchContext): Promise<CycleFeed> {
  const visitors = Math.ceil(ctx.records / HITS_PER_VISITOR);
  const dir = join(ctx.cacheDir, `cycle-feed-${visitors}`);
  const meta = join(dir, 'bench-feed.json');
  if (existsSync(meta)) {
    ctx.log(`feed: reusing ${dir}`);
    return JSON.parse(readFileSync(meta, 'utf8')) as CycleFeed;
  }
  mkdirSync(dir, { recursive: true });
  const started = Date.now();
  ctx.log(`feed: generating ${fmt(visitors)} visitors over ${FEED_DAYS} days into ${dir} (once; cached for later runs)`);
  const gen = await generateFeed({ visitors, days: FEED_DAYS, seed: 13, out: dir, startDate: '2026-03-02', treatmentEffect: 0, rsid: 'benchcycle' });
  ctx.log(`feed: ${fmt(gen.records)} hits generated in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const feed: CycleFeed = { dir, visitors, hits: gen.records };
  writeFileSync(meta, JSON.stringify(feed));
  return feed;
}

function cli(args: string[], env: Record<string, string>, pinCore?: number): ChildProcess {
  const node = [process.execPath, '--import', 'tsx', join(REPO, 'cli', 'main.ts'), ...args];
  const [cmd, ...argv] = pinCore === undefined ? node : ['taskset', '-c', String(pinCore), ...node];
  return spawn(cmd!, argv, { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

function collect(child: ChildProcess): () => string {
  let out = '';
  const keep = (b: Buffer) => {
    out = (out + b.toString()).slice(-50_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return () => out;
}

const exited = (child: ChildProcess) => new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', (code) => r(code))));

/** `scoreflow ingest` of the feed's deliveries alone, on a fresh database. */
async function ingestOnly(ctx: BenchContext, feed: CycleFeed): Promise<number> {
  await freshDatabase(ctx.databaseUrl);
  const started = performance.now();
  const child = cli(['ingest', feed.dir, '--customer-id-column', 'post_evar3', '--consent-column', 'post_evar5', '--json'], { DATABASE_URL: ctx.databaseUrl, LOG_LEVEL: 'warn' });
  const out = collect(child);
  const code = await exited(child);
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`scoreflow ingest exited ${code}:\n${out()}`);
  return seconds;
}

/** Peak resident set size of a live process, from /proc (VmHWM), in MB. */
function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1] ?? NaN);
  return Math.round(kb / 1024);
}

interface CycleOptions {
  workers: number;
  shards: number;
  /** Pin worker i to core i (taskset). */
  pinned: boolean;
  label: string;
}

interface CycleFigures {
  seconds: number;
  peakRssMb: number;
  status: string;
  exported: number;
}

async function runCycle(ctx: BenchContext, feed: CycleFeed, bundleFile: string, o: CycleOptions): Promise<CycleFigures> {
  await freshDatabase(ctx.databaseUrl);
  await closePools();
  const tag = `bench${o.workers}w${o.shards}s`;
  const servers = await startContractServers({ tag });
  let dev: RunningDevServer | undefined;
  const workers: { child: ChildProcess; log: () => string }[] = [];
  let connection: Connection | undefined;
  try {
    dev = await startDevServer({ port: await freePort(), headless: true, logFile: join(ctx.cacheDir, 'temporal-dev-server.log') });
    const taskQueue = `bench-cycle-${tag}-${Date.now()}`;
    const dir = join(ctx.cacheDir, 'cycle-runs', `${tag}-${Date.now()}`);
    mkdirSync(dir, { recursive: true });
    const pipelinePath = join(dir, 'pipeline.yaml');
    writeFileSync(
      pipelinePath,
      stringify({
        name: `bench-${tag}`,
        inbox: feed.dir,
        ...generatedFeedPipelineBase(),
        freshness: { maxAgeHours: 24 * 365 * 5 },
        holdout: { experimentKey: 'bench-cycle', controlShare: 0.1 },
        gates: GATES_OFF,
        online: { enabled: false },
        scale: { shards: o.shards },
        destinations: [
          { name: 'outbox', kind: 'file', outbox: join(dir, 'outbox'), formats: ['csv', 'jsonl'], filter: { consentPurpose: 'personalization', requireEligible: true }, holdout: 'exclude_control' },
          ...servers.destinations(),
        ],
      }),
    );
    const env = {
      ...servers.env,
      TEMPORAL_ADDRESS: dev.address,
      DATABASE_URL: ctx.databaseUrl,
      SCOREFLOW_TASK_QUEUE: taskQueue,
      SCOREFLOW_WORKFLOW_BUNDLE: bundleFile,
      SCOREFLOW_REPORT_DIR: join(dir, 'reports'),
      METRICS_PORT: 'off',
      LOG_LEVEL: 'warn',
    };
    for (let i = 0; i < o.workers; i++) {
      const child = cli(['worker'], env, o.pinned ? i % 2 : undefined);
      workers.push({ child, log: collect(child) });
    }
    // Timing starts when every worker polls.
    const deadline = Date.now() + 180_000;
    while (!workers.every((w) => /RUNNING/.test(w.log()))) {
      const dead = workers.find((w) => w.child.exitCode !== null);
      if (dead) throw new Error(`a bench worker exited before it ran:\n${dead.log()}`);
      if (Date.now() > deadline) throw new Error(`bench workers did not start within 180 s:\n${workers.map((w) => w.log()).join('\n---\n')}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    connection = await Connection.connect({ address: dev.address });
    const client = new Client({ connection });
    const started = performance.now();
    const handle = await client.workflow.start('activationRun', { taskQueue, workflowId: `bench.${tag}`, args: [{ pipelinePath, feedDir: feed.dir, pauseTimeout: '5s' }] });
    const result = (await handle.result()) as ActivationRunResult;
    const seconds = (performance.now() - started) / 1000;
    const peak = Math.max(...workers.map((w) => peakRssMb(w.child.pid!)));
    ctx.log(
      `${o.label}: ${result.status} in ${seconds.toFixed(1)} s; ${fmt(result.counts.records ?? 0)} hits, ${fmt(result.counts.scored ?? 0)} scored, ${fmt(result.counts.exported ?? 0)} rows exported; worker peak RSS ${peak} MB`,
    );
    ctx.log(formatStageTimes(await stageTimes(client, `bench.${tag}`)));
    if (result.status !== 'COMPLETED') throw new Error(`bench cycle ${o.label} ended ${result.status}: ${JSON.stringify(result.counts)}`);
    return { seconds, peakRssMb: peak, status: result.status, exported: result.counts.exported ?? 0 };
  } finally {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => exited(w.child)));
    await connection?.close();
    await servers.close();
    await dev?.stop();
    await closePools();
  }
}

let bundled: string | undefined;
async function workflowBundle(ctx: BenchContext): Promise<string> {
  if (bundled) return bundled;
  const quiet = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: (m: string) => ctx.log(m) };
  const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quiet });
  mkdirSync(ctx.cacheDir, { recursive: true });
  bundled = join(ctx.cacheDir, `workflow-bundle-${process.pid}.js`);
  writeFileSync(bundled, bundle.code);
  return bundled;
}

export const cycleSection: BenchSection = {
  name: 'cycle',
  description: 'full cycle of ≥ --records hits through every demo destination vs `scoreflow ingest` of the same deliveries',
  async run(ctx) {
    process.env.LOG_LEVEL ??= 'warn';
    const feed = await ensureCycleFeed(ctx);
    const bundleFile = await workflowBundle(ctx);
    const ingestOnlySeconds = await ingestOnly(ctx, feed);
    ctx.log(`scoreflow ingest alone: ${fmt(feed.hits)} hits in ${ingestOnlySeconds.toFixed(1)} s`);
    const c = await runCycle(ctx, feed, bundleFile, { workers: 1, shards: 1, pinned: false, label: 'cycle (1 worker)' });
    const ratioToIngest = c.seconds / ingestOnlySeconds;
    ctx.log(`cycle: ${c.seconds.toFixed(1)} s = ${ratioToIngest.toFixed(2)} × ingest alone (target ≤ 3, goal 1.5); worker peak RSS ${c.peakRssMb} MB (target ≤ 1024)`);
    return {
      hits: feed.hits,
      visitors: feed.visitors,
      seconds: Number(c.seconds.toFixed(1)),
      ingestOnlySeconds: Number(ingestOnlySeconds.toFixed(1)),
      ratioToIngest: Number(ratioToIngest.toFixed(2)),
      peakRssMb: c.peakRssMb,
    };
  },
};

export const scaleOutSection: BenchSection = {
  name: 'scaleOut',
  description: 'the same cycle with 2 shards on 2 worker processes vs 1, each pinned to one core (taskset)',
  async run(ctx) {
    process.env.LOG_LEVEL ??= 'warn';
    const cores = spawnSync('nproc', { encoding: 'utf8' }).stdout.trim();
    const feed = await ensureCycleFeed(ctx);
    const bundleFile = await workflowBundle(ctx);
    const one = await runCycle(ctx, feed, bundleFile, { workers: 1, shards: 2, pinned: true, label: 'scaleOut 1 worker (core 0)' });
    const two = await runCycle(ctx, feed, bundleFile, { workers: 2, shards: 2, pinned: true, label: 'scaleOut 2 workers (cores 0, 1)' });
    const speedUp = one.seconds / two.seconds;
    ctx.log(`scaleOut: 1 worker ${one.seconds.toFixed(1)} s, 2 workers ${two.seconds.toFixed(1)} s → speed-up ${speedUp.toFixed(2)}× (target ≥ 1.6) on ${cores} cores shared with PostgreSQL and the receivers`);
    return {
      hits: feed.hits,
      shards: 2,
      oneWorkerSeconds: Number(one.seconds.toFixed(1)),
      twoWorkerSeconds: Number(two.seconds.toFixed(1)),
      speedUp: Number(speedUp.toFixed(2)),
      oneWorkerPeakRssMb: one.peakRssMb,
      twoWorkerPeakRssMb: two.peakRssMb,
      cores: Number(cores),
    };
  },
};

const SCORER_FILES: { name: string; file: string; format: ArtifactFormat; sidecar?: string }[] = [
  { name: 'logistic', file: '1.0.0-logreg.json', format: 'logreg-json' },
  { name: 'xgboost', file: '2.0.0-xgboost.json', format: 'xgboost-json', sidecar: '2.0.0.metadata.json' },
  { name: 'onnx', file: '3.0.0.onnx', format: 'onnx', sidecar: '3.0.0.onnx.meta.json' },
];

export const scoringSection: BenchSection = {
  name: 'scoring',
  description: 'entities scored per second on one core: logistic, XGBoost, ONNX',
  async run(ctx) {
    const sample = JSON.parse(readFileSync(join(REPO, 'models', 'predictions', 'sample-inputs.json'), 'utf8')) as { features: string[]; rows: (number | null)[][] };
    const n = 100_000;
    const batch = 5_000;
    const vectors: FeatureVector[] = Array.from({ length: n }, (_, i) => {
      const row = sample.rows[i % sample.rows.length]!;
      return Object.fromEntries(FEATURE_NAMES.map((f) => [f, row[sample.features.indexOf(f)] ?? null])) as FeatureVector;
    });
    const out: Record<string, number> = {};
    for (const s of SCORER_FILES) {
      const dir = join(REPO, 'models', 'purchase-propensity');
      const sidecar = s.sidecar ? JSON.parse(readFileSync(join(dir, s.sidecar), 'utf8')) : undefined;
      const scorer = await loadScorer(new Uint8Array(readFileSync(join(dir, s.file))), s.format, sidecar);
      await scorer.score(vectors.slice(0, batch)); // warm-up
      const started = performance.now();
      for (let i = 0; i < n; i += batch) await scorer.score(vectors.slice(i, i + batch));
      const perSec = n / ((performance.now() - started) / 1000);
      ctx.log(`scoring ${s.name.padEnd(8)} ${fmt(perSec)} entities/s on one core`);
      out[`${s.name}EntitiesPerSecPerCore`] = Math.round(perSec);
    }
    return out;
  },
};
