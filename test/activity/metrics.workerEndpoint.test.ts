/**
 * The worker's /metrics in one scrape: prom-client's process_* and nodejs_* under their standard
 * names (stock dashboards), the Temporal SDK core's temporal_* (installed through the Prometheus
 * runtime option before the first connection, so this file creates the worker first), and
 * scoreflow_last_success_timestamp_seconds{pipeline}, seeded from activation_run and set when a
 * cycle is recorded COMPLETED.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createWorker } from '../../workers/worker.ts';
import { createWorkerMetrics, observeActivity } from '../../workers/metrics.ts';
import { closePools, getPool } from '../../activities/store/db.ts';

afterAll(async () => {
  await closePools();
});

describe('worker /metrics', () => {
  it('has process_*, nodejs_*, temporal_* and the last success of each pipeline', async () => {
    const pipeline = `lastok-${randomUUID().slice(0, 8)}`;
    await getPool().query("INSERT INTO activation_run (run_id, pipeline, status, stage, updated_at) VALUES ($1, $2, 'COMPLETED', 'done', to_timestamp(1800000000))", [`${pipeline}.run`, pipeline]);
    const { worker, connection, metrics } = await createWorker({ taskQueue: `metrics-endpoint-${randomUUID()}`, metricsPort: 0, shutdownGraceTime: '1s' });
    const running = worker.run();
    try {
      // The core reports temporal_* once the worker polls.
      await expect.poll(async () => (await (await fetch(metrics!.url)).text()).includes('temporal_'), { timeout: 60_000, interval: 500 }).toBe(true);
      const text = await (await fetch(metrics!.url)).text();
      expect(text).toMatch(/^process_cpu_seconds_total \d/m);
      expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
      expect(text).not.toContain('scoreflow_process_');
      expect(text).toMatch(/^# TYPE temporal_\w+ /m);
      expect(text).toContain(`scoreflow_last_success_timestamp_seconds{pipeline="${pipeline}"} 1800000000`);
    } finally {
      worker.shutdown();
      await running;
      await metrics?.close();
      await connection.close();
    }
  }, 180_000);

  it('sets the last success when a cycle is recorded COMPLETED, not for other statuses', async () => {
    const m = createWorkerMetrics({ defaultMetrics: false });
    observeActivity(m, { activity: 'recordRunActivity', input: { runId: 'r1', pipeline: 'shop', status: 'PAUSED', stage: 'gate', counts: {} }, seconds: 0.01 });
    expect((await m.lastSuccess.get()).values).toEqual([]);
    const before = Date.now() / 1000;
    observeActivity(m, { activity: 'recordRunActivity', input: { runId: 'r1', pipeline: 'shop', status: 'COMPLETED', stage: 'done', counts: {} }, seconds: 0.01 });
    const [v] = (await m.lastSuccess.get()).values;
    expect(v!.labels).toEqual({ pipeline: 'shop' });
    expect(v!.value).toBeGreaterThanOrEqual(before);
  });
});
