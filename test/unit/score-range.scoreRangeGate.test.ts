import { describe, expect, it } from 'vitest';
import { GateConfig } from '../../contracts/gate-config.ts';
import { scoreRangeGate } from '../../activities/gates/score-range.ts';
import { scoreStats } from '../../activities/gates/score-stats.ts';

const cfg = GateConfig.parse({}).scoreRange;

describe('scoreRangeGate', () => {
  it('fails when any score is outside [0, 1] or not finite', () => {
    const r = scoreRangeGate(scoreStats([0.2, 0.5, 1.3, Number.NaN]), cfg);
    expect(r).toMatchObject({ gate: 'scoreRange', subject: 'score', status: 'fail', value: 0.5 });
    expect(r.detail).toContain('2 of 4 scores');
  });
  it('passes when every score is in range, bounds included', () => {
    expect(scoreRangeGate(scoreStats([0, 0.25, 0.5, 1]), cfg)).toMatchObject({ status: 'pass', value: 0 });
  });
});
