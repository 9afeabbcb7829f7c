/** The drift baseline is the last cycle that passed its gates without an operator override. */
import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { closePools, getPool } from '../../activities/store/db.ts';
import { findBaselineRun } from '../../activities/gates/read-gate-inputs.ts';

afterAll(async () => {
  await closePools();
});

async function cycle(pipeline: string, runId: string, minutesAgo: number, status: string, gate: 'pass' | 'warn' | 'fail' | null): Promise<void> {
  await getPool().query(`INSERT INTO activation_run (run_id, pipeline, status, stage, started_at) VALUES ($1, $2, $3, 'done', now() - make_interval(mins => $4))`, [runId, pipeline, status, minutesAgo]);
  if (gate) {
    await getPool().query(`INSERT INTO gate_evaluation (run_id, pipeline, snapshot_id, status, measurements) VALUES ($1, $2, 'snap', $3, '{}')`, [runId, pipeline, gate]);
  }
}

describe('findBaselineRun', () => {
  it('skips a newer cycle that was approved past a failed gate, and cycles that did not complete', async () => {
    const p = `bl-${randomBytes(3).toString('hex')}`;
    await cycle(p, `${p}.passed`, 30, 'COMPLETED', 'pass');
    await cycle(p, `${p}.warned`, 20, 'COMPLETED', 'warn');
    await cycle(p, `${p}.overridden`, 10, 'COMPLETED', 'fail');
    await cycle(p, `${p}.aborted`, 5, 'ABORTED', 'pass');
    expect(await findBaselineRun(getPool(), p, `${p}.current`)).toBe(`${p}.warned`);
  });

  it('has no baseline when every completed cycle was overridden', async () => {
    const p = `bl-${randomBytes(3).toString('hex')}`;
    await cycle(p, `${p}.overridden`, 10, 'COMPLETED', 'fail');
    expect(await findBaselineRun(getPool(), p, `${p}.current`)).toBeNull();
  });
});
