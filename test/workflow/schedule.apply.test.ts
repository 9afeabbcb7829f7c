/**
 * `scoreflow schedule apply|list|describe|pause|unpause|delete` and lift on every run, on the real
 * dev server with a real worker (the CLI in child processes reaches it through TEMPORAL_ADDRESS and
 * SCOREFLOW_TASK_QUEUE):
 * - apply is idempotent create-or-update: applied twice, one schedule, updated in place;
 * - the cadence comes from the pipeline unless --every; the overlap is BUFFER_ONE;
 * - each scheduled run's input carries the pipeline's `operations`;
 * - a run whose pipeline has `measurement.attributionWindow` (2s here) is measured, whether the
 *   schedule or `scoreflow run` started it, and `report lift --pipeline` lists each measured cycle.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowHandle } from '@temporalio/client';
import { closePools } from '../../activities/store/db.ts';
import { generateRecentFeed, result, startActivationWorker, uid, type ActivationWorker } from '../helpers/activation-run.ts';
import { writeTestPipeline } from '../helpers/pipeline.ts';
import { runCli } from '../helpers/run-cli.ts';

let w: ActivationWorker;
let env: Record<string, string>;
const cleanup: string[] = [];

beforeAll(async () => {
  w = await startActivationWorker('wfa-sched');
  env = { SCOREFLOW_TASK_QUEUE: w.taskQueue };
}, 120_000);

afterAll(async () => {
  for (const id of cleanup) await w.client.schedule.getHandle(id).delete().catch(() => undefined);
  await w?.close();
  await closePools();
});

async function firstScheduledRun(scheduleId: string): Promise<WorkflowHandle> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const d = await w.client.schedule.getHandle(scheduleId).describe();
    const action = d.info.recentActions[0]?.action;
    if (action && 'workflow' in action) return w.client.workflow.getHandle(action.workflow.workflowId);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`schedule ${scheduleId} started no run within 30s`);
}

describe('scoreflow schedule', () => {
  it('apply is idempotent: applied twice, one schedule, updated in place; cadence from the pipeline unless --every; operations in each run input', async () => {
    const p = writeTestPipeline({ cadence: '1h', operations: { pauseTimeout: '6h', rollbackWindow: '2s' } }, uid('sch-apply'));
    const id = `${p.name}.schedule`;
    cleanup.push(id);

    const first = await runCli(['schedule', 'apply', '--pipeline', p.path, '--json'], { env });
    expect(first.code, first.stderr).toBe(0);
    expect(first.json).toEqual({ ok: true, scheduleId: id, pipeline: p.name, action: 'created', every: '1h', overlap: 'BUFFER_ONE', input: { pipelinePath: p.path, pauseTimeout: '6h', rollbackWindow: '2s' } });
    const human = await runCli(['schedule', 'apply', '--pipeline', p.path], { env });
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(`schedule ${id} updated: every 1h, overlap BUFFER_ONE`);
    const second = await runCli(['schedule', 'apply', '--pipeline', p.path, '--every', '30m', '--json'], { env });
    expect(second.code, second.stderr).toBe(0);
    expect(second.json).toMatchObject({ scheduleId: id, action: 'updated', every: '30m' });

    const list = await runCli(['schedule', 'list', '--json'], { env });
    expect(list.code, list.stderr).toBe(0);
    expect((list.json.schedules as { scheduleId: string }[]).filter((s) => s.scheduleId === id)).toHaveLength(1);

    const d = await w.client.schedule.getHandle(id).describe();
    expect(d.spec.intervals?.map((i) => i.every)).toEqual([30 * 60_000]);
    expect(d.policies.overlap).toBe('BUFFER_ONE');
    expect((d.action as { args: unknown[]; taskQueue: string }).args).toEqual([{ pipelinePath: p.path, pauseTimeout: '6h', rollbackWindow: '2s' }]);

    const described = await runCli(['schedule', 'describe', '--pipeline', p.path, '--json'], { env });
    expect(described.json).toMatchObject({ scheduleId: id, paused: false, every: ['30m'], overlap: 'BUFFER_ONE', input: { pauseTimeout: '6h' } });

    // create refuses an existing schedule; apply is the way to change it.
    const create = await runCli(['schedule', 'create', '--pipeline', p.path, '--every', '5m', '--json'], { env });
    expect(create.code).toBe(2);
    expect(create.json.message).toMatch(/already exists; "scoreflow schedule apply/);

    expect((await runCli(['schedule', 'pause', '--pipeline', p.path, '--reason', 'feed late', '--json'], { env })).json).toMatchObject({ ok: true, paused: true });
    expect((await w.client.schedule.getHandle(id).describe()).state).toMatchObject({ paused: true, note: 'feed late' });
    // Applying again keeps the paused state: an update changes the cadence and input only.
    expect((await runCli(['schedule', 'apply', '--pipeline', p.path, '--json'], { env })).json).toMatchObject({ action: 'updated', every: '1h' });
    expect((await w.client.schedule.getHandle(id).describe()).state.paused).toBe(true);
    expect((await runCli(['schedule', 'unpause', '--pipeline', p.path, '--json'], { env })).json).toMatchObject({ ok: true, paused: false });
    expect((await w.client.schedule.getHandle(id).describe()).state.paused).toBe(false);

    const backfill = await runCli(['schedule', 'backfill', '--pipeline', p.path, '--from', '2026-02-01T00:00:00Z', '--to', '2026-01-01T00:00:00Z', '--json'], { env });
    expect(backfill.code).toBe(2);
    expect(backfill.json.message).toMatch(/--to .* is not after --from/);

    expect((await runCli(['schedule', 'delete', '--pipeline', p.path, '--json'], { env })).json).toMatchObject({ ok: true, deleted: true });
    const gone = await runCli(['schedule', 'describe', '--pipeline', p.path, '--json'], { env });
    expect(gone.code).toBe(2);
    expect(gone.json.message).toMatch(new RegExp(`no schedule ${id.replace(/[.-]/g, '\\$&')}`));
  }, 300_000);

  it('runs started by the schedule and by `scoreflow run` are measured with the pipeline\'s attribution window; report lift lists each cycle', async () => {
    const p = writeTestPipeline({ cadence: '1h', measurement: { attributionWindow: '2s' } }, uid('sch-lift'));
    const id = `${p.name}.schedule`;
    cleanup.push(id);
    await generateRecentFeed({ out: p.inbox, rsid: uid('schlifta'), seed: 5151, visitors: 300 });
    const applied = await runCli(['schedule', 'apply', '--pipeline', p.path, '--json'], { env });
    expect(applied.code, applied.stderr).toBe(0);
    // Its input names no attribution window: the window comes from the pipeline file.
    expect(applied.json.input).toEqual({ pipelinePath: p.path });
    await w.client.schedule.getHandle(id).trigger();
    const scheduled = await firstScheduledRun(id);
    expect((await result(scheduled)).status).toBe('COMPLETED');
    const measured = await w.client.workflow.getHandle(`${scheduled.workflowId}.measure`).result();
    expect(measured).toMatchObject({ entities: expect.any(Number) });
    await w.client.schedule.getHandle(id).delete();

    // A later delivery, run from the terminal.
    await generateRecentFeed({ out: p.inbox, rsid: uid('schliftb'), seed: 5252, visitors: 300 });
    const run = await runCli(['run', '--pipeline', p.path, '--wait', '--json'], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.json.status).toBe('COMPLETED');
    await w.client.workflow.getHandle(`${run.json.workflowId}.measure`).result();

    const lift = await runCli(['report', 'lift', '--pipeline', p.name, '--json'], { env });
    expect(lift.code, lift.stderr).toBe(0);
    expect((lift.json.cycles as { runId: string }[]).map((c) => c.runId).sort()).toEqual([scheduled.workflowId, run.json.workflowId].sort());
    const human = await runCli(['report', 'lift', '--pipeline', p.name], { env });
    expect(human.stdout).toContain(`Measured cycles of pipeline ${p.name} (2, newest first):`);
    expect(human.stdout).toContain(scheduled.workflowId);
  }, 400_000);
});
