/**
 * From a measured value and its warn/fail thresholds to a gate result with an operator sentence.
 * 'above' gates fail when the value rises above failAt; 'below' gates when it falls below failAt.
 * Comparisons are strict, so a value equal to a threshold passes that threshold.
 */
import type { ThresholdDirection } from '../../contracts/gate-config.ts';
import type { GateResult, GateStatus } from '../../contracts/gate-report.ts';

export interface Threshold {
  warnAt: number;
  failAt: number;
}

export function judge(value: number, t: Threshold, direction: ThresholdDirection = 'above'): GateStatus {
  if (Number.isNaN(value)) return 'fail';
  const crosses = (limit: number) => (direction === 'above' ? value > limit : value < limit);
  if (crosses(t.failAt)) return 'fail';
  if (crosses(t.warnAt)) return 'warn';
  return 'pass';
}

/** A number for a sentence: integers as they are, others with four significant digits. */
export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return String(n);
  return String(Number(n.toPrecision(4)));
}

export interface MeasuredGate {
  gate: string;
  subject?: string;
  /** What was measured, as the start of a sentence: "PSI of feature monetary". */
  what: string;
  value: number;
  threshold: Threshold;
  direction?: ThresholdDirection;
  /** Appended to the sentence, e.g. the counts behind a share. */
  context?: string;
}

export function measuredGate(m: MeasuredGate): GateResult {
  const direction = m.direction ?? 'above';
  const status = judge(m.value, m.threshold, direction);
  const side = direction === 'above' ? 'above' : 'below';
  const within = direction === 'above' ? 'at or below' : 'at or above';
  const w = fmt(m.threshold.warnAt);
  const f = fmt(m.threshold.failAt);
  const clause =
    status === 'fail'
      ? `${side} the fail threshold ${f}`
      : status === 'warn'
        ? `${side} the warn threshold ${w} (fails ${side} ${f})`
        : `${within} the warn threshold ${w} (fails ${side} ${f})`;
  const context = m.context ? ` ${m.context}` : '';
  return {
    gate: m.gate,
    subject: m.subject ?? '',
    status,
    value: Number.isNaN(m.value) ? null : m.value,
    warnAt: m.threshold.warnAt,
    failAt: m.threshold.failAt,
    detail: `${m.what} is ${fmt(m.value)}, ${clause}.${context}`,
  };
}

/** A gate that could not measure (no baseline, no rows): it passes, and says why. */
export function unmeasuredGate(gate: string, subject: string, t: Threshold | null, detail: string, status: GateStatus = 'pass'): GateResult {
  return { gate, subject, status, value: null, warnAt: t?.warnAt ?? null, failAt: t?.failAt ?? null, detail };
}
