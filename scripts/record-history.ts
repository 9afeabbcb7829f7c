/**
 * Records activationRun histories for the replay tests (test/replay/activation-run.replay.test.ts):
 * a headless dev server on a free port, a fresh `scoreflow_record_history_test` database, a real
 * worker with the real activities, a small generated feed, and two runs driven through their
 * operator messages. Each run's history is written in the JSON form the Temporal CLI and Web UI
 * export.
 *
 *   activation-run-v2-rollback  v2 cycle → rollback window → rollback signal to a version that does
 *                               not exist (refused at receipt) → rollback signal to 1.0.0 → rollback
 *                               cycle passes its gates → champion moves → window ends
 *   activation-run-v2-paused    stale feed → freshness gate fails → rollbackUpdate to the rules →
 *                               the rules cycle fails freshness too → approveUpdate → exported
 *
 * The histories without the `-v2` suffix were recorded by the previous release (before the
 * operator-control-v2 patch); they stay, and replay on workflows/legacy/activation-run-v1.ts.
 * The `-v2.0` ones are the `-v2` histories as recorded before the patches of issue 12
 * (lift-from-pipeline, expire-on-no-data, pipeline-deliveries); they stay too.
 *
 *   node --import tsx scripts/record-history.ts [--out test/replay/histories]
 *
 * Re-record after an intentional, versioned change to activationRun (and keep the old histories when
 * running workflows may still replay them).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeGeneratedFeedPipeline } from '../tools/pipeline-base.ts';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { statusQuery, type RunStatusView } from '../workflows/messages.ts';

const REPO = resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { out: { type: 'string', default: join(REPO, 'test', 'replay', 'histories') } } });
const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/scoreflow_record_history_test';
process.env.DATABASE_URL = DATABASE_URL;
process.env.LOG_LEVEL ??= 'warn';
const work = mkdtempSync(join(tmpdir(), 'scoreflow-record-history-'));
process.env.SCOREFLOW_REPORT_DIR = join(work, 'reports');

// Imported after the environment is set: the worker and the activities read it.
const { closePools, migrate, recreateDatabase } = await import('../activities/store/db.ts');
const { freePort, startDevServer } = await import('../cli/services/dev-server.ts');
const { generateFeed } = await import('../tools/feed-generator/generator.ts');
const { registerModelFile, promoteModel } = await import('../activities/scoring/model-operations.ts');
const { createWorker } = await import('../workers/worker.ts');

const log = (line: string) => process.stderr.write(`[record-history] ${line}\n`);

async function until(handle: WorkflowHandle, what: string, ok: (s: RunStatusView) => boolean): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const s = await handle.query(statusQuery).catch(() => undefined);
    if (s && ok(s)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${handle.workflowId}: not ${what} within 120 s`);
}

/** The test pipeline (tools/pipeline-base.ts) scored through the registry, with a file destination and no online store. */
function pipelineFile(name: string, inbox: string): string {
  return writeGeneratedFeedPipeline(
    {
      inbox,
      model: { name: 'purchase-propensity' },
      destinations: [{ name: 'outbox', kind: 'file', outbox: join(work, 'outbox'), formats: ['csv', 'jsonl'], filter: { consentPurpose: 'personalization', requireEligible: true } }],
      online: { enabled: false },
    },
    name,
  ).path;
}

const isoDay = (t: number) => new Date(t).toISOString().slice(0, 10);

async function feed(name: string, seed: number, startDate = isoDay(Date.now() - 2 * 86_400_000)): Promise<string> {
  const inbox = join(work, name);
  await generateFeed({ visitors: 300, days: 2, seed, out: inbox, rsid: name, startDate });
  return inbox;
}

async function save(client: Client, workflowId: string, file: string): Promise<void> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  mkdirSync(values.out!, { recursive: true });
  writeFileSync(join(values.out!, `${file}.json`), `${historyToJSON(history)}\n`);
  log(`${file}.json: ${history.events?.length ?? 0} events`);
}

await recreateDatabase(DATABASE_URL);
await migrate(DATABASE_URL);
await registerModelFile(join(REPO, 'models/purchase-propensity/1.0.0-logreg.json'));
await registerModelFile(join(REPO, 'models/purchase-propensity/2.0.0-xgboost.json'));
await promoteModel('purchase-propensity', '2.0.0', 'record replay histories', 'record-history');

const server = await startDevServer({ port: await freePort(), headless: true });
const taskQueue = 'replay-gen';
const { worker, connection: workerConnection } = await createWorker({ address: server.address, taskQueue, metricsPort: null });
const running = worker.run();
const connection = await Connection.connect({ address: server.address });
const client = new Client({ connection });
try {
  // A rollback during the window: first to a version that does not exist (refused), then to 1.0.0.
  {
    const inbox = await feed('recordrollback', 11);
    const workflowId = 'replay.activation-run.v2.rollback';
    const handle = await client.workflow.start('activationRun', {
      taskQueue,
      workflowId,
      args: [{ pipelinePath: pipelineFile('record-rollback', inbox), feedDir: inbox, rollbackWindow: '5s' }],
    });
    await until(handle, 'in its rollback window', (s) => s.stage === 'rollback-window');
    await handle.signal('rollback', { to: { modelVersion: '9.9.9' }, reason: 'typo in the version', operator: 'record-history' });
    await until(handle, 'refusing the rollback', (s) => s.rejectedSignals.length > 0);
    await handle.signal('rollback', { to: { modelVersion: '1.0.0' }, reason: 'v2 over-targets new visitors', operator: 'record-history' });
    const result = await handle.result();
    if (result.status !== 'COMPLETED' || result.cycles.length !== 2) throw new Error(`${workflowId}: ${JSON.stringify(result)}`);
    await save(client, workflowId, 'activation-run-v2-rollback');
  }
  // A stale feed: the gate pauses the run; a rollback to the rules through the update; its cycle fails
  // freshness too; approved through the update with default settings (no pause timeout).
  {
    const inbox = await feed('recordpaused', 12, '2026-01-05');
    const workflowId = 'replay.activation-run.v2.paused';
    const handle = await client.workflow.start('activationRun', {
      taskQueue,
      workflowId,
      args: [{ pipelinePath: pipelineFile('record-paused', inbox), feedDir: inbox }],
    });
    await until(handle, 'paused at the gate', (s) => s.status === 'PAUSED' && s.stage === 'gate');
    await handle.executeUpdate('rollbackUpdate', { args: [{ to: { policy: 'rules' }, reason: 'both models suspect', operator: 'record-history' }] });
    await until(handle, 'paused at the rules cycle gate', (s) => s.status === 'PAUSED' && s.cycles.length === 2);
    await handle.executeUpdate('approveUpdate', { args: [{ operator: 'record-history', reason: 'known old feed, replayed on purpose' }] });
    const result = await handle.result();
    if (result.status !== 'COMPLETED' || result.cycles.length !== 2) throw new Error(`${workflowId}: ${JSON.stringify(result)}`);
    await save(client, workflowId, 'activation-run-v2-paused');
  }
} finally {
  worker.shutdown();
  await running;
  await workerConnection.close();
  await connection.close();
  await server.stop();
  await closePools();
}
