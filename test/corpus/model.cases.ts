/**
 * Bad-input corpus: model artifacts. Each case registers one broken artifact (or one in conflict with
 * the registry) through registerModelFile, what `scoreflow models register` calls; it must be refused
 * with the file and the problem, and the registry must hold no version of the case's model name.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonBytes, logregAs, onnxSidecarAs, onnxVariant, readJson, ARTIFACTS } from '../helpers/committed-models.ts';

export interface ModelCase {
  name: string;
  /** Writes the artifact (and any sidecar or metadata) into dir; returns the artifact path and register options. */
  build(dir: string, model: string): { path: string; opts?: Record<string, unknown> } | Promise<{ path: string; opts?: Record<string, unknown> }>;
  code: string;
  reason: RegExp;
  /** The file the message must name when it is not the artifact (a sidecar or training metadata). */
  file?: string;
  /** Versions of the model that must remain (a refused re-registration leaves the first one). */
  remaining?: string[];
}

function logreg(dir: string, model: string, tweak: (a: Record<string, any>) => void, file = 'model.json') {
  const path = join(dir, file);
  writeFileSync(path, logregAs(model, '1.0.0', tweak));
  return { path };
}

export const MODEL_CASES: ModelCase[] = [
  { name: 'no such file', build: (dir) => ({ path: join(dir, 'missing.json') }), code: 'NOT_FOUND', reason: /no such artifact file/ },
  {
    name: 'malformed JSON',
    build: (dir) => (writeFileSync(join(dir, 'm.json'), '{"format": "logreg-json",'), { path: join(dir, 'm.json') }),
    code: 'INVALID_ARTIFACT',
    reason: /malformed JSON .*an artifact is ONNX \(\.onnx\) or JSON/,
  },
  {
    name: 'JSON without a known format',
    build: (dir) => (writeFileSync(join(dir, 'm.json'), '{"weights": [1, 2]}'), { path: join(dir, 'm.json') }),
    code: 'INVALID_ARTIFACT',
    reason: /cannot tell the artifact format; give --format/,
  },
  { name: 'logreg: fewer coefficients than features', build: (dir, m) => logreg(dir, m, (a) => void a.coefficients.pop()), code: 'INVALID_ARTIFACT', reason: /coefficients/ },
  { name: 'logreg: a feature the feature set does not have', build: (dir, m) => logreg(dir, m, (a) => void (a.features[0] = 'shoe_size')), code: 'INVALID_ARTIFACT', reason: /shoe_size|features/ },
  { name: 'logreg: intercept is a string', build: (dir, m) => logreg(dir, m, (a) => void (a.intercept = 'high')), code: 'INVALID_ARTIFACT', reason: /intercept/ },
  { name: 'logreg: a coefficient is null', build: (dir, m) => logreg(dir, m, (a) => void (a.coefficients[2] = null)), code: 'INVALID_ARTIFACT', reason: /coefficients/ },
  { name: 'logreg: no model_id', build: (dir, m) => logreg(dir, m, (a) => void delete a.model_id), code: 'INVALID_ARTIFACT', reason: /model_id/ },
  { name: 'logreg: a version that is not semver', build: (dir, m) => logreg(dir, m, (a) => void (a.version = 'v-one')), code: 'INVALID_ARTIFACT', reason: /version/ },
  { name: 'logreg: standardization std of the wrong length', build: (dir, m) => logreg(dir, m, (a) => void a.standardization.std.pop()), code: 'INVALID_ARTIFACT', reason: /std|standardization/ },
  { name: 'onnx: no sidecar next to it', build: (dir) => (writeFileSync(join(dir, 'm.onnx'), onnxVariant()), { path: join(dir, 'm.onnx') }), code: 'INVALID_ARTIFACT', reason: /an onnx artifact needs its sidecar .*m\.onnx\.meta\.json/ },
  {
    name: 'onnx: the sidecar is not JSON',
    build: (dir) => {
      writeFileSync(join(dir, 'm.onnx'), onnxVariant());
      writeFileSync(join(dir, 'm.onnx.meta.json'), '{ input_name: features');
      return { path: join(dir, 'm.onnx') };
    },
    code: 'INVALID_ARTIFACT',
    reason: /m\.onnx\.meta\.json: the sidecar is not valid JSON/,
  },
  {
    name: 'onnx: bytes that are not an ONNX model',
    build: (dir, m) => {
      writeFileSync(join(dir, 'm.onnx'), Buffer.from('not a protobuf at all'));
      writeFileSync(join(dir, 'm.onnx.meta.json'), JSON.stringify(onnxSidecarAs(m, '3.0.0')));
      return { path: join(dir, 'm.onnx') };
    },
    code: 'INVALID_ARTIFACT',
    reason: /onnx|ONNX|protobuf|load/,
  },
  {
    name: "onnx: the sidecar's output_name is not in the graph",
    build: (dir, m) => {
      writeFileSync(join(dir, 'm.onnx'), onnxVariant());
      writeFileSync(join(dir, 'm.onnx.meta.json'), JSON.stringify(onnxSidecarAs(m, '3.0.0', { output_name: 'no_such_output' })));
      return { path: join(dir, 'm.onnx') };
    },
    code: 'INVALID_ARTIFACT',
    reason: /no_such_output/,
  },
  {
    name: 'training metadata whose sha256 does not match the bytes',
    build: (dir, m) => {
      const r = logreg(dir, m, () => {});
      const meta = readJson(join(ARTIFACTS.logreg, '..', '1.0.0.metadata.json'));
      writeFileSync(join(dir, '1.0.0.metadata.json'), JSON.stringify({ ...meta, sha256: randomBytes(32).toString('hex') }));
      return r;
    },
    code: 'DIGEST_MISMATCH',
    reason: /model\.json: .*the artifact bytes hash to sha256 [0-9a-f]{64}, but [0-9a-f]{64} was expected/,
  },
  {
    name: 'training metadata that is not JSON',
    build: (dir, m) => {
      const r = logreg(dir, m, () => {});
      writeFileSync(join(dir, '1.0.0.metadata.json'), 'metrics: high');
      return r;
    },
    code: 'INVALID_ARTIFACT',
    reason: /1\.0\.0\.metadata\.json: the training metadata is not valid JSON/,
    file: '1.0.0.metadata.json',
  },
  {
    name: 'an explicit --metadata file that does not exist',
    build: (dir, m) => ({ ...logreg(dir, m, () => {}), opts: { metadataPath: join(dir, 'nope.metadata.json') } }),
    code: 'INVALID_OPTIONS',
    reason: /nope\.metadata\.json: training metadata file not found/,
    file: 'nope.metadata.json',
  },
  {
    name: 'a second, different artifact under a registered version (versions are immutable)',
    async build(dir, m) {
      const { registerModelBytes } = await import('../../activities/scoring/model-operations.ts');
      await registerModelBytes(logregAs(m, '1.0.0'), join(dir, 'first.json'));
      return logreg(dir, m, (a) => void (a.intercept = a.intercept + 0.5), 'second.json');
    },
    code: 'VERSION_CONFLICT',
    reason: /second\.json: .*1\.0\.0/,
    remaining: ['1.0.0'],
  },
];

export { jsonBytes };
