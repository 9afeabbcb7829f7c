import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { connect, type NatsConnection } from 'nats';
import { Webhook } from 'standardwebhooks';
import { buildDecisionApi } from '../../activities/online/decision-api.ts';
import { loadRulePolicy } from '../../activities/online/fallback-policy.ts';
import { createOnlineMetrics } from '../../activities/online/online-metrics.ts';
import { DEFAULT_ONLINE_ROUTES } from '../../activities/online/online-blob.ts';
import { onlineKeys } from '../../activities/online/online-keys.ts';
import { publishOnlineActivity } from '../../activities/online/online-store.ts';
import { createOnlineRedis, redisReady } from '../../activities/online/redis-connection.ts';
import { createWebhookAdapter } from '../../activities/destinations/webhook.ts';
import { createNatsJetStreamAdapter, type NatsJetStreamAdapter } from '../../activities/destinations/nats-jetstream.ts';
import { closePools, getPool } from '../../activities/store/db.ts';
import { startWebhookReceiver, type RunningWebhookReceiver } from '../../tools/contract-servers/webhook-receiver.ts';
import { ALL_CONSENT, DECISION_CONFIG, NO_CONSENT, cartScorer, ecid, entityId, features, record, uid, writeCycle, xdmEvent } from '../helpers/online.ts';

const SECRET = `whsec_${Buffer.from('h7-realtime-test-secret-0123456789').toString('base64')}`;
const ns = uid('h7evt');
const keys = onlineKeys(ns);
const stream = uid('H7EVT').toUpperCase().replace(/[^A-Z0-9]/g, '');
const subject = `h7.${stream.toLowerCase()}.decisions`;

let redis: Redis;
let receiver: RunningWebhookReceiver;
let nats: NatsJetStreamAdapter;
let nc: NatsConnection;
let app: ReturnType<typeof buildDecisionApi>;

/** Visitors of one published cycle, by role; each has an ECID in the identity map. */
const visitors = {
  cold: { entity: entityId(), ecid: ecid() },
  coldNoConsent: { entity: entityId(), ecid: ecid() },
  coldControl: { entity: entityId(), ecid: ecid() },
  malformed: { entity: entityId(), ecid: ecid() },
  stale: { entity: entityId(), ecid: ecid() },
};

const metrics = createOnlineMetrics();

async function post(body: unknown, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url: '/v1/events', payload: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
}

async function ledgerOf(eventId: string) {
  const { rows } = await getPool().query<{ destination: string; stage: string; detail: Record<string, unknown> }>(
    'SELECT destination, stage, detail FROM ledger_event WHERE run_id = $1 ORDER BY destination, stage',
    [`realtime:${eventId}`],
  );
  return rows;
}

async function streamMessages(): Promise<number> {
  const jsm = await nc.jetstreamManager();
  return (await jsm.streams.info(stream)).state.messages;
}

async function entityState(entity: string) {
  return { blob: await redis.get(keys.decision(entity)), features: await redis.hgetall(keys.features(entity)) };
}

beforeAll(async () => {
  redis = createOnlineRedis('redis://127.0.0.1:6379', { offlineQueue: true, commandTimeoutMs: 2000 });
  await redisReady(redis);
  receiver = await startWebhookReceiver({ secret: SECRET });
  nc = await connect({ servers: '127.0.0.1:4222' });
  nats = createNatsJetStreamAdapter({ stream, subject, duplicateWindowMs: 60_000 }, { connection: nc });

  const pool = getPool();
  const run = uid('run-evt-');
  const spec = [
    { v: visitors.cold, consent: ALL_CONSENT, arm: 'treatment' as const },
    { v: visitors.coldNoConsent, consent: NO_CONSENT, arm: 'treatment' as const },
    { v: visitors.coldControl, consent: ALL_CONSENT, arm: 'control' as const },
    { v: visitors.malformed, consent: ALL_CONSENT, arm: 'treatment' as const },
    { v: visitors.stale, consent: ALL_CONSENT, arm: 'treatment' as const },
  ];
  for (const s of spec) await pool.query(`INSERT INTO online_identity_map (ecid, entity_id, source) VALUES ($1, $2, 'test')`, [s.v.ecid, s.v.entity]);
  // Cold at p = 0.12 (the test scorer with no cart adds); one cart add makes it warm.
  await writeCycle(
    pool,
    run,
    spec.map((s) => ({ record: record({ entityId: s.v.entity, probability: 0.12, runId: run, consent: s.consent, arm: s.arm }), features: features() })),
  );
  const published = await publishOnlineActivity({ runId: run, namespace: ns }, { redis });
  expect(published).toMatchObject({ written: 5, ecidsMapped: 5 });

  const apiRedis = createOnlineRedis('redis://127.0.0.1:6379', { commandTimeoutMs: 200 });
  await redisReady(apiRedis);
  app = buildDecisionApi({
    metrics,
    redis: apiRedis,
    namespace: ns,
    fallback: loadRulePolicy(),
    events: { bodyLimitBytes: 16 * 1024, maxEvents: 50 },
    ingest: {
      scorer: cartScorer(),
      decision: DECISION_CONFIG,
      routes: DEFAULT_ONLINE_ROUTES,
      destinations: [
        { name: 'webhook', adapter: createWebhookAdapter({ url: receiver.url, secretEnv: 'H7_SECRET', eventType: 'scoreflow.decision' }, { env: { H7_SECRET: SECRET } }) },
        { name: 'nats', adapter: nats },
      ],
      ledger: pool,
      staleAfterMs: 30 * 60_000,
    },
  });
  app.addHook('onClose', async () => {
    apiRedis.disconnect();
  });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await receiver?.close();
  const jsm = await nc.jetstreamManager();
  await jsm.streams.delete(stream).catch(() => undefined);
  await nc.drain();
  const k = await redis.keys(`${ns}:*`);
  if (k.length) await redis.del(...k);
  await redis.quit();
  await closePools();
});

describe('POST /v1/events', () => {
  it('a changed decision reaches the webhook exactly once with a valid signature, and NATS once; duplicates change nothing', async () => {
    const e = xdmEvent({ ecid: visitors.cold.ecid, eventType: 'commerce.productListAdds' });
    const res = await post(e);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ received: 1, applied: 1, changed: 1, delivered: 2, results: [{ _id: e._id, outcome: 'changed', destinations: { webhook: 'delivered', nats: 'delivered' } }] });

    expect(receiver.counts).toMatchObject({ requests: 1, verified: 1, badSignature: 0, unique: 1 });
    const [webhookId, message] = [...receiver.messages.entries()][0]!;
    expect(message).toMatchObject({ type: 'scoreflow.decision.upsert', data: { entity_id: visitors.cold.entity, payload: { segment: 'warm', previous_segment: 'cold', event_id: e._id, type: 'decision_changed' } } });
    expect(webhookId).toMatch(/^msg_/);
    expect(await streamMessages()).toBe(1);

    // The decision API now serves the re-scored decision.
    const d = (await app.inject({ method: 'GET', url: `/v1/decisions/${visitors.cold.entity}?destination=webhook` })).json();
    expect(d).toMatchObject({ source: 'model', segment: 'warm', origin: 'realtime', model_version: '9.9.9-test' });

    const ledger = await ledgerOf(e._id as string);
    expect(ledger.map((r) => `${r.destination}:${r.stage}`)).toEqual([':generated', 'nats:delivered', 'webhook:delivered']);

    const before = await entityState(visitors.cold.entity);
    expect(before.features.cart_adds).toBe('1');
    const again = await post([e, e]);
    expect(again.json()).toMatchObject({ received: 2, applied: 0, duplicates: 2, changed: 0 });
    expect(await entityState(visitors.cold.entity)).toEqual(before);
    expect(receiver.counts.requests).toBe(1);
    expect(await streamMessages()).toBe(1);

    // A further event that leaves the decision as it is publishes nothing.
    const view = await post(xdmEvent({ ecid: visitors.cold.ecid, eventType: 'commerce.productViews' }));
    expect(view.json().results[0].outcome).toBe('unchanged');
    expect(receiver.counts.requests).toBe(1);
  });

  it('the webhook signature verifies independently and a tampered body does not', async () => {
    const wh = new Webhook(SECRET);
    const ts = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ hello: 'world' });
    const sig = wh.sign('msg_test', new Date(ts * 1000), body);
    expect(() => wh.verify(body, { 'webhook-id': 'msg_test', 'webhook-timestamp': String(ts), 'webhook-signature': sig })).not.toThrow();
    expect(() => wh.verify(`${body} `, { 'webhook-id': 'msg_test', 'webhook-timestamp': String(ts), 'webhook-signature': sig })).toThrow();
    expect(receiver.counts.badSignature).toBe(0);
  });

  it('without consent or in the control arm, a changed decision is recorded as suppressed and not sent', async () => {
    const requests = receiver.counts.requests;
    const a = xdmEvent({ ecid: visitors.coldNoConsent.ecid });
    const b = xdmEvent({ ecid: visitors.coldControl.ecid });
    const res = await post({ events: [a, b] });
    expect(res.json().results).toEqual([
      { _id: a._id, outcome: 'changed', destinations: { webhook: 'suppressed:no_consent', nats: 'suppressed:no_consent' } },
      { _id: b._id, outcome: 'changed', destinations: { webhook: 'suppressed:holdout_control', nats: 'suppressed:holdout_control' } },
    ]);
    expect(receiver.counts.requests).toBe(requests);
    const ledger = await ledgerOf(b._id as string);
    expect(ledger.find((r) => r.destination === 'webhook')).toMatchObject({ stage: 'suppressed', detail: { reason: 'holdout_control' } });
  });

  it('an event older than the stale age is accepted and counted but never activates', async () => {
    const requests = receiver.counts.requests;
    const old = xdmEvent({ ecid: visitors.stale.ecid, timestamp: new Date(Date.now() - 2 * 3_600_000).toISOString() });
    const res = await post(old);
    expect(res.json()).toMatchObject({ applied: 1, stale: 1, changed: 0, results: [{ outcome: 'stale' }] });
    expect(receiver.counts.requests).toBe(requests);
    expect((await entityState(visitors.stale.entity)).features.cart_adds).toBe('1');
    expect((await app.inject({ method: 'GET', url: `/v1/decisions/${visitors.stale.entity}` })).json()).toMatchObject({ segment: 'cold', origin: 'cycle' });
    expect(await ledgerOf(old._id as string)).toEqual([{ destination: '', stage: 'suppressed', detail: expect.objectContaining({ reason: 'stale_event' }) }]);
  });

  it('an unmapped ECID changes nothing and is counted', async () => {
    const res = await post(xdmEvent({ ecid: ecid() }));
    expect(res.json()).toMatchObject({ applied: 0, unmapped: 1 });
    expect(await metrics.registry.metrics()).toMatch(/scoreflow_events_total\{outcome="unmapped"\} 1/);
  });

  it('malformed events are refused with 4xx and the field path, and nothing of the batch is applied', async () => {
    const v = visitors.malformed;
    const before = await entityState(v.entity);
    const good = xdmEvent({ ecid: v.ecid });
    const cases: [unknown, number, string][] = [
      [[good, { ...xdmEvent({ ecid: v.ecid }), identityMap: { ECID: [] } }], 400, '[1].identityMap.ECID'],
      [[good, { ...xdmEvent({ ecid: v.ecid }), identityMap: undefined }], 400, '[1].identityMap'],
      [{ events: [good, xdmEvent({ ecid: v.ecid, timestamp: new Date(Date.now() + 3_600_000).toISOString() })] }, 400, 'events[1].timestamp'],
      [{ events: [good, xdmEvent({ ecid: v.ecid, eventType: 'commerce.wishlistAdds' })] }, 400, 'events[1].eventType'],
      [[good, xdmEvent({ ecid: v.ecid.slice(2) })], 400, '[1].identityMap.ECID[0].id'],
      [{ events: [good, ...Array.from({ length: 200 }, () => xdmEvent({ ecid: v.ecid }))] }, 413, '(body)'],
      ['{"_id": ', 400, '(body)'],
    ];
    for (const [body, status, path] of cases) {
      const res = await post(body);
      expect(res.statusCode, path).toBe(status);
      expect(res.json(), path).toMatchObject({ path, message: expect.any(String) });
      if (status === 400 && path !== '(body)') expect(res.json().message).toContain(path);
    }
    expect(await entityState(v.entity)).toEqual(before);
    expect(receiver.counts.requests).toBe(1);
    // The valid event of the refused batches was never recorded as seen: alone, it applies.
    const alone = await post(good);
    expect(alone.json()).toMatchObject({ applied: 1, duplicates: 0 });
  });

  it('refuses bodies that are not application/json with 415, naming the header, and applies nothing', async () => {
    const v = visitors.malformed;
    const before = await entityState(v.entity);
    const requests = receiver.counts.requests;
    const body = JSON.stringify(xdmEvent({ ecid: v.ecid }));
    // text/plain and form encodings are what a web page may POST cross-site without a CORS preflight.
    for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await post(body, { 'content-type': type });
      expect(res.statusCode, type).toBe(415);
      expect(res.json(), type).toMatchObject({ error: 'unsupported_media_type', path: '(headers).content-type' });
      expect(res.json().message, type).toContain('application/json');
      expect(res.json().message, type).toContain(JSON.stringify(type));
    }
    const none = await app.inject({ method: 'POST', url: '/v1/events', payload: body });
    expect(none.statusCode).toBe(415);
    expect(none.json().message).toContain('no Content-Type');
    expect(await entityState(v.entity)).toEqual(before);
    expect(receiver.counts.requests).toBe(requests);
    // The same body as application/json (with a charset) is accepted.
    expect((await post(body, { 'content-type': 'application/json; charset=utf-8' })).statusCode).toBe(200);
  });
});
