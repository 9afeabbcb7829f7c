/**
 * Which model scores a cycle: an explicit target (rollback or a run's `model` input), else the
 * pipeline's champion pointer, else the registry's champion for the model name, else the pipeline's
 * default artifact (registered on first use). Returns a small reference; artifacts stay in Postgres.
 */
import { readFileSync } from 'node:fs';
import { ApplicationFailure } from '@temporalio/common';
import { getPool } from '../store/db.ts';
import { pipelineOf, type PipelineRef } from '../run/pipeline.ts';
import { registerArtifactBytes } from './register-default.ts';

export interface ResolvedModel {
  modelName: string;
  version: string;
  sha256: string;
  format: string;
  policy: 'model' | 'rules';
  featureSetVersion: string;
  calibrated: boolean;
}

export type ModelTarget = { modelVersion: string } | { policy: 'rules' };

interface VersionRow {
  model_name: string;
  version: string;
  sha256: string;
  format: string;
  feature_set_version: string;
  metrics: { calibrated?: boolean; calibration?: { slope?: number } };
}

async function versionRow(name: string, version: string): Promise<VersionRow | undefined> {
  const { rows } = await getPool().query<VersionRow>(
    'SELECT model_name, version, sha256, format, feature_set_version, metrics FROM model_version WHERE model_name = $1 AND version = $2',
    [name, version],
  );
  return rows[0];
}

function toResolved(row: VersionRow, policy: 'model' | 'rules'): ResolvedModel {
  const slope = row.metrics?.calibration?.slope;
  return {
    modelName: row.model_name,
    version: row.version,
    sha256: row.sha256,
    format: row.format,
    policy,
    featureSetVersion: row.feature_set_version,
    calibrated: row.metrics?.calibrated ?? (typeof slope === 'number' && Math.abs(slope - 1) < 0.2),
  };
}

export async function validVersions(name: string): Promise<string[]> {
  const { rows } = await getPool().query<{ version: string }>('SELECT version FROM model_version WHERE model_name = $1 ORDER BY registered_at', [name]);
  return rows.map((r) => r.version);
}

export const RULES_MODEL_NAME = 'rules-fallback';

async function resolveRules(fallbackPolicy: string | undefined, pipeline: string): Promise<ResolvedModel> {
  const { rows } = await getPool().query<VersionRow>(
    "SELECT model_name, version, sha256, format, feature_set_version, metrics FROM model_version WHERE model_name = $1 ORDER BY registered_at DESC LIMIT 1",
    [RULES_MODEL_NAME],
  );
  if (rows[0]) return toResolved(rows[0], 'rules');
  if (!fallbackPolicy) {
    throw ApplicationFailure.nonRetryable(`pipeline ${pipeline} declares no fallbackPolicy and no rules policy is registered; add fallbackPolicy to the pipeline`, 'InvalidModel');
  }
  const row = await registerArtifactBytes(readFileSync(fallbackPolicy), RULES_MODEL_NAME, 'rules', fallbackPolicy);
  return toResolved(row, 'rules');
}

/** Where the model of a cycle without an explicit target comes from; the one decision batch runs and `serve` share. */
type ModelChoice = { source: 'pin' | 'registry-champion' | 'default-artifact' | 'none'; policy: 'model' | 'rules'; row?: VersionRow };

async function chooseModel(cfg: { name: string; model: { name: string; defaultArtifact?: string } }): Promise<ModelChoice> {
  const pointer = await getPool().query<{ model_version: string | null; policy: 'model' | 'rules' }>(
    'SELECT model_version, policy FROM pipeline_champion WHERE pipeline = $1',
    [cfg.name],
  );
  const p = pointer.rows[0];
  if (p?.policy === 'rules') return { source: 'pin', policy: 'rules' };
  if (p?.model_version) {
    const row = await versionRow(cfg.model.name, p.model_version);
    if (row) return { source: 'pin', policy: 'model', row };
  }
  const champion = await getPool().query<VersionRow>(
    "SELECT model_name, version, sha256, format, feature_set_version, metrics FROM model_version WHERE model_name = $1 AND status = 'champion'",
    [cfg.model.name],
  );
  if (champion.rows[0]) return { source: 'registry-champion', policy: 'model', row: champion.rows[0] };
  if (cfg.model.defaultArtifact) return { source: 'default-artifact', policy: 'model' };
  return { source: 'none', policy: 'model' };
}

/** What the next batch run and `serve` will score with, read without side effects (nothing is registered). */
export interface NextModel {
  source: ModelChoice['source'];
  policy: 'model' | 'rules';
  modelName: string;
  /** null: the rules policy or default artifact is not registered yet (it is on first use), or nothing is available. */
  version: string | null;
}

export async function nextModel(input: PipelineRef): Promise<NextModel> {
  const cfg = pipelineOf(input);
  const choice = await chooseModel(cfg);
  if (choice.source === 'pin' && choice.policy === 'rules') {
    const { rows } = await getPool().query<{ version: string }>('SELECT version FROM model_version WHERE model_name = $1 ORDER BY registered_at DESC LIMIT 1', [RULES_MODEL_NAME]);
    return { source: 'pin', policy: 'rules', modelName: RULES_MODEL_NAME, version: rows[0]?.version ?? null };
  }
  if (choice.row) return { source: choice.source, policy: 'model', modelName: choice.row.model_name, version: choice.row.version };
  return { source: choice.source, policy: 'model', modelName: cfg.model.name, version: choice.source === 'default-artifact' ? (cfg.model.defaultVersion ?? null) : null };
}

export async function resolveModelActivity(input: PipelineRef & { target?: ModelTarget }): Promise<ResolvedModel> {
  const cfg = pipelineOf(input);
  const name = cfg.model.name;
  if (input.target && 'policy' in input.target) return resolveRules(cfg.fallbackPolicy, cfg.name);
  if (input.target && 'modelVersion' in input.target) {
    const row = await versionRow(name, input.target.modelVersion);
    if (!row) {
      throw ApplicationFailure.nonRetryable(
        `model ${name} has no version ${input.target.modelVersion}; valid versions: ${(await validVersions(name)).join(', ') || 'none registered'}`,
        'InvalidModel',
      );
    }
    return toResolved(row, 'model');
  }
  const choice = await chooseModel(cfg);
  if (choice.source === 'pin' && choice.policy === 'rules') return resolveRules(cfg.fallbackPolicy, cfg.name);
  if (choice.row) return toResolved(choice.row, 'model');
  if (choice.source === 'default-artifact' && cfg.model.defaultArtifact) {
    const row = await registerArtifactBytes(readFileSync(cfg.model.defaultArtifact), name, undefined, cfg.model.defaultArtifact, cfg.model.defaultVersion);
    return toResolved(row, 'model');
  }
  throw ApplicationFailure.nonRetryable(
    `pipeline ${cfg.name}: no champion for model ${name} and no defaultArtifact. Register one: scoreflow models register FILE --name ${name} --version V, then promote it.`,
    'InvalidModel',
  );
}
