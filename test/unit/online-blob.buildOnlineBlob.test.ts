import { describe, expect, it } from 'vitest';
import { OnlineDecisionBlob } from '../../contracts/online-decision.ts';
import { routeDecision } from '../../activities/destinations/route-filter.ts';
import { BlobReadCache, DEFAULT_ONLINE_ROUTES, buildOnlineBlob, isExpired, readOnlineBlob, withRealtimeDecision, type OnlineRoute } from '../../activities/online/online-blob.ts';
import { ALL_CONSENT, NO_CONSENT, entityId, features, record } from '../helpers/online.ts';

const routes: OnlineRoute[] = [
  ...DEFAULT_ONLINE_ROUTES,
  { name: 'ads', filter: { consentPurpose: 'advertising', requireEligible: true, segments: ['high_intent'] }, holdout: 'exclude_control' },
  { name: 'all', filter: { requireEligible: false }, holdout: 'include_all' },
];

describe('buildOnlineBlob', () => {
  it('derives one contract-valid blob with every destination decision from the canonical record', () => {
    const e = entityId();
    const rec = record({ entityId: e, probability: 0.6, runId: 'run-a', customerId: 'C-1' });
    const blob = buildOnlineBlob(rec, { cycleAt: 1_700_000_000_000, features: features({ cart_adds: 2 }), routes });
    expect(OnlineDecisionBlob.safeParse(blob).success).toBe(true);
    expect(blob).toMatchObject({
      entity_id: e,
      source_cycle: 'run-a',
      origin: 'cycle',
      model_version: '1.0.0',
      expires_at: rec.metadata.expires_at,
      contract_version: '1.0.0',
      record_contract_version: rec.metadata.contract_version,
      third_party_id: 'C-1',
    });
    expect(Object.keys(blob.decisions)).toEqual(['target', 'webhook', 'nats', 'ads', 'all']);
    expect(blob.decisions.target).toMatchObject({ segment: 'high_intent', flags: { activate: true, eligible: true, consented: true, control: false }, suppressed_by: null });
  });

  it('flags agree with the batch route filter for every consent, arm and score combination', () => {
    for (const consent of [ALL_CONSENT, NO_CONSENT, { ...NO_CONSENT, personalization: true }]) {
      for (const arm of ['treatment', 'control'] as const) {
        for (const p of [0.01, 0.3, 0.7]) {
          const rec = record({ entityId: entityId(), probability: p, consent, arm, runId: 'r' });
          const blob = buildOnlineBlob(rec, { cycleAt: 1, features: null, routes });
          for (const r of routes) {
            const batch = routeDecision(rec, { filter: r.filter, holdout: r.holdout }, new Date());
            const d = blob.decisions[r.name]!;
            expect(d.flags.activate).toBe(batch.include);
            expect(d.suppressed_by).toBe(batch.include ? null : batch.reason);
          }
        }
      }
    }
  });

  it('decision tokens are deterministic and differ between cycles and destinations', () => {
    const e = entityId();
    const scoredAt = new Date().toISOString();
    const a = buildOnlineBlob(record({ entityId: e, probability: 0.3, runId: 'r1', scoredAt }), { cycleAt: 1, features: null, routes });
    const a2 = buildOnlineBlob(record({ entityId: e, probability: 0.3, runId: 'r1', scoredAt }), { cycleAt: 1, features: null, routes });
    const b = buildOnlineBlob(record({ entityId: e, probability: 0.3, runId: 'r2', scoredAt }), { cycleAt: 2, features: null, routes });
    expect(a.decisions.target!.decision_token).toBe(a2.decisions.target!.decision_token);
    expect(a.decisions.target!.decision_token).not.toBe(b.decisions.target!.decision_token);
    expect(a.decisions.target!.decision_token).not.toBe(a.decisions.webhook!.decision_token);
  });
});

describe('withRealtimeDecision', () => {
  it('rewrites every destination with the event as origin and keeps cycle, expiry and consent', () => {
    const blob = buildOnlineBlob(record({ entityId: entityId(), probability: 0.1, runId: 'r1' }), { cycleAt: 5, features: features(), routes });
    const next = withRealtimeDecision(blob, { segment: 'high_intent', eligible: true, score: 0.7, modelId: 'm', modelVersion: '2.0.0', decisionPolicy: 'model', eventId: 'ev-9' }, routes);
    expect(OnlineDecisionBlob.safeParse(next).success).toBe(true);
    expect(next).toMatchObject({ origin: 'realtime', event_id: 'ev-9', source_cycle: 'r1', cycle_at: 5, expires_at: blob.expires_at, model_version: '2.0.0', score: 0.7 });
    expect(next.decisions.ads).toMatchObject({ segment: 'high_intent', flags: { activate: true } });
    expect(Object.values(next.decisions).every((d) => d.segment === 'high_intent')).toBe(true);
  });
});

describe('readOnlineBlob', () => {
  it('reports bad JSON and contract violations with a path, and flags expiry', () => {
    expect(readOnlineBlob('{nope')).toEqual({ ok: false, path: '(blob)', reason: 'not JSON' });
    const blob = buildOnlineBlob(record({ entityId: entityId(), probability: 0.3, runId: 'r1' }), { cycleAt: 1, features: null, routes });
    const broken = readOnlineBlob(JSON.stringify({ ...blob, decisions: { target: { ...blob.decisions.target, decision_token: 'x' } } }));
    expect(broken).toMatchObject({ ok: false, path: 'decisions.target.decision_token' });
    const ok = readOnlineBlob(JSON.stringify(blob));
    expect(ok.ok).toBe(true);
    expect(isExpired(blob, Date.parse(blob.expires_at))).toBe(true);
    expect(isExpired(blob, Date.parse(blob.expires_at) - 1)).toBe(false);
  });
});

describe('BlobReadCache', () => {
  it('gives the same answer as readOnlineBlob, parsing each distinct blob once, within its capacity', () => {
    const cache = new BlobReadCache(2);
    const a = JSON.stringify(buildOnlineBlob(record({ entityId: entityId(), probability: 0.3, runId: 'r1' }), { cycleAt: 1, features: null, routes }));
    const b = JSON.stringify(buildOnlineBlob(record({ entityId: entityId(), probability: 0.6, runId: 'r1' }), { cycleAt: 1, features: null, routes }));
    expect(cache.read(a)).toEqual(readOnlineBlob(a));
    expect(cache.lastMiss).toBe(true);
    expect(cache.read(a)).toEqual(readOnlineBlob(a));
    expect(cache.lastMiss).toBe(false);
    expect(cache.read('{bad')).toEqual({ ok: false, path: '(blob)', reason: 'not JSON' });
    cache.read(b); // evicts a (capacity 2)
    cache.read(a);
    expect(cache.lastMiss).toBe(true);
    expect({ hits: cache.hits, misses: cache.misses }).toEqual({ hits: 1, misses: 4 });
    const off = new BlobReadCache(0);
    off.read(a);
    off.read(a);
    expect(off.hits).toBe(0);
  });
});
