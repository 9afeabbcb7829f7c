/**
 * The measureOutcomes workflow on the test run's Temporal dev server: it waits out the
 * attribution window with a durable timer (milliseconds here), ingests the deliveries that arrived
 * in the outcome folder, and computes outcomes, lift and the HTML report.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { computeOutcomesActivity } from '../../activities/measurement/outcomes-activity.ts';
import { discoverDeliveriesActivity } from '../../activities/run/discover-deliveries.ts';
import { ingestFeedActivity } from '../../activities/feed/activities.ts';
import { loadPipelineActivity } from '../../activities/run/pipeline.ts';
import { getPool } from '../../activities/store/db.ts';
import { loadLiftReport } from '../../cli/commands/measurement.ts';
import { measureOutcomes } from '../../workflows/measure-outcomes.ts';
import { uniqueId } from '../helpers/gate-fixtures.ts';
import { temporalAddress } from '../helpers/temporal.ts';
import { generateOutcomeDelivery, seedPublishedRun, writePipeline } from './outcomes.fixtures.ts';

const SHARE = 0.1;
const VISITORS = 3000;
const root = mkdtempSync(join(tmpdir(), 'scoreflow-measure-wf-'));
const taskQueue = uniqueId('measure-outcomes');
process.env.SCOREFLOW_REPORT_DIR = join(root, 'reports');

let nativeConnection: NativeConnection;
let connection: Connection;
let client: Client;
let worker: Worker;
let running: Promise<void>;

beforeAll(async () => {
  nativeConnection = await NativeConnection.connect({ address: temporalAddress() });
  worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowsPath: resolve(import.meta.dirname, '..', '..', 'workflows', 'measure-outcomes.ts'),
    activities: { loadPipelineActivity, discoverDeliveriesActivity, ingestFeedActivity, computeOutcomesActivity },
  });
  running = worker.run();
  connection = await Connection.connect({ address: temporalAddress() });
  client = new Client({ connection });
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await connection?.close();
  await nativeConnection?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('measureOutcomes', () => {
  it('sleeps the attribution window on a durable timer, then ingests the follow-up and measures lift', async () => {
    const pipeline = uniqueId('liftwf');
    const experimentKey = `${pipeline}-exp`;
    const pipelinePath = writePipeline(root, { name: pipeline, experimentKey, controlShare: SHARE });
    const seed = 600_011 + (Date.now() % 1000) * 13;
    const feedDir = join(root, 'outcomes');
    const { followUp } = await generateOutcomeDelivery({ seed, visitors: VISITORS, experimentKey, controlShare: SHARE, dir: feedDir });
    // A later delivery in the same folder, so the data is observed through the end of the window.
    await generateOutcomeDelivery({ seed: seed + 1, visitors: 5, experimentKey: 'late', controlShare: SHARE, date: '2026-11-12', dir: feedDir });
    const { runId } = await seedPublishedRun({ seed, visitors: VISITORS, pipeline, experimentKey, controlShare: SHARE });

    const handle = await client.workflow.start(measureOutcomes, {
      taskQueue,
      workflowId: `${runId}.measure`,
      args: [{ runId, pipelinePath, attributionWindow: '300ms', feedDir, windowDays: 2 }],
    });
    const result = await handle.result();
    expect(result).toMatchObject({ entities: VISITORS, status: 'ok', trustworthy: true, deliveriesIngested: 2 });
    expect(result.conversions).toBe(followUp.arms.control.converted + followUp.arms.treatment.converted);
    expect(result.reportPath).toBe(join(root, 'reports', runId.replace(/[^A-Za-z0-9._-]/g, '_'), 'lift.html'));
    expect(existsSync(result.reportPath!)).toBe(true);

    // The wait is a Temporal timer of exactly the attribution window, before any activity ran.
    const history = await handle.fetchHistory();
    const events = history.events ?? [];
    const timerAt = events.findIndex((e) => e.timerStartedEventAttributes);
    const firstActivityAt = events.findIndex((e) => e.activityTaskScheduledEventAttributes);
    expect(timerAt).toBeGreaterThan(-1);
    expect(timerAt).toBeLessThan(firstActivityAt);
    const timeout = events[timerAt]!.timerStartedEventAttributes!.startToFireTimeout!;
    expect(Number(timeout.seconds ?? 0) * 1000 + (timeout.nanos ?? 0) / 1e6).toBe(300);

    const report = await loadLiftReport(pipeline, runId);
    expect(report.overall.status).toBe('ok');
    const { rows } = await getPool().query<{ n: number }>('SELECT count(*)::int AS n FROM outcome WHERE run_id = $1', [runId]);
    expect(rows[0]!.n).toBe(VISITORS);
  });
});
