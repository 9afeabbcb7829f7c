import { describe, expect, it } from 'vitest';
import { GateConfig, RULES_GATE_DEFAULTS, gateBlockFor } from '../../contracts/gate-config.ts';

describe('gateBlockFor: thresholds per policy', () => {
  it('a model cycle is judged by the pipeline gates alone', () => {
    const cfg = GateConfig.parse(gateBlockFor('model', { scorePsi: { failAt: 0.3 } }, { collapse: { minDistinct: { warnAt: 1, failAt: 1 } } }));
    expect(cfg.scorePsi.failAt).toBe(0.3);
    expect(cfg.collapse.minDistinct).toEqual({ enabled: true, warnAt: 20, failAt: 5 });
  });

  it('a rules cycle keeps the pipeline gates but takes the rules collapse defaults, then rulesGates over them', () => {
    const rules = GateConfig.parse(gateBlockFor('rules', { scorePsi: { failAt: 0.3 }, collapse: { minDistinct: { warnAt: 30, failAt: 10 } } }, {}));
    expect(rules.scorePsi.failAt).toBe(0.3);
    expect(rules.collapse.minDistinct).toEqual({ enabled: true, ...RULES_GATE_DEFAULTS.collapse.minDistinct });
    const tuned = GateConfig.parse(gateBlockFor('rules', {}, { collapse: { minDistinct: { warnAt: 6, failAt: 3 } } }));
    expect(tuned.collapse.minDistinct).toEqual({ enabled: true, warnAt: 6, failAt: 3 });
    expect(tuned.collapse.minStdDev).toEqual({ enabled: true, ...RULES_GATE_DEFAULTS.collapse.minStdDev });
  });
});
