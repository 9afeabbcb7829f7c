/**
 * ONNX scorer: an onnxruntime-node InferenceSession over the artifact bytes, bound by the sidecar
 * (input and output names, input element type, feature order, imputation for nulls; 0 when none is
 * declared). At load it refuses a model that does not fit: sidecar features not the feature set's, in
 * order; input name absent or more than one input; input not a rank-2 tensor of the declared type with
 * a last dimension equal to the number of features; output name absent; a probe batch that does not
 * come back as one probability in [0, 1] per row. No contributions (rationale then comes from
 * feature deviations in the decision step).
 */
import ort from 'onnxruntime-node';
import type { FeatureName, FeatureVector } from '../../contracts/feature-set.ts';
import { OnnxSidecar, featureNamesFor } from '../../contracts/model-artifact.ts';
import { InvalidArtifactError, checkFeatureOrder, describeIssues, type ScoreOutput, type Scorer } from './scorer.ts';

export function parseOnnxSidecar(sidecar: unknown): OnnxSidecar {
  if (sidecar === undefined || sidecar === null) {
    throw new InvalidArtifactError('onnx', 'needs its sidecar metadata (input_name, output_name, features); pass the .meta.json next to the .onnx file');
  }
  const parsed = OnnxSidecar.safeParse(sidecar);
  if (!parsed.success) throw new InvalidArtifactError('onnx', `sidecar does not match the schema: ${describeIssues(parsed.error.issues)}`);
  checkFeatureOrder('onnx', parsed.data.feature_set_version, parsed.data.features, featureNamesFor(parsed.data.feature_set_version));
  return parsed.data;
}

/** Row-major input matrix with nulls imputed. */
export function onnxInputMatrix(meta: OnnxSidecar, batch: FeatureVector[]): Float64Array {
  const d = meta.features.length;
  const out = new Float64Array(batch.length * d);
  batch.forEach((v, i) => {
    meta.features.forEach((f, j) => {
      out[i * d + j] = v[f as FeatureName] ?? meta.imputation?.[f] ?? 0;
    });
  });
  return out;
}

/** One probability per row from an output tensor of shape [N], [N, 1] or [N, 2] (positive class in column 1). */
export function probabilitiesFromOutput(dims: readonly number[], data: ArrayLike<number>, rows: number): number[] {
  const width = dims.length === 1 ? 1 : dims.length === 2 ? dims[1]! : -1;
  if (dims[0] !== rows || (width !== 1 && width !== 2)) {
    throw new InvalidArtifactError('onnx', `output has shape [${dims.join(', ')}] for ${rows} rows; expected [N], [N, 1] or [N, 2]`);
  }
  return Array.from({ length: rows }, (_, i) => Number(data[i * width + (width - 1)]));
}

export async function createOnnxScorer(bytes: Uint8Array, sidecarInput: unknown, sha256: string): Promise<Scorer> {
  const meta = parseOnnxSidecar(sidecarInput);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', intraOpNumThreads: 1 });
  } catch (err) {
    throw new InvalidArtifactError('onnx', `onnxruntime cannot load the model (${(err as Error).message.split('\n')[0]}); check the file is an ONNX model`);
  }
  const d = meta.features.length;
  if (session.inputNames.length !== 1 || session.inputNames[0] !== meta.input_name) {
    throw new InvalidArtifactError('onnx', `model inputs are [${session.inputNames.join(', ')}], the sidecar declares one input "${meta.input_name}"`);
  }
  const input = session.inputMetadata.find((m) => m.name === meta.input_name);
  if (input?.isTensor) {
    const shape = input.shape;
    const last = shape[shape.length - 1];
    if (shape.length !== 2 || (typeof last === 'number' && last >= 0 && last !== d)) {
      throw new InvalidArtifactError('onnx', `input "${meta.input_name}" has shape [${shape.join(', ')}]; the feature set needs [N, ${d}]`);
    }
    if (input.type !== meta.input_type) {
      throw new InvalidArtifactError('onnx', `input "${meta.input_name}" is ${input.type}, the sidecar declares ${meta.input_type}`);
    }
  } else if (input) {
    throw new InvalidArtifactError('onnx', `input "${meta.input_name}" is not a tensor`);
  }
  if (!session.outputNames.includes(meta.output_name)) {
    throw new InvalidArtifactError('onnx', `model outputs are [${session.outputNames.join(', ')}], the sidecar declares "${meta.output_name}"`);
  }

  const run = async (batch: FeatureVector[]): Promise<number[]> => {
    const x = onnxInputMatrix(meta, batch);
    const tensor = meta.input_type === 'float64' ? new ort.Tensor('float64', x, [batch.length, d]) : new ort.Tensor('float32', Float32Array.from(x), [batch.length, d]);
    const out = await session.run({ [meta.input_name]: tensor }, [meta.output_name]);
    const y = out[meta.output_name]!;
    return probabilitiesFromOutput(y.dims, y.data as ArrayLike<number>, batch.length);
  };

  // Probe: two rows of imputed values must come back as two probabilities.
  const probeRow = Object.fromEntries(meta.features.map((f) => [f, null])) as FeatureVector;
  let probe: number[];
  try {
    probe = await run([probeRow, probeRow]);
  } catch (err) {
    if (err instanceof InvalidArtifactError) throw err;
    throw new InvalidArtifactError('onnx', `a probe batch of 2 rows × ${d} features failed (${(err as Error).message.split('\n')[0]})`);
  }
  if (probe.some((p) => !(p >= 0 && p <= 1))) throw new InvalidArtifactError('onnx', `output "${meta.output_name}" is not a probability in [0, 1]`);

  return {
    modelId: meta.model_id,
    version: meta.version,
    sha256,
    format: 'onnx',
    featureSetVersion: meta.feature_set_version,
    score: async (batch): Promise<ScoreOutput[]> => (batch.length === 0 ? [] : (await run(batch)).map((probability) => ({ probability }))),
  };
}
