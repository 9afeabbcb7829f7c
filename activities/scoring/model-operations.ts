/**
 * Registry operations as the CLI calls them: register an artifact file (format, sidecar and training
 * metadata found next to it), list versions, promote. Thin over registry.ts.
 *
 * Next to an artifact `DIR/<file>` the conventions of scripts/train-models.py are read when present:
 * `DIR/<file>.meta.json` (ONNX sidecar; also `DIR/<stem>.meta.json`) and `DIR/<version>.metadata.json`
 * (metrics, trained_at, owner, and the sha256 the trainer wrote, checked against the bytes).
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ArtifactFormat, TrainingMetadata, type ModelMetrics } from '../../contracts/model-artifact.ts';
import { loadScorer } from './load-scorer.ts';
import { InvalidArtifactError, describeIssues } from './scorer.ts';
import { ModelRegistryError, list, promote, register, type ModelVersionRecord } from './registry.ts';

export interface RegisterFileOptions {
  /** Default: the model id the artifact declares. */
  name?: string;
  /** Default: the version the artifact declares. */
  version?: string;
  /** Default: inferred (`.onnx` → onnx; JSON with `learner` → xgboost-json; else its `format` field). */
  format?: ArtifactFormat;
  featureSetVersion?: string;
  sidecarPath?: string;
  metadataPath?: string;
  expectedSha256?: string;
  metrics?: ModelMetrics;
  trainedAt?: string;
  owner?: string;
}

function readJson(path: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ModelRegistryError('INVALID_ARTIFACT', `${path}: ${what} is not valid JSON (${(err as Error).message})`);
  }
}

/** The artifact format from the file name and content. */
export function inferFormat(path: string, bytes: Uint8Array): ArtifactFormat {
  if (path.endsWith('.onnx')) return 'onnx';
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new ModelRegistryError('INVALID_ARTIFACT', `${path}: malformed JSON (${(err as Error).message}); an artifact is ONNX (.onnx) or JSON`);
  }
  if (doc && typeof doc === 'object' && 'learner' in doc) return 'xgboost-json';
  const declared = ArtifactFormat.safeParse((doc as { format?: unknown } | null)?.format);
  if (declared.success && declared.data !== 'onnx') return declared.data;
  throw new ModelRegistryError('INVALID_ARTIFACT', `${path}: cannot tell the artifact format; give --format (${ArtifactFormat.options.join(', ')})`);
}

function findSidecar(path: string, explicit?: string): unknown {
  const candidates = explicit ? [explicit] : [`${path}.meta.json`, path.replace(/\.onnx$/, '.meta.json')];
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    if (explicit) throw new ModelRegistryError('INVALID_ARTIFACT', `${explicit}: sidecar file not found`);
    return undefined;
  }
  return readJson(found, 'the sidecar');
}

/** Registers bytes read from `path` (path only locates the sidecar and training metadata). */
export async function registerModelBytes(bytes: Uint8Array, path: string, opts: RegisterFileOptions = {}): Promise<{ model: ModelVersionRecord; created: boolean }> {
  const format = opts.format ?? inferFormat(path, bytes);
  const sidecar = format === 'onnx' ? findSidecar(path, opts.sidecarPath) : undefined;
  if (format === 'onnx' && sidecar === undefined) {
    throw new ModelRegistryError('INVALID_ARTIFACT', `${path}: an onnx artifact needs its sidecar ${path}.meta.json (input_name, output_name, features); or pass sidecarPath`);
  }
  // The identity the artifact declares fills in what the caller left out.
  let declared: { modelId: string; version: string; featureSetVersion: string };
  try {
    const identity = format === 'xgboost-json' ? { model_id: opts.name, version: opts.version, feature_set_version: opts.featureSetVersion } : sidecar;
    declared = await loadScorer(bytes, format, identity);
  } catch (err) {
    if (err instanceof InvalidArtifactError) throw new ModelRegistryError('INVALID_ARTIFACT', `${path}: ${err.message}`);
    throw err;
  }
  const version = opts.version ?? declared.version;
  const metadataPath = opts.metadataPath ?? join(dirname(path), `${version}.metadata.json`);
  let training: TrainingMetadata | undefined;
  if (existsSync(metadataPath)) {
    const parsed = TrainingMetadata.safeParse(readJson(metadataPath, 'the training metadata'));
    if (!parsed.success) throw new ModelRegistryError('INVALID_OPTIONS', `${metadataPath}: ${describeIssues(parsed.error.issues)}`);
    if (parsed.data.format === format) training = parsed.data;
  } else if (opts.metadataPath) {
    throw new ModelRegistryError('INVALID_OPTIONS', `${opts.metadataPath}: training metadata file not found`);
  }
  return withFileName(path, register(bytes, {
    name: opts.name ?? declared.modelId,
    version,
    format,
    featureSetVersion: opts.featureSetVersion ?? declared.featureSetVersion,
    metrics: opts.metrics ?? training?.metrics ?? {},
    trainedAt: opts.trainedAt ?? training?.trained_at,
    owner: opts.owner ?? training?.owner,
    expectedSha256: opts.expectedSha256 ?? training?.sha256,
    sidecar: sidecar as never,
  }));
}

/** A registry refusal names the artifact file it is about (the registry itself only knows name@version). */
async function withFileName<T>(path: string, registering: Promise<T>): Promise<T> {
  try {
    return await registering;
  } catch (err) {
    if (err instanceof ModelRegistryError && !err.message.includes(path)) throw new ModelRegistryError(err.code, `${path}: ${err.message}`);
    throw err;
  }
}

/** `scoreflow models register FILE [--name --version --format ...]`. */
export async function registerModelFile(path: string, opts: RegisterFileOptions = {}): Promise<{ model: ModelVersionRecord; created: boolean; file: string }> {
  if (!existsSync(path)) throw new ModelRegistryError('NOT_FOUND', `${path}: no such artifact file`);
  const result = await registerModelBytes(new Uint8Array(readFileSync(path)), path, opts);
  return { ...result, file: basename(path) };
}

/** `scoreflow models list [NAME]`. */
export async function listModels(name?: string): Promise<ModelVersionRecord[]> {
  return list(name);
}

/** `scoreflow models promote NAME VERSION --reason R --operator O`. */
export async function promoteModel(name: string, version: string, reason: string, operator: string) {
  return promote(name, version, { operator, reason });
}
