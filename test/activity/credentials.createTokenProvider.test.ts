/**
 * Credential providers against the contract servers' token endpoints: the lifetimes are the ones the
 * servers give (short here, by the server's own option), never a product knob; tokens are refreshed
 * before they expire, a 401 triggers one fresh-token retry, and no token or secret reaches the logs.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGoogleCustomerMatchAdapter } from '../../activities/destinations/google-customer-match.ts';
import { createMetaCustomAudiencesAdapter } from '../../activities/destinations/meta-custom-audiences.ts';
import { createTargetBulkAdapter } from '../../activities/destinations/adobe-target-bulk.ts';
import { createTokenProvider, refreshSkewMs } from '../../activities/destinations/credentials.ts';
import { DestinationRejectedError, type DeliveryRow } from '../../activities/destinations/adapter.ts';
import { sha256Hex } from '../../activities/identity/normalize.ts';
import { createLogger, logger, setLogger } from '../../activities/observability/logger.ts';
import { startGoogleServer, type RunningGoogleServer } from '../../tools/contract-servers/google.ts';
import { startMetaServer } from '../../tools/contract-servers/meta.ts';
import { startTargetServer, type RunningTargetServer } from '../../tools/contract-servers/target.ts';

const tag = randomUUID().slice(0, 8).replace(/-/g, '');
const ENV = { id: `CF_GID_${tag}`, secret: `CF_GSECRET_${tag}`, refresh: `CF_GREFRESH_${tag}`, aid: `CF_AID_${tag}`, asecret: `CF_ASECRET_${tag}`, meta: `CF_META_${tag}` };
const SECRET = `s3cr3t-${tag}`;
const REFRESH = `1//refresh-${tag}`;
const TTL_SECONDS = 3; // given by the servers below

let google: RunningGoogleServer;
let target: RunningTargetServer;
const logLines: string[] = [];
let previousLogger: ReturnType<typeof logger>;

beforeAll(async () => {
  google = await startGoogleServer({ oauth: { clientId: 'client-g', clientSecret: SECRET, refreshToken: REFRESH, accessTokenTtlSeconds: TTL_SECONDS } });
  target = await startTargetServer({ ims: { clientId: 'client-a', clientSecret: SECRET, accessTokenTtlSeconds: TTL_SECONDS }, incompletePolls: 0 });
  Object.assign(process.env, { [ENV.id]: 'client-g', [ENV.secret]: SECRET, [ENV.refresh]: REFRESH, [ENV.aid]: 'client-a', [ENV.asecret]: SECRET });
  previousLogger = logger();
  setLogger(createLogger({ level: 'debug', destination: new Writable({ write: (chunk: Buffer, _e, cb) => (logLines.push(chunk.toString()), cb()) }) }));
});
afterAll(async () => {
  setLogger(previousLogger);
  await Promise.all([google.close(), target.close()]);
});

const row = (i: number): DeliveryRow => ({ entityId: `${i}_c`, op: 'upsert', payload: { segment: 'high' }, digest: sha256Hex(`d${i}`), identifiers: { emailAddress: sha256Hex(`c${i}-${tag}@example.com`), thirdPartyId: `C-${tag}-${i}`, EMAIL: sha256Hex(`c${i}-${tag}@example.com`) } });
const ctx = () => ({ idempotencyKey: randomUUID(), chunkIndex: 0, totalChunks: 1 });
const googleCreds = () => ({ type: 'google-oauth-refresh' as const, tokenUrl: google.tokenUrl, clientIdEnv: ENV.id, clientSecretEnv: ENV.secret, refreshTokenEnv: ENV.refresh });

describe('credential providers against the contract servers', () => {
  it('the refresh skew is a fifth of the lifetime, at most 60 s', () => {
    expect(refreshSkewMs(3_000)).toBe(600);
    expect(refreshSkewMs(3_599_000)).toBe(60_000);
  });

  it('Google: refresh-token flow, cached, refreshed before the server-given expiry, never a 401', async () => {
    const adapter = createGoogleCustomerMatchAdapter({ baseUrl: google.url, credentials: googleCreds(), operatingAccount: { accountType: 'GOOGLE_ADS', accountId: '1234567890' }, audienceId: `g-${tag}` });
    await adapter.send([row(1)], ctx());
    await adapter.send([row(2)], ctx());
    expect(google.tokensIssued()).toBe(1); // cached
    // Past the refresh point (expiry - skew) but before the expiry itself: the provider refreshes first.
    await new Promise((r) => setTimeout(r, TTL_SECONDS * 1000 - refreshSkewMs(TTL_SECONDS * 1000) + 200));
    await adapter.send([row(3)], ctx());
    expect(google.tokensIssued()).toBe(2);
    expect(google.counts.unauthorized).toBe(0);
    expect(google.membership(`g-${tag}`)).toBe(3);
  });

  it('Google: a revoked token answers 401 once; the adapter fetches a fresh one and retries', async () => {
    const adapter = createGoogleCustomerMatchAdapter({ baseUrl: google.url, credentials: googleCreds(), operatingAccount: { accountType: 'GOOGLE_ADS', accountId: '1234567890' }, audienceId: `g2-${tag}` });
    await adapter.send([row(1)], ctx());
    const issued = google.tokensIssued();
    const unauthorized = google.counts.unauthorized;
    google.revokeTokens();
    const r = await adapter.send([row(2)], ctx());
    expect(r.accepted).toEqual(['2_c']);
    expect(google.counts.unauthorized - unauthorized).toBe(1);
    expect(google.tokensIssued()).toBe(issued + 1);
  });

  it('Google: a wrong refresh token fails clearly (invalid_grant), naming variables, not values', async () => {
    process.env[`${ENV.refresh}_BAD`] = 'not-the-refresh-token';
    const adapter = createGoogleCustomerMatchAdapter({ baseUrl: google.url, credentials: { ...googleCreds(), refreshTokenEnv: `${ENV.refresh}_BAD` }, operatingAccount: { accountType: 'GOOGLE_ADS', accountId: '1234567890' }, audienceId: `g3-${tag}` });
    const err = await adapter.send([row(1)], ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DestinationRejectedError);
    expect((err as Error).message).toMatch(/invalid_grant/);
    expect((err as Error).message).not.toContain('not-the-refresh-token');
    expect((err as Error).message).not.toContain(SECRET);
  });

  it('Adobe IMS: client-credentials token for the Bulk Profile API, refreshed before expiry, 401 retried once', async () => {
    const adapter = createTargetBulkAdapter({ baseUrl: target.url, client: 'acme', credentials: { type: 'adobe-ims-client-credentials', tokenUrl: target.imsTokenUrl, clientIdEnv: ENV.aid, clientSecretEnv: ENV.asecret, scopes: ['openid', 'AdobeID', 'target_sdk'] } });
    await adapter.send([row(1)], ctx());
    expect(target.tokensIssued()).toBe(1);
    await new Promise((r) => setTimeout(r, TTL_SECONDS * 1000 - refreshSkewMs(TTL_SECONDS * 1000) + 200));
    await adapter.send([row(2)], ctx());
    expect(target.tokensIssued()).toBe(2);
    target.revokeTokens();
    await adapter.send([row(3)], ctx());
    expect(target.tokensIssued()).toBe(3);
    expect(target.profiles.get(`C-${tag}-3`)).toMatchObject({ segment: 'high' });
  });

  it('Meta: a long-lived token is checked with /debug_token; an expired one fails before any upload', async () => {
    const expired = await startMetaServer({ token: `meta-${tag}`, tokenExpiresAt: Math.floor(Date.now() / 1000) - 10 });
    try {
      process.env[ENV.meta] = `meta-${tag}`;
      const adapter = createMetaCustomAudiencesAdapter({ baseUrl: expired.url, credentials: { type: 'meta-long-lived', tokenEnv: ENV.meta }, audienceId: '4242' });
      const err = await adapter.send([row(1)], ctx()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DestinationRejectedError);
      expect((err as Error).message).toMatch(new RegExp(`${ENV.meta} is not valid`));
      expect(expired.counts.requests).toBe(0);
    } finally {
      await expired.close();
    }
    const valid = await startMetaServer({ token: `meta-${tag}`, tokenExpiresAt: Math.floor(Date.now() / 1000) + 3 * 86_400 });
    try {
      const adapter = createMetaCustomAudiencesAdapter({ baseUrl: valid.url, credentials: { type: 'meta-long-lived', tokenEnv: ENV.meta }, audienceId: '4243' });
      await adapter.send([row(1)], ctx());
      expect(valid.membership('4243')).toBe(1);
    } finally {
      await valid.close();
    }
  });

  it('no access token, secret or refresh token ever reaches the logs', async () => {
    const provider = createTokenProvider(googleCreds());
    const token = await provider.getToken();
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join('')).toContain('access token refreshed');
    for (const secret of [token, SECRET, REFRESH, `meta-${tag}`]) expect(logLines.join('')).not.toContain(secret);
  });
});
