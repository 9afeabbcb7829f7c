/**
 * runGatesActivity: the validation gate between scoring and publishing. Measures the run's staged
 * scores (scored_entity) and feature snapshot in SQL, compares them with the baseline, evaluates
 * every gate, stores the results and returns the small report (never rows).
 *
 * Baseline rule: the latest activation_run of the same pipeline with status 'COMPLETED' (published
 * and exported, whether its gate passed, warned, or an operator approved it), other than this run.
 * A rollback cycle's baseline is the latest such run scored by the model it rolls back to (none: the
 * drift gates are skipped), not the cycle it replaces.
 * Its scores come from scored_entity if still staged, else from its activation_record rows; its
 * features from its feature snapshot. Previous cycle (volume) defaults to the baseline run.
 */
import { z } from 'zod';
import { ApplicationFailure } from '@temporalio/common';
import { GateConfig } from '../../contracts/gate-config.ts';
import type { GateReport } from '../../contracts/gate-report.ts';
import { getPool, withTransaction } from '../store/db.ts';
import { logger } from '../observability/logger.ts';
import { heartbeat } from '../run/heartbeat.ts';
import { evaluateGates, type GateInputs } from './evaluate-gates.ts';
import { psiFromCounts, type PsiResult } from './psi.ts';
import type { CategoricalCounts } from './jensen-shannon.ts';
import type { ScoreStats } from './score-stats.ts';
import {
  binCountsSql,
  categoricalCounts,
  contractViolationCount,
  countScores,
  featureSample,
  findBaselineRun,
  nullCountsSql,
  numericFeatureColumns,
  presentColumns,
  quantileEdgesSql,
  runSnapshotId,
  scoreSample,
  scoreStatsSql,
  scoreTable,
  type SqlSample,
} from './read-gate-inputs.ts';
import { storeGateResults } from './store-gate-results.ts';

const ActivationStatsInput = z.object({
  runId: z.string(),
  destination: z.string(),
  matchRate: z.number().min(0).max(1).nullable(),
  acceptanceRate: z.number().min(0).max(1).nullable(),
  rejections: z.record(z.string(), z.number().int().min(0)),
});

export const RunGatesInput = z.object({
  runId: z.string().min(1),
  pipeline: z.string().min(1),
  snapshotId: z.string().min(1),
  /** Defaults to the latest COMPLETED run of the pipeline. */
  baselineRunId: z.string().min(1).optional(),
  /** Defaults to the baseline run. */
  previousRunId: z.string().min(1).optional(),
  /** The pipeline's `gates:` block; omitted fields take the defaults. */
  config: z.unknown().optional(),
  /** Latest hit time of the feed this run was built from (ISO-8601). Null or omitted: the freshness gate is skipped (e.g. rollbacks re-scoring an old snapshot). */
  feedMaxHitTime: z.string().datetime({ offset: true }).nullable().optional(),
  /** Time of the check, ISO-8601; defaults to now. */
  now: z.string().datetime({ offset: true }).optional(),
  destinationDryRuns: z
    .array(z.object({ destination: z.string(), rows: z.number().int().min(0), invalid: z.number().int().min(0), reasons: z.record(z.string(), z.number()).optional() }))
    .optional(),
  activation: z.object({ history: z.array(ActivationStatsInput), current: z.array(ActivationStatsInput) }).optional(),
});
export type RunGatesInput = z.input<typeof RunGatesInput>;

export interface RunGatesResult extends GateReport {
  baselineRunId: string | null;
  previousRunId: string | null;
}

/** What the run report draws; stored in gate_evaluation.measurements. */
export interface GateMeasurements {
  scores: ScoreStats;
  scorePsi: PsiResult | null;
  featurePsi: Record<string, PsiResult | null>;
  categorical: Record<string, CategoricalCounts | null>;
  volume: { current: number; previous: number | null };
}

async function sqlPsi(baseline: SqlSample, current: SqlSample, bins: number, epsilon: number): Promise<PsiResult | null> {
  const pool = getPool();
  const edges = await quantileEdgesSql(pool, baseline, bins);
  const b = await binCountsSql(pool, baseline, edges);
  const c = await binCountsSql(pool, current, edges);
  const total = (x: { counts: number[]; missing: number }) => x.counts.reduce((a, n) => a + n, 0) + x.missing;
  if (total(b) === 0 || total(c) === 0) return null;
  return psiFromCounts(b, c, edges, epsilon);
}

export async function runGatesActivity(raw: RunGatesInput): Promise<RunGatesResult> {
  const parsed = RunGatesInput.safeParse(raw);
  if (!parsed.success) {
    throw ApplicationFailure.nonRetryable(`runGatesActivity input is invalid: ${z.prettifyError(parsed.error)}`, 'InvalidPipelineConfig');
  }
  const input = parsed.data;
  const cfgParsed = GateConfig.safeParse(input.config ?? {});
  if (!cfgParsed.success) {
    throw ApplicationFailure.nonRetryable(
      `gate config of pipeline ${input.pipeline} is invalid: ${z.prettifyError(cfgParsed.error)}; fix the pipeline file's gates: block`,
      'InvalidPipelineConfig',
    );
  }
  const config = cfgParsed.data;
  const pool = getPool();
  const log = logger().child({ runId: input.runId, pipeline: input.pipeline, snapshotId: input.snapshotId });

  const table = (await scoreTable(pool, input.runId)) ?? 'scored_entity';
  const baselineRunId = input.baselineRunId ?? (await findBaselineRun(pool, input.pipeline, input.runId));
  const previousRunId = input.previousRunId ?? baselineRunId;
  const baselineTable = baselineRunId ? await scoreTable(pool, baselineRunId) : null;
  const baselineSnapshot = baselineRunId ? await runSnapshotId(pool, baselineRunId) : null;
  const { bins, epsilon } = config.psi;

  const featureColumns = await numericFeatureColumns(pool);
  const measured = [...new Set([...config.featureNullRate.features, ...config.featurePsi.features])].filter((f) => featureColumns.has(f));

  const scores = await scoreStatsSql(pool, table, input.runId, config.scoreRange);
  const scorePsi =
    config.scorePsi.enabled && baselineRunId && baselineTable
      ? await sqlPsi(scoreSample(baselineTable, baselineRunId), scoreSample(table, input.runId), bins, epsilon)
      : null;
  heartbeat({ stage: 'scores' });

  const featurePsi: Record<string, PsiResult | null> = {};
  if (config.featurePsi.enabled) {
    for (const f of config.featurePsi.features) {
      if (!featureColumns.has(f)) continue;
      featurePsi[f] = baselineSnapshot ? await sqlPsi(featureSample(baselineSnapshot, f), featureSample(input.snapshotId, f), bins, epsilon) : null;
      heartbeat({ stage: 'featurePsi', feature: f });
    }
  }

  const current = await categoricalCounts(pool, table, input.runId);
  const base = baselineRunId && baselineTable ? await categoricalCounts(pool, baselineTable, baselineRunId) : null;
  const categorical: Record<string, CategoricalCounts | null> = {
    segment: base ? { baseline: base.segment, current: current.segment } : null,
    eligible: base ? { baseline: base.eligible, current: current.eligible } : null,
  };

  let previous: number | null = null;
  if (previousRunId) {
    const prevTable = await scoreTable(pool, previousRunId);
    previous = prevTable ? await countScores(pool, prevTable, previousRunId) : null;
  }

  const inputs: GateInputs = {
    baselineRunId,
    columns: await presentColumns(pool, input.runId, featureColumns),
    nullCounts: await nullCountsSql(pool, input.snapshotId, measured),
    scores,
    scorePsi,
    featurePsi,
    categorical,
    volume: { current: scores.n, previous, previousRunId },
    contract: { violations: await contractViolationCount(pool, input.runId), total: scores.n },
    now: input.now ? new Date(input.now) : new Date(),
    ...(input.feedMaxHitTime ? { feedMaxHitTime: input.feedMaxHitTime } : {}),
    ...(input.destinationDryRuns ? { destinationDryRuns: input.destinationDryRuns } : {}),
    ...(input.activation ? { activation: input.activation } : {}),
  };
  const report = evaluateGates(config, inputs);
  const measurements: GateMeasurements = { scores, scorePsi, featurePsi, categorical, volume: { current: scores.n, previous } };

  await withTransaction((client) =>
    storeGateResults(client, { runId: input.runId, pipeline: input.pipeline, snapshotId: input.snapshotId, baselineRunId, previousRunId, report, measurements }),
  );
  const counts = { pass: 0, warn: 0, fail: 0 };
  for (const r of report.results) counts[r.status]++;
  log.info({ gateStatus: report.status, ...counts, baselineRunId, previousRunId }, 'gates evaluated');
  return { ...report, baselineRunId, previousRunId };
}
