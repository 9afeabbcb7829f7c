import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DestinationRejectedError, DestinationThrottledError, type DeliveryRow, type SendContext } from '../../activities/destinations/adapter.ts';
import { createWebhookAdapter, type WebhookReceipt } from '../../activities/destinations/webhook.ts';
import { startWebhookReceiver, type RunningWebhookReceiver } from '../../tools/contract-servers/webhook-receiver.ts';

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const env = { HOOK_SECRET: SECRET };
let receiver: RunningWebhookReceiver;
beforeEach(async () => {
  receiver = await startWebhookReceiver({ secret: SECRET });
});
afterEach(async () => {
  await receiver.close();
});

const rows: DeliveryRow[] = Array.from({ length: 5 }, (_, i) => ({
  entityId: `${i}_${i}`,
  op: i === 4 ? 'remove' : 'upsert',
  payload: { segment: i % 2 ? 'high' : 'low', score: i / 10 },
  digest: `digest-${i}`,
  identifiers: {},
}));
const ctx = (key: string): SendContext => ({ idempotencyKey: key, chunkIndex: 0, totalChunks: 1 });

/** A fetch that records every request and can run a hook before the n-th one. */
function recordingFetch(before?: (n: number) => void) {
  const seen: { headers: Record<string, string>; body: string }[] = [];
  const f: typeof fetch = (input, init) => {
    seen.push({ headers: { ...(init?.headers as Record<string, string>) }, body: String(init?.body) });
    before?.(seen.length);
    return fetch(input, init);
  };
  return { f, seen };
}

describe('WebhookAdapter.send', () => {
  it('signs per Standard Webhooks: the standardwebhooks package verifies every request', async () => {
    const rec = recordingFetch();
    const adapter = createWebhookAdapter({ url: receiver.url, secretEnv: 'HOOK_SECRET', concurrency: 1 }, { env, fetch: rec.f });
    const result = await adapter.send(rows, ctx('run-1/hook/0'));
    expect(result.accepted).toEqual(rows.map((r) => r.entityId));
    expect(result.rejected).toEqual([]);
    expect((result.receipt as unknown as WebhookReceipt).statuses).toEqual({ 200: 5 });
    expect(receiver.counts).toMatchObject({ requests: 5, verified: 5, badSignature: 0, unique: 5, duplicates: 0 });

    const wh = new Webhook(SECRET);
    for (const req of rec.seen) {
      expect(req.headers['webhook-id']).toMatch(/^msg_[A-Za-z0-9_-]{32}$/);
      expect(req.headers['webhook-timestamp']).toMatch(/^\d{10}$/);
      expect(req.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+={0,2}$/);
      expect(() => wh.verify(req.body, req.headers)).not.toThrow();
      expect(() => wh.verify(`${req.body} `, req.headers)).toThrow();
    }
    const first = receiver.messages.get(rec.seen[0]!.headers['webhook-id']!);
    expect(first).toEqual({ type: 'scoreflow.activation.upsert', data: { entity_id: '0_0', op: 'upsert', digest: 'digest-0', payload: { segment: 'low', score: 0 } } });
    expect(receiver.messages.get(rec.seen[4]!.headers['webhook-id']!)).toMatchObject({ type: 'scoreflow.activation.remove' });
  });

  it('maps 429 to DestinationThrottledError with Retry-After; the retried chunk reuses webhook-ids, so each message is applied once', async () => {
    const rec = recordingFetch((n) => {
      if (n === 3) receiver.injectFailures(1, 429, 2);
    });
    const adapter = createWebhookAdapter({ url: receiver.url, secretEnv: 'HOOK_SECRET', concurrency: 1 }, { env, fetch: rec.f });
    const err = await adapter.send(rows, ctx('run-2/hook/0')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DestinationThrottledError);
    expect((err as DestinationThrottledError).status).toBe(429);
    expect((err as DestinationThrottledError).retryAfterMs).toBe(2000);
    expect(receiver.counts.unique).toBe(2);

    const retry = await adapter.send(rows, ctx('run-2/hook/0'));
    expect(retry.accepted).toHaveLength(5);
    expect(receiver.counts).toMatchObject({ unique: 5, duplicates: 2, injected: 1 });
    expect([...receiver.deliveries.values()].sort()).toEqual([1, 1, 1, 2, 2]);
    // The first attempt's ids are exactly the retry's first ids.
    expect(rec.seen.slice(0, 2).map((r) => r.headers['webhook-id'])).toEqual(rec.seen.slice(3, 5).map((r) => r.headers['webhook-id']));

    // Another run is another message, even with identical rows.
    await adapter.send(rows.slice(0, 1), ctx('run-3/hook/0'));
    expect(receiver.counts.unique).toBe(6);
  });

  it('maps 503 and other 5xx to DestinationThrottledError, with a default wait when Retry-After is absent', async () => {
    receiver.injectFailures(1, 503, 3);
    const adapter = createWebhookAdapter({ url: receiver.url, secretEnv: 'HOOK_SECRET' }, { env });
    const err = await adapter.send(rows.slice(0, 1), ctx('run-4/hook/0')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DestinationThrottledError);
    expect((err as DestinationThrottledError).retryAfterMs).toBe(3000);
    const bad = createWebhookAdapter({ url: receiver.url, secretEnv: 'HOOK_SECRET' }, { env, fetch: async () => new Response('boom', { status: 502 }) });
    const err502 = await bad.send(rows.slice(0, 1), ctx('run-4/hook/0')).catch((e: unknown) => e);
    expect(err502).toBeInstanceOf(DestinationThrottledError);
    expect((err502 as DestinationThrottledError).status).toBe(502);
    expect((err502 as DestinationThrottledError).retryAfterMs).toBe(5000);
  });

  it('rejects a row the consumer refuses with a 4xx, not retryable, and delivers the rest', async () => {
    receiver.injectRejections(1, 422, 'segment "low" unknown');
    const adapter = createWebhookAdapter({ url: receiver.url, secretEnv: 'HOOK_SECRET', concurrency: 1 }, { env });
    const result = await adapter.send(rows, ctx('run-5/hook/0'));
    expect(result.rejected).toEqual([{ entityId: '0_0', reason: 'HTTP 422: segment "low" unknown', retryable: false }]);
    expect(result.accepted).toEqual(['1_1', '2_2', '3_3', '4_4']);
  });

  it('fails the chunk, not retryable, when the receiver refuses the signature', async () => {
    const adapter = createWebhookAdapter({ url: receiver.url, secretEnv: 'OTHER' }, { env: { OTHER: `whsec_${randomBytes(24).toString('base64')}` } });
    const err = await adapter.send(rows, ctx('run-6/hook/0')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DestinationRejectedError);
    expect((err as DestinationRejectedError).status).toBe(401);
    expect(receiver.counts.badSignature).toBeGreaterThanOrEqual(1);
    expect(receiver.counts.unique).toBe(0);
  });

  it('batches rows per request with a stable webhook-id per batch', async () => {
    const adapter = createWebhookAdapter({ url: receiver.url, secretEnv: 'HOOK_SECRET', mode: 'batch', batchSize: 2 }, { env });
    const a = await adapter.send(rows, ctx('run-7/hook/0'));
    const b = await adapter.send(rows, ctx('run-7/hook/0'));
    const ids = (a.receipt as unknown as WebhookReceipt).batchIds!;
    expect(ids).toHaveLength(3);
    expect((b.receipt as unknown as WebhookReceipt).batchIds).toEqual(ids);
    expect(receiver.counts).toMatchObject({ requests: 6, unique: 3, duplicates: 3 });
    expect(receiver.messages.get(ids[2]!)).toMatchObject({ type: 'scoreflow.activation.batch', data: { rows: [{ entity_id: '4_4', op: 'remove' }] } });
  });

  it('refuses to start without a whsec_ secret in the named variable', () => {
    expect(() => createWebhookAdapter({ url: receiver.url, secretEnv: 'MISSING' }, { env: {} })).toThrow(/MISSING/);
    expect(() => createWebhookAdapter({ url: receiver.url, secretEnv: 'S' }, { env: { S: 'plain-secret' } })).toThrow(/whsec_/);
  });
});
