/**
 * Runs the XDM event and decision request cases of the bad-input corpus against an in-process
 * decision API (buildDecisionApi, what `scoreflow serve` runs) on the shared Redis, with event
 * ingest publishing to a real webhook receiver (contract server). Per case: the status, the error
 * code, the path and a message naming the problem; afterwards nothing is applied: no key in the
 * API's Redis namespace, no ledger entry, nothing at the receiver.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { buildDecisionApi } from '../../activities/online/decision-api.ts';
import { loadRulePolicy } from '../../activities/online/fallback-policy.ts';
import { DEFAULT_ONLINE_ROUTES } from '../../activities/online/online-blob.ts';
import { createOnlineRedis, redisReady } from '../../activities/online/redis-connection.ts';
import { createWebhookAdapter } from '../../activities/destinations/webhook.ts';
import { closePools, getPool } from '../../activities/store/db.ts';
import { startWebhookReceiver, type RunningWebhookReceiver } from '../../tools/contract-servers/webhook-receiver.ts';
import { DECISION_CONFIG, cartScorer, uid } from '../helpers/online.ts';
import { HTTP_CASES } from './http.cases.ts';

const SECRET = `whsec_${Buffer.from('corpus-http-secret-0123456789abcdef').toString('base64')}`;
const ns = uid('corpus-http');
let redis: Redis;
let receiver: RunningWebhookReceiver;
let app: ReturnType<typeof buildDecisionApi>;

beforeAll(async () => {
  redis = createOnlineRedis('redis://127.0.0.1:6379', { offlineQueue: true, commandTimeoutMs: 2000 });
  await redisReady(redis);
  receiver = await startWebhookReceiver({ secret: SECRET });
  app = buildDecisionApi({
    redis,
    namespace: ns,
    fallback: loadRulePolicy(),
    events: { bodyLimitBytes: 16 * 1024, maxEvents: 20 },
    ingest: {
      scorer: cartScorer(),
      decision: DECISION_CONFIG,
      routes: DEFAULT_ONLINE_ROUTES,
      destinations: [{ name: 'webhook', adapter: createWebhookAdapter({ url: receiver.url, secretEnv: 'CORPUS_SECRET', eventType: 'scoreflow.decision' }, { env: { CORPUS_SECRET: SECRET } }) }],
      ledger: getPool(),
    },
  });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await receiver?.close();
  const k = await redis.keys(`${ns}:*`);
  if (k.length) await redis.del(...k);
  await redis.quit();
  await closePools();
});

describe(`bad-input corpus: XDM events and decision requests (${HTTP_CASES.length} cases)`, () => {
  it.each(HTTP_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const payload = c.raw ?? (c.body === undefined ? undefined : JSON.stringify(c.body));
    const res = await app.inject({ method: c.method, url: c.url, ...(payload !== undefined && { payload, headers: { 'content-type': c.contentType ?? 'application/json' } }) });
    expect(res.statusCode, res.body).toBe(c.status);
    const body = res.json() as { error: string; path: string; message: string };
    expect(body.error).toBe(c.error);
    if (typeof c.path === 'string') expect(body.path).toBe(c.path);
    else expect(body.path).toMatch(c.path);
    expect(body.message).toMatch(c.message);
    // The message names the field (or the body / header at fault), not just "bad request".
    expect(body.message.length).toBeGreaterThan(10);
    // Nothing applied: no dedup key, counter or blob in the namespace, nothing delivered, no ledger entry.
    expect(await redis.keys(`${ns}:*`)).toEqual([]);
    expect(receiver.counts.requests).toBe(0);
  });

  it('no event of the corpus reached the ledger', async () => {
    const { rows } = await getPool().query("SELECT count(*)::int AS n FROM ledger_event WHERE run_id LIKE 'realtime:corpus-%' OR run_id IN ('realtime:p1', 'realtime:p2')");
    expect(rows[0].n).toBe(0);
  });
});
