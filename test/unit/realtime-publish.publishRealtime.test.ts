import { describe, expect, it } from 'vitest';
import { publishRealtime } from '../../activities/online/realtime-publish.ts';
import { DestinationRejectedError, DestinationThrottledError, type DestinationAdapter, type SendContext } from '../../activities/destinations/adapter.ts';

const row = { entityId: '1_2', op: 'upsert' as const, payload: { segment: 'warm' }, digest: 'd', identifiers: {} };

function adapter(steps: (() => void)[]): DestinationAdapter & { keys: string[] } {
  const keys: string[] = [];
  return {
    kind: 'fake',
    maxChunkRows: 1,
    keys,
    async send(rows, ctx: SendContext) {
      keys.push(ctx.idempotencyKey);
      steps.shift()?.();
      return { accepted: rows.map((r) => r.entityId), rejected: [], receipt: { ok: true } };
    },
  };
}

const fast = { attempts: 3, backoffMs: 1, maxRetryAfterMs: 50 };

describe('publishRealtime', () => {
  it('retries a transient failure with the same idempotency key', async () => {
    const a = adapter([() => { throw new Error('ECONNRESET'); }]);
    const r = await publishRealtime({ name: 'webhook', adapter: a }, row, 'realtime:e1:webhook', fast);
    expect(r).toEqual({ outcome: 'delivered', attempts: 2, receipt: { ok: true } });
    expect(a.keys).toEqual(['realtime:e1:webhook', 'realtime:e1:webhook']);
  });

  it('does not retry a rejection, and gives up on throttling beyond the request budget', async () => {
    const rejected = await publishRealtime({ name: 'w', adapter: adapter([() => { throw new DestinationRejectedError('w', 403, 'bad secret'); }]) }, row, 'k', fast);
    expect(rejected).toEqual({ outcome: 'rejected', attempts: 1, reason: 'bad secret' });
    const slow = await publishRealtime({ name: 'w', adapter: adapter([() => { throw new DestinationThrottledError('w', 429, 60_000); }]) }, row, 'k', fast);
    expect(slow).toMatchObject({ outcome: 'rejected', attempts: 1, reason: expect.stringContaining('throttled') });
    const brief = await publishRealtime({ name: 'w', adapter: adapter([() => { throw new DestinationThrottledError('w', 429, 5); }]) }, row, 'k', fast);
    expect(brief).toMatchObject({ outcome: 'delivered', attempts: 2 });
  });

  it('reports the last error after the attempts run out', async () => {
    const boom = () => { throw new Error('HTTP 502'); };
    const r = await publishRealtime({ name: 'w', adapter: adapter([boom, boom, boom]) }, row, 'k', fast);
    expect(r).toEqual({ outcome: 'rejected', attempts: 3, reason: 'gave up after 3 attempts: HTTP 502' });
  });
});
