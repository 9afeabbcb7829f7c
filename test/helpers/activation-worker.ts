/**
 * A real Scoreflow worker (workers/worker.ts: every activity, the metrics interceptor, the bundled
 * workflows) on a task queue of its own, and a client, against the run's Temporal dev server; plus
 * feed dates recent enough for the freshness gate. For the workflow and end-to-end tests of
 * activationRun.
 */
import { randomBytes } from 'node:crypto';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { createWorker } from '../../workers/worker.ts';
import type { ActivationRunInput, ActivationRunResult, activationRun } from '../../workflows/activation-run.ts';
import { statusQuery, type RunStatusView } from '../../workflows/messages.ts';
import { PipelineKey, RunStatusKey } from '../../workflows/search-attributes.ts';
import { temporalAddress } from './temporal.ts';

export interface ActivationWorker {
  taskQueue: string;
  client: Client;
  start(workflowId: string, pipelineName: string, input: ActivationRunInput): Promise<WorkflowHandle<typeof activationRun>>;
  stop(): Promise<void>;
}

export async function startActivationWorker(prefix: string): Promise<ActivationWorker> {
  const taskQueue = `${prefix}-${randomBytes(4).toString('hex')}`;
  const { worker, connection: native } = await createWorker({ address: temporalAddress(), taskQueue, metricsPort: null, shutdownGraceTime: '2s' });
  const running = worker.run();
  const connection = await Connection.connect({ address: temporalAddress() });
  const client = new Client({ connection });
  return {
    taskQueue,
    client,
    start: (workflowId, pipelineName, input) =>
      client.workflow.start<typeof activationRun>('activationRun', {
        taskQueue,
        workflowId,
        args: [input],
        typedSearchAttributes: new TypedSearchAttributes([
          { key: PipelineKey, value: pipelineName },
          { key: RunStatusKey, value: 'RUNNING' },
        ]),
      }),
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
      await native.close();
    },
  };
}

export const runResult = (h: WorkflowHandle) => h.result() as Promise<ActivationRunResult>;

/** Polls the run's `status` query until `done` holds, or fails with the last view after `timeoutMs`. */
export async function waitForStatus(h: WorkflowHandle, done: (v: RunStatusView) => boolean, timeoutMs = 120_000): Promise<RunStatusView> {
  const deadline = Date.now() + timeoutMs;
  let last: RunStatusView | undefined;
  while (Date.now() < deadline) {
    last = await h.query(statusQuery);
    if (done(last)) return last;
    if (['COMPLETED', 'ABORTED', 'NO_DATA', 'FAILED'].includes(last.status)) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`run ${h.workflowId} did not reach the expected state; last status: ${JSON.stringify(last)}`);
}

/** Polls until `probe` returns a value other than undefined. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** YYYY-MM-DD of `days` days before today (UTC): a feed of `days` days from there ends at last midnight, so it is fresh. */
export function recentStartDate(days: number): string {
  return new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
}
