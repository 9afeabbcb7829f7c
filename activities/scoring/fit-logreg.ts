/**
 * Pure: fits an L2-regularised logistic regression by Newton–Raphson (IRLS) on standardised
 * features. Small and exact enough for the demo model; the artifact keeps the standardisation so
 * scoring needs no training code.
 */
export interface LogregFit {
  coefficients: number[];
  intercept: number;
  mean: number[];
  std: number[];
  iterations: number;
}

function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    const pivot = m[c]![c]!;
    if (Math.abs(pivot) < 1e-12) throw new Error('singular Hessian: a feature is constant or collinear');
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]! / pivot;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  return m.map((row, i) => row[n]! / row[i]!);
}

export function fitLogistic(x: number[][], y: number[], opts: { l2?: number; maxIter?: number; tol?: number } = {}): LogregFit {
  const l2 = opts.l2 ?? 1;
  const n = x.length;
  const d = x[0]?.length ?? 0;
  if (n === 0 || d === 0) throw new Error('no training rows');
  const mean = Array.from({ length: d }, (_, j) => x.reduce((s, r) => s + r[j]!, 0) / n);
  const std = Array.from({ length: d }, (_, j) => Math.sqrt(x.reduce((s, r) => s + (r[j]! - mean[j]!) ** 2, 0) / n) || 1);
  const z = x.map((r) => [1, ...r.map((v, j) => (v - mean[j]!) / std[j]!)]);
  let w = new Array<number>(d + 1).fill(0);
  let it = 0;
  for (; it < (opts.maxIter ?? 50); it++) {
    const grad = new Array<number>(d + 1).fill(0);
    const hess = Array.from({ length: d + 1 }, () => new Array<number>(d + 1).fill(0));
    for (let i = 0; i < n; i++) {
      const zi = z[i]!;
      const eta = zi.reduce((s, v, k) => s + v * w[k]!, 0);
      const p = 1 / (1 + Math.exp(-eta));
      const r = y[i]! - p;
      const wgt = p * (1 - p);
      for (let a = 0; a <= d; a++) {
        grad[a]! += r * zi[a]!;
        for (let b = a; b <= d; b++) hess[a]![b]! += wgt * zi[a]! * zi[b]!;
      }
    }
    for (let a = 0; a <= d; a++) {
      for (let b = 0; b < a; b++) hess[a]![b] = hess[b]![a]!;
      if (a > 0) {
        grad[a]! -= l2 * w[a]!;
        hess[a]![a]! += l2;
      }
    }
    const step = solve(hess, grad);
    w = w.map((v, k) => v + step[k]!);
    if (Math.max(...step.map(Math.abs)) < (opts.tol ?? 1e-8)) break;
  }
  return { intercept: w[0]!, coefficients: w.slice(1), mean, std, iterations: it + 1 };
}
