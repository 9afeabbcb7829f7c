/**
 * Real-time workflows have a task queue and a worker of their own: `scoreflow worker` runs the batch
 * worker and the real-time worker in one process, on one connection and one workflow bundle. A cart
 * workflow started on the real-time queue is served by the real-time worker, never queued behind
 * the batch worker's exports.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { createRealtimeWorker, createWorker } from '../../workers/worker.ts';
import { REALTIME_TASK_QUEUE, TASK_QUEUE } from '../../workers/config.ts';
import { CART_WORKFLOW_TYPE, type CartAbandonmentResult } from '../../workflows/cart-abandonment.ts';
import { uid } from '../helpers/activation-run.ts';
import { temporalAddress } from '../helpers/temporal.ts';

let batch: Awaited<ReturnType<typeof createWorker>>;
let realtime: Worker;
let running: Promise<unknown>;
let connection: Connection;
let client: Client;
const batchQueue = uid('rt-batch');
const realtimeQueue = uid('rt-realtime');

beforeAll(async () => {
  batch = await createWorker({ address: temporalAddress(), taskQueue: batchQueue, metricsPort: null, shutdownGraceTime: '1s' });
  realtime = await createRealtimeWorker(batch.connection, { realtimeTaskQueue: realtimeQueue });
  running = Promise.all([batch.worker.run(), realtime.run()]);
  connection = await Connection.connect({ address: temporalAddress() });
  client = new Client({ connection });
}, 120_000);

afterAll(async () => {
  batch?.worker.shutdown();
  realtime?.shutdown();
  await running;
  await batch?.connection.close();
  await connection?.close();
});

describe('the real-time task queue', () => {
  it('is distinct from the batch queue by default', () => {
    expect(REALTIME_TASK_QUEUE).toMatch(/^scoreflow-realtime-v\d+$/);
    expect(REALTIME_TASK_QUEUE).not.toBe(TASK_QUEUE);
  });

  it('serves a cart workflow started on it, with the batch worker on another queue', async () => {
    const h = await client.workflow.start(CART_WORKFLOW_TYPE, {
      taskQueue: realtimeQueue,
      workflowId: uid('cart.rt'),
      args: [{ entityId: 'rt_1', delayMs: 300, activation: { destination: 'cart-offer', url: 'http://127.0.0.1:9/unused', secretEnv: 'UNUSED' } }],
    });
    const res = (await h.result()) as CartAbandonmentResult;
    expect(res).toEqual({ outcome: 'suppressed', reason: 'no_cart_add', adds: 0 });
    const history = await h.fetchHistory();
    const started = history.events!.find((e) => e.workflowExecutionStartedEventAttributes)!.workflowExecutionStartedEventAttributes!;
    expect(started.taskQueue?.name).toBe(realtimeQueue);
    expect(started.taskQueue?.name).not.toBe(batchQueue);
  }, 60_000);
});
