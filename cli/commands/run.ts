/** `scoreflow run`, `scoreflow schedule create`: start cycles of activationRun. */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { connectClient } from '../../workers/client.ts';
import { TASK_QUEUE, runLink } from '../../workers/config.ts';
import { loadPipelineConfig } from '../../activities/run/pipeline.ts';
import { PipelineKey, RunStatusKey } from '../../workflows/search-attributes.ts';
import type { ActivationRunResult } from '../../workflows/activation-run.ts';
import { ActivationRunInput } from '../../contracts/run-input.ts';
import type { PipelineConfig } from '../../contracts/pipeline-config.ts';
import { InputError } from './operate.ts';
import { requirePipeline } from './pipeline.ts';
import { newestFeedDate, runUserMetadata, type RunMetadataInput } from './run-metadata.ts';

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

/**
 * The workflow input for a run of a pipeline: what was given, else the pipeline's `operations`
 * (pauseTimeout, rollbackWindow, exportRetryFor). Undefined fields are left out, so the input stays minimal.
 */
export function runInputFor(cfg: PipelineConfig, given: Record<string, unknown>): Record<string, unknown> {
  const input: Record<string, unknown> = { ...given };
  input.pauseTimeout ??= cfg.operations.pauseTimeout;
  input.rollbackWindow ??= cfg.operations.rollbackWindow;
  input.exportRetryFor ??= cfg.operations.exportRetryFor;
  for (const k of Object.keys(input)) if (input[k] === undefined) delete input[k];
  return input;
}

/** The model the run will most likely score with, for its summary line; a summary never stops a run from starting. */
async function modelForSummary(cfg: PipelineConfig): Promise<RunMetadataInput['model']> {
  try {
    const { nextModel } = await import('../../activities/scoring/resolve-model.ts');
    const next = await nextModel({ pipeline: cfg });
    return next.source === 'none' ? undefined : { policy: next.policy, name: next.modelName, version: next.version };
  } catch {
    return undefined;
  }
}

export async function startRun(opts: StartRunOptions): Promise<{ workflowId: string; runId: string; link: string; result?: ActivationRunResult }> {
  const { workflowId: _w, wait: _x, taskQueue, ...rest } = opts;
  checkRunInput({ ...rest, pipelinePath: resolve(opts.pipelinePath) });
  // The whole pipeline is checked before anything starts; a refusal lists every problem.
  await requirePipeline(opts.pipelinePath, 'nothing started');
  const cfg = loadPipelineConfig(opts.pipelinePath);
  if (!opts.rollbackOf) {
    // A missing inbox is an error, not a quiet day with no data.
    const dir = opts.feedDir ? resolve(opts.feedDir) : cfg.inbox;
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new InputError(`nothing started: ${opts.feedDir ? `--feed "${opts.feedDir}"` : `inbox of ${resolve(opts.pipelinePath)}`}: folder ${dir} does not exist; create it, or pass the folder deliveries arrive in.`);
    }
  }
  const input = checkRunInput(runInputFor(cfg, { ...rest, pipelinePath: resolve(opts.pipelinePath), feedDir: opts.feedDir ? resolve(opts.feedDir) : undefined }));
  const metadata = runUserMetadata({
    cfg,
    feedDir: input.feedDir ?? cfg.inbox,
    feedDate: opts.rollbackOf ? undefined : newestFeedDate(input.feedDir ?? cfg.inbox),
    rollbackOf: opts.rollbackOf,
    explicitModel: input.model ? ('policy' in input.model ? 'rules' : `model ${input.model.modelVersion}`) : undefined,
    model: input.model ? undefined : await modelForSummary(cfg),
  });
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
        ...metadata,
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

