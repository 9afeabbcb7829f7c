import { afterEach, describe, expect, it } from 'vitest';
import { DestinationRejectedError, DestinationThrottledError, type DeliveryRow, type SendContext } from '../../activities/destinations/adapter.ts';
import { TARGET_CLEAR_SENTINEL, createTargetBulkAdapter, type TargetBulkProgress } from '../../activities/destinations/adobe-target-bulk.ts';
import { SlidingWindowLimiter } from '../../activities/destinations/sliding-window-limiter.ts';
import { startTargetServer, type RunningTargetServer } from '../../tools/contract-servers/target.ts';

const servers: RunningTargetServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(opts: Parameters<typeof startTargetServer>[0] = {}): Promise<RunningTargetServer> {
  const s = await startTargetServer(opts);
  servers.push(s);
  return s;
}

function row(i: number, payload: Record<string, unknown>, op: DeliveryRow['op'] = 'upsert', thirdPartyId = `crm-${i}`): DeliveryRow {
  return { entityId: `${i}_${i}`, op, payload, digest: `digest-${i}-${op}`, identifiers: { thirdPartyId } };
}

const ctx = (key: string): SendContext => ({ idempotencyKey: key, chunkIndex: 0, totalChunks: 1 });

describe('TargetBulkAdapter.send against the Target contract server', () => {
  it('delivers upserts and sentinel removals, and puts the polled details in the receipt', async () => {
    const target = await server();
    target.profiles.set('crm-3', { segment: 'high_intent', score: '0.9' });
    const progress: TargetBulkProgress[] = [];
    const adapter = createTargetBulkAdapter(
      { baseUrl: target.url, client: 'acme', attributes: ['segment', 'score', 'note'], pollIntervalMs: 10 },
      { limiter: new SlidingWindowLimiter(50, 60_000), onProgress: (p) => progress.push(p) },
    );
    const result = await adapter.send(
      [
        row(1, { segment: 'high_intent', score: 0.82, note: 'Grüße, "Kunde"' }),
        row(2, { segment: 'browser', score: 0.1 }),
        row(3, {}, 'remove'),
        row(4, { segment: 'x' }, 'upsert', 'bad/id'),
      ],
      ctx('run-1/target/0'),
    );

    expect(result.accepted.sort()).toEqual(['1_1', '2_2', '3_3']);
    expect(result.rejected).toEqual([{ entityId: '4_4', reason: expect.stringMatching(/"\+" or "\/"/), retryable: false }]);
    expect(target.profiles.get('crm-1')).toEqual({ segment: 'high_intent', score: '0.82', note: 'Grüße, "Kunde"' });
    expect(target.profiles.get('crm-3')).toEqual({ segment: TARGET_CLEAR_SENTINEL, score: TARGET_CLEAR_SENTINEL, note: TARGET_CLEAR_SENTINEL });

    const r = result.receipt;
    expect(r.clearSentinel).toBe(TARGET_CLEAR_SENTINEL);
    expect(r.files).toHaveLength(1);
    expect(r.files[0]).toMatchObject({ rows: 3, status: 'complete', polls: 2, batchSize: 3, consumedCount: 3, successfulUpdates: 3, failedUpdates: 0, profilesNotFound: 0 });
    expect(r.files[0]!.batchStatusUrl).toContain('/m2/acme/profile/batchStatus?batchId=');
    expect(r.totals).toMatchObject({ rows: 3, successfulUpdates: 3, clearedValues: 3 });
    // The first poll saw the batch still processing, the second saw it complete.
    expect(progress.filter((p) => p.stage === 'polled').map((p) => p.status)).toEqual(['incomplete', 'complete']);
    expect(target.counts).toMatchObject({ batchUpdates: 1, batchStatusPolls: 2, throttled: 0 });
  });

  it('splits a chunk into several files and polls each', async () => {
    const target = await server({ incompletePolls: 0 });
    const adapter = createTargetBulkAdapter({ baseUrl: target.url, client: 'acme', maxFileRows: 2, pollIntervalMs: 10 }, { limiter: new SlidingWindowLimiter(50, 60_000) });
    const rows = Array.from({ length: 5 }, (_, i) => row(i, { s: `v${i}` }));
    const result = await adapter.send(rows, ctx('run-2/target/0'));
    expect(result.receipt.files.map((f) => f.rows)).toEqual([2, 2, 1]);
    expect(target.batches.size).toBe(3);
    expect([...target.batches.values()].map((b) => b.idempotencyKey)).toEqual(['run-2/target/0/0', 'run-2/target/0/1', 'run-2/target/0/2']);
    expect(target.profiles.size).toBe(5);
    expect(result.receipt.totals.successfulUpdates).toBe(5);
  });

  it('maps HTTP 503 to DestinationThrottledError with Retry-After, and a retry of the chunk does not apply a file twice', async () => {
    const target = await server({ incompletePolls: 0 });
    let uploads = 0;
    const countingFetch: typeof fetch = (input, init) => {
      if (init?.method === 'POST' && ++uploads === 2) target.inject({ throttle: 1 });
      return fetch(input, init);
    };
    const limiter = new SlidingWindowLimiter(50, 60_000);
    const adapter = createTargetBulkAdapter({ baseUrl: target.url, client: 'acme', maxFileRows: 1, pollIntervalMs: 10 }, { fetch: countingFetch, limiter });
    const rows = [row(1, { s: 'a' }), row(2, { s: 'b' })];

    const err = await adapter.send(rows, ctx('run-3/target/0')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DestinationThrottledError);
    expect((err as DestinationThrottledError).status).toBe(503);
    expect((err as DestinationThrottledError).retryAfterMs).toBe(1000);
    expect(target.batches.size).toBe(1);

    const started = Date.now();
    const result = await adapter.send(rows, ctx('run-3/target/0'));
    // The limiter honoured Retry-After before calling again.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(result.accepted.sort()).toEqual(['1_1', '2_2']);
    expect(target.counts.duplicateBatches).toBe(1);
    expect(target.batches.size).toBe(2);
    expect(result.receipt.totals.successfulUpdates).toBe(2);
  });

  it('keeps under the server limit with its client-side limiter', async () => {
    const target = await server({ callsPerMinute: 4, windowMs: 1000, incompletePolls: 1 });
    const adapter = createTargetBulkAdapter(
      { baseUrl: target.url, client: 'acme', maxFileRows: 1, pollIntervalMs: 10 },
      { limiter: new SlidingWindowLimiter(4, 1000) },
    );
    const started = Date.now();
    const result = await adapter.send([row(1, { s: 'a' }), row(2, { s: 'b' }), row(3, { s: 'c' })], ctx('run-4/target/0'));
    // 3 uploads + 6 polls = 9 calls at 4 per second: at least two full windows.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    expect(target.counts.throttled).toBe(0);
    expect(result.receipt.files.every((f) => f.status === 'complete')).toBe(true);
  });

  it('polls through a 503 on batchStatus instead of failing the upload', async () => {
    const target = await server({ incompletePolls: 0 });
    const adapter = createTargetBulkAdapter({ baseUrl: target.url, client: 'acme', pollIntervalMs: 10 }, { limiter: new SlidingWindowLimiter(50, 60_000) });
    let calls = 0;
    const result = await createTargetBulkAdapter(adapter.config, {
      limiter: new SlidingWindowLimiter(50, 60_000),
      fetch: (input, init) => {
        if (++calls === 2) target.inject({ throttle: 1 });
        return fetch(input, init);
      },
    }).send([row(1, { s: 'a' })], ctx('run-5/target/0'));
    expect(result.receipt.files[0]).toMatchObject({ status: 'complete', polls: 2 });
    expect(target.counts.throttled).toBe(1);
    expect(target.batches.size).toBe(1);
  });

  it('rejects the rows of a stuck batch as retryable', async () => {
    const target = await server({ failures: { stuck: 1 } });
    const adapter = createTargetBulkAdapter({ baseUrl: target.url, client: 'acme', pollIntervalMs: 10 }, { limiter: new SlidingWindowLimiter(50, 60_000) });
    const result = await adapter.send([row(1, { s: 'a' })], ctx('run-6/target/0'));
    expect(result.accepted).toEqual([]);
    expect(result.rejected).toEqual([{ entityId: '1_1', reason: expect.stringMatching(/stuck/), retryable: true }]);
    expect(result.receipt.files[0]!.status).toBe('stuck');
    expect(target.profiles.size).toBe(0);
  });

  it('sends the bearer token from the named environment variable, and a refused token is not retryable', async () => {
    const target = await server({ token: 's3cret', incompletePolls: 0 });
    const config = { baseUrl: target.url, client: 'acme', tokenEnv: 'TARGET_TOKEN', pollIntervalMs: 10 };
    const ok = await createTargetBulkAdapter(config, { env: { TARGET_TOKEN: 's3cret' }, limiter: new SlidingWindowLimiter(50, 60_000) }).send([row(1, { s: 'a' })], ctx('run-7/a'));
    expect(ok.accepted).toEqual(['1_1']);
    const err = await createTargetBulkAdapter(config, { env: { TARGET_TOKEN: 'wrong' }, limiter: new SlidingWindowLimiter(50, 60_000) })
      .send([row(2, { s: 'a' })], ctx('run-7/b'))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DestinationRejectedError);
    expect((err as DestinationRejectedError).status).toBe(401);
  });

  it('stops polling at the timeout and reports the batch incomplete with its status URL', async () => {
    const target = await server({ incompletePolls: 1000 });
    const adapter = createTargetBulkAdapter({ baseUrl: target.url, client: 'acme', pollIntervalMs: 20, pollTimeoutMs: 100 }, { limiter: new SlidingWindowLimiter(50, 60_000) });
    const result = await adapter.send([row(1, { s: 'a' })], ctx('run-8/target/0'));
    expect(result.accepted).toEqual(['1_1']);
    expect(result.receipt.files[0]!.status).toBe('incomplete');
    expect(result.receipt.files[0]!.polls).toBeGreaterThanOrEqual(2);
  });
});
