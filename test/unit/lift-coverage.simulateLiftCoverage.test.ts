import { describe, expect, it } from 'vitest';
import { simulateLiftCoverage } from '../../tools/lift-coverage.ts';

describe('simulateLiftCoverage', () => {
  it('is deterministic for a seed and covers the truth in most runs', () => {
    const first = simulateLiftCoverage({ runs: 12, seed: 5 });
    const second = simulateLiftCoverage({ runs: 12, seed: 5 });
    expect(second).toEqual(first);
    expect(first.runs).toBe(12);
    expect(first.evaluatedRuns + first.insufficientRuns).toBe(12);
    expect(first.perScenario.map((s) => s.runs).reduce((a, b) => a + b, 0)).toBe(first.evaluatedRuns);
    // With nominal 95% intervals, 12 runs missing more than 4 times has probability < 1e-4.
    expect(first.coverageAbsolute).toBeGreaterThanOrEqual(8 / 12);
    expect(first.coverageRelative).toBeGreaterThanOrEqual(8 / 12);
  });
});
