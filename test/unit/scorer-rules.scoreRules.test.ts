import { describe, expect, it } from 'vitest';
import { FEATURE_NAMES, type FeatureVector } from '../../contracts/feature-set.ts';
import { conditionHolds, createRulesScorer, parseRulesPolicy, scoreRules } from '../../activities/scoring/scorer-rules.ts';
import { ARTIFACTS, jsonBytes, readBytes, readJson, sampleInputs } from '../helpers/committed-models.ts';

const policy = parseRulesPolicy(readBytes(ARTIFACTS.rules));
const vec = (patch: Partial<FeatureVector>) => ({ ...Object.fromEntries(FEATURE_NAMES.map((f) => [f, 0])), ...patch }) as FeatureVector;

describe('scoreRules', () => {
  it('takes the first rule whose conditions all hold, in order', () => {
    // Both recent_checkout and cart_and_recent hold; the first wins.
    const both = scoreRules(policy, vec({ checkouts: 1, cart_adds: 2, recency_days: 1 }));
    expect(both).toMatchObject({ ruleId: 'recent_checkout', segment: 'high_intent', probability: policy.rules[0]!.score });
    expect(scoreRules(policy, vec({ checkouts: 1, cart_adds: 2, recency_days: 5 })).ruleId).toBe('cart_and_recent');
    expect(scoreRules(policy, vec({ recency_days: 20 }))).toMatchObject({ ruleId: 'default', segment: 'cold', probability: policy.default.score });
  });

  it('treats a comparison on a missing feature as false, and missing/present as tests for null', () => {
    expect(scoreRules(policy, vec({ checkouts: 1, cart_adds: 1, recency_days: null })).ruleId).not.toBe('recent_checkout');
    expect(conditionHolds('missing', null, undefined)).toBe(true);
    expect(conditionHolds('present', null, undefined)).toBe(false);
    expect(conditionHolds('<', null, 3)).toBe(false);
    expect(conditionHolds('!=', 2, 3)).toBe(true);
  });

  it('is deterministic: the same batch scores the same, run after run and in any order', async () => {
    const { vectors } = sampleInputs();
    const scorer = createRulesScorer(policy, 'sha');
    const a = await scorer.score(vectors);
    const b = await scorer.score([...vectors].reverse());
    expect(b.reverse()).toEqual(a);
    expect(new Set(a.map((s) => s.ruleId)).size).toBeGreaterThan(2);
  });

  it('refuses conditions on features outside the feature set and duplicate rule ids', () => {
    const p = readJson<{ rules: { id: string; when: { feature: string }[] }[] }>(ARTIFACTS.rules);
    const bad = structuredClone(p);
    bad.rules[0]!.when[0]!.feature = 'basket_value';
    expect(() => parseRulesPolicy(jsonBytes(bad))).toThrow(/"basket_value" is not a feature/);
    const dup = structuredClone(p);
    dup.rules[1]!.id = dup.rules[0]!.id;
    expect(() => parseRulesPolicy(jsonBytes(dup))).toThrow(/duplicate rule id/);
  });
});
