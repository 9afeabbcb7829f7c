/** `scoreflow run`, `scoreflow schedule create`: start cycles of activationRun. */
import { resolve } from 'node:path';
import { ScheduleOverlapPolicy, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { connectClient } from '../../workers/client.ts';
import { TASK_QUEUE, runLink } from '../../workers/config.ts';
import { loadPipelineConfig } from '../../activities/run/pipeline.ts';
import { PipelineKey, RunStatusKey } from '../../workflows/search-attributes.ts';
import type { ActivationRunInput, ActivationRunResult } from '../../workflows/activation-run.ts';
import { durationMs } from '../../contracts/pipeline-config.ts';

export function defaultPipelinePath(): string {
  return resolve(process.env.SCOREFLOW_PIPELINE ?? 'pipelines/demo.yaml');
}

export interface StartRunOptions extends Omit<ActivationRunInput, 'pipelinePath'> {
  pipelinePath: string;
  workflowId?: string;
  wait?: boolean;
  taskQueue?: string;
}

export async function startRun(opts: StartRunOptions): Promise<{ workflowId: string; runId: string; link: string; result?: ActivationRunResult }> {
  const cfg = loadPipelineConfig(opts.pipelinePath);
  const { client, close } = await connectClient();
  try {
    const workflowId = opts.workflowId ?? `${cfg.name}.run.${new Date().toISOString().replace(/[:.]/g, '-')}`;
    const { workflowId: _w, wait: _x, taskQueue, ...input } = opts;
    let handle;
    try {
      handle = await client.workflow.start('activationRun', {
        taskQueue: taskQueue ?? TASK_QUEUE,
        workflowId,
        args: [{ ...input, pipelinePath: resolve(opts.pipelinePath) }],
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
  const cfg = loadPipelineConfig(opts.pipelinePath);
  durationMs(opts.every); // validates
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
        args: [{ pipelinePath: resolve(opts.pipelinePath), rollbackWindow: opts.rollbackWindow } satisfies ActivationRunInput],
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
