/**
 * `scoreflow approve|resume|abort|pause --run ID` and `scoreflow rollback --run|--pipeline`, run as
 * the real CLI in a child process against the suite's Temporal dev server, with a real worker and
 * the real activities (the CLI starts its runs on the worker's task queue via SCOREFLOW_TASK_QUEUE).
 * The runs are started by `scoreflow run` with its default settings (no pause timeout, no rollback
 * window) unless a test says otherwise. A feed from three months ago fails the freshness gate, so
 * its run pauses at the gate for an operator.
 *
 * Refusals are checked where they would show if they had been applied: the run's status query
 * (operatorActions, awaiting), its history (accepted update events) and the operator_audit table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { generateFeed } from '../../tools/feed-generator/generator.ts';
import { getPipelineChampion, promote, register } from '../../activities/scoring/registry.ts';
import { closePools, getPool } from '../../activities/store/db.ts';
import { statusQuery } from '../../workflows/messages.ts';
import { eventually, generateRecentFeed, result, startActivationWorker, uid, waitForStatus, type ActivationWorker } from '../helpers/activation-run.ts';
import { MODELS_DIR, logregAs, readJson, uniqueName, xgboostAs } from '../helpers/committed-models.ts';
import { writeTestPipeline, type TestPipeline } from '../helpers/pipeline.ts';
import { runCli, type CliResult } from '../helpers/run-cli.ts';

const VISITORS = 300;
const SEED = 4711;
const modelName = uniqueName('cli-op');
const OPERATOR = 'oncall-ana';
/** YYYY-MM-DD of 90 days ago: a two-day feed from then fails the freshness gate (max age 24 h). */
const STALE_START = new Date(Date.now() - 90 * 86_400_000).toISOString().slice(0, 10);
const VALID_TARGETS = 'valid targets: 1.0.0, 2.0.0, rules';

let w: ActivationWorker;
/** The CLI, on the worker's task queue, with the operator from the environment (as an on-call shell would have it). */
const cli = (args: string[]): Promise<CliResult> => runCli(args, { env: { SCOREFLOW_TASK_QUEUE: w.taskQueue, SCOREFLOW_OPERATOR: OPERATOR } });
const rows = async (sql: string, params: unknown[]) => (await getPool().query(sql, params)).rows;
const audit = (runId: string) => rows('SELECT action, operator, reason FROM operator_audit WHERE run_id = $1 ORDER BY id', [runId]);
const metricsOf = (version: string) => readJson<{ metrics: Record<string, unknown> }>(join(MODELS_DIR, 'purchase-propensity', `${version}.metadata.json`)).metrics;

/** A pipeline on this suite's model (registered with 1.0.0 and 2.0.0), no online store. */
function pipelineFor(prefix: string): TestPipeline {
  return writeTestPipeline({ model: { name: modelName }, holdout: { experimentKey: `${modelName}-exp`, controlShare: 0.1 }, online: { enabled: false } }, uid(prefix));
}

/** Update requests the run accepted, from its history: a refused update never gets there. */
async function acceptedUpdates(h: WorkflowHandle): Promise<string[]> {
  const history = await h.fetchHistory();
  return (history.events ?? []).flatMap((e) => {
    const name = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name;
    return name ? [name] : [];
  });
}

/** Runs of a pipeline Temporal's visibility lists (`scoreflow run` and `rollback` set the Pipeline search attribute). */
async function runsOf(pipeline: string, running = false): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of w.client.workflow.list({ query: `Pipeline = "${pipeline}"${running ? ' AND ExecutionStatus = "Running"' : ''}` })) ids.push(wf.workflowId);
  return ids.sort();
}

beforeAll(async () => {
  await register(logregAs(modelName, '1.0.0'), { name: modelName, version: '1.0.0', format: 'logreg-json', featureSetVersion: '1.0.0', metrics: metricsOf('1.0.0') });
  await register(xgboostAs(modelName, '2.0.0'), { name: modelName, version: '2.0.0', format: 'xgboost-json', featureSetVersion: '1.0.0', metrics: metricsOf('2.0.0') });
  await promote(modelName, '1.0.0', { operator: 'cli-op-test', reason: 'first champion' });
  await promote(modelName, '2.0.0', { operator: 'cli-op-test', reason: 'xgboost beats logreg offline' });
  w = await startActivationWorker('cli-op');
}, 120_000);

afterAll(async () => {
  await w?.close();
  await closePools();
});

describe('scoreflow run checks its input before starting anything', () => {
  it('--pause-timeout 10minutes exits 2 naming the field and the flag; no workflow is started', async () => {
    const p = pipelineFor('cli-op-input');
    const id = uid('cli-op-badinput');
    const res = await cli(['run', '--pipeline', p.path, '--feed', p.inbox, '--id', id, '--pause-timeout', '10minutes', '--json']);
    expect(res.code, res.stderr).toBe(2);
    expect(res.json).toEqual({
      ok: false,
      error: 'UsageError',
      message: 'nothing started: pauseTimeout: a duration like "500ms", "30s", "15m", "6h" or "7d" (--pause-timeout "10minutes").',
    });
    expect(res.stderr).toContain('pauseTimeout: a duration like');
    await expect(w.client.workflow.getHandle(id).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });
});

describe('operator commands answer at once', () => {
  it('an unknown --run id is a clear error naming the id and how to list runs', async () => {
    const id = uid('no-such-run');
    const res = await cli(['approve', '--run', id, '--reason', 'looks fine to me', '--json']);
    expect(res.code).toBe(1);
    expect(res.json).toMatchObject({ ok: false, error: 'RunNotFound', message: expect.stringContaining(`no run "${id}" on Temporal at ${process.env.TEMPORAL_ADDRESS}`) });
    expect(res.json.message).toContain('temporal workflow list');
    expect(res.json.message).toContain('Web UI');
  });

  it('flags missing: --reason is a usage error (exit 2) before anything is sent', async () => {
    const res = await cli(['approve', '--run', 'whatever', '--json']);
    expect(res.code).toBe(2);
    expect(res.json).toEqual({ ok: false, error: 'UsageError', message: '--reason is required: say why you approve run whatever (at least 3 characters); it is audited.' });
  });

  it('a run no worker processes: the command gives up after --timeout, says why and what to check', async () => {
    const p = pipelineFor('cli-op-noworker');
    const id = uid('cli-op-noworker');
    // A task queue nobody polls: the run exists but no worker ever runs its validator.
    const h = await w.client.workflow.start('activationRun', { taskQueue: uid('nobody-polls'), workflowId: id, args: [{ pipelinePath: p.path }] });
    try {
      const res = await cli(['approve', '--run', id, '--reason', 'checked with the analysts', '--timeout', '2s', '--json']);
      expect(res.code).toBe(1);
      expect(res.json).toMatchObject({ ok: false, error: 'NoAnswer', message: expect.stringContaining(`run ${id} did not answer approve within 2s: no worker is processing it`) });
      expect(res.json.message).toContain('scoreflow worker');
    } finally {
      await h.terminate('test cleanup');
    }
  });

  describe('a run paused on a failed gate, started by `scoreflow run` with default settings', () => {
    let p: TestPipeline;
    let id: string;
    let h: WorkflowHandle;

    it('pauses at the freshness gate', async () => {
      p = pipelineFor('cli-op-stale');
      await generateFeed({ visitors: VISITORS, days: 2, seed: SEED, out: p.inbox, rsid: uid('clistale').replace('-', ''), startDate: STALE_START });
      id = uid('cli-op-stale-run');
      const started = await cli(['run', '--pipeline', p.path, '--feed', p.inbox, '--id', id, '--json']);
      expect(started.code, started.stderr).toBe(0);
      expect(started.json).toMatchObject({ workflowId: id, status: 'STARTED' });
      h = w.client.workflow.getHandle(id);
      const paused = await waitForStatus(h, (s) => s.status !== 'RUNNING');
      expect(paused).toMatchObject({ status: 'PAUSED', stage: 'gate', awaiting: { kind: 'gate' }, rollbackTargets: { modelName, versions: ['1.0.0', '2.0.0'] } });
      expect(paused.pausedReason).toMatch(/^gate failed: .*feedFreshness/);
    }, 180_000);

    it('approve with a 1-character reason: refused by the run with its reason, exit 2; nothing applied or audited; still PAUSED', async () => {
      const res = await cli(['approve', '--run', id, '--reason', 'x']);
      expect(res.code).toBe(2);
      // "invalid payload: ..." is the run's validator speaking (RunState.check), unwrapped from WorkflowUpdateFailedError.
      expect(res.stderr).toBe(`scoreflow: run ${id} refused approve: invalid payload: reason: reason is required: say why (at least 3 characters)\n`);
      expect(res.stdout).toBe('');
      const s = await h.query(statusQuery);
      expect(s).toMatchObject({ status: 'PAUSED', stage: 'gate', awaiting: { kind: 'gate' }, operatorActions: [], rejectedSignals: [] });
      expect(await acceptedUpdates(h)).toEqual([]);
      expect(await audit(id)).toEqual([]);
    });

    it('pause on a paused run is refused (exit 1) with what the run is doing', async () => {
      const res = await cli(['pause', '--run', id, '--reason', 'look at it first', '--json']);
      expect(res.code).toBe(1);
      expect(res.json).toEqual({ ok: false, error: 'ActionRefused', message: expect.stringMatching(new RegExp(`^run ${id} refused pause: run ${id} is PAUSED at stage gate; it is already paused \\(gate failed: `)) });
    });

    it('rollback --run ID --to 9.9.9 is refused at once, listing the valid targets; nothing applied or audited', async () => {
      const res = await cli(['rollback', '--run', id, '--to', '9.9.9', '--reason', 'typo in the version', '--json']);
      expect(res.code).toBe(1);
      expect(res.json).toEqual({
        ok: false,
        error: 'ActionRefused',
        message: `run ${id} refused rollback: ${modelName} has no version 9.9.9 that can score feature set 1.0.0; ${VALID_TARGETS}`,
      });
      const s = await h.query(statusQuery);
      expect(s).toMatchObject({ status: 'PAUSED', awaiting: { kind: 'gate' }, operatorActions: [] });
      expect(await acceptedUpdates(h)).toEqual([]);
      expect(await audit(id)).toEqual([]);
    });

    it('rollback --pipeline with that run open sends the update there, so the refusal reaches the caller', async () => {
      await eventually('the run listed as running', async () => ((await runsOf(p.name, true)).includes(id) ? true : undefined));
      const res = await cli(['rollback', '--pipeline', p.path, '--to', '9.9.9', '--reason', 'typo in the version', '--json']);
      expect(res.code).toBe(1);
      expect(res.json).toEqual({ ok: false, error: 'ActionRefused', message: `run ${id} refused rollback: ${modelName} has no version 9.9.9 that can score feature set 1.0.0; ${VALID_TARGETS}` });
      expect(await acceptedUpdates(h)).toEqual([]);
    });

    it('approve with a good reason: exit 0, the answer printed; the run publishes, exports and ends COMPLETED; audited once', async () => {
      const reason = 'known old feed, replayed on purpose';
      const res = await cli(['approve', '--run', id, '--reason', reason, '--json']);
      expect(res.code, res.stderr).toBe(0);
      expect(res.json).toEqual({
        ok: true,
        accepted: true,
        action: 'approve',
        runId: id,
        status: 'PAUSED',
        stage: 'gate',
        detail: 'the failed gate is overridden; the run publishes and exports',
        link: expect.stringContaining(`/workflows/${id}`),
      });
      const done = await result(h);
      expect(done.status).toBe('COMPLETED');
      expect(done.exports).toHaveLength(1);
      expect(done.exports[0]!.rows).toBeGreaterThan(0);
      const s = await h.query(statusQuery);
      expect(s.gate.overriddenBy).toEqual({ operator: OPERATOR, reason });
      // Exactly the one accepted action: none of the refusals above reached history or the audit table.
      expect(await acceptedUpdates(h)).toEqual(['approveUpdate']);
      expect(await audit(id)).toEqual([{ action: 'approve', operator: OPERATOR, reason }]);
    }, 180_000);

    it('approve on the ended run: "has ended (COMPLETED); nothing to approve"', async () => {
      const res = await cli(['approve', '--run', id, '--reason', 'once more, to be sure']);
      expect(res.code).toBe(1);
      expect(res.stderr).toBe(`scoreflow: run ${id} has ended (COMPLETED); nothing to approve.\n`);
    });

    it('rollback --pipeline with no open run checks the target against the registry first: 9.9.9 is refused, nothing started', async () => {
      await eventually('no run of the pipeline listed as running', async () => ((await runsOf(p.name, true)).length === 0 ? true : undefined));
      const res = await cli(['rollback', '--pipeline', p.path, '--to', '9.9.9', '--reason', 'typo in the version', '--json']);
      expect(res.code).toBe(1);
      expect(res.json).toEqual({
        ok: false,
        error: 'ActionRefused',
        message: `rollback refused, nothing started: ${modelName} has no version 9.9.9 that can score feature set 1.0.0 (the snapshot of ${id}); ${VALID_TARGETS}.`,
      });
      expect(await runsOf(p.name)).toEqual([id]);
    });

    it('rollback --pipeline with no open run and a valid target starts a rollback run of the published cycle; the champion moves', async () => {
      const res = await cli(['rollback', '--pipeline', p.path, '--to', '1.0.0', '--reason', 'v2 over-targets new visitors', '--wait', '--json']);
      expect(res.code, res.stderr).toBe(0);
      expect(res.json).toMatchObject({ ok: true, mode: 'rollback-run', rollbackOf: id, status: 'COMPLETED', workflowId: expect.stringMatching(new RegExp(`^${p.name}\\.rollback\\.`)) });
      const s = await w.client.workflow.getHandle(res.json.workflowId as string).query(statusQuery);
      expect(s.model).toMatchObject({ name: modelName, version: '1.0.0' });
      expect(await getPipelineChampion(p.name)).toMatchObject({ policy: 'model', modelName, version: '1.0.0' });
    }, 180_000);
  });

  describe('a run with nothing awaiting a decision (open in its rollback window)', () => {
    it('approve, resume and pause are refused (exit 1) with the reason; abort is answered and closes the window; only the abort is audited', async () => {
      const p = pipelineFor('cli-op-window');
      await generateRecentFeed({ out: p.inbox, rsid: uid('cliwin').replace('-', ''), seed: SEED });
      const id = uid('cli-op-window-run');
      const started = await cli(['run', '--pipeline', p.path, '--feed', p.inbox, '--id', id, '--rollback-window', '10m', '--json']);
      expect(started.code, started.stderr).toBe(0);
      const h = w.client.workflow.getHandle(id);
      const open = await waitForStatus(h, (s) => s.stage === 'rollback-window' || s.status !== 'RUNNING');
      expect(open).toMatchObject({ status: 'RUNNING', stage: 'rollback-window', awaiting: null });

      const approve = await cli(['approve', '--run', id, '--reason', 'looks fine to me', '--json']);
      expect(approve.code).toBe(1);
      expect(approve.json).toEqual({
        ok: false,
        error: 'ActionRefused',
        message: `run ${id} refused approve: run ${id} is RUNNING at stage rollback-window; no failed gate, stage or export is waiting for approval`,
      });
      const resume = await cli(['resume', '--run', id, '--reason', 'carry on please', '--json']);
      expect(resume.code).toBe(1);
      expect(resume.json.message).toBe(`run ${id} refused resume: run ${id} is RUNNING at stage rollback-window; nothing is paused, so there is nothing to resume`);
      const pause = await cli(['pause', '--run', id, '--reason', 'hold on a moment', '--json']);
      expect(pause.code).toBe(1);
      expect(pause.json.message).toBe(`run ${id} refused pause: run ${id} is RUNNING at stage rollback-window; nothing to pause`);
      expect((await h.query(statusQuery)).operatorActions).toEqual([]);

      const abort = await cli(['abort', '--run', id, '--reason', 'no rollback needed', '--operator', 'oncall-ben']);
      expect(abort.code, abort.stderr).toBe(0);
      expect(abort.stdout).toContain(`abort accepted by run ${id} (it was RUNNING at stage rollback-window)\n  the rollback window closes; the delivered cycle stands\n`);
      const done = await result(h);
      expect(done.status).toBe('COMPLETED');
      expect(await acceptedUpdates(h)).toEqual(['abortUpdate']);
      expect(await audit(id)).toEqual([{ action: 'abort', operator: 'oncall-ben', reason: 'no rollback needed' }]);
    }, 240_000);
  });
});
