/**
 * The Google Customer Match adapter's size read-back (`audienceSize`, used by `scoreflow verify`)
 * against the contract server's googleAds:search: the query it sends, the headers (bearer token from
 * the same provider as ingest, developer-token when configured, login-customer-id), an exact size, a
 * size range, a size not determined yet, a list the account does not have, and refusals — with no
 * token or identifier in any error.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGoogleCustomerMatchAdapter, googleReportedSize, googleUserListSizeQuery } from '../../activities/destinations/google-customer-match.ts';
import { DestinationRejectedError, type DeliveryRow } from '../../activities/destinations/adapter.ts';
import { sha256Hex } from '../../activities/identity/normalize.ts';
import { startGoogleServer, type RunningGoogleServer } from '../../tools/contract-servers/google.ts';

const tag = randomUUID().slice(0, 8).replace(/-/g, '');
const TOKEN_ENV = `GV_GOOGLE_TOKEN_${tag}`;
const DEV_ENV = `GV_GOOGLE_DEV_${tag}`;
const DEV_TOKEN = 'ABCDEFGHIJKLMNOPQRSTUV';
let server: RunningGoogleServer;

const config = (audienceId: string, adsApi: Record<string, unknown> = {}, over: Record<string, unknown> = {}) => ({
  baseUrl: server.url,
  tokenEnv: TOKEN_ENV,
  operatingAccount: { accountType: 'GOOGLE_ADS' as const, accountId: '1234567890' },
  audienceId,
  defaultRetryAfterMs: 5,
  adsApi: { baseUrl: server.adsUrl, apiVersion: 'v26', developerTokenEnv: DEV_ENV, ...adsApi },
  ...over,
});
const row = (i: number): DeliveryRow => ({ entityId: `${i}_1`, op: 'upsert', payload: {}, digest: sha256Hex(`d${i}`), identifiers: { emailAddress: sha256Hex(`user${i}-${tag}@example.com`) } });
const ctx = () => ({ idempotencyKey: randomUUID(), chunkIndex: 0, totalChunks: 1 });

/** fetch that records what the adapter sent. */
function recordingFetch() {
  const calls: { url: string; headers: Record<string, string>; body: string }[] = [];
  const f: typeof fetch = async (input, init) => {
    calls.push({ url: String(input), headers: { ...(init?.headers as Record<string, string>) }, body: String(init?.body ?? '') });
    return fetch(input, init);
  };
  return { calls, fetch: f };
}

beforeAll(async () => {
  server = await startGoogleServer();
  process.env[TOKEN_ENV] = server.token;
  process.env[DEV_ENV] = DEV_TOKEN;
});
afterAll(async () => {
  await server.close();
});

describe('google-customer-match audienceSize (Google Ads API user list size)', () => {
  it('reads the size of the list it delivered to: the documented query, bearer and developer-token headers, an exact count', async () => {
    const rec = recordingFetch();
    const adapter = createGoogleCustomerMatchAdapter(config('7100001'), { fetch: rec.fetch });
    await adapter.send([row(1), row(2), row(3)], ctx());
    const size = await adapter.audienceSize!();
    expect(size).toEqual({ lower: 3, upper: 3, minMatchRate: 0.01, basis: 'size_for_display 3; size_for_search 3' });
    const call = rec.calls.at(-1)!;
    expect(call.url).toBe(`${server.adsUrl}/v26/customers/1234567890/googleAds:search`);
    expect(JSON.parse(call.body)).toEqual({
      query: 'SELECT user_list.id, user_list.size_for_search, user_list.size_for_display, user_list.size_range_for_search, user_list.size_range_for_display FROM user_list WHERE user_list.id = 7100001',
    });
    expect(call.headers).toMatchObject({ authorization: `Bearer ${server.token}`, 'developer-token': DEV_TOKEN });
    expect(call.headers['login-customer-id']).toBeUndefined();
  });

  it('sends login-customer-id (explicit, or the GOOGLE_ADS login account) and honours customerId', async () => {
    const rec = recordingFetch();
    const viaLogin = createGoogleCustomerMatchAdapter(config('7100001', {}, { loginAccount: { accountType: 'GOOGLE_ADS', accountId: '9876543210' } }), { fetch: rec.fetch });
    await viaLogin.audienceSize!();
    expect(rec.calls.at(-1)!.headers['login-customer-id']).toBe('9876543210');
    const explicit = createGoogleCustomerMatchAdapter(config('7100001', { customerId: '5550001111', loginCustomerId: '1112223333' }), { fetch: rec.fetch });
    await explicit.audienceSize!();
    expect(rec.calls.at(-1)!.url).toContain('/customers/5550001111/googleAds:search');
    expect(rec.calls.at(-1)!.headers['login-customer-id']).toBe('1112223333');
  });

  it('a size range only: the UserListSizeRange bounds; no size yet: undetermined', async () => {
    const adapter = createGoogleCustomerMatchAdapter(config('7100002'));
    await adapter.send([row(4), row(5)], ctx());
    server.setSizeReporting('7100002', 'range');
    expect(await adapter.audienceSize!()).toMatchObject({ lower: 0, upper: 500, basis: 'size_for_display range LESS_THAN_FIVE_HUNDRED; size_for_search range LESS_THAN_FIVE_HUNDRED' });
    server.setSizeReporting('7100002', 'undetermined');
    expect(await adapter.audienceSize!()).toMatchObject({ undetermined: true });
  });

  it('without the developer-token header: refused before the sunset (the error names the reason, not the token), answered after it', async () => {
    const adapter = createGoogleCustomerMatchAdapter(config('7100001', { developerTokenEnv: undefined }));
    const err = await adapter.audienceSize!().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DestinationRejectedError);
    expect((err as DestinationRejectedError).status).toBe(400);
    expect((err as Error).message).toMatch(/INVALID_ARGUMENT requestError DEVELOPER_TOKEN_PARAMETER_MISSING/);
    expect((err as Error).message).not.toContain(server.token);

    const sunset = await startGoogleServer({ developerToken: 'ignored', token: server.token });
    try {
      const other = createGoogleCustomerMatchAdapter({ ...config('7100009', { developerTokenEnv: undefined, baseUrl: sunset.adsUrl }), baseUrl: sunset.url });
      await other.send([row(9)], ctx());
      expect(await other.audienceSize!()).toMatchObject({ lower: 1, upper: 1 });
    } finally {
      await sunset.close();
    }
  });

  it('a developer token variable that is empty, a list the account does not have, a bad token: DestinationRejectedError without secrets', async () => {
    const EMPTY = `GV_EMPTY_${tag}`;
    delete process.env[EMPTY];
    await expect(createGoogleCustomerMatchAdapter(config('7100001', { developerTokenEnv: EMPTY })).audienceSize!()).rejects.toThrow(new RegExp(`${EMPTY} holds no Google Ads developer token`));
    const missing = await createGoogleCustomerMatchAdapter(config('7199999')).audienceSize!().catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(DestinationRejectedError);
    expect((missing as Error).message).toMatch(/returned no user list/);
    expect((missing as Error).message).not.toMatch(/7199999|1234567890/);
    const BAD = `GV_BAD_${tag}`;
    process.env[BAD] = 'not-the-token';
    const bad = await createGoogleCustomerMatchAdapter(config('7100001', {}, { tokenEnv: BAD })).audienceSize!().catch((e: unknown) => e);
    expect((bad as DestinationRejectedError).status).toBe(401);
    expect((bad as Error).message).not.toContain('not-the-token');
  });

  it('uses the same OAuth refresh-token provider as ingest', async () => {
    const oauth = { clientId: 'cid', clientSecret: 'secret', refreshToken: 'refresh' };
    const s = await startGoogleServer({ oauth });
    const envs = { id: `GV_CID_${tag}`, secret: `GV_CSECRET_${tag}`, refresh: `GV_REFRESH_${tag}` };
    process.env[envs.id] = oauth.clientId;
    process.env[envs.secret] = oauth.clientSecret;
    process.env[envs.refresh] = oauth.refreshToken;
    try {
      const adapter = createGoogleCustomerMatchAdapter({
        baseUrl: s.url,
        credentials: { type: 'google-oauth-refresh', tokenUrl: s.tokenUrl, clientIdEnv: envs.id, clientSecretEnv: envs.secret, refreshTokenEnv: envs.refresh },
        operatingAccount: { accountType: 'GOOGLE_ADS', accountId: '1234567890' },
        audienceId: '7100003',
        adsApi: { baseUrl: s.adsUrl, developerTokenEnv: DEV_ENV },
      });
      await adapter.send([row(6)], ctx());
      expect(await adapter.audienceSize!()).toMatchObject({ lower: 1, upper: 1 });
      expect(s.tokensIssued()).toBe(1);
      s.revokeTokens();
      expect(await adapter.audienceSize!()).toMatchObject({ lower: 1, upper: 1 });
      expect(s.tokensIssued()).toBe(2);
    } finally {
      await s.close();
    }
  });

  it('without adsApi there is no read-back (verify says not_supported)', () => {
    const { adsApi: _none, ...plain } = config('7100001');
    expect(createGoogleCustomerMatchAdapter(plain).audienceSize).toBeUndefined();
  });
});

describe('googleReportedSize / googleUserListSizeQuery (pure)', () => {
  it('an exact count wins over its range; the list is the larger network; ranges by their documented bounds', () => {
    expect(googleReportedSize({ sizeForDisplay: 1200, sizeRangeForDisplay: 'ONE_THOUSAND_TO_TEN_THOUSAND', sizeForSearch: 800 })).toEqual({ lower: 1200, upper: 1200, basis: 'size_for_display 1200; size_for_search 800' });
    expect(googleReportedSize({ sizeRangeForDisplay: 'LESS_THAN_ONE_THOUSAND', sizeRangeForSearch: 'LESS_THAN_FIVE_HUNDRED' })).toMatchObject({ lower: 500, upper: 1000 });
    expect(googleReportedSize({ sizeRangeForDisplay: 'OVER_FIFTY_MILLION' })).toMatchObject({ lower: 50_000_000, upper: Number.MAX_SAFE_INTEGER });
    expect(googleReportedSize({ sizeForDisplay: 0 })).toMatchObject({ lower: 0, upper: 0 });
  });

  it('null sizes and UNSPECIFIED / UNKNOWN ranges are undetermined, not zero', () => {
    expect(googleReportedSize({})).toMatchObject({ undetermined: true });
    expect(googleReportedSize({ sizeForDisplay: null, sizeForSearch: null, sizeRangeForDisplay: 'UNSPECIFIED', sizeRangeForSearch: 'UNKNOWN' })).toMatchObject({ undetermined: true });
  });

  it('the query names one numeric list id and nothing else', () => {
    expect(googleUserListSizeQuery('42')).toBe('SELECT user_list.id, user_list.size_for_search, user_list.size_for_display, user_list.size_range_for_search, user_list.size_range_for_display FROM user_list WHERE user_list.id = 42');
    expect(() => googleUserListSizeQuery("42 OR 1=1")).toThrow(/numeric user list id/);
  });
});
