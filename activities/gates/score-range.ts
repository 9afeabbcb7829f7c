/** Score range gate: the share of scores outside the declared range (or not finite). */
import type { GateConfig } from '../../contracts/gate-config.ts';
import type { GateResult } from '../../contracts/gate-report.ts';
import { fmt, measuredGate, unmeasuredGate } from './judge-threshold.ts';
import type { ScoreStats } from './score-stats.ts';

export function scoreRangeGate(stats: ScoreStats, cfg: GateConfig['scoreRange']): GateResult {
  if (stats.n === 0) return unmeasuredGate('scoreRange', 'score', cfg, 'No scores in this run; nothing to range-check.');
  return measuredGate({
    gate: 'scoreRange',
    subject: 'score',
    what: `Share of scores outside [${fmt(cfg.min)}, ${fmt(cfg.max)}] or not finite`,
    value: stats.outOfRange / stats.n,
    threshold: cfg,
    context: `(${stats.outOfRange} of ${stats.n} scores.)`,
  });
}
