import { describe, expect, it } from 'vitest';
import { GateConfig } from '../../contracts/gate-config.ts';
import { featureNullRateGates, nullRates } from '../../activities/gates/null-rate.ts';

const cfg = GateConfig.parse({ featureNullRate: { features: ['recency_days', 'monetary'], perFeature: { recency_days: { warnAt: 0.6, failAt: 0.9 } } } }).featureNullRate;

function rows(nullShare: number, n = 100): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({ recency_days: i < n * nullShare ? null : i, monetary: i < n * nullShare ? Number.NaN : i * 2 }));
}

describe('featureNullRateGates', () => {
  it('fails a feature whose null rate is above the fail threshold, using per-feature overrides', () => {
    const results = featureNullRateGates(nullRates(rows(0.7), ['recency_days', 'monetary']), cfg);
    const monetary = results.find((r) => r.subject === 'monetary')!;
    const recency = results.find((r) => r.subject === 'recency_days')!;
    expect(monetary).toMatchObject({ status: 'fail', value: 0.7, failAt: 0.5 }); // NaN counts as null
    expect(monetary.detail).toMatch(/Null rate of feature monetary is 0\.7, above the fail threshold 0\.5/);
    expect(recency).toMatchObject({ status: 'warn', warnAt: 0.6, failAt: 0.9 });
  });
  it('passes features with few nulls', () => {
    const results = featureNullRateGates(nullRates(rows(0.05), ['recency_days', 'monetary']), cfg);
    expect(results.map((r) => r.status)).toEqual(['pass', 'pass']);
    expect(results[0]!.value).toBeCloseTo(0.05, 12);
  });
});
