import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { FEATURE_NAMES } from '../../contracts/feature-set.ts';
import { createOnnxScorer, probabilitiesFromOutput } from '../../activities/scoring/scorer-onnx.ts';
import { artifactSha256 } from '../../activities/scoring/artifact-digest.ts';
import { InvalidArtifactError } from '../../activities/scoring/scorer.ts';
import { ARTIFACTS, ONNX_FIXTURES, committedPredictions, readBytes, readJson, sampleInputs } from '../helpers/committed-models.ts';

const bytes = readBytes(ARTIFACTS.onnx);
const sidecar = readJson(ARTIFACTS.onnxSidecar);

describe('createOnnxScorer', () => {
  it("matches scikit-learn's predict_proba of the estimator the graph was built from, within 1e-6", async () => {
    const { vectors } = sampleInputs();
    const expected = committedPredictions('3.0.0-onnx');
    expect(expected.sha256).toBe(artifactSha256(bytes));
    const scorer = await createOnnxScorer(bytes, sidecar, expected.sha256);
    expect(scorer).toMatchObject({ modelId: 'purchase-propensity', version: '3.0.0', format: 'onnx', featureSetVersion: '1.0.0' });
    const got = await scorer.score(vectors);
    expect(got).toHaveLength(vectors.length);
    got.forEach((s, i) => expect(Math.abs(s.probability - expected.probabilities[i]!)).toBeLessThan(1e-6));
    expect(await scorer.score([])).toEqual([]);
  });

  it('refuses a model whose input has a different width than the feature set', async () => {
    await expect(createOnnxScorer(readBytes(join(ONNX_FIXTURES, 'ten-features.onnx')), sidecar, 'x')).rejects.toThrow(/input "features" has shape \[N, 10\]; the feature set needs \[N, 11\]/);
  });

  it('refuses a model with inputs the sidecar does not bind', async () => {
    await expect(createOnnxScorer(readBytes(join(ONNX_FIXTURES, 'two-inputs.onnx')), sidecar, 'x')).rejects.toThrow(/model inputs are \[features, extra\]/);
  });

  it('refuses a sidecar that names another input, output, element type or feature order', async () => {
    await expect(createOnnxScorer(bytes, { ...sidecar, input_name: 'float_input' }, 'x')).rejects.toThrow(/sidecar declares one input "float_input"/);
    await expect(createOnnxScorer(bytes, { ...sidecar, output_name: 'probabilities' }, 'x')).rejects.toThrow(/model outputs are \[probability\]/);
    await expect(createOnnxScorer(bytes, { ...sidecar, input_type: 'float32' }, 'x')).rejects.toThrow(/is float64, the sidecar declares float32/);
    await expect(createOnnxScorer(bytes, { ...sidecar, features: FEATURE_NAMES.slice(0, 10) }, 'x')).rejects.toThrow(InvalidArtifactError);
    await expect(createOnnxScorer(bytes, undefined, 'x')).rejects.toThrow(/needs its sidecar/);
    await expect(createOnnxScorer(new TextEncoder().encode('not an onnx model'), sidecar, 'x')).rejects.toThrow(/onnxruntime cannot load the model/);
  });
});

describe('probabilitiesFromOutput', () => {
  it('reads [N], [N, 1] and the positive column of [N, 2], and refuses other shapes', () => {
    expect(probabilitiesFromOutput([2], [0.1, 0.2], 2)).toEqual([0.1, 0.2]);
    expect(probabilitiesFromOutput([2, 1], [0.1, 0.2], 2)).toEqual([0.1, 0.2]);
    expect(probabilitiesFromOutput([2, 2], [0.9, 0.1, 0.8, 0.2], 2)).toEqual([0.1, 0.2]);
    expect(() => probabilitiesFromOutput([2, 3], [0, 0, 0, 0, 0, 0], 2)).toThrow(/shape \[2, 3\]/);
    expect(() => probabilitiesFromOutput([3, 1], [0, 0, 0], 2)).toThrow(/for 2 rows/);
  });
});
