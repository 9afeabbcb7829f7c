import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { buildDecisionApi } from '../../activities/online/decision-api.ts';
import { ApiError, DecisionAnswer, ENTITY_ID_PATTERN, FALLBACK_REASONS, routeSchema } from '../../contracts/decision-api.ts';
import { loadRulePolicy } from '../../activities/online/fallback-policy.ts';
import { createOnlineMetrics } from '../../activities/online/online-metrics.ts';
import { buildOnlineBlob, DEFAULT_ONLINE_ROUTES } from '../../activities/online/online-blob.ts';
import { onlineKeys } from '../../activities/online/online-keys.ts';
import { createOnlineRedis, redisReady } from '../../activities/online/redis-connection.ts';
import { entityId, features, record, startPrivateRedis, uid, type PrivateRedis } from '../helpers/online.ts';

const fallback = loadRulePolicy();

async function putBlob(redis: Redis, ns: string, e: string, opts: { probability?: number; scoredAt?: string; ttlSeconds?: number } = {}) {
  const rec = record({ entityId: e, probability: opts.probability ?? 0.7, runId: 'run-api', scoredAt: opts.scoredAt });
  const blob = buildOnlineBlob(rec, { cycleAt: Date.now(), features: features(), routes: DEFAULT_ONLINE_ROUTES });
  await redis.set(onlineKeys(ns).decision(e), JSON.stringify(blob), 'EX', opts.ttlSeconds ?? 3600);
  return blob;
}

describe('buildDecisionApi on the shared Redis', () => {
  const ns = uid('h7api');
  const metrics = createOnlineMetrics();
  let redis: Redis;
  let writer: Redis;
  let app: ReturnType<typeof buildDecisionApi>;

  beforeAll(async () => {
    redis = createOnlineRedis('redis://127.0.0.1:6379');
    writer = createOnlineRedis('redis://127.0.0.1:6379', { offlineQueue: true, commandTimeoutMs: 2000 });
    await Promise.all([redisReady(redis), redisReady(writer)]);
    app = buildDecisionApi({ redis, namespace: ns, fallback, metrics });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    const k = await writer.keys(`${ns}:*`);
    if (k.length) await writer.del(...k);
    await Promise.all([redis.quit(), writer.quit()]);
  });

  it('answers the stored decision for a destination, marked model', async () => {
    const e = entityId();
    const blob = await putBlob(writer, ns, e);
    const res = await app.inject({ method: 'GET', url: `/v1/decisions/${e}?destination=webhook` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      entity_id: e,
      destination: 'webhook',
      source: 'model',
      segment: 'high_intent',
      flags: { activate: true, eligible: true, consented: true, control: false },
      suppressed_by: null,
      decision_token: blob.decisions.webhook!.decision_token,
      score: 0.7,
      model_version: '1.0.0',
      decision_policy: 'model',
      expires_at: blob.expires_at,
      contract_version: '1.0.0',
      source_cycle: 'run-api',
      origin: 'cycle',
      fallback_reason: null,
      fallback_policy: null,
    });
    const dflt = await app.inject({ method: 'GET', url: `/v1/decisions/${e}` });
    expect(dflt.json()).toMatchObject({ destination: 'target', decision_token: blob.decisions.target!.decision_token });
  });

  it('an entry past expires_at is served from the fallback even while its key lives, never the stale decision', async () => {
    const e = entityId();
    const stale = await putBlob(writer, ns, e, { scoredAt: new Date(Date.now() - 25 * 3_600_000).toISOString(), ttlSeconds: 3600 });
    expect(await writer.exists(onlineKeys(ns).decision(e))).toBe(1);
    const res = await app.inject({ method: 'GET', url: `/v1/decisions/${e}?destination=target` });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ source: 'fallback', fallback_reason: 'expired', model_version: null, source_cycle: null, flags: { activate: false }, fallback_policy: 'rules-fallback@1.0.0' });
    expect(body.decision_token).not.toBe(stale.decisions.target!.decision_token);
    expect(body.score).not.toBe(stale.score);
  });

  it('missing and unreadable entries are answered by the rules fallback, using real-time counters when present', async () => {
    const missing = entityId();
    await writer.hset(onlineKeys(ns).features(missing), 'checkouts', '1', 'cart_adds', '1', 'last_event_ms', String(Date.now()));
    const m = await app.inject({ method: 'GET', url: `/v1/decisions/${missing}` });
    expect(m.json()).toMatchObject({ source: 'fallback', fallback_reason: 'missing', segment: 'high_intent', flags: { activate: false } });
    const plain = await app.inject({ method: 'GET', url: `/v1/decisions/${entityId()}` });
    expect(plain.json()).toMatchObject({ source: 'fallback', fallback_reason: 'missing', segment: 'cold' });

    const badJson = entityId();
    await writer.set(onlineKeys(ns).decision(badJson), '{"contract_version":', 'EX', 60);
    expect((await app.inject({ method: 'GET', url: `/v1/decisions/${badJson}` })).json()).toMatchObject({ source: 'fallback', fallback_reason: 'unreadable' });
    const offContract = entityId();
    const blob = await putBlob(writer, ns, offContract);
    await writer.set(onlineKeys(ns).decision(offContract), JSON.stringify({ ...blob, contract_version: '0.9.0' }), 'EX', 60);
    expect((await app.inject({ method: 'GET', url: `/v1/decisions/${offContract}` })).json()).toMatchObject({ source: 'fallback', fallback_reason: 'unreadable' });
  });

  it('serves the OpenAPI document as a browsable Swagger UI at /docs, with local assets', async () => {
    const page = await app.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('swagger-ui');
    const json = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(Object.keys(json.paths)).toContain('/v1/decisions/{entityId}');
    const bundle = await app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js' });
    expect(bundle.statusCode).toBe(200);
    expect(bundle.body.length).toBeGreaterThan(100_000);
  });

  it('derives the OpenAPI schemas from the zod contract (contracts/decision-api.ts): /docs/json carries them, and answers conform', async () => {
    const spec = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
    const op = spec.paths['/v1/decisions/{entityId}'].get;
    const derived = routeSchema(DecisionAnswer) as { properties: Record<string, unknown>; required: string[] };
    const ok = op.responses['200'].content['application/json'].schema;
    expect(ok.properties).toEqual(derived.properties);
    expect(ok.required).toEqual(derived.required);
    expect(ok.required).toEqual(Object.keys(DecisionAnswer.shape));
    expect(ok.properties.fallback_reason).toEqual({ anyOf: [{ type: 'string', enum: [...FALLBACK_REASONS] }, { type: 'null' }] });
    const bad = op.responses['400'].content['application/json'].schema;
    expect(bad.properties).toEqual((routeSchema(ApiError) as { properties: unknown }).properties);
    const entity = op.parameters.find((p: { in: string; name: string }) => p.in === 'path' && p.name === 'entityId');
    expect(entity.schema.pattern).toBe(ENTITY_ID_PATTERN.source);
    expect(entity.required).toBe(true);
    const destination = op.parameters.find((p: { in: string; name: string }) => p.in === 'query' && p.name === 'destination');
    expect(destination.schema.enum).toEqual(DEFAULT_ONLINE_ROUTES.map((r) => r.name));
    // What the API answers conforms to the same zod schema.
    const e = entityId();
    await putBlob(writer, ns, e);
    for (const url of [`/v1/decisions/${e}?destination=target`, `/v1/decisions/${entityId()}`]) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(200);
      expect(DecisionAnswer.safeParse(res.json()).success, url).toBe(true);
    }
  });

  it('refuses malformed entity ids and unknown destinations with 400, the field path and a clear message', async () => {
    for (const bad of ['abc', '123', '12_ab', '1_2_3', `${'9'.repeat(21)}_1`]) {
      const res = await app.inject({ method: 'GET', url: `/v1/decisions/${bad}` });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'invalid_entity_id', path: 'params.entityId', message: expect.stringContaining('<visid_high>_<visid_low>') });
    }
    const dest = await app.inject({ method: 'GET', url: `/v1/decisions/1_2?destination=fax` });
    expect(dest.statusCode).toBe(400);
    expect(dest.json()).toMatchObject({ error: 'unknown_destination', path: 'query.destination' });
  });

  it('serves OpenAPI, liveness and readiness, and counts into its metrics (served on their own port by serve)', async () => {
    const spec = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(spec.openapi).toBe('3.1.0');
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/v1/decisions/{entityId}', '/healthz', '/readyz']));
    expect(spec.paths['/metrics']).toBeUndefined();
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
    expect(spec.paths['/v1/decisions/{entityId}'].get.responses['200']).toBeDefined();
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ ready: true, redis: 'reachable', breaker: 'closed' });
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/scoreflow_decision_requests_total\{source="model",reason=""\} [1-9]/);
    expect(text).toMatch(/scoreflow_decision_requests_total\{source="fallback",reason="expired"\} 1/);
    expect(text).toContain('scoreflow_decision_latency_seconds_bucket');
    expect(text).toMatch(/scoreflow_redis_breaker_state 0/);
  });
});

describe('buildDecisionApi when Redis goes away and comes back', () => {
  let priv: PrivateRedis;
  let redis: Redis;
  let app: ReturnType<typeof buildDecisionApi>;
  const ns = uid('h7out');
  const metrics = createOnlineMetrics();

  beforeAll(async () => {
    priv = await startPrivateRedis();
    redis = createOnlineRedis(priv.url);
    await redisReady(redis);
    app = buildDecisionApi({ redis, namespace: ns, fallback, metrics, breaker: { resetTimeoutMs: 300, volumeThreshold: 3, consecutiveFailures: 3, consecutiveSpanMs: 50 } });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    redis.disconnect();
    await priv.stop();
  });

  it('answers 200 from the fallback during the outage, opens the breaker, and recovers', async () => {
    const e = entityId();
    const writer = createOnlineRedis(priv.url, { offlineQueue: true, commandTimeoutMs: 2000 });
    await redisReady(writer);
    await putBlob(writer, ns, e);
    expect((await app.inject({ method: 'GET', url: `/v1/decisions/${e}` })).json().source).toBe('model');

    await priv.stop();
    // Latency budgets are measured by `npm run bench` (serve); here: every request is answered, by the fallback.
    for (let i = 0; i < 20; i++) {
      const res = await app.inject({ method: 'GET', url: `/v1/decisions/${e}` });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ source: 'fallback', fallback_reason: 'store_unavailable', segment: 'cold', flags: { activate: false } });
    }
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ ready: false, redis: 'unreachable', breaker: 'open' });
    expect(await metrics.registry.metrics()).toMatch(/scoreflow_redis_breaker_state 2/);

    await priv.start();
    await redisReady(writer, 5_000);
    await putBlob(writer, ns, e); // the private server keeps nothing across restarts
    let source = '';
    for (let i = 0; i < 100 && source !== 'model'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      source = (await app.inject({ method: 'GET', url: `/v1/decisions/${e}` })).json().source;
    }
    expect(source).toBe('model');
    expect((await app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ ready: true, redis: 'reachable', breaker: 'closed' });
    writer.disconnect();
  });

  it('a hung Redis receives only the reads that open the breaker; the open breaker answers without it', async () => {
    const e = entityId();
    const writer = createOnlineRedis(priv.url, { offlineQueue: true, commandTimeoutMs: 2000 });
    await redisReady(writer);
    await putBlob(writer, ns, e);
    expect((await app.inject({ method: 'GET', url: `/v1/decisions/${e}` })).json().source).toBe('model');
    const admin = createOnlineRedis(priv.url, { offlineQueue: true, commandTimeoutMs: 2000 });
    await redisReady(admin);
    await admin.config('RESETSTAT');
    priv.pause();
    try {
      // Each read sent to the hung server waits out the read deadline and fails; the breaker opens
      // after 3 consecutive failures, and from then on answers without sending anything to Redis.
      for (let i = 0; i < 10; i++) {
        const res = await app.inject({ method: 'GET', url: `/v1/decisions/${e}` });
        expect(res.statusCode).toBe(200);
        expect(res.json()).toMatchObject({ source: 'fallback', fallback_reason: 'store_unavailable' });
      }
      expect(await metrics.registry.metrics()).toMatch(/scoreflow_redis_breaker_state 2/);
    } finally {
      priv.resume();
    }
    // The reads that were sent sat in the server's socket and are executed once it resumes: count them.
    const readsSent = async () => {
      const stats = String(await admin.info('commandstats'));
      const calls = (cmd: string) => Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
      return calls('get') + calls('hgetall');
    };
    let sent = -1;
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const now = await readsSent();
      if (now === sent) break;
      sent = now;
    }
    expect(sent).toBeGreaterThanOrEqual(3); // the three failures that opened the breaker reached Redis
    expect(sent).toBeLessThanOrEqual(4); // the other requests (10 decisions, up to 20 reads) never did
    admin.disconnect();
    let source = '';
    for (let i = 0; i < 100 && source !== 'model'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      source = (await app.inject({ method: 'GET', url: `/v1/decisions/${e}` })).json().source;
    }
    expect(source).toBe('model');
    writer.disconnect();
  });
});
