import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { createGoogleCustomerMatchAdapter } from '../../activities/destinations/google-customer-match.ts';
import { DestinationRejectedError, DestinationThrottledError, type DeliveryRow } from '../../activities/destinations/adapter.ts';
import { executeSync, planSync, desiredRow } from '../../activities/destinations/sync-engine.ts';
import { sha256Hex } from '../../activities/identity/normalize.ts';
import { startGoogleServer, type RunningGoogleServer } from '../../tools/contract-servers/google.ts';

const tag = randomUUID().slice(0, 8);
const TOKEN_ENV = `H4A_GOOGLE_TOKEN_${tag.replace(/-/g, '')}`;
let server: RunningGoogleServer;

const config = (audienceId: string, over: Record<string, unknown> = {}) => ({
  baseUrl: server.url,
  tokenEnv: TOKEN_ENV,
  operatingAccount: { accountType: 'GOOGLE_ADS' as const, accountId: '1234567890' },
  audienceId,
  defaultRetryAfterMs: 5,
  ...over,
});
const ctx = (key = randomUUID()) => ({ idempotencyKey: key, chunkIndex: 0, totalChunks: 1 });
const row = (i: number, op: 'upsert' | 'remove' = 'upsert'): DeliveryRow => ({
  entityId: `${i}_1`,
  op,
  payload: { segment: 'high' },
  digest: sha256Hex(`d${i}`),
  identifiers: { emailAddress: sha256Hex(`user${i}-${tag}@example.com`), phoneNumber: sha256Hex(`+1415555${String(i).padStart(4, '0')}`) },
});
const now = new Date();
const later = new Date(now.getTime() + 86_400_000).toISOString();
const wanted = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => {
    const r = row(from + i);
    return desiredRow({ entityId: r.entityId, payload: r.payload, identifiers: r.identifiers, expiresAt: later, modelVersion: '1', consented: true, eligible: true });
  });

beforeAll(async () => {
  server = await startGoogleServer();
  process.env[TOKEN_ENV] = server.token;
});
afterAll(async () => {
  await server.close();
});

async function post(path: string, body: unknown, token = server.token) {
  const res = await fetch(`${server.url}/${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { error?: { code: number; status: string; message: string; details: { fieldViolations?: { field: string }[] }[] } } };
}
const destinations = [{ operatingAccount: { accountType: 'GOOGLE_ADS', accountId: '1' }, productDestinationId: 'raw' }];
const consent = { adUserData: 'CONSENT_GRANTED', adPersonalization: 'CONSENT_GRANTED' };

describe('google-customer-match adapter against the contract server', () => {
  it('adds members with consent and removes them; rows without identifiers are refused locally', async () => {
    const adapter = createGoogleCustomerMatchAdapter(config('100'));
    const bare: DeliveryRow = { entityId: '9_9', op: 'upsert', payload: {}, digest: 'x', identifiers: {} };
    const address: DeliveryRow = { ...row(3), identifiers: { givenName: sha256Hex('jane'), familyName: sha256Hex('doe'), regionCode: 'US', postalCode: '94107' } };
    const r = await adapter.send([row(1), row(2), address, bare], ctx());
    expect(r.accepted).toEqual(['1_1', '2_1', '3_1']);
    expect(r.rejected).toEqual([{ entityId: '9_9', reason: expect.stringMatching(/no identifier/), retryable: false }]);
    expect(r.receipt).toMatchObject({ members: 3, operation: 'upsert', requestId: expect.any(String) });
    expect(server.membership('100')).toBe(3);
    expect(server.hasEmail('100', row(1).identifiers.emailAddress!)).toBe(true);

    await adapter.send([row(1, 'remove')], ctx());
    expect(server.membership('100')).toBe(2);
    expect(server.hasEmail('100', row(1).identifiers.emailAddress!)).toBe(false);
  });

  it('a resent chunk changes no membership: Google has no idempotency header, ingest is a set', async () => {
    const adapter = createGoogleCustomerMatchAdapter(config('101'));
    const before = { ...server.counts };
    const key = randomUUID();
    await adapter.send([row(1)], ctx(key));
    await adapter.send([row(1)], ctx(key));
    // Both requests are applied (the server, like Google, does not dedupe), the second changes nothing.
    expect(server.counts.accepted - before.accepted).toBe(2);
    expect(server.counts.duplicates - before.duplicates).toBe(1);
    expect(server.membership('101')).toBe(1);
  });

  it('the server refuses unhashed identifiers and adds without consent, in Google error shape, without echoing values', async () => {
    const email = `plain-${tag}@example.com`;
    const tos = { customerMatchTermsOfServiceStatus: 'ACCEPTED' };
    const unhashed = await post('audienceMembers:ingest', { destinations, encoding: 'HEX', termsOfService: tos, audienceMembers: [{ userData: { userIdentifiers: [{ emailAddress: email }] }, consent }] });
    expect(unhashed.status).toBe(400);
    expect(unhashed.body.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    expect(unhashed.body.error?.details[1]?.fieldViolations?.[0]).toMatchObject({ field: 'audience_members.audience_members[0].user_data.user_identifiers', reason: 'INVALID_HEX_ENCODING' });
    expect(JSON.stringify(unhashed.body)).not.toContain(email);

    const member = { userData: { userIdentifiers: [{ emailAddress: sha256Hex(email) }] } };
    const noConsent = await post('audienceMembers:ingest', { destinations, encoding: 'HEX', termsOfService: tos, audienceMembers: [member] });
    expect(noConsent.status).toBe(400);
    expect(noConsent.body.error?.details[1]?.fieldViolations?.[0]).toMatchObject({ field: 'audience_members.audience_members[0].consent', reason: 'INVALID_AUDIENCE_MEMBER' });
    // Removes need no consent.
    expect((await post('audienceMembers:remove', { destinations, encoding: 'HEX', audienceMembers: [member] })).status).toBe(200);
    // Over 10,000 members: 400 TOO_MANY_AUDIENCE_MEMBERS.
    const many = Array.from({ length: 10_001 }, () => ({ ...member, consent }));
    const tooMany = await post('audienceMembers:ingest', { destinations, encoding: 'HEX', termsOfService: tos, audienceMembers: many });
    expect(tooMany.status).toBe(400);
    expect(JSON.stringify(tooMany.body)).toContain('TOO_MANY_AUDIENCE_MEMBERS');
  });

  it('bad credentials are refused (401 UNAUTHENTICATED) and surface as DestinationRejectedError', async () => {
    expect((await post('audienceMembers:ingest', {}, 'wrong')).status).toBe(401);
    const res = await fetch(`${server.url}/audienceMembers:ingest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(401);
    process.env[`${TOKEN_ENV}_BAD`] = 'wrong-token';
    const bad = createGoogleCustomerMatchAdapter(config('102', { tokenEnv: `${TOKEN_ENV}_BAD` }));
    await expect(bad.send([row(1)], ctx())).rejects.toMatchObject({ name: 'DestinationRejected', status: 401 });
    const unset = createGoogleCustomerMatchAdapter(config('102', { tokenEnv: `${TOKEN_ENV}_UNSET` }));
    await expect(unset.send([row(1)], ctx())).rejects.toBeInstanceOf(DestinationRejectedError);
  });

  it('429 becomes DestinationThrottledError with Retry-After', async () => {
    const adapter = createGoogleCustomerMatchAdapter(config('103'));
    server.failNext(1, 429, 7);
    const err = await adapter.send([row(1)], ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DestinationThrottledError);
    expect(err).toMatchObject({ status: 429, retryAfterMs: 7000 });
  });

  it('the configured rate limit answers 429 RESOURCE_EXHAUSTED with Retry-After', async () => {
    const limited = await startGoogleServer({ rateLimit: { requests: 2, windowMs: 60_000 } });
    try {
      const call = () => fetch(`${limited.url}/audienceMembers:remove`, { method: 'POST', headers: { authorization: `Bearer ${limited.token}`, 'content-type': 'application/json' }, body: '{}' });
      expect((await call()).status).toBe(400);
      expect((await call()).status).toBe(400);
      const third = await call();
      expect(third.status).toBe(429);
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await third.json()) as { error: { status: string } }).error.status).toBe('RESOURCE_EXHAUSTED');
    } finally {
      await limited.close();
    }
  });
});

describe('google-customer-match through executeSync', () => {
  it('waits out 429s in process (same idempotency key) and delivers every chunk once', async () => {
    const adapter = createGoogleCustomerMatchAdapter(config('200'));
    const plan = planSync(wanted(5), [], now);
    const before = { ...server.counts };
    server.failNext(2, 429, 0);
    const slept: number[] = [];
    const r = await executeSync({ runId: `run-${tag}-429`, destination: `google-${tag}-429`, adapter, plan, chunkRows: 2, sleep: async (ms) => void slept.push(ms) });
    expect(r).toMatchObject({ totalChunks: 3, sentChunks: 3, accepted: 5, adds: 5, throttled: 2 });
    expect(slept).toEqual([0, 0]);
    expect(server.counts.accepted - before.accepted).toBe(3);
    expect(server.membership('200')).toBe(5);
  });

  it('hands a persistent throttle to Temporal with nextRetryDelay', async () => {
    const adapter = createGoogleCustomerMatchAdapter(config('201'));
    server.failNext(2, 503, 2); // the first try and one in-process retry
    const err = await executeSync({ runId: `run-${tag}-503`, destination: `google-${tag}-503`, adapter, plan: planSync(wanted(1), [], now), throttle: { maxRetries: 1 }, sleep: async () => {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'DestinationThrottled', nonRetryable: false, nextRetryDelay: 2000 });
  });

  it('a 400 from Google is non-retryable and commits nothing', async () => {
    // A fetch that loses the consent on the way makes the server refuse the add.
    const stripConsent: typeof fetch = (url, init) => {
      const body = JSON.parse(String(init?.body)) as { audienceMembers: { consent?: unknown }[] };
      for (const m of body.audienceMembers) delete m.consent;
      return fetch(url, { ...init, body: JSON.stringify(body) });
    };
    const adapter = createGoogleCustomerMatchAdapter(config('202'), { fetch: stripConsent });
    const destination = `google-${tag}-400`;
    const err = await executeSync({ runId: `run-${tag}-400`, destination, adapter, plan: planSync(wanted(2), [], now) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'DestinationRejected', nonRetryable: true });
    expect((err as Error).message).toMatch(/HTTP 400/);
    const { getPool } = await import('../../activities/store/db.ts');
    const { rows } = await getPool().query('SELECT 1 FROM destination_sync_state WHERE destination = $1', [destination]);
    expect(rows).toHaveLength(0);
  });

  it('splits oversize plans into requests of at most 10,000 members', async () => {
    const adapter = createGoogleCustomerMatchAdapter(config('203'));
    const plan = planSync(wanted(20_001, 100_000), [], now);
    const before = server.received().length;
    const r = await executeSync({ runId: `run-${tag}-big`, destination: `google-${tag}-big`, adapter, plan, chunkRows: 50_000 });
    expect(r).toMatchObject({ totalChunks: 3, accepted: 20_001 });
    expect(server.received().slice(before).map((d) => d.members)).toEqual([10_000, 10_000, 1]);
    expect(server.membership('203')).toBe(20_001);
  });
});
