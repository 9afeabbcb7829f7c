/**
 * Runs the operator cases of the bad-input corpus against one real activation run on the Temporal dev
 * server: the run is started over a missing inbox, so it pauses at discover at once, and every bad
 * update and signal is sent to that one paused run. Per case: an update is refused with a message
 * naming the field or the state, a signal lands in status().rejectedSignals with that message.
 * Afterwards: the run is still PAUSED where it was, no update was accepted into history, and the
 * operator audit has nothing for the run. Then it is aborted properly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { closePools, getPool } from '../../activities/store/db.ts';
import {
  abortSignal,
  abortUpdate,
  approveSignal,
  approveUpdate,
  pauseSignal,
  pauseUpdate,
  resumeSignal,
  resumeUpdate,
  rollbackSignal,
  rollbackUpdate,
  statusQuery,
} from '../../workflows/messages.ts';
import { eventually, result, startActivationWorker, uid, waitForStatus, type ActivationWorker } from '../helpers/activation-run.ts';
import { writeTestPipeline } from '../helpers/pipeline.ts';
import { OPERATOR_CASES, type OperatorMessage } from './operator.cases.ts';

const UPDATES = { pause: pauseUpdate, resume: resumeUpdate, approve: approveUpdate, abort: abortUpdate, rollback: rollbackUpdate } as const;
const SIGNALS = { pause: pauseSignal, resume: resumeSignal, approve: approveSignal, abort: abortSignal, rollback: rollbackSignal } as const;

let w: ActivationWorker;
let h: WorkflowHandle;

beforeAll(async () => {
  w = await startActivationWorker('corpus-op');
  const p = writeTestPipeline({ online: { enabled: false } }, uid('corpus-op'));
  h = await w.start(uid('corpus-op'), { pipelinePath: p.path, feedDir: '/nonexistent/scoreflow-corpus-inbox' }, p.name);
  const paused = await waitForStatus(h, (s) => s.status !== 'RUNNING');
  expect(paused).toMatchObject({ status: 'PAUSED', stage: 'discover' });
}, 180_000);

afterAll(async () => {
  await w?.close();
  await closePools();
});

describe(`bad-input corpus: operator signals and updates (${OPERATOR_CASES.length} cases, one paused run)`, () => {
  it.each(OPERATOR_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    if (c.kind === 'update') {
      const err = await h.executeUpdate(UPDATES[c.action as OperatorMessage], { args: [c.payload] }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(String((err as WorkflowUpdateFailedError).cause?.message)).toMatch(c.reason);
    } else {
      const before = (await h.query(statusQuery)).rejectedSignals.length;
      await (c.payload === undefined ? h.signal(SIGNALS[c.action] as never) : h.signal(SIGNALS[c.action] as never, c.payload as never));
      const entry = await eventually(`rejectedSignals entry for ${c.name}`, async () => {
        const s = await h.query(statusQuery);
        return s.rejectedSignals.length > before ? s.rejectedSignals.at(-1) : undefined;
      });
      expect(entry.signal).toBe(c.action);
      expect(entry.error).toMatch(c.reason);
    }
    const s = await h.query(statusQuery);
    expect(s).toMatchObject({ status: 'PAUSED', stage: 'discover' });
  });

  it('nothing of the refused messages was applied: no update accepted, no audit row; a valid abort then ends the run', async () => {
    const history = await h.fetchHistory();
    expect((history.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toHaveLength(0);
    const audit = await getPool().query('SELECT count(*)::int AS n FROM operator_audit WHERE run_id = $1', [h.workflowId]);
    expect(audit.rows[0].n).toBe(0);
    await h.executeUpdate(abortUpdate, { args: [{ operator: 'oncall-corpus', reason: 'corpus done, inbox never existed' }] });
    expect((await result(h)).status).toBe('ABORTED');
  }, 120_000);
});
