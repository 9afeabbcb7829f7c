import { describe, expect, it } from 'vitest';
import { welchTTest } from '../../activities/measurement/lift.ts';
import { refTQuantile, refTwoSidedTP } from '../helpers/reference-distributions.ts';

describe('welchTTest', () => {
  it('reduces to df = 2(n − 1) for equal sizes and variances (hand example, df = 10)', () => {
    // control 1..6: mean 3.5, sample variance 17.5/5 = 3.5; treatment 2..7: mean 4.5, variance 3.5
    // se = sqrt(3.5/6 + 3.5/6) = sqrt(7/6) = 1.0801234…; t = 1 / se = 0.9258201…
    // df = (7/6)² / (2 × (3.5/6)² / 5) = (49/36) / (24.5/180) = 10
    // t(0.975, 10) = 2.2281388519649385 (table) → CI 1 ± 2.4066… = [−1.40668…, 3.40668…]
    const result = welchTTest({ n: 6, mean: 3.5, variance: 3.5 }, { n: 6, mean: 4.5, variance: 3.5 });
    if (result.status !== 'ok') throw new Error(result.reason);
    const se = Math.sqrt(7 / 6);
    expect(result.difference).toBe(1);
    expect(result.standardError).toBeCloseTo(se, 12);
    expect(result.t).toBeCloseTo(0.9258200998, 9);
    expect(result.df).toBeCloseTo(10, 10);
    expect(result.ci.lower).toBeCloseTo(1 - 2.2281388519649385 * se, 6);
    expect(result.ci.upper).toBeCloseTo(1 + 2.2281388519649385 * se, 6);
    expect(result.pValue).toBeCloseTo(refTwoSidedTP(result.t, 10), 8);
  });

  it('uses the Welch–Satterthwaite df for unequal variances (hand example)', () => {
    // control n = 10, mean 20, s² = 16; treatment n = 20, mean 23, s² = 64
    // vC = 16/10 = 1.6, vT = 64/20 = 3.2; se = sqrt(4.8) = 2.1908902…; t = 3 / se = 1.3693064…
    // df = 4.8² / (3.2²/19 + 1.6²/9) = 23.04 / (0.5389474 + 0.2844444) = 23.04 / 0.8233918 = 27.98181…
    const result = welchTTest({ n: 10, mean: 20, variance: 16 }, { n: 20, mean: 23, variance: 64 });
    if (result.status !== 'ok') throw new Error(result.reason);
    const se = Math.sqrt(4.8);
    const df = 23.04 / (10.24 / 19 + 2.56 / 9);
    expect(df).toBeCloseTo(27.98181, 4);
    expect(result.difference).toBe(3);
    expect(result.t).toBeCloseTo(3 / se, 12);
    expect(result.df).toBeCloseTo(df, 10);
    const q = refTQuantile(0.975, df); // ≈ 2.0484, by bisection on a Simpson-integrated t density
    expect(result.ci.lower).toBeCloseTo(3 - q * se, 6);
    expect(result.ci.upper).toBeCloseTo(3 + q * se, 6);
    expect(result.pValue).toBeCloseTo(refTwoSidedTP(3 / se, df), 8);
    expect(result.pValue).toBeGreaterThan(0.05);
  });

  it('follows the normal limit for very large df', () => {
    const result = welchTTest({ n: 5_000_000, mean: 1, variance: 4 }, { n: 5_000_000, mean: 1.002, variance: 4 });
    if (result.status !== 'ok') throw new Error(result.reason);
    const se = Math.sqrt(8 / 5_000_000);
    expect(result.ci.upper - result.ci.lower).toBeCloseTo(2 * 1.959963984540054 * se, 8);
  });

  it('is insufficient when there is no variance at all', () => {
    const result = welchTTest({ n: 50, mean: 0, variance: 0 }, { n: 50, mean: 0, variance: 0 });
    expect(result).toEqual({ status: 'insufficient_data', reason: expect.stringContaining('no variance') });
  });

  it('is insufficient with fewer than 2 users in an arm', () => {
    expect(welchTTest({ n: 1, mean: 3, variance: 0 }, { n: 50, mean: 2, variance: 1 }).status).toBe('insufficient_data');
  });
});
