import { describe, expect, it } from 'vitest';
import { GateConfig } from '../../contracts/gate-config.ts';
import { activationDrift, type ActivationStats } from '../../activities/gates/activation-drift.ts';

const c = GateConfig.parse({});
const threshold = { matchRateDecline: c.matchRateDecline, acceptanceDecline: c.acceptanceDecline, window: 3 };

function stats(runId: string, matchRate: number | null, acceptanceRate: number | null, rejections: Record<string, number> = { invalid_email: 10 }): ActivationStats {
  return { runId, destination: 'google', matchRate, acceptanceRate, rejections };
}
const history = [stats('r0', 0.1, 0.1), stats('r1', 0.6, 0.95), stats('r2', 0.62, 0.96), stats('r3', 0.58, 0.94)];

describe('activationDrift', () => {
  it('alerts when the match rate falls beyond the threshold vs the trailing average', () => {
    const d = activationDrift(history, stats('r4', 0.4, 0.95), threshold);
    const match = d.results.find((r) => r.gate === 'matchRateDecline')!;
    expect(d.alert).toBe(true);
    expect(match.status).toBe('fail'); // (0.6 - 0.4) / 0.6 = 0.333; r0 is outside the 3-run window
    expect(match.value!).toBeCloseTo(1 / 3, 12);
    expect(match.detail).toContain('40% now vs 60% trailing average of 3 runs');
    expect(d.results.find((r) => r.gate === 'acceptanceDecline')!.status).toBe('pass');
  });
  it('alerts on an acceptance decline and names the rejection reason that grew', () => {
    const d = activationDrift(history, stats('r4', 0.6, 0.8, { invalid_email: 10, consent_missing: 150 }), threshold);
    const acc = d.results.find((r) => r.gate === 'acceptanceDecline')!;
    expect(acc.status).toBe('warn'); // (0.95 - 0.8) / 0.95 = 0.158
    expect(acc.detail).toContain('Rejections now led by "consent_missing" (150 rows');
  });
  it('does not alert on stable or rising rates, and skips rates a destination does not report', () => {
    const d = activationDrift(history, stats('r4', 0.65, null), threshold);
    expect(d.alert).toBe(false);
    expect(d.results.map((r) => r.gate)).toEqual(['matchRateDecline']);
    expect(d.results[0]!.value!).toBeLessThan(0);
  });
});
