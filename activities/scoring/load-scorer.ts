/**
 * Turns artifact bytes into a Scorer, whatever the format (`loadScorer`, pure apart from onnxruntime),
 * and loads a registered artifact by digest (`loadScorerBySha`, cached: artifacts are immutable).
 */
import { ApplicationFailure } from '@temporalio/common';
import { ArtifactFormat } from '../../contracts/model-artifact.ts';
import { getPool } from '../store/db.ts';
import { artifactSha256 } from './artifact-digest.ts';
import { InvalidArtifactError, type Scorer } from './scorer.ts';
import { createLogregScorer, parseLogregArtifact } from './scorer-logreg.ts';
import { createXgboostScorer, parseXgboostArtifact } from './scorer-xgboost.ts';
import { createOnnxScorer } from './scorer-onnx.ts';
import { createRulesScorer, parseRulesPolicy } from './scorer-rules.ts';

/**
 * `metadata` is the artifact's sidecar JSON: required for `onnx` (see OnnxSidecar); for `xgboost-json`
 * it may supply `model_id`, `version`, `feature_set_version` when the Booster has no such attributes.
 * Other formats declare everything in their bytes and ignore it.
 */
export async function loadScorer(bytes: Uint8Array, format: ArtifactFormat, metadata?: unknown): Promise<Scorer> {
  const sha256 = artifactSha256(bytes);
  switch (format) {
    case 'logreg-json':
      return createLogregScorer(parseLogregArtifact(bytes), sha256);
    case 'xgboost-json': {
      const m = (metadata ?? {}) as { model_id?: unknown; version?: unknown; feature_set_version?: unknown };
      const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
      return createXgboostScorer(
        parseXgboostArtifact(bytes, { modelId: str(m.model_id), version: str(m.version), featureSetVersion: str(m.feature_set_version) }),
        sha256,
      );
    }
    case 'onnx':
      return createOnnxScorer(bytes, metadata, sha256);
    case 'rules':
      return createRulesScorer(parseRulesPolicy(bytes), sha256);
    default:
      throw new InvalidArtifactError(String(format), `unknown format; expected one of ${ArtifactFormat.options.join(', ')}`);
  }
}

const cache = new Map<string, Promise<Scorer>>();
const CACHE_MAX = 16;

/** Loads a registered artifact (and its sidecar) from model_artifact by digest. */
export async function loadScorerBySha(sha256: string, format: string): Promise<Scorer> {
  const hit = cache.get(sha256);
  if (hit) return hit;
  const loading = (async () => {
    const { rows } = await getPool().query<{ bytes: Buffer; format: string; metadata: unknown }>(
      `SELECT a.bytes, a.format, s.metadata FROM model_artifact a LEFT JOIN model_artifact_sidecar s ON s.sha256 = a.sha256 WHERE a.sha256 = $1`,
      [sha256],
    );
    const row = rows[0];
    if (!row) throw ApplicationFailure.nonRetryable(`model artifact ${sha256} is not registered; register it with scoreflow models register`, 'InvalidModel');
    if (row.format !== format) {
      throw ApplicationFailure.nonRetryable(`model artifact ${sha256} is registered as ${row.format}, not ${format}`, 'InvalidModel');
    }
    const parsedFormat = ArtifactFormat.parse(row.format);
    const bytes = new Uint8Array(row.bytes);
    if (artifactSha256(bytes) !== sha256) {
      throw ApplicationFailure.nonRetryable(`model artifact ${sha256}: stored bytes no longer hash to their digest; the registry row is corrupt`, 'InvalidModel');
    }
    try {
      return await loadScorer(bytes, parsedFormat, row.metadata ?? undefined);
    } catch (err) {
      if (err instanceof InvalidArtifactError) throw ApplicationFailure.nonRetryable(err.message, 'InvalidModel');
      throw err;
    }
  })();
  cache.set(sha256, loading);
  loading.catch(() => cache.delete(sha256));
  if (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value!);
  return loading;
}
