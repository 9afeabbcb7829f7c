/**
 * The SQL side of the gates: counts, quantiles and bins computed in PostgreSQL, so a run of any
 * size sends the gate a few numbers instead of its rows. Quantiles use percentile_cont and bins
 * use width_bucket, which agree with quantile()/binIndex() in psi.ts.
 */
import type pg from 'pg';
import { isMissing, type BinnedCounts } from './psi.ts';
import type { ScoreStats } from './score-stats.ts';
import type { NullCount } from './null-rate.ts';

type Queryable = Pick<pg.Pool, 'query'>;

/** Where a run's scores live: staging before publish, canonical records after. */
export type ScoreTable = 'scored_entity' | 'activation_record';

/** A numeric sample in SQL: FROM/WHERE text with $1 bound to `key`, and the value expression. */
export interface SqlSample {
  from: string;
  key: string;
  expr: string;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * The latest COMPLETED run of the pipeline other than this one that passed its gates without an
 * operator override: the accepted baseline. A cycle an operator approved past a failed gate is
 * delivered, but never becomes the yardstick for the next cycle's drift. A rollback
 * cycle's baseline is the latest COMPLETED run scored by the model (or policy) it rolls back to, never
 * the cycle it replaces: the change of model is the operator's decision, not drift.
 */
export async function findBaselineRun(db: Queryable, pipeline: string, runId: string): Promise<string | null> {
  const { rows } = await db.query<{ run_id: string }>(
    `SELECT b.run_id FROM activation_run b LEFT JOIN activation_run c ON c.run_id = $2
     WHERE b.pipeline = $1 AND b.status = 'COMPLETED' AND b.run_id <> $2
       AND NOT EXISTS (SELECT 1 FROM gate_evaluation g WHERE g.run_id = b.run_id AND g.status = 'fail')
       AND (c.rollback_of IS NULL OR (b.model_name IS NOT DISTINCT FROM c.model_name AND b.model_version IS NOT DISTINCT FROM c.model_version
                                      AND b.decision_policy IS NOT DISTINCT FROM c.decision_policy))
     ORDER BY b.started_at DESC, b.run_id DESC LIMIT 1`,
    [pipeline, runId],
  );
  return rows[0]?.run_id ?? null;
}

export async function runSnapshotId(db: Queryable, runId: string): Promise<string | null> {
  const { rows } = await db.query<{ snapshot_id: string | null }>('SELECT snapshot_id FROM activation_run WHERE run_id = $1', [runId]);
  return rows[0]?.snapshot_id ?? null;
}

/** scored_entity when the run has staged rows, else activation_record when it published, else null. */
export async function scoreTable(db: Queryable, runId: string): Promise<ScoreTable | null> {
  const { rows } = await db.query<{ staged: boolean; published: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM scored_entity WHERE run_id = $1) AS staged,
            EXISTS (SELECT 1 FROM activation_record WHERE run_id = $1) AS published`,
    [runId],
  );
  if (rows[0]?.staged) return 'scored_entity';
  if (rows[0]?.published) return 'activation_record';
  return null;
}

export async function countScores(db: Queryable, table: ScoreTable, runId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE run_id = $1`, [runId]);
  return rows[0]?.n ?? 0;
}

export async function scoreStatsSql(db: Queryable, table: ScoreTable, runId: string, range: { min: number; max: number }): Promise<ScoreStats> {
  const { rows } = await db.query<{ n: number; out_of_range: number; finite: number; sd: number | null; distinct: number; top: number | null; at_bounds: number }>(
    `WITH s AS (SELECT score FROM ${table} WHERE run_id = $1),
          f AS (SELECT score FROM s WHERE score NOT IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8))
     SELECT (SELECT count(*)::int FROM s) AS n,
            (SELECT count(*)::int FROM s WHERE score IS NULL OR score IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8)
                                          OR score < $2 OR score > $3) AS out_of_range,
            (SELECT count(*)::int FROM f) AS finite,
            (SELECT stddev_pop(score) FROM f) AS sd,
            (SELECT count(DISTINCT round(score::numeric, 6))::int FROM f) AS distinct,
            (SELECT max(c)::int FROM (SELECT count(*) AS c FROM f GROUP BY round(score::numeric, 6)) t) AS top,
            (SELECT count(*)::int FROM f WHERE abs(score - $2) <= 1e-9 OR abs(score - $3) <= 1e-9) AS at_bounds`,
    [runId, range.min, range.max],
  );
  const r = rows[0]!;
  return {
    n: r.n,
    outOfRange: r.out_of_range,
    topValueShare: r.finite ? (r.top ?? 0) / r.finite : 0,
    stdDev: r.sd ?? 0,
    distinct: r.distinct,
    massAtBounds: r.n ? r.at_bounds / r.n : 0,
  };
}

/** Inner quantile edges of the sample's non-missing values (NaN counts as missing), deduplicated. */
export async function quantileEdgesSql(db: Queryable, s: SqlSample, bins: number): Promise<number[]> {
  const qs = Array.from({ length: bins - 1 }, (_, i) => (i + 1) / bins);
  const { rows } = await db.query<{ q: number[] | null }>(
    `SELECT percentile_cont($2::float8[]) WITHIN GROUP (ORDER BY v) AS q
     FROM (SELECT NULLIF((${s.expr})::float8, 'NaN'::float8) AS v ${s.from}) t`,
    [s.key, qs],
  );
  const edges: number[] = [];
  for (const q of rows[0]?.q ?? []) {
    if (isMissing(q)) continue;
    if (edges.length === 0 || q > edges[edges.length - 1]!) edges.push(q);
  }
  return edges;
}

export async function binCountsSql(db: Queryable, s: SqlSample, edges: readonly number[]): Promise<BinnedCounts> {
  const { rows } = await db.query<{ b: number | null; n: number }>(
    `SELECT CASE WHEN v IS NULL THEN NULL ELSE width_bucket(v, $2::float8[]) END AS b, count(*)::int AS n
     FROM (SELECT NULLIF((${s.expr})::float8, 'NaN'::float8) AS v ${s.from}) t GROUP BY 1`,
    [s.key, edges.length ? edges : [0]],
  );
  const counts = new Array<number>(edges.length + 1).fill(0);
  let missing = 0;
  for (const r of rows) {
    if (r.b === null) missing += r.n;
    else if (edges.length === 0) counts[0]! += r.n;
    else counts[r.b]! += r.n;
  }
  return { counts, missing };
}

export function scoreSample(table: ScoreTable, runId: string): SqlSample {
  return { from: `FROM ${table} WHERE run_id = $1`, key: runId, expr: 'score' };
}

export function featureSample(snapshotId: string, column: string): SqlSample {
  return { from: 'FROM feature_value WHERE snapshot_id = $1', key: snapshotId, expr: quoteIdent(column) };
}

/** Numeric columns of feature_value, from the catalogue (so config names never reach SQL unchecked). */
export async function numericFeatureColumns(db: Queryable): Promise<Set<string>> {
  const { rows } = await db.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns
     WHERE table_name = 'feature_value' AND table_schema = current_schema()
       AND data_type IN ('double precision', 'integer', 'bigint', 'numeric', 'real', 'smallint')`,
  );
  return new Set(rows.map((r) => r.column_name));
}

export async function nullCountsSql(db: Queryable, snapshotId: string, columns: readonly string[]): Promise<Record<string, NullCount>> {
  if (columns.length === 0) return {};
  const exprs = columns.map((c, i) => `count(*) FILTER (WHERE ${quoteIdent(c)} IS NULL OR ${quoteIdent(c)}::float8 = 'NaN'::float8)::int AS n${i}`);
  const { rows } = await db.query<Record<string, number>>(`SELECT count(*)::int AS total, ${exprs.join(', ')} FROM feature_value WHERE snapshot_id = $1`, [snapshotId]);
  const r = rows[0]!;
  return Object.fromEntries(columns.map((c, i) => [c, { nulls: r[`n${i}`] ?? 0, total: r.total ?? 0 }]));
}

/** Feature keys present in the run's staged rows (a sample of up to 1000), else the snapshot's columns. */
export async function presentColumns(db: Queryable, runId: string, featureColumns: Set<string>): Promise<string[]> {
  const { rows } = await db.query<{ k: string }>(
    `SELECT DISTINCT jsonb_object_keys(features) AS k FROM (SELECT features FROM scored_entity WHERE run_id = $1 LIMIT 1000) t`,
    [runId],
  );
  return rows.length ? rows.map((r) => r.k) : [...featureColumns];
}

/** Counts of segment and eligibility for a run. */
export async function categoricalCounts(db: Queryable, table: ScoreTable, runId: string): Promise<{ segment: Record<string, number>; eligible: Record<string, number> }> {
  const { rows } = await db.query<{ kind: string; k: string; n: number }>(
    `SELECT 'segment' AS kind, segment AS k, count(*)::int AS n FROM ${table} WHERE run_id = $1 GROUP BY segment
     UNION ALL
     SELECT 'eligible', eligible::text, count(*)::int FROM ${table} WHERE run_id = $1 GROUP BY eligible`,
    [runId],
  );
  const out = { segment: {} as Record<string, number>, eligible: {} as Record<string, number> };
  for (const r of rows) out[r.kind as 'segment' | 'eligible'][r.k] = r.n;
  return out;
}

export async function contractViolationCount(db: Queryable, runId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(DISTINCT entity_id)::int AS n FROM contract_quarantine WHERE run_id = $1', [runId]);
  return rows[0]?.n ?? 0;
}
