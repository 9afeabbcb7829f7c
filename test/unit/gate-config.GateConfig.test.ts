import { describe, expect, it } from 'vitest';
import { GateConfig } from '../../contracts/gate-config.ts';
import { FEATURE_NAMES } from '../../contracts/feature-set.ts';

describe('GateConfig', () => {
  it('fills every gate with the documented defaults from an empty block', () => {
    const c = GateConfig.parse({});
    expect(c.scorePsi).toEqual({ enabled: true, warnAt: 0.1, failAt: 0.25 });
    expect(c.collapse.topValueShare.failAt).toBe(0.95);
    expect(c.collapse.minStdDev).toEqual({ enabled: true, warnAt: 0.02, failAt: 0.005 });
    expect(c.scoreRange).toMatchObject({ min: 0, max: 1, failAt: 0 });
    expect(c.featurePsi.features).toEqual([...FEATURE_NAMES]);
    expect(c.requiredColumns.columns).toEqual([...FEATURE_NAMES]);
    expect(c.psi).toEqual({ bins: 10, epsilon: 1e-4 });
    expect(c.matchRateDecline.enabled).toBe(true);
    expect(c.driftWindow).toBe(5);
  });

  it('keeps overrides and defaults the rest of a partly given gate', () => {
    const c = GateConfig.parse({ scorePsi: { failAt: 0.4 }, collapse: { minDistinct: { enabled: false } } });
    expect(c.scorePsi).toEqual({ enabled: true, warnAt: 0.1, failAt: 0.4 });
    expect(c.collapse.minDistinct.enabled).toBe(false);
    expect(c.collapse.topValueShare.enabled).toBe(true);
  });

  it('rejects thresholds in the wrong order for the gate direction', () => {
    expect(GateConfig.safeParse({ scorePsi: { warnAt: 0.3, failAt: 0.2 } }).success).toBe(false);
    expect(GateConfig.safeParse({ collapse: { minStdDev: { warnAt: 0.001, failAt: 0.01 } } }).success).toBe(false);
    expect(GateConfig.safeParse({ scoreRange: { min: 1, max: 0 } }).success).toBe(false);
  });
});
