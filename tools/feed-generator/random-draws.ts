/**
 * Pure: the draws the sample feed generator needs on top of a seeded stream (tools/feed-generator/seeded-random.ts):
 * integers, picks, weighted picks, Poisson and geometric counts, 64-bit unsigned ids, and
 * `unitHash`, a stateless uniform of (seed, index, salt) for per-visitor decisions that other
 * visitors must be able to recompute cheaply (login, shared customer id).
 */
import { createRandom, deriveSeed, type SeededRandom } from './seeded-random.ts';

export type { SeededRandom };

/** An independent stream for (seed, ...parts). */
export const streamFor = (...parts: number[]): SeededRandom => createRandom(deriveSeed(...parts));

/** A uniform on [0, 1) fixed by (seed, ...parts), without building a stream. */
export const unitHash = (...parts: number[]): number => deriveSeed(...parts) / 2 ** 32;

export const uint32 = (r: SeededRandom): number => Math.floor(r.next() * 2 ** 32);

/** Integer in [0, n). */
export const int = (r: SeededRandom, n: number): number => Math.floor(r.next() * n);

export const pick = <T>(r: SeededRandom, xs: readonly T[]): T => xs[int(r, xs.length)]!;

/** Index drawn with probability proportional to its weight. */
export function weightedIndex(r: SeededRandom, weights: readonly number[]): number {
  let total = 0;
  for (const w of weights) total += w;
  let u = r.next() * total;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i]!;
    if (u < 0) return i;
  }
  return weights.length - 1;
}

/** Poisson(λ) by Knuth's product method (fine for the small λ used here; capped at `cap`). */
export function poisson(r: SeededRandom, lambda: number, cap = 1000): number {
  const limit = Math.exp(-lambda);
  let k = 0;
  let prod = r.next();
  while (prod > limit && k < cap) {
    k++;
    prod *= r.next();
  }
  return k;
}

/** Failures before the first success, success probability 1 / (1 + mean). */
export function geometric(r: SeededRandom, mean: number, cap = 200): number {
  if (mean <= 0) return 0;
  const q = mean / (1 + mean);
  return Math.min(cap, Math.floor(Math.log(r.nextOpen()) / Math.log(q)));
}

/** Unsigned 64-bit integer as a decimal string (values above 2^53 and 2^63 occur). */
export function uint64(r: SeededRandom): string {
  return ((BigInt(uint32(r)) << 32n) | BigInt(uint32(r))).toString();
}

/** `n` decimal digits, leading zeros allowed. */
export function digits(r: SeededRandom, n: number): string {
  let s = '';
  while (s.length < n) s += String(uint32(r)).padStart(10, '0').slice(1);
  return s.slice(0, n);
}

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

export const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);
