/**
 * Rolling a model back while the run is open, on the dev server with the real worker and activities.
 * A pipeline whose champion is v2 (the committed XGBoost model) exports its memberships to the file
 * outbox; an operator sends `rollback` to v1 through the real `temporal` CLI (the API the Web UI
 * uses) inside the run's rollback window; the outbox must then hold exactly what a v1-only run over
 * the same feed holds, the champion move is audited, and the next run scores with v1. A rollback to
 * a version that does not exist is refused in `status`, with the valid versions, and harms nothing.
 * Also: `pause` / `resume`, and rolling back to the rules fallback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CanonicalRecord } from '../../contracts/canonical-record.ts';
import { getPipelineChampion, promote, register } from '../../activities/scoring/registry.ts';
import { closePools, getPool } from '../../activities/store/db.ts';
import { pauseSignal, statusQuery } from '../../workflows/messages.ts';
import { GateStatusKey, ModelVersionKey, RunStatusKey } from '../../workflows/search-attributes.ts';
import { writeTestPipeline, type TestPipeline } from '../helpers/pipeline.ts';
import { MODELS_DIR, logregAs, readJson, uniqueName, xgboostAs } from '../helpers/committed-models.ts';
import {
  generateRecentFeed,
  memberships,
  readFileExport,
  result,
  signalWithCli,
  startActivationWorker,
  uid,
  waitForStatus,
  type ActivationWorker,
} from '../helpers/activation-run.ts';

const SEED = 7100;
const VISITORS = 300;
const modelName = uniqueName('wfa-propensity');
const experimentKey = `${modelName}-exp`;
let h: ActivationWorker;

/** A pipeline on this suite's model (no default artifact: the registry decides) and holdout, no online store. */
function pipelineFor(prefix: string): TestPipeline {
  return writeTestPipeline(
    {
      model: { name: modelName },
      holdout: { experimentKey, controlShare: 0.1 },
      online: { enabled: false },
    },
    uid(prefix),
  );
}

const metricsOf = (version: string) => readJson<{ metrics: Record<string, unknown> }>(join(MODELS_DIR, 'purchase-propensity', `${version}.metadata.json`)).metrics;

/** The records the outbox holds for a pipeline now: the cycle whose manifest was written last. */
function outboxState(p: TestPipeline): { cycle: string; records: CanonicalRecord[] } {
  const root = join(p.outbox, p.name);
  const cycles = readdirSync(root).map((cycle) => ({ cycle, at: statSync(join(root, cycle, 'outbox', 'manifest.json')).mtimeMs }));
  const latest = cycles.sort((a, b) => a.at - b.at).at(-1)!;
  return { cycle: latest.cycle, records: readFileExport(join(root, latest.cycle, 'outbox')).jsonl };
}

beforeAll(async () => {
  await register(logregAs(modelName, '1.0.0'), { name: modelName, version: '1.0.0', format: 'logreg-json', featureSetVersion: '1.0.0', metrics: metricsOf('1.0.0') });
  await register(xgboostAs(modelName, '2.0.0'), { name: modelName, version: '2.0.0', format: 'xgboost-json', featureSetVersion: '1.0.0', metrics: metricsOf('2.0.0') });
  await promote(modelName, '1.0.0', { operator: 'wfa-test', reason: 'first champion' });
  await promote(modelName, '2.0.0', { operator: 'wfa-test', reason: 'xgboost beats logreg offline' });
  h = await startActivationWorker('wfa-rollback');
}, 120_000);

afterAll(async () => {
  await h?.close();
  await closePools();
});

describe('activationRun rollback on the dev server', () => {
  it('a rollback signal to v1 sent with the temporal CLI converges the outbox to the v1-only state; the champion move is audited and the next run uses v1', async () => {
    const p = pipelineFor('wfa-rb');
    await generateRecentFeed({ out: p.inbox, rsid: uid('wfarba'), seed: SEED, visitors: VISITORS });
    const workflowId = uid('wfa-rb-run');
    const handle = await h.start(workflowId, { pipelinePath: p.path, feedDir: p.inbox, rollbackWindow: '10s' });

    // The v2 cycle completes and the run stays open for a rollback.
    const open = await waitForStatus(handle, (s) => s.stage === 'rollback-window' || s.status !== 'RUNNING');
    expect(open).toMatchObject({ status: 'RUNNING', stage: 'rollback-window', model: { name: modelName, version: '2.0.0', policy: 'model' } });
    expect((await handle.describe()).typedSearchAttributes.get(ModelVersionKey)).toBe('2.0.0');
    expect(open.exports).toHaveLength(1);
    const v2 = readFileExport(open.exports[0]!.location!).jsonl;
    expect(v2.length).toBeGreaterThan(0);
    expect(v2.every((r) => r.metadata.model_version === '2.0.0')).toBe(true);

    // A version that does not exist: refused in status with the valid versions; the run stays open.
    const bad = await signalWithCli(workflowId, 'rollback', { to: { modelVersion: '9.9.9' }, reason: 'typo in the version', operator: 'oncall-ana' });
    expect(bad.code, bad.stderr).toBe(0);
    const refused = await waitForStatus(handle, (s) => s.rejectedSignals.length > 0 || s.status !== 'RUNNING');
    expect(refused.rejectedSignals).toEqual([
      {
        signal: 'rollback',
        error: expect.stringMatching(/has no version 9\.9\.9 that can score feature set 1\.0\.0; valid targets: 1\.0\.0, 2\.0\.0, rules/),
        at: expect.any(String),
      },
    ]);
    expect(refused).toMatchObject({ status: 'RUNNING', stage: 'rollback-window', model: { version: '2.0.0' } });
    expect(refused.cycles).toHaveLength(1);
    expect(await getPipelineChampion(p.name)).toBeUndefined();

    // The real rollback, through the CLI.
    const sent = await signalWithCli(workflowId, 'rollback', { to: { modelVersion: '1.0.0' }, reason: 'v2 over-targets new visitors', operator: 'oncall-ana' });
    expect(sent.code, sent.stderr).toBe(0);
    const done = await result(handle);
    expect(done.status).toBe('COMPLETED');
    const rollbackCycle = `${workflowId}.rollback-1`;
    expect(done.cycles).toEqual([workflowId, rollbackCycle]);
    expect(done.exports.map((e) => e.cycleRunId)).toEqual([workflowId, rollbackCycle]);
    const status = await handle.query(statusQuery);
    expect(status.cycles).toEqual([
      { runId: workflowId, rollbackOf: null, model: `${modelName}@2.0.0` },
      { runId: rollbackCycle, rollbackOf: workflowId, model: `${modelName}@1.0.0` },
    ]);
    expect(status.rejectedSignals).toHaveLength(1);
    expect((await handle.describe()).typedSearchAttributes.get(ModelVersionKey)).toBe('1.0.0');

    // A separate v1-only run over the same feed (same visitors and hits, delivered under another report suite).
    const q = pipelineFor('wfa-v1');
    await generateRecentFeed({ out: q.inbox, rsid: uid('wfarbb'), seed: SEED, visitors: VISITORS });
    const v1Run = await result(await h.start(uid('wfa-v1-run'), { pipelinePath: q.path, feedDir: q.inbox, model: { modelVersion: '1.0.0' } }));
    expect(v1Run.status).toBe('COMPLETED');
    const v1 = readFileExport(v1Run.exports[0]!.location!).jsonl;

    // The outbox now holds the rollback cycle, and exactly the v1-only memberships.
    const state = outboxState(p);
    expect(state.cycle).toBe(rollbackCycle);
    expect(state.records.length).toBeGreaterThan(0);
    expect(state.records.every((r) => r.metadata.model_version === '1.0.0' && r.metadata.run_id === rollbackCycle)).toBe(true);
    expect(memberships(state.records)).toEqual(memberships(v1));
    expect(memberships(v2)).not.toEqual(memberships(v1)); // the models differ: the comparison above could fail

    // The champion move: one audit row with operator, reason and time; the pipeline points at v1.
    const { rows: audit } = await getPool().query<{ run_id: string; operator: string; reason: string; payload: unknown; at: Date }>(
      "SELECT run_id, operator, reason, payload, at FROM operator_audit WHERE pipeline = $1 AND action = 'set_pipeline_champion'",
      [p.name],
    );
    expect(audit).toEqual([
      {
        run_id: workflowId,
        operator: 'oncall-ana',
        reason: 'v2 over-targets new visitors',
        payload: { from: null, to: { policy: 'model', model: modelName, version: '1.0.0' } },
        at: expect.any(Date),
      },
    ]);
    expect(Date.now() - audit[0]!.at.getTime()).toBeLessThan(5 * 60_000);
    expect(await getPipelineChampion(p.name)).toMatchObject({ policy: 'model', modelName, version: '1.0.0' });
    const { rows: signals } = await getPool().query<{ action: string; operator: string; reason: string }>(
      "SELECT action, operator, reason FROM operator_audit WHERE run_id = $1 AND action = 'rollback' ORDER BY id",
      [workflowId],
    );
    // The refused rollback (9.9.9) is listed in status, never audited as an action.
    expect(signals).toEqual([{ action: 'rollback', operator: 'oncall-ana', reason: 'v2 over-targets new visitors' }]);

    // The next run of the pipeline names no model: it scores with v1.
    await generateRecentFeed({ out: p.inbox, rsid: uid('wfarbc'), seed: SEED, visitors: VISITORS });
    const nextId = uid('wfa-rb-next');
    const next = await result(await h.start(nextId, { pipelinePath: p.path, feedDir: p.inbox }));
    expect(next.status).toBe('COMPLETED');
    expect((await h.client.workflow.getHandle(nextId).describe()).typedSearchAttributes.get(ModelVersionKey)).toBe('1.0.0');
    expect((await h.client.workflow.getHandle(nextId).query(statusQuery)).model).toMatchObject({ name: modelName, version: '1.0.0' });
    const { rows: versions } = await getPool().query<{ model_version: string; n: number }>(
      'SELECT model_version, count(*)::int AS n FROM activation_record WHERE run_id = $1 GROUP BY 1',
      [nextId],
    );
    expect(versions).toEqual([{ model_version: '1.0.0', n: next.counts.published }]);
  }, 120_000);

  it('pause holds the run at a stage boundary until resume; a rollback to the rules fallback passes the rules gates and moves the champion', async () => {
    const r = pipelineFor('wfa-pause');
    await generateRecentFeed({ out: r.inbox, rsid: uid('wfapause'), seed: SEED + 1, visitors: VISITORS });
    const workflowId = uid('wfa-pause-run');
    const handle = await h.start(workflowId, { pipelinePath: r.path, feedDir: r.inbox, rollbackWindow: '10s' });
    await handle.signal(pauseSignal, { operator: 'oncall-ben', reason: 'CRM extract looks late' });

    const paused = await waitForStatus(handle, (s) => s.status !== 'RUNNING');
    expect(paused).toMatchObject({ status: 'PAUSED', pausedReason: 'paused by operator' });
    expect((await handle.describe()).typedSearchAttributes.get(RunStatusKey)).toBe('PAUSED');
    await new Promise((res) => setTimeout(res, 1_500));
    const still = await handle.query(statusQuery);
    expect(still).toMatchObject({ status: 'PAUSED', stage: paused.stage, counts: paused.counts, exports: [] });

    const resumed = await signalWithCli(workflowId, 'resume', { operator: 'oncall-ben', reason: 'extract arrived' });
    expect(resumed.code, resumed.stderr).toBe(0);
    const open = await waitForStatus(handle, (s) => s.stage === 'rollback-window' || (s.status !== 'RUNNING' && s.status !== 'PAUSED'));
    expect(open).toMatchObject({ status: 'RUNNING', pausedReason: null, model: { version: '2.0.0' } });

    const sent = await signalWithCli(workflowId, 'rollback', { to: { policy: 'rules' }, reason: 'both models suspect', operator: 'oncall-ben' });
    expect(sent.code, sent.stderr).toBe(0);
    // The rules give a handful of distinct scores by design: judged by the rules thresholds, the
    // rollback cycle passes its gates without an operator, and only then does the champion move.
    const done = await result(handle);
    expect(done.status).toBe('COMPLETED');
    const status = await handle.query(statusQuery);
    expect(status.cycles).toEqual([
      { runId: workflowId, rollbackOf: null, model: `${modelName}@2.0.0` },
      { runId: `${workflowId}.rollback-1`, rollbackOf: workflowId, model: 'rules:1.0.0' },
    ]);
    expect(status.operatorActions.map((a) => [a.action, a.operator, a.reason])).toEqual([
      ['pause', 'oncall-ben', 'CRM extract looks late'],
      ['resume', 'oncall-ben', 'extract arrived'],
      ['rollback', 'oncall-ben', 'both models suspect'],
    ]);
    expect(status).toMatchObject({ gate: { status: expect.stringMatching(/^(pass|warn)$/) }, model: { policy: 'rules' } });
    expect(status.gate.results.find((g) => g.gate === 'collapse.minDistinct')).toMatchObject({ status: 'pass' });
    expect((await handle.describe()).typedSearchAttributes.get(ModelVersionKey)).toBe('rules:1.0.0');
    expect(await getPipelineChampion(r.name)).toMatchObject({ policy: 'rules', version: null });

    const rules = readFileExport(done.exports.at(-1)!.location!).jsonl;
    expect(rules.length).toBeGreaterThan(0);
    expect(rules.every((x) => x.metadata.decision_policy === 'rules')).toBe(true);
    const { rows: audit } = await getPool().query<{ action: string }>('SELECT action FROM operator_audit WHERE run_id = $1 ORDER BY id', [workflowId]);
    expect(audit.map((a) => a.action)).toEqual(['pause', 'resume', 'rollback', 'set_pipeline_champion']);
  }, 120_000);
});
