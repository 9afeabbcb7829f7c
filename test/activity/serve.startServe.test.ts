import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { servePort, startServe, type RunningServe, type ServeOptions } from '../../cli/commands/serve.ts';
import { buildOnlineBlob, DEFAULT_ONLINE_ROUTES } from '../../activities/online/online-blob.ts';
import { onlineKeys } from '../../activities/online/online-keys.ts';
import { createOnlineRedis, redisReady } from '../../activities/online/redis-connection.ts';
import { closePools } from '../../activities/store/db.ts';
import { startWebhookReceiver, type RunningWebhookReceiver } from '../../tools/contract-servers/webhook-receiver.ts';
import { ecid, entityId, features, record, uid, xdmEvent } from '../helpers/online.ts';

const SECRET = `whsec_${Buffer.from('h7-serve-secret-abcdefghijklmnop').toString('base64')}`;
const ns = uid('h7srv');
let redis: Redis;
let receiver: RunningWebhookReceiver;
let serve: RunningServe;

beforeAll(async () => {
  redis = createOnlineRedis('redis://127.0.0.1:6379', { offlineQueue: true, commandTimeoutMs: 2000 });
  await redisReady(redis);
  receiver = await startWebhookReceiver({ secret: SECRET });
  process.env.H7_SERVE_SECRET = SECRET;
  const o: ServeOptions = {
    port: '0',
    host: '127.0.0.1',
    metricsPort: '0',
    metricsHost: '127.0.0.1',
    pipeline: 'pipelines/demo.yaml',
    redis: 'redis://127.0.0.1:6379',
    namespace: ns,
    events: true,
    staleAfter: '30m',
    readTimeoutMs: '50',
    ecidMapping: 'explicit',
    webhookUrl: receiver.url,
    webhookSecretEnv: 'H7_SERVE_SECRET',
    natsStream: 'UNUSED',
    natsSubject: 'unused',
  };
  serve = await startServe(o, {}); // no API keys: open on loopback
}, 60_000);

afterAll(async () => {
  await serve?.close();
  await receiver?.close();
  const k = await redis.keys(`${ns}:*`);
  if (k.length) await redis.del(...k);
  await redis.quit();
  await closePools();
});

describe('servePort', () => {
  it('takes --port, else PORT, else 8080, and refuses non-ports', () => {
    expect(servePort('9000', { PORT: '7000' })).toBe(9000);
    expect(servePort(undefined, { PORT: '7000' })).toBe(7000);
    expect(servePort(undefined, {})).toBe(8080);
    expect(() => servePort('http', {})).toThrow(/not a TCP port/);
  });
});

describe('startServe', () => {
  it('listens over HTTP with the champion model, answers decisions and publishes a changed one', async () => {
    expect(serve.scorer).toMatchObject({ modelId: 'purchase-propensity', version: '1.0.0' });
    expect(serve.destinations).toEqual(['webhook']);
    expect(await (await fetch(`${serve.url}/healthz`)).json()).toEqual({ status: 'ok' });

    // A visitor published cold with a feature vector the demo model scores low; a burst of checkouts and cart adds raises it.
    const e = entityId();
    const id = ecid();
    const rec = record({ entityId: e, probability: 0.06, runId: 'run-serve' });
    const blob = buildOnlineBlob(rec, { cycleAt: Date.now(), features: features({ recency_days: 20, frequency: 1, session_depth: 1, page_views: 1 }), routes: DEFAULT_ONLINE_ROUTES });
    const keys = onlineKeys(ns);
    await redis.set(keys.decision(e), JSON.stringify(blob), 'EX', 600);
    await redis.set(keys.ecid(id), e, 'EX', 600);

    const before = await (await fetch(`${serve.url}/v1/decisions/${e}?destination=webhook`)).json();
    expect(before).toMatchObject({ source: 'model', segment: 'cold' });

    const events = [
      ...Array.from({ length: 8 }, () => xdmEvent({ ecid: id, eventType: 'commerce.checkouts' })),
      ...Array.from({ length: 8 }, () => xdmEvent({ ecid: id, eventType: 'commerce.productListAdds' })),
    ];
    const res = await fetch(`${serve.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events }) });
    expect(res.status).toBe(200);
    const summary = (await res.json()) as { changed: number; delivered: number };
    expect(summary).toMatchObject({ received: 16, applied: 16 });
    expect(summary.changed).toBeGreaterThanOrEqual(1);
    expect(receiver.counts).toMatchObject({ verified: summary.delivered, badSignature: 0 });
    const after = (await (await fetch(`${serve.url}/v1/decisions/${e}?destination=webhook`)).json()) as { segment: string };
    expect(after).toMatchObject({ source: 'model', origin: 'realtime' });
    expect(after.segment).not.toBe('cold');

    expect((await fetch(`${serve.url}/metrics`)).status).toBe(404); // not on the API port
    const metrics = await (await fetch(serve.metricsUrl!)).text();
    expect(metrics).toMatch(/^process_cpu_seconds_total \d/m); // the standard names, no prefix
    expect(metrics).not.toContain('scoreflow_process_');
    expect(metrics).toMatch(/scoreflow_realtime_publishes_total\{destination="webhook",outcome="delivered"\} [1-9]/);
  });
});
