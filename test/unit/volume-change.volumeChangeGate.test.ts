import { describe, expect, it } from 'vitest';
import { GateConfig } from '../../contracts/gate-config.ts';
import { volumeChangeGate } from '../../activities/gates/volume-change.ts';

const t = GateConfig.parse({}).volumeChange;

describe('volumeChangeGate', () => {
  it('fails when volume drops by more than 60% vs the previous cycle', () => {
    const r = volumeChangeGate({ current: 300, previous: 1000, previousRunId: 'run-prev' }, t);
    expect(r).toMatchObject({ gate: 'volumeChange', status: 'fail', value: 0.7, failAt: 0.6 });
    expect(r.detail).toContain('(1000 (run run-prev) → 300.)');
  });
  it('warns on a 40% rise, passes a small change, and fails from zero to something', () => {
    expect(volumeChangeGate({ current: 1400, previous: 1000 }, t).status).toBe('warn');
    expect(volumeChangeGate({ current: 1050, previous: 1000 }, t)).toMatchObject({ status: 'pass', value: 0.05 });
    expect(volumeChangeGate({ current: 10, previous: 0 }, t).status).toBe('fail');
  });
});
