import { describe, expect, it } from 'vitest';
import { FEATURE_NAMES, type FeatureVector } from '../../contracts/feature-set.ts';
import { createLogregScorer, parseLogregArtifact, scoreLogreg } from '../../activities/scoring/scorer-logreg.ts';
import { InvalidArtifactError } from '../../activities/scoring/scorer.ts';
import { artifactSha256 } from '../../activities/scoring/artifact-digest.ts';
import { ARTIFACTS, committedPredictions, jsonBytes, readBytes, readJson, sampleInputs } from '../helpers/committed-models.ts';

const bytes = readBytes(ARTIFACTS.logreg);
const artifact = parseLogregArtifact(bytes);

describe('scoreLogreg', () => {
  it("reproduces scikit-learn's predict_proba on the committed sample to float precision", async () => {
    const { vectors } = sampleInputs();
    const expected = committedPredictions('1.0.0-logreg-json');
    expect(expected.sha256).toBe(artifactSha256(bytes));
    const scorer = createLogregScorer(artifact, artifactSha256(bytes));
    const got = await scorer.score(vectors);
    expect(got).toHaveLength(200);
    got.forEach((s, i) => expect(Math.abs(s.probability - expected.probabilities[i]!)).toBeLessThan(1e-12));
    expect(vectors.some((v) => v.recency_days === null || v.session_depth === null)).toBe(true);
  });

  it('computes the logit by hand: contributions are coef·z and sum to logit − intercept', () => {
    const a = parseLogregArtifact(
      jsonBytes({
        ...readJson<Record<string, unknown>>(ARTIFACTS.logreg),
        coefficients: FEATURE_NAMES.map((_, j) => (j === 1 ? 0.5 : j === 7 ? -2 : 0)),
        intercept: -1,
        imputation: { frequency: 4 },
        standardization: { mean: FEATURE_NAMES.map(() => 0), std: FEATURE_NAMES.map((_, j) => (j === 7 ? 2 : 1)) },
      }),
    );
    const v = { ...Object.fromEntries(FEATURE_NAMES.map((f) => [f, 1])), frequency: null, cart_adds: 3 } as FeatureVector;
    // logit = −1 + 0.5·4 (imputed) − 2·(3/2) = −2
    const out = scoreLogreg(a, v);
    expect(out.probability).toBe(1 / (1 + Math.exp(2)));
    expect(out.contributions!.find((c) => c.feature === 'frequency')!.contribution).toBe(2);
    expect(out.contributions!.find((c) => c.feature === 'cart_adds')!.contribution).toBe(-3);
    expect(out.contributions!.reduce((s, c) => s + c.contribution, 0)).toBe(-1);
  });

  it('refuses an artifact whose features are not the feature set, in order', () => {
    const a = readJson(ARTIFACTS.logreg);
    const features = [...FEATURE_NAMES];
    [features[0], features[1]] = [features[1]!, features[0]!];
    expect(() => parseLogregArtifact(jsonBytes({ ...a, features }))).toThrow(/first difference at position 0/);
    expect(() => parseLogregArtifact(jsonBytes({ ...a, coefficients: [1, 2] }))).toThrow(/coefficients: has 2 values for 11 features/);
    expect(() => parseLogregArtifact(new TextEncoder().encode('{"format": "logreg-json",'))).toThrow(InvalidArtifactError);
  });
});
