import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { armBucket, assignArm } from '../../activities/measurement/holdout.ts';

describe('armBucket', () => {
  it('is h / 2^64 for the documented example', () => {
    // h = 0x37b0e08632c2ac49 = 4012954134968970313; Python: 4012954134968970313 / 2**64 = 0.21754267956090229
    expect(armBucket('  Visitor-0042@Example.COM ', 'spring-upsell-2025')).toBeCloseTo(0.21754267956090229, 15);
    // h = 1843943337887318000 → 0.09996036864388014
    expect(armBucket('visitor-0042@example.com', 'spring-upsell-2025-45')).toBeCloseTo(0.09996036864388014, 15);
  });

  it('stays in [0, 1) and agrees with assignArm away from the boundary', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }).filter((s) => s.trim().length > 0), fc.string({ minLength: 1 }), fc.double({ min: 0.001, max: 0.999, noNaN: true }), (id, key, share) => {
        const bucket = armBucket(id, key);
        expect(bucket).toBeGreaterThanOrEqual(0);
        expect(bucket).toBeLessThan(1);
        if (Math.abs(bucket - share) > 1e-12) expect(assignArm(id, key, share)).toBe(bucket < share ? 'control' : 'treatment');
      }),
    );
  });

  it('is roughly uniform: each tenth of [0, 1) holds about a tenth of 50,000 ids', () => {
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 50_000; i++) {
      const tenth = Math.floor(armBucket(`id-${i}`, 'uniformity') * 10);
      counts[tenth] = (counts[tenth] ?? 0) + 1;
    }
    // Expected 5,000 per cell, sd ≈ 67; chi-squared with 9 df stays far below 40 unless the hash is skewed.
    const chiSquare = counts.reduce((sum, c) => sum + (c - 5000) ** 2 / 5000, 0);
    expect(chiSquare).toBeLessThan(40);
  });
});
