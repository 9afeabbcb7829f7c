/**
 * Second, deliberately naive implementations of the normal and Student t distributions, used as
 * reference values in the lift tests. They share no code with jstat: the CDFs integrate the
 * density with composite Simpson's rule, the t density's constant uses a Lanczos log-gamma, and
 * quantiles come from bisection. Accurate to ~1e-10 for the moderate arguments tests use
 * (|x| ≤ 10, df ≥ 1); not meant for far tails.
 */

const SIMPSON_INTERVALS = 20_000;

function simpson(f: (x: number) => number, a: number, b: number, intervals = SIMPSON_INTERVALS): number {
  const h = (b - a) / intervals;
  let sum = f(a) + f(b);
  for (let i = 1; i < intervals; i++) sum += (i % 2 === 1 ? 4 : 2) * f(a + i * h);
  return (sum * h) / 3;
}

/** Φ(x) = 1/2 + ∫₀ˣ φ(t) dt. */
export function refNormalCdf(x: number): number {
  const pdf = (t: number) => Math.exp(-0.5 * t * t) / Math.sqrt(2 * Math.PI);
  const half = simpson(pdf, 0, Math.abs(x));
  return x >= 0 ? 0.5 + half : 0.5 - half;
}

/** Two-sided p-value 2·(1 − Φ(|z|)). */
export function refTwoSidedNormalP(z: number): number {
  return 2 * (0.5 - simpson((t) => Math.exp(-0.5 * t * t) / Math.sqrt(2 * Math.PI), 0, Math.abs(z)));
}

// Lanczos approximation, g = 7, n = 9 (Numerical Recipes / Wikipedia coefficients).
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

export function refLogGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - refLogGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

function tPdf(df: number): (t: number) => number {
  const logConst = refLogGamma((df + 1) / 2) - refLogGamma(df / 2) - 0.5 * Math.log(df * Math.PI);
  return (t) => Math.exp(logConst - ((df + 1) / 2) * Math.log1p((t * t) / df));
}

/** P(T ≤ x) for Student's t with df degrees of freedom. */
export function refTCdf(x: number, df: number): number {
  const half = simpson(tPdf(df), 0, Math.abs(x));
  return x >= 0 ? 0.5 + half : 0.5 - half;
}

/** Two-sided p-value P(|T| > |t|). */
export function refTwoSidedTP(t: number, df: number): number {
  return 1 - 2 * simpson(tPdf(df), 0, Math.abs(t));
}

/** Quantile of Student's t by bisection on refTCdf (p in (0.5, 1)). */
export function refTQuantile(p: number, df: number): number {
  let lo = 0;
  let hi = 50;
  for (let i = 0; i < 80; i++) {
    const mid = (lo + hi) / 2;
    if (refTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
