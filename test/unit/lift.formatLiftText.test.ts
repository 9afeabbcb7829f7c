import { describe, expect, it } from 'vitest';
import { formatLiftText, liftFromCounts } from '../../activities/measurement/lift.ts';

describe('formatLiftText', () => {
  it('prints arms, lifts with intervals, the z-test and the sample-ratio check', () => {
    const text = formatLiftText(liftFromCounts({ control: { n: 1000, conversions: 50 }, treatment: { n: 9000, conversions: 540 }, expectedControlShare: 0.1 }));
    expect(text).toContain('Lift (95% confidence intervals)');
    expect(text).toContain('control    n=1000 conversions=50 rate=5.000%');
    expect(text).toContain('treatment  n=9000 conversions=540 rate=6.000%');
    // abs CI 0.01 ± 1.96 × 0.0073326 = [−0.437 pp, +2.437 pp]; relative [−9.5%, +59.1%]
    expect(text).toContain('absolute lift  +1.00 pp  CI [-0.44 pp, +2.44 pp]');
    expect(text).toContain('relative lift  +20.0%  CI [-9.5%, +59.1%]');
    expect(text).toContain('z-test (pooled)  z=1.273  p = 0.2029');
    expect(text).toContain('sample ratio  control 10.00% vs expected 10.00%');
    expect(text).toContain('trustworthy   yes');
  });

  it('says why a result is not trustworthy', () => {
    const text = formatLiftText(liftFromCounts({ control: { n: 1300, conversions: 50 }, treatment: { n: 9000, conversions: 540 }, expectedControlShare: 0.1 }));
    expect(text).toContain('MISMATCH');
    expect(text).toMatch(/trustworthy {3}NO: sample-ratio mismatch/);
  });

  it('says when the sample ratio was not checked', () => {
    expect(formatLiftText(liftFromCounts({ control: { n: 100, conversions: 5 }, treatment: { n: 100, conversions: 7 } }))).toContain('not checked');
  });

  it('prints the reason for insufficient data', () => {
    const text = formatLiftText(liftFromCounts({ control: { n: 12, conversions: 1 }, treatment: { n: 100, conversions: 7 } }));
    expect(text).toBe(
      [
        'Lift: insufficient data',
        '  reason     control arm has 12 users; at least 30 per arm are needed (minArmSize).',
        '  control    n=12 conversions=1',
        '  treatment  n=100 conversions=7',
      ].join('\n'),
    );
  });
});
