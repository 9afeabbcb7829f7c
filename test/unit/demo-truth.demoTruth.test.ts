import { describe, expect, it } from 'vitest';
import { FOLLOW_UP_GROUND_TRUTH_HEADER } from '../../tools/feed-generator/generator.ts';
import { liftFromCounts } from '../../activities/measurement/lift.ts';
import { demoTruth, formatDemoTruth, trueAbsoluteEffect } from '../../cli/commands/demo-truth.ts';

const row = (p: number) => `e,treatment,${p},0.05,${p + 0.05},0,0,0.00,1,0`;

describe('trueAbsoluteEffect', () => {
  it('is the mean of clamp(p + e) − p: the effect itself unless p + e passes 1', () => {
    const csv = [FOLLOW_UP_GROUND_TRUTH_HEADER, row(0.1), row(0.2), row(0.98)].join('\n');
    // 0.05 + 0.05 + 0.02 over 3 visitors
    expect(trueAbsoluteEffect(csv, 0.05)).toBeCloseTo(0.04, 10);
  });

  it('names a missing column or a bad value', () => {
    expect(() => trueAbsoluteEffect('entity_id,arm\ne,control', 0.05)).toThrow(/no true_propensity column/);
    expect(() => trueAbsoluteEffect(`${FOLLOW_UP_GROUND_TRUTH_HEADER}\ne,control,x`, 0.05)).toThrow(/row 2: true_propensity "x"/);
  });
});

describe('demoTruth', () => {
  it('says whether the interval covers the true effect, in percentage points', () => {
    // 10.0% vs 15.0% on 1,500 / 3,500 users: +5 pp, interval about ±2 pp.
    const lift = liftFromCounts({ control: { n: 1500, conversions: 150 }, treatment: { n: 3500, conversions: 525 } });
    const hit = demoTruth(lift, 0.05, 0.05);
    expect(hit).toMatchObject({ trueLiftPp: 5, estimatePp: 5, covered: true, confidence: 0.95 });
    expect(hit.ciPp![0]).toBeLessThan(5);
    expect(hit.ciPp![1]).toBeGreaterThan(5);
    expect(formatDemoTruth(hit)).toMatch(/true effect: 5\.00 pp .* estimated \+5\.00 pp, 95% CI \[\d\.\d\d, \d\.\d\d\] pp: covers the true effect/);
    const miss = demoTruth(lift, 0.2, 0.2);
    expect(miss.covered).toBe(false);
    expect(formatDemoTruth(miss)).toContain('MISSES the true effect');
  });
});
