import { describe, expect, it } from 'vitest';
import { GateConfig } from '../../contracts/gate-config.ts';
import { collapseGates } from '../../activities/gates/collapse.ts';
import { scoreStats } from '../../activities/gates/score-stats.ts';

const cfg = GateConfig.parse({}).collapse;
const healthy = Array.from({ length: 500 }, (_, i) => 0.01 + (0.98 * i) / 499); // spread, no bounds
const byGate = (scores: number[]) => Object.fromEntries(collapseGates(scoreStats(scores), cfg).map((r) => [r.gate, r]));

describe('collapseGates', () => {
  it('passes all four checks on a spread-out score distribution', () => {
    const r = byGate(healthy);
    expect(Object.keys(r).sort()).toEqual(['collapse.massAtBounds', 'collapse.minDistinct', 'collapse.minStdDev', 'collapse.topValueShare']);
    expect(Object.values(r).every((x) => x.status === 'pass')).toBe(true);
  });
  it('fails topValueShare when more than 95% share one score', () => {
    const scores = [...Array(97).fill(0.42), 0.1, 0.5, 0.9];
    expect(byGate(scores)['collapse.topValueShare']).toMatchObject({ status: 'fail', value: 0.97, failAt: 0.95 });
  });
  it('fails minStdDev when the scores barely vary', () => {
    const scores = Array.from({ length: 100 }, (_, i) => 0.3 + (i % 10) * 0.0003);
    const r = byGate(scores)['collapse.minStdDev']!;
    expect(r.status).toBe('fail');
    expect(r.value!).toBeLessThan(0.005);
    expect(r.detail).toMatch(/below the fail threshold 0\.005/);
  });
  it('fails minDistinct when only a handful of distinct scores remain', () => {
    const scores = Array.from({ length: 100 }, (_, i) => [0.1, 0.4, 0.7][i % 3]!);
    expect(byGate(scores)['collapse.minDistinct']).toMatchObject({ status: 'fail', value: 3, failAt: 5 });
  });
  it('fails massAtBounds when most scores sit at 0 or 1', () => {
    const scores = [...Array(30).fill(0), ...Array(30).fill(1), ...healthy.slice(0, 40)];
    expect(byGate(scores)['collapse.massAtBounds']).toMatchObject({ status: 'fail', value: 0.6 });
  });
});
