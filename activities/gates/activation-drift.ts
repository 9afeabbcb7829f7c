/**
 * Activation drift: a destination's match rate or acceptance rate falls against its trailing
 * average over earlier runs. Decline = (trailing average - current) / trailing average; a rise is
 * a negative decline and never alerts. The sentence names the rejection reason that grew most.
 */
import type { GateResult } from '../../contracts/gate-report.ts';
import { fmt, measuredGate, unmeasuredGate, type Threshold } from './judge-threshold.ts';

export interface ActivationStats {
  runId: string;
  destination: string;
  /** Share of sent identifiers the destination matched; null when it does not report matching. */
  matchRate: number | null;
  /** Share of sent rows the destination accepted; null when unknown. */
  acceptanceRate: number | null;
  rejections: Record<string, number>;
}

export interface DriftThreshold {
  matchRateDecline: Threshold & { enabled?: boolean };
  acceptanceDecline: Threshold & { enabled?: boolean };
  /** Number of earlier runs of the destination in the trailing average. */
  window: number;
}

export interface DriftResult {
  alert: boolean;
  results: GateResult[];
}

function mean(xs: number[]): number {
  return xs.reduce((a, x) => a + x, 0) / xs.length;
}

function shareOf(r: Record<string, number>): Record<string, number> {
  const total = Object.values(r).reduce((a, n) => a + n, 0);
  return Object.fromEntries(Object.entries(r).map(([k, n]) => [k, total ? n / total : 0]));
}

/** The rejection reason whose share of rejections grew most vs the trailing runs. */
function risingReason(trailing: ActivationStats[], current: ActivationStats): string {
  const before: Record<string, number> = {};
  for (const h of trailing) for (const [k, n] of Object.entries(h.rejections)) before[k] = (before[k] ?? 0) + n;
  const b = shareOf(before);
  const c = shareOf(current.rejections);
  let best: [string, number] | null = null;
  for (const k of Object.keys(c)) {
    const d = (c[k] ?? 0) - (b[k] ?? 0);
    if (d > 0 && (!best || d > best[1])) best = [k, d];
  }
  if (!best) return '';
  return ` Rejections now led by "${best[0]}" (${current.rejections[best[0]]} rows, ${fmt((c[best[0]] ?? 0) * 100)}% of rejections, was ${fmt((b[best[0]] ?? 0) * 100)}%).`;
}

export function activationDrift(history: readonly ActivationStats[], current: ActivationStats, threshold: DriftThreshold): DriftResult {
  const trailing = history.filter((h) => h.destination === current.destination && h.runId !== current.runId).slice(-threshold.window);
  const results: GateResult[] = [];
  const metrics = [
    { gate: 'matchRateDecline', label: 'match rate', t: threshold.matchRateDecline, pick: (s: ActivationStats) => s.matchRate },
    { gate: 'acceptanceDecline', label: 'acceptance rate', t: threshold.acceptanceDecline, pick: (s: ActivationStats) => s.acceptanceRate },
  ];
  for (const m of metrics) {
    if (m.t.enabled === false) continue;
    const now = m.pick(current);
    if (now === null) continue; // the destination does not report this rate
    const past = trailing.map(m.pick).filter((x): x is number => x !== null);
    if (past.length === 0) {
      results.push(unmeasuredGate(m.gate, current.destination, m.t, `No earlier runs of ${current.destination} to compare its ${m.label} (${fmt(now * 100)}%) against.`));
      continue;
    }
    const avg = mean(past);
    const decline = avg === 0 ? 0 : (avg - now) / avg;
    const r = measuredGate({
      gate: m.gate,
      subject: current.destination,
      what: `Relative decline of the ${current.destination} ${m.label}`,
      value: decline,
      threshold: m.t,
      context: `(${fmt(now * 100)}% now vs ${fmt(avg * 100)}% trailing average of ${past.length} run${past.length === 1 ? '' : 's'}.)`,
    });
    if (r.status !== 'pass' && m.gate === 'acceptanceDecline') r.detail += risingReason(trailing, current);
    results.push(r);
  }
  return { alert: results.some((r) => r.status !== 'pass'), results };
}
