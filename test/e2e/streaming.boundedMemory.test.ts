/**
 * The streaming data plane, proven by memory rather than by time: a 20,000-visitor cycle through
 * every demo destination (file, Target, Google, Meta, webhook, NATS) completes on a `scoreflow worker`
 * whose V8 heap is capped at 192 MB (--max-old-space-size=192), with a page size of 500 entities.
 *
 * Why it can fail: the in-memory path the exports used to take (the run's canonical records loaded
 * once per destination, destinations in parallel, each with its desired rows and whole plan) holds
 * more live heap than the cap; the test measures that in its own process, after full GCs, and
 * asserts it. A worker that loads a run whole dies of heap exhaustion, its activities time out and
 * the run does not complete.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getPool } from '../../activities/store/db.ts';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { loadRunRecords } from '../../activities/destinations/run-records.ts';
import { buildDesiredRows } from '../../activities/destinations/desired-rows.ts';
import { planSync } from '../../activities/destinations/sync-engine.ts';
import type { StatefulDestination } from '../../activities/destinations/adapter-factory.ts';
import { loadPipelineConfig } from '../../activities/run/pipeline.ts';
import { startContractServers, type ContractServers } from '../../tools/contract-servers/start-all.ts';
import { WORKFLOWS_PATH } from '../../workers/worker.ts';
import type { ActivationRunInput, ActivationRunResult } from '../../workflows/activation-run.ts';
import { writeTestPipeline, type TestPipeline } from '../helpers/pipeline.ts';
import { REPO_ROOT } from '../helpers/run-cli.ts';
import { generateRecentFeed } from '../helpers/activation-run.ts';
import { temporalAddress } from '../helpers/temporal.ts';

const VISITORS = 20_000;
const HEAP_MB = 192;
const PAGE_SIZE = 500;
const tmp = mkdtempSync(join(tmpdir(), 'scoreflow-streaming-'));
setFlagsFromString('--expose-gc');

let servers: ContractServers;
let pipeline: TestPipeline;
let feedDir: string;
let taskQueue: string;
let worker: ChildProcess;
let workerLog = '';
let workerExit: { code: number | null; signal: string | null } | undefined;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  const tag = `stream${randomBytes(3).toString('hex')}`;
  servers = await startContractServers({ tag });
  pipeline = writeTestPipeline(
    {
      destinations: [
        { name: 'outbox', kind: 'file', outbox: join(tmp, 'outbox'), formats: ['csv', 'jsonl'], filter: { consentPurpose: 'personalization', requireEligible: true }, holdout: 'exclude_control' },
        ...servers.destinations(),
      ],
      gates: {},
      online: { enabled: false },
      scale: { shards: 1, pageSize: PAGE_SIZE },
    },
    `streaming-${tag}`,
  );
  feedDir = join(tmp, 'feed');
  const bundleFile = join(tmp, 'workflow-bundle.js');
  const [bundle] = await Promise.all([
    bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: (m: string) => console.error(m) } }),
    generateRecentFeed({ out: feedDir, rsid: `sfstream${tag}`, seed: 1313, visitors: VISITORS, days: 1 }),
  ]);
  writeFileSync(bundleFile, bundle.code);

  taskQueue = `streaming-${tag}`;
  worker = spawn(process.execPath, [`--max-old-space-size=${HEAP_MB}`, '--import', 'tsx', join(REPO_ROOT, 'cli', 'main.ts'), 'worker'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      ...servers.env,
      TEMPORAL_ADDRESS: temporalAddress(),
      DATABASE_URL: process.env.DATABASE_URL!,
      SCOREFLOW_TASK_QUEUE: taskQueue,
      SCOREFLOW_WORKFLOW_BUNDLE: bundleFile,
      SCOREFLOW_REPORT_DIR: join(tmp, 'reports'),
      METRICS_PORT: 'off',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (b: Buffer) => {
    workerLog = (workerLog + b.toString()).slice(-20_000);
  };
  worker.stdout!.on('data', keep);
  worker.stderr!.on('data', keep);
  worker.on('exit', (code, signal) => (workerExit = { code, signal }));

  connection = await Connection.connect({ address: temporalAddress() });
  client = new Client({ connection });
}, 600_000);

afterAll(async () => {
  if (worker && worker.exitCode === null && worker.signalCode === null) worker.kill('SIGTERM');
  await connection?.close();
  await servers?.close();
});

describe(`a ${VISITORS.toLocaleString('en')}-visitor cycle on a worker with a ${HEAP_MB} MB heap`, () => {
  it('completes through every destination, each entity delivered once, while a whole-run load would not fit', async () => {
    const workflowId = `${pipeline.name}.run`;
    const input: ActivationRunInput = { pipelinePath: pipeline.path, feedDir, pauseTimeout: '5s' };
    const handle = await client.workflow.start('activationRun', { taskQueue, workflowId, args: [input], workflowExecutionTimeout: '20 minutes' });
    const outcome = await Promise.race([
      handle.result() as Promise<ActivationRunResult>,
      new Promise<never>((_, reject) => {
        const poll = setInterval(() => {
          if (workerExit) {
            clearInterval(poll);
            reject(new Error(`the ${HEAP_MB} MB worker exited (${JSON.stringify(workerExit)}) before the run finished; its log:\n${workerLog}`));
          }
        }, 500);
        void handle.result().finally(() => clearInterval(poll)).catch(() => undefined);
      }),
    ]);
    expect(outcome.status, `counts ${JSON.stringify(outcome.counts)}; worker log:\n${workerLog}`).toBe('COMPLETED');
    expect(workerExit, 'the worker is still running').toBeUndefined();

    const runId = workflowId;
    const db = getPool();
    const { rows: published } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM activation_record WHERE run_id = $1', [runId]);
    expect(outcome.counts.scored).toBeGreaterThanOrEqual(VISITORS * 0.95);
    expect(published[0]!.n).toBe(outcome.counts.published);
    expect(published[0]!.n + (outcome.counts.contractQuarantined ?? 0)).toBe(outcome.counts.scored);

    // Each destination: what its receipt says it accepted is what the ledger says was delivered, once per entity.
    const { rows: exports } = await db.query<{ destination: string; rows: number }>('SELECT destination, rows FROM destination_export WHERE run_id = $1 ORDER BY destination', [runId]);
    expect(exports.map((e) => e.destination)).toEqual(['decisions-nats', 'google-audience', 'meta-audience', 'offers-webhook', 'outbox', 'target-profiles']);
    const { rows: delivered } = await db.query<{ destination: string; n: number; entities: number }>(
      `SELECT destination, count(*)::int AS n, count(DISTINCT entity_id)::int AS entities FROM ledger_event WHERE run_id = $1 AND stage = 'delivered' GROUP BY destination`,
      [runId],
    );
    const deliveredBy = new Map(delivered.map((d) => [d.destination, d]));
    for (const e of exports) {
      expect(e.rows, e.destination).toBeGreaterThan(0);
      expect(deliveredBy.get(e.destination)?.n, e.destination).toBe(e.rows);
      expect(deliveredBy.get(e.destination)?.entities, e.destination).toBe(e.rows);
    }
    // Every published entity has an outcome at every destination: delivered, suppressed (with a reason) or rejected.
    const { rows: outcomes } = await db.query<{ destination: string; n: number }>(
      `SELECT destination, count(DISTINCT entity_id)::int AS n FROM ledger_event
        WHERE run_id = $1 AND destination <> '' AND stage IN ('delivered', 'suppressed', 'rejected') GROUP BY destination`,
      [runId],
    );
    for (const o of outcomes) expect(o.n, o.destination).toBe(published[0]!.n);

    // The receivers hold what was delivered.
    const rowsOf = (name: string) => exports.find((e) => e.destination === name)!.rows;
    expect(servers.target.profiles.size).toBe(rowsOf('target-profiles'));
    expect(servers.google.membership(servers.googleAudienceId)).toBe(rowsOf('google-audience'));
    expect(servers.meta.membership(servers.metaAudienceId)).toBe(rowsOf('meta-audience'));
    expect(servers.webhook.counts.badSignature).toBe(0);
    const outbox = exports.find((e) => e.destination === 'outbox')!;
    const { rows: loc } = await db.query<{ location: string }>("SELECT location FROM destination_export WHERE run_id = $1 AND destination = 'outbox'", [runId]);
    const manifestFile = join(loc[0]!.location, 'manifest.json');
    expect(existsSync(manifestFile)).toBe(true);
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { rows: number; files: { name: string; rows: number }[] };
    expect(manifest.rows).toBe(outbox.rows);
    const jsonlLines = readFileSync(join(loc[0]!.location, 'records.jsonl'), 'utf8').split('\n').filter(Boolean).length;
    expect(jsonlLines).toBe(outbox.rows);

    // The counterfactual: the in-memory path (as each export used to run it, the destinations in
    // parallel: every record of the run loaded once per stateful destination, its desired rows and
    // its whole plan) holds more live heap than the worker had. Measured here, after full GCs.
    const gc = runInNewContext('gc') as () => void;
    const pipelineCfg = loadPipelineConfig(pipeline.path);
    const stateful = pipelineCfg.destinations.filter((d) => d.kind !== 'file') as StatefulDestination[];
    gc();
    const before = process.memoryUsage().heapUsed;
    const held: unknown[] = [];
    for (const d of stateful) {
      const records = await loadRunRecords(runId);
      expect(records.length).toBe(published[0]!.n);
      const built = await buildDesiredRows(records, d, undefined, { crmNamespace: pipelineCfg.feed.crmNamespace });
      held.push(records, built, planSync(built.desired, [], new Date(Date.parse(records[0]!.metadata.scored_at))));
    }
    gc();
    const retained = process.memoryUsage().heapUsed - before;
    expect(held).toHaveLength(3 * stateful.length);
    expect(retained, `the in-memory path holds ${Math.round(retained / 2 ** 20)} MB`).toBeGreaterThan(HEAP_MB * 2 ** 20);
  }, 1_200_000);
});
