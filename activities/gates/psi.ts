/**
 * Population stability index of a current sample against a baseline.
 *
 * Bins: quantile bins fixed from the BASELINE (deciles by default; linear-interpolated quantiles,
 * the same as PostgreSQL's percentile_cont), duplicate edges merged, plus one separate bin for
 * missing values (null, undefined, NaN). A value v falls in bin i = number of edges <= v, so bins
 * are [edge[i-1], edge[i]) — the same rule as PostgreSQL's width_bucket(v, edges), which lets the
 * gate activity bin large tables in SQL and still agree with this module.
 * Empty bins are floored at epsilon on both sides: PSI = Σ (c - b) · ln(c / b).
 */

export type Sample = ReadonlyArray<number | null | undefined>;

export interface BinnedCounts {
  /** One count per value bin: edges.length + 1 bins. */
  counts: number[];
  missing: number;
}

export interface PsiBin {
  /** Inclusive lower edge; null for the first bin and the missing bin. */
  lower: number | null;
  /** Exclusive upper edge; null for the last bin and the missing bin. */
  upper: number | null;
  missing: boolean;
  baselineShare: number;
  currentShare: number;
  contribution: number;
}

export interface PsiResult {
  value: number;
  edges: number[];
  bins: PsiBin[];
  baselineCount: number;
  currentCount: number;
}

export interface PsiOptions {
  bins?: number;
  epsilon?: number;
}

export const DEFAULT_PSI_BINS = 10;
export const DEFAULT_PSI_EPSILON = 1e-4;

export function isMissing(v: number | null | undefined): v is null | undefined {
  return v === null || v === undefined || Number.isNaN(v);
}

/** Quantile p of an ascending array by linear interpolation (Hyndman–Fan type 7, percentile_cont). */
export function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new Error('quantile of an empty sample');
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (h - lo) * (b - a);
}

/** The inner edges of `bins` equal-mass bins of the sample's non-missing values, ascending, deduplicated. */
export function quantileEdges(values: Sample, bins = DEFAULT_PSI_BINS): number[] {
  const sorted = values.filter((v): v is number => !isMissing(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return [];
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const q = quantile(sorted, k / bins);
    if (edges.length === 0 || q > edges[edges.length - 1]!) edges.push(q);
  }
  return edges;
}

/** Number of edges <= v (binary search over ascending edges). */
export function binIndex(v: number, edges: readonly number[]): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function binCounts(values: Sample, edges: readonly number[]): BinnedCounts {
  const counts = new Array<number>(edges.length + 1).fill(0);
  let missing = 0;
  for (const v of values) {
    if (isMissing(v)) missing++;
    else counts[binIndex(v, edges)]! += 1;
  }
  return { counts, missing };
}

/** PSI from bin counts that share the same edges. */
export function psiFromCounts(baseline: BinnedCounts, current: BinnedCounts, edges: readonly number[], epsilon = DEFAULT_PSI_EPSILON): PsiResult {
  if (baseline.counts.length !== edges.length + 1 || current.counts.length !== edges.length + 1) {
    throw new Error(`PSI needs ${edges.length + 1} value bins per side for ${edges.length} edges; got ${baseline.counts.length} and ${current.counts.length}`);
  }
  const bTotal = baseline.counts.reduce((a, n) => a + n, 0) + baseline.missing;
  const cTotal = current.counts.reduce((a, n) => a + n, 0) + current.missing;
  if (bTotal === 0) throw new Error('PSI needs a non-empty baseline; there is nothing to compare against');
  if (cTotal === 0) throw new Error('PSI needs a non-empty current sample');
  const bins: PsiBin[] = [];
  const add = (b: number, c: number, lower: number | null, upper: number | null, missing: boolean) => {
    const bs = Math.max(b / bTotal, epsilon);
    const cs = Math.max(c / cTotal, epsilon);
    bins.push({ lower, upper, missing, baselineShare: b / bTotal, currentShare: c / cTotal, contribution: (cs - bs) * Math.log(cs / bs) });
  };
  for (let i = 0; i <= edges.length; i++) {
    add(baseline.counts[i]!, current.counts[i]!, i === 0 ? null : edges[i - 1]!, i === edges.length ? null : edges[i]!, false);
  }
  add(baseline.missing, current.missing, null, null, true);
  return { value: bins.reduce((a, b) => a + b.contribution, 0), edges: [...edges], bins, baselineCount: bTotal, currentCount: cTotal };
}

export function psi(baseline: Sample, current: Sample, options: PsiOptions = {}): PsiResult {
  const edges = quantileEdges(baseline, options.bins ?? DEFAULT_PSI_BINS);
  return psiFromCounts(binCounts(baseline, edges), binCounts(current, edges), edges, options.epsilon ?? DEFAULT_PSI_EPSILON);
}
