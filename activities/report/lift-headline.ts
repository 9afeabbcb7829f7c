/**
 * The lift in one sentence for marketing operations: "Treatment converted X% vs Y%: +Z pp (95% CI …),
 * about N incremental conversions and R revenue". Incremental conversions and revenue scale the
 * per-user differences to the treatment arm's size: what the treatment added over not treating them.
 */
import type { LiftResult } from '../measurement/lift.ts';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const signedPp = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(1)} pp`;
const pp = (x: number) => `${x < 0 ? '−' : ''}${Math.abs(x * 100).toFixed(1)}`;
const whole = (x: number) => Math.round(x).toLocaleString('en-US');
const money = (x: number) => `${x < 0 ? '−' : ''}${Math.abs(x).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** The sentence, or null when there is no estimate (not enough data). */
export function liftHeadline(o: LiftResult): string | null {
  if (o.status !== 'ok') return null;
  // A sample-ratio mismatch makes the figures untrustworthy: no confident sentence over them.
  if ((o as { trustworthy?: boolean }).trustworthy === false) return null;
  const level = Math.round(o.confidence * 100);
  const { estimate, ci } = o.absoluteLift;
  const conversions = estimate * o.treatment.n;
  const revenue = o.revenuePerVisitor?.status === 'ok' ? `${money(o.revenuePerVisitor.difference * o.treatment.n)} revenue` : 'revenue not measured';
  return (
    `Treatment converted ${pct(o.treatment.conversionRate)} vs ${pct(o.control.conversionRate)}: ${signedPp(estimate)} ` +
    `(${level}% CI ${pp(ci.lower)} to ${pp(ci.upper)} pp), about ${whole(conversions)} incremental conversions and ${revenue}.`
  );
}
