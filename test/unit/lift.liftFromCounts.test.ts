import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { liftFromCounts, type LiftResult } from '../../activities/measurement/lift.ts';
import { refTwoSidedNormalP } from '../helpers/reference-distributions.ts';

const Z_975 = 1.959963984540054;

function allNumbers(value: unknown, out: number[] = []): number[] {
  if (typeof value === 'number') out.push(value);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) allNumbers(v, out);
  return out;
}

describe('liftFromCounts', () => {
  it('returns rates, both lifts, the z-test and a passing SRM check for the hand example', () => {
    // control 50/1000, treatment 540/9000, configured 10% holdout (exactly 1000 of 10,000 → χ² = 0).
    const result = liftFromCounts({ control: { n: 1000, conversions: 50 }, treatment: { n: 9000, conversions: 540 }, expectedControlShare: 0.1 });
    if (result.status !== 'ok') throw new Error(result.reason);
    expect(result.confidence).toBe(0.95);
    expect(result.control).toEqual({ n: 1000, conversions: 50, conversionRate: 0.05, revenuePerVisitor: null });
    expect(result.treatment.conversionRate).toBeCloseTo(0.06, 12);
    const seAbs = Math.sqrt((0.06 * 0.94) / 9000 + (0.05 * 0.95) / 1000);
    expect(result.absoluteLift.ci.lower).toBeCloseTo(0.01 - Z_975 * seAbs, 12);
    expect(result.absoluteLift.ci.upper).toBeCloseTo(0.01 + Z_975 * seAbs, 12);
    const seLog = Math.sqrt(0.94 / 540 + 0.95 / 50);
    expect(result.relativeLift.estimate).toBeCloseTo(0.2, 12);
    expect(result.relativeLift.ci.upper).toBeCloseTo(1.2 * Math.exp(Z_975 * seLog) - 1, 12);
    const z = 0.01 / Math.sqrt(0.059 * 0.941 * (1 / 9000 + 1 / 1000));
    expect(result.zTest.z).toBeCloseTo(z, 10);
    expect(result.zTest.pValue).toBeCloseTo(refTwoSidedNormalP(z), 9);
    expect(result.revenuePerVisitor).toBeNull();
    expect(result.srm).toMatchObject({ chiSquare: 0, pValue: 1, mismatch: false });
    expect(result.trustworthy).toBe(true);
    expect(result.reason).toBeNull();
  });

  it('skips the SRM check when no expected share is given', () => {
    const result = liftFromCounts({ control: { n: 1000, conversions: 50 }, treatment: { n: 1000, conversions: 60 } });
    expect(result).toMatchObject({ status: 'ok', srm: null, trustworthy: true });
  });

  it('marks the lift untrustworthy, with a reason, on a sample-ratio mismatch', () => {
    // 1300 control of 10,300 against a 10% holdout: χ² = 78.64, p ≪ 0.001
    const result = liftFromCounts({ control: { n: 1300, conversions: 50 }, treatment: { n: 9000, conversions: 540 }, expectedControlShare: 0.1 });
    if (result.status !== 'ok') throw new Error(result.reason);
    expect(result.srm?.mismatch).toBe(true);
    expect(result.trustworthy).toBe(false);
    expect(result.reason).toMatch(/sample-ratio mismatch: control is 12\.62% of 10300 users, expected 10\.00%/);
  });

  it('uses the requested confidence level', () => {
    const result = liftFromCounts({ control: { n: 1000, conversions: 50 }, treatment: { n: 9000, conversions: 540 }, confidence: 0.9 });
    if (result.status !== 'ok') throw new Error(result.reason);
    const seAbs = Math.sqrt((0.06 * 0.94) / 9000 + (0.05 * 0.95) / 1000);
    expect(result.absoluteLift.ci.upper - result.absoluteLift.ci.lower).toBeCloseTo(2 * 1.6448536269514722 * seAbs, 12);
  });

  describe('insufficient data', () => {
    it('when an arm has fewer users than the minimum (default 30)', () => {
      expect(liftFromCounts({ control: { n: 29, conversions: 5 }, treatment: { n: 5000, conversions: 300 } })).toEqual({
        status: 'insufficient_data',
        reason: 'control arm has 29 users; at least 30 per arm are needed (minArmSize).',
        control: { n: 29, conversions: 5 },
        treatment: { n: 5000, conversions: 300 },
      });
      expect(liftFromCounts({ control: { n: 30, conversions: 5 }, treatment: { n: 5000, conversions: 300 } }).status).toBe('ok');
    });

    it('with a configurable minimum', () => {
      const result = liftFromCounts({ control: { n: 150, conversions: 5 }, treatment: { n: 5000, conversions: 300 }, minArmSize: 200 });
      expect(result).toMatchObject({ status: 'insufficient_data', reason: expect.stringContaining('at least 200') });
    });

    it('when an arm has no conversions', () => {
      const result = liftFromCounts({ control: { n: 400, conversions: 0 }, treatment: { n: 5000, conversions: 300 } });
      expect(result).toMatchObject({ status: 'insufficient_data', reason: expect.stringMatching(/^control arm has no conversions/) });
    });

    it('when every user in an arm converted', () => {
      const result = liftFromCounts({ control: { n: 400, conversions: 20 }, treatment: { n: 500, conversions: 500 } });
      expect(result).toMatchObject({ status: 'insufficient_data', reason: expect.stringMatching(/^treatment arm: all 500 users converted/) });
    });

    it('with empty arms, without NaN', () => {
      const result = liftFromCounts({ control: { n: 0, conversions: 0 }, treatment: { n: 0, conversions: 0 } });
      expect(result.status).toBe('insufficient_data');
      expect(allNumbers(result).every(Number.isFinite)).toBe(true);
    });
  });

  it('never returns NaN or an infinite bound, whatever the counts', () => {
    const arm = fc.integer({ min: 0, max: 200_000 }).chain((n) => fc.record({ n: fc.constant(n), conversions: fc.integer({ min: 0, max: n }) }));
    fc.assert(
      fc.property(arm, arm, fc.option(fc.double({ min: 0.01, max: 0.99, noNaN: true }), { nil: undefined }), (control, treatment, share) => {
        const result: LiftResult = liftFromCounts(share === undefined ? { control, treatment } : { control, treatment, expectedControlShare: share });
        expect(allNumbers(result).every(Number.isFinite)).toBe(true);
        if (result.status === 'ok') {
          expect(result.absoluteLift.ci.lower).toBeLessThanOrEqual(result.absoluteLift.estimate);
          expect(result.absoluteLift.ci.upper).toBeGreaterThanOrEqual(result.absoluteLift.estimate);
          expect(result.relativeLift.ci.lower).toBeGreaterThan(-1);
          expect(result.zTest.pValue).toBeGreaterThanOrEqual(0);
          expect(result.zTest.pValue).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('rejects impossible counts with a readable error', () => {
    expect(() => liftFromCounts({ control: { n: 10, conversions: 11 }, treatment: { n: 100, conversions: 5 } })).toThrow(/conversions cannot exceed n/);
    expect(() => liftFromCounts({ control: { n: 10.5, conversions: 1 }, treatment: { n: 100, conversions: 5 } })).toThrow(/invalid counts input/);
    expect(() => liftFromCounts({ control: { n: 100, conversions: 1 }, treatment: { n: 100, conversions: 5 }, confidence: 1 })).toThrow(/confidence/);
  });
});
