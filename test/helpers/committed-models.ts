/** The committed model artifacts (models/) and their producing libraries' predictions, for scorer and registry tests. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { FEATURE_NAMES, type FeatureVector } from '../../contracts/feature-set.ts';

export const MODELS_DIR = join(import.meta.dirname, '..', '..', 'models');
export const ONNX_FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'onnx');

export const ARTIFACTS = {
  logreg: join(MODELS_DIR, 'purchase-propensity', '1.0.0-logreg.json'),
  xgboost: join(MODELS_DIR, 'purchase-propensity', '2.0.0-xgboost.json'),
  onnx: join(MODELS_DIR, 'purchase-propensity', '3.0.0.onnx'),
  onnxSidecar: join(MODELS_DIR, 'purchase-propensity', '3.0.0.onnx.meta.json'),
  rules: join(MODELS_DIR, 'rules', 'fallback-1.0.0.json'),
} as const;

export interface CommittedPredictions {
  sha256: string;
  probabilities: number[];
  sample_metrics: { auc: number; log_loss: number; calibration: { slope: number; intercept: number; ece: number }; n: number };
  approx_contributions?: number[][];
  approx_bias?: number[];
}

export function sampleInputs(): { vectors: FeatureVector[]; labels: (0 | 1)[] } {
  const s = JSON.parse(readFileSync(join(MODELS_DIR, 'predictions', 'sample-inputs.json'), 'utf8')) as {
    features: string[];
    rows: (number | null)[][];
    labels: (0 | 1)[];
  };
  if (s.features.join() !== FEATURE_NAMES.join()) throw new Error('sample-inputs.json features differ from FEATURE_NAMES');
  return { vectors: s.rows.map((r) => Object.fromEntries(FEATURE_NAMES.map((f, j) => [f, r[j]!])) as FeatureVector), labels: s.labels };
}

export function committedPredictions(file: '1.0.0-logreg-json' | '2.0.0-xgboost-json' | '3.0.0-onnx'): CommittedPredictions {
  return JSON.parse(readFileSync(join(MODELS_DIR, 'predictions', `${file}.json`), 'utf8')) as CommittedPredictions;
}

export const readBytes = (path: string) => new Uint8Array(readFileSync(path));
export const readJson = <T = Record<string, unknown>>(path: string) => JSON.parse(readFileSync(path, 'utf8')) as T;
export const jsonBytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

/** A model name no other suite or earlier run uses. */
export const uniqueName = (prefix: string) => `${prefix}-${randomBytes(5).toString('hex')}`;

/** The committed logreg artifact re-declared under another identity (different bytes, same model). */
export function logregAs(name: string, version: string, tweak: (a: Record<string, unknown>) => void = () => {}): Uint8Array {
  const a = readJson(ARTIFACTS.logreg);
  Object.assign(a, { model_id: name, version });
  tweak(a);
  return jsonBytes(a);
}

/** The committed XGBoost model with other identity attributes. */
export function xgboostAs(name: string, version: string): Uint8Array {
  const a = readJson<{ learner: { attributes: Record<string, string> } }>(ARTIFACTS.xgboost);
  Object.assign(a.learner.attributes, { model_id: name, version });
  return jsonBytes(a);
}

/**
 * The committed ONNX model with distinct bytes: its producer_name string is overwritten with a random
 * string of the same length, which leaves the protobuf valid and the graph unchanged.
 */
export function onnxVariant(): Uint8Array {
  const bytes = readBytes(ARTIFACTS.onnx);
  const marker = Buffer.from('scoreflow-train-models');
  const at = Buffer.from(bytes).indexOf(marker);
  if (at < 0) throw new Error('producer_name not found in the committed ONNX model');
  Buffer.from(`t${randomBytes(16).toString('hex')}`.slice(0, marker.length)).copy(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), at);
  return bytes;
}

export function onnxSidecarAs(name: string, version: string, patch: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...readJson(ARTIFACTS.onnxSidecar), model_id: name, version, ...patch };
}
