/**
 * The demo's ground truth beside its estimate: the generator applies an absolute treatment effect e
 * to each treated visitor's conversion probability p (clamped to [0, 1]), so the true average effect
 * on the conversion rate is mean(clamp(p + e) − p) over the visitors, read from the follow-up's
 * ground truth file (true_propensity). The demo then says whether the lift interval covers it.
 */
import type { LiftResult } from '../../activities/measurement/lift.ts';

/** Mean of clamp(p + effect, 0, 1) − p over the rows of a follow-up ground truth CSV. */
export function trueAbsoluteEffect(groundTruthCsv: string, effect: number): number {
  const lines = groundTruthCsv.trimEnd().split('\n');
  const header = lines[0]?.split(',') ?? [];
  const col = header.indexOf('true_propensity');
  if (col < 0) throw new Error('ground truth file has no true_propensity column');
  let sum = 0;
  let n = 0;
  for (const line of lines.slice(1)) {
    const p = Number(line.split(',')[col]);
    if (!Number.isFinite(p)) throw new Error(`ground truth row ${n + 2}: true_propensity "${line.split(',')[col]}" is not a number`);
    sum += Math.min(1, Math.max(0, p + effect)) - p;
    n++;
  }
  if (n === 0) throw new Error('ground truth file has no rows');
  return sum / n;
}

export interface DemoTruth {
  /** The generator's parameter: absolute effect added to each treated visitor's probability. */
  treatmentEffect: number;
  /** True effect on the conversion rate, in percentage points. */
  trueLiftPp: number;
  /** Estimated absolute lift and its interval, in percentage points; null without a lift estimate. */
  estimatePp: number | null;
  ciPp: [number, number] | null;
  confidence: number | null;
  covered: boolean | null;
}

const pp = (x: number) => Math.round(x * 100 * 1000) / 1000;

export function demoTruth(lift: LiftResult, treatmentEffect: number, trueAbs: number): DemoTruth {
  if (lift.status !== 'ok') return { treatmentEffect, trueLiftPp: pp(trueAbs), estimatePp: null, ciPp: null, confidence: null, covered: null };
  const { estimate, ci } = lift.absoluteLift;
  return { treatmentEffect, trueLiftPp: pp(trueAbs), estimatePp: pp(estimate), ciPp: [pp(ci.lower), pp(ci.upper)], confidence: lift.confidence, covered: ci.lower <= trueAbs && trueAbs <= ci.upper };
}

export function formatDemoTruth(t: DemoTruth): string {
  if (t.estimatePp === null || t.ciPp === null) return `  true effect: ${t.trueLiftPp.toFixed(2)} pp (generator: +${t.treatmentEffect} on each treated visitor's probability); no lift estimate to compare`;
  const level = Math.round((t.confidence ?? 0.95) * 100);
  return `  true effect: ${t.trueLiftPp.toFixed(2)} pp (generator: +${t.treatmentEffect} on each treated visitor's probability); estimated ${t.estimatePp >= 0 ? '+' : ''}${t.estimatePp.toFixed(2)} pp, ${level}% CI [${t.ciPp[0].toFixed(2)}, ${t.ciPp[1].toFixed(2)}] pp: ${t.covered ? 'covers' : 'MISSES'} the true effect`;
}
