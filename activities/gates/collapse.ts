/**
 * Collapse gates: a broken model gives (nearly) everyone the same score. Four checks on the run's
 * score statistics: most common value share, standard deviation, distinct values, mass at the bounds.
 */
import type { GateConfig } from '../../contracts/gate-config.ts';
import type { GateResult } from '../../contracts/gate-report.ts';
import { fmt, measuredGate, unmeasuredGate } from './judge-threshold.ts';
import type { ScoreStats } from './score-stats.ts';

export function collapseGates(stats: ScoreStats, cfg: GateConfig['collapse'], range: { min: number; max: number } = { min: 0, max: 1 }): GateResult[] {
  const out: GateResult[] = [];
  const checks = [
    { key: 'topValueShare', t: cfg.topValueShare, what: 'Share of the most common score', value: stats.topValueShare, direction: 'above' as const },
    { key: 'minStdDev', t: cfg.minStdDev, what: 'Standard deviation of scores', value: stats.stdDev, direction: 'below' as const },
    { key: 'minDistinct', t: cfg.minDistinct, what: 'Number of distinct scores (6 decimals)', value: stats.distinct, direction: 'below' as const },
    { key: 'massAtBounds', t: cfg.massAtBounds, what: `Share of scores at exactly ${fmt(range.min)} or ${fmt(range.max)}`, value: stats.massAtBounds, direction: 'above' as const },
  ];
  for (const c of checks) {
    if (!c.t.enabled) continue;
    const gate = `collapse.${c.key}`;
    if (stats.n === 0) {
      out.push(unmeasuredGate(gate, 'score', c.t, 'No scores in this run; collapse not checked.'));
      continue;
    }
    out.push(measuredGate({ gate, subject: 'score', what: c.what, value: c.value, threshold: c.t, direction: c.direction, context: `(${stats.n} scores.)` }));
  }
  return out;
}
