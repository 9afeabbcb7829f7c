import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { binIndex, psi, quantileEdges } from '../../activities/gates/psi.ts';

/**
 * A second, deliberately plain PSI: deciles by the textbook interpolation formula, no de-duplication
 * of tied edges (a duplicated edge only adds a bin empty on both sides, which contributes 0),
 * linear scan for the bin, missing values in their own bin, empty bins floored at epsilon.
 */
function referencePsi(baseline: (number | null)[], current: (number | null)[], eps = 1e-4): number {
  const present = (v: number | null): v is number => v !== null && !Number.isNaN(v);
  const sorted = baseline.filter(present).sort((a, b) => a - b);
  const edges: number[] = [];
  if (sorted.length > 0) {
    for (let k = 1; k <= 9; k++) {
      const pos = (k / 10) * (sorted.length - 1);
      const below = Math.floor(pos);
      const above = Math.min(below + 1, sorted.length - 1);
      edges.push(sorted[below]! + (pos - below) * (sorted[above]! - sorted[below]!));
    }
  }
  const shares = (xs: (number | null)[]) => {
    const counts = new Array(edges.length + 2).fill(0) as number[];
    for (const v of xs) {
      if (!present(v)) {
        counts[edges.length + 1]!++;
        continue;
      }
      let bin = 0;
      for (let i = 0; i < edges.length; i++) if (edges[i]! <= v) bin = i + 1;
      counts[bin]!++;
    }
    return counts.map((c) => c / xs.length);
  };
  const b = shares(baseline);
  const c = shares(current);
  let total = 0;
  for (let i = 0; i < b.length; i++) {
    const bi = Math.max(b[i]!, eps);
    const ci = Math.max(c[i]!, eps);
    total += (ci - bi) * Math.log(ci / bi);
  }
  return total;
}

const one2ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

describe('psi', () => {
  it('fixes decile edges from the baseline by linear interpolation', () => {
    const edges = quantileEdges(one2ten);
    expect(edges).toHaveLength(9);
    [1.9, 2.8, 3.7, 4.6, 5.5, 6.4, 7.3, 8.2, 9.1].forEach((e, i) => expect(edges[i]).toBeCloseTo(e, 12));
    expect(binIndex(1, edges)).toBe(0);
    expect(binIndex(1.9, edges)).toBe(1); // bins are [lower, upper)
    expect(binIndex(10, edges)).toBe(9);
  });

  it('matches a hand-worked case: one decile emptied into another', () => {
    // Baseline 1..10: every decile bin holds 10%. Current moves the 2 into the first bin:
    // bin 1 = 20%, bin 2 = 0% (floored to 1e-4), the rest 10%.
    const r = psi(one2ten, [1, 1, 3, 4, 5, 6, 7, 8, 9, 10]);
    const expected = (0.2 - 0.1) * Math.log(0.2 / 0.1) + (1e-4 - 0.1) * Math.log(1e-4 / 0.1);
    expect(expected).toBeCloseTo(0.75939947, 7);
    expect(r.value).toBeCloseTo(expected, 12);
    expect(r.bins).toHaveLength(11);
    expect(r.bins[0]!.currentShare).toBeCloseTo(0.2, 12);
    expect(r.bins[1]!.currentShare).toBe(0);
  });

  it('counts missing values in their own bin', () => {
    // Current loses the 10 and gains a null: the top bin empties, the missing bin fills.
    const r = psi(one2ten, [1, 2, 3, 4, 5, 6, 7, 8, 9, null]);
    expect(r.value).toBeCloseTo(2 * (0.1 - 1e-4) * Math.log(0.1 / 1e-4), 12); // 1.38017...
    const missing = r.bins.find((b) => b.missing)!;
    expect(missing.currentShare).toBeCloseTo(0.1, 12);
    expect(missing.baselineShare).toBe(0);
    expect(psi(one2ten, [1, 2, 3, 4, 5, 6, 7, 8, 9, Number.NaN]).value).toBeCloseTo(r.value, 12);
  });

  it('is 0 for identical samples and grows with a shift', () => {
    expect(psi(one2ten, one2ten).value).toBe(0);
    const shifted = one2ten.map((v) => v + 3);
    expect(psi(one2ten, shifted).value).toBeGreaterThan(psi(one2ten, one2ten.map((v) => v + 1)).value);
  });

  it('agrees with an independent reference implementation on arbitrary samples', () => {
    const value = fc.oneof(fc.integer({ min: 0, max: 12 }), fc.double({ min: -50, max: 50, noNaN: true, noDefaultInfinity: true }), fc.constant(null));
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 200 }), fc.array(value, { minLength: 1, maxLength: 200 }), (b, c) => {
        expect(psi(b, c).value).toBeCloseTo(referencePsi(b, c), 9);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses an empty baseline instead of inventing a number', () => {
    expect(() => psi([], [1, 2])).toThrow(/non-empty baseline/);
  });
});
