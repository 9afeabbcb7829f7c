/**
 * The workflow's view of gates, alerts and the run report: it passes the pipeline file, these
 * shells load the pipeline's gate config and alert settings and call the gate suite and report.
 */
import { join } from 'node:path';
import { loadPipelineConfig } from './pipeline.ts';
import { runGatesActivity, type RunGatesResult } from '../gates/gate-activity.ts';
import { writeRunReportActivity } from '../report/write-run-report.ts';
import { sendAlert } from '../observability/send-alert.ts';
import { DATA_DIR } from '../store/paths.ts';

export async function gateCycleActivity(input: { runId: string; pipelinePath: string; snapshotId: string; feedMaxHitTime?: string }): Promise<RunGatesResult> {
  const cfg = loadPipelineConfig(input.pipelinePath);
  return runGatesActivity({
    runId: input.runId,
    pipeline: cfg.name,
    snapshotId: input.snapshotId,
    config: cfg.gates,
    feedMaxHitTime: input.feedMaxHitTime ?? null,
    // Data time, not wall-clock: a feed is judged fresh against the time it describes when replayed.
    now: input.feedMaxHitTime,
  });
}

export async function alertActivity(input: { runId: string; pipeline: string; text: string; kind: string }): Promise<{ posted: boolean }> {
  const res = await sendAlert({
    webhookUrl: process.env.SCOREFLOW_ALERT_WEBHOOK_URL,
    text: input.text,
    fields: { runId: input.runId, pipeline: input.pipeline, kind: input.kind },
  });
  return { posted: res.posted };
}

export async function runReportActivity(input: { runId: string }): Promise<{ path: string }> {
  return writeRunReportActivity({ runId: input.runId, outDir: process.env.SCOREFLOW_REPORT_DIR ?? join(DATA_DIR, 'reports') });
}
