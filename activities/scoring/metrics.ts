/**
 * Pure evaluation of a binary classifier's probabilities against labels: ROC AUC (Mann–Whitney, ties
 * counted half), log loss (probabilities clipped to [1e-15, 1 − 1e-15], as scikit-learn does),
 * calibration slope and intercept (unpenalised logistic regression of the label on logit(p), by
 * Newton's method) and expected calibration error over 10 equal-width bins. scripts/train-models.py
 * computes the same quantities for the committed metadata.
 */
import type { FeatureVector } from '../../contracts/feature-set.ts';
import type { Scorer } from './scorer.ts';

export interface Calibration {
  slope: number;
  intercept: number;
  ece: number;
}

export interface EvaluationMetrics {
  auc: number;
  logLoss: number;
  calibration: Calibration;
  n: number;
}

export interface LabelledRow {
  features: FeatureVector;
  label: 0 | 1;
}

const EPS = 1e-15;
const clip = (p: number) => Math.min(1 - EPS, Math.max(EPS, p));

function check(p: readonly number[], y: readonly number[]): void {
  if (p.length !== y.length) throw new Error(`metrics: ${p.length} probabilities for ${y.length} labels`);
  if (p.length === 0) throw new Error('metrics: no rows to evaluate');
  if (y.some((v) => v !== 0 && v !== 1)) throw new Error('metrics: labels must be 0 or 1');
  if (p.some((v) => !(v >= 0 && v <= 1))) throw new Error('metrics: probabilities must lie in [0, 1]');
}

/** Area under the ROC curve: P(score of a positive > score of a negative), ties counting ½. */
export function rocAuc(p: readonly number[], y: readonly number[]): number {
  check(p, y);
  const order = p.map((v, i) => i).sort((a, b) => p[a]! - p[b]!);
  let rankSumPos = 0;
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && p[order[j + 1]!] === p[order[i]!]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (y[order[k]!] === 1) rankSumPos += avgRank;
    i = j + 1;
  }
  const nPos = y.filter((v) => v === 1).length;
  const nNeg = y.length - nPos;
  if (nPos === 0 || nNeg === 0) throw new Error('metrics: AUC needs both positive and negative labels');
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

export function logLoss(p: readonly number[], y: readonly number[]): number {
  check(p, y);
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const q = clip(p[i]!);
    s -= y[i] === 1 ? Math.log(q) : Math.log(1 - q);
  }
  return s / p.length;
}

/** Expected calibration error: Σ_b (n_b / n) · |mean label_b − mean p_b| over equal-width bins. */
export function expectedCalibrationError(p: readonly number[], y: readonly number[], bins = 10): number {
  check(p, y);
  const n = new Array<number>(bins).fill(0);
  const sp = new Array<number>(bins).fill(0);
  const sy = new Array<number>(bins).fill(0);
  p.forEach((v, i) => {
    const b = Math.min(Math.floor(clip(v) * bins), bins - 1);
    n[b]!++;
    sp[b]! += clip(v);
    sy[b]! += y[i]!;
  });
  let ece = 0;
  for (let b = 0; b < bins; b++) if (n[b]! > 0) ece += (n[b]! / p.length) * Math.abs(sy[b]! / n[b]! - sp[b]! / n[b]!);
  return ece;
}

/** Slope and intercept of logit P(y = 1) = intercept + slope · logit(p). A calibrated model has slope 1, intercept 0. */
export function calibrationLine(p: readonly number[], y: readonly number[]): { slope: number; intercept: number } {
  check(p, y);
  const z = p.map((v) => Math.log(clip(v) / (1 - clip(v))));
  let a = 0;
  let b = 0;
  for (let it = 0; it < 100; it++) {
    let g0 = 0;
    let g1 = 0;
    let h00 = 0;
    let h01 = 0;
    let h11 = 0;
    for (let i = 0; i < z.length; i++) {
      const q = 1 / (1 + Math.exp(-(a + b * z[i]!)));
      const r = y[i]! - q;
      const w = q * (1 - q);
      g0 += r;
      g1 += r * z[i]!;
      h00 += w;
      h01 += w * z[i]!;
      h11 += w * z[i]! * z[i]!;
    }
    const det = h00 * h11 - h01 * h01;
    if (!(Math.abs(det) > 1e-300)) break;
    const da = (h11 * g0 - h01 * g1) / det;
    const db = (h00 * g1 - h01 * g0) / det;
    a += da;
    b += db;
    if (Math.max(Math.abs(da), Math.abs(db)) < 1e-12) break;
  }
  return { slope: b, intercept: a };
}

export function classificationMetrics(p: readonly number[], y: readonly number[]): EvaluationMetrics {
  return { auc: rocAuc(p, y), logLoss: logLoss(p, y), calibration: { ...calibrationLine(p, y), ece: expectedCalibrationError(p, y) }, n: p.length };
}

/** Scores labelled rows with a scorer and evaluates the probabilities. */
export async function evaluate(scorer: Scorer, rows: readonly LabelledRow[]): Promise<EvaluationMetrics> {
  const scores = await scorer.score(rows.map((r) => r.features));
  return classificationMetrics(
    scores.map((s) => s.probability),
    rows.map((r) => r.label),
  );
}
