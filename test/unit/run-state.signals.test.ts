import { describe, expect, it } from 'vitest';
import { RunState } from '../../workflows/run-state.ts';

const make = () => {
  const s = new RunState('demo.run.1', 'demo', () => '2026-11-01T00:00:00.000Z');
  s.view.stage = 'score';
  return s;
};
const withTargets = (s: RunState, versions = ['1.0.0', '2.0.0'], rules = true) => {
  s.view.rollbackTargets = { modelName: 'purchase-propensity', featureSetVersion: 'fs-1', versions, rules };
  return s;
};
const who = { operator: 'ana', reason: 'known seasonal shift' };

describe('RunState operator messages', () => {
  it('refuses an invalid rollback payload with every field named, audits nothing and changes nothing', () => {
    const s = withTargets(make());
    s.onSignal('rollback', { to: { modelVersion: '' }, reason: 'x' });
    expect(s.pendingRollback).toBeNull();
    expect(s.view.rejectedSignals).toHaveLength(1);
    expect(s.view.rejectedSignals[0]!.signal).toBe('rollback');
    expect(s.view.rejectedSignals[0]!.error).toMatch(/to/);
    expect(s.view.rejectedSignals[0]!.error).toMatch(/operator/);
    expect(s.unaudited).toHaveLength(0);
  });

  it('refuses a rollback to an unknown version at receipt, listing the valid targets; the update validator throws the same reason', () => {
    const s = withTargets(make());
    const bad = { to: { modelVersion: '9.9.9' }, ...who };
    expect(() => s.validate('rollback', bad)).toThrow(/no version 9\.9\.9 .*valid targets: 1\.0\.0, 2\.0\.0, rules/);
    s.onSignal('rollback', bad);
    expect(s.view.rejectedSignals.at(-1)!.error).toMatch(/valid targets: 1\.0\.0, 2\.0\.0, rules/);
    expect(s.pendingRollback).toBeNull();
    expect(s.unaudited).toHaveLength(0);
    expect(s.view.operatorActions).toHaveLength(0);
  });

  it('refuses a rollback before the run has a feature snapshot, and rules when none fits', () => {
    const s = make();
    expect(s.check('rollback', { to: { modelVersion: '1.0.0' }, ...who })).toMatchObject({ ok: false, error: expect.stringMatching(/no feature snapshot yet/) });
    withTargets(s, ['1.0.0'], false);
    expect(s.check('rollback', { to: { policy: 'rules' }, ...who })).toMatchObject({ ok: false, error: expect.stringMatching(/no rules policy fits feature set fs-1; valid targets: 1\.0\.0/) });
  });

  it('takes a valid rollback as pending while running and as the decision while awaiting one; a second is refused', () => {
    const s = withTargets(make());
    const payload = { to: { modelVersion: '1.0.0' }, ...who };
    const answer = s.onUpdate('rollback', payload);
    expect(answer).toMatchObject({ accepted: true, action: 'rollback', runId: 'demo.run.1', stage: 'score' });
    expect(answer.detail).toMatch(/champion moves once it passes its gates/);
    expect(s.pendingRollback).toEqual(payload);
    expect(s.check('rollback', { to: { policy: 'rules' }, ...who })).toMatchObject({ ok: false, error: expect.stringMatching(/already pending/) });
    const t = withTargets(make());
    t.awaitDecision('gate', 'gate failed: scorePsi');
    t.onSignal('rollback', { to: { policy: 'rules' }, ...who });
    expect(t.decision).toEqual({ kind: 'rollback', payload: { to: { policy: 'rules' }, ...who } });
    expect(t.unaudited[0]).toMatchObject({ action: 'rollback', operator: 'ana', reason: 'known seasonal shift' });
  });

  it('approve needs an operator and a reason of 3+ characters, and something awaiting a decision', () => {
    const s = make();
    expect(() => s.validate('approve', { operator: 'ana', reason: 'x' })).toThrow(/reason: reason is required/);
    expect(() => s.validate('approve', { reason: 'known seasonal shift' })).toThrow(/operator/);
    expect(() => s.validate('approve', who)).toThrow(/no failed gate, stage or export is waiting for approval/);
    s.awaitDecision('gate', 'gate failed: feedFreshness');
    expect(s.view.status).toBe('PAUSED');
    expect(s.view.awaiting).toMatchObject({ kind: 'gate', actions: ['approve', 'resume', 'abort', 'rollback'] });
    const answer = s.onUpdate('approve', who);
    expect(answer.detail).toMatch(/gate is overridden/);
    expect(s.decision).toEqual({ kind: 'continue', action: 'approve', ...who });
    expect(s.unaudited).toEqual([{ action: 'approve', ...who, payload: who, key: 'demo.run.1:approve:1' }]);
  });

  it('an empty resume is refused: resuming a failed gate needs an operator and a reason like approve', () => {
    const s = make();
    s.awaitDecision('gate', 'gate failed');
    s.onSignal('resume', undefined);
    expect(s.decision).toBeNull();
    expect(s.view.rejectedSignals.at(-1)).toMatchObject({ signal: 'resume', error: expect.stringMatching(/operator.*reason|reason.*operator/s) });
    s.onSignal('resume', who);
    expect(s.decision).toEqual({ kind: 'continue', action: 'resume', ...who });
  });

  it('pause then resume toggles; pause twice or resume with nothing paused is refused', () => {
    const s = make();
    expect(() => s.validate('resume', who)).toThrow(/nothing is paused/);
    s.onSignal('pause', who);
    expect(s.pauseRequested).toBe(true);
    expect(() => s.validate('pause', who)).toThrow(/already paused/);
    expect(() => s.validate('approve', who)).toThrow(/lifted with resume/);
    s.onSignal('resume', who);
    expect(s.pauseRequested).toBe(false);
    expect(s.unaudited.map((a) => a.action)).toEqual(['pause', 'resume']);
  });

  it('abort ends a waiting decision and is refused once finished', () => {
    const s = make();
    s.awaitDecision('export', 'export failed for webhook');
    s.onSignal('abort', { operator: 'bo', reason: 'bad feed day' });
    expect(s.aborted).toEqual({ operator: 'bo', reason: 'bad feed day' });
    expect(s.decision).toMatchObject({ kind: 'abort' });
    const done = make();
    done.view.status = 'COMPLETED';
    done.onSignal('abort', { operator: 'bo', reason: 'too late' });
    expect(done.aborted).toBeNull();
    expect(done.view.rejectedSignals.at(-1)!.error).toMatch(/already ended/);
  });

  it('never throws from a signal on garbage payloads, and lists each refusal', () => {
    const s = withTargets(make());
    for (const junk of [null, 42, 'rollback', [], { to: 'v1' }, { extra: true }]) {
      expect(() => {
        for (const a of ['rollback', 'approve', 'abort', 'pause', 'resume'] as const) s.onSignal(a, junk);
      }).not.toThrow();
    }
    expect(s.view.rejectedSignals).toHaveLength(30);
    expect(s.unaudited).toHaveLength(0);
  });
});
