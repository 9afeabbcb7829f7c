/**
 * Seeded pseudo-random variates for simulations (never Math.random): sfc32 (Chris Doty-Humphrey's
 * Small Fast Counting generator, 128-bit state) seeded through splitmix32, plus the few
 * distributions the lift coverage simulation needs. Same seed → same sequence, on every machine.
 */

export interface SeededRandom {
  /** Uniform on [0, 1), 32 bits of resolution. */
  next(): number;
  /** Uniform on (0, 1): never 0, safe to take the log of. */
  nextOpen(): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** Gamma(shape, 1) (Marsaglia–Tsang; shape < 1 via the u^(1/shape) boost). */
  gamma(shape: number): number;
  /** Beta(a, b) as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b). */
  beta(a: number, b: number): number;
  /** True with probability p. */
  bernoulli(p: number): boolean;
}

/** splitmix32 step: a well-mixed 32-bit value from a 32-bit state. Used for seeding. */
function splitmix32(state: number): { value: number; state: number } {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return { value: z >>> 0, state: next };
}

/** Mixes several integers (e.g. a base seed and a run index) into one 32-bit seed. */
export function deriveSeed(...parts: number[]): number {
  let state = 0x2545f491;
  for (const part of parts) {
    state = splitmix32((state ^ (part | 0)) | 0).value | 0;
    state = splitmix32((state ^ Math.floor(part / 2 ** 32)) | 0).value | 0;
  }
  return state >>> 0;
}

export function createRandom(seed: number): SeededRandom {
  let s = seed | 0;
  const words: number[] = [];
  for (let i = 0; i < 4; i++) {
    const step = splitmix32(s);
    s = step.state;
    words.push(step.value | 0);
  }
  let [a, b, c, d] = words as [number, number, number, number];

  function nextUint32(): number {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  }
  // Discard the first outputs so nearby seeds diverge fully.
  for (let i = 0; i < 12; i++) nextUint32();

  const next = (): number => nextUint32() / 2 ** 32;
  const nextOpen = (): number => (nextUint32() + 0.5) / 2 ** 32;

  let spareNormal: number | null = null;
  const normal = (): number => {
    if (spareNormal !== null) {
      const value = spareNormal;
      spareNormal = null;
      return value;
    }
    const radius = Math.sqrt(-2 * Math.log(nextOpen()));
    const angle = 2 * Math.PI * next();
    spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };

  const gamma = (shape: number): number => {
    if (!(shape > 0) || !Number.isFinite(shape)) throw new RangeError(`gamma: shape must be a positive number, got ${shape}.`);
    if (shape < 1) return gamma(shape + 1) * nextOpen() ** (1 / shape);
    const dd = shape - 1 / 3;
    const cc = 1 / Math.sqrt(9 * dd);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = normal();
        v = 1 + cc * x;
      } while (v <= 0);
      v = v * v * v;
      const u = nextOpen();
      if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + dd * (1 - v + Math.log(v))) return dd * v;
    }
  };

  const beta = (alpha: number, betaShape: number): number => {
    const x = gamma(alpha);
    const y = gamma(betaShape);
    return x / (x + y);
  };

  const bernoulli = (p: number): boolean => next() < p;

  return { next, nextOpen, normal, gamma, beta, bernoulli };
}
