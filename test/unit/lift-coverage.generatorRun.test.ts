import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateFollowUp } from '../../tools/feed-generator/generator.ts';
import { visitorProfile } from '../../tools/feed-generator/visitor-profile.ts';
import { assignArm } from '../../activities/measurement/holdout.ts';
import { GENERATOR_SCENARIOS, generatorConverts, generatorRun, generatorTrueEffects } from '../../tools/lift-coverage.ts';
import { readCsv } from '../helpers/generated-feed-reader.ts';

const root = mkdtempSync(join(tmpdir(), 'scoreflow-coverage-gen-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('generatorTrueEffects', () => {
  it('is mean(q − p) and Σq/Σp − 1 with q = clamp(p + δ, 0, 1), worked by hand', () => {
    // p = 0.1, 0.5, 0.99; δ = 0.02 → q = 0.12, 0.52, 1 (clamped): Σp = 1.59, Σq = 1.64
    const truth = generatorTrueEffects([0.1, 0.5, 0.99], 0.02);
    expect(truth.absolute).toBeCloseTo(0.05 / 3, 12);
    expect(truth.relative).toBeCloseTo(1.64 / 1.59 - 1, 12);
    expect(generatorTrueEffects([0.2, 0.3], 0)).toEqual({ absolute: 0, relative: 0 });
  });
});

describe('generatorConverts', () => {
  it("is the outcome generateFollowUp writes for the same visitors, arms and effect", async () => {
    const seed = 90210;
    const key = 'coverage-fidelity';
    const effect = 0.05;
    const visitors = 600;
    const out = join(root, 'followup');
    const followUp = await generateFollowUp({ seed, visitors, out, date: '2026-11-10', treatmentEffect: effect, assignments: (id) => assignArm(id, key, 0.3) });
    const truth = readCsv(join(out, followUp.groundTruth));
    expect(truth).toHaveLength(visitors);
    let treated = 0;
    truth.forEach((t, i) => {
      const v = visitorProfile({ seed, days: 3, startEpoch: Date.UTC(2026, 10, 1) / 1000, drift: 'none' }, i);
      expect(v.entityId).toBe(t.entity_id);
      expect(v.propensity.toFixed(6)).toBe(t.true_propensity);
      const arm = assignArm(v.entityId, key, 0.3);
      expect(arm).toBe(t.arm);
      if (arm === 'treatment') treated++;
      expect(generatorConverts(v, arm, effect), t.entity_id).toBe(t.converted === '1');
    });
    expect(treated).toBeGreaterThan(0);
  });
});

describe('generatorRun', () => {
  it('counts every visitor once and is deterministic for a seed', () => {
    const scenario = { ...GENERATOR_SCENARIOS[0]!, visitors: 2000 };
    const a = generatorRun(scenario, 17, 'k');
    expect(a.counts.control.n + a.counts.treatment.n).toBe(2000);
    expect(generatorRun(scenario, 17, 'k')).toEqual(a);
    expect(a.truth.absolute).toBeGreaterThan(0);
    expect(a.truth.absolute).toBeLessThanOrEqual(scenario.effect);
  });
});
