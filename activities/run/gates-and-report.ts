/**
 * The workflow's view of gates, alerts and the run report: it passes the run's pipeline snapshot; these
 * shells take its gate config (the rules policy's for a rules cycle) and call the gate suite and report.
 */
import { join } from 'node:path';
import { pipelineOf, type PipelineRef } from './pipeline.ts';
import { runGatesActivity, type RunGatesResult } from '../gates/gate-activity.ts';
import { writeRunReportActivity } from '../report/write-run-report.ts';
import { sendAlert } from '../observability/send-alert.ts';
import { DATA_DIR } from '../store/paths.ts';
import { gateBlockFor } from '../../contracts/gate-config.ts';
import { destinationDryRuns } from '../destinations/dry-run.ts';

/**
 * The workflow gates a cycle after publish (before the online store and the exports), so the
 * gates see the records: the destination dry runs and the contract quarantine.
 * `actionTime` is when the run acts on the data (the workflow's clock at the gate): a feed is judged
 * fresh against the moment its scores would be activated, so replaying an old delivery is refused
 * as stale unless an operator approves it.
 */
export async function gateCycleActivity(
  input: PipelineRef & { runId: string; snapshotId: string; policy?: 'model' | 'rules'; feedMaxHitTime?: string; actionTime?: string },
): Promise<RunGatesResult> {
  const cfg = pipelineOf(input);
  // Gated after publish (fidelity-gate-after-publish), the cycle's records exist: each destination's
  // dry run is judged, and the contract-violation gate counts what publish quarantined.
  const dryRuns = await destinationDryRuns(input.runId, cfg);
  return runGatesActivity({
    runId: input.runId,
    pipeline: cfg.name,
    snapshotId: input.snapshotId,
    config: gateBlockFor(input.policy ?? 'model', cfg.gates, cfg.rulesGates),
    feedMaxHitTime: input.feedMaxHitTime ?? null,
    now: input.actionTime ?? new Date().toISOString(),
    ...(dryRuns.length ? { destinationDryRuns: dryRuns } : {}),
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
