/**
 * The example of docs/testing-workflows.md, run by `npm test` so it never goes stale: a workflow
 * test with @temporalio/testing against the run's real dev server, default settings, a real worker
 * with the real activities, and an operator's approve sent as an update.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import * as activities from '../../activities/index.ts';
import { generateFeed } from '../../tools/feed-generator/generator.ts';
import { closePools } from '../../activities/store/db.ts';
import { WORKFLOWS_PATH } from '../../workers/worker.ts';
import { activityBoundaryInterceptor } from '../../workers/activity-boundary.ts';
import { approveUpdate, statusQuery } from '../../workflows/messages.ts';
import { writeTestPipeline } from '../helpers/pipeline.ts';
import { temporalAddress } from '../helpers/temporal.ts';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  // The suite's global setup started `temporal server start-dev` (the cached CLI) and exported its address.
  env = await TestWorkflowEnvironment.createFromExistingServer({ address: temporalAddress() });
});

afterAll(async () => {
  await env?.teardown();
  await closePools();
});

it('a run over a stale feed pauses at the freshness gate; approve completes it', async () => {
  const taskQueue = `example-${Date.now()}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath: WORKFLOWS_PATH, activities, interceptors: { activity: [activityBoundaryInterceptor] } });
  const pipeline = writeTestPipeline();
  await generateFeed({ visitors: 200, days: 1, seed: 7, out: pipeline.inbox, rsid: `example${Date.now()}`, startDate: '2026-01-05' });

  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start('activationRun', {
      taskQueue,
      workflowId: `example.${Date.now()}`,
      args: [{ pipelinePath: pipeline.path, feedDir: pipeline.inbox }], // default settings: no pause timeout
    });
    // Wait until the run pauses for an operator.
    let status = await handle.query(statusQuery).catch(() => undefined);
    while (status?.status !== 'PAUSED') {
      await new Promise((r) => setTimeout(r, 200));
      status = await handle.query(statusQuery).catch(() => undefined);
    }
    expect(status.awaiting).toMatchObject({ kind: 'gate' });

    const answer = await handle.executeUpdate(approveUpdate, { args: [{ operator: 'dev', reason: 'old feed on purpose' }] });
    expect(answer.accepted).toBe(true);
    expect(await handle.result()).toMatchObject({ status: 'COMPLETED' });
  });
}, 120_000);
