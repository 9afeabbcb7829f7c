/**
 * The model registry: immutable artifacts addressed by sha256 (model_artifact, plus the ONNX sidecar in
 * model_artifact_sidecar), versions with status and metadata (model_version), the per-pipeline champion
 * pointer (pipeline_champion), and an operator_audit row for every promotion, retirement and pointer change.
 *
 * Statuses: one `champion` per model; promoting another version demotes the old champion to
 * `candidate`, not `retired`, so it stays a valid rollback target. `retired` is an explicit operator
 * decision (`retire`): a retired version is never a rollback or pipeline target until promoted again.
 *
 * Registration validates everything first (options, digest, parse, feature set, ONNX inputs, declared
 * identity) and then writes artifact, sidecar and version in one transaction: a refusal leaves nothing.
 */
import type pg from 'pg';
import {
  ChampionTarget,
  OperatorAction,
  RegisterOptions,
  RollbackTarget,
  featureNamesFor,
  type ArtifactFormat,
  type ModelMetrics,
  type VersionStatus,
} from '../../contracts/model-artifact.ts';
import { getPool, withTransaction } from '../store/db.ts';
import { logger } from '../observability/logger.ts';
import { artifactSha256 } from './artifact-digest.ts';
import { loadScorer } from './load-scorer.ts';
import { InvalidArtifactError, describeIssues, type Scorer } from './scorer.ts';

/** The registry name under which rules policies are registered. */
export const RULES_POLICY_NAME = 'rules-fallback';

export type RegistryErrorCode =
  | 'INVALID_OPTIONS'
  | 'INVALID_ARTIFACT'
  | 'DIGEST_MISMATCH'
  | 'IDENTITY_MISMATCH'
  | 'VERSION_CONFLICT'
  | 'SIDECAR_CONFLICT'
  | 'NOT_FOUND'
  | 'INVALID_TARGET';

/** A refused registry operation. Bad input: not retryable. */
export class ModelRegistryError extends Error {
  override readonly name = 'ModelRegistryError';
  constructor(
    readonly code: RegistryErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface ModelVersionRecord {
  name: string;
  version: string;
  sha256: string;
  format: ArtifactFormat;
  featureSetVersion: string;
  metrics: ModelMetrics;
  trainedAt: string | null;
  owner: string | null;
  status: VersionStatus;
  registeredAt: string;
}

export interface PipelineChampion {
  pipeline: string;
  policy: 'model' | 'rules';
  /** The pipeline's model name (kept while the rules policy is active, for rolling forward again). */
  modelName: string;
  version: string | null;
  updatedAt: string;
}

export type ValidRollbackTarget = { policy: 'rules'; rules: ModelVersionRecord | null } | { policy: 'model'; model: ModelVersionRecord };

/** Who did it and why; `idempotencyKey` makes a retried call write its audit row once. */
export interface AuditedAction {
  operator: string;
  reason: string;
  runId?: string;
  idempotencyKey?: string;
}

interface VersionRow {
  model_name: string;
  version: string;
  sha256: string;
  format: ArtifactFormat;
  feature_set_version: string;
  metrics: ModelMetrics;
  trained_at: Date | null;
  owner: string | null;
  status: VersionStatus;
  registered_at: Date;
}

const VERSION_COLUMNS = 'model_name, version, sha256, format, feature_set_version, metrics, trained_at, owner, status, registered_at';

function toRecord(r: VersionRow): ModelVersionRecord {
  return {
    name: r.model_name,
    version: r.version,
    sha256: r.sha256,
    format: r.format,
    featureSetVersion: r.feature_set_version,
    metrics: r.metrics ?? {},
    trainedAt: r.trained_at ? r.trained_at.toISOString() : null,
    owner: r.owner,
    status: r.status,
    registeredAt: r.registered_at.toISOString(),
  };
}

/** JSON with object keys sorted, to compare documents that went through jsonb. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

function parseAction(action: AuditedAction): AuditedAction {
  const parsed = OperatorAction.safeParse(action);
  if (!parsed.success) throw new ModelRegistryError('INVALID_OPTIONS', `operator action: ${describeIssues(parsed.error.issues)}; give an operator and a reason`);
  return action;
}

async function writeAudit(
  client: pg.PoolClient,
  a: { pipeline: string | null; action: string; payload: unknown } & AuditedAction,
): Promise<void> {
  await client.query(
    `INSERT INTO operator_audit (run_id, pipeline, action, operator, reason, payload, idempotency_key)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (idempotency_key) DO NOTHING`,
    [a.runId ?? null, a.pipeline, a.action, a.operator, a.reason, JSON.stringify(a.payload), a.idempotencyKey ?? null],
  );
}

async function versionsOf(db: pg.Pool | pg.PoolClient, name: string, lock = false): Promise<VersionRow[]> {
  const { rows } = await db.query<VersionRow>(
    `SELECT ${VERSION_COLUMNS} FROM model_version WHERE model_name = $1 ORDER BY registered_at, version${lock ? ' FOR UPDATE' : ''}`,
    [name],
  );
  return rows;
}

function listVersions(rows: VersionRow[], filter: (r: VersionRow) => boolean = () => true): string {
  const picked = rows.filter(filter).map((r) => `${r.version} (${r.status}, feature set ${r.feature_set_version})`);
  return picked.length ? picked.join(', ') : 'none';
}

/** Validates artifact bytes for registration and returns the scorer they load into. Writes nothing. */
export async function validateArtifact(bytes: Uint8Array, opts: RegisterOptions): Promise<{ sha256: string; scorer: Scorer; options: RegisterOptions & { metrics: ModelMetrics } }> {
  const parsed = RegisterOptions.safeParse(opts);
  if (!parsed.success) throw new ModelRegistryError('INVALID_OPTIONS', `register options: ${describeIssues(parsed.error.issues)}`);
  const o = parsed.data;
  const sha256 = artifactSha256(bytes);
  if (o.expectedSha256 && o.expectedSha256 !== sha256) {
    throw new ModelRegistryError(
      'DIGEST_MISMATCH',
      `${o.name}@${o.version}: the artifact bytes hash to sha256 ${sha256}, but ${o.expectedSha256} was expected; the file was altered or is not the trained one. Re-export it, or correct the expected digest.`,
    );
  }
  if (!featureNamesFor(o.featureSetVersion)) {
    throw new ModelRegistryError('INVALID_OPTIONS', `${o.name}@${o.version}: feature set version ${o.featureSetVersion} is unknown to this build`);
  }
  if (o.format === 'onnx' && !o.sidecar) {
    throw new ModelRegistryError('INVALID_ARTIFACT', `${o.name}@${o.version}: an onnx artifact needs its sidecar (input_name, output_name, features)`);
  }
  const metadata = o.format === 'onnx' ? o.sidecar : { model_id: o.name, version: o.version, feature_set_version: o.featureSetVersion };
  let scorer: Scorer;
  try {
    scorer = await loadScorer(bytes, o.format, metadata);
  } catch (err) {
    if (err instanceof InvalidArtifactError) throw new ModelRegistryError('INVALID_ARTIFACT', `${o.name}@${o.version}: ${err.message}`);
    throw err;
  }
  const declared = { name: scorer.modelId, version: scorer.version, featureSetVersion: scorer.featureSetVersion };
  for (const k of ['name', 'version', 'featureSetVersion'] as const) {
    if (declared[k] !== o[k]) {
      throw new ModelRegistryError(
        'IDENTITY_MISMATCH',
        `the artifact declares ${k} "${declared[k]}" but is being registered with ${k} "${o[k]}"; register it as ${declared.name}@${declared.version} (feature set ${declared.featureSetVersion}) or fix the artifact`,
      );
    }
  }
  return { sha256, scorer, options: o };
}

/**
 * Registers an artifact version. Same bytes under an existing name and version: a no-op
 * (`created: false`). Different bytes: refused, naming both digests.
 */
export async function register(bytes: Uint8Array, opts: RegisterOptions): Promise<{ model: ModelVersionRecord; created: boolean }> {
  const { sha256, options: o } = await validateArtifact(bytes, opts);
  const conflict = (existing: string) =>
    new ModelRegistryError(
      'VERSION_CONFLICT',
      `${o.name}@${o.version} is already registered with sha256 ${existing}; these bytes are sha256 ${sha256}. Versions are immutable: register the new artifact under a new version.`,
    );
  const result = await withTransaction(async (client) => {
    const existing = await client.query<VersionRow>(`SELECT ${VERSION_COLUMNS} FROM model_version WHERE model_name = $1 AND version = $2`, [o.name, o.version]);
    if (existing.rows[0]) {
      if (existing.rows[0].sha256 !== sha256) throw conflict(existing.rows[0].sha256);
      return { model: toRecord(existing.rows[0]), created: false };
    }
    await client.query('INSERT INTO model_artifact (sha256, format, bytes, size) VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING', [
      sha256,
      o.format,
      Buffer.from(bytes),
      bytes.byteLength,
    ]);
    const stored = await client.query<{ format: string }>('SELECT format FROM model_artifact WHERE sha256 = $1', [sha256]);
    if (stored.rows[0]?.format !== o.format) {
      throw new ModelRegistryError('INVALID_ARTIFACT', `artifact sha256 ${sha256} is already registered as ${stored.rows[0]?.format}, not ${o.format}`);
    }
    if (o.sidecar) {
      await client.query('INSERT INTO model_artifact_sidecar (sha256, metadata) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING', [sha256, JSON.stringify(o.sidecar)]);
      const { rows } = await client.query<{ metadata: unknown }>('SELECT metadata FROM model_artifact_sidecar WHERE sha256 = $1', [sha256]);
      if (canonicalJson(rows[0]?.metadata) !== canonicalJson(JSON.parse(JSON.stringify(o.sidecar)))) {
        throw new ModelRegistryError('SIDECAR_CONFLICT', `artifact sha256 ${sha256} is already registered with a different sidecar; an artifact's binding is immutable`);
      }
    }
    const inserted = await client.query<VersionRow>(
      `INSERT INTO model_version (model_name, version, sha256, format, feature_set_version, metrics, trained_at, owner)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (model_name, version) DO NOTHING RETURNING ${VERSION_COLUMNS}`,
      [o.name, o.version, sha256, o.format, o.featureSetVersion, JSON.stringify(o.metrics), o.trainedAt ?? null, o.owner ?? null],
    );
    if (inserted.rows[0]) return { model: toRecord(inserted.rows[0]), created: true };
    // A concurrent registration of the same name and version won the race.
    const again = await client.query<VersionRow>(`SELECT ${VERSION_COLUMNS} FROM model_version WHERE model_name = $1 AND version = $2`, [o.name, o.version]);
    if (again.rows[0]!.sha256 !== sha256) throw conflict(again.rows[0]!.sha256);
    return { model: toRecord(again.rows[0]!), created: false };
  });
  if (result.created) logger().info({ model: o.name, version: o.version, sha256, format: o.format }, 'model registered');
  return result;
}

/** Every registered version (of one model, when named), oldest first. */
export async function list(name?: string): Promise<ModelVersionRecord[]> {
  const { rows } = name
    ? await getPool().query<VersionRow>(`SELECT ${VERSION_COLUMNS} FROM model_version WHERE model_name = $1 ORDER BY registered_at, version`, [name])
    : await getPool().query<VersionRow>(`SELECT ${VERSION_COLUMNS} FROM model_version ORDER BY model_name, registered_at, version`);
  return rows.map(toRecord);
}

export async function get(name: string, version: string): Promise<ModelVersionRecord | undefined> {
  const { rows } = await getPool().query<VersionRow>(`SELECT ${VERSION_COLUMNS} FROM model_version WHERE model_name = $1 AND version = $2`, [name, version]);
  return rows[0] ? toRecord(rows[0]) : undefined;
}

/**
 * Makes a version its model's champion; the previous champion becomes `candidate` (still a valid
 * rollback target). Promoting the current champion again changes nothing and writes no audit row.
 */
export async function promote(name: string, version: string, action: AuditedAction): Promise<{ model: ModelVersionRecord; previousChampion: string | null; changed: boolean }> {
  parseAction(action);
  return withTransaction(async (client) => {
    const rows = await versionsOf(client, name, true);
    const target = rows.find((r) => r.version === version);
    if (!target) throw new ModelRegistryError('NOT_FOUND', `model ${name} has no version ${version}; registered versions: ${listVersions(rows)}`);
    if (target.status === 'champion') return { model: toRecord(target), previousChampion: version, changed: false };
    const previous = rows.find((r) => r.status === 'champion') ?? null;
    if (previous) await client.query(`UPDATE model_version SET status = 'candidate' WHERE model_name = $1 AND version = $2`, [name, previous.version]);
    const { rows: updated } = await client.query<VersionRow>(
      `UPDATE model_version SET status = 'champion' WHERE model_name = $1 AND version = $2 RETURNING ${VERSION_COLUMNS}`,
      [name, version],
    );
    await writeAudit(client, {
      ...action,
      pipeline: null,
      action: 'promote_model',
      payload: { model: name, version, sha256: target.sha256, from_status: target.status, previous_champion: previous?.version ?? null },
    });
    logger().info({ model: name, version, previousChampion: previous?.version ?? null, operator: action.operator }, 'model promoted');
    return { model: toRecord(updated[0]!), previousChampion: previous?.version ?? null, changed: true };
  });
}

/** Retires a version: it is no longer a rollback or pipeline target. A champion cannot be retired. */
export async function retire(name: string, version: string, action: AuditedAction): Promise<ModelVersionRecord> {
  parseAction(action);
  return withTransaction(async (client) => {
    const rows = await versionsOf(client, name, true);
    const target = rows.find((r) => r.version === version);
    if (!target) throw new ModelRegistryError('NOT_FOUND', `model ${name} has no version ${version}; registered versions: ${listVersions(rows)}`);
    if (target.status === 'champion') throw new ModelRegistryError('INVALID_TARGET', `${name}@${version} is the champion; promote another version before retiring it`);
    if (target.status === 'retired') return toRecord(target);
    const { rows: updated } = await client.query<VersionRow>(
      `UPDATE model_version SET status = 'retired' WHERE model_name = $1 AND version = $2 RETURNING ${VERSION_COLUMNS}`,
      [name, version],
    );
    await writeAudit(client, { ...action, pipeline: null, action: 'retire_model', payload: { model: name, version, sha256: target.sha256 } });
    return toRecord(updated[0]!);
  });
}

interface PointerRow {
  pipeline: string;
  model_name: string;
  model_version: string | null;
  policy: 'model' | 'rules';
  updated_at: Date;
}

function toPointer(r: PointerRow): PipelineChampion {
  return { pipeline: r.pipeline, policy: r.policy, modelName: r.model_name, version: r.model_version, updatedAt: r.updated_at.toISOString() };
}

export async function getPipelineChampion(pipeline: string): Promise<PipelineChampion | undefined> {
  const { rows } = await getPool().query<PointerRow>('SELECT pipeline, model_name, model_version, policy, updated_at FROM pipeline_champion WHERE pipeline = $1', [pipeline]);
  return rows[0] ? toPointer(rows[0]) : undefined;
}

/**
 * Points a pipeline at a model version (registered, not retired) or at the rules policy, with an audit
 * row. Setting the pointer it already has changes nothing and writes no audit row.
 */
export async function setPipelineChampion(pipeline: string, target: ChampionTarget, action: AuditedAction): Promise<{ champion: PipelineChampion; previous: PipelineChampion | null; changed: boolean }> {
  parseAction(action);
  const t = ChampionTarget.safeParse(target);
  if (!t.success) throw new ModelRegistryError('INVALID_TARGET', `pipeline ${pipeline}: target ${describeIssues(t.error.issues)}; give {modelName, version} or {policy: 'rules'}`);
  return withTransaction(async (client) => {
    const { rows: prevRows } = await client.query<PointerRow>(
      'SELECT pipeline, model_name, model_version, policy, updated_at FROM pipeline_champion WHERE pipeline = $1 FOR UPDATE',
      [pipeline],
    );
    const prev = prevRows[0] ? toPointer(prevRows[0]) : null;
    let next: { modelName: string; version: string | null; policy: 'model' | 'rules' };
    if ('policy' in t.data) {
      next = { modelName: t.data.modelName ?? prev?.modelName ?? RULES_POLICY_NAME, version: null, policy: 'rules' };
    } else {
      const rows = await versionsOf(client, t.data.modelName);
      const row = rows.find((r) => r.version === (t.data as { version: string }).version);
      if (!row) throw new ModelRegistryError('NOT_FOUND', `model ${t.data.modelName} has no version ${t.data.version}; registered versions: ${listVersions(rows)}`);
      if (row.status === 'retired') throw new ModelRegistryError('INVALID_TARGET', `${row.model_name}@${row.version} is retired; promote it again before pointing pipeline ${pipeline} at it`);
      next = { modelName: row.model_name, version: row.version, policy: 'model' };
    }
    if (prev && prev.policy === next.policy && prev.modelName === next.modelName && prev.version === next.version) {
      return { champion: prev, previous: prev, changed: false };
    }
    const { rows } = await client.query<PointerRow>(
      `INSERT INTO pipeline_champion (pipeline, model_name, model_version, policy, updated_at) VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (pipeline) DO UPDATE SET model_name = EXCLUDED.model_name, model_version = EXCLUDED.model_version, policy = EXCLUDED.policy, updated_at = now()
       RETURNING pipeline, model_name, model_version, policy, updated_at`,
      [pipeline, next.modelName, next.version, next.policy],
    );
    const from = prev ? { policy: prev.policy, model: prev.modelName, version: prev.version } : null;
    await writeAudit(client, { ...action, pipeline, action: 'set_pipeline_champion', payload: { from, to: { policy: next.policy, model: next.modelName, version: next.version } } });
    logger().info({ pipeline, to: next, operator: action.operator }, 'pipeline champion set');
    return { champion: toPointer(rows[0]!), previous: prev, changed: true };
  });
}

/** A pipeline's pin with who set it, when, why and from which run (the latest `set_pipeline_champion` audit row). */
export interface PipelinePin extends PipelineChampion {
  setBy: string | null;
  reason: string | null;
  runId: string | null;
  setAt: string | null;
}

const PIN_SELECT = `SELECT c.pipeline, c.model_name, c.model_version, c.policy, c.updated_at, a.operator, a.reason, a.run_id, a.at
  FROM pipeline_champion c
  LEFT JOIN LATERAL (
    SELECT operator, reason, run_id, at FROM operator_audit
     WHERE pipeline = c.pipeline AND action = 'set_pipeline_champion' ORDER BY id DESC LIMIT 1
  ) a ON true`;

type PinRow = PointerRow & { operator: string | null; reason: string | null; run_id: string | null; at: Date | null };

function toPin(r: PinRow): PipelinePin {
  return { ...toPointer(r), setBy: r.operator, reason: r.reason, runId: r.run_id, setAt: r.at ? r.at.toISOString() : null };
}

/** The pin of one pipeline, with its audit; undefined when the registry champion decides. */
export async function getPipelinePin(pipeline: string): Promise<PipelinePin | undefined> {
  const { rows } = await getPool().query<PinRow>(`${PIN_SELECT} WHERE c.pipeline = $1`, [pipeline]);
  return rows[0] ? toPin(rows[0]) : undefined;
}

/** Every pin, or those of one model name (a rules pin keeps the model name it replaced). */
export async function listPipelinePins(modelName?: string): Promise<PipelinePin[]> {
  const { rows } = modelName
    ? await getPool().query<PinRow>(`${PIN_SELECT} WHERE c.model_name = $1 ORDER BY c.pipeline`, [modelName])
    : await getPool().query<PinRow>(`${PIN_SELECT} ORDER BY c.pipeline`);
  return rows.map(toPin);
}

/**
 * Removes a pipeline's pin so the registry champion decides again, for batch runs and `serve` alike
 * (both resolve through resolveModelActivity). Audited as `unpin_pipeline_champion`; unpinning a
 * pipeline that has no pin changes nothing and writes no audit row.
 */
export async function unpinPipelineChampion(pipeline: string, action: AuditedAction): Promise<{ previous: PipelineChampion | null; changed: boolean }> {
  parseAction(action);
  return withTransaction(async (client) => {
    const { rows } = await client.query<PointerRow>('DELETE FROM pipeline_champion WHERE pipeline = $1 RETURNING pipeline, model_name, model_version, policy, updated_at', [pipeline]);
    const prev = rows[0] ? toPointer(rows[0]) : null;
    if (!prev) return { previous: null, changed: false };
    await writeAudit(client, { ...action, pipeline, action: 'unpin_pipeline_champion', payload: { from: { policy: prev.policy, model: prev.modelName, version: prev.version } } });
    logger().info({ pipeline, from: prev, operator: action.operator }, 'pipeline champion unpinned');
    return { previous: prev, changed: true };
  });
}

/**
 * Checks a rollback target before a run uses it: the version must exist, not be retired, and share
 * the feature set version of the snapshot it will score. The model name is the target's, else the
 * pipeline pointer's. For the rules policy: when rules policies are registered, one must be on the
 * snapshot's feature set (none registered is accepted: the pipeline's fallbackPolicy file is
 * registered on first use).
 */
/**
 * What a run on `featureSetVersion` may roll back to: the non-retired versions of `modelName` trained
 * on that feature set, and whether a rules policy fits it (a registered one on that feature set, or,
 * when none is registered yet, the pipeline's fallbackPolicy file).
 */
export async function rollbackTargets(modelName: string, featureSetVersion: string, hasFallbackFile: boolean): Promise<{ versions: string[]; rules: boolean }> {
  const pool = getPool();
  const versions = (await versionsOf(pool, modelName)).filter((r) => r.status !== 'retired' && r.feature_set_version === featureSetVersion).map((r) => r.version);
  const rules = (await versionsOf(pool, RULES_POLICY_NAME)).filter((r) => r.status !== 'retired');
  return { versions, rules: rules.length === 0 ? hasFallbackFile : rules.some((r) => r.feature_set_version === featureSetVersion) };
}

export async function validateRollbackTarget(pipeline: string, target: RollbackTarget, featureSetVersion: string): Promise<ValidRollbackTarget> {
  const t = RollbackTarget.safeParse(target);
  if (!t.success) throw new ModelRegistryError('INVALID_TARGET', `rollback target: ${describeIssues(t.error.issues)}; give {modelVersion} or {policy: 'rules'}`);
  const pool = getPool();
  if ('policy' in t.data) {
    const rules = (await versionsOf(pool, RULES_POLICY_NAME)).filter((r) => r.status !== 'retired');
    if (rules.length === 0) return { policy: 'rules', rules: null };
    const fitting = rules.filter((r) => r.feature_set_version === featureSetVersion);
    if (fitting.length === 0) {
      throw new ModelRegistryError('INVALID_TARGET', `no registered rules policy is on feature set ${featureSetVersion}; registered: ${listVersions(rules)}`);
    }
    return { policy: 'rules', rules: toRecord(fitting[fitting.length - 1]!) };
  }
  const wanted = t.data;
  const modelName = wanted.modelName ?? (await getPipelineChampion(pipeline))?.modelName;
  if (!modelName || modelName === RULES_POLICY_NAME) {
    throw new ModelRegistryError('INVALID_TARGET', `pipeline ${pipeline} has no model champion to take the model name from; give modelName with the version`);
  }
  const rows = await versionsOf(pool, modelName);
  const valid = (r: VersionRow) => r.status !== 'retired' && r.feature_set_version === featureSetVersion;
  const row = rows.find((r) => r.version === wanted.modelVersion);
  if (!row) {
    throw new ModelRegistryError('INVALID_TARGET', `model ${modelName} has no version ${wanted.modelVersion}; valid rollback targets for feature set ${featureSetVersion}: ${listVersions(rows, valid)}`);
  }
  if (row.status === 'retired') {
    throw new ModelRegistryError('INVALID_TARGET', `${modelName}@${row.version} is retired; valid rollback targets: ${listVersions(rows, valid)}`);
  }
  if (row.feature_set_version !== featureSetVersion) {
    throw new ModelRegistryError(
      'INVALID_TARGET',
      `${modelName}@${row.version} was trained on feature set ${row.feature_set_version}, the snapshot is ${featureSetVersion}; valid rollback targets: ${listVersions(rows, valid)}`,
    );
  }
  return { policy: 'model', model: toRecord(row) };
}
