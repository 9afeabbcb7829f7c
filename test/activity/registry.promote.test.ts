import { afterAll, describe, expect, it } from 'vitest';
import { closePools, getPool } from '../../activities/store/db.ts';
import { ModelRegistryError, get, promote, register, retire } from '../../activities/scoring/registry.ts';
import { promoteModel } from '../../activities/scoring/model-operations.ts';
import { logregAs, uniqueName } from '../helpers/committed-models.ts';

afterAll(closePools);

async function registerVersions(name: string, versions: string[]) {
  for (const v of versions) await register(logregAs(name, v), { name, version: v, format: 'logreg-json', featureSetVersion: '1.0.0' });
}

async function auditRows(name: string) {
  const { rows } = await getPool().query<{ action: string; operator: string; reason: string; payload: Record<string, unknown> }>(
    "SELECT action, operator, reason, payload FROM operator_audit WHERE payload->>'model' = $1 ORDER BY id",
    [name],
  );
  return rows;
}

describe('promote', () => {
  it('makes a version champion, demotes the previous champion to candidate, and audits each change once', async () => {
    const name = uniqueName('promo');
    await registerVersions(name, ['1.0.0', '2.0.0']);
    const first = await promote(name, '1.0.0', { operator: 'ana', reason: 'first model' });
    expect(first).toMatchObject({ changed: true, previousChampion: null, model: { status: 'champion' } });

    const second = await promoteModel(name, '2.0.0', 'better AUC on holdout', 'ben');
    expect(second).toMatchObject({ changed: true, previousChampion: '1.0.0', model: { version: '2.0.0', status: 'champion' } });
    expect((await get(name, '1.0.0'))!.status).toBe('candidate');

    const repeat = await promote(name, '2.0.0', { operator: 'ben', reason: 'retry' });
    expect(repeat.changed).toBe(false);

    const audit = await auditRows(name);
    expect(audit).toHaveLength(2);
    expect(audit[1]).toMatchObject({
      action: 'promote_model',
      operator: 'ben',
      reason: 'better AUC on holdout',
      payload: { model: name, version: '2.0.0', from_status: 'candidate', previous_champion: '1.0.0', sha256: (await get(name, '2.0.0'))!.sha256 },
    });
    const champions = await getPool().query("SELECT version FROM model_version WHERE model_name = $1 AND status = 'champion'", [name]);
    expect(champions.rows).toEqual([{ version: '2.0.0' }]);
  });

  it('refuses an unknown version, listing the registered ones, and an action without a reason', async () => {
    const name = uniqueName('promo');
    await registerVersions(name, ['1.0.0']);
    await expect(promote(name, '1.1.0', { operator: 'ana', reason: 'x' })).rejects.toThrow(/has no version 1.1.0; registered versions: 1.0.0 \(candidate, feature set 1.0.0\)/);
    const err = await promote(name, '1.0.0', { operator: 'ana', reason: '' }).catch((e: unknown) => e);
    expect((err as ModelRegistryError).code).toBe('INVALID_OPTIONS');
    expect(await auditRows(name)).toHaveLength(0);
  });

  it('retires a non-champion version with an audit row, and refuses to retire the champion', async () => {
    const name = uniqueName('retire');
    await registerVersions(name, ['1.0.0', '2.0.0']);
    await promote(name, '2.0.0', { operator: 'ana', reason: 'go' });
    await expect(retire(name, '2.0.0', { operator: 'ana', reason: 'x' })).rejects.toThrow(/is the champion; promote another version/);
    expect((await retire(name, '1.0.0', { operator: 'ana', reason: 'leaks a feature' })).status).toBe('retired');
    expect((await auditRows(name)).map((r) => r.action)).toEqual(['promote_model', 'retire_model']);
  });
});
