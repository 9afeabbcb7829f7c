/**
 * Rollback as activities: check a target against the registry before a run uses it, and move the
 * pipeline's champion pointer (audited, idempotent per run and cycle) once the rollback cycle has
 * published. A rejected target is returned, not thrown, so the workflow can surface it in `status`
 * and keep waiting for a valid decision instead of failing the run.
 */
import { getPool } from '../store/db.ts';
import { pipelineOf, type PipelineRef } from '../run/pipeline.ts';
import { ModelRegistryError, rollbackTargets, setPipelineChampion, validateRollbackTarget } from './registry.ts';
import type { RollbackTargetsView } from '../../workflows/messages.ts';
import type { ModelTarget } from './resolve-model.ts';

export interface ValidateRollbackInput extends PipelineRef {
  to: ModelTarget;
  snapshotId: string;
}

export type ValidateRollbackResult = { ok: true; target: string } | { ok: false; error: string };

async function snapshotFeatureSet(snapshotId: string): Promise<string | undefined> {
  const { rows } = await getPool().query<{ feature_set_version: string }>('SELECT feature_set_version FROM feature_snapshot WHERE snapshot_id = $1', [snapshotId]);
  return rows[0]?.feature_set_version;
}

export async function validateRollbackTargetActivity(input: ValidateRollbackInput): Promise<ValidateRollbackResult> {
  const cfg = pipelineOf(input);
  const featureSet = await snapshotFeatureSet(input.snapshotId);
  if (!featureSet) return { ok: false, error: `feature snapshot ${input.snapshotId} does not exist; the run has not extracted features yet` };
  const to = 'modelVersion' in input.to ? { modelVersion: input.to.modelVersion, modelName: cfg.model.name } : input.to;
  try {
    const valid = await validateRollbackTarget(cfg.name, to, featureSet);
    if (valid.policy === 'rules') return { ok: true, target: valid.rules ? `rules ${valid.rules.version}` : 'rules (pipeline fallbackPolicy)' };
    return { ok: true, target: `${valid.model.name}@${valid.model.version}` };
  } catch (err) {
    if (err instanceof ModelRegistryError) return { ok: false, error: err.message };
    throw err;
  }
}

/**
 * The rollback targets of a run, for the workflow's synchronous update validator: it refuses an
 * unknown version at receipt, listing these. Refreshed whenever the run pauses or opens its window.
 */
export async function rollbackTargetsActivity(input: PipelineRef & { snapshotId: string }): Promise<RollbackTargetsView> {
  const cfg = pipelineOf(input);
  const featureSet = await snapshotFeatureSet(input.snapshotId);
  if (!featureSet) throw new ModelRegistryError('INVALID_TARGET', `feature snapshot ${input.snapshotId} does not exist`);
  const t = await rollbackTargets(cfg.model.name, featureSet, Boolean(cfg.fallbackPolicy));
  return { modelName: cfg.model.name, featureSetVersion: featureSet, ...t };
}

export interface SetChampionInput extends PipelineRef {
  to: ModelTarget;
  operator: string;
  reason: string;
  runId: string;
  idempotencyKey: string;
}

export async function setChampionActivity(input: SetChampionInput): Promise<{ changed: boolean; champion: string }> {
  const cfg = pipelineOf(input);
  const target = 'modelVersion' in input.to ? { modelName: cfg.model.name, version: input.to.modelVersion } : { policy: 'rules' as const, modelName: cfg.model.name };
  const res = await setPipelineChampion(cfg.name, target, {
    operator: input.operator,
    reason: input.reason,
    runId: input.runId,
    idempotencyKey: input.idempotencyKey,
  });
  const c = res.champion;
  return { changed: res.changed, champion: c.policy === 'rules' ? 'rules' : `${c.modelName}@${c.version}` };
}
