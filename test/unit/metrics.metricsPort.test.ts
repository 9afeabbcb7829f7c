import { describe, expect, it } from 'vitest';
import { DEFAULT_METRICS_PORT, createWorkerMetrics, destinationOf, metricsPort, observeActivity, pipelineOfInput, pipelineOfWorkflowId, safeLabel } from '../../workers/metrics.ts';

describe('metricsPort', () => {
  it('defaults to 9464, takes 0 for any free port, "off" for none, and refuses anything else', () => {
    expect(metricsPort({})).toBe(DEFAULT_METRICS_PORT);
    expect(metricsPort({ METRICS_PORT: '' })).toBe(9464);
    expect(metricsPort({ METRICS_PORT: '0' })).toBe(0);
    expect(metricsPort({ METRICS_PORT: ' 9100 ' })).toBe(9100);
    expect(metricsPort({ METRICS_PORT: 'off' })).toBeNull();
    expect(metricsPort({ METRICS_PORT: 'OFF' })).toBeNull();
    expect(() => metricsPort({ METRICS_PORT: '70000' })).toThrow(/METRICS_PORT="70000" is not a port/);
    expect(() => metricsPort({ METRICS_PORT: 'abc' })).toThrow(/0-65535/);
  });
});

describe('safeLabel and destinationOf', () => {
  it('keeps plain names and turns anything id-like or long into "other"', () => {
    expect(safeLabel('google-audience')).toBe('google-audience');
    expect(safeLabel('collapse.topValueShare')).toBe('collapse.topValueShare');
    expect(safeLabel('someone@example.com')).toBe('other');
    expect(safeLabel('x'.repeat(65))).toBe('other');
    expect(safeLabel(42)).toBe('other');
    expect(destinationOf('exportDestinationActivity', { destination: 'meta' })).toBe('meta');
    expect(destinationOf('cartAbandonmentActivity', { entityId: 'v1', activation: { destination: 'cart-offer' } })).toBe('cart-offer');
    expect(destinationOf('scoreActivity', { runId: 'r' })).toBe('');
  });
});

describe('observeActivity', () => {
  it('ignores malformed results instead of failing the activity', async () => {
    const m = createWorkerMetrics({ defaultMetrics: false });
    observeActivity(m, { activity: 'ingestFeedActivity', input: null, seconds: 0.1, result: { records: -5, loaded: 'many', excluded: Number.NaN } });
    observeActivity(m, { activity: 'gateCycleActivity', input: {}, seconds: 0.1, result: { results: 'no' } });
    observeActivity(m, { activity: 'scoreActivity', input: {}, seconds: 0.1, result: undefined });
    const rows = await m.rows.get();
    expect(rows.values).toEqual([]);
    const gates = await m.gateOutcomes.get();
    expect(gates.values).toEqual([]);
    expect((await m.activityDuration.get()).values.filter((v) => v.metricName === 'scoreflow_activity_duration_seconds_count').map((v) => v.value)).toEqual([1, 1, 1]);
  });
});

describe('the pipeline label', () => {
  it('comes from the input (name or snapshot), else from the load activity of the same workflow, else is ""', async () => {
    expect(pipelineOfInput({ pipeline: 'shop' })).toBe('shop');
    expect(pipelineOfInput({ pipeline: { name: 'shop', destinations: [] } })).toBe('shop');
    expect(pipelineOfInput({ pipelinePath: '/p.yaml' })).toBe('');
    expect(pipelineOfInput({ pipeline: 'someone@example.com' })).toBe('other');
    expect(pipelineOfWorkflowId('demo.run.2026-03-10T12-00-00-000Z')).toBe('demo');
    expect(pipelineOfWorkflowId('demo.run.1.rollback-1')).toBe('demo');
    expect(pipelineOfWorkflowId('my-shop.rollback.2026-03-10T12-00-00-000Z')).toBe('my-shop');
    expect(pipelineOfWorkflowId('cart-12345')).toBe('');
    expect(pipelineOfWorkflowId('metrics-7f3a')).toBe('');
    const m = createWorkerMetrics({ defaultMetrics: false });
    observeActivity(m, { activity: 'snapshotPipelineActivity', input: { runId: 'r1', pipelinePath: '/p.yaml' }, seconds: 0.01, result: { config: { name: 'shop' }, sha256: 'x' }, workflowId: 'wf-1' });
    observeActivity(m, { activity: 'scoreActivity', input: { runId: 'r1', pipelinePath: '/p.yaml' }, seconds: 0.01, result: { scored: 7, eligible: 5 }, workflowId: 'wf-1' });
    observeActivity(m, { activity: 'scoreActivity', input: { runId: 'r2' }, seconds: 0.01, result: { scored: 3 }, workflowId: 'wf-unknown' });
    observeActivity(m, { activity: 'scoreActivity', input: { runId: 'r3', pipeline: { name: 'b2b' } }, seconds: 0.01, result: { scored: 2 } });
    const rows = (await m.rows.get()).values.map((v) => ({ ...v.labels, value: v.value }));
    expect(rows).toEqual(
      expect.arrayContaining([
        { pipeline: 'shop', stage: 'scored', value: 7 },
        { pipeline: 'shop', stage: 'eligible', value: 5 },
        { pipeline: '', stage: 'scored', value: 3 },
        { pipeline: 'b2b', stage: 'scored', value: 2 },
      ]),
    );
    expect(rows).toHaveLength(4);
    // A worker that did not see the run's first activity reads the pipeline from the run's workflow id.
    observeActivity(m, { activity: 'ingestFeedActivity', input: {}, seconds: 0.01, result: { records: 4 }, workflowId: 'shop.run.2026-03-01T10-00-00-000Z' });
    observeActivity(m, { activity: 'ingestFeedActivity', input: {}, seconds: 0.01, result: { records: 2 }, workflowId: 'b2b.scheduled-2026-03-01T10:00:00Z.export.outbox' });
    expect((await m.rows.get()).values.filter((v) => v.labels.stage === 'ingested').map((v) => [v.labels.pipeline, v.value])).toEqual([
      ['shop', 4],
      ['b2b', 2],
    ]);
    expect(m.runPipelines.get('wf-1')).toBe('shop');
    expect(m.runPipelines.has('wf-unknown')).toBe(false);
  });
});
