import { describe, expect, it } from 'vitest';
import { chunkPlan, DEFAULT_REFRESH_LEAD_MS, desiredRow, idempotencyKey, legacyRowDigest, planSync, rowDigest, type DesiredRow, type SyncState } from '../../activities/destinations/sync-engine.ts';

const now = new Date('2026-11-01T12:00:00Z');
const later = '2026-11-02T12:00:00.000Z';
const earlier = '2026-11-01T00:00:00.000Z';

function want(entityId: string, over: Partial<Omit<DesiredRow, 'digest'>> = {}): DesiredRow {
  return desiredRow({ entityId, payload: { segment: 'high', score: 0.8 }, identifiers: { EMAIL: 'a'.repeat(64) }, expiresAt: later, modelVersion: '1.0.0', consented: true, eligible: true, ...over });
}

function held(d: DesiredRow, over: Partial<SyncState> = {}): SyncState {
  return { entityId: d.entityId, member: true, digest: d.digest, modelVersion: d.modelVersion, expiresAt: d.expiresAt, identifiers: d.identifiers, payload: d.payload, consented: true, lastRunId: 'run-0', pending: null, ...over };
}

const ids = (rows: { entityId: string }[]) => rows.map((r) => r.entityId);

describe('planSync', () => {
  it('adds new entities, leaves identical members alone, orders by entity id', () => {
    const a = want('1_1');
    const plan = planSync([want('1_3'), a, want('1_2')], [held(a)], now);
    expect(ids(plan.adds)).toEqual(['1_2', '1_3']);
    expect(plan.adds.every((r) => r.op === 'upsert' && r.reason === 'new' && r.attempt === 1)).toBe(true);
    expect(ids(plan.unchanged)).toEqual(['1_1']);
    expect(plan.updates).toEqual([]);
    expect(plan.removes).toEqual([]);
  });

  it('a changed digest updates only that entity', () => {
    const rows = ['1_1', '1_2', '1_3'].map((e) => want(e));
    const state = rows.map((r) => held(r));
    const changed = want('1_2', { payload: { segment: 'warm', score: 0.4 } });
    const plan = planSync([rows[0]!, changed, rows[2]!], state, now);
    expect(ids(plan.updates)).toEqual(['1_2']);
    expect(plan.updates[0]).toMatchObject({ op: 'upsert', reason: 'changed', digest: rowDigest(changed.payload, changed.identifiers), payload: { segment: 'warm' } });
    expect(ids(plan.unchanged)).toEqual(['1_1', '1_3']);
    expect(plan.adds.length + plan.removes.length + plan.retries.length).toBe(0);
  });

  it('a member whose identifiers changed has its old identifiers removed before the new ones are sent', () => {
    const before = want('1_1');
    const moved = want('1_1', { identifiers: { EMAIL: 'b'.repeat(64) } });
    const plan = planSync([moved], [held(before)], now);
    expect(plan.removes).toHaveLength(1);
    expect(plan.removes[0]).toMatchObject({ entityId: '1_1', op: 'remove', reason: 'identity_changed', identifiers: { EMAIL: 'a'.repeat(64) } });
    expect(plan.updates[0]).toMatchObject({ entityId: '1_1', op: 'upsert', reason: 'changed', identifiers: { EMAIL: 'b'.repeat(64) } });
    const chunks = chunkPlan(plan, 10);
    expect(chunks.map((c) => c.op)).toEqual(['remove', 'upsert']);
    // A payload change alone removes nothing.
    const repriced = planSync([want('1_1', { payload: { segment: 'warm', score: 0.4 } })], [held(before)], now);
    expect(repriced.removes).toEqual([]);
    expect(ids(repriced.updates)).toEqual(['1_1']);
  });

  it('an expired desired row, or an expired member no longer desired, is removed with the identifiers last delivered', () => {
    const a = want('1_1');
    const b = want('1_2');
    const stale = want('1_3', { expiresAt: earlier });
    const plan = planSync([want('1_1', { expiresAt: earlier })], [held(a), held(b), held(stale)], now);
    expect(plan.removes.map((r) => [r.entityId, r.reason])).toEqual([
      ['1_1', 'expired'],
      ['1_2', 'not_qualifying'],
      ['1_3', 'expired'],
    ]);
    expect(plan.removes[0]).toMatchObject({ op: 'remove', identifiers: a.identifiers, payload: a.payload });
    expect(plan.adds).toEqual([]);
  });

  it('an expired row that is not a member is simply not added', () => {
    const plan = planSync([want('1_1', { expiresAt: now.toISOString() })], [], now);
    expect(plan.adds).toEqual([]);
    expect(plan.removes).toEqual([]);
  });

  it('revoked consent removes a member, and an unconsented entity is never (re-)added', () => {
    const a = want('1_1');
    const plan = planSync([want('1_1', { consented: false }), want('1_2', { consented: false })], [held(a)], now);
    expect(plan.removes.map((r) => [r.entityId, r.reason])).toEqual([['1_1', 'consent_revoked']]);
    expect(plan.held).toEqual([{ entityId: '1_2', reason: 'no_consent' }]);
    // Next cycle: the removal went through (member false, consent false); consent is still absent.
    const after = planSync([want('1_1', { consented: false })], [held(a, { member: false, digest: null, consented: false })], now);
    expect(after.adds).toEqual([]);
    expect(after.removes).toEqual([]);
    expect(after.held).toEqual([{ entityId: '1_1', reason: 'no_consent' }]);
    // Consent given again: added anew.
    expect(ids(planSync([want('1_1')], [held(a, { member: false, digest: null, consented: false })], now).adds)).toEqual(['1_1']);
  });

  it('an ineligible member is removed', () => {
    const a = want('1_1');
    expect(planSync([want('1_1', { eligible: false })], [held(a)], now).removes.map((r) => r.reason)).toEqual(['ineligible']);
  });

  it('retries only the rows the destination refused, with their current payload', () => {
    const ok = want('1_1');
    const failed = want('1_2');
    const failedRemove = want('1_3');
    const state = [
      held(ok),
      held(failed, { member: false, digest: null, pending: { op: 'upsert', digest: failed.digest, reason: 'INVALID_ARGUMENT', retryable: true, attempts: 2 } }),
      held(failedRemove, { pending: { op: 'remove', digest: null, reason: 'UNAVAILABLE', retryable: true, attempts: 1 } }),
    ];
    const plan = planSync([ok, failed], state, now);
    expect(ids(plan.unchanged)).toEqual(['1_1']);
    expect(plan.retries.map((r) => [r.entityId, r.op, r.attempt])).toEqual([
      ['1_2', 'upsert', 3],
      ['1_3', 'remove', 2],
    ]);
    expect(plan.adds).toEqual([]);
    expect(plan.removes).toEqual([]);
  });

  it('holds refusals that retrying cannot fix; a new payload is tried afresh', () => {
    const a = want('1_1');
    const b = want('1_2');
    const state = [
      held(a, { member: false, pending: { op: 'upsert', digest: a.digest, reason: 'bad row', retryable: false, attempts: 1 } }),
      held(b, { member: false, pending: { op: 'upsert', digest: b.digest, reason: 'flaky', retryable: true, attempts: 5 } }),
    ];
    const plan = planSync([a, b], state, now);
    expect(plan.held).toEqual([
      { entityId: '1_1', reason: 'rejected_non_retryable' },
      { entityId: '1_2', reason: 'retry_exhausted' },
    ]);
    expect(plan.retries).toEqual([]);
    const fixed = want('1_1', { payload: { segment: 'fixed' } });
    expect(ids(planSync([fixed], state.slice(0, 1), now).adds)).toEqual(['1_1']);
  });

  it('a new expiry alone is no change: the member stays unchanged while the expiry it holds is far off', () => {
    const cycle1 = want('1_1', { payload: { segment: 'high', expires_at: '2026-11-02T06:00:00.000Z', valid_from: '2026-11-01T06:00:00.000Z', valid_until: '2026-11-02T06:00:00.000Z' } });
    const cycle2 = want('1_1', { payload: { segment: 'high', expires_at: later, valid_from: '2026-11-01T12:00:00.000Z', valid_until: later } });
    expect(cycle2.digest).toBe(cycle1.digest);
    const plan = planSync([cycle2], [held(cycle1)], now);
    expect(ids(plan.unchanged)).toEqual(['1_1']);
    expect(plan.updates).toEqual([]);
    // Content moves the digest as before.
    expect(want('1_1', { payload: { segment: 'warm', expires_at: later } }).digest).not.toBe(cycle1.digest);
  });

  it('re-sends an unchanged member whose held expiry lapses within the lead time, and only when the new row lasts longer', () => {
    const heldSoon = want('1_1', { payload: { sf_segment: 'high', sf_expires_at: '2026-11-01T15:00:00.000Z' } }); // lapses in 3 h
    const heldFar = want('1_2', { payload: { sf_segment: 'high', sf_expires_at: '2026-11-01T20:00:00.000Z' } }); // lapses in 8 h
    const fresh = (id: string) => want(id, { payload: { sf_segment: 'high', sf_expires_at: later } });
    const plan = planSync([fresh('1_1'), fresh('1_2')], [held(heldSoon), held(heldFar)], now);
    expect(DEFAULT_REFRESH_LEAD_MS).toBe(6 * 3_600_000);
    expect(ids(plan.updates)).toEqual(['1_1']);
    expect(plan.updates[0]).toMatchObject({ reason: 'refresh', payload: { sf_expires_at: later } });
    expect(ids(plan.unchanged)).toEqual(['1_2']);
    // A shorter lead leaves both alone; a row no longer-lived than the held one is not re-sent.
    expect(ids(planSync([fresh('1_1'), fresh('1_2')], [held(heldSoon), held(heldFar)], now, { refreshLeadMs: 3_600_000 }).unchanged)).toEqual(['1_1', '1_2']);
    expect(ids(planSync([want('1_1', { payload: heldSoon.payload })], [held(heldSoon)], now).unchanged)).toEqual(['1_1']);
    // Audience membership carries no expiry: never refreshed.
    const audience = want('1_3', { payload: {} });
    expect(ids(planSync([audience], [held(audience, { expiresAt: '2026-11-01T12:30:00.000Z' })], now).unchanged)).toEqual(['1_3']);
  });

  it('a digest stored under the earlier scheme (validity included) is recognised from the held payload, and migrated', () => {
    const heldPayload = { model_version: '1.0.0', expires_at: '2026-11-02T06:00:00.000Z' };
    const legacy = want('1_1', { payload: heldPayload });
    const state = held(legacy, { digest: legacyRowDigest(heldPayload, legacy.identifiers) });
    expect(state.digest).not.toBe(legacy.digest);
    const plan = planSync([want('1_1', { payload: { model_version: '1.0.0', expires_at: later } })], [state], now);
    expect(plan.unchanged).toEqual([{ entityId: '1_1', expiresAt: later, modelVersion: '1.0.0', digest: rowDigest(heldPayload, legacy.identifiers) }]);
    expect(plan.updates).toEqual([]);
    // A legacy digest with changed content is still an update.
    const changed = planSync([want('1_1', { payload: { model_version: '2.0.0', expires_at: later } })], [state], now);
    expect(changed.updates.map((r) => r.reason)).toEqual(['changed']);
  });

  it('refuses two desired rows for one entity', () => {
    expect(() => planSync([want('1_1'), want('1_1')], [], now)).toThrow(/twice/);
  });
});

describe('chunkPlan and idempotencyKey', () => {
  it('chunks removes first, then upserts, deterministically', () => {
    const state = ['9_1', '9_2', '9_3'].map((e) => held(want(e)));
    const plan = planSync(['1_1', '1_2', '1_3', '1_4', '1_5'].map((e) => want(e)), state, now);
    const chunks = chunkPlan(plan, 2);
    expect(chunks.map((c) => [c.index, c.op, ids(c.rows)])).toEqual([
      [0, 'remove', ['9_1', '9_2']],
      [1, 'remove', ['9_3']],
      [2, 'upsert', ['1_1', '1_2']],
      [3, 'upsert', ['1_3', '1_4']],
      [4, 'upsert', ['1_5']],
    ]);
    expect(chunkPlan(plan, 2)).toEqual(chunks);
    expect(() => chunkPlan(plan, 0)).toThrow(/positive/);
  });

  it('keys are sha256 of run:destination:op:chunk, stable and distinct', () => {
    const k = idempotencyKey('run-1', 'google', 'upsert', 3);
    expect(k).toMatch(/^[0-9a-f]{64}$/);
    expect(idempotencyKey('run-1', 'google', 'upsert', 3)).toBe(k);
    expect(new Set([k, idempotencyKey('run-1', 'google', 'remove', 3), idempotencyKey('run-1', 'google', 'upsert', 4), idempotencyKey('run-2', 'google', 'upsert', 3)]).size).toBe(4);
  });

  it('the digest ignores key order and changes with identifiers', () => {
    expect(rowDigest({ a: 1, b: 2 }, { EMAIL: 'x' })).toBe(rowDigest({ b: 2, a: 1 }, { EMAIL: 'x' }));
    expect(rowDigest({ a: 1 }, { EMAIL: 'x' })).not.toBe(rowDigest({ a: 1 }, { EMAIL: 'y' }));
  });
});
