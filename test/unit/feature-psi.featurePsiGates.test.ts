import { describe, expect, it } from 'vitest';
import { GateConfig } from '../../contracts/gate-config.ts';
import { featurePsi, featurePsiGates } from '../../activities/gates/feature-psi.ts';

const cfg = GateConfig.parse({ featurePsi: { features: ['monetary', 'frequency'] } }).featurePsi;
const baseline = Array.from({ length: 1000 }, (_, i) => ({ monetary: (i * 37) % 500, frequency: 1 + (i % 7) }));

describe('featurePsiGates', () => {
  it('fails a feature whose distribution shifted and passes one that did not', () => {
    const current = baseline.map((r) => ({ monetary: r.monetary + 200, frequency: r.frequency }));
    const results = featurePsiGates(featurePsi(baseline, current, cfg.features), cfg, 'run-base');
    const monetary = results.find((r) => r.subject === 'monetary')!;
    expect(monetary.status).toBe('fail');
    expect(monetary.value!).toBeGreaterThan(0.25);
    expect(monetary.detail).toMatch(/PSI of feature monetary vs baseline run run-base is [\d.]+, above the fail threshold 0\.25/);
    expect(results.find((r) => r.subject === 'frequency')).toMatchObject({ status: 'pass', value: 0 });
  });
  it('passes with the same distribution, and says so when there is no baseline', () => {
    const same = featurePsiGates(featurePsi(baseline, [...baseline].reverse(), cfg.features), cfg);
    expect(same.every((r) => r.status === 'pass' && r.value === 0)).toBe(true);
    const none = featurePsiGates(featurePsi([], baseline, cfg.features), cfg);
    expect(none[0]).toMatchObject({ status: 'pass', value: null });
    expect(none[0]!.detail).toMatch(/No baseline/);
  });
});
