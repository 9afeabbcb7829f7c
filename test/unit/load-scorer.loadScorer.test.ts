import { describe, expect, it } from 'vitest';
import { loadScorer } from '../../activities/scoring/load-scorer.ts';
import { artifactSha256 } from '../../activities/scoring/artifact-digest.ts';
import { InvalidArtifactError } from '../../activities/scoring/scorer.ts';
import { ARTIFACTS, jsonBytes, readBytes, readJson } from '../helpers/committed-models.ts';

describe('loadScorer', () => {
  it('loads every committed artifact with its declared identity and digest', async () => {
    const cases = [
      [ARTIFACTS.logreg, 'logreg-json', undefined, 'purchase-propensity', '1.0.0'],
      [ARTIFACTS.xgboost, 'xgboost-json', undefined, 'purchase-propensity', '2.0.0'],
      [ARTIFACTS.onnx, 'onnx', readJson(ARTIFACTS.onnxSidecar), 'purchase-propensity', '3.0.0'],
      [ARTIFACTS.rules, 'rules', undefined, 'rules-fallback', '1.0.0'],
    ] as const;
    for (const [path, format, meta, id, version] of cases) {
      const bytes = readBytes(path);
      const s = await loadScorer(bytes, format, meta);
      expect(s).toMatchObject({ modelId: id, version, format, featureSetVersion: '1.0.0', sha256: artifactSha256(bytes) });
    }
  });

  it('takes identity from the metadata when an XGBoost model has no attributes', async () => {
    const doc = readJson<{ learner: { attributes: Record<string, string> } }>(ARTIFACTS.xgboost);
    doc.learner.attributes = {};
    const bytes = jsonBytes(doc);
    await expect(loadScorer(bytes, 'xgboost-json')).rejects.toThrow(/declares no model_id/);
    const s = await loadScorer(bytes, 'xgboost-json', { model_id: 'm', version: '9.0.0', feature_set_version: '1.0.0' });
    expect(s).toMatchObject({ modelId: 'm', version: '9.0.0' });
  });

  it('refuses bytes of another format with a typed error', async () => {
    await expect(loadScorer(readBytes(ARTIFACTS.xgboost), 'logreg-json')).rejects.toThrow(InvalidArtifactError);
    await expect(loadScorer(readBytes(ARTIFACTS.logreg), 'rules')).rejects.toThrow(/rules artifact: does not match the schema: format/);
    await expect(loadScorer(readBytes(ARTIFACTS.onnx), 'logreg-json')).rejects.toThrow(/malformed JSON/);
  });
});
