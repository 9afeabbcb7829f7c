import { describe, expect, it } from 'vitest';
import { twoProportionZTest } from '../../activities/measurement/lift.ts';
import { refTwoSidedNormalP } from '../helpers/reference-distributions.ts';

describe('twoProportionZTest', () => {
  it('matches the pooled z-test worked by hand', () => {
    // control 50/1000 = 0.05, treatment 540/9000 = 0.06
    // pooled p̄ = 590/10000 = 0.059; p̄(1 − p̄) = 0.059 × 0.941 = 0.055519
    // 1/9000 + 1/1000 = 0.0011111…; se0 = sqrt(0.055519 × 0.0011111…) = sqrt(6.16877…e−5) = 0.00785416…
    // z = (0.06 − 0.05) / se0 = 1.2732112…
    const se0 = Math.sqrt(0.055519 * (1 / 9000 + 1 / 1000));
    expect(se0).toBeCloseTo(0.0078541567, 9);
    const z = 0.01 / se0;
    expect(z).toBeCloseTo(1.2732112, 6);
    const result = twoProportionZTest({ n: 1000, conversions: 50 }, { n: 9000, conversions: 540 });
    expect(result.z).toBeCloseTo(z, 10);
    // p = 2(1 − Φ(1.27321)) ≈ 0.2029, Φ by Simpson integration of the density (independent of jstat).
    expect(result.pValue).toBeCloseTo(refTwoSidedNormalP(z), 9);
    expect(result.pValue).toBeCloseTo(0.2029, 4);
  });

  it('matches a second hand example and is antisymmetric in the arms', () => {
    // Swapping the arms flips the sign of z and keeps p.
    const a = twoProportionZTest({ n: 2000, conversions: 200 }, { n: 2000, conversions: 240 });
    const b = twoProportionZTest({ n: 2000, conversions: 240 }, { n: 2000, conversions: 200 });
    expect(b.z).toBeCloseTo(-a.z, 12);
    expect(b.pValue).toBeCloseTo(a.pValue, 12);
    // p̄ = 440/4000 = 0.11, se0 = sqrt(0.11 × 0.89 × (2/2000)) = sqrt(9.79e−5) = 0.0098944…, z = 0.02 / se0 = 2.02134…
    expect(a.z).toBeCloseTo(0.02 / Math.sqrt(0.11 * 0.89 * 0.001), 10);
    expect(a.pValue).toBeCloseTo(refTwoSidedNormalP(a.z), 9);
    expect(a.pValue).toBeLessThan(0.05);
  });

  it('gives z = 0 and p = 1 for equal rates', () => {
    const result = twoProportionZTest({ n: 500, conversions: 25 }, { n: 4500, conversions: 225 });
    expect(result.z).toBe(0);
    expect(result.pValue).toBe(1);
  });
});
