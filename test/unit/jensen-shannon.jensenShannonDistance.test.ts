import { describe, expect, it } from 'vitest';
import { jensenShannonDistance, jensenShannonDivergence } from '../../activities/gates/jensen-shannon.ts';

describe('jensenShannonDistance', () => {
  it('matches the hand-worked case [0.5, 0.5] vs [1, 0]', () => {
    // M = [0.75, 0.25]. KL(P‖M) = 0.5·log2(0.5/0.75) + 0.5·log2(0.5/0.25) = 0.2075187...
    // KL(Q‖M) = log2(1/0.75) = 0.4150375...; JSD = ½(0.2075187 + 0.4150375) = 0.3112781...
    const divergence = 0.5 * (0.5 * Math.log2(0.5 / 0.75) + 0.5 * Math.log2(0.5 / 0.25)) + 0.5 * Math.log2(1 / 0.75);
    expect(divergence).toBeCloseTo(0.311278, 6);
    expect(jensenShannonDivergence([1, 1], [1, 0])).toBeCloseTo(divergence, 12);
    expect(jensenShannonDistance([5, 5], [3, 0])).toBeCloseTo(Math.sqrt(0.3112781244591328), 12); // counts, not shares
    expect(jensenShannonDistance([5, 5], [3, 0])).toBeCloseTo(0.55792, 5);
  });

  it('is 0 for identical mixes, 1 for disjoint ones, and symmetric', () => {
    expect(jensenShannonDistance([2, 3, 5], [20, 30, 50])).toBeCloseTo(0, 12);
    expect(jensenShannonDistance([1, 0], [0, 1])).toBeCloseTo(1, 12);
    expect(jensenShannonDistance([1, 2, 7], [4, 4, 2])).toBeCloseTo(jensenShannonDistance([4, 4, 2], [1, 2, 7]), 12);
  });

  it('aligns records by category, a missing category counting 0', () => {
    expect(jensenShannonDistance({ warm: 1, cold: 1 }, { cold: 4 })).toBeCloseTo(jensenShannonDistance([1, 1], [0, 4]), 12);
  });

  it('refuses empty or mismatched inputs', () => {
    expect(() => jensenShannonDistance([0, 0], [1, 1])).toThrow(/p is empty/);
    expect(() => jensenShannonDistance([1], [1, 1])).toThrow(/equal length/);
  });
});
