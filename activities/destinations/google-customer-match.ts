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
 */
import { z } from 'zod';
import {
  GOOGLE_MAX_IDENTIFIERS_PER_MEMBER,
  GOOGLE_MAX_MEMBERS_PER_REQUEST,
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
  type RowRejection,
  type SendContext,
} from './adapter.ts';
import { retryAfterMs } from './retry-after.ts';
import { CredentialError, GoogleOAuthRefreshCredentials, createTokenProvider } from './credentials.ts';

export const GOOGLE_CUSTOMER_MATCH_KIND = 'google-customer-match';

export const GoogleCustomerMatchConfig = z.object({
  /** e.g. https://datamanager.googleapis.com/v1 */
  baseUrl: z.url(),
  /** Name of the environment variable that holds a ready OAuth access token (short-lived; prefer `credentials`). */
  tokenEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name').optional(),
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
}).refine((c) => Boolean(c.tokenEnv) !== Boolean(c.credentials), { message: 'set exactly one of credentials (OAuth refresh-token flow, recommended) or tokenEnv (a ready access token)', path: ['credentials'] });
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

  return { kind: GOOGLE_CUSTOMER_MATCH_KIND, maxChunkRows: cfg.maxChunkRows, send };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
