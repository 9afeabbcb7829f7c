/** `scoreflow run`, `scoreflow schedule create`: start cycles of activationRun. */
import { resolve } from 'node:path';
import { ScheduleOverlapPolicy, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { connectClient } from '../../workers/client.ts';
import { TASK_QUEUE, runLink } from '../../workers/config.ts';
import { loadPipelineConfig } from '../../activities/run/pipeline.ts';
import { PipelineKey, RunStatusKey } from '../../workflows/search-attributes.ts';
import type { ActivationRunResult } from '../../workflows/activation-run.ts';
import { ActivationRunInput } from '../../contracts/run-input.ts';
import { Duration } from '../../contracts/pipeline-config.ts';
import { InputError } from './operate.ts';

export function defaultPipelinePath(): string {
  return resolve(process.env.SCOREFLOW_PIPELINE ?? 'pipelines/demo.yaml');
}

export interface StartRunOptions extends Omit<ActivationRunInput, 'pipelinePath'> {
  pipelinePath: string;
  workflowId?: string;
  wait?: boolean;
  taskQueue?: string;
}

/** The flag each input field comes from, to name it in a refusal. */
const FLAG_OF: Partial<Record<keyof ActivationRunInput, string>> = {
  pipelinePath: '--pipeline',
  feedDir: '--feed',
  model: '--model',
  pauseTimeout: '--pause-timeout',
  rollbackWindow: '--rollback-window',
  attributionWindow: '--attribution-window',
};

/**
 * The workflow input, checked with the workflow's own schema before anything starts: a bad value is
 * an InputError (exit 2) naming the field, the flag and the expected form, e.g.
 * `pauseTimeout: a duration like "500ms", ... (--pause-timeout "10minutes")`.
 */
export function checkRunInput(input: Record<string, unknown>): ActivationRunInput {
  const parsed = ActivationRunInput.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => {
    const field = String(i.path[0] ?? '') as keyof ActivationRunInput;
    const flag = FLAG_OF[field];
    const given = input[field];
    return `${i.path.join('.') || '(input)'}: ${i.message}${flag ? ` (${flag}${typeof given === 'string' ? ` "${given}"` : ''})` : ''}`;
  });
  throw new InputError(`nothing started: ${problems.join('; ')}.`);
}

export async function startRun(opts: StartRunOptions): Promise<{ workflowId: string; runId: string; link: string; result?: ActivationRunResult }> {
  const { workflowId: _w, wait: _x, taskQueue, ...rest } = opts;
  const input = checkRunInput({ ...rest, pipelinePath: resolve(opts.pipelinePath) });
  const cfg = loadPipelineConfig(opts.pipelinePath);
  const { client, close } = await connectClient();
  try {
    const workflowId = opts.workflowId ?? `${cfg.name}.run.${new Date().toISOString().replace(/[:.]/g, '-')}`;
    let handle;
    try {
      handle = await client.workflow.start('activationRun', {
        taskQueue: taskQueue ?? TASK_QUEUE,
        workflowId,
        args: [input],
        typedSearchAttributes: new TypedSearchAttributes([
          { key: PipelineKey, value: cfg.name },
          { key: RunStatusKey, value: 'RUNNING' },
        ]),
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        throw new Error(`a run with id ${workflowId} already exists; each cycle id is used once. Pick another --id.`);
      }
      throw err;
    }
    const link = runLink(workflowId, handle.firstExecutionRunId);
    if (!opts.wait) return { workflowId, runId: handle.firstExecutionRunId, link };
    const result = (await handle.result()) as ActivationRunResult;
    return { workflowId, runId: handle.firstExecutionRunId, link, result };
  } finally {
    await close();
  }
}

export async function createSchedule(opts: { pipelinePath: string; every: string; catchupWindow?: string; rollbackWindow?: string }): Promise<{ scheduleId: string }> {
  const every = Duration.safeParse(opts.every);
  if (!every.success) throw new InputError(`--every "${opts.every}": ${every.error.issues[0]?.message ?? 'not a duration'}; nothing created.`);
  const catchup = Duration.safeParse(opts.catchupWindow ?? '1h');
  if (!catchup.success) throw new InputError(`--catchup-window "${opts.catchupWindow}": ${catchup.error.issues[0]?.message ?? 'not a duration'}; nothing created.`);
  const input = checkRunInput({ pipelinePath: resolve(opts.pipelinePath), rollbackWindow: opts.rollbackWindow });
  const cfg = loadPipelineConfig(opts.pipelinePath);
  const { client, close } = await connectClient();
  try {
    const scheduleId = `${cfg.name}.schedule`;
    await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: opts.every as `${number}m` }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'activationRun',
        taskQueue: TASK_QUEUE,
        // Temporal appends the action time to this id, so the id is the cycle's idempotency key.
        workflowId: `${cfg.name}.scheduled`,
        args: [input],
        typedSearchAttributes: new TypedSearchAttributes([
          { key: PipelineKey, value: cfg.name },
          { key: RunStatusKey, value: 'RUNNING' },
        ]),
      },
      policies: { overlap: ScheduleOverlapPolicy.BUFFER_ONE, catchupWindow: (opts.catchupWindow ?? '1h') as `${number}h` },
    });
    return { scheduleId };
  } finally {
    await close();
  }
}
