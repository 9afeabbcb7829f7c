/**
 * activationDriftActivity: after a run's exports, compares each destination's match rate and
 * acceptance rate with its trailing average over the pipeline's earlier runs, stores the results
 * as gate results (gates matchRateDecline and acceptanceDecline, subject = destination) and alerts
 * the operators when a rate declined beyond the pipeline's thresholds.
 *
 * Inputs are the destination_export receipts: `{ matchRate, acceptanceRate, rejections }` per run
 * and destination (file exports report neither rate and are not compared). Trailing runs are the
 * latest `gates.driftWindow` runs of the same pipeline that exported to the destination and
 * started before this run. Running it twice leaves the same rows (the alert may be sent again).
 */
import { z } from 'zod';
import type pg from 'pg';
import { ApplicationFailure } from '@temporalio/common';
import { GateConfig } from '../../contracts/gate-config.ts';
import { worstStatus, type GateResult } from '../../contracts/gate-report.ts';
import { getPool, withTransaction } from '../store/db.ts';
import { logger } from '../observability/logger.ts';
import { sendAlert } from '../observability/send-alert.ts';
import { pipelineOf, type PipelineRef } from '../run/pipeline.ts';
import { activationDrift, type ActivationStats, type DriftThreshold } from './activation-drift.ts';

export const DRIFT_GATES = ['matchRateDecline', 'acceptanceDecline'] as const;

export interface ActivationDriftInput extends PipelineRef {
  runId: string;
}

export interface ActivationDriftActivityResult {
  alert: boolean;
  results: GateResult[];
}

const Rate = z.number().min(0).max(1).nullable().optional();
/** The part of a destination receipt drift reads; other fields pass through. */
const DriftReceipt = z.looseObject({
  matchRate: Rate,
  acceptanceRate: Rate,
  rejections: z.record(z.string(), z.number().int().min(0)).optional(),
});

interface ExportRow {
  run_id: string;
  destination: string;
  receipt: unknown;
}

function statsOf(row: ExportRow): ActivationStats {
  const parsed = DriftReceipt.safeParse(row.receipt ?? {});
  if (!parsed.success) {
    logger().warn(
      { runId: row.run_id, destination: row.destination, issues: z.prettifyError(parsed.error) },
      'destination receipt has no usable match/acceptance rates; left out of activation drift',
    );
    return { runId: row.run_id, destination: row.destination, matchRate: null, acceptanceRate: null, rejections: {} };
  }
  const r = parsed.data;
  return { runId: row.run_id, destination: row.destination, matchRate: r.matchRate ?? null, acceptanceRate: r.acceptanceRate ?? null, rejections: r.rejections ?? {} };
}

/** This run's non-file exports. */
async function currentExports(pool: pg.Pool, runId: string): Promise<ExportRow[]> {
  const { rows } = await pool.query<ExportRow>(
    `SELECT run_id, destination, receipt FROM destination_export WHERE run_id = $1 AND kind <> 'file' ORDER BY destination`,
    [runId],
  );
  return rows;
}

/** The latest `window` earlier runs of the pipeline that exported to the destination, oldest first. */
async function trailingExports(pool: pg.Pool, o: { pipeline: string; destination: string; runId: string; window: number }): Promise<ExportRow[]> {
  const { rows } = await pool.query<ExportRow>(
    `SELECT e.run_id, e.destination, e.receipt
       FROM destination_export e JOIN activation_run r ON r.run_id = e.run_id
      WHERE r.pipeline = $1 AND e.destination = $2 AND e.run_id <> $3
        AND r.started_at < COALESCE((SELECT started_at FROM activation_run WHERE run_id = $3), 'infinity'::timestamptz)
      ORDER BY r.started_at DESC, e.run_id DESC
      LIMIT $4`,
    [o.pipeline, o.destination, o.runId, o.window],
  );
  return rows.reverse();
}

function finiteOrNull(n: number | null): number | null {
  return n === null || !Number.isFinite(n) ? null : n;
}

/** Upserts the drift gate results of the run and removes drift results it no longer produces; other gates' rows are untouched. */
async function storeDriftResults(client: pg.PoolClient, runId: string, results: GateResult[], measurements: unknown): Promise<void> {
  await client.query(
    `INSERT INTO gate_result (run_id, gate, subject, status, value, warn_at, fail_at, detail)
     SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::float8[], $6::float8[], $7::float8[], $8::text[])
     ON CONFLICT (run_id, gate, subject) DO UPDATE SET status = EXCLUDED.status, value = EXCLUDED.value,
       warn_at = EXCLUDED.warn_at, fail_at = EXCLUDED.fail_at, detail = EXCLUDED.detail, at = now()`,
    [
      runId,
      results.map((x) => x.gate),
      results.map((x) => x.subject),
      results.map((x) => x.status),
      results.map((x) => finiteOrNull(x.value)),
      results.map((x) => x.warnAt),
      results.map((x) => x.failAt),
      results.map((x) => x.detail),
    ],
  );
  await client.query(
    `DELETE FROM gate_result g WHERE g.run_id = $1 AND g.gate = ANY($2::text[])
       AND NOT EXISTS (SELECT 1 FROM unnest($3::text[], $4::text[]) AS k(gate, subject) WHERE k.gate = g.gate AND k.subject = g.subject)`,
    [runId, [...DRIFT_GATES], results.map((x) => x.gate), results.map((x) => x.subject)],
  );
  // Beside the pre-publish gates' measurements, when the run has them (the report reads this row).
  await client.query(
    `UPDATE gate_evaluation SET measurements = measurements || jsonb_build_object('activationDrift', $2::jsonb) WHERE run_id = $1`,
    [runId, JSON.stringify(measurements)],
  );
}

export async function activationDriftActivity(input: ActivationDriftInput): Promise<ActivationDriftActivityResult> {
  const pipeline = pipelineOf(input);
  const cfg = GateConfig.safeParse(pipeline.gates ?? {});
  if (!cfg.success) {
    throw ApplicationFailure.nonRetryable(
      `gate config of pipeline ${pipeline.name} is invalid: ${z.prettifyError(cfg.error)}; fix the pipeline file's gates: block`,
      'InvalidPipelineConfig',
    );
  }
  const threshold: DriftThreshold = { matchRateDecline: cfg.data.matchRateDecline, acceptanceDecline: cfg.data.acceptanceDecline, window: cfg.data.driftWindow };
  const pool = getPool();
  const log = logger().child({ runId: input.runId, pipeline: pipeline.name });

  const results: GateResult[] = [];
  const measurements: Record<string, { current: ActivationStats; trailing: ActivationStats[] }> = {};
  for (const row of await currentExports(pool, input.runId)) {
    const current = statsOf(row);
    const trailing = (await trailingExports(pool, { pipeline: pipeline.name, destination: row.destination, runId: input.runId, window: threshold.window })).map(statsOf);
    measurements[row.destination] = { current, trailing };
    results.push(...activationDrift(trailing, current, threshold).results);
  }
  const alert = results.some((r) => r.status !== 'pass');

  await withTransaction((client) => storeDriftResults(client, input.runId, results, measurements));
  const flagged = results.filter((r) => r.status !== 'pass');
  log.info({ destinations: Object.keys(measurements), alert, flagged: flagged.map((r) => `${r.gate}:${r.subject}:${r.status}`) }, 'activation drift evaluated');

  if (alert) {
    const destinations = [...new Set(flagged.map((r) => r.subject))];
    await sendAlert({
      webhookUrl: process.env.SCOREFLOW_ALERT_WEBHOOK_URL,
      text: [`Scoreflow run ${input.runId}: activation drift (${worstStatus(flagged.map((r) => r.status))}) on ${destinations.join(', ')}.`, ...flagged.map((r) => `• ${r.detail}`)].join('\n'),
      fields: { runId: input.runId, pipeline: pipeline.name, kind: 'activation_drift', destinations: destinations.join(', ') },
    });
  }
  return { alert, results };
}
