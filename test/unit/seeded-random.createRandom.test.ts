import { describe, expect, it } from 'vitest';
import { createRandom, deriveSeed } from '../../tools/feed-generator/seeded-random.ts';

describe('createRandom', () => {
  it('repeats the same sequence for the same seed and differs across seeds', () => {
    const a = createRandom(42);
    const b = createRandom(42);
    const c = createRandom(43);
    const seqA = Array.from({ length: 20 }, () => a.next());
    expect(Array.from({ length: 20 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 20 }, () => c.next())).not.toEqual(seqA);
  });

  it('draws uniforms in [0, 1) with mean 1/2 and variance 1/12', () => {
    const rng = createRandom(deriveSeed(1, 2));
    const n = 100_000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.next();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
      sumSq += u * u;
    }
    const mean = sum / n;
    // sd of the mean = sqrt(1/12 / n) ≈ 0.00091
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(sumSq / n - mean * mean - 1 / 12)).toBeLessThan(0.002);
  });

  it('draws Beta(a, b) with mean a / (a + b), also for shape < 1', () => {
    for (const [a, b] of [[2, 38], [0.5, 24.5], [3, 7]] as const) {
      const rng = createRandom(deriveSeed(7, a * 100 + b));
      const n = 50_000;
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const x = rng.beta(a, b);
        expect(x >= 0 && x <= 1).toBe(true);
        sum += x;
      }
      const mu = a / (a + b);
      // sd of a Beta draw is sqrt(mu(1 − mu)/(a + b + 1)); allow 5 sd of the mean.
      const sd = Math.sqrt((mu * (1 - mu)) / (a + b + 1) / n);
      expect(Math.abs(sum / n - mu)).toBeLessThan(5 * sd);
    }
  });

  it('draws standard normals with mean 0 and variance 1', () => {
    const rng = createRandom(99);
    const n = 100_000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      sum += z;
      sumSq += z * z;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.02);
    expect(Math.abs(sumSq / n - 1)).toBeLessThan(0.03);
  });

  it('derives distinct seeds for distinct parts', () => {
    const seeds = new Set<number>();
    for (let run = 0; run < 1000; run++) seeds.add(deriveSeed(20240601, run));
    expect(seeds.size).toBe(1000);
  });
});
