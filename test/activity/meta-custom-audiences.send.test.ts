import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { buildMetaUsersRequest, createMetaCustomAudiencesAdapter, metaSessionId } from '../../activities/destinations/meta-custom-audiences.ts';
import { DestinationRejectedError, DestinationThrottledError, type DeliveryRow } from '../../activities/destinations/adapter.ts';
import { desiredRow, executeSync, idempotencyKey, planSync } from '../../activities/destinations/sync-engine.ts';
import { sha256Hex } from '../../activities/identity/normalize.ts';
import { startMetaServer, type RunningMetaServer } from '../../tools/contract-servers/meta.ts';

const tag = randomUUID().slice(0, 8);
const TOKEN_ENV = `H4A_META_TOKEN_${tag}`;
let server: RunningMetaServer;

const config = (audienceId: string, over: Record<string, unknown> = {}) => ({ baseUrl: server.url, tokenEnv: TOKEN_ENV, audienceId, defaultRetryAfterMs: 5, ...over });
const ctx = (key = randomUUID()) => ({ idempotencyKey: key, chunkIndex: 0, totalChunks: 1 });
const email = (i: number) => sha256Hex(`user${i}-${tag}@example.com`);
const row = (i: number, op: 'upsert' | 'remove' = 'upsert'): DeliveryRow => ({
  entityId: `${i}_2`,
  op,
  payload: {},
  digest: sha256Hex(`d${i}`),
  identifiers: { EMAIL: email(i), PHONE: sha256Hex(`1415555${String(i).padStart(4, '0')}`), COUNTRY: sha256Hex('us') },
});
const now = new Date();
const later = new Date(now.getTime() + 86_400_000).toISOString();
const wanted = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => {
    const r = row(from + i);
    return desiredRow({ entityId: r.entityId, payload: r.payload, identifiers: r.identifiers, expiresAt: later, modelVersion: '1', consented: true, eligible: true });
  });

beforeAll(async () => {
  server = await startMetaServer();
  process.env[TOKEN_ENV] = server.token;
});
afterAll(async () => {
  await server.close();
});

async function call(method: 'POST' | 'DELETE', audience: string, body: unknown, token: string | null = server.token) {
  const res = await fetch(`${server.url}/${audience}/users`, { method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { error?: { message: string; type: string; code: number; fbtrace_id: string } } };
}
const session = { session_id: 42, batch_seq: 1, last_batch_flag: true, estimated_num_total: 1 };

describe('buildMetaUsersRequest', () => {
  it('uses the keys present, in schema order, "" for a missing value, and one session per chunk key', () => {
    const a = { ...row(1), identifiers: { PHONE: 'b'.repeat(64), EMAIL: 'a'.repeat(64) } };
    const b = { ...row(2), identifiers: { FN: 'c'.repeat(64), EMAIL: 'd'.repeat(64) } };
    const none = { ...row(3), identifiers: {} };
    const key = idempotencyKey('run', 'meta', 'upsert', 0);
    const { body, sent, rejected } = buildMetaUsersRequest([a, b, none], key);
    expect(body?.payload).toEqual({ schema: ['EMAIL', 'PHONE', 'FN'], data: [['a'.repeat(64), 'b'.repeat(64), ''], ['d'.repeat(64), '', 'c'.repeat(64)]] });
    expect(body?.session).toEqual({ session_id: metaSessionId(key), batch_seq: 1, last_batch_flag: true, estimated_num_total: 2 });
    expect(Number.isSafeInteger(metaSessionId(key)) && metaSessionId(key) > 0).toBe(true);
    expect(metaSessionId(key)).toBe(metaSessionId(idempotencyKey('run', 'meta', 'upsert', 0)));
    expect(metaSessionId(key)).not.toBe(metaSessionId(idempotencyKey('run', 'meta', 'upsert', 1)));
    expect(sent).toEqual(['1_2', '2_2']);
    expect(rejected).toEqual([{ entityId: '3_2', reason: expect.stringMatching(/no identifier/), retryable: false }]);
  });
});

describe('meta-custom-audiences adapter against the contract server', () => {
  it('adds with POST and removes with DELETE', async () => {
    const adapter = createMetaCustomAudiencesAdapter(config('9001'));
    const r = await adapter.send([row(1), row(2), row(3)], ctx());
    expect(r.accepted).toEqual(['1_2', '2_2', '3_2']);
    expect(r.receipt).toMatchObject({ numReceived: 3, numInvalidEntries: 0, operation: 'upsert' });
    expect(server.membership('9001')).toBe(3);
    await adapter.send([row(2, 'remove')], ctx());
    expect(server.membership('9001')).toBe(2);
    expect(server.hasEmail('9001', email(2))).toBe(false);
    expect(server.received().filter((d) => d.audienceId === '9001').map((d) => d.method)).toEqual(['POST', 'DELETE']);
  });

  it('a resent chunk (same session and batch) is applied once', async () => {
    const adapter = createMetaCustomAudiencesAdapter(config('9002'));
    const key = randomUUID();
    const before = { ...server.counts };
    await adapter.send([row(1)], ctx(key));
    await adapter.send([row(1)], ctx(key));
    expect(server.counts.accepted - before.accepted).toBe(1);
    expect(server.counts.duplicates - before.duplicates).toBe(1);
  });

  it('the server counts unhashed values as invalid entries and refuses bad rows and oversize bodies in Graph error shape', async () => {
    const plain = `plain-${tag}@example.com`;
    const unhashed = await call('POST', '9003', { payload: { schema: ['EMAIL'], data: [[plain]] }, session });
    expect(unhashed.status).toBe(200);
    expect(unhashed.body).toMatchObject({ num_received: 1, num_invalid_entries: 1 });
    expect(JSON.stringify(unhashed.body)).not.toContain(plain);
    const ragged = await call('POST', '9003', { payload: { schema: ['EMAIL', 'PHONE'], data: [[email(1)]] }, session: { ...session, batch_seq: 2 } });
    expect(ragged.status).toBe(400);
    expect(ragged.body.error).toMatchObject({ type: 'OAuthException', code: 100, fbtrace_id: expect.any(String) });
    const many = Array.from({ length: 10_001 }, (_, i) => [email(i)]);
    const tooMany = await call('POST', '9003', { payload: { schema: ['EMAIL'], data: many }, session: { ...session, batch_seq: 3 } });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error).toMatchObject({ code: 100 });
    expect(server.membership('9003')).toBe(0);
  });

  it('bad or missing tokens are refused (401 code 190; 400 code 2500) and surface as DestinationRejectedError', async () => {
    const wrong = await call('POST', '9004', { payload: { schema: ['EMAIL'], data: [[email(1)]] }, session }, 'nope');
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toMatchObject({ type: 'OAuthException', code: 190 });
    const missing = await call('POST', '9004', {}, null);
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: 2500 });
    process.env[`${TOKEN_ENV}_BAD`] = 'nope';
    const adapter = createMetaCustomAudiencesAdapter(config('9004', { tokenEnv: `${TOKEN_ENV}_BAD` }));
    const err = await adapter.send([row(1)], ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DestinationRejectedError);
    expect(err).toMatchObject({ status: 401 });
  });

  it('every documented Graph throttle answer (17, 613, 4, 80003) becomes DestinationThrottledError', async () => {
    const answers = (JSON.parse(readFileSync(new URL('../fixtures/vendors/meta/custom-audience-users.json', import.meta.url), 'utf8')) as { throttleAnswers: { httpStatus: number; body: unknown }[] }).throttleAnswers;
    const adapter = createMetaCustomAudiencesAdapter(config('9006'));
    for (const a of answers) {
      server.answerNextWith(a.httpStatus, a.body);
      await expect(adapter.send([row(1)], ctx())).rejects.toBeInstanceOf(DestinationThrottledError);
    }
  });

  it('429/503 and the ad-account rate limit (code 80003) become DestinationThrottledError', async () => {
    const adapter = createMetaCustomAudiencesAdapter(config('9005'));
    server.failNext(1, 503, 3);
    await expect(adapter.send([row(1)], ctx())).rejects.toMatchObject({ name: 'DestinationThrottled', status: 503, retryAfterMs: 3000 });
    const limited = await startMetaServer({ rateLimit: { requests: 1 } });
    try {
      process.env[`${TOKEN_ENV}_L`] = limited.token;
      const l = createMetaCustomAudiencesAdapter({ baseUrl: limited.url, tokenEnv: `${TOKEN_ENV}_L`, audienceId: '1', defaultRetryAfterMs: 11 });
      await l.send([row(1)], ctx());
      const err = await l.send([row(2)], ctx()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DestinationThrottledError);
      expect(err).toMatchObject({ status: 400, retryAfterMs: 11 });
    } finally {
      await limited.close();
    }
  });
});

describe('meta-custom-audiences through executeSync', () => {
  it('retries 429 in process and delivers each chunk once', async () => {
    const adapter = createMetaCustomAudiencesAdapter(config('9100'));
    const before = { ...server.counts };
    server.failNext(1, 429, 0);
    const r = await executeSync({ runId: `run-${tag}-m429`, destination: `meta-${tag}-429`, adapter, plan: planSync(wanted(3), [], now), chunkRows: 2, sleep: async () => {} });
    expect(r).toMatchObject({ totalChunks: 2, accepted: 3, throttled: 1 });
    expect(server.counts.accepted - before.accepted).toBe(2);
    expect(server.membership('9100')).toBe(3);
  });

  it('a 400 is non-retryable', async () => {
    // A row longer than the schema is refused by Meta with code 100 (a structural error).
    const unhash: typeof fetch = (url, init) => {
      const body = JSON.parse(String(init?.body)) as { payload: { data: string[][] } };
      body.payload.data = body.payload.data.map((r) => [...r, 'extra']);
      return fetch(url, { ...init, body: JSON.stringify(body) });
    };
    const adapter = createMetaCustomAudiencesAdapter(config('9101'), { fetch: unhash });
    const err = await executeSync({ runId: `run-${tag}-m400`, destination: `meta-${tag}-400`, adapter, plan: planSync(wanted(1), [], now) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'DestinationRejected', nonRetryable: true });
  });

  it('chunks oversize plans at 10,000 records', async () => {
    const adapter = createMetaCustomAudiencesAdapter(config('9102'));
    const before = server.received().length;
    const r = await executeSync({ runId: `run-${tag}-mbig`, destination: `meta-${tag}-big`, adapter, plan: planSync(wanted(10_050, 200_000), [], now) });
    expect(r).toMatchObject({ totalChunks: 2, accepted: 10_050 });
    expect(server.received().slice(before).map((d) => d.records)).toEqual([10_000, 50]);
    expect(server.membership('9102')).toBe(10_050);
  });
});
