/**
 * Outcomes of a run: for every published entity, whether it purchased (and how much) within the
 * attribution window after scoring, read from later feed deliveries joined on the visitor key.
 * Then lift per arm, with breakdowns by model version, segment, destination and score decile, and
 * a sample-ratio check of the entities the outcome data shows at all (any hit in the window), which
 * catches an arm whose outcomes are lost. The report is stored (lift_report) and written as HTML
 * (<reportDir>/<runId>/lift.html). Writing twice replaces the run's outcome rows with identical ones.
 */
import { NOT_ROUTED } from '../report/not-routed.ts';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { getPool, withTransaction } from '../store/db.ts';
import { copyRows, type CopyValue } from '../store/copy-rows.ts';
import { pipelineOf, type PipelineRef } from '../run/pipeline.ts';
import { liftBreakdown, liftFromRows, summarizeArms, type BreakdownRow, type LiftResult, type LiftReport } from './lift.ts';
import { logger } from '../observability/logger.ts';
import { renderLiftReport } from '../report/lift-report.ts';
import { reportFolderName } from '../report/write-run-report.ts';

export interface OutcomesInput extends PipelineRef {
  runId: string;
  /** Data-time window after the snapshot's as-of; defaults to the score's horizon (probability semantics) or 7 days. */
  windowDays?: number;
  /** Where the HTML report goes: $SCOREFLOW_REPORT_DIR, else .data/reports under the working directory. */
  reportDir?: string;
}

export async function computeOutcomesActivity(
  input: OutcomesInput,
): Promise<{ entities: number; conversions: number; status: string; trustworthy: boolean | null; reportPath: string | null }> {
  const report = await computeOutcomes(input);
  const o = report.overall;
  const conversions = o.control.conversions + o.treatment.conversions;
  return { entities: report.entities, conversions, status: o.status, trustworthy: o.status === 'ok' ? o.trustworthy : null, reportPath: report.htmlPath ?? null };
}

/** The directory lift and run reports go to, unless a caller names one. */
export function defaultReportDir(): string {
  return resolve(process.env.SCOREFLOW_REPORT_DIR ?? join(process.cwd(), '.data', 'reports'));
}

/** Writes the report's HTML to <dir>/<runId>/lift.html atomically and returns the path. */
export async function writeLiftReportHtml(report: LiftReport, dir: string = defaultReportDir(), generatedAt = new Date().toISOString()): Promise<string> {
  const folder = join(resolve(dir), reportFolderName(report.runId));
  await mkdir(folder, { recursive: true });
  const path = join(folder, 'lift.html');
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, renderLiftReport(report, generatedAt), 'utf8');
  await rename(tmp, path);
  return path;
}

function noHoldoutResult(rows: BreakdownRow[], reason: string): LiftResult {
  const arms = summarizeArms(rows);
  return {
    status: 'insufficient_data',
    reason,
    control: { n: arms.control.n, conversions: arms.control.conversions },
    treatment: { n: arms.treatment.n, conversions: arms.treatment.conversions },
  };
}

export async function computeOutcomes(input: OutcomesInput): Promise<LiftReport> {
  const cfg = pipelineOf(input);
  const pool = getPool();
  // The latest cycle of the run (a rollback publishes a new cycle) is what destinations hold.
  const cycle = await pool.query<{ run_id: string; as_of: Date }>(
    `SELECT r.run_id, s.as_of FROM activation_run r JOIN feature_snapshot s ON s.snapshot_id = r.snapshot_id
     WHERE (r.run_id = $1 OR r.parent_run_id = $1) AND EXISTS (SELECT 1 FROM activation_record a WHERE a.run_id = r.run_id)
     ORDER BY r.started_at DESC LIMIT 1`,
    [input.runId],
  );
  const c = cycle.rows[0];
  if (!c) throw new Error(`run ${input.runId} has published no records; nothing to measure`);
  const days = input.windowDays ?? (cfg.scoring.semantics.kind === 'probability' ? cfg.scoring.semantics.horizon_days : 7);
  const start = c.as_of;
  const end = new Date(start.getTime() + days * 86_400_000);
  const startS = Math.floor(start.getTime() / 1000);
  const endS = Math.floor(end.getTime() / 1000);

  const observed = await pool.query<{ max: Date | null }>('SELECT max(max_hit_time) AS max FROM feed_delivery');
  const rows = await pool.query<{ entity_id: string; arm: 'treatment' | 'control'; segment: string; model_version: string; decile: number; converted: boolean; observed: boolean; revenue: number; first_day: number | null }>(
    `WITH recs AS (
       SELECT entity_id, holdout_arm AS arm, segment, model_version, ntile(10) OVER (ORDER BY score, entity_id) AS decile
       FROM activation_record WHERE run_id = $1
     ), buys AS (
       SELECT visitor_id, sum(revenue) AS revenue, min(hit_time_gmt) AS first_buy
       FROM feed_hit WHERE is_purchase AND hit_time_gmt > $2 AND hit_time_gmt <= $3 GROUP BY visitor_id
     )
     SELECT r.entity_id, r.arm, r.segment, r.model_version, r.decile, b.visitor_id IS NOT NULL AS converted,
            EXISTS (SELECT 1 FROM feed_hit h WHERE h.visitor_id = r.entity_id AND h.hit_time_gmt > $2 AND h.hit_time_gmt <= $3) AS observed,
            coalesce(b.revenue, 0)::float8 AS revenue, floor((b.first_buy - $2) / 86400.0)::int AS first_day
     FROM recs r LEFT JOIN buys b ON b.visitor_id = r.entity_id`,
    [c.run_id, startS, endS],
  );
  const dests = await pool.query<{ entity_id: string; destination: string }>(
    `SELECT DISTINCT entity_id, destination FROM ledger_event WHERE run_id = $1 AND destination <> ''
       AND (stage = 'delivered' OR (stage = 'suppressed' AND detail->>'reason' = 'holdout_control'))`,
    [c.run_id],
  );
  const destOf = new Map<string, string[]>();
  for (const d of dests.rows) destOf.set(d.entity_id, [...(destOf.get(d.entity_id) ?? []), d.destination]);

  // Publishing assigns with share 0 (everyone treated) when the pipeline has no holdout.
  const share = cfg.holdout?.controlShare ?? 0;
  const asOf = observed.rows[0]?.max ?? new Date(0);
  const opts = { outcomeWindow: { start, end }, asOf, expectedControlShare: share };
  const noHoldout =
    share > 0 ? null : `pipeline ${cfg.name} has no holdout (control share ${share}), so there is no control group to measure lift against; configure holdout.controlShare.`;
  const entityRows: BreakdownRow[] = rows.rows.map((r) => ({
    arm: r.arm, converted: r.converted, observed: r.observed, revenue: Number(r.revenue), modelVersion: r.model_version, segment: r.segment, destination: '', scoreDecile: r.decile,
  }));
  // One row per (entity, destination): an entity routed to two destinations counts in both groups.
  const destinationRows = entityRows.flatMap((r, i) => (destOf.get(rows.rows[i]!.entity_id) ?? [NOT_ROUTED]).map((destination) => ({ ...r, destination })));
  const breakdowns = noHoldout
    ? { modelVersion: [], segment: [], destination: [], scoreDecile: [] }
    : {
        modelVersion: liftBreakdown(entityRows, 'modelVersion', opts),
        segment: liftBreakdown(entityRows, 'segment', opts),
        destination: liftBreakdown(destinationRows, 'destination', opts),
        scoreDecile: liftBreakdown(entityRows, 'scoreDecile', opts),
      };
  const controlN = rows.rows.filter((r) => r.arm === 'control').length;
  const treatmentN = rows.rows.length - controlN;
  const cumulative = Array.from({ length: days }, (_, day) => ({
    day: day + 1,
    control: rows.rows.filter((r) => r.arm === 'control' && r.first_day !== null && r.first_day <= day).length,
    treatment: rows.rows.filter((r) => r.arm === 'treatment' && r.first_day !== null && r.first_day <= day).length,
    controlN,
    treatmentN,
  }));
  const overall: LiftResult = noHoldout ? noHoldoutResult(entityRows, noHoldout) : liftFromRows(entityRows, opts);
  const report: LiftReport = {
    runId: input.runId,
    pipeline: cfg.name,
    cycleRunId: c.run_id,
    window: { start: start.toISOString(), end: end.toISOString(), days },
    observedThrough: observed.rows[0]?.max?.toISOString() ?? null,
    entities: rows.rows.length,
    overall,
    breakdowns,
    cumulative,
    ...(share > 0 ? { expectedControlShare: share } : {}),
  };
  report.htmlPath = await writeLiftReportHtml(report, input.reportDir ?? defaultReportDir());

  const out: CopyValue[][] = rows.rows.map((r) => [c.run_id, r.entity_id, r.arm, r.converted, r.revenue, start, end]);
  const ledger: CopyValue[][] = rows.rows.map((r) => [c.run_id, r.entity_id, '', 'outcome', { converted: r.converted, revenue: Number(r.revenue), window_days: days }]);
  await withTransaction(async (client) => {
    await client.query('DELETE FROM outcome WHERE run_id = $1', [c.run_id]);
    await copyRows(client, 'outcome', ['run_id', 'entity_id', 'arm', 'converted', 'revenue', 'window_start', 'window_end'], out);
    await client.query("DELETE FROM ledger_event WHERE run_id = $1 AND stage = 'outcome'", [c.run_id]);
    await copyRows(client, 'ledger_event', ['run_id', 'entity_id', 'destination', 'stage', 'detail'], ledger);
    await client.query(
      `INSERT INTO lift_report (run_id, pipeline, report) VALUES ($1, $2, $3)
       ON CONFLICT (run_id) DO UPDATE SET report = EXCLUDED.report, computed_at = now()`,
      [input.runId, cfg.name, JSON.stringify(report)],
    );
  });
  logger().info({ runId: input.runId, entities: report.entities, status: overall.status, trustworthy: overall.status === 'ok' ? overall.trustworthy : null, htmlPath: report.htmlPath }, 'outcomes measured');
  return report;
}
