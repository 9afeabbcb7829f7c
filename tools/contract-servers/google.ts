/**
 * A local Google Data Manager API for Customer Match (docs/destinations/google-customer-match.md), for
 * adapter tests and demos. Standalone: `node --import tsx tools/contract-servers/google.ts`
 * (PORT, GOOGLE_TOKEN, REQUESTS_PER_MINUTE).
 *
 * It checks requests with its own rules (./vendor-rules/google-data-manager.ts), written from Google's
 * pages and tested with the golden fixtures in test/fixtures/vendors/google/ — never with the
 * product's contracts/, so a misreading of Google's documents cannot pass on both sides.
 *
 * - POST /v1/audienceMembers:ingest and /v1/audienceMembers:remove (also lower-case audiencemembers);
 * - `Authorization: Bearer <token>`: missing, unknown or expired → 401 UNAUTHENTICATED;
 * - a request that breaks a documented rule → 400 INVALID_ARGUMENT with Google's ErrorInfo and
 *   BadRequest fieldViolations (proto field paths and ErrorReason values, never identifier values);
 *   fast-fail: nothing of a failed request is applied;
 * - stricter than Google on purpose: an add whose member lacks CONSENT_GRANTED for adUserData and
 *   adPersonalization (on the member, else on the request) → 400 INVALID_AUDIENCE_MEMBER, because
 *   Scoreflow must never add a person without consent; removes need no consent;
 * - more than `rateLimit.requests` requests in `rateLimit.windowMs` → 429 RESOURCE_EXHAUSTED with
 *   Retry-After; `failures` / `failNext()` answer 429 or 503 for the next N requests (queued in call
 *   order, so `failNext(2, 429)` then `failNext(1, 503)` answers 429, 429, 503); `startOutage(ms, status)`
 *   answers 429, 500 or 503 to every request for a while (outage.ts);
 * - `latencyMs` / `setLatency()` delay every answer, as a slow API does (the request is still applied
 *   when the client has gone away meanwhile);
 * - no request-level idempotency: Google documents no idempotency header, so an `Idempotency-Key`
 *   is recorded for diagnostics but changes nothing. A resent request is applied again; membership
 *   is a set, so it changes nothing, and such a request is counted in `duplicates`. Scoreflow's own
 *   idempotency is the sync engine's chunk ledger (a committed chunk is never sent again);
 * - `validateOnly: true` validates and applies nothing;
 * - membership per audience (productDestinationId): a member is known by its email hash, phone hash
 *   or complete address; `membership(id)` is the current set size;
 * - the Google Ads API's read of a list's size, POST /v{N}/customers/{customerId}/googleAds:search
 *   (./vendor-rules/google-ads-search.ts): the same bearer token rules; `developer-token` required
 *   (400 RequestError DEVELOPER_TOKEN_PARAMETER_MISSING) unless `developerToken: 'ignored'`, as Google
 *   does since the developer-token sunset of 9 September 2026; the query `SELECT <user_list size
 *   fields> FROM user_list WHERE user_list.id = N` is answered from the current membership of audience
 *   N (sizes as int64 strings, the UserListSizeRange it falls in); anything else is a 400
 *   INVALID_ARGUMENT with a GoogleAdsFailure (QueryError/RequestError). `setSizeReporting(id, mode)`
 *   makes a list report only its size range, or no size at all (not yet determined); a list the
 *   server never received answers no rows. The customer id is checked for digits only.
 */
import { createHash, randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { Outage, type OutageControl } from './outage.ts';
import { Audiences } from './audience-membership.ts';
import { adsFailure, camelPath, checkSearchRequest, sizeRangeOf } from './vendor-rules/google-ads-search.ts';
import { checkDataManagerRequest, dataManagerMemberKeys, rpcStatus, type CheckedMember, type FieldViolation, invalidArgument } from './vendor-rules/google-data-manager.ts';

export interface GoogleServerFailures {
  status: 429 | 503;
  count: number;
  retryAfterSeconds?: number;
}

export interface GoogleServerOptions {
  port?: number;
  host?: string;
  /** A long-lived bearer token the server also accepts (default "google-test-token"), for demos. */
  token?: string;
  /**
   * The OAuth client the token endpoint (POST {origin}/token, grant_type=refresh_token) knows; the
   * access tokens it issues live `accessTokenTtlSeconds` (Google's own: 3599) and are refused after.
   */
  oauth?: { clientId: string; clientSecret: string; refreshToken: string; accessTokenTtlSeconds?: number };
  rateLimit?: { requests: number; windowMs?: number };
  failures?: GoogleServerFailures;
  /** Every request waits this long before it is handled. */
  latencyMs?: number;
  /**
   * The Ads API's `developer-token` header: 'required' (default; a request without one is refused, as
   * before the developer-token sunset) or 'ignored' (Google since 9 September 2026).
   */
  developerToken?: 'required' | 'ignored';
}

/** How a list reports its size on googleAds:search: counts and ranges, ranges only, or nothing yet. */
export type GoogleSizeReporting = 'exact' | 'range' | 'undetermined';

export interface GoogleServerCounts {
  requests: number;
  /** Requests applied (validateOnly requests excluded). */
  accepted: number;
  ingests: number;
  removes: number;
  /** Applied requests that changed no membership (a resend: membership is a set). */
  duplicates: number;
  rejected: number;
  throttled: number;
  unauthorized: number;
  membersAdded: number;
  /** Adds of members the audience did not hold yet (a resent add is not counted). */
  membersNew: number;
  membersRemoved: number;
  /** googleAds:search requests answered with rows (size reads). */
  searches: number;
}

export interface GoogleDelivery {
  requestId: string;
  operation: 'ingest' | 'remove';
  /** The client's `Idempotency-Key` header, recorded for tests; Google ignores it and so does this server. */
  idempotencyKey?: string;
  /** Whether an applied request carried the same Idempotency-Key before (observed, not deduplicated). */
  resend: boolean;
  audienceIds: string[];
  members: number;
  /** Members whose membership this request changed (added while absent, or removed while held), summed over its audiences: 0 for a resend. */
  membersChanged: number;
  /** sha256 over the request's members (their sorted identifier keys, sorted): a resend carries the same. */
  membersDigest: string;
}

/** One digest per member set (each member's identifier keys), whatever the order of members or of a member's keys. */
function membersDigest(memberKeys: string[][]): string {
  const keys = memberKeys.map((k) => JSON.stringify([...k].sort())).sort();
  return createHash('sha256').update(JSON.stringify(keys)).digest('hex');
}

export interface RunningGoogleServer extends OutageControl {
  /** Base URL of the API version, e.g. http://127.0.0.1:1234/v1: the adapter's baseUrl. */
  url: string;
  /** Origin of the Google Ads API (googleAds:search), e.g. http://127.0.0.1:1234: the adapter's adsApi.baseUrl. */
  adsUrl: string;
  /** The OAuth token endpoint (grant_type=refresh_token), e.g. http://127.0.0.1:1234/token. */
  tokenUrl: string;
  token: string;
  counts: GoogleServerCounts;
  /** Access tokens issued by the token endpoint so far. */
  tokensIssued(): number;
  /** Forget every issued access token (as a revocation would): the next call with one answers 401. */
  revokeTokens(): void;
  /** Applied requests in arrival order (a resent request is listed again: Google has no dedupe). */
  received(): GoogleDelivery[];
  /** Current member count of an audience. */
  membership(audienceId: string): number;
  /** Whether an audience holds a member with this email hash. */
  hasEmail(audienceId: string, sha256: string): boolean;
  /** Remove members from an audience behind the client's back (a tampered list); returns how many went. */
  dropMembers(audienceId: string, count: number): number;
  /** How googleAds:search reports this list's size from now on (default 'exact'). */
  setSizeReporting(audienceId: string, mode: GoogleSizeReporting): void;
  failNext(count: number, status?: 429 | 503, retryAfterSeconds?: number): void;
  /** From now on every request waits `ms` before it is handled. */
  setLatency(ms: number): void;
  close(): Promise<void>;
}

/** Consent on an add: the member's own consent overrides the request-level one (ingest reference). */
function consentGranted(member: CheckedMember, request: CheckedMember['consent']): boolean {
  const c = { ...request, ...member.consent };
  return c.adUserData === 'CONSENT_GRANTED' && c.adPersonalization === 'CONSENT_GRANTED';
}

export async function startGoogleServer(options: GoogleServerOptions = {}): Promise<RunningGoogleServer> {
  const token = options.token ?? 'google-test-token';
  const windowMs = options.rateLimit?.windowMs ?? 60_000;
  const failures: { status: 429 | 503; retryAfterSeconds: number }[] = [];
  const queueFailures = (count: number, status: 429 | 503, retryAfterSeconds: number) => {
    for (let i = 0; i < count; i++) failures.push({ status, retryAfterSeconds });
  };
  queueFailures(options.failures?.count ?? 0, options.failures?.status ?? 429, options.failures?.retryAfterSeconds ?? 1);
  let latencyMs = options.latencyMs ?? 0;
  const outage = new Outage();
  const counts: GoogleServerCounts = { requests: 0, accepted: 0, ingests: 0, removes: 0, duplicates: 0, rejected: 0, throttled: 0, unauthorized: 0, membersAdded: 0, membersNew: 0, membersRemoved: 0, searches: 0 };
  const deliveries: GoogleDelivery[] = [];
  const audiences = new Audiences();
  const calls: number[] = [];
  let issuedCount = 0;
  const issued = new Map<string, number>(); // access token → expiry (epoch ms)

  const app = Fastify({ logger: false, bodyLimit: 256 * 1024 * 1024 });
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const code = err.statusCode ?? 500;
    counts.rejected++;
    if (code >= 500) return void reply.code(code).send(rpcStatus(code, 'INTERNAL', 'Internal error encountered.'));
    void reply.code(400).send(invalidArgument([{ field: '', description: code === 413 ? 'Request payload too large.' : 'Invalid JSON payload received.', reason: 'INVALID_FORMAT' }]));
  });

  // Google's OAuth 2.0 token endpoint, refresh-token grant (RFC 6749 §6; Google's errors: invalid_client, invalid_grant).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))));
  app.post('/token', async (req, reply) => {
    const f = (req.body ?? {}) as Record<string, string>;
    const o = options.oauth;
    if (f.grant_type !== 'refresh_token') return reply.code(400).send({ error: 'unsupported_grant_type', error_description: 'Invalid grant_type: ' + String(f.grant_type ?? '') });
    if (!o || f.client_id !== o.clientId || f.client_secret !== o.clientSecret) return reply.code(401).send({ error: 'invalid_client', error_description: 'Unauthorized' });
    if (f.refresh_token !== o.refreshToken) return reply.code(400).send({ error: 'invalid_grant', error_description: 'Bad Request' });
    const ttl = o.accessTokenTtlSeconds ?? 3599;
    const accessToken = `ya29.${randomUUID().replace(/-/g, '')}`;
    issuedCount++;
    issued.set(accessToken, Date.now() + ttl * 1000);
    return reply.code(200).send({ access_token: accessToken, expires_in: ttl, scope: 'https://www.googleapis.com/auth/datamanager', token_type: 'Bearer' });
  });
  const tokenValid = (given: string) => given === token || (issued.get(given) ?? 0) > Date.now();

  const handle = (operation: 'ingest' | 'remove') => async (req: FastifyRequest, reply: FastifyReply) => {
    counts.requests++;
    if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
    const down = outage.answer();
    if (down) {
      counts.throttled++;
      const body =
        down.status === 429
          ? rpcStatus(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded (outage).')
          : down.status === 503
            ? rpcStatus(503, 'UNAVAILABLE', 'The service is currently unavailable (outage).')
            : rpcStatus(500, 'INTERNAL', 'Internal error encountered (outage).');
      return reply.code(down.status).headers(down.headers).send(body);
    }
    const failure = failures.shift();
    if (failure) {
      counts.throttled++;
      const status = failure.status;
      return reply
        .code(status)
        .header('retry-after', String(failure.retryAfterSeconds))
        .send(status === 429 ? rpcStatus(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded (injected).') : rpcStatus(503, 'UNAVAILABLE', 'The service is currently unavailable.'));
    }
    if (options.rateLimit) {
      const now = Date.now();
      while (calls.length && calls[0]! <= now - windowMs) calls.shift();
      if (calls.length >= options.rateLimit.requests) {
        counts.throttled++;
        const wait = Math.max(1, Math.ceil((calls[0]! + windowMs - now) / 1000));
        return reply.code(429).header('retry-after', String(wait)).send(rpcStatus(429, 'RESOURCE_EXHAUSTED', `Quota exceeded: more than ${options.rateLimit.requests} requests in ${windowMs} ms.`));
      }
      calls.push(now);
    }
    const auth = req.headers.authorization;
    if (!auth?.startsWith('Bearer ') || !tokenValid(auth.slice('Bearer '.length))) {
      counts.unauthorized++;
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="https://accounts.google.com/", error="invalid_token"')
        .send(rpcStatus(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.'));
    }

    const checked = checkDataManagerRequest(operation, req.body);
    if (!checked.ok) {
      counts.rejected++;
      return reply.code(checked.status).send(checked.body);
    }
    const body = checked.request;
    if (operation === 'ingest') {
      const missing: FieldViolation[] = body.members.flatMap((m, i) =>
        consentGranted(m, body.requestConsent) ? [] : [{ field: `audience_members.audience_members[${i}].consent`, description: 'This server refuses adds without CONSENT_GRANTED for adUserData and adPersonalization.', reason: 'INVALID_AUDIENCE_MEMBER' }],
      );
      if (missing.length) {
        counts.rejected++;
        return reply.code(400).send(invalidArgument(missing.slice(0, 20)));
      }
    }
    const requestId = randomUUID();
    if (body.validateOnly) return reply.code(200).send({ requestId });

    const key = typeof req.headers['idempotency-key'] === 'string' ? req.headers['idempotency-key'] : undefined;
    const memberKeys = body.members.map(dataManagerMemberKeys);
    let membersChanged = 0;
    for (const id of body.productDestinationIds) {
      const audience = audiences.get(id);
      for (const keys of memberKeys) {
        if (operation === 'ingest') {
          if (!audience.holds(keys)) {
            membersChanged++;
            counts.membersNew++;
          }
          audience.add(keys);
          counts.membersAdded++;
        } else {
          const before = audience.size;
          audience.remove(keys);
          if (audience.size !== before) membersChanged++;
          counts.membersRemoved += before - audience.size;
        }
      }
    }
    counts.accepted++;
    if (membersChanged === 0) counts.duplicates++;
    if (operation === 'ingest') counts.ingests++;
    else counts.removes++;
    const resend = key !== undefined && deliveries.some((d) => d.idempotencyKey === key);
    deliveries.push({ requestId, operation, idempotencyKey: key, resend, audienceIds: body.productDestinationIds, members: body.members.length, membersChanged, membersDigest: membersDigest(memberKeys) });
    return reply.code(200).send({ requestId });
  };

  for (const prefix of ['/v1/audienceMembers', '/v1/audiencemembers']) {
    app.post(`${prefix}::ingest`, handle('ingest'));
    app.post(`${prefix}::remove`, handle('remove'));
  }


  // The Google Ads API: a Customer Match list's size (GoogleAdsService.Search over user_list).
  const sizeReporting = new Map<string, GoogleSizeReporting>();
  app.post('/:version/customers/:customerId/googleAds::search', async (req: FastifyRequest<{ Params: { version: string; customerId: string } }>, reply: FastifyReply) => {
    counts.requests++;
    const { version, customerId } = req.params;
    if (!/^v\d+$/.test(version)) return reply.code(404).send(rpcStatus(404, 'NOT_FOUND', `Method not found: ${version.slice(0, 20)}.`));
    if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
    const auth = req.headers.authorization;
    if (!auth?.startsWith('Bearer ') || !tokenValid(auth.slice('Bearer '.length))) {
      counts.unauthorized++;
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="https://accounts.google.com/", error="invalid_token"')
        .send(rpcStatus(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.'));
    }
    const refuse = (status: number, body: unknown) => {
      counts.rejected++;
      return reply.code(status).header('request-id', randomUUID()).send(body);
    };
    const devToken = req.headers['developer-token'];
    if ((options.developerToken ?? 'required') === 'required' && (typeof devToken !== 'string' || devToken.trim() === '')) {
      return refuse(400, adsFailure(version, 400, 'INVALID_ARGUMENT', [{ errorCode: { requestError: 'DEVELOPER_TOKEN_PARAMETER_MISSING' }, message: 'Developer-token header is required.' }]));
    }
    if (!/^\d+$/.test(customerId)) return refuse(400, adsFailure(version, 400, 'INVALID_ARGUMENT', [{ errorCode: { requestError: 'INVALID_CUSTOMER_ID' }, message: 'Customer ID is invalid.' }]));
    const login = req.headers['login-customer-id'];
    if (login !== undefined && (typeof login !== 'string' || !/^\d+$/.test(login))) {
      return refuse(400, adsFailure(version, 400, 'INVALID_ARGUMENT', [{ errorCode: { headerError: 'INVALID_LOGIN_CUSTOMER_ID' }, message: 'The login customer ID could not be validated.' }]));
    }
    const checked = checkSearchRequest(req.body);
    if (!checked.ok) return refuse(checked.status, checked.plain ? rpcStatus(400, 'INVALID_ARGUMENT', checked.plain) : adsFailure(version, checked.status, 'INVALID_ARGUMENT', checked.errors));
    const fieldMask = checked.fields.map(camelPath).join(',');
    if (checked.validateOnly || !audiences.has(checked.listId)) return reply.code(200).header('request-id', randomUUID()).send({ fieldMask });
    counts.searches++;
    const n = audiences.get(checked.listId).size;
    const mode = sizeReporting.get(checked.listId) ?? 'exact';
    const value: Record<string, string> = {
      'user_list.resource_name': `customers/${customerId}/userLists/${checked.listId}`,
      'user_list.id': checked.listId,
    };
    if (mode === 'exact') {
      value['user_list.size_for_display'] = String(n);
      value['user_list.size_for_search'] = String(n);
    }
    if (mode !== 'undetermined') {
      value['user_list.size_range_for_display'] = sizeRangeOf(n);
      value['user_list.size_range_for_search'] = sizeRangeOf(n);
    }
    // The resource name always comes back; of the rest only what was selected (an unset field is omitted, as proto3 JSON does).
    const userList: Record<string, string> = { resourceName: value['user_list.resource_name']! };
    for (const f of checked.fields) if (value[f] !== undefined) userList[camelPath(f).slice('userList.'.length)] = value[f];
    return reply.code(200).header('request-id', randomUUID()).send({ results: [{ userList }], fieldMask });
  });

  const address = await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  return {
    url: `${address}/v1`,
    adsUrl: address,
    tokenUrl: `${address}/token`,
    token,
    tokensIssued: () => issuedCount,
    revokeTokens: () => issued.clear(),
    counts,
    received: () => [...deliveries],
    membership: (id) => audiences.get(id).size,
    hasEmail: (id, sha) => audiences.get(id).has(`email:${sha}`),
    dropMembers: (id, count) => audiences.get(id).discard(count),
    setSizeReporting: (id, mode) => void sizeReporting.set(id, mode),
    failNext: (count, status = 429, retryAfterSeconds = 1) => queueFailures(count, status, retryAfterSeconds),
    startOutage: (ms, status, retryAfterSeconds) => outage.startOutage(ms, status, retryAfterSeconds),
    endOutage: () => outage.endOutage(),
    outageAnswers: () => outage.outageAnswers(),
    setLatency: (ms) => {
      latencyMs = ms;
    },
    close: () => app.close(),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await startGoogleServer({
    port: Number(process.env.PORT ?? 8460),
    token: process.env.GOOGLE_TOKEN,
    rateLimit: process.env.REQUESTS_PER_MINUTE ? { requests: Number(process.env.REQUESTS_PER_MINUTE) } : undefined,
  });
  process.stdout.write(`Google Data Manager contract server on ${server.url} (token "${server.token}"; ingest: ${server.url}/audienceMembers:ingest)\n`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
