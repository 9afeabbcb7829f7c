import { describe, expect, it } from 'vitest';
import { getPool } from '../../activities/store/db.ts';
import { runGatesActivity } from '../../activities/gates/gate-activity.ts';
import { psi } from '../../activities/gates/psi.ts';
import { makeFeatures, makeScores, seedRun, seedSnapshot, uniqueId } from '../helpers/gate-fixtures.ts';

const N = 2000;

async function baselineAndCurrent(opts: { currentScores: number[]; currentFeatures: ReturnType<typeof makeFeatures> }) {
  const pipeline = uniqueId('h8-gates');
  const base = { runId: uniqueId('base'), snapshotId: uniqueId('snap-base'), features: makeFeatures(N, 1), scores: makeScores(N, 2) };
  await seedSnapshot(base.snapshotId, base.features);
  await seedRun({ ...base, pipeline, status: 'COMPLETED', startedAt: '2026-01-01T00:00:00Z' });
  // An older completed run and a newer aborted one must not be picked as the baseline.
  const older = { runId: uniqueId('older'), snapshotId: uniqueId('snap-older'), features: makeFeatures(50, 9), scores: makeScores(50, 9, () => 0.9) };
  await seedSnapshot(older.snapshotId, older.features);
  await seedRun({ ...older, pipeline, status: 'COMPLETED', startedAt: '2025-12-01T00:00:00Z' });
  await seedRun({ runId: uniqueId('aborted'), pipeline, status: 'ABORTED', snapshotId: older.snapshotId, features: older.features, scores: older.scores, startedAt: '2026-01-01T06:00:00Z' });
  const cur = { runId: uniqueId('cur'), snapshotId: uniqueId('snap-cur'), features: opts.currentFeatures, scores: opts.currentScores };
  await seedSnapshot(cur.snapshotId, cur.features);
  await seedRun({ ...cur, pipeline, status: 'RUNNING', startedAt: '2026-01-01T12:00:00Z' });
  return { pipeline, base, cur };
}

async function stored(runId: string) {
  const { rows } = await getPool().query<{ gate: string; subject: string; status: string; value: number | null; detail: string }>(
    'SELECT gate, subject, status, value, detail FROM gate_result WHERE run_id = $1 ORDER BY gate, subject',
    [runId],
  );
  return rows;
}

describe('runGatesActivity', () => {
  it('passes a stable run against the latest COMPLETED run, stores results idempotently, and agrees with the pure PSI', async () => {
    const { pipeline, base, cur } = await baselineAndCurrent({ currentScores: makeScores(N, 3), currentFeatures: makeFeatures(N, 4) });
    const input = { runId: cur.runId, pipeline, snapshotId: cur.snapshotId, feedMaxHitTime: '2026-01-01T10:00:00Z', now: '2026-01-01T12:00:00Z' };
    const report = await runGatesActivity(input);
    expect(report.baselineRunId).toBe(base.runId);
    expect(report.results.filter((r) => r.status !== 'pass')).toEqual([]);
    expect(report.status).toBe('pass');

    // SQL binning (percentile_cont + width_bucket) = the in-memory definition.
    const scorePsi = report.results.find((r) => r.gate === 'scorePsi')!;
    expect(scorePsi.value!).toBeCloseTo(psi(base.scores, cur.scores).value, 10);
    const monetary = report.results.find((r) => r.gate === 'featurePsi' && r.subject === 'monetary')!;
    expect(monetary.value!).toBeCloseTo(psi(base.features.map((f) => f.monetary), cur.features.map((f) => f.monetary)).value, 10);
    const frequency = report.results.find((r) => r.gate === 'featurePsi' && r.subject === 'frequency')!;
    expect(frequency.value!).toBeCloseTo(psi(base.features.map((f) => f.frequency), cur.features.map((f) => f.frequency)).value, 10);

    const first = await stored(cur.runId);
    expect(first).toHaveLength(report.results.length);
    const again = await runGatesActivity(input);
    expect(again.results).toEqual(report.results);
    expect(await stored(cur.runId)).toEqual(first);

    const run = await getPool().query<{ gate_report: { status: string } }>('SELECT gate_report FROM activation_run WHERE run_id = $1', [cur.runId]);
    expect(run.rows[0]!.gate_report.status).toBe('pass');
    const ev = await getPool().query('SELECT baseline_run_id, status FROM gate_evaluation WHERE run_id = $1', [cur.runId]);
    expect(ev.rows).toEqual([{ baseline_run_id: base.runId, status: 'pass' }]);
  });

  it('fails a collapsed, drifted, shrunken run and names the gates', async () => {
    const features = makeFeatures(600, 5, { shift: 150, nullShare: 0.7 });
    const { pipeline, cur } = await baselineAndCurrent({ currentScores: makeScores(600, 6, () => 0.97), currentFeatures: features });
    const report = await runGatesActivity({ runId: cur.runId, pipeline, snapshotId: cur.snapshotId, feedMaxHitTime: '2025-12-20T00:00:00Z', now: '2026-01-01T12:00:00Z' });
    expect(report.status).toBe('fail');
    const failed = new Set(report.results.filter((r) => r.status === 'fail').map((r) => `${r.gate}:${r.subject}`));
    for (const g of [
      'scorePsi:score',
      'featurePsi:monetary',
      'featureNullRate:recency_days',
      'collapse.topValueShare:score',
      'collapse.minStdDev:score',
      'collapse.minDistinct:score',
      'categoricalJsd:segment',
      'volumeChange:scored',
      'feedFreshness:feed',
    ]) {
      expect(failed, g).toContain(g);
    }
    expect(report.results.find((r) => r.gate === 'volumeChange')!.value).toBeCloseTo(0.7, 12);
  });

  it('reports baseline gates as not measured for a pipeline with no completed run, and drops results a new config no longer produces', async () => {
    const pipeline = uniqueId('h8-first');
    const runId = uniqueId('first');
    const snapshotId = uniqueId('snap-first');
    const features = makeFeatures(300, 7);
    await seedSnapshot(snapshotId, features);
    await seedRun({ runId, pipeline, status: 'RUNNING', snapshotId, features, scores: makeScores(300, 8) });
    const report = await runGatesActivity({ runId, pipeline, snapshotId, feedMaxHitTime: null });
    expect(report.baselineRunId).toBeNull();
    const scorePsi = report.results.find((r) => r.gate === 'scorePsi')!;
    expect(scorePsi).toMatchObject({ status: 'pass', value: null });
    expect(scorePsi.detail).toMatch(/No baseline/);
    expect(report.results.some((r) => r.gate === 'feedFreshness')).toBe(false);
    expect((await stored(runId)).some((r) => r.gate === 'featurePsi')).toBe(true);

    await runGatesActivity({ runId, pipeline, snapshotId, config: { featurePsi: { enabled: false } } });
    expect((await stored(runId)).some((r) => r.gate === 'featurePsi')).toBe(false);
  });

  it('rejects an invalid gate config as non-retryable, saying where to fix it', async () => {
    await expect(runGatesActivity({ runId: 'x', pipeline: 'p', snapshotId: 's', config: { scorePsi: { warnAt: 0.5, failAt: 0.1 } } })).rejects.toMatchObject({
      type: 'InvalidPipelineConfig',
      nonRetryable: true,
      message: expect.stringMatching(/gates: block/),
    });
  });
});
