/**
 * The Scoreflow worker: workflows and activities on the versioned task queue.
 * NativeConnection.connect → Worker.create → worker.run(), connection closed in finally.
 */
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import * as activities from '../activities/index.ts';
import { TASK_QUEUE, TEMPORAL_NAMESPACE, temporalAddress } from './config.ts';

const here = dirname(fileURLToPath(import.meta.url));
export const WORKFLOWS_PATH = join(here, '..', 'workflows', 'index.ts');

export interface StartWorkerOptions {
  address?: string;
  taskQueue?: string;
  /** Prebuilt bundle (scripts/bundle-workflows.ts); otherwise workflows are bundled at start. */
  workflowBundlePath?: string;
  shutdownGraceTime?: WorkerOptions['shutdownGraceTime'];
}

export async function createWorker(opts: StartWorkerOptions = {}): Promise<{ worker: Worker; connection: NativeConnection }> {
  const connection = await NativeConnection.connect({ address: opts.address ?? temporalAddress() });
  const bundlePath = opts.workflowBundlePath ?? process.env.SCOREFLOW_WORKFLOW_BUNDLE;
  const worker = await Worker.create({
    connection,
    namespace: TEMPORAL_NAMESPACE,
    taskQueue: opts.taskQueue ?? TASK_QUEUE,
    ...(bundlePath && existsSync(bundlePath) ? { workflowBundle: { codePath: bundlePath } } : { workflowsPath: WORKFLOWS_PATH }),
    activities,
    maxConcurrentActivityTaskExecutions: 8,
    shutdownGraceTime: opts.shutdownGraceTime ?? '5s',
  });
  return { worker, connection };
}

export async function runWorker(opts: StartWorkerOptions = {}): Promise<void> {
  const { worker, connection } = await createWorker(opts);
  try {
    await worker.run();
  } finally {
    await connection.close();
  }
}
