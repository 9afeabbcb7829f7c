import { describe, expect, it } from 'vitest';
import { BETA_SCENARIOS, trueEffects } from '../../tools/lift-coverage.ts';
import { createRandom } from '../../tools/feed-generator/seeded-random.ts';

describe('trueEffects', () => {
  it('is πT − πC for p → p + δ(1 − p) with p ~ Beta(a, b), checked by Monte Carlo', () => {
    for (const scenario of BETA_SCENARIOS) {
      const rng = createRandom(11);
      const n = 100_000;
      let control = 0;
      let treatment = 0;
      for (let i = 0; i < n; i++) {
        const p = rng.beta(scenario.a, scenario.b);
        control += p;
        treatment += p + scenario.effect * (1 - p);
      }
      const truth = trueEffects(scenario);
      // Monte Carlo sd of mean(δ(1 − p)) is δ·sd(p)/√n ≤ 6e-6 for these scenarios; the tolerance 5e-5 is ~9 sd.
      expect(treatment / n - control / n).toBeCloseTo(truth.absolute, 4);
      if (scenario.effect > 0) expect((treatment / control - 1) / truth.relative).toBeCloseTo(1, 1);
    }
  });
});
