import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closePools, getPool } from '../../activities/store/db.ts';
import { ModelRegistryError, getPipelineChampion, register, retire, setPipelineChampion, validateRollbackTarget } from '../../activities/scoring/registry.ts';
import { logregAs, uniqueName } from '../helpers/committed-models.ts';

afterAll(closePools);

const name = uniqueName('rb');
const pipeline = uniqueName('pipe');
const who = { operator: 'ops', reason: 'incident 42' };

beforeAll(async () => {
  for (const v of ['1.0.0', '2.0.0', '2.1.0']) {
    await register(logregAs(name, v), { name, version: v, format: 'logreg-json', featureSetVersion: '1.0.0' });
  }
  // A version trained on an older feature set (this build cannot load such an artifact, so it is written directly).
  const sha = (await getPool().query<{ sha256: string }>('SELECT sha256 FROM model_version WHERE model_name = $1 AND version = $2', [name, '1.0.0'])).rows[0]!.sha256;
  await getPool().query(
    "INSERT INTO model_version (model_name, version, sha256, format, feature_set_version) VALUES ($1, '0.9.0', $2, 'logreg-json', '0.9.0')",
    [name, sha],
  );
  await retire(name, '2.1.0', { operator: 'ops', reason: 'bad calibration' });
});

async function refused(p: Promise<unknown>): Promise<string> {
  const err = await p.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ModelRegistryError);
  expect((err as ModelRegistryError).code).toBe('INVALID_TARGET');
  return (err as Error).message;
}

describe('setPipelineChampion and getPipelineChampion', () => {
  it('points the pipeline at a version, then at rules, auditing each change once', async () => {
    expect(await getPipelineChampion(pipeline)).toBeUndefined();
    const set = await setPipelineChampion(pipeline, { modelName: name, version: '2.0.0' }, who);
    expect(set).toMatchObject({ changed: true, previous: null, champion: { pipeline, policy: 'model', modelName: name, version: '2.0.0' } });
    expect((await setPipelineChampion(pipeline, { modelName: name, version: '2.0.0' }, who)).changed).toBe(false);
    const rules = await setPipelineChampion(pipeline, { policy: 'rules' }, { operator: 'ops', reason: 'model degraded' });
    expect(rules.champion).toMatchObject({ policy: 'rules', modelName: name, version: null });
    expect(await getPipelineChampion(pipeline)).toMatchObject({ policy: 'rules', modelName: name });

    const { rows } = await getPool().query<{ action: string; reason: string; payload: unknown }>(
      'SELECT action, reason, payload FROM operator_audit WHERE pipeline = $1 ORDER BY id',
      [pipeline],
    );
    expect(rows).toEqual([
      { action: 'set_pipeline_champion', reason: 'incident 42', payload: { from: null, to: { policy: 'model', model: name, version: '2.0.0' } } },
      {
        action: 'set_pipeline_champion',
        reason: 'model degraded',
        payload: { from: { policy: 'model', model: name, version: '2.0.0' }, to: { policy: 'rules', model: name, version: null } },
      },
    ]);
  });

  it('refuses unknown and retired versions without touching the pointer', async () => {
    const before = await getPipelineChampion(pipeline);
    await expect(setPipelineChampion(pipeline, { modelName: name, version: '7.0.0' }, who)).rejects.toThrow(/has no version 7.0.0/);
    expect(await refused(setPipelineChampion(pipeline, { modelName: name, version: '2.1.0' }, who))).toMatch(/is retired/);
    expect(await getPipelineChampion(pipeline)).toEqual(before);
  });
});

describe('validateRollbackTarget', () => {
  it('accepts a registered version on the snapshot feature set, taking the model name from the pipeline pointer', async () => {
    const ok = await validateRollbackTarget(pipeline, { modelVersion: '1.0.0' }, '1.0.0');
    expect(ok).toMatchObject({ policy: 'model', model: { name, version: '1.0.0', featureSetVersion: '1.0.0' } });
    expect(await validateRollbackTarget('no-such-pipeline', { modelVersion: '2.0.0', modelName: name }, '1.0.0')).toMatchObject({ policy: 'model' });
  });

  it('rejects a version that does not exist, listing the valid targets', async () => {
    const msg = await refused(validateRollbackTarget(pipeline, { modelVersion: '3.0.0' }, '1.0.0'));
    expect(msg).toContain(`model ${name} has no version 3.0.0`);
    expect(msg).toContain('1.0.0 (candidate, feature set 1.0.0), 2.0.0 (candidate, feature set 1.0.0)');
    expect(msg).not.toContain('2.1.0');
    expect(msg).not.toContain('0.9.0');
  });

  it("rejects a version trained on another feature set than the snapshot's", async () => {
    const msg = await refused(validateRollbackTarget(pipeline, { modelVersion: '0.9.0' }, '1.0.0'));
    expect(msg).toMatch(/0.9.0 was trained on feature set 0.9.0, the snapshot is 1.0.0; valid rollback targets: 1.0.0/);
    expect(await refused(validateRollbackTarget(pipeline, { modelVersion: '1.0.0' }, '2.0.0'))).toMatch(/trained on feature set 1.0.0, the snapshot is 2.0.0; valid rollback targets: none/);
  });

  it('rejects retired versions, malformed targets and a pipeline without a model name', async () => {
    expect(await refused(validateRollbackTarget(pipeline, { modelVersion: '2.1.0' }, '1.0.0'))).toMatch(/is retired/);
    expect(await refused(validateRollbackTarget(pipeline, { modelVersion: 'latest' } as never, '1.0.0'))).toMatch(/semantic version/);
    expect(await refused(validateRollbackTarget(uniqueName('fresh'), { modelVersion: '1.0.0' }, '1.0.0'))).toMatch(/give modelName/);
  });

  it('accepts the rules policy', async () => {
    expect((await validateRollbackTarget(pipeline, { policy: 'rules' }, '1.0.0')).policy).toBe('rules');
  });
});
