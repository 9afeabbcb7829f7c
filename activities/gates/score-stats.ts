/**
 * Summary statistics of a run's scores, enough for the score-range and collapse gates. The gate
 * activity computes the same numbers in SQL for large runs; this is the in-memory version.
 */
import { isMissing, type Sample } from './psi.ts';

export interface ScoreStats {
  /** Scores counted, including missing and non-finite ones. */
  n: number;
  /** Scores outside [min, max], missing or not finite. */
  outOfRange: number;
  /** Share of the most common score (rounded to 6 decimals) among finite scores. */
  topValueShare: number;
  /** Population standard deviation of the finite scores. */
  stdDev: number;
  /** Distinct finite scores, rounded to 6 decimals. */
  distinct: number;
  /** Share of all scores within 1e-9 of min or max. */
  massAtBounds: number;
}

export const BOUND_TOLERANCE = 1e-9;

export function roundScore(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

export function scoreStats(scores: Sample, range: { min: number; max: number } = { min: 0, max: 1 }): ScoreStats {
  const finite: number[] = [];
  let outOfRange = 0;
  let atBounds = 0;
  for (const s of scores) {
    if (isMissing(s) || !Number.isFinite(s)) {
      outOfRange++;
      continue;
    }
    finite.push(s);
    if (s < range.min || s > range.max) outOfRange++;
    if (Math.abs(s - range.min) <= BOUND_TOLERANCE || Math.abs(s - range.max) <= BOUND_TOLERANCE) atBounds++;
  }
  const n = scores.length;
  const counts = new Map<number, number>();
  let sum = 0;
  for (const s of finite) {
    const k = roundScore(s);
    counts.set(k, (counts.get(k) ?? 0) + 1);
    sum += s;
  }
  const mean = finite.length ? sum / finite.length : 0;
  const variance = finite.length ? finite.reduce((a, s) => a + (s - mean) ** 2, 0) / finite.length : 0;
  const top = Math.max(0, ...counts.values());
  return {
    n,
    outOfRange,
    topValueShare: finite.length ? top / finite.length : 0,
    stdDev: Math.sqrt(variance),
    distinct: counts.size,
    massAtBounds: n ? atBounds / n : 0,
  };
}
