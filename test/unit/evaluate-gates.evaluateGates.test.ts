import { describe, expect, it } from 'vitest';
import { GateConfig } from '../../contracts/gate-config.ts';
import { FEATURE_NAMES } from '../../contracts/feature-set.ts';
import { evaluateGates } from '../../activities/gates/evaluate-gates.ts';
import { scoreStats } from '../../activities/gates/score-stats.ts';
import { psi } from '../../activities/gates/psi.ts';

const scores = Array.from({ length: 400 }, (_, i) => 0.02 + (0.96 * i) / 399);

describe('evaluateGates', () => {
  it('passes overall when every gate passes', () => {
    const report = evaluateGates(GateConfig.parse({}), {
      columns: FEATURE_NAMES,
      scores: scoreStats(scores),
      scorePsi: psi(scores, scores),
      volume: { current: 400, previous: 390 },
    });
    expect(report.status).toBe('pass');
    expect(report.results.map((r) => r.gate)).toEqual([
      'requiredColumns', 'scoreRange', 'collapse.topValueShare', 'collapse.minStdDev', 'collapse.minDistinct', 'collapse.massAtBounds', 'scorePsi', 'volumeChange',
    ]);
  });
  it('takes the worst status: one warn makes warn, one fail makes fail', () => {
    const warn = evaluateGates(GateConfig.parse({}), { scores: scoreStats(scores), volume: { current: 1400, previous: 1000 } });
    expect(warn.status).toBe('warn');
    const fail = evaluateGates(GateConfig.parse({}), { scores: scoreStats(scores), volume: { current: 1400, previous: 1000 }, contract: { violations: 50, total: 400 } });
    expect(fail.status).toBe('fail');
    expect(fail.results.filter((r) => r.status === 'fail').map((r) => r.gate)).toEqual(['contractViolations']);
  });
  it('skips disabled gates and gates without input', () => {
    const report = evaluateGates(GateConfig.parse({ volumeChange: { enabled: false } }), { volume: { current: 0, previous: 1000 } });
    expect(report).toEqual({ status: 'pass', results: [] });
  });
  it('evaluates activation drift for each current destination', () => {
    const h = (runId: string, matchRate: number) => ({ runId, destination: 'meta', matchRate, acceptanceRate: 0.9, rejections: {} });
    const report = evaluateGates(GateConfig.parse({}), { activation: { history: [h('a', 0.7), h('b', 0.7)], current: [h('c', 0.3)] } });
    expect(report.status).toBe('fail');
    expect(report.results.find((r) => r.gate === 'matchRateDecline')!.subject).toBe('meta');
  });
});
