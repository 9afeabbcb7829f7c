import { describe, expect, it } from 'vitest';
import { sampleRatioMismatch } from '../../activities/measurement/lift.ts';
import { refTwoSidedNormalP } from '../helpers/reference-distributions.ts';

describe('sampleRatioMismatch', () => {
  it('computes chi-squared with 1 df by hand: χ² = 1, p = 0.3173', () => {
    // 10,000 users, expected 10% control: expected 1000 / 9000, observed 1030 / 8970
    // χ² = 30²/1000 + 30²/9000 = 0.9 + 0.1 = 1.0; P(χ²₁ > 1) = 2(1 − Φ(1)) = 0.31731050786291415
    const result = sampleRatioMismatch(1030, 8970, 0.1);
    expect(result.chiSquare).toBeCloseTo(1, 12);
    expect(result.df).toBe(1);
    expect(result.pValue).toBeCloseTo(0.31731050786291415, 12);
    expect(result.observedControlShare).toBeCloseTo(0.103, 12);
    expect(result.mismatch).toBe(false);
  });

  it('flags p < 0.001 and not just above it', () => {
    // control 1100 of 10,000: χ² = 100²/1000 + 100²/9000 = 10 + 1.1111… = 11.1111 > 10.8276 (χ²₁ at 0.999) → p ≈ 0.00086
    const flagged = sampleRatioMismatch(1100, 8900, 0.1);
    expect(flagged.chiSquare).toBeCloseTo(10 + 10000 / 9000, 10);
    expect(flagged.pValue).toBeCloseTo(refTwoSidedNormalP(Math.sqrt(flagged.chiSquare)), 9);
    expect(flagged.pValue).toBeLessThan(0.001);
    expect(flagged.mismatch).toBe(true);
    // control 1095: χ² = 95²/1000 + 95²/9000 = 9.025 + 1.00278 = 10.0278 < 10.8276 → p ≈ 0.0015, not flagged
    const notFlagged = sampleRatioMismatch(1095, 8905, 0.1);
    expect(notFlagged.chiSquare).toBeCloseTo(9.025 + 9025 / 9000, 10);
    expect(notFlagged.pValue).toBeCloseTo(refTwoSidedNormalP(Math.sqrt(notFlagged.chiSquare)), 9);
    expect(notFlagged.pValue).toBeGreaterThan(0.001);
    expect(notFlagged.mismatch).toBe(false);
  });

  it('keeps p in [0, 1e-15] far in the tail and flags it', () => {
    // 1300 vs 9000 at 10%: χ² = 270²/1030 + 270²/9270 = 70.7767 + 7.8641 = 78.6408; true p ≈ 7e−19
    const result = sampleRatioMismatch(1300, 9000, 0.1);
    expect(result.chiSquare).toBeCloseTo(72900 / 1030 + 72900 / 9270, 9);
    expect(result.pValue).toBeGreaterThanOrEqual(0);
    expect(result.pValue).toBeLessThan(1e-15);
    expect(result.mismatch).toBe(true);
  });

  it('gives χ² = 0 and p = 1 for an exact match', () => {
    const result = sampleRatioMismatch(500, 500, 0.5);
    expect(result.chiSquare).toBe(0);
    expect(result.pValue).toBe(1);
  });

  it('rejects shares at 0 or 1 and empty experiments', () => {
    expect(() => sampleRatioMismatch(10, 10, 0)).toThrow(/expectedControlShare/);
    expect(() => sampleRatioMismatch(10, 10, 1)).toThrow(/expectedControlShare/);
    expect(() => sampleRatioMismatch(0, 0, 0.1)).toThrow(/positive total/);
  });
});
