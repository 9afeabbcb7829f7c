import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Redis } from 'ioredis';
import { createCartActivities } from '../../activities/online/cart-activation.ts';
import { createCartHooks } from '../../activities/online/cart-hooks.ts';
import { buildDecisionApi } from '../../activities/online/decision-api.ts';
import { loadRulePolicy } from '../../activities/online/fallback-policy.ts';
import { buildOnlineBlob, DEFAULT_ONLINE_ROUTES } from '../../activities/online/online-blob.ts';
import { onlineKeys } from '../../activities/online/online-keys.ts';
import { createOnlineRedis, redisReady } from '../../activities/online/redis-connection.ts';
import { closePools, getPool } from '../../activities/store/db.ts';
import { startWebhookReceiver, type RunningWebhookReceiver } from '../../tools/contract-servers/webhook-receiver.ts';
import { cartStatusQuery, cartWorkflowId, type CartAbandonmentResult } from '../../workflows/cart-abandonment.ts';
import { temporalAddress } from '../helpers/temporal.ts';
import { ALL_CONSENT, DECISION_CONFIG, NO_CONSENT, cartScorer, ecid, entityId, features, record, uid, xdmEvent } from '../helpers/online.ts';

const SECRET = `whsec_${Buffer.from('h7-cart-abandonment-secret-987654').toString('base64')}`;
const ns = uid('h7cart');
const keys = onlineKeys(ns);
const taskQueue = uid('h7-cart-');

let redis: Redis;
let receiver: RunningWebhookReceiver;
let nativeConnection: NativeConnection;
let connection: Connection;
let client: Client;
let worker: Worker;
let running: Promise<void>;
let app: ReturnType<typeof buildDecisionApi>;

async function visitor(opts: { consent?: typeof ALL_CONSENT; expired?: boolean } = {}) {
  const v = { entity: entityId(), ecid: ecid() };
  const scoredAt = opts.expired ? new Date(Date.now() - 25 * 3_600_000).toISOString() : new Date().toISOString();
  const blob = buildOnlineBlob(record({ entityId: v.entity, probability: 0.6, runId: 'run-cart', consent: opts.consent, scoredAt }), {
    cycleAt: Date.now(),
    features: features(),
    routes: DEFAULT_ONLINE_ROUTES,
  });
  await redis.set(keys.decision(v.entity), JSON.stringify(blob), 'EX', 3600);
  await redis.set(keys.ecid(v.ecid), v.entity, 'EX', 3600);
  return v;
}

async function postEvent(e: Record<string, unknown>) {
  const res = await app.inject({ method: 'POST', url: '/v1/events', payload: e });
  expect(res.statusCode).toBe(200);
  return res.json();
}

const result = (entity: string) => client.workflow.getHandle(cartWorkflowId(entity)).result() as Promise<CartAbandonmentResult>;

beforeAll(async () => {
  redis = createOnlineRedis('redis://127.0.0.1:6379', { offlineQueue: true, commandTimeoutMs: 2000 });
  await redisReady(redis);
  receiver = await startWebhookReceiver({ secret: SECRET });
  nativeConnection = await NativeConnection.connect({ address: temporalAddress() });
  worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowsPath: fileURLToPath(new URL('../../workflows/cart-abandonment.ts', import.meta.url)),
    activities: createCartActivities({ redis: () => redis, ledger: () => getPool(), env: { H7_CART_SECRET: SECRET } }),
  });
  running = worker.run();
  connection = await Connection.connect({ address: temporalAddress() });
  client = new Client({ connection });

  const apiRedis = createOnlineRedis('redis://127.0.0.1:6379', { commandTimeoutMs: 500 });
  await redisReady(apiRedis);
  app = buildDecisionApi({
    redis: apiRedis,
    namespace: ns,
    fallback: loadRulePolicy(),
    ingest: {
      scorer: cartScorer({ intercept: 0.5 }),
      decision: DECISION_CONFIG,
      routes: DEFAULT_ONLINE_ROUTES,
      destinations: [],
      ledger: getPool(),
      cart: createCartHooks({
        client,
        taskQueue,
        delayMs: 1_500,
        namespace: ns,
        activation: { destination: 'cart-offer', url: receiver.url, secretEnv: 'H7_CART_SECRET', offer: { code: 'CART10', discount_pct: 10 } },
      }),
    },
  });
  app.addHook('onClose', async () => apiRedis.disconnect());
  await app.ready();
}, 120_000);

afterAll(async () => {
  await app?.close();
  worker?.shutdown();
  await running;
  await connection?.close();
  await nativeConnection?.close();
  await receiver?.close();
  const k = await redis.keys(`${ns}:*`);
  if (k.length) await redis.del(...k);
  await redis.quit();
  await closePools();
});

describe('cartAbandonment on the dev server', () => {
  it('a cart add without a purchase fires the offer once, signed, when the timer runs out', async () => {
    const v = await visitor();
    const add = xdmEvent({ ecid: v.ecid, eventType: 'commerce.productListAdds' });
    await postEvent(add);
    const status = await client.workflow.getHandle(cartWorkflowId(v.entity)).query(cartStatusQuery);
    expect(status).toMatchObject({ adds: 1, lastAdd: { eventId: add._id }, purchase: null, outcome: null });

    const r = await result(v.entity);
    expect(r).toMatchObject({ outcome: 'delivered', adds: 1, webhookId: expect.stringMatching(/^msg_/) });
    expect(receiver.counts).toMatchObject({ requests: 1, verified: 1, badSignature: 0, unique: 1 });
    expect(receiver.messages.get(r.webhookId!)).toMatchObject({
      type: 'scoreflow.cart_abandonment.upsert',
      data: { entity_id: v.entity, payload: { type: 'cart_abandonment', offer: { code: 'CART10' }, cart_add_event_id: add._id, segment: 'high_intent' } },
    });
    const ledger = await getPool().query('SELECT destination, stage FROM ledger_event WHERE run_id = $1', [`realtime:cart:${add._id}`]);
    expect(ledger.rows).toEqual([{ destination: 'cart-offer', stage: 'delivered' }]);
  });

  it('a cart add followed by a purchase sends nothing', async () => {
    const before = receiver.counts.requests;
    const v = await visitor();
    const add = xdmEvent({ ecid: v.ecid, eventType: 'commerce.productListAdds' });
    await postEvent(add);
    await postEvent(xdmEvent({ ecid: v.ecid, eventType: 'commerce.purchases', commerce: { order: { purchaseID: 'P1', currencyCode: 'EUR', priceTotal: 40 } } }));
    expect(await result(v.entity)).toMatchObject({ outcome: 'suppressed', reason: 'purchase_made' });
    await new Promise((r) => setTimeout(r, 2_000)); // past the timer: still nothing
    expect(receiver.counts.requests - before).toBe(0);
    const ledger = await getPool().query('SELECT stage, detail FROM ledger_event WHERE run_id = $1', [`realtime:cart:${add._id}`]);
    expect(ledger.rows).toEqual([{ stage: 'suppressed', detail: expect.objectContaining({ reason: 'purchase_made' }) }]);
  });

  it('the activity suppresses the offer without consent or when the decision expired', async () => {
    const before = receiver.counts.requests;
    const noConsent = await visitor({ consent: NO_CONSENT });
    const expired = await visitor({ expired: true });
    await postEvent(xdmEvent({ ecid: noConsent.ecid, eventType: 'commerce.productListAdds' }));
    await postEvent(xdmEvent({ ecid: expired.ecid, eventType: 'commerce.productListAdds' }));
    expect(await result(noConsent.entity)).toMatchObject({ outcome: 'suppressed', reason: 'no_consent' });
    expect(await result(expired.entity)).toMatchObject({ outcome: 'suppressed', reason: 'decision_expired' });
    expect(receiver.counts.requests - before).toBe(0);
  });
});
