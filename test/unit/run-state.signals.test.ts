import { describe, expect, it } from 'vitest';
import { RunState } from '../../workflows/run-state.ts';

const make = () => new RunState('demo.run.1', 'demo', () => '2026-11-01T00:00:00.000Z');

describe('RunState operator messages', () => {
  it('rejects an invalid rollback payload, records why, and changes nothing', () => {
    const s = make();
    s.onRollback({ to: { modelVersion: '' }, reason: 'x' });
    expect(s.pendingRollback).toBeNull();
    expect(s.view.rejectedSignals).toHaveLength(1);
    expect(s.view.rejectedSignals[0]!.signal).toBe('rollback');
    expect(s.view.rejectedSignals[0]!.error).toMatch(/to/);
    expect(s.view.rejectedSignals[0]!.error).toMatch(/operator/);
    expect(s.unaudited).toHaveLength(0);
  });

  it('takes a valid rollback as pending while running and as the decision while awaiting one', () => {
    const s = make();
    const payload = { to: { modelVersion: '1.0.0' }, reason: 'v2 misfires', operator: 'ana' };
    s.onRollback(payload);
    expect(s.pendingRollback).toEqual(payload);
    const t = make();
    t.awaitingDecision = true;
    t.onRollback({ to: { policy: 'rules' }, reason: 'safe fallback', operator: 'ana' });
    expect(t.decision).toEqual({ kind: 'rollback', payload: { to: { policy: 'rules' }, reason: 'safe fallback', operator: 'ana' } });
    expect(t.unaudited[0]).toMatchObject({ action: 'rollback', operator: 'ana', reason: 'safe fallback' });
  });

  it('approve needs operator and reason, and only counts while a gate waits', () => {
    const s = make();
    s.onApprove({ operator: 'ana', reason: 'ok' });
    expect(s.view.rejectedSignals.at(-1)!.error).toMatch(/reason/);
    s.onApprove({ operator: 'ana', reason: 'known seasonal shift' });
    expect(s.view.rejectedSignals.at(-1)!.error).toMatch(/no failed gate/);
    s.awaitingDecision = true;
    s.onApprove({ operator: 'ana', reason: 'known seasonal shift' });
    expect(s.decision).toEqual({ kind: 'approve', operator: 'ana', reason: 'known seasonal shift' });
  });

  it('pause then resume toggles; resume during a gate wait acts as approve', () => {
    const s = make();
    s.onPause(undefined);
    expect(s.pauseRequested).toBe(true);
    s.onResume({ operator: 'bo' });
    expect(s.pauseRequested).toBe(false);
    s.awaitingDecision = true;
    s.onResume(undefined);
    expect(s.decision).toMatchObject({ kind: 'approve', operator: 'unknown' });
  });

  it('abort ends a waiting decision and is refused once finished', () => {
    const s = make();
    s.awaitingDecision = true;
    s.onAbort({ operator: 'bo', reason: 'bad feed day' });
    expect(s.aborted).toEqual({ operator: 'bo', reason: 'bad feed day' });
    expect(s.decision).toMatchObject({ kind: 'abort' });
    const done = make();
    done.view.status = 'COMPLETED';
    done.onAbort({ operator: 'bo', reason: 'too late' });
    expect(done.aborted).toBeNull();
    expect(done.view.rejectedSignals.at(-1)!.error).toMatch(/already COMPLETED/);
  });

  it('never throws on garbage payloads', () => {
    const s = make();
    for (const junk of [null, 42, 'rollback', [], { to: 'v1' }, { extra: true }]) {
      expect(() => {
        s.onRollback(junk);
        s.onApprove(junk);
        s.onAbort(junk);
        s.onPause(junk);
        s.onResume(junk);
      }).not.toThrow();
    }
    expect(s.view.rejectedSignals.length).toBeGreaterThan(10);
  });
});
