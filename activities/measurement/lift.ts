/**
 * Lift statistics for a holdout experiment: treatment vs control. Pure: no I/O, no clock.
 *
 * Methods (α = 1 − confidence, z = Φ⁻¹(1 − α/2)):
 * - Conversion rate per arm: p = conversions / n.
 * - Absolute lift pT − pC with the unpooled Wald interval
 *     (pT − pC) ± z · sqrt(pT(1−pT)/nT + pC(1−pC)/nC).
 * - Relative lift pT/pC − 1 with the delta method on the log of the ratio (Katz):
 *     L = ln(pT/pC), se(L) = sqrt((1−pT)/(nT·pT) + (1−pC)/(nC·pC)),
 *     interval exp(L ± z·se(L)) − 1.
 *   The interval is not symmetric around the estimate and never goes below −100%; on the log scale
 *   the sampling distribution is much closer to normal than the ratio itself, which keeps coverage
 *   near nominal when the control arm is small (a holdout). tools/lift-coverage.ts measures it.
 * - Two-proportion z-test (pooled, H0: pT = pC): p̄ = (xT + xC)/(nT + nC),
 *     z = (pT − pC) / sqrt(p̄(1−p̄)(1/nT + 1/nC)), two-sided p = 2Φ(−|z|).
 * - Revenue per visitor (every user, zeros included): Welch's t-test, se = sqrt(sT²/nT + sC²/nC),
 *     df = se⁴ / ((sT²/nT)²/(nT−1) + (sC²/nC)²/(nC−1)) (Welch–Satterthwaite), t = (mT − mC)/se,
 *     interval (mT − mC) ± t_{1−α/2, df} · se. Above 10⁶ df the normal quantile is used (it differs
 *     by < 3·10⁻⁶ there, and jstat's t quantile loses accuracy beyond ~10⁷ df).
 * - Sample-ratio mismatch: chi-squared goodness of fit of the observed arm counts against the
 *   configured control share, χ² = Σ (observed − expected)² / expected over the two arms, 1 df,
 *   p = 1 − F_χ²₁(χ²) (below ~1e-15 this is reported as 0). p < 0.001 marks the result
 *   `trustworthy: false`: the assignment or the logging is broken, so no lift figure should be
 *   acted on. Two populations are checked when known:
 *   - `srm`: the users the analysis counts per arm (the recorded assignment);
 *   - `observationSrm`: the users of each arm that the outcome data shows at all during the window
 *     (`ArmStats.observed`, e.g. visitors with any hit in a later feed delivery). Lift is computed
 *     over every assigned user (intent to treat: a user the outcome data never shows counts as not
 *     converted), so an arm whose outcomes are lost in logging looks like an arm that did not buy.
 *     This check catches that: with a correct split and logging, both arms are seen in the
 *     configured ratio. A treatment that strongly changes whether users come back at all also moves
 *     this ratio; the report says which check fired.
 *
 * When the data cannot support an estimate, the result is `{ status: 'insufficient_data', reason }`:
 * an arm below the minimum size (default 30), an arm with no conversions or with every user
 * converted (the normal approximations have no variance), or, for row input, no completed outcome
 * window. No NaN and no made-up interval is ever returned.
 */
import { z } from 'zod';
import jStat from 'jstat';
import type { Arm } from './holdout.ts';

export const DEFAULT_CONFIDENCE = 0.95;
export const DEFAULT_MIN_ARM_SIZE = 30;
/** Sample-ratio mismatch is flagged when the chi-squared p-value is below this. */
export const SRM_P_VALUE_THRESHOLD = 0.001;
/** Above this many Welch degrees of freedom the t distribution is replaced by the normal. */
const MAX_T_DF = 1e6;

// ---------------------------------------------------------------------------------------------
// Inputs

export interface ArmCounts {
  n: number;
  conversions: number;
}

/** Per-arm sufficient statistics. `revenue` is absent when only counts are known. */
export interface ArmStats extends ArmCounts {
  revenue?: { mean: number; variance: number };
  /**
   * Users of the arm that the outcome data shows at all during the window (0 ≤ observed ≤ n).
   * When both arms carry it and an expected control share is given, `observationSrm` checks it.
   */
  observed?: number;
}

export interface LiftOptions {
  /** Two-sided confidence level of every interval, in (0, 1). Default 0.95. */
  confidence?: number;
  /** Fewest users an arm may have before the result is insufficient_data. Default 30, at least 2. */
  minArmSize?: number;
  /** Configured control share of the experiment. Without it the sample-ratio check is skipped (`srm: null`). */
  expectedControlShare?: number;
}

export const OutcomeRowSchema = z.object({
  arm: z.enum(['treatment', 'control']),
  converted: z.boolean(),
  /** Revenue attributed in the outcome window; 0 for users who did not buy. */
  revenue: z.number(),
  /** Whether the outcome data shows the user at all during the window (any hit); feeds `observationSrm`. */
  observed: z.boolean().optional(),
});
export type OutcomeRow = z.infer<typeof OutcomeRowSchema>;

export const BreakdownRowSchema = OutcomeRowSchema.extend({
  modelVersion: z.string(),
  segment: z.string(),
  /** The destination the entity is routed to, recorded for control entities too (they are just not sent). */
  destination: z.string(),
  /** Score decile, e.g. 1 (lowest scores) to 10 (highest). */
  scoreDecile: z.number().int(),
});
export type BreakdownRow = z.infer<typeof BreakdownRowSchema>;

export interface RowLiftOptions extends LiftOptions {
  /** The attribution window the outcomes were collected over; missing → insufficient_data. */
  outcomeWindow: { start: Date; end: Date } | null | undefined;
  /** The time the outcomes were read. Before `outcomeWindow.end` → insufficient_data. */
  asOf: Date;
  /** Control share the experiment was configured with (required for row input: SRM is always checked). */
  expectedControlShare: number;
}

// ---------------------------------------------------------------------------------------------
// Results

export interface Interval {
  lower: number;
  upper: number;
}

export interface EstimateWithInterval {
  estimate: number;
  ci: Interval;
}

export interface ArmSummary {
  n: number;
  conversions: number;
  conversionRate: number;
  /** Mean and sample variance (n − 1) of revenue per user; null when only counts are known. */
  revenuePerVisitor: { mean: number; variance: number } | null;
  /** Users the outcome data shows during the window; present only when known. */
  observed?: number;
}

export interface ZTestResult {
  z: number;
  pValue: number;
}

export interface WelchTTestResult {
  /** mean(treatment) − mean(control). */
  difference: number;
  standardError: number;
  t: number;
  df: number;
  pValue: number;
  ci: Interval;
}

export type RevenueComparison = ({ status: 'ok' } & WelchTTestResult) | { status: 'insufficient_data'; reason: string };

export interface SrmResult {
  expectedControlShare: number;
  observedControlShare: number;
  chiSquare: number;
  df: 1;
  pValue: number;
  /** True when pValue < SRM_P_VALUE_THRESHOLD. */
  mismatch: boolean;
}

export interface LiftOk {
  status: 'ok';
  confidence: number;
  control: ArmSummary;
  treatment: ArmSummary;
  /** pT − pC, unpooled Wald interval. */
  absoluteLift: EstimateWithInterval;
  /** pT / pC − 1, delta-method interval on ln(pT / pC). */
  relativeLift: EstimateWithInterval;
  /** Pooled two-proportion z-test of pT = pC. */
  zTest: ZTestResult;
  /** Welch comparison of revenue per visitor; null when only counts were given. */
  revenuePerVisitor: RevenueComparison | null;
  /** Sample-ratio check of the analysed (assigned) users; null when no expected control share was given. */
  srm: SrmResult | null;
  /**
   * Sample-ratio check of the users the outcome data shows during the window; null when the
   * observed counts or the expected share are unknown (reports stored before it existed lack it).
   */
  observationSrm?: SrmResult | null;
  trustworthy: boolean;
  /** Why the result is not trustworthy; null when it is. */
  reason: string | null;
}

export interface LiftInsufficient {
  status: 'insufficient_data';
  reason: string;
  control: ArmCounts;
  treatment: ArmCounts;
}

export type LiftResult = LiftOk | LiftInsufficient;

// ---------------------------------------------------------------------------------------------
// Distribution helpers

function normalQuantile(p: number): number {
  return jStat.normal.inv(p, 0, 1);
}

/** Two-sided critical value for a confidence level: Φ⁻¹(1 − α/2). */
export function zCritical(confidence: number): number {
  return normalQuantile(1 - (1 - confidence) / 2);
}

function twoSidedNormalP(z: number): number {
  return Math.min(1, 2 * jStat.normal.cdf(-Math.abs(z), 0, 1));
}

function tQuantile(p: number, df: number): number {
  return df > MAX_T_DF ? normalQuantile(p) : jStat.studentt.inv(p, df);
}

function twoSidedTP(t: number, df: number): number {
  const tail = df > MAX_T_DF ? jStat.normal.cdf(-Math.abs(t), 0, 1) : jStat.studentt.cdf(-Math.abs(t), df);
  return Math.min(1, 2 * tail);
}

function checkConfidence(confidence: number): void {
  if (!Number.isFinite(confidence) || confidence <= 0 || confidence >= 1) {
    throw new RangeError(`lift: confidence must be strictly between 0 and 1 (e.g. 0.95), got ${String(confidence)}.`);
  }
}

function checkCounts(arm: Arm, counts: ArmStats): void {
  const { n, conversions, observed } = counts;
  if (!Number.isSafeInteger(n) || n < 0 || !Number.isSafeInteger(conversions) || conversions < 0 || conversions > n) {
    throw new RangeError(
      `lift: ${arm} arm counts must be integers with 0 ≤ conversions ≤ n, got n=${String(n)}, conversions=${String(conversions)}.`,
    );
  }
  if (observed !== undefined && (!Number.isSafeInteger(observed) || observed < 0 || observed > n)) {
    throw new RangeError(`lift: ${arm} arm observed users must be an integer with 0 ≤ observed ≤ n, got observed=${String(observed)}, n=${String(n)}.`);
  }
}

function checkShare(share: number): void {
  if (!Number.isFinite(share) || share <= 0 || share >= 1) {
    throw new RangeError(`lift: expectedControlShare must be strictly between 0 and 1 (e.g. 0.1), got ${String(share)}.`);
  }
}

function assertFinite(values: Record<string, number>): void {
  for (const [name, value] of Object.entries(values)) {
    if (!Number.isFinite(value)) {
      throw new Error(`lift: internal error, ${name} is not finite (${String(value)}); report this with the arm counts.`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Statistical building blocks (each assumes its inputs passed the insufficient-data checks)

/** Unpooled Wald interval for pT − pC. Requires n ≥ 1 in both arms. */
export function absoluteLiftInterval(control: ArmCounts, treatment: ArmCounts, confidence = DEFAULT_CONFIDENCE): EstimateWithInterval {
  const pC = control.conversions / control.n;
  const pT = treatment.conversions / treatment.n;
  const se = Math.sqrt((pT * (1 - pT)) / treatment.n + (pC * (1 - pC)) / control.n);
  const half = zCritical(confidence) * se;
  const estimate = pT - pC;
  return { estimate, ci: { lower: estimate - half, upper: estimate + half } };
}

/** pT/pC − 1 with the delta-method interval on ln(pT/pC). Requires conversions ≥ 1 in both arms. */
export function relativeLiftInterval(control: ArmCounts, treatment: ArmCounts, confidence = DEFAULT_CONFIDENCE): EstimateWithInterval {
  const pC = control.conversions / control.n;
  const pT = treatment.conversions / treatment.n;
  const logRatio = Math.log(pT / pC);
  const se = Math.sqrt((1 - pT) / (treatment.n * pT) + (1 - pC) / (control.n * pC));
  const half = zCritical(confidence) * se;
  return {
    estimate: pT / pC - 1,
    ci: { lower: Math.exp(logRatio - half) - 1, upper: Math.exp(logRatio + half) - 1 },
  };
}

/** Pooled two-proportion z-test of pT = pC. Requires 0 < pooled rate < 1. */
export function twoProportionZTest(control: ArmCounts, treatment: ArmCounts): ZTestResult {
  const pC = control.conversions / control.n;
  const pT = treatment.conversions / treatment.n;
  const pooled = (control.conversions + treatment.conversions) / (control.n + treatment.n);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / treatment.n + 1 / control.n));
  const z = (pT - pC) / se;
  return { z, pValue: twoSidedNormalP(z) };
}

/**
 * Welch's t-test for mean(treatment) − mean(control) from means and sample variances.
 * Returns insufficient_data when an arm has fewer than 2 users or both variances are 0.
 */
export function welchTTest(
  control: { n: number; mean: number; variance: number },
  treatment: { n: number; mean: number; variance: number },
  confidence = DEFAULT_CONFIDENCE,
): RevenueComparison {
  checkConfidence(confidence);
  if (control.n < 2 || treatment.n < 2) {
    return { status: 'insufficient_data', reason: 'revenue: each arm needs at least 2 users for a variance.' };
  }
  const vC = control.variance / control.n;
  const vT = treatment.variance / treatment.n;
  if (!(vC + vT > 0)) {
    return { status: 'insufficient_data', reason: 'revenue: every user in both arms has the same revenue, so there is no variance to test against.' };
  }
  const se = Math.sqrt(vC + vT);
  const df = (vC + vT) ** 2 / (vT ** 2 / (treatment.n - 1) + vC ** 2 / (control.n - 1));
  const difference = treatment.mean - control.mean;
  const t = difference / se;
  const half = tQuantile(1 - (1 - confidence) / 2, df) * se;
  const result = { difference, standardError: se, t, df, pValue: twoSidedTP(t, df), ci: { lower: difference - half, upper: difference + half } };
  assertFinite({ difference, se, t, df, pValue: result.pValue, lower: result.ci.lower, upper: result.ci.upper });
  return { status: 'ok', ...result };
}

/** Chi-squared goodness of fit (1 df) of the arm counts against the expected control share. */
export function sampleRatioMismatch(controlN: number, treatmentN: number, expectedControlShare: number): SrmResult {
  checkShare(expectedControlShare);
  const total = controlN + treatmentN;
  if (!Number.isSafeInteger(controlN) || !Number.isSafeInteger(treatmentN) || controlN < 0 || treatmentN < 0 || total === 0) {
    throw new RangeError(`lift: sample-ratio check needs non-negative integer arm sizes with a positive total, got control=${String(controlN)}, treatment=${String(treatmentN)}.`);
  }
  const expectedControl = total * expectedControlShare;
  const expectedTreatment = total * (1 - expectedControlShare);
  const chiSquare = (controlN - expectedControl) ** 2 / expectedControl + (treatmentN - expectedTreatment) ** 2 / expectedTreatment;
  // 1 − CDF cancels to 0 (never below it after the clamp) once the true p is under ~1e-15.
  const pValue = Math.min(1, Math.max(0, 1 - jStat.chisquare.cdf(chiSquare, 1)));
  return {
    expectedControlShare,
    observedControlShare: controlN / total,
    chiSquare,
    df: 1,
    pValue,
    mismatch: pValue < SRM_P_VALUE_THRESHOLD,
  };
}

// ---------------------------------------------------------------------------------------------
// Lift

function insufficientReason(control: ArmStats, treatment: ArmStats, minArmSize: number): string | null {
  for (const [arm, counts] of [['control', control], ['treatment', treatment]] as const) {
    if (counts.n < minArmSize) {
      return `${arm} arm has ${counts.n} users; at least ${minArmSize} per arm are needed (minArmSize).`;
    }
  }
  if (control.observed === 0 && treatment.observed === 0) {
    return `the outcome data shows none of the ${control.n + treatment.n} users during the window; outcomes are missing (was the later feed delivery ingested?).`;
  }
  for (const [arm, counts] of [['control', control], ['treatment', treatment]] as const) {
    if (counts.conversions === 0) {
      return `${arm} arm has no conversions among ${counts.n} users; its rate and variance cannot be estimated. Wait for more outcomes or widen the window.`;
    }
    if (counts.conversions === counts.n) {
      return `${arm} arm: all ${counts.n} users converted; the rate has no sampling variance to build an interval from.`;
    }
  }
  return null;
}

function summarize(stats: ArmStats): ArmSummary {
  return {
    n: stats.n,
    conversions: stats.conversions,
    conversionRate: stats.conversions / stats.n,
    revenuePerVisitor: stats.revenue ? { mean: stats.revenue.mean, variance: stats.revenue.variance } : null,
    ...(stats.observed !== undefined ? { observed: stats.observed } : {}),
  };
}

function srmReason(label: string, unit: string, srm: SrmResult, total: number, cause: string): string {
  return (
    `${label}: control is ${(srm.observedControlShare * 100).toFixed(2)}% of ${total} ${unit}, ` +
    `expected ${(srm.expectedControlShare * 100).toFixed(2)}% (chi-squared ${srm.chiSquare.toFixed(2)}, ${pText(srm.pValue)} < ${SRM_P_VALUE_THRESHOLD}). ${cause}`
  );
}

/** Lift from per-arm sufficient statistics. The core that the other entry points call. */
export function liftFromArmStats(arms: { control: ArmStats; treatment: ArmStats }, options: LiftOptions = {}): LiftResult {
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  const minArmSize = options.minArmSize ?? DEFAULT_MIN_ARM_SIZE;
  checkConfidence(confidence);
  if (!Number.isSafeInteger(minArmSize) || minArmSize < 2) {
    throw new RangeError(`lift: minArmSize must be an integer ≥ 2, got ${String(minArmSize)}.`);
  }
  const { control, treatment } = arms;
  checkCounts('control', control);
  checkCounts('treatment', treatment);
  if (options.expectedControlShare !== undefined) checkShare(options.expectedControlShare);

  const reason = insufficientReason(control, treatment, minArmSize);
  if (reason !== null) {
    return {
      status: 'insufficient_data',
      reason,
      control: { n: control.n, conversions: control.conversions },
      treatment: { n: treatment.n, conversions: treatment.conversions },
    };
  }

  const absoluteLift = absoluteLiftInterval(control, treatment, confidence);
  const relativeLift = relativeLiftInterval(control, treatment, confidence);
  const zTest = twoProportionZTest(control, treatment);
  assertFinite({
    absoluteLift: absoluteLift.estimate,
    absoluteLower: absoluteLift.ci.lower,
    absoluteUpper: absoluteLift.ci.upper,
    relativeLift: relativeLift.estimate,
    relativeLower: relativeLift.ci.lower,
    relativeUpper: relativeLift.ci.upper,
    z: zTest.z,
    pValue: zTest.pValue,
  });

  let revenuePerVisitor: RevenueComparison | null = null;
  if (control.revenue && treatment.revenue) {
    revenuePerVisitor = welchTTest({ n: control.n, ...control.revenue }, { n: treatment.n, ...treatment.revenue }, confidence);
  }

  const share = options.expectedControlShare;
  const srm = share === undefined ? null : sampleRatioMismatch(control.n, treatment.n, share);
  const observationSrm =
    share === undefined || control.observed === undefined || treatment.observed === undefined
      ? null
      : sampleRatioMismatch(control.observed, treatment.observed, share);
  const reasons: string[] = [];
  if (srm?.mismatch) {
    reasons.push(srmReason('sample-ratio mismatch', 'users', srm, control.n + treatment.n, 'Assignment or outcome logging is broken; find the cause before reading the lift.'));
  }
  if (observationSrm?.mismatch) {
    reasons.push(
      srmReason(
        'sample-ratio mismatch in the outcome data',
        'users seen during the window',
        observationSrm,
        (control.observed ?? 0) + (treatment.observed ?? 0),
        "One arm's users are missing from the outcome data (broken logging or split), or the treatment changes who comes back at all; " +
          'either way the conversions of the arms are not comparable. Find the cause before reading the lift.',
      ),
    );
  }
  return {
    status: 'ok',
    confidence,
    control: summarize(control),
    treatment: summarize(treatment),
    absoluteLift,
    relativeLift,
    zTest,
    revenuePerVisitor,
    srm,
    observationSrm,
    trustworthy: reasons.length === 0,
    reason: reasons.length === 0 ? null : reasons.join(' '),
  };
}

/** Per-arm counts, revenue mean and sample variance (Welford, numerically stable). */
export function summarizeArms(rows: readonly OutcomeRow[]): { control: ArmStats; treatment: ArmStats } {
  const acc = {
    control: { n: 0, conversions: 0, mean: 0, m2: 0, observed: 0 },
    treatment: { n: 0, conversions: 0, mean: 0, m2: 0, observed: 0 },
  };
  // Observed counts are reported only when every row says whether it was observed.
  let observedKnown = rows.length > 0;
  rows.forEach((row, index) => {
    if (!Number.isFinite(row.revenue)) {
      throw new RangeError(`lift: row ${index} has a non-finite revenue; revenue must be a number (0 when nothing was bought).`);
    }
    const a = acc[row.arm];
    a.n += 1;
    if (row.converted) a.conversions += 1;
    if (row.observed === undefined) observedKnown = false;
    else if (row.observed) a.observed += 1;
    const delta = row.revenue - a.mean;
    a.mean += delta / a.n;
    a.m2 += delta * (row.revenue - a.mean);
  });
  const finish = (a: (typeof acc)['control']): ArmStats => ({
    n: a.n,
    conversions: a.conversions,
    ...(a.n >= 2 ? { revenue: { mean: a.mean, variance: Math.max(0, a.m2 / (a.n - 1)) } } : {}),
    ...(observedKnown ? { observed: a.observed } : {}),
  });
  return { control: finish(acc.control), treatment: finish(acc.treatment) };
}

function outcomeWindowProblem(window: RowLiftOptions['outcomeWindow'], asOf: Date): string | null {
  if (Number.isNaN(asOf.getTime())) throw new RangeError('lift: asOf is an invalid date.');
  if (!window) {
    return 'no outcome window is defined for this experiment; outcomes cannot be attributed without one.';
  }
  if (Number.isNaN(window.start.getTime()) || Number.isNaN(window.end.getTime()) || window.end <= window.start) {
    throw new RangeError('lift: outcomeWindow needs valid dates with start before end.');
  }
  if (asOf < window.end) {
    return `outcome window is still open until ${window.end.toISOString()} (as of ${asOf.toISOString()}); outcomes are incomplete.`;
  }
  return null;
}

/** Lift from outcome rows (one per user). Checks the outcome window and the sample ratio. */
export function liftFromRows(rows: readonly OutcomeRow[], options: RowLiftOptions): LiftResult {
  const arms = summarizeArms(rows);
  const windowProblem = outcomeWindowProblem(options.outcomeWindow, options.asOf);
  if (windowProblem !== null) {
    return {
      status: 'insufficient_data',
      reason: windowProblem,
      control: { n: arms.control.n, conversions: arms.control.conversions },
      treatment: { n: arms.treatment.n, conversions: arms.treatment.conversions },
    };
  }
  return liftFromArmStats(arms, options);
}

const ArmCountsSchema = z
  .object({ n: z.number().int().min(0), conversions: z.number().int().min(0) })
  .refine((c) => c.conversions <= c.n, { message: 'conversions cannot exceed n' });

export const LiftFromCountsInputSchema = z.object({
  control: ArmCountsSchema,
  treatment: ArmCountsSchema,
  confidence: z.number().gt(0).lt(1).default(DEFAULT_CONFIDENCE),
  minArmSize: z.number().int().min(2).default(DEFAULT_MIN_ARM_SIZE),
  expectedControlShare: z.number().gt(0).lt(1).optional(),
});
export type LiftFromCountsInput = z.input<typeof LiftFromCountsInputSchema>;

/**
 * Conversion lift from counts alone (the analyst CLI: `scoreflow stats lift --control N,CONV
 * --treatment N,CONV`). No revenue; the sample-ratio check runs only when expectedControlShare is given.
 */
export function liftFromCounts(input: LiftFromCountsInput): LiftResult {
  const parsed = LiftFromCountsInputSchema.safeParse(input);
  if (!parsed.success) {
    throw new RangeError(`lift: invalid counts input.\n${z.prettifyError(parsed.error)}`);
  }
  const { control, treatment, confidence, minArmSize, expectedControlShare } = parsed.data;
  return liftFromArmStats(
    { control, treatment },
    expectedControlShare === undefined ? { confidence, minArmSize } : { confidence, minArmSize, expectedControlShare },
  );
}

// ---------------------------------------------------------------------------------------------
// Breakdown

export type BreakdownDimension = 'modelVersion' | 'segment' | 'destination' | 'scoreDecile';

export interface BreakdownGroup {
  value: string | number;
  result: LiftResult;
}

/**
 * Lift per group of one dimension, e.g. uplift by score decile. Each group is analysed on its
 * own (insufficient groups say so) and includes its own sample-ratio check, which is valid
 * because assignment does not depend on any of these dimensions. Intervals are per group, not
 * adjusted for multiple comparisons. Groups are sorted by value (deciles numerically).
 */
export function liftBreakdown(rows: readonly BreakdownRow[], dimension: BreakdownDimension, options: RowLiftOptions): BreakdownGroup[] {
  const groups = new Map<string | number, BreakdownRow[]>();
  for (const row of rows) {
    const key = row[dimension];
    const list = groups.get(key);
    if (list) list.push(row);
    else groups.set(key, [row]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0))
    .map(([value, groupRows]) => ({ value, result: liftFromRows(groupRows, options) }));
}

// ---------------------------------------------------------------------------------------------
// Text output

function pct(x: number, digits = 2): string {
  return `${(x * 100).toFixed(digits)}%`;
}

function signedPct(x: number, digits = 2): string {
  return `${x >= 0 ? '+' : ''}${pct(x, digits)}`;
}

function signedPp(x: number): string {
  return `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)} pp`;
}

function pText(p: number): string {
  if (p < 1e-12) return 'p < 1e-12';
  if (p < 0.0001) return `p = ${p.toExponential(2)}`;
  return `p = ${p.toFixed(4)}`;
}

/** Human-readable summary of a lift result, for the CLI. */
export function formatLiftText(result: LiftResult): string {
  if (result.status === 'insufficient_data') {
    return [
      'Lift: insufficient data',
      `  reason     ${result.reason}`,
      `  control    n=${result.control.n} conversions=${result.control.conversions}`,
      `  treatment  n=${result.treatment.n} conversions=${result.treatment.conversions}`,
    ].join('\n');
  }
  const level = `${+(result.confidence * 100).toFixed(4)}%`;
  const lines = [
    // An untrustworthy result leads with the warning, before any number can be read.
    ...(result.trustworthy ? [] : [`!! UNTRUSTWORTHY LIFT: ${result.reason ?? 'sample-ratio mismatch'}`, '!! Do not act on the figures below.']),
    `Lift (${level} confidence intervals)`,
    `  control    n=${result.control.n} conversions=${result.control.conversions} rate=${pct(result.control.conversionRate, 3)}`,
    `  treatment  n=${result.treatment.n} conversions=${result.treatment.conversions} rate=${pct(result.treatment.conversionRate, 3)}`,
    `  absolute lift  ${signedPp(result.absoluteLift.estimate)}  CI [${signedPp(result.absoluteLift.ci.lower)}, ${signedPp(result.absoluteLift.ci.upper)}]  (unpooled Wald)`,
    `  relative lift  ${signedPct(result.relativeLift.estimate, 1)}  CI [${signedPct(result.relativeLift.ci.lower, 1)}, ${signedPct(result.relativeLift.ci.upper, 1)}]  (delta method on log ratio)`,
    `  z-test (pooled)  z=${result.zTest.z.toFixed(3)}  ${pText(result.zTest.pValue)}`,
  ];
  const revenue = result.revenuePerVisitor;
  if (revenue?.status === 'ok') {
    lines.push(
      `  revenue/visitor  control ${result.control.revenuePerVisitor?.mean.toFixed(4)}  treatment ${result.treatment.revenuePerVisitor?.mean.toFixed(4)}  ` +
        `difference ${revenue.difference.toFixed(4)} CI [${revenue.ci.lower.toFixed(4)}, ${revenue.ci.upper.toFixed(4)}]  ` +
        `Welch t=${revenue.t.toFixed(3)} df=${revenue.df.toFixed(1)} ${pText(revenue.pValue)}`,
    );
  } else if (revenue?.status === 'insufficient_data') {
    lines.push(`  revenue/visitor  insufficient data: ${revenue.reason}`);
  }
  if (result.srm) {
    lines.push(
      `  sample ratio  control ${pct(result.srm.observedControlShare)} vs expected ${pct(result.srm.expectedControlShare)}  ` +
        `chi2=${result.srm.chiSquare.toFixed(3)} ${pText(result.srm.pValue)}  ${result.srm.mismatch ? 'MISMATCH' : 'ok'}`,
    );
  } else {
    lines.push('  sample ratio  not checked (no expected control share given)');
  }
  const seen = result.observationSrm;
  if (seen) {
    lines.push(
      `  seen in outcome data  control ${result.control.observed ?? '?'}/${result.control.n}, treatment ${result.treatment.observed ?? '?'}/${result.treatment.n}; ` +
        `control ${pct(seen.observedControlShare)} vs expected ${pct(seen.expectedControlShare)}  chi2=${seen.chiSquare.toFixed(3)} ${pText(seen.pValue)}  ${seen.mismatch ? 'MISMATCH' : 'ok'}`,
    );
  }
  lines.push(result.trustworthy ? '  trustworthy   yes' : `  trustworthy   NO: ${result.reason ?? ''}`);
  return lines.join('\n');
}

/** One run's measured lift as stored in lift_report and rendered by activities/report/lift-report.ts. */
export interface LiftReport {
  runId: string;
  pipeline: string;
  cycleRunId: string;
  window: { start: string; end: string; days: number };
  observedThrough: string | null;
  entities: number;
  overall: LiftResult;
  breakdowns: Record<'modelVersion' | 'segment' | 'destination' | 'scoreDecile', BreakdownGroup[]>;
  cumulative: { day: number; control: number; treatment: number; controlN: number; treatmentN: number }[];
  /** The configured control share the sample-ratio checks used (absent in reports stored before it was recorded). */
  expectedControlShare?: number;
  /** The HTML report written for this measurement, when one was written. */
  htmlPath?: string | null;
}
