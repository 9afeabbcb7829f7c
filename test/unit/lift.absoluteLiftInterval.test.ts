import { describe, expect, it } from 'vitest';
import { absoluteLiftInterval } from '../../activities/measurement/lift.ts';

const Z_975 = 1.959963984540054; // Φ⁻¹(0.975)
const Z_995 = 2.5758293035489004; // Φ⁻¹(0.995)

describe('absoluteLiftInterval', () => {
  it('is the unpooled Wald interval worked by hand', () => {
    // pT = 540/9000 = 0.06, pC = 50/1000 = 0.05
    // var = 0.06 × 0.94 / 9000 + 0.05 × 0.95 / 1000 = 6.2666…e−6 + 4.75e−5 = 5.37666…e−5; se = 0.00733257…
    const se = Math.sqrt((0.06 * 0.94) / 9000 + (0.05 * 0.95) / 1000);
    expect(se).toBeCloseTo(0.0073325757, 9);
    const result = absoluteLiftInterval({ n: 1000, conversions: 50 }, { n: 9000, conversions: 540 });
    expect(result.estimate).toBeCloseTo(0.01, 12);
    expect(result.ci.lower).toBeCloseTo(0.01 - Z_975 * se, 12); // −0.004371…
    expect(result.ci.upper).toBeCloseTo(0.01 + Z_975 * se, 12); // +0.024371…
    expect(result.ci.lower).toBeCloseTo(-0.0043716, 6);
  });

  it('widens with the confidence level', () => {
    const se = Math.sqrt((0.06 * 0.94) / 9000 + (0.05 * 0.95) / 1000);
    const result = absoluteLiftInterval({ n: 1000, conversions: 50 }, { n: 9000, conversions: 540 }, 0.99);
    expect(result.ci.upper - result.ci.lower).toBeCloseTo(2 * Z_995 * se, 12);
  });
});
