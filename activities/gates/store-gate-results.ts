/**
 * Writes a run's gate outcome in one transaction: gate_result rows (upserted, and results the
 * current evaluation no longer produces removed), the gate_evaluation row with the measurements,
 * and the small report on activation_run. Running it twice for a run leaves the same rows.
 */
import type pg from 'pg';
import type { GateReport } from '../../contracts/gate-report.ts';

export interface GateEvaluationRow {
  runId: string;
  pipeline: string;
  snapshotId: string;
  baselineRunId: string | null;
  previousRunId: string | null;
  report: GateReport;
  measurements: unknown;
}

/** JSON with non-finite numbers (Infinity from a volume change off zero) written as null. */
function json(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v));
}

function finiteOrNull(n: number | null): number | null {
  return n === null || !Number.isFinite(n) ? null : n;
}

export async function storeGateResults(client: pg.PoolClient, row: GateEvaluationRow): Promise<void> {
  const r = row.report.results;
  await client.query(
    `INSERT INTO gate_result (run_id, gate, subject, status, value, warn_at, fail_at, detail)
     SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::float8[], $6::float8[], $7::float8[], $8::text[])
     ON CONFLICT (run_id, gate, subject) DO UPDATE SET status = EXCLUDED.status, value = EXCLUDED.value,
       warn_at = EXCLUDED.warn_at, fail_at = EXCLUDED.fail_at, detail = EXCLUDED.detail, at = now()`,
    [
      row.runId,
      r.map((x) => x.gate),
      r.map((x) => x.subject),
      r.map((x) => x.status),
      r.map((x) => finiteOrNull(x.value)),
      r.map((x) => x.warnAt),
      r.map((x) => x.failAt),
      r.map((x) => x.detail),
    ],
  );
  await client.query(
    `DELETE FROM gate_result g WHERE g.run_id = $1
       AND NOT EXISTS (SELECT 1 FROM unnest($2::text[], $3::text[]) AS k(gate, subject) WHERE k.gate = g.gate AND k.subject = g.subject)`,
    [row.runId, r.map((x) => x.gate), r.map((x) => x.subject)],
  );
  await client.query(
    `INSERT INTO gate_evaluation (run_id, pipeline, snapshot_id, baseline_run_id, previous_run_id, status, measurements)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (run_id) DO UPDATE SET pipeline = EXCLUDED.pipeline, snapshot_id = EXCLUDED.snapshot_id,
       baseline_run_id = EXCLUDED.baseline_run_id, previous_run_id = EXCLUDED.previous_run_id, status = EXCLUDED.status,
       measurements = EXCLUDED.measurements, evaluated_at = now()`,
    [row.runId, row.pipeline, row.snapshotId, row.baselineRunId, row.previousRunId, row.report.status, json(row.measurements)],
  );
  await client.query('UPDATE activation_run SET gate_report = $2, updated_at = now() WHERE run_id = $1', [row.runId, json(row.report)]);
}
