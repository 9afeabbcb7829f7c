/**
 * One model view per pipeline. A rollback to rules pins the pipeline (pipeline_champion, set the way
 * the rollback workflow sets it: audited, with its run id); promoting 2.0.0 afterwards must not pretend
 * to change what the pipeline scores with: `models status` shows the pin, `promote` warns, and only
 * after `models unpin` (audited) do the batch path (resolveModelActivity, what activationRun calls) and
 * a real `serve` both use 2.0.0.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closePools, getPool } from '../../activities/store/db.ts';
import { setPipelineChampion } from '../../activities/scoring/registry.ts';
import { promoteModel, registerModelFile } from '../../activities/scoring/model-operations.ts';
import { setChampionActivity } from '../../activities/scoring/rollback-activities.ts';
import { resolveModelActivity } from '../../activities/scoring/resolve-model.ts';
import { startServe } from '../../cli/commands/serve.ts';
import { logregAs, uniqueName } from '../helpers/committed-models.ts';
import { writeTestPipeline } from '../helpers/pipeline.ts';
import { runCli } from '../helpers/run-cli.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await closePools();
});

/** The model a real `serve` (events on) loads for the pipeline: what it re-scores with. */
async function serveModel(pipelinePath: string): Promise<{ modelId: string; version: string; source: string }> {
  const serve = await startServe({
    port: '0',
    host: '127.0.0.1',
    pipeline: pipelinePath,
    redis: 'redis://127.0.0.1:6379',
    namespace: uniqueName('pin-serve'),
    events: true,
    staleAfter: '30m',
    readTimeoutMs: '200',
    ecidMapping: 'explicit',
    webhookSecretEnv: 'UNUSED_PIN_SECRET',
    natsStream: 'UNUSED',
    natsSubject: 'unused',
    metricsPort: 'off',
    metricsHost: '127.0.0.1',
  });
  try {
    return serve.scorer;
  } finally {
    await serve.close();
  }
}

describe('scoreflow models status / promote / unpin', () => {
  it('shows a rollback pin, warns on promote, and after unpin batch and serve both use the new champion', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scoreflow-pin-'));
    dirs.push(dir);
    const name = uniqueName('pin');
    writeFileSync(join(dir, 'v1.json'), logregAs(name, '1.0.0'));
    writeFileSync(join(dir, 'v2.json'), logregAs(name, '2.0.0', (a) => (a.intercept = (a.intercept as number) + 0.02)));
    // Registered in-process (`models register` has its own tests): the CLI calls below are the subject.
    await registerModelFile(join(dir, 'v1.json'));
    await registerModelFile(join(dir, 'v2.json'));
    await promoteModel(name, '1.0.0', 'first champion', 'ana');
    const p = writeTestPipeline({ model: { name }, online: { enabled: false } }, uniqueName('pin-p'));
    dirs.push(p.dir);

    // What `scoreflow rollback --to rules` does on the run it starts (setChampionActivity).
    const runId = `rollback-${name}`;
    await setChampionActivity({ pipelinePath: p.path, to: { policy: 'rules' }, operator: 'oncall-ana', reason: 'incident 7: scores inverted', runId, idempotencyKey: `${runId}:champion` });

    const promoted = await runCli(['models', 'promote', name, '2.0.0', '--reason', 'better auc', '--operator', 'ana', '--json']);
    expect(promoted.code).toBe(0);
    expect(promoted.json).toMatchObject({ ok: true, changed: true, previousChampion: '1.0.0', unpinned: [], pinnedPipelines: [{ pipeline: p.name, policy: 'rules', setBy: 'oncall-ana', runId }] });
    expect(promoted.json.warnings).toHaveLength(1);
    expect(promoted.stderr).toContain(`scoreflow: warning: pipeline ${p.name} is pinned to the rules policy by oncall-ana`);
    expect(promoted.stderr).toContain('--unpin');
    const human = await runCli(['models', 'status', '--pipeline', p.path]);
    expect(human.stdout).toContain(`registry champion: ${name}@2.0.0`);
    expect(human.stdout).toMatch(/pin: +pinned to the rules policy by oncall-ana at .* \(reason: incident 7: scores inverted\) from run rollback-/);
    expect(human.stdout).toMatch(/next batch run: +the rules policy/);

    const status = await runCli(['models', 'status', '--pipeline', p.path, '--json']);
    expect(status.json).toMatchObject({
      pipeline: p.name,
      registryChampion: { name, version: '2.0.0', status: 'champion' },
      pin: { policy: 'rules', modelName: name, version: null, setBy: 'oncall-ana', reason: 'incident 7: scores inverted', runId },
      next: { batch: { source: 'pin', policy: 'rules' }, serve: { source: 'pin', policy: 'rules' } },
    });
    expect((await runCli(['models', 'list', '--name', name])).stdout).toContain(`${p.name}`);
    // While pinned, the batch path and serve both score with the rules policy, not 2.0.0.
    const pinnedBatch = await resolveModelActivity({ pipelinePath: p.path });
    expect(pinnedBatch).toMatchObject({ policy: 'rules', modelName: 'rules-fallback' });
    expect(await serveModel(p.path)).toEqual({ modelId: 'rules-fallback', version: pinnedBatch.version, source: 'pin' });

    const unpin = await runCli(['models', 'unpin', '--pipeline', p.path, '--reason', 'fixed in 2.0.0', '--operator', 'ana', '--json']);
    expect(unpin.code).toBe(0);
    expect(unpin.json).toMatchObject({ ok: true, changed: true, previous: { policy: 'rules' }, next: { source: 'registry-champion', version: '2.0.0' } });
    const audit = await getPool().query("SELECT operator, reason, payload FROM operator_audit WHERE pipeline = $1 AND action = 'unpin_pipeline_champion'", [p.name]);
    expect(audit.rows).toEqual([{ operator: 'ana', reason: 'fixed in 2.0.0', payload: { from: { policy: 'rules', model: name, version: null } } }]);

    const after = await runCli(['models', 'status', '--pipeline', p.path, '--json']);
    expect(after.json).toMatchObject({ pin: null, next: { batch: { source: 'registry-champion', version: '2.0.0' } } });
    const batch = await resolveModelActivity({ pipelinePath: p.path });
    const served = await serveModel(p.path);
    expect(batch).toMatchObject({ modelName: name, version: '2.0.0', policy: 'model' });
    expect(served).toEqual({ modelId: name, version: '2.0.0', source: 'registry-champion' });
  }, 900_000);

  it('promote --unpin removes the pins of the pipelines on that model, audited with the promote reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scoreflow-pin-'));
    dirs.push(dir);
    const name = uniqueName('pin');
    writeFileSync(join(dir, 'v1.json'), logregAs(name, '1.0.0'));
    writeFileSync(join(dir, 'v11.json'), logregAs(name, '1.1.0', (a) => (a.intercept = (a.intercept as number) + 0.01)));
    await registerModelFile(join(dir, 'v1.json'));
    await registerModelFile(join(dir, 'v11.json'));
    const p = writeTestPipeline({ model: { name }, online: { enabled: false } }, uniqueName('pin-u'));
    dirs.push(p.dir);
    await setPipelineChampion(p.name, { modelName: name, version: '1.0.0' }, { operator: 'oncall', reason: 'roll back', runId: 'r1' });
    const res = await runCli(['models', 'promote', name, '1.1.0', '--reason', 'fixed', '--operator', 'ana', '--unpin', '--json']);
    expect(res.json).toMatchObject({ ok: true, unpinned: [p.name], pinnedPipelines: [], warnings: [] });
    expect(await resolveModelActivity({ pipelinePath: p.path })).toMatchObject({ version: '1.1.0' });
    const audit = await getPool().query("SELECT operator, reason FROM operator_audit WHERE pipeline = $1 AND action = 'unpin_pipeline_champion'", [p.name]);
    expect(audit.rows).toEqual([{ operator: 'ana', reason: 'fixed' }]);
  }, 600_000);
});
