/**
 * Operator control with the settings a scheduler or `scoreflow run` uses by default: no pause
 * timeout, no rollback window. Each path runs on the real dev server with a real worker:
 * - a run paused on a failed gate, approved with `temporal workflow signal`, ends COMPLETED;
 * - a failed stage is retried by resume and completes;
 * - a failed export re-runs only the destination that failed, whose receiver ends with every planned
 *   row exactly once; the destination that completed is never exported again;
 * - an explicit pauseTimeout expires into ABORTED by `system`, audited;
 * - a rollback cycle that fails its gate and is aborted leaves the champion where it was;
 * - cancelling a run records CANCELLED in activation_run and the RunStatus search attribute;
 * - a run started by a Temporal Schedule pauses, is approved through the update, and completes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { generateFeed } from '../../tools/feed-generator/generator.ts';
import { closePools, getPool } from '../../activities/store/db.ts';
import { getPipelineChampion } from '../../activities/scoring/registry.ts';
import { startWebhookReceiver, type RunningWebhookReceiver } from '../../tools/contract-servers/webhook-receiver.ts';
import { approveUpdate, abortUpdate, rollbackUpdate, statusQuery } from '../../workflows/messages.ts';
import { PipelineKey, RunStatusKey } from '../../workflows/search-attributes.ts';
import { result, signalWithCli, startActivationWorker, uid, waitForStatus, type ActivationWorker } from '../helpers/activation-run.ts';
import { runPlan, webhookIds } from '../helpers/sync-receivers.ts';
import { writeTestPipeline, type TestPipeline } from '../helpers/pipeline.ts';

const VISITORS = 300;
const SEED = 1111;
/** A delivery from January: every run over it fails the feed-freshness gate and pauses for an operator. */
const STALE_START = '2026-01-05';
const who = { operator: 'oncall-ana', reason: 'known old feed, replayed on purpose' };

let w: ActivationWorker;
const rows = async <T = Record<string, unknown>>(sql: string, params: unknown[]) => (await getPool().query(sql, params)).rows as T[];

async function staleRun(tag: string, overrides: Record<string, unknown> = {}, input: Record<string, unknown> = {}): Promise<{ p: TestPipeline; h: WorkflowHandle }> {
  const p = writeTestPipeline(overrides, `od-${tag}-${randomBytes(3).toString('hex')}`);
  await generateFeed({ visitors: VISITORS, days: 2, seed: SEED, out: p.inbox, rsid: `od${tag}${randomBytes(3).toString('hex')}`, startDate: STALE_START });
  const h = await w.start(uid(`od-${tag}`), { pipelinePath: p.path, feedDir: p.inbox, ...input }, p.name);
  return { p, h };
}

/** Child workflow starts per child id, from the run's history. */
async function childStarts(h: WorkflowHandle): Promise<Record<string, number>> {
  const history = await h.fetchHistory();
  const out: Record<string, number> = {};
  for (const e of history.events ?? []) {
    const id = e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
    if (id) out[id] = (out[id] ?? 0) + 1;
  }
  return out;
}

async function activityCount(h: WorkflowHandle, name: string): Promise<number> {
  const history = await h.fetchHistory();
  return (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === name).length;
}

beforeAll(async () => {
  w = await startActivationWorker('wfa-od');
}, 120_000);

afterAll(async () => {
  await w?.close();
  await closePools();
});

describe('activationRun operator control with default settings', () => {
  it('a run paused on a failed gate, approved with `temporal workflow signal`, ends COMPLETED and is audited', async () => {
    const { p, h } = await staleRun('approve');
    const paused = await waitForStatus(h, (s) => s.status !== 'RUNNING');
    expect(paused).toMatchObject({ status: 'PAUSED', stage: 'gate', awaiting: { kind: 'gate', actions: ['approve', 'resume', 'abort', 'rollback'] } });
    expect(paused.pausedReason).toMatch(/^gate failed: .*feedFreshness/);
    expect((await h.describe()).typedSearchAttributes.get(RunStatusKey)).toBe('PAUSED');

    // The run loaded its pipeline once: breaking the file now changes nothing for it.
    writeFileSync(p.path, 'name: [this is not a pipeline\n');
    const sent = await signalWithCli(h.workflowId, 'approve', who);
    expect(sent.code, sent.stderr).toBe(0);
    const done = await result(h);
    expect(done.status).toBe('COMPLETED');
    expect(done.exports).toHaveLength(1);
    expect(done.exports[0]!.location).toBe(join(p.outbox, p.name, h.workflowId, 'outbox'));
    const status = await h.query(statusQuery);
    expect(status.gate.overriddenBy).toEqual(who);
    expect(status.awaiting).toBeNull();
    expect(await rows('SELECT action, operator, reason FROM operator_audit WHERE run_id = $1 ORDER BY id', [h.workflowId])).toEqual([{ action: 'approve', ...who }]);
    expect(await rows('SELECT status, pipeline_sha256 IS NOT NULL AS snap FROM activation_run WHERE run_id = $1', [h.workflowId])).toEqual([{ status: 'COMPLETED', snap: true }]);
  }, 180_000);

  it('a failed stage pauses with its real cause; resume retries only that stage and the run completes', async () => {
    const p = writeTestPipeline({ consent: { source: 'cmp_file', file: 'cmp.csv' } }, `od-stage-${randomBytes(3).toString('hex')}`);
    await generateFeed({ visitors: VISITORS, days: 2, seed: SEED, out: p.inbox, rsid: `odst${randomBytes(3).toString('hex')}`, startDate: new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10) });
    const h = await w.start(uid('od-stage'), { pipelinePath: p.path, feedDir: p.inbox }, p.name);
    const paused = await waitForStatus(h, (s) => s.status !== 'RUNNING');
    expect(paused).toMatchObject({ status: 'PAUSED', stage: 'identity-sources', awaiting: { kind: 'stage' } });
    expect(paused.pausedReason).toMatch(/^stage identity-sources failed: InvalidFeed: .*cmp\.csv: the pipeline takes consent from this CMP export, but it is missing/);

    // The operator delivers the missing CMP export, then resumes.
    writeFileSync(join(p.inbox, 'cmp.csv'), 'entity_id,purpose,granted,recorded_at\n');
    const answer = await h.executeUpdate(approveUpdate, { args: [{ operator: 'oncall-ben', reason: 'CMP export delivered' }] });
    expect(answer).toMatchObject({ accepted: true, action: 'approve', status: 'PAUSED', stage: 'identity-sources', detail: 'only what failed is run again (stage)' });
    const done = await result(h);
    expect(done.status).toBe('COMPLETED');
    expect(await activityCount(h, 'loadIdentitySourcesActivity')).toBe(2);
    // One ingest per delivery (two days), never repeated by the resume.
    expect(await activityCount(h, 'ingestFeedActivity')).toBe(2);
    expect(done.counts.cmpConsents).toBe(0);
  }, 180_000);

  describe('a failed export', () => {
    let hook: RunningWebhookReceiver;
    const secretEnv = `OD_WEBHOOK_SECRET_${randomBytes(3).toString('hex')}`;

    beforeAll(async () => {
      const secret = `whsec_${randomBytes(24).toString('base64')}`;
      process.env[secretEnv] = secret;
      hook = await startWebhookReceiver({ secret });
    });
    afterAll(async () => {
      await hook?.close();
    });

    it('re-runs only the destination that failed; its receiver ends with every planned row exactly once', async () => {
      const outbox = mkdtempSync(join(tmpdir(), 'od-exp-outbox-'));
      const q = writeTestPipeline(
        {
          destinations: [
            { name: 'outbox', kind: 'file', outbox, formats: ['csv'], filter: { consentPurpose: 'personalization', requireEligible: true }, holdout: 'exclude_control' },
            { name: 'offers', kind: 'webhook', mappingVersion: '1', filter: { consentPurpose: 'personalization', requireEligible: true }, holdout: 'exclude_control', config: { url: hook.url, secretEnv, mode: 'batch', batchSize: 50 } },
          ],
        },
        `od-exp-${randomBytes(3).toString('hex')}`,
      );
      await generateFeed({ visitors: VISITORS, days: 2, seed: SEED, out: q.inbox, rsid: `odex${randomBytes(3).toString('hex')}`, startDate: new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10) });
      // The consumer's credentials are wrong until the operator fixes them: its first answer is 401.
      hook.injectRejections(1, 401, 'unknown signing key');
      const h = await w.start(uid('od-exp'), { pipelinePath: q.path, feedDir: q.inbox }, q.name);

      const paused = await waitForStatus(h, (s) => s.status !== 'RUNNING');
      expect(paused).toMatchObject({ status: 'PAUSED', stage: 'export', awaiting: { kind: 'export' } });
      expect(paused.exportStatus).toMatchObject({ outbox: { status: 'completed', attempts: 1 }, offers: { status: 'failed', attempts: 1 } });
      // The real cause, not "Child Workflow execution failed".
      expect(paused.pausedReason).toMatch(/^export failed for 1 of 2 destination\(s\) \(1 completed and kept\): offers: .*DestinationRejected: .*HTTP 401/);
      const appliedBeforeResume = hook.counts.unique;

      const sent = await signalWithCli(h.workflowId, 'resume', { operator: 'oncall-cy', reason: 'consumer rotated its key' });
      expect(sent.code, sent.stderr).toBe(0);
      const done = await result(h);
      expect(done.status).toBe('COMPLETED');
      expect(done.exports.map((e) => e.destination).sort()).toEqual(['offers', 'outbox']);

      // The completed destination was started once, the failed one twice.
      expect(await childStarts(h)).toEqual({ [`${h.workflowId}.export.outbox`]: 1, [`${h.workflowId}.export.offers`]: 2 });
      // Every planned row was applied by the consumer exactly once, under the planned webhook-ids. The
      // batches the consumer accepted before its 401 are re-sent under the same ids and deduplicated.
      const plan = await runPlan(getPool(), h.workflowId, 'offers', 10_000);
      expect(plan.rows.length).toBeGreaterThan(0);
      expect([...hook.deliveries.keys()].sort()).toEqual(webhookIds(plan, 50).sort());
      expect(hook.counts.unique).toBe(webhookIds(plan, 50).length);
      expect(hook.counts.duplicates).toBe(appliedBeforeResume);
      const delivered = [...hook.messages.values()].flatMap((m) => (m as { data: { rows: { entity_id: string }[] } }).data.rows.map((r) => r.entity_id));
      expect(delivered.sort()).toEqual(plan.rows.map((r) => r.entityId).sort());
      const status = await h.query(statusQuery);
      expect(status.exportStatus).toMatchObject({ outbox: { status: 'completed', attempts: 1 }, offers: { status: 'completed', attempts: 2 } });
      expect(await rows('SELECT action, operator FROM operator_audit WHERE run_id = $1', [h.workflowId])).toEqual([{ action: 'resume', operator: 'oncall-cy' }]);
    }, 240_000);
  });

  it('input that slipped past the client (a bad duration) ends the run at once with a non-retryable InvalidInput naming the field', async () => {
    const p = writeTestPipeline({}, `od-input-${randomBytes(3).toString('hex')}`);
    const h = await w.start(uid('od-input'), { pipelinePath: p.path, pauseTimeout: '10minutes' } as never);
    const err = await result(h).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as { type?: string; nonRetryable?: boolean; message: string };
    expect(cause).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
    expect(cause.message).toMatch(/pauseTimeout: a duration like/);
    expect(await activityCount(h, 'snapshotPipelineActivity')).toBe(0);
  }, 60_000);

  it('an explicit pauseTimeout expires into ABORTED by `system`, audited, with nothing exported', async () => {
    const { h } = await staleRun('timeout', {}, { pauseTimeout: '2s' });
    const done = await result(h);
    expect(done.status).toBe('ABORTED');
    expect(done.exports).toEqual([]);
    expect(await rows('SELECT action, operator, reason FROM operator_audit WHERE run_id = $1', [h.workflowId])).toEqual([
      { action: 'abort', operator: 'system', reason: 'no operator decision within 2s' },
    ]);
    expect(await rows('SELECT status FROM activation_run WHERE run_id = $1', [h.workflowId])).toEqual([{ status: 'ABORTED' }]);
    expect((await h.describe()).typedSearchAttributes.get(RunStatusKey)).toBe('ABORTED');
  }, 180_000);

  it('a rollback cycle that fails its gate and is aborted leaves the champion unmoved; an unknown version is refused at receipt', async () => {
    const { p, h } = await staleRun('rbabort');
    const paused = await waitForStatus(h, (s) => s.status === 'PAUSED');
    expect(paused.rollbackTargets).toMatchObject({ modelName: 'purchase-propensity', rules: true });
    expect(paused.rollbackTargets!.versions).toContain('1.0.0');

    const refused = await h.executeUpdate(rollbackUpdate, { args: [{ to: { modelVersion: '9.9.9' }, ...who }] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(String((refused as WorkflowUpdateFailedError).cause?.message)).toMatch(/no version 9\.9\.9 .*valid targets: .*1\.0\.0.*rules/);
    // A refusal never enters the history.
    const history = await h.fetchHistory();
    expect((history.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toHaveLength(0);

    await h.executeUpdate(rollbackUpdate, { args: [{ to: { policy: 'rules' }, operator: 'oncall-dee', reason: 'model suspect' }] });
    // The rules cycle re-scores the same stale snapshot and fails freshness too.
    const again = await waitForStatus(h, (s) => s.status === 'PAUSED' && s.cycles.length === 2);
    expect(again).toMatchObject({ stage: 'gate', model: { policy: 'rules' } });
    expect(await getPipelineChampion(p.name)).toBeUndefined();
    await h.executeUpdate(abortUpdate, { args: [{ operator: 'oncall-dee', reason: 'wait for a fresh feed' }] });
    const done = await result(h);
    expect(done.status).toBe('ABORTED');
    expect(await getPipelineChampion(p.name)).toBeUndefined();
    expect(await rows('SELECT action FROM operator_audit WHERE run_id = $1 ORDER BY id', [h.workflowId])).toEqual([{ action: 'rollback' }, { action: 'abort' }]);
  }, 180_000);

  it('cancelling a paused run records CANCELLED in activation_run and the RunStatus search attribute', async () => {
    const { h } = await staleRun('cancel');
    await waitForStatus(h, (s) => s.status === 'PAUSED');
    await h.cancel();
    const err = await result(h).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((await h.describe()).status.name).toBe('CANCELLED');
    expect((await h.describe()).typedSearchAttributes.get(RunStatusKey)).toBe('CANCELLED');
    expect(await rows('SELECT status FROM activation_run WHERE run_id = $1', [h.workflowId])).toEqual([{ status: 'CANCELLED' }]);
  }, 180_000);

  it('a run started by a Temporal Schedule pauses on its gate, is approved through the update, and completes', async () => {
    const p = writeTestPipeline({}, `od-sched-${randomBytes(3).toString('hex')}`);
    await generateFeed({ visitors: VISITORS, days: 2, seed: SEED, out: p.inbox, rsid: `odsc${randomBytes(3).toString('hex')}`, startDate: STALE_START });
    const scheduleId = `${p.name}.schedule`;
    const schedule = await w.client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1h' }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'activationRun',
        taskQueue: w.taskQueue,
        workflowId: `${p.name}.scheduled`,
        args: [{ pipelinePath: p.path }],
        typedSearchAttributes: new TypedSearchAttributes([
          { key: PipelineKey, value: p.name },
          { key: RunStatusKey, value: 'RUNNING' },
        ]),
      },
      state: { paused: true },
    });
    try {
      await schedule.trigger();
      let workflowId: string | undefined;
      const deadline = Date.now() + 30_000;
      while (!workflowId && Date.now() < deadline) {
        const d = await schedule.describe();
        const action = d.info.recentActions[0]?.action;
        workflowId = action && 'workflow' in action ? action.workflow.workflowId : undefined;
        if (!workflowId) await new Promise((r) => setTimeout(r, 200));
      }
      expect(workflowId).toMatch(new RegExp(`^${p.name.replace(/[.-]/g, '\\$&')}\\.scheduled-`));
      const h = w.client.workflow.getHandle(workflowId!);
      const paused = await waitForStatus(h, (s) => s.status !== 'RUNNING');
      expect(paused).toMatchObject({ status: 'PAUSED', stage: 'gate' });
      const answer = await h.executeUpdate(approveUpdate, { args: [who] });
      expect(answer).toMatchObject({ accepted: true, action: 'approve', detail: 'the failed gate is overridden; the run publishes and exports' });
      expect(((await h.result()) as { status: string }).status).toBe('COMPLETED');
    } finally {
      await schedule.delete();
    }
  }, 180_000);
});
