import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTargetProfileRealtimeAdapter, targetAttributes } from '../../activities/online/target-profile-realtime.ts';
import { publishRealtime } from '../../activities/online/realtime-publish.ts';
import { startTargetServer, type RunningTargetServer } from '../../tools/contract-servers/target.ts';

let target: RunningTargetServer;
beforeAll(async () => {
  target = await startTargetServer({ token: 'tkn' });
});
afterAll(async () => {
  await target.close();
});

const payload = { segment: 'high_intent', decision_token: 'dt_abcdefghijklmnopqrstuv', model_version: '1.0.0', expires_at: '2026-11-29T10:00:00.000Z', score: 0.7 };

describe('createTargetProfileRealtimeAdapter', () => {
  it('updates the existing profile keyed by mbox3rdPartyId with the decision attributes', async () => {
    target.profiles.set('C-77', { loyalty: 'gold' });
    const adapter = createTargetProfileRealtimeAdapter({ baseUrl: target.url, client: 'acme', tokenEnv: 'H7_TARGET_TOKEN' }, { env: { H7_TARGET_TOKEN: 'tkn' } });
    const r = await publishRealtime({ name: 'target', adapter }, { entityId: '1_2', op: 'upsert', payload, digest: 'd', identifiers: { thirdPartyId: 'C-77' } }, 'realtime:e1:target');
    expect(r).toMatchObject({ outcome: 'delivered', attempts: 1 });
    expect(target.profiles.get('C-77')).toEqual({ loyalty: 'gold', sf_segment: 'high_intent', sf_decision_token: payload.decision_token, sf_model_version: '1.0.0', sf_expires_at: payload.expires_at });
  });

  it('rejects, without retrying, an entity with no third-party id and a refused token', async () => {
    const before = target.counts.singleUpdates;
    const adapter = createTargetProfileRealtimeAdapter({ baseUrl: target.url, client: 'acme', tokenEnv: 'H7_TARGET_TOKEN' }, { env: { H7_TARGET_TOKEN: 'tkn' } });
    const none = await publishRealtime({ name: 'target', adapter }, { entityId: '1_2', op: 'upsert', payload, digest: 'd', identifiers: {} }, 'k');
    expect(none).toMatchObject({ outcome: 'rejected', attempts: 1, reason: expect.stringContaining('mbox3rdPartyId') });
    expect(target.counts.singleUpdates).toBe(before);
    const badToken = createTargetProfileRealtimeAdapter({ baseUrl: target.url, client: 'acme', tokenEnv: 'H7_TARGET_TOKEN' }, { env: { H7_TARGET_TOKEN: 'wrong' } });
    const refused = await publishRealtime({ name: 'target', adapter: badToken }, { entityId: '1_2', op: 'upsert', payload, digest: 'd', identifiers: { thirdPartyId: 'C-77' } }, 'k');
    expect(refused).toMatchObject({ outcome: 'rejected', attempts: 1, reason: expect.stringContaining('401') });
  });

  it('maps only the decision fields to profile attributes', () => {
    expect(targetAttributes({ ...payload, extra: 'x' })).toEqual({ sf_segment: 'high_intent', sf_decision_token: payload.decision_token, sf_model_version: '1.0.0', sf_expires_at: payload.expires_at });
  });
});
