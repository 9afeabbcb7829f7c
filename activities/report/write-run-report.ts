/**
 * writeRunReportActivity: gathers a run's gate results and measurements, score histograms (run and
 * baseline), ledger funnel and exports from PostgreSQL, renders the HTML report and writes
 * <outDir>/<runId>/report.html atomically. Writing it twice gives the same file (but the timestamp).
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { GateStatus, worstStatus, type GateResult } from '../../contracts/gate-report.ts';
import { destinationOwnership } from '../../contracts/pipeline-config.ts';
import { getPool } from '../store/db.ts';
import { logger } from '../observability/logger.ts';
import { scoreTable } from '../gates/read-gate-inputs.ts';
import type { GateMeasurements } from '../gates/gate-activity.ts';
import { loadVerifications } from '../destinations/verify-destination.ts';
import { renderRunReport, type FunnelCounts, type RunReportData } from './run-report.ts';

export interface WriteRunReportInput {
  runId: string;
  /** Defaults to $SCOREFLOW_REPORT_DIR, else .data/reports under the working directory. */
  outDir?: string;
}

export const SCORE_HISTOGRAM_BINS = 20;

/** A folder name for a run id: workflow ids may hold characters a path must not. */
export function reportFolderName(runId: string): string {
  const safe = runId.replace(/[^A-Za-z0-9._-]/g, '_');
  return safe === '.' || safe === '..' ? `_${safe}` : safe;
}

async function histogram(runId: string): Promise<number[] | null> {
  const pool = getPool();
  const table = await scoreTable(pool, runId);
  if (!table) return null;
  const { rows } = await pool.query<{ b: number; n: number }>(
    `SELECT least(greatest(width_bucket(score, 0, 1, ${SCORE_HISTOGRAM_BINS}), 1), ${SCORE_HISTOGRAM_BINS}) AS b, count(*)::int AS n
     FROM ${table} WHERE run_id = $1 AND score <> 'NaN'::float8 GROUP BY 1`,
    [runId],
  );
  const counts = new Array<number>(SCORE_HISTOGRAM_BINS).fill(0);
  for (const r of rows) counts[r.b - 1]! += r.n;
  return counts;
}

async function funnel(runId: string): Promise<FunnelCounts[]> {
  const { rows } = await getPool().query<{ destination: string; stage: string; n: number }>(
    'SELECT destination, stage, count(*)::int AS n FROM ledger_event WHERE run_id = $1 GROUP BY destination, stage',
    [runId],
  );
  const exported = await getPool().query<{ destination: string }>('SELECT destination FROM destination_export WHERE run_id = $1', [runId]);
  const generated = rows.filter((r) => r.destination === '' && r.stage === 'generated').reduce((a, r) => a + r.n, 0);
  const dests = [...new Set([...rows.map((r) => r.destination), ...exported.rows.map((r) => r.destination)].filter((d) => d !== ''))].sort();
  return dests.map((destination) => {
    const get = (stage: string) => rows.find((r) => r.destination === destination && r.stage === stage)?.n ?? 0;
    return {
      destination,
      generated,
      exported: get('exported'),
      accepted: get('accepted'),
      rejected: get('rejected'),
      delivered: get('delivered'),
      suppressed: get('suppressed'),
      removed: get('removed'),
    };
  });
}

/** Published people per segment and, per destination, how many it received or held out as control. */
async function audiences(runId: string): Promise<NonNullable<RunReportData['audiences']>> {
  const pool = getPool();
  const published = await pool.query<{ segment: string; n: number }>('SELECT segment, count(*)::int AS n FROM activation_record WHERE run_id = $1 GROUP BY segment ORDER BY segment', [runId]);
  const routed = await pool.query<{ segment: string; destination: string; delivered: number; held_out: number }>(
    `SELECT a.segment, l.destination,
            count(DISTINCT l.entity_id) FILTER (WHERE l.stage = 'delivered')::int AS delivered,
            count(DISTINCT l.entity_id) FILTER (WHERE l.stage = 'suppressed' AND l.detail->>'reason' = 'holdout_control')::int AS held_out
       FROM ledger_event l JOIN activation_record a ON a.run_id = l.run_id AND a.entity_id = l.entity_id
      WHERE l.run_id = $1 AND l.destination <> ''
      GROUP BY a.segment, l.destination`,
    [runId],
  );
  return published.rows.map((p) => ({
    segment: p.segment,
    published: p.n,
    destinations: Object.fromEntries(routed.rows.filter((r) => r.segment === p.segment && (r.delivered > 0 || r.held_out > 0)).map((r) => [r.destination, { delivered: r.delivered, heldOut: r.held_out }])),
  }));
}

export async function loadRunReportData(runId: string): Promise<RunReportData> {
  const pool = getPool();
  const run = (
    await pool.query<{ pipeline: string; status: string; stage: string; snapshot_id: string | null; model_name: string | null; model_version: string | null; decision_policy: string | null; pipeline_config: Parameters<typeof destinationOwnership>[0] }>(
      'SELECT pipeline, status, stage, snapshot_id, model_name, model_version, decision_policy, pipeline_config FROM activation_run WHERE run_id = $1',
      [runId],
    )
  ).rows[0];
  const evaluation = (
    await pool.query<{ pipeline: string; snapshot_id: string; baseline_run_id: string | null; measurements: GateMeasurements }>(
      'SELECT pipeline, snapshot_id, baseline_run_id, measurements FROM gate_evaluation WHERE run_id = $1',
      [runId],
    )
  ).rows[0];
  const gateRows = (
    await pool.query<{ gate: string; subject: string; status: string; value: number | null; warn_at: number | null; fail_at: number | null; detail: string }>(
      'SELECT gate, subject, status, value, warn_at, fail_at, detail FROM gate_result WHERE run_id = $1 ORDER BY gate, subject',
      [runId],
    )
  ).rows;
  const results: GateResult[] = gateRows.map((r) => ({
    gate: r.gate,
    subject: r.subject,
    status: GateStatus.parse(r.status),
    value: r.value,
    warnAt: r.warn_at,
    failAt: r.fail_at,
    detail: r.detail,
  }));
  const baselineRunId = evaluation?.baseline_run_id ?? null;
  const current = (await histogram(runId)) ?? new Array<number>(SCORE_HISTOGRAM_BINS).fill(0);
  const baseline = baselineRunId ? await histogram(baselineRunId) : null;
  const psiRows = results.filter((r) => r.gate === 'featurePsi');
  const scorePsiRow = results.find((r) => r.gate === 'scorePsi');
  const thresholdsFrom = psiRows.find((r) => r.warnAt !== null && r.failAt !== null) ?? scorePsiRow;
  const model = run?.decision_policy === 'rules' ? `rules${run.model_version ? `:${run.model_version}` : ''}` : run?.model_name ? `${run.model_name}@${run.model_version ?? '?'}` : null;
  return {
    runId,
    pipeline: run?.pipeline ?? evaluation?.pipeline ?? 'unknown',
    generatedAt: new Date().toISOString(),
    // The report is written inside the run, before its end is recorded: say so rather than "RUNNING".
    runStatus: run?.status === 'RUNNING' ? `running (at ${run.stage} when this report was written; \`scoreflow status --run ${runId}\` has the outcome)` : (run?.status ?? null),
    model,
    snapshotId: run?.snapshot_id ?? evaluation?.snapshot_id ?? null,
    baselineRunId,
    gate: { status: results.length ? worstStatus(results.map((r) => r.status)) : 'not_run', results },
    scoreHistogram: { edges: Array.from({ length: SCORE_HISTOGRAM_BINS + 1 }, (_, i) => i / SCORE_HISTOGRAM_BINS), current, baseline },
    scoreDeciles: evaluation?.measurements.scorePsi ?? null,
    featurePsi: psiRows.map((r) => ({ feature: r.subject, value: r.value, status: r.status })),
    psiThresholds: { warnAt: thresholdsFrom?.warnAt ?? 0.1, failAt: thresholdsFrom?.failAt ?? 0.25 },
    funnel: await funnel(runId),
    audiences: await audiences(runId),
    exports: (
      await pool.query<{ destination: string; kind: string; rows: number; location: string | null }>(
        'SELECT destination, kind, rows, location FROM destination_export WHERE run_id = $1 ORDER BY destination',
        [runId],
      )
    ).rows,
    verification: await loadVerifications(runId),
    ownership: destinationOwnership(run?.pipeline_config),
  };
}

export async function writeRunReportActivity(input: WriteRunReportInput): Promise<{ path: string }> {
  const outDir = resolve(input.outDir ?? process.env.SCOREFLOW_REPORT_DIR ?? join(process.cwd(), '.data', 'reports'));
  const data = await loadRunReportData(input.runId);
  const dir = join(outDir, reportFolderName(input.runId));
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'report.html');
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, renderRunReport(data), 'utf8');
  await rename(tmp, path);
  logger().info({ runId: input.runId, path, gateStatus: data.gate.status }, 'run report written');
  return { path };
}
