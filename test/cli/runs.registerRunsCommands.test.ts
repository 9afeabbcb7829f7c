/** `scoreflow runs list` filters runs by pipeline and status; `status` shows SKIP for gates that could not measure. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { closePools, getPool } from '../../activities/store/db.ts';
import { runCli } from '../helpers/run-cli.ts';

const pipeline = `runs-${randomBytes(3).toString('hex')}`;
const id = (n: number) => `${pipeline}.run.${n}`;

beforeAll(async () => {
  const pool = getPool();
  await pool.query(
    // Score and publish record a run's own cycle with parent_run_id = run_id (runs 1 and 3); a run
    // that stopped before scoring has none (run 2).
    `INSERT INTO activation_run (run_id, pipeline, status, stage, started_at, parent_run_id) VALUES
       ($1, $4, 'COMPLETED', 'done', now() - interval '3 minutes', $1),
       ($2, $4, 'NO_DATA', 'discover', now() - interval '2 minutes', NULL),
       ($3, $4, 'PAUSED', 'gate', now() - interval '1 minute', $3)`,
    [id(1), id(2), id(3), pipeline],
  );
  // A rollback cycle of run 1: listed under its run, not as a run of its own.
  await pool.query(`INSERT INTO activation_run (run_id, pipeline, status, stage, parent_run_id) VALUES ($1, $2, 'COMPLETED', 'done', $3)`, [`${id(1)}.rollback-1`, pipeline, id(1)]);
  // The pipeline snapshot run 1 kept: one destination declares its decision, one does not.
  const config = {
    name: pipeline,
    destinations: [
      { name: 'outbox', kind: 'file', decision: { point: 'onsite.hero-banner', owner: 'growth-team', latencyBudget: '6h' } },
      { name: 'hooks', kind: 'webhook' },
    ],
  };
  await pool.query('UPDATE activation_run SET pipeline_config = $2 WHERE run_id = $1', [id(1), JSON.stringify(config)]);
  await pool.query(
    `INSERT INTO gate_result (run_id, gate, subject, status, value, warn_at, fail_at, detail) VALUES
       ($1, 'scorePsi', '', 'pass', NULL, 0.1, 0.25, 'No baseline run; PSI not measured.'),
       ($1, 'volumeChange', '', 'pass', 0.05, 0.3, 0.6, 'volume change is 0.05, below 0.3.'),
       ($1, 'feedFreshness', 'feed', 'fail', NULL, 24, 48, 'The feed has no hits, so its freshness is unknown.')`,
    [id(1)],
  );
});

afterAll(async () => {
  await closePools();
});

describe('scoreflow runs list', () => {
  it('lists a pipeline\'s runs newest first, filtered by status, without rollback cycles', async () => {
    const all = await runCli(['runs', 'list', '--pipeline', pipeline, '--json']);
    expect(all.code, all.stderr).toBe(0);
    expect((all.json.runs as { runId: string }[]).map((r) => r.runId)).toEqual([id(3), id(2), id(1)]);
    const paused = await runCli(['runs', 'list', '--pipeline', pipeline, '--status', 'paused', '--json']);
    expect(paused.json.runs).toEqual([expect.objectContaining({ runId: id(3), status: 'PAUSED', stage: 'gate' })]);
    const human = await runCli(['runs', 'list', '--pipeline', pipeline, '--status', 'ABORTED']);
    expect(human.stdout.trim()).toBe(`no runs of pipeline ${pipeline} with status ABORTED`);
  });

  it('refuses an unknown status with exit 2, naming the valid ones', async () => {
    const res = await runCli(['runs', 'list', '--status', 'DONE', '--json']);
    expect(res.code).toBe(2);
    expect(res.json.message).toBe('--status "DONE": not a run status; use one of RUNNING, PAUSED, COMPLETED, ABORTED, NO_DATA, FAILED, CANCELLED.');
  });
});

describe('scoreflow status', () => {
  it('shows SKIP for a gate that could not measure, PASS for one that passed, FAIL stays FAIL', async () => {
    const res = await runCli(['status', '--run', id(1)]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^ {4}SKIP scorePsi: No baseline run; PSI not measured\.$/m);
    expect(res.stdout).toMatch(/^ {4}PASS volumeChange: /m);
    expect(res.stdout).toMatch(/^ {4}FAIL feedFreshness\(feed\): /m);
    const json = await runCli(['status', '--run', id(1), '--json']);
    expect(json.json.gates).toEqual(expect.arrayContaining([expect.objectContaining({ gate: 'scorePsi', status: 'pass', measured: false }), expect.objectContaining({ gate: 'volumeChange', measured: true })]));
  });
});

describe('scoreflow status: decision ownership', () => {
  it("shows each destination's decision point, owner and latency budget from the run's pipeline snapshot", async () => {
    const res = await runCli(['status', '--run', id(1)]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^ {2}decisions:$/m);
    expect(res.stdout).toMatch(/^ {2}destination\s+decision point\s+owner\s+latency budget$/m);
    expect(res.stdout).toMatch(/^ {2}outbox\s+onsite\.hero-banner\s+growth-team\s+6h$/m);
    expect(res.stdout).toMatch(/^ {2}hooks\s+-\s+\(not declared\)\s+-$/m);
    const json = await runCli(['status', '--run', id(1), '--json']);
    expect(json.json.ownership).toEqual([
      { destination: 'outbox', kind: 'file', point: 'onsite.hero-banner', owner: 'growth-team', latencyBudget: '6h' },
      { destination: 'hooks', kind: 'webhook', point: null, owner: null, latencyBudget: null },
    ]);
  });

  it('says so when the run kept no pipeline snapshot', async () => {
    const res = await runCli(['status', '--run', id(2)]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('decisions:\n  (no pipeline snapshot recorded for this run)');
  });
});
