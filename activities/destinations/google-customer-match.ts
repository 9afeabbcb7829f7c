/**
 * Google Customer Match through the Data Manager API (docs/destinations/google-customer-match.md). Thin: maps resolved
 * identifiers to audience members, validates them against contracts/google-customer-match.ts, sends.
 *
 * - upsert chunk → POST {baseUrl}/audienceMembers:ingest, each member with consent adUserData and
 *   adPersonalization CONSENT_GRANTED (the sync engine only upserts consented entities);
 * - remove chunk → POST {baseUrl}/audienceMembers:remove, no consent;
 * - identifiers: emailAddress, phoneNumber (SHA-256 hex), address {givenName, familyName hashed;
 *   regionCode, postalCode in clear}, as activities/identity/resolve.ts produces them; encoding HEX;
 * - at most 10,000 members per request and 10 identifiers per member;
 * - the OAuth access token is read from the environment variable the config names (never stored);
 * - 429 and 503 → DestinationThrottledError honouring Retry-After; other 4xx → DestinationRejectedError;
 *   5xx and network failures → plain Error (retryable).
 * - Each request carries `Idempotency-Key: <chunk key>` for tracing only: the Data Manager API
 *   documents no such header and nothing relies on it. Idempotency is ours: membership is a set (a
 *   resent chunk changes nothing), and the sync engine's chunk ledger never resends a committed chunk.
 * Google answers per request, not per member, so an accepted request accepts every member sent.
 *
 * Read-back (`scoreflow verify`, docs/destinations/google-customer-match.md#reading-back-verify): the
 * Data Manager API reads nothing back, so with `adsApi` configured `audienceSize()` asks the Google Ads
 * API for the list's size — POST {adsApi.baseUrl}/{adsApi.apiVersion}/customers/{customerId}/googleAds:search,
 * `SELECT user_list.id, user_list.size_for_search, user_list.size_for_display, user_list.size_range_for_search,
 * user_list.size_range_for_display FROM user_list WHERE user_list.id = <audienceId>` — with the same
 * OAuth access token (it needs the adwords scope as well as datamanager), the developer token named
 * by `adsApi.developerTokenEnv` if any (optional since Google's developer-token sunset), and
 * `login-customer-id` when set. Sizes are Google's estimates of the matched, reachable members; null
 * until determined. Neither the token nor any identifier is logged or put in an error.
 */
import { z } from 'zod';
import {
  GOOGLE_MAX_IDENTIFIERS_PER_MEMBER,
  GOOGLE_MAX_MEMBERS_PER_REQUEST,
  GOOGLE_USER_LIST_SIZE_FIELDS,
  GOOGLE_USER_LIST_SIZE_RANGE_BOUNDS,
  GoogleAdsSearchResponse,
  GoogleAudienceMember,
  GoogleErrorBody,
  GoogleIngestRequest,
  GoogleIngestResponse,
  GoogleProductAccount,
  GoogleRemoveRequest,
  type GoogleUserIdentifier,
} from '../../contracts/google-customer-match.ts';
import {
  DestinationRejectedError,
  DestinationThrottledError,
  type ChunkResult,
  type DeliveryRow,
  type DestinationAdapter,
  type AudienceSize,
  type RowRejection,
  type SendContext,
} from './adapter.ts';
import { retryAfterMs } from './retry-after.ts';
import { CredentialError, GoogleOAuthRefreshCredentials, createTokenProvider } from './credentials.ts';

export const GOOGLE_CUSTOMER_MATCH_KIND = 'google-customer-match';

const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name');
const Digits = z.string().regex(/^\d+$/, 'digits without dashes');

/** The Google Ads API, for reading the list's size back (`scoreflow verify`). Absent: Google offers no read-back here. */
export const GoogleAdsReadBackConfig = z
  .object({
    /** Origin of the Google Ads API. */
    baseUrl: z.url().default('https://googleads.googleapis.com'),
    /** The Ads API version to call (Google sunsets versions; keep it current). */
    apiVersion: z.string().regex(/^v\d+$/, 'a version such as v26').default('v26'),
    /** The Google Ads customer that owns the list; default: operatingAccount.accountId when it is a GOOGLE_ADS account. */
    customerId: Digits.optional(),
    /** Sent as login-customer-id (calls through a manager account); default: loginAccount.accountId when it is a GOOGLE_ADS account. */
    loginCustomerId: Digits.optional(),
    /** Environment variable holding the developer token, sent as developer-token. Optional: Google ignores it since its sunset (9 September 2026). */
    developerTokenEnv: EnvName.optional(),
    /**
     * The least share of the members sent that Google is expected to match and count. Google counts
     * only members it matched to active Google users (1% to 99% of a list, by its own account), so
     * verify accepts a reported size down to members × minMatchRate. Set it from the list's observed
     * match rate; the default is Google's documented floor.
     */
    minMatchRate: z.number().gt(0).max(1).default(0.01),
  })
  .strict();
export type GoogleAdsReadBackConfig = z.input<typeof GoogleAdsReadBackConfig>;

export const GoogleCustomerMatchConfig = z.object({
  /** e.g. https://datamanager.googleapis.com/v1 */
  baseUrl: z.url(),
  /** Name of the environment variable that holds a ready OAuth access token (short-lived; prefer `credentials`). */
  tokenEnv: EnvName.optional(),
  /** OAuth2 refresh-token flow: client id, secret and refresh token named by environment variable. */
  credentials: GoogleOAuthRefreshCredentials.optional(),
  operatingAccount: GoogleProductAccount,
  loginAccount: GoogleProductAccount.optional(),
  /** The Customer Match user list id (productDestinationId). */
  audienceId: z.string().min(1),
  maxChunkRows: z.number().int().min(1).max(GOOGLE_MAX_MEMBERS_PER_REQUEST).default(GOOGLE_MAX_MEMBERS_PER_REQUEST),
  timeoutMs: z.number().int().positive().default(60_000),
  /** Wait when a 429/503 has no Retry-After. */
  defaultRetryAfterMs: z.number().int().nonnegative().default(60_000),
  /** Size read-back through the Google Ads API for `scoreflow verify` (docs/destinations/google-customer-match.md#reading-back-verify). */
  adsApi: GoogleAdsReadBackConfig.optional(),
})
  .refine((c) => Boolean(c.tokenEnv) !== Boolean(c.credentials), { message: 'set exactly one of credentials (OAuth refresh-token flow, recommended) or tokenEnv (a ready access token)', path: ['credentials'] })
  .refine((c) => !c.adsApi || c.adsApi.customerId || c.operatingAccount.accountType === 'GOOGLE_ADS', { message: 'adsApi needs a customerId when the operating account is not a GOOGLE_ADS account', path: ['adsApi', 'customerId'] });
export type GoogleCustomerMatchConfig = z.input<typeof GoogleCustomerMatchConfig>;

/** Pure: the userIdentifiers of one row, or why it cannot be a member. */
export function googleUserIdentifiers(row: DeliveryRow): { identifiers: GoogleUserIdentifier[] } | { problem: string } {
  const ids = row.identifiers;
  const out: GoogleUserIdentifier[] = [];
  if (ids.emailAddress) out.push({ emailAddress: ids.emailAddress });
  if (ids.phoneNumber) out.push({ phoneNumber: ids.phoneNumber });
  const parts = [ids.givenName, ids.familyName, ids.regionCode, ids.postalCode];
  if (parts.every(Boolean)) out.push({ address: { givenName: ids.givenName!, familyName: ids.familyName!, regionCode: ids.regionCode!, postalCode: ids.postalCode! } });
  if (out.length === 0) return { problem: 'no identifier Google can match on (email, phone, or a complete address)' };
  if (out.length > GOOGLE_MAX_IDENTIFIERS_PER_MEMBER) return { problem: `more than ${GOOGLE_MAX_IDENTIFIERS_PER_MEMBER} identifiers` };
  return { identifiers: out };
}

/** Pure: the audience member one row becomes, checked against the contract, or why it cannot be one (also the destination dry run's check). */
export function googleMember(row: DeliveryRow, op: 'upsert' | 'remove'): { member: GoogleAudienceMember } | { problem: string } {
  const ids = googleUserIdentifiers(row);
  if ('problem' in ids) return ids;
  const member: GoogleAudienceMember = { userData: { userIdentifiers: ids.identifiers } };
  if (op === 'upsert') member.consent = { adUserData: 'CONSENT_GRANTED', adPersonalization: 'CONSENT_GRANTED' };
  const checked = GoogleAudienceMember.safeParse(member);
  if (!checked.success) return { problem: `member ${contractProblem(checked.error)}` };
  return { member: checked.data };
}

function contractProblem(error: z.ZodError): string {
  const issue = error.issues[0];
  return `does not satisfy the Google Customer Match contract at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`;
}

export function createGoogleCustomerMatchAdapter(config: GoogleCustomerMatchConfig, deps: { fetch?: typeof fetch } = {}): DestinationAdapter {
  const cfg = GoogleCustomerMatchConfig.parse(config);
  const doFetch = deps.fetch ?? fetch;
  const base = cfg.baseUrl.replace(/\/+$/, '');
  const provider = cfg.credentials ? createTokenProvider(cfg.credentials, { fetch: doFetch }) : undefined;
  async function accessToken(): Promise<string> {
    if (provider) {
      try {
        return await provider.getToken();
      } catch (err) {
        if (err instanceof CredentialError) throw new DestinationRejectedError(GOOGLE_CUSTOMER_MATCH_KIND, 401, err.message);
        throw err;
      }
    }
    const token = process.env[cfg.tokenEnv!];
    if (!token) throw new DestinationRejectedError(GOOGLE_CUSTOMER_MATCH_KIND, 401, `environment variable ${cfg.tokenEnv} holds no access token; set it to an OAuth token with the datamanager scope, or configure credentials (OAuth refresh-token flow)`);
    return token;
  }
  const destination = { operatingAccount: cfg.operatingAccount, ...(cfg.loginAccount ? { loginAccount: cfg.loginAccount } : {}), productDestinationId: cfg.audienceId };

  async function send(rows: DeliveryRow[], ctx: SendContext): Promise<ChunkResult> {
    const op = rows[0]?.op;
    if (!op) return { accepted: [], rejected: [], receipt: { members: 0 } };
    if (rows.some((r) => r.op !== op)) throw new Error('google-customer-match: a chunk mixes upserts and removes; the sync engine sends one operation per chunk');
    if (rows.length > cfg.maxChunkRows) throw new Error(`google-customer-match: chunk of ${rows.length} rows exceeds ${cfg.maxChunkRows} members per request`);

    const rejected: RowRejection[] = [];
    const members: GoogleAudienceMember[] = [];
    const sentIds: string[] = [];
    for (const row of rows) {
      const m = googleMember(row, op);
      if ('problem' in m) {
        rejected.push({ entityId: row.entityId, reason: m.problem, retryable: false });
        continue;
      }
      members.push(m.member);
      sentIds.push(row.entityId);
    }
    if (members.length === 0) return { accepted: [], rejected, receipt: { members: 0 } };

    // Google's upload guide: an ingest states that the Customer Match terms were accepted in the operating account.
    const body = op === 'upsert' ? { destinations: [destination], audienceMembers: members, encoding: 'HEX' as const, termsOfService: { customerMatchTermsOfServiceStatus: 'ACCEPTED' } } : { destinations: [destination], audienceMembers: members, encoding: 'HEX' as const };
    const valid = (op === 'upsert' ? GoogleIngestRequest : GoogleRemoveRequest).safeParse(body);
    if (!valid.success) throw new DestinationRejectedError(GOOGLE_CUSTOMER_MATCH_KIND, 0, `request ${contractProblem(valid.error)}`);

    const url = `${base}/audienceMembers:${op === 'upsert' ? 'ingest' : 'remove'}`;
    const post = async (token: string) => {
      const timeout = AbortSignal.timeout(cfg.timeoutMs);
      return doFetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': ctx.idempotencyKey },
        body: JSON.stringify(valid.data),
        signal: ctx.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout,
      });
    };
    let res = await post(await accessToken());
    // A token can be revoked or expire early: with a provider, fetch a fresh one and retry once.
    if (res.status === 401 && provider) {
      await res.body?.cancel();
      provider.invalidate();
      res = await post(await accessToken());
    }
    const text = await res.text();
    if (res.ok) {
      const parsed = GoogleIngestResponse.safeParse(safeJson(text));
      return { accepted: sentIds, rejected, receipt: { requestId: parsed.success ? parsed.data.requestId : undefined, members: members.length, operation: op } };
    }
    const err = GoogleErrorBody.safeParse(safeJson(text));
    const message = err.success ? `${err.data.error.status}: ${err.data.error.message}` : `HTTP ${res.status}`;
    if (res.status === 429 || res.status === 503) throw new DestinationThrottledError(GOOGLE_CUSTOMER_MATCH_KIND, res.status, retryAfterMs(res.headers.get('retry-after'), cfg.defaultRetryAfterMs));
    if (res.status >= 500) throw new Error(`Google Data Manager answered HTTP ${res.status} (${message}) to chunk ${ctx.chunkIndex}; retrying is safe`);
    throw new DestinationRejectedError(GOOGLE_CUSTOMER_MATCH_KIND, res.status, message);
  }

  const ads = cfg.adsApi;
  if (!ads) return { kind: GOOGLE_CUSTOMER_MATCH_KIND, maxChunkRows: cfg.maxChunkRows, send };
  const customerId = ads.customerId ?? (cfg.operatingAccount.accountType === 'GOOGLE_ADS' ? cfg.operatingAccount.accountId : undefined);
  if (!customerId) throw new Error('google-customer-match: adsApi needs a customerId when the operating account is not a GOOGLE_ADS account');
  const loginCustomerId = ads.loginCustomerId ?? (cfg.loginAccount?.accountType === 'GOOGLE_ADS' ? cfg.loginAccount.accountId : undefined);
  const searchUrl = `${ads.baseUrl.replace(/\/+$/, '')}/${ads.apiVersion}/customers/${customerId}/googleAds:search`;

  /**
   * The list's size as Google reports it, read through the Google Ads API: the larger of the Display
   * and Search estimates (each network counts the members reachable there), an exact count where
   * Google gives one, else the UserListSizeRange's bounds. Both null: `undetermined`.
   */
  async function audienceSize(signal?: AbortSignal): Promise<AudienceSize> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (ads!.developerTokenEnv) {
      const dev = process.env[ads!.developerTokenEnv];
      if (!dev) throw new DestinationRejectedError(GOOGLE_CUSTOMER_MATCH_KIND, 401, `environment variable ${ads!.developerTokenEnv} holds no Google Ads developer token; set it, or drop adsApi.developerTokenEnv (Google ignores the header since its developer-token sunset)`);
      headers['developer-token'] = dev;
    }
    if (loginCustomerId) headers['login-customer-id'] = loginCustomerId;
    const body = JSON.stringify({ query: googleUserListSizeQuery(cfg.audienceId) });
    const post = async (token: string) => {
      const timeout = AbortSignal.timeout(cfg.timeoutMs);
      return doFetch(searchUrl, { method: 'POST', headers: { ...headers, authorization: `Bearer ${token}` }, body, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    };
    let res = await post(await accessToken());
    if (res.status === 401 && provider) {
      await res.body?.cancel();
      provider.invalidate();
      res = await post(await accessToken());
    }
    const json = safeJson(await res.text());
    if (!res.ok) {
      const err = GoogleErrorBody.safeParse(json);
      const codes = err.success ? adsErrorCodes(err.data.error.details) : [];
      const why = err.success ? `${err.data.error.status}${codes.length ? ` ${codes.join(', ')}` : ''}` : `HTTP ${res.status}`;
      if (res.status === 429 || res.status === 503) throw new DestinationThrottledError(GOOGLE_CUSTOMER_MATCH_KIND, res.status, retryAfterMs(res.headers.get('retry-after'), cfg.defaultRetryAfterMs));
      if (res.status >= 500) throw new Error(`the Google Ads API answered HTTP ${res.status} (${why}) to the user list size read; retrying is safe`);
      throw new DestinationRejectedError(GOOGLE_CUSTOMER_MATCH_KIND, res.status, `the Google Ads API refused the user list size read (${why})`);
    }
    const parsed = GoogleAdsSearchResponse.safeParse(json);
    if (!parsed.success) throw new Error('the Google Ads API answered the user list size read with an unexpected body');
    const row = parsed.data.results?.[0]?.userList;
    if (!row) throw new DestinationRejectedError(GOOGLE_CUSTOMER_MATCH_KIND, 404, 'the Google Ads API returned no user list for the configured audienceId in the configured customer (wrong customerId, or the list belongs to another account)');
    return { ...googleReportedSize(row), minMatchRate: ads!.minMatchRate };
  }

  return { kind: GOOGLE_CUSTOMER_MATCH_KIND, maxChunkRows: cfg.maxChunkRows, send, audienceSize };
}

/** Pure: the GAQL query for one user list's size. */
export function googleUserListSizeQuery(listId: string): string {
  if (!/^\d+$/.test(listId)) throw new Error('google-customer-match: audienceId must be the numeric user list id to read its size back');
  return `SELECT ${GOOGLE_USER_LIST_SIZE_FIELDS.join(', ')} FROM user_list WHERE user_list.id = ${listId}`;
}

type UserListSizes = { sizeForSearch?: number | null; sizeForDisplay?: number | null; sizeRangeForSearch?: string | null; sizeRangeForDisplay?: string | null };

/**
 * Pure: the size range one user list row reports. Per network an exact estimate is [n, n], else the
 * size range's bounds; the list's size is the larger network's (lower and upper each the maximum).
 * No figure on either network: undetermined.
 */
export function googleReportedSize(row: UserListSizes): Omit<AudienceSize, 'minMatchRate'> {
  const network = (name: string, count: number | null | undefined, range: string | null | undefined) => {
    if (count !== null && count !== undefined) return { lower: count, upper: count, basis: `${name} ${count}` };
    const bounds = range ? GOOGLE_USER_LIST_SIZE_RANGE_BOUNDS[range] : undefined;
    return bounds ? { lower: bounds[0], upper: bounds[1], basis: `${name} range ${range}` } : undefined;
  };
  const found = [network('size_for_display', row.sizeForDisplay, row.sizeRangeForDisplay), network('size_for_search', row.sizeForSearch, row.sizeRangeForSearch)].filter((n) => n !== undefined);
  if (found.length === 0) return { lower: 0, upper: 0, undetermined: true, basis: 'size_for_display and size_for_search not yet determined' };
  return { lower: Math.max(...found.map((n) => n.lower)), upper: Math.max(...found.map((n) => n.upper)), basis: found.map((n) => n.basis).join('; ') };
}

/** The GoogleAdsFailure error codes of an error's details, e.g. ["queryError UNRECOGNIZED_FIELD"]. */
function adsErrorCodes(details: Record<string, unknown>[] | undefined): string[] {
  const out: string[] = [];
  for (const d of details ?? []) {
    for (const e of (d.errors as { errorCode?: Record<string, unknown> }[] | undefined) ?? []) {
      for (const [k, v] of Object.entries(e.errorCode ?? {})) out.push(`${k} ${String(v)}`);
    }
  }
  return out.slice(0, 5);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
