import { describe, expect, it } from 'vitest';
import { relativeLiftInterval } from '../../activities/measurement/lift.ts';

const Z_975 = 1.959963984540054;

describe('relativeLiftInterval', () => {
  it('is the delta-method interval on the log ratio, worked by hand', () => {
    // pT = 0.06 (540/9000), pC = 0.05 (50/1000); ratio 1.2, relative lift +20%.
    // L = ln 1.2 = 0.1823215567939546
    // var(L) = (1 − pT)/(nT pT) + (1 − pC)/(nC pC) = 0.94/540 + 0.95/50 = 0.0017407407… + 0.019 = 0.0207407407…
    // se = 0.1440164…; L ± 1.96 se = [−0.0999468…, 0.4645899…]; exp(·) − 1 = [−0.0951…, +0.5913…]
    const L = 0.1823215567939546;
    const se = Math.sqrt(0.94 / 540 + 0.95 / 50);
    expect(se).toBeCloseTo(0.14401646, 7);
    const result = relativeLiftInterval({ n: 1000, conversions: 50 }, { n: 9000, conversions: 540 });
    expect(result.estimate).toBeCloseTo(0.2, 12);
    expect(result.ci.lower).toBeCloseTo(Math.exp(L - Z_975 * se) - 1, 12);
    expect(result.ci.upper).toBeCloseTo(Math.exp(L + Z_975 * se) - 1, 12);
    expect(result.ci.lower).toBeCloseTo(-0.09511, 4);
    expect(result.ci.upper).toBeCloseTo(0.59135, 4);
  });

  it('is symmetric on the log scale and never below −100%', () => {
    const result = relativeLiftInterval({ n: 40, conversions: 1 }, { n: 40, conversions: 2 });
    const logLower = Math.log(1 + result.ci.lower);
    const logUpper = Math.log(1 + result.ci.upper);
    expect((logLower + logUpper) / 2).toBeCloseTo(Math.log(2), 12);
    expect(result.ci.lower).toBeGreaterThan(-1);
  });
});
