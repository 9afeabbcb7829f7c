/**
 * evaluateGates: every enabled gate whose input is present, one report, overall status = worst.
 * Inputs are measurements (counts, statistics, PSI results), so the caller can compute them in SQL
 * for large runs or with the pure helpers for small ones. A missing input skips its gate; a null
 * baseline inside an input gives a passing "not measured" result that says why.
 */
import type { GateConfig } from '../../contracts/gate-config.ts';
import { worstStatus, type GateReport, type GateResult } from '../../contracts/gate-report.ts';
import { activationDrift, type ActivationStats } from './activation-drift.ts';
import { collapseGates } from './collapse.ts';
import { contractViolationsGate } from './contract-violations.ts';
import { destinationDryRunGates, type DryRunOutcome } from './destination-dry-run.ts';
import { featurePsiGates, scorePsiGate } from './feature-psi.ts';
import { feedFreshnessGate } from './feed-freshness.ts';
import { categoricalJsdGates, type CategoricalCounts } from './jensen-shannon.ts';
import { featureNullRateGates, type NullCount } from './null-rate.ts';
import type { PsiResult } from './psi.ts';
import { requiredColumnsGate } from './required-columns.ts';
import { scoreRangeGate } from './score-range.ts';
import type { ScoreStats } from './score-stats.ts';
import { volumeChangeGate } from './volume-change.ts';

export interface GateInputs {
  /** Run the baseline-relative gates were compared against, for the sentences. */
  baselineRunId?: string | null;
  /** Columns present in the staged rows. */
  columns?: Iterable<string>;
  nullCounts?: Record<string, NullCount>;
  scores?: ScoreStats;
  /** null: no baseline run. */
  scorePsi?: PsiResult | null;
  featurePsi?: Record<string, PsiResult | null>;
  /** Subject (e.g. segment, eligible) → category counts; null: no baseline. */
  categorical?: Record<string, CategoricalCounts | null>;
  volume?: { current: number; previous: number | null; previousRunId?: string | null };
  /** Latest hit time of the feed; null when the feed had no hits. */
  feedMaxHitTime?: Date | string | null;
  /** Time of the check (freshness); defaults to now. */
  now?: Date;
  destinationDryRuns?: readonly DryRunOutcome[];
  contract?: { violations: number; total: number };
  activation?: { history: readonly ActivationStats[]; current: readonly ActivationStats[] };
}

export function evaluateGates(config: GateConfig, inputs: GateInputs): GateReport {
  const results: GateResult[] = [];
  const base = inputs.baselineRunId ?? null;
  if (config.requiredColumns.enabled && inputs.columns) results.push(requiredColumnsGate(inputs.columns, config.requiredColumns));
  if (config.featureNullRate.enabled && inputs.nullCounts) results.push(...featureNullRateGates(inputs.nullCounts, config.featureNullRate));
  if (inputs.scores) {
    if (config.scoreRange.enabled) results.push(scoreRangeGate(inputs.scores, config.scoreRange));
    results.push(...collapseGates(inputs.scores, config.collapse, config.scoreRange));
  }
  if (config.scorePsi.enabled && inputs.scorePsi !== undefined) results.push(scorePsiGate(inputs.scorePsi, config.scorePsi, base));
  if (config.featurePsi.enabled && inputs.featurePsi) results.push(...featurePsiGates(inputs.featurePsi, config.featurePsi, base));
  if (config.categoricalJsd.enabled && inputs.categorical) results.push(...categoricalJsdGates(inputs.categorical, config.categoricalJsd, base));
  if (config.volumeChange.enabled && inputs.volume) results.push(volumeChangeGate(inputs.volume, config.volumeChange));
  if (config.feedFreshness.enabled && inputs.feedMaxHitTime !== undefined) results.push(feedFreshnessGate(inputs.feedMaxHitTime, inputs.now ?? new Date(), config.feedFreshness));
  if (config.destinationDryRun.enabled && inputs.destinationDryRuns) results.push(...destinationDryRunGates(inputs.destinationDryRuns, config.destinationDryRun));
  if (config.contractViolations.enabled && inputs.contract) results.push(contractViolationsGate(inputs.contract, config.contractViolations));
  if (inputs.activation) {
    const threshold = { matchRateDecline: config.matchRateDecline, acceptanceDecline: config.acceptanceDecline, window: config.driftWindow };
    for (const c of inputs.activation.current) results.push(...activationDrift(inputs.activation.history, c, threshold).results);
  }
  return { status: worstStatus(results.map((r) => r.status)), results };
}
