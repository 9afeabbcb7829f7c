/**
 * PSI per numeric feature and the two PSI gates (score, features). Each feature's bins come from
 * the baseline's quantiles of that feature.
 */
import type { GateConfig } from '../../contracts/gate-config.ts';
import type { GateResult } from '../../contracts/gate-report.ts';
import { fmt, measuredGate, unmeasuredGate, type Threshold } from './judge-threshold.ts';
import { psi, type PsiOptions, type PsiResult } from './psi.ts';

type Row = Readonly<Record<string, unknown>>;

function column(rows: readonly Row[], f: string): (number | null)[] {
  return rows.map((r) => {
    const v = r[f];
    return typeof v === 'number' ? v : v === null || v === undefined ? null : Number(v);
  });
}

/** PSI of each feature; null for a feature when the baseline has no rows. */
export function featurePsi(baseline: readonly Row[], current: readonly Row[], features: readonly string[], options: PsiOptions = {}): Record<string, PsiResult | null> {
  const out: Record<string, PsiResult | null> = {};
  for (const f of features) out[f] = baseline.length && current.length ? psi(column(baseline, f), column(current, f), options) : null;
  return out;
}

function topShift(r: PsiResult): string {
  const worst = [...r.bins].sort((a, b) => b.contribution - a.contribution)[0];
  if (!worst || worst.contribution <= 0) return '';
  const where = worst.missing ? 'the missing-value bin' : `bin ${worst.lower === null ? '(-∞' : `[${fmt(worst.lower)}`}, ${worst.upper === null ? '∞' : fmt(worst.upper)})`;
  return `Largest shift in ${where}: ${fmt(worst.baselineShare * 100)}% → ${fmt(worst.currentShare * 100)}%.`;
}

export function psiGate(gate: string, subject: string, label: string, r: PsiResult | null, t: Threshold, baselineRunId?: string | null): GateResult {
  if (!r) return unmeasuredGate(gate, subject, t, `No baseline to compare ${label} against (no earlier completed run of this pipeline); PSI not measured.`);
  const vs = baselineRunId ? ` vs baseline run ${baselineRunId}` : ' vs baseline';
  return measuredGate({ gate, subject, what: `PSI of ${label}${vs}`, value: r.value, threshold: t, context: topShift(r) });
}

export function scorePsiGate(r: PsiResult | null, t: GateConfig['scorePsi'], baselineRunId?: string | null): GateResult {
  return psiGate('scorePsi', 'score', 'the score distribution', r, t, baselineRunId);
}

export function featurePsiGates(results: Record<string, PsiResult | null>, cfg: GateConfig['featurePsi'], baselineRunId?: string | null): GateResult[] {
  return cfg.features.filter((f) => f in results).map((f) => psiGate('featurePsi', f, `feature ${f}`, results[f] ?? null, cfg, baselineRunId));
}
