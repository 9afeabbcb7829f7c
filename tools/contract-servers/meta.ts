/**
 * A local Meta Marketing API for Custom Audiences (docs/destinations/meta-custom-audiences.md), for
 * adapter tests and demos. Standalone: `node --import tsx tools/contract-servers/meta.ts`
 * (PORT, META_TOKEN, REQUESTS_PER_MINUTE).
 *
 * It checks requests with its own rules (./vendor-rules/meta-custom-audience-users.ts), written from
 * Meta's pages and tested with the golden fixtures in test/fixtures/vendors/meta/ — never with the
 * product's contracts/.
 *
 * - POST /{version}/{audience_id}/users adds, DELETE removes;
 * - the access token as `Authorization: Bearer`, or `access_token` in the query or body: missing →
 *   400 code 2500; unknown → 401 code 190; expired (`tokenExpiresAt`) → 401 code 190 subcode 463;
 *   GET /{version}/debug_token?input_token=… answers {data:{is_valid, expires_at, scopes}};
 * - a structurally bad body → 400 code 100 (never echoing values); records whose values cannot be
 *   used (an unhashed email) are received and counted in num_invalid_entries;
 * - `valueBasedAudiences`: audiences created with is_value_based, which need LOOKALIKE_VALUE (kept
 *   per member, see `lookalikeValue`); other audiences refuse it;
 * - `restrictedAudiences`: audiences flagged with operation_status 471 → 400 code 100 subcode 1713230;
 * - more than `rateLimit.requests` in `rateLimit.windowMs` → HTTP 400 code 80003 (the custom_audience
 *   business-use-case limit, is_transient); `failures` / `failNext()` answer 429 (code 4) or 503
 *   (code 2) for the next N requests, with Retry-After (queued in call order);
 * - `latencyMs` / `setLatency()` delay every answer, as a slow API does;
 * - sessions: the same (method, audience, session_id, batch_seq) with the same body answers the first
 *   response again without applying it (`duplicates`); with a different body → 400;
 * - membership per audience: a record is known by its EMAIL, PHONE, EXTERN_ID, MADID, or the
 *   name-and-place combination; `membership(id)` is the current set size.
 */
import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { Audiences } from './audience-membership.ts';
import { checkUsersRequest, graphError, usersRecordKeys, META_VALUE_KEY } from './vendor-rules/meta-custom-audience-users.ts';

export interface MetaServerFailures {
  status: 429 | 503;
  count: number;
  retryAfterSeconds?: number;
}

export interface MetaServerOptions {
  port?: number;
  host?: string;
  /** The one accepted access token (default "meta-test-token"). */
  token?: string;
  /** When the token expires (epoch seconds); 0 or absent: never (a system-user token). */
  tokenExpiresAt?: number;
  /** Audiences created with is_value_based: true (they take LOOKALIKE_VALUE). */
  valueBasedAudiences?: string[];
  /** Audiences flagged with operation_status 471: membership changes are refused. */
  restrictedAudiences?: string[];
  rateLimit?: { requests: number; windowMs?: number };
  failures?: MetaServerFailures;
  /** Every request waits this long before it is handled. */
  latencyMs?: number;
}

export interface MetaServerCounts {
  requests: number;
  /** Batches applied once (unique deliveries). */
  accepted: number;
  adds: number;
  removes: number;
  duplicates: number;
  rejected: number;
  throttled: number;
  unauthorized: number;
  recordsAdded: number;
  recordsRemoved: number;
}

export interface MetaDelivery {
  method: 'POST' | 'DELETE';
  audienceId: string;
  sessionId: number;
  batchSeq: number;
  records: number;
  schema: string[];
}

export interface RunningMetaServer {
  /** Base URL with the API version, e.g. http://127.0.0.1:1234/v21.0: the adapter's baseUrl. */
  url: string;
  token: string;
  counts: MetaServerCounts;
  /** Unique batches in arrival order (a resent session batch is not listed twice). */
  received(): MetaDelivery[];
  membership(audienceId: string): number;
  hasEmail(audienceId: string, sha256: string): boolean;
  /** The LOOKALIKE_VALUE last sent for the member with this email hash, in a value-based audience. */
  lookalikeValue(audienceId: string, emailSha256: string): number | undefined;
  /** Audience ids that received at least one accepted call. */
  audienceIds(): string[];
  failNext(count: number, status?: 429 | 503, retryAfterSeconds?: number): void;
  /** The next request answers exactly this (e.g. a documented Graph throttle body). */
  answerNextWith(httpStatus: number, body: unknown): void;
  /** From now on every request waits `ms` before it is handled. */
  setLatency(ms: number): void;
  close(): Promise<void>;
}

export async function startMetaServer(options: MetaServerOptions = {}): Promise<RunningMetaServer> {
  const token = options.token ?? 'meta-test-token';
  const valueBased = new Set(options.valueBasedAudiences ?? []);
  const restricted = new Set(options.restrictedAudiences ?? []);
  const values = new Map<string, Map<string, number>>();
  const windowMs = options.rateLimit?.windowMs ?? 60_000;
  const failures: { status: 429 | 503; retryAfterSeconds: number }[] = [];
  const scripted: { httpStatus: number; body: unknown }[] = [];
  const queueFailures = (count: number, status: 429 | 503, retryAfterSeconds: number) => {
    for (let i = 0; i < count; i++) failures.push({ status, retryAfterSeconds });
  };
  queueFailures(options.failures?.count ?? 0, options.failures?.status ?? 429, options.failures?.retryAfterSeconds ?? 1);
  let latencyMs = options.latencyMs ?? 0;
  const counts: MetaServerCounts = { requests: 0, accepted: 0, adds: 0, removes: 0, duplicates: 0, rejected: 0, throttled: 0, unauthorized: 0, recordsAdded: 0, recordsRemoved: 0 };
  const deliveries: MetaDelivery[] = [];
  const bySession = new Map<string, { bodySha: string; response: Record<string, unknown> }>();
  const audiences = new Audiences();
  const calls: number[] = [];

  const app = Fastify({ logger: false, bodyLimit: 256 * 1024 * 1024 });
  app.setErrorHandler((err: { statusCode?: number }, _req, reply) => {
    const code = err.statusCode ?? 500;
    counts.rejected++;
    void reply.code(code).send(graphError(code === 413 ? '(#100) The request body is too large.' : '(#100) The request body could not be parsed as JSON.', code >= 500 ? 1 : 100));
  });

  const handle = async (req: FastifyRequest<{ Params: { version: string; audienceId: string }; Querystring: { access_token?: string } }>, reply: FastifyReply) => {
    counts.requests++;
    if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
    const answer = scripted.shift();
    if (answer) {
      counts.throttled++;
      return reply.code(answer.httpStatus).send(answer.body);
    }
    const failure = failures.shift();
    if (failure) {
      counts.throttled++;
      const status = failure.status;
      return reply
        .code(status)
        .header('retry-after', String(failure.retryAfterSeconds))
        .send(status === 429 ? graphError('(#4) Application request limit reached', 4, { is_transient: true }) : graphError('Service temporarily unavailable', 2, { is_transient: true }));
    }
    if (options.rateLimit) {
      const now = Date.now();
      while (calls.length && calls[0]! <= now - windowMs) calls.shift();
      if (calls.length >= options.rateLimit.requests) {
        counts.throttled++;
        return reply.code(400).send(graphError('There have been too many calls to this ad-account. Wait a bit and try again.', 80003, { error_subcode: 2446079, is_transient: true }));
      }
      calls.push(now);
    }

    const raw = (req.body ?? {}) as Record<string, unknown>;
    const auth = req.headers.authorization;
    const given = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : (req.query.access_token ?? (typeof raw.access_token === 'string' ? raw.access_token : undefined));
    if (!given) {
      counts.unauthorized++;
      return reply.code(400).send(graphError('An active access token must be used to query information about the current user.', 2500));
    }
    if (given !== token) {
      counts.unauthorized++;
      return reply.code(401).send(graphError('Invalid OAuth access token - Cannot parse access token', 190));
    }
    if (options.tokenExpiresAt && options.tokenExpiresAt * 1000 <= Date.now()) {
      counts.unauthorized++;
      return reply.code(401).send(graphError(`Error validating access token: Session has expired on ${new Date(options.tokenExpiresAt * 1000).toUTCString()}.`, 190, { error_subcode: 463 }));
    }
    const audienceId = req.params.audienceId;
    if (restricted.has(audienceId)) {
      counts.rejected++;
      return reply.code(400).send(
        graphError('Invalid parameter', 100, {
          error_subcode: 1713230,
          error_user_title: 'Audience Upload Blocked',
          error_user_msg: 'Before updating user memberships, you must resolve integrity restrictions on this Data File Custom Audience. Go to Audience Manager to appeal the restrictions or create a new audience with updated data',
        }),
      );
    }
    const { access_token: _ignored, ...body } = raw;
    const checked = checkUsersRequest(body, { valueBased: valueBased.has(audienceId) });
    if (!checked.ok) {
      counts.rejected++;
      return reply.code(checked.status).send(checked.body);
    }
    const { schema, rows, invalid, session } = checked.request;
    const method = req.method === 'DELETE' ? 'DELETE' : 'POST';
    const sessionKey = session ? `${method}:${audienceId}:${session.session_id}:${session.batch_seq}` : undefined;
    const bodySha = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    const seen = sessionKey ? bySession.get(sessionKey) : undefined;
    if (seen) {
      if (seen.bodySha !== bodySha) {
        counts.rejected++;
        return reply.code(400).send(graphError('(#100) This batch_seq was already received in this session with different data.', 100));
      }
      counts.duplicates++;
      return reply.code(200).send(seen.response);
    }

    const audience = audiences.get(audienceId);
    const invalidAt = new Set(invalid.map((x) => x.index));
    const valueAt = schema.indexOf(META_VALUE_KEY);
    rows.forEach((row, i) => {
      if (invalidAt.has(i)) return;
      const keys = usersRecordKeys(schema, row);
      if (method === 'POST') {
        audience.add(keys);
        counts.recordsAdded++;
        if (valueAt >= 0 && keys.length) {
          const byKey = values.get(audienceId) ?? values.set(audienceId, new Map()).get(audienceId)!;
          for (const k of keys) byKey.set(k, Number(row[valueAt]));
        }
      } else {
        const before = audience.size;
        audience.remove(keys);
        counts.recordsRemoved += before - audience.size;
      }
    });
    counts.accepted++;
    if (method === 'POST') counts.adds++;
    else counts.removes++;
    // invalid_entry_samples names the record and why, never its value (a test server keeps no PII either).
    const response = {
      audience_id: audienceId,
      session_id: String(session?.session_id ?? 0),
      num_received: rows.length,
      num_invalid_entries: invalid.length,
      invalid_entry_samples: Object.fromEntries(invalid.slice(0, 10).map((x) => [`record ${x.index}`, x.reason])),
    };
    if (sessionKey) bySession.set(sessionKey, { bodySha, response });
    deliveries.push({ method, audienceId, sessionId: session?.session_id ?? 0, batchSeq: session?.batch_seq ?? 0, records: rows.length, schema });
    return reply.code(200).send(response);
  };

  // Graph's token debugger: whether a token is valid and when it expires (0 = never).
  app.get('/:version/debug_token', async (req: FastifyRequest<{ Querystring: { input_token?: string } }>, reply) => {
    const input = req.query.input_token;
    const expiresAt = options.tokenExpiresAt ?? 0;
    const valid = input === token && (expiresAt === 0 || expiresAt * 1000 > Date.now());
    return reply.code(200).send({ data: { app_id: '000000000000000', type: 'SYSTEM_USER', application: 'scoreflow-contract-server', is_valid: valid, expires_at: input === token ? expiresAt : 0, scopes: valid ? ['ads_management'] : [] } });
  });

  // Graph takes form-encoded parameters too (payload and session as JSON strings).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))));
  app.post('/:version/:audienceId/users', handle);
  app.delete('/:version/:audienceId/users', handle);

  // Reading the audience: only the documented approximate size fields; the members are never readable.
  app.get<{ Params: { version: string; audienceId: string }; Querystring: { fields?: string; access_token?: string } }>('/:version/:audienceId', async (req, reply) => {
    counts.requests++;
    const auth = req.headers.authorization;
    const given = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : req.query.access_token;
    if (given !== token) {
      counts.unauthorized++;
      return reply.code(401).send(graphError(given ? 'Invalid OAuth access token - Cannot parse access token' : 'An active access token must be used to query information about the current user.', given ? 190 : 2500));
    }
    const fields = (req.query.fields ?? 'id').split(',').map((f) => f.trim());
    const known = new Set(['id', 'name', 'approximate_count_lower_bound', 'approximate_count_upper_bound']);
    const unknown = fields.filter((f) => !known.has(f));
    if (unknown.length) return reply.code(400).send(graphError(`(#100) Tried accessing nonexisting field (${unknown[0]}) on node type (CustomAudience)`, 100));
    const size = audiences.get(req.params.audienceId).size;
    const answer: Record<string, unknown> = { id: req.params.audienceId };
    for (const f of fields) {
      if (f === 'name') answer.name = `Scoreflow audience ${req.params.audienceId}`;
      // This server knows the exact size and reports it as both bounds; Meta's are a rounded range.
      if (f === 'approximate_count_lower_bound' || f === 'approximate_count_upper_bound') answer[f] = size;
    }
    return reply.code(200).send(answer);
  });

  const address = await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  return {
    url: `${address}/v21.0`,
    token,
    counts,
    received: () => [...deliveries],
    membership: (id) => audiences.get(id).size,
    hasEmail: (id, sha) => audiences.get(id).has(`EMAIL:${sha}`),
    lookalikeValue: (id, sha) => (audiences.get(id).has(`EMAIL:${sha}`) ? values.get(id)?.get(`EMAIL:${sha}`) : undefined),
    audienceIds: () => audiences.ids(),
    failNext: (count, status = 429, retryAfterSeconds = 1) => queueFailures(count, status, retryAfterSeconds),
    answerNextWith: (httpStatus, body) => void scripted.push({ httpStatus, body }),
    setLatency: (ms) => {
      latencyMs = ms;
    },
    close: () => app.close(),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await startMetaServer({
    port: Number(process.env.PORT ?? 8470),
    token: process.env.META_TOKEN,
    rateLimit: process.env.REQUESTS_PER_MINUTE ? { requests: Number(process.env.REQUESTS_PER_MINUTE) } : undefined,
  });
  process.stdout.write(`Meta Custom Audiences contract server on ${server.url} (token "${server.token}"; users: ${server.url}/<audience_id>/users)\n`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
