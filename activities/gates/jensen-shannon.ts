/**
 * Jensen–Shannon distance between two categorical distributions given as counts, base 2, so it
 * lies in [0, 1]: sqrt(½ KL(P‖M) + ½ KL(Q‖M)) with M = ½(P + Q). Used for segment mix and
 * eligibility vs the baseline run.
 */
import type { GateConfig } from '../../contracts/gate-config.ts';
import type { GateResult } from '../../contracts/gate-report.ts';
import { fmt, measuredGate, unmeasuredGate } from './judge-threshold.ts';

export type Counts = readonly number[] | Readonly<Record<string, number>>;

function aligned(p: Counts, q: Counts): [number[], number[], string[]] {
  if (Array.isArray(p) && Array.isArray(q)) {
    if (p.length !== q.length) throw new Error(`Jensen–Shannon distance needs count vectors of equal length; got ${p.length} and ${q.length}`);
    return [[...p], [...q], p.map((_, i) => String(i))];
  }
  if (Array.isArray(p) || Array.isArray(q)) throw new Error('Jensen–Shannon distance needs both counts as arrays or both as records');
  const pr = p as Readonly<Record<string, number>>;
  const qr = q as Readonly<Record<string, number>>;
  const keys = [...new Set([...Object.keys(pr), ...Object.keys(qr)])].sort();
  return [keys.map((k) => pr[k] ?? 0), keys.map((k) => qr[k] ?? 0), keys];
}

function normalize(c: number[], side: string): number[] {
  if (c.some((n) => !(n >= 0) || !Number.isFinite(n))) throw new Error(`Jensen–Shannon distance needs finite, non-negative counts (${side})`);
  const total = c.reduce((a, n) => a + n, 0);
  if (total === 0) throw new Error(`Jensen–Shannon distance needs at least one count (${side} is empty)`);
  return c.map((n) => n / total);
}

export function jensenShannonDivergence(pCounts: Counts, qCounts: Counts): number {
  const [pc, qc] = aligned(pCounts, qCounts);
  const p = normalize(pc, 'p');
  const q = normalize(qc, 'q');
  let d = 0;
  for (let i = 0; i < p.length; i++) {
    const m = (p[i]! + q[i]!) / 2;
    if (p[i]! > 0) d += 0.5 * p[i]! * Math.log2(p[i]! / m);
    if (q[i]! > 0) d += 0.5 * q[i]! * Math.log2(q[i]! / m);
  }
  return Math.min(1, Math.max(0, d));
}

export function jensenShannonDistance(pCounts: Counts, qCounts: Counts): number {
  return Math.sqrt(jensenShannonDivergence(pCounts, qCounts));
}

export interface CategoricalCounts {
  baseline: Readonly<Record<string, number>>;
  current: Readonly<Record<string, number>>;
}

function shares(c: Readonly<Record<string, number>>): string {
  const total = Object.values(c).reduce((a, n) => a + n, 0) || 1;
  return Object.keys(c)
    .sort()
    .map((k) => `${k} ${fmt((100 * (c[k] ?? 0)) / total)}%`)
    .join(', ');
}

/** One result per categorical subject; null counts mean no baseline. */
export function categoricalJsdGates(subjects: Readonly<Record<string, CategoricalCounts | null>>, t: GateConfig['categoricalJsd'], baselineRunId?: string | null): GateResult[] {
  return Object.keys(subjects)
    .sort()
    .map((subject) => {
      const c = subjects[subject];
      const empty = (r: Readonly<Record<string, number>>) => Object.values(r).reduce((a, n) => a + n, 0) === 0;
      if (!c || empty(c.baseline)) return unmeasuredGate('categoricalJsd', subject, t, `No baseline to compare the ${subject} mix against; Jensen–Shannon distance not measured.`);
      if (empty(c.current)) return unmeasuredGate('categoricalJsd', subject, t, `No ${subject} values in this run; Jensen–Shannon distance not measured.`);
      const vs = baselineRunId ? ` vs baseline run ${baselineRunId}` : ' vs baseline';
      return measuredGate({
        gate: 'categoricalJsd',
        subject,
        what: `Jensen–Shannon distance of the ${subject} mix${vs}`,
        value: jensenShannonDistance(c.baseline, c.current),
        threshold: t,
        context: `(Baseline: ${shares(c.baseline)}; now: ${shares(c.current)}.)`,
      });
    });
}
