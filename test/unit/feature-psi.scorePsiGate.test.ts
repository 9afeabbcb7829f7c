import { describe, expect, it } from 'vitest';
import { GateConfig } from '../../contracts/gate-config.ts';
import { scorePsiGate } from '../../activities/gates/feature-psi.ts';
import { psi } from '../../activities/gates/psi.ts';

const t = GateConfig.parse({}).scorePsi;
const baseline = Array.from({ length: 1000 }, (_, i) => (i + 0.5) / 1000);

describe('scorePsiGate', () => {
  it('fails when the score distribution moved', () => {
    const current = baseline.map((s) => Math.min(1, s * 0.4 + 0.55));
    const r = scorePsiGate(psi(baseline, current), t);
    expect(r).toMatchObject({ gate: 'scorePsi', subject: 'score', status: 'fail', warnAt: 0.1, failAt: 0.25 });
    expect(r.detail).toMatch(/Largest shift in bin/);
  });
  it('warns between 0.1 and 0.25', () => {
    const current = baseline.map((s) => Math.min(1, s + 0.08));
    const r = scorePsiGate(psi(baseline, current), t);
    expect(r.value!).toBeGreaterThan(0.1);
    expect(r.value!).toBeLessThanOrEqual(0.25);
    expect(r.status).toBe('warn');
  });
  it('passes when the distribution is stable', () => {
    const current = baseline.map((s) => s + 0.0001);
    expect(scorePsiGate(psi(baseline, current), t).status).toBe('pass');
  });
});
