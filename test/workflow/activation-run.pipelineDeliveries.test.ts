/**
 * Delivery tracking per pipeline: two pipelines on one inbox each process the same delivery once,
 * and `scoreflow run` says how many deliveries the pipeline had already loaded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closePools, getPool } from '../../activities/store/db.ts';
import { abortUpdate } from '../../workflows/messages.ts';
import { generateRecentFeed, result, startActivationWorker, uid, waitForStatus, type ActivationWorker } from '../helpers/activation-run.ts';
import { writeTestPipeline } from '../helpers/pipeline.ts';
import { runCli } from '../helpers/run-cli.ts';

let w: ActivationWorker;

beforeAll(async () => {
  w = await startActivationWorker('wfa-pdeliv');
}, 120_000);

afterAll(async () => {
  await w?.close();
  await closePools();
});

describe('deliveries are tracked per pipeline', () => {
  it('two pipelines on one inbox both process the same delivery once each', async () => {
    const a = writeTestPipeline({ online: { enabled: false } }, uid('pd-a'));
    const b = writeTestPipeline({ online: { enabled: false }, inbox: a.inbox }, uid('pd-b'));
    const feed = await generateRecentFeed({ out: a.inbox, rsid: uid('pdshared').replace(/-/g, ''), seed: 919, visitors: 300 });

    const ra = await result(await w.start(uid('pd-a1'), { pipelinePath: a.path }, a.name));
    expect(ra).toMatchObject({ status: 'COMPLETED', counts: { deliveries: 2, alreadyLoaded: 0, records: feed.records } });
    // The delivery is in the database now, but new to pipeline b.
    const rb = await result(await w.start(uid('pd-b1'), { pipelinePath: b.path }, b.name));
    expect(rb).toMatchObject({ status: 'COMPLETED', counts: { deliveries: 2, alreadyLoaded: 0, records: feed.records } });
    expect(rb.counts.published).toBe(ra.counts.published);

    // Each pipeline has taken the deliveries up once: a second run of either finds nothing new.
    const again = await result(await w.start(uid('pd-a2'), { pipelinePath: a.path }, a.name));
    expect(again).toMatchObject({ status: 'NO_DATA', counts: { deliveries: 0, alreadyLoaded: 2 } });
    const cli = await runCli(['run', '--pipeline', b.path, '--wait'], { env: { SCOREFLOW_TASK_QUEUE: w.taskQueue } });
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/: NO_DATA\n/);
    expect(cli.stdout).toContain('deliveries: 0 new, 2 already loaded by this pipeline');

    const { rows } = await getPool().query<{ pipeline: string; n: number }>(
      'SELECT pipeline, count(*)::int AS n FROM pipeline_delivery WHERE pipeline = ANY($1) GROUP BY pipeline ORDER BY pipeline',
      [[a.name, b.name]],
    );
    expect(rows).toEqual([
      { pipeline: a.name, n: 2 },
      { pipeline: b.name, n: 2 },
    ]);
    const records = await getPool().query<{ pipeline: string; n: number }>('SELECT pipeline, count(*)::int AS n FROM activation_record WHERE pipeline = ANY($1) GROUP BY pipeline ORDER BY pipeline', [[a.name, b.name]]);
    expect(records.rows.map((r) => r.n)).toEqual([ra.counts.published, rb.counts.published]);
  }, 400_000);

  it('a missing inbox is an error, not NO_DATA: the run pauses at discover (InvalidFeed, not retried) and says why', async () => {
    const p = writeTestPipeline({ online: { enabled: false } }, uid('pd-missing'));
    const h = await w.start(uid('pd-missing'), { pipelinePath: p.path, feedDir: '/nonexistent/scoreflow-inbox' }, p.name);
    const paused = await waitForStatus(h, (s) => s.status !== 'RUNNING');
    expect(paused).toMatchObject({ status: 'PAUSED', stage: 'discover' });
    expect(paused.pausedReason).toMatch(/^stage discover failed: InvalidFeed: inbox \/nonexistent\/scoreflow-inbox does not exist \(ENOENT\); create it, mount it, or fix `inbox`/);
    const history = await h.fetchHistory();
    const attempts = (history.events ?? []).filter((e) => e.activityTaskStartedEventAttributes && e.activityTaskStartedEventAttributes.attempt && e.activityTaskStartedEventAttributes.attempt > 1);
    expect(attempts).toHaveLength(0);
    await h.executeUpdate(abortUpdate, { args: [{ operator: 'oncall', reason: 'inbox path typo, fixing the pipeline' }] });
    expect((await result(h)).status).toBe('ABORTED');
  }, 120_000);
});
