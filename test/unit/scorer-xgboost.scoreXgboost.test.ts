import { describe, expect, it } from 'vitest';
import { FEATURE_NAMES, type FeatureVector } from '../../contracts/feature-set.ts';
import { createXgboostScorer, leafIndex, parseXgboostArtifact, scoreXgboost, toFloat32Row, xgboostApproxContributions, xgboostMargin } from '../../activities/scoring/scorer-xgboost.ts';
import { artifactSha256 } from '../../activities/scoring/artifact-digest.ts';
import { ARTIFACTS, committedPredictions, jsonBytes, readBytes, readJson, sampleInputs } from '../helpers/committed-models.ts';

const bytes = readBytes(ARTIFACTS.xgboost);
const model = parseXgboostArtifact(bytes);

/** A one-split model: feature `cart_adds` < threshold goes left (leaf −1), else right (leaf +1). */
function stump(threshold: number, defaultLeft: boolean, baseScore = '5E-1') {
  const doc = readJson<{ learner: Record<string, unknown> & { gradient_booster: { model: { trees: unknown[] } }; learner_model_param: Record<string, string> } }>(ARTIFACTS.xgboost);
  doc.learner.learner_model_param.base_score = baseScore;
  doc.learner.gradient_booster.model.trees = [
    {
      left_children: [1, -1, -1],
      right_children: [2, -1, -1],
      split_indices: [FEATURE_NAMES.indexOf('cart_adds'), 0, 0],
      split_conditions: [threshold, -1, 1],
      default_left: [defaultLeft ? 1 : 0, 0, 0],
      base_weights: [0, -1, 1],
      sum_hessian: [4, 1, 3],
    },
  ];
  return parseXgboostArtifact(jsonBytes(doc));
}

const vec = (patch: Partial<FeatureVector>) => ({ ...Object.fromEntries(FEATURE_NAMES.map((f) => [f, 0])), ...patch }) as FeatureVector;

describe('scoreXgboost', () => {
  it("matches XGBoost's own predict() on the committed sample within 1e-6", async () => {
    const { vectors } = sampleInputs();
    const expected = committedPredictions('2.0.0-xgboost-json');
    expect(expected.sha256).toBe(artifactSha256(bytes));
    const got = await createXgboostScorer(model, expected.sha256).score(vectors);
    const worst = Math.max(...got.map((s, i) => Math.abs(s.probability - expected.probabilities[i]!)));
    expect(worst).toBeLessThan(1e-6);
    // Missing values reach the trees: the sample has nulls and they take the default branches.
    expect(vectors.filter((v) => v.recency_days === null).length).toBeGreaterThan(0);
  });

  it("matches XGBoost's approximate contributions (pred_contribs, approx_contribs) within 1e-5", () => {
    const { vectors } = sampleInputs();
    const expected = committedPredictions('2.0.0-xgboost-json');
    vectors.forEach((v, i) => {
      const c = xgboostApproxContributions(model, toFloat32Row(model, v))!;
      c.perFeature.forEach((x, j) => expect(Math.abs(x - expected.approx_contributions![i]![j]!)).toBeLessThan(1e-5));
      expect(Math.abs(c.bias - expected.approx_bias![i]!)).toBeLessThan(1e-5);
      // Contributions and bias add up to the margin.
      expect(Math.abs(c.perFeature.reduce((s, x) => s + x, c.bias) - xgboostMargin(model, toFloat32Row(model, v)))).toBeLessThan(1e-4);
    });
  });

  it('starts the margin at logit(base_score), the stored probability', () => {
    expect(model.baseScore).toBeCloseTo(0.1203, 10);
    expect(model.baseMargin).toBeCloseTo(Math.log(0.1203 / (1 - 0.1203)), 6);
    const m = stump(0.5, true, '[2E-1]');
    // x = 1 goes right: margin = logit(0.2) + 1.
    expect(scoreXgboost(m, vec({ cart_adds: 1 })).probability).toBeCloseTo(1 / (1 + Math.exp(-(Math.log(0.25) + 1))), 6);
  });

  it('sends x < split_condition left and x ≥ split_condition right, comparing in float32', () => {
    const m = stump(0.1, true);
    const t = m.trees[0]!;
    const f32 = Math.fround(0.1); // 0.100000001490116…, above the double 0.1
    expect(leafIndex(t, toFloat32Row(m, vec({ cart_adds: 0.09 })))).toBe(1);
    expect(leafIndex(t, toFloat32Row(m, vec({ cart_adds: f32 })))).toBe(2);
    // In double arithmetic 0.1 < f32 would go left; XGBoost stores the input as float32 (= f32) and goes right.
    expect(0.1 < f32).toBe(true);
    expect(leafIndex(t, toFloat32Row(m, vec({ cart_adds: 0.1 })))).toBe(2);
    // Just below in float32 goes left.
    const below = new Float32Array(new Uint32Array([new Uint32Array(new Float32Array([f32]).buffer)[0]! - 1]).buffer)[0]!;
    expect(leafIndex(t, toFloat32Row(m, vec({ cart_adds: below })))).toBe(1);
  });

  it('follows default_left for a missing value', () => {
    expect(leafIndex(stump(0.5, true).trees[0]!, toFloat32Row(stump(0.5, true), vec({ cart_adds: null })))).toBe(1);
    expect(leafIndex(stump(0.5, false).trees[0]!, toFloat32Row(stump(0.5, false), vec({ cart_adds: null })))).toBe(2);
  });

  it('refuses objectives other than binary:logistic, categorical splits and a wrong feature count', () => {
    const doc = readJson<{ learner: { objective: { name: string }; learner_model_param: Record<string, string>; feature_names: string[] } }>(ARTIFACTS.xgboost);
    expect(() => parseXgboostArtifact(jsonBytes({ ...doc, learner: { ...doc.learner, objective: { name: 'reg:squarederror' } } }))).toThrow(/binary:logistic/);
    expect(() =>
      parseXgboostArtifact(jsonBytes({ ...doc, learner: { ...doc.learner, feature_names: [...doc.learner.feature_names].reverse() } })),
    ).toThrow(/first difference at position 0/);
    expect(() =>
      parseXgboostArtifact(jsonBytes({ ...doc, learner: { ...doc.learner, feature_names: [], learner_model_param: { ...doc.learner.learner_model_param, num_feature: '10' } } })),
    ).toThrow(/trained on 10 features/);
    expect(() => parseXgboostArtifact(new TextEncoder().encode('not json'))).toThrow(/malformed JSON/);
  });
});
