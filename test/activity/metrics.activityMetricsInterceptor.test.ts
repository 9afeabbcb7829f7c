import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { activityMetricsInterceptor, createWorkerMetrics, serveWorkerMetrics, startMetricsServer, type MetricsServer } from '../../workers/metrics.ts';
import { createWorker } from '../../workers/worker.ts';
import type { ActivityCall, ActivityOutcome } from '../helpers/call-activities-workflow.ts';
import { temporalAddress } from '../helpers/temporal.ts';

const SECRET_ENTITY = `visitor-${randomUUID()}`;

/** Fake activities under the real names, returning the shapes the real ones return. */
const fakes = {
  loadPipelineActivity: async () => ({ name: 'metrics-test' }),
  ingestFeedActivity: async () => ({ deliveryId: 'rsid_2026-01-01', records: 100, loaded: 95, excluded: 3, quarantined: 2, exclusions: {}, visitors: 40, visits: 50, pageViews: 90, orders: 4, units: 5, revenue: 120 }),
  scoreActivity: async () => ({ scored: 95, eligible: 80, segments: { warm: 50, cold: 45 } }),
  gateCycleActivity: async () => ({
    status: 'warn',
    baselineRunId: null,
    previousRunId: null,
    results: [
      { gate: 'scorePsi', subject: 'score', status: 'pass', value: 0.01, warnAt: 0.1, failAt: 0.25, detail: 'ok' },
      { gate: 'featurePsi', subject: 'monetary', status: 'warn', value: 0.12, warnAt: 0.1, failAt: 0.25, detail: 'warn' },
      { gate: 'featurePsi', subject: 'frequency', status: 'pass', value: 0.02, warnAt: 0.1, failAt: 0.25, detail: 'ok' },
    ],
  }),
  publishCanonicalActivity: async () => ({ published: 78, quarantined: 2, control: 8, alreadyPublished: false }),
  exportDestinationActivity: async (input: { destination: string }) => {
    if (input.destination === 'broken-hook') throw ApplicationFailure.nonRetryable('receiver answered HTTP 503', 'DestinationUnavailable');
    if (input.destination === 'outbox') return { destination: 'outbox', kind: 'file', rows: 78, location: '/tmp/outbox' };
    await sleep(60);
    return { destination: input.destination, kind: 'google-customer-match', rows: 70, adds: 60, updates: 10, removes: 4, rejected: 3 };
  },
  cartAbandonmentActivity: async () => ({ outcome: 'delivered', webhookId: 'msg_1' }),
  activationDriftActivity: async () => ({
    alert: true,
    results: [{ gate: 'acceptanceDecline', subject: 'google-audience', status: 'fail', value: 0.4, warnAt: 0.1, failAt: 0.25, detail: 'declined' }],
  }),
};

const CALLS: ActivityCall[] = [
  { name: 'loadPipelineActivity', input: { pipelinePath: '/p.yaml' } },
  { name: 'ingestFeedActivity', input: { manifestFile: '/inbox/rsid_2026-01-01.txt' } },
  { name: 'scoreActivity', input: { runId: 'r1' } },
  { name: 'gateCycleActivity', input: { runId: 'r1' } },
  { name: 'publishCanonicalActivity', input: { runId: 'r1' } },
  { name: 'exportDestinationActivity', input: { runId: 'r1', pipelinePath: '/p.yaml', destination: 'google-audience' } },
  { name: 'exportDestinationActivity', input: { runId: 'r1', pipelinePath: '/p.yaml', destination: 'outbox' } },
  { name: 'exportDestinationActivity', input: { runId: 'r1', pipelinePath: '/p.yaml', destination: 'broken-hook' } },
  { name: 'cartAbandonmentActivity', input: { workflowId: `cart-${SECRET_ENTITY}`, entityId: SECRET_ENTITY, activation: { destination: 'cart-offer-webhook' } } },
  { name: 'activationDriftActivity', input: { runId: 'r1', pipelinePath: '/p.yaml' } },
];

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseSamples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of the one sample with this name and exactly these labels; undefined if absent. */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const hits = samples.filter(
    (s) => s.name === name && Object.keys(s.labels).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  expect(hits.length, `${name}${JSON.stringify(labels)} appears at most once`).toBeLessThanOrEqual(1);
  return hits[0]?.value;
}

async function scrape(url: string): Promise<{ text: string; samples: Sample[]; contentType: string | null }> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  const text = await res.text();
  return { text, samples: parseSamples(text), contentType: res.headers.get('content-type') };
}

describe('activityMetricsInterceptor on a real worker', () => {
  const taskQueue = `metrics-${randomUUID()}`;
  const metrics = createWorkerMetrics();
  let server: MetricsServer;
  let nativeConnection: NativeConnection;
  let connection: Connection;
  let client: Client;
  let worker: Worker;
  let running: Promise<void>;

  beforeAll(async () => {
    server = await startMetricsServer(metrics.registry, { port: 0, host: '127.0.0.1' });
    nativeConnection = await NativeConnection.connect({ address: temporalAddress() });
    worker = await Worker.create({
      connection: nativeConnection,
      taskQueue,
      workflowsPath: fileURLToPath(new URL('../helpers/call-activities-workflow.ts', import.meta.url)),
      activities: fakes,
      interceptors: { activity: [activityMetricsInterceptor(metrics)] },
    });
    running = worker.run();
    connection = await Connection.connect({ address: temporalAddress() });
    client = new Client({ connection });
  });

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await connection?.close();
    await nativeConnection?.close();
    await server?.close();
  });

  it('counts rows per stage, gate outcomes, delivery latency per destination, durations and errors with safe labels', async () => {
    const before = await scrape(server.url);
    expect(value(before.samples, 'scoreflow_rows_total', { stage: 'ingested' })).toBeUndefined();
    // Default process metrics are there from the start.
    expect(value(before.samples, 'process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(0);

    const outcomes = (await client.workflow.execute('callActivities', { taskQueue, workflowId: `metrics-${randomUUID()}`, args: [CALLS] })) as ActivityOutcome[];
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, true, true, true, true, true, false, true, true]);

    const { samples, text, contentType } = await scrape(server.url);
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const rows = (stage: string, pipeline = 'metrics-test') => value(samples, 'scoreflow_rows_total', { pipeline, stage });
    expect({
      ingested: rows('ingested'),
      loaded: rows('loaded'),
      excluded: rows('excluded'),
      quarantined: rows('quarantined'),
      scored: rows('scored'),
      eligible: rows('eligible'),
      published: rows('published'),
      contract_quarantined: rows('contract_quarantined'),
      holdout_control: rows('holdout_control'),
      exported: rows('exported'),
      rejected: rows('rejected'),
      realtime_delivered: rows('realtime_delivered', ''),
    }).toEqual({
      ingested: 100,
      loaded: 95,
      excluded: 3,
      quarantined: 2,
      scored: 95,
      eligible: 80,
      published: 78,
      contract_quarantined: 2,
      holdout_control: 8,
      exported: 148,
      rejected: 3,
      realtime_delivered: 1,
    });

    const dest = (destination: string, outcome: string, pipeline = 'metrics-test') => value(samples, 'scoreflow_destination_rows_total', { pipeline, destination, outcome });
    expect([dest('google-audience', 'delivered'), dest('google-audience', 'added'), dest('google-audience', 'updated'), dest('google-audience', 'removed'), dest('google-audience', 'rejected')]).toEqual([70, 60, 10, 4, 3]);
    expect(dest('outbox', 'delivered')).toBe(78);
    expect(dest('cart-offer-webhook', 'delivered', '')).toBe(1); // the real-time cart path is no pipeline run

    const gate = (g: string, status: string) => value(samples, 'scoreflow_gate_outcomes_total', { pipeline: 'metrics-test', gate: g, status });
    expect([gate('scorePsi', 'pass'), gate('featurePsi', 'warn'), gate('featurePsi', 'pass'), gate('overall', 'warn'), gate('acceptanceDecline', 'fail')]).toEqual([1, 1, 1, 1, 1]);
    expect(gate('featurePsi', 'fail')).toBeUndefined();

    // Delivery latency: one observation per successful delivery, the slow one at least its 60 ms.
    expect(value(samples, 'scoreflow_delivery_latency_seconds_count', { pipeline: 'metrics-test', destination: 'google-audience' })).toBe(1);
    expect(value(samples, 'scoreflow_delivery_latency_seconds_sum', { pipeline: 'metrics-test', destination: 'google-audience' })).toBeGreaterThanOrEqual(0.05);
    expect(value(samples, 'scoreflow_delivery_latency_seconds_bucket', { pipeline: 'metrics-test', destination: 'google-audience', le: '+Inf' })).toBe(1);
    expect(value(samples, 'scoreflow_delivery_latency_seconds_count', { pipeline: 'metrics-test', destination: 'outbox' })).toBe(1);
    expect(value(samples, 'scoreflow_delivery_latency_seconds_count', { pipeline: '', destination: 'cart-offer-webhook' })).toBe(1);
    expect(value(samples, 'scoreflow_delivery_latency_seconds_count', { pipeline: 'metrics-test', destination: 'broken-hook' })).toBeUndefined();

    // The failed attempt: one error for its activity and destination, and it is still timed.
    expect(value(samples, 'scoreflow_activity_errors_total', { pipeline: 'metrics-test', activity: 'exportDestinationActivity', destination: 'broken-hook' })).toBe(1);
    expect(samples.filter((s) => s.name === 'scoreflow_activity_errors_total')).toHaveLength(1);
    const duration = (activity: string) => value(samples, 'scoreflow_activity_duration_seconds_count', { pipeline: 'metrics-test', activity });
    expect([duration('exportDestinationActivity'), duration('loadPipelineActivity'), duration('ingestFeedActivity'), duration('activationDriftActivity')]).toEqual([3, 1, 1, 1]);

    // No entity id in any label or value.
    expect(text).not.toContain(SECRET_ENTITY);
    for (const s of samples) for (const v of Object.values(s.labels)) expect(v).not.toMatch(/visitor-/);

    // Every series recorded within the run carries its pipeline (learned from the load activity's result for the workflow).
    for (const family of ['scoreflow_rows_total', 'scoreflow_destination_rows_total', 'scoreflow_gate_outcomes_total', 'scoreflow_activity_errors_total', 'scoreflow_activity_duration_seconds_count']) {
      const series = samples.filter((s) => s.name === family);
      expect(series.length, family).toBeGreaterThan(0);
      for (const s of series) expect(s.labels.pipeline, `${family}${JSON.stringify(s.labels)}`).toBe(s.labels.activity === 'cartAbandonmentActivity' || ['realtime_delivered'].includes(s.labels.stage ?? '') || s.labels.destination === 'cart-offer-webhook' ? '' : 'metrics-test');
    }

    // Counters accumulate across runs: the second failure makes two. This run's export names its
    // pipeline in its input (the run's snapshot), as real exports do.
    const snapshotExport = { ...CALLS[7]!, input: { runId: 'r2', pipeline: { name: 'metrics-test' }, destination: 'broken-hook' } };
    await client.workflow.execute('callActivities', { taskQueue, workflowId: `metrics-${randomUUID()}`, args: [[snapshotExport]] });
    // A run of another pipeline is counted apart.
    const other = { ...CALLS[7]!, input: { runId: 'r3', pipeline: 'other-shop', destination: 'broken-hook' } };
    await client.workflow.execute('callActivities', { taskQueue, workflowId: `metrics-${randomUUID()}`, args: [[other]] });
    const again = await scrape(server.url);
    expect(value(again.samples, 'scoreflow_activity_errors_total', { pipeline: 'metrics-test', activity: 'exportDestinationActivity', destination: 'broken-hook' })).toBe(2);
    expect(value(again.samples, 'scoreflow_activity_errors_total', { pipeline: 'other-shop', activity: 'exportDestinationActivity', destination: 'broken-hook' })).toBe(1);
  });

  it('answers /healthz and refuses other paths and methods', async () => {
    const health = await fetch(server.url.replace('/metrics', '/healthz'));
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true, state: 'RUNNING' });
    expect((await fetch(server.url.replace('/metrics', '/nope'))).status).toBe(404);
    expect((await fetch(server.url, { method: 'POST' })).status).toBe(405);
  });
});

describe('createWorker', () => {
  it('serves /metrics and /healthz for the real worker, and the health follows the worker state', async () => {
    const { worker, connection, metrics } = await createWorker({ taskQueue: `metrics-real-${randomUUID()}`, metricsPort: 0, shutdownGraceTime: '1s' });
    try {
      expect(metrics).not.toBeNull();
      const healthz = metrics!.url.replace('/metrics', '/healthz');
      expect((await fetch(healthz)).status).toBe(503); // created, not yet polling
      const running = worker.run();
      await expect.poll(async () => (await fetch(healthz)).status, { timeout: 10_000 }).toBe(200);
      const text = await (await fetch(metrics!.url)).text();
      for (const family of ['scoreflow_rows_total', 'scoreflow_gate_outcomes_total', 'scoreflow_delivery_latency_seconds', 'scoreflow_activity_errors_total', 'scoreflow_activity_duration_seconds']) {
        expect(text).toContain(`# TYPE ${family} `);
      }
      worker.shutdown();
      await running;
      expect((await fetch(healthz)).status).toBe(503);
    } finally {
      await metrics?.close();
      await connection.close();
    }
  }, 120_000);
});

describe('serveWorkerMetrics', () => {
  it('serves nothing when switched off, and carries on without a server when the port is taken', async () => {
    const m = createWorkerMetrics({ defaultMetrics: false });
    expect(await serveWorkerMetrics(m.registry, { port: null })).toBeNull();
    const first = await serveWorkerMetrics(m.registry, { port: 0, host: '127.0.0.1' });
    try {
      expect(first).not.toBeNull();
      expect(await serveWorkerMetrics(m.registry, { port: first!.port, host: '127.0.0.1' })).toBeNull();
      expect((await fetch(first!.url)).status).toBe(200);
    } finally {
      await first?.close();
    }
  });
});
