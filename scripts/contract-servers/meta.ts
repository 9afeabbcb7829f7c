/**
 * A local Meta Marketing API for Custom Audiences that enforces the documented contract
 * (docs/destinations/meta-custom-audiences.md), for adapter tests and demos. Standalone:
 * `node --import tsx scripts/contract-servers/meta.ts` (PORT, META_TOKEN, REQUESTS_PER_MINUTE).
 *
 * - POST /{version}/{audience_id}/users adds, DELETE removes;
 * - the access token as `Authorization: Bearer`, or `access_token` in the query or body: missing or
 *   wrong → 401 with error code 190 (OAuthException);
 * - more than 10,000 records → 413; a body that fails contracts/meta-custom-audiences.ts (a value
 *   that is not SHA-256 hex, such as a plain email; rows not matching the schema; unknown keys)
 *   → 400 code 100, naming paths, never values;
 * - more than `rateLimit.requests` in `rateLimit.windowMs` → HTTP 400 code 80003 (the Custom
 *   Audience rate limit, is_transient); `failures` / `failNext()` answer 429 (code 4) or 503
 *   (code 2) for the next N requests, with Retry-After (queued in call order);
 * - `latencyMs` / `setLatency()` delay every answer, as a slow API does (the request is still applied
 *   when the client has gone away meanwhile);
 * - dedupe by session: the same (method, audience, session_id, batch_seq) with the same body answers
 *   the first response again without applying it (`duplicates`); with a different body → 400;
 * - membership per audience: a record is known by its EMAIL, PHONE, EXTERN_ID, MADID, or the
 *   name-and-place combination; `membership(id)` is the current set size.
 */
import { createHash, randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { META_MAX_RECORDS_PER_REQUEST, MetaUsersRequest, type MetaSchemaKey } from '../../contracts/meta-custom-audiences.ts';
import { Audiences } from './audience-membership.ts';

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
  rateLimit?: { requests: number; windowMs?: number };
  failures?: MetaServerFailures;
  maxRecords?: number;
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
  schema: MetaSchemaKey[];
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
  failNext(count: number, status?: 429 | 503, retryAfterSeconds?: number): void;
  /** From now on every request waits `ms` before it is handled. */
  setLatency(ms: number): void;
  close(): Promise<void>;
}

function metaError(message: string, code: number, extra: { error_subcode?: number; is_transient?: boolean; type?: string } = {}) {
  return {
    error: {
      message,
      type: extra.type ?? 'OAuthException',
      code,
      ...(extra.error_subcode !== undefined ? { error_subcode: extra.error_subcode } : {}),
      ...(extra.is_transient !== undefined ? { is_transient: extra.is_transient } : {}),
      fbtrace_id: randomBytes(8).toString('base64url'),
    },
  };
}

/** The keys a record is known by. */
export function metaRecordKeys(schema: readonly MetaSchemaKey[], row: readonly string[]): string[] {
  const v = (k: MetaSchemaKey) => {
    const i = schema.indexOf(k);
    return i >= 0 ? (row[i] ?? '') : '';
  };
  const keys: string[] = [];
  for (const k of ['EMAIL', 'PHONE', 'EXTERN_ID', 'MADID'] as const) if (v(k)) keys.push(`${k}:${v(k)}`);
  if (v('FN') && v('LN')) keys.push(`NAME:${v('FN')}:${v('LN')}:${v('ZIP')}:${v('CT')}:${v('COUNTRY')}`);
  return keys;
}

export async function startMetaServer(options: MetaServerOptions = {}): Promise<RunningMetaServer> {
  const token = options.token ?? 'meta-test-token';
  const maxRecords = options.maxRecords ?? META_MAX_RECORDS_PER_REQUEST;
  const windowMs = options.rateLimit?.windowMs ?? 60_000;
  const failures: { status: 429 | 503; retryAfterSeconds: number }[] = [];
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
    void reply.code(code).send(metaError(code === 413 ? '(#100) The request body is too large.' : '(#100) The request body could not be parsed as JSON.', code >= 500 ? 1 : 100));
  });

  const handle = async (req: FastifyRequest<{ Params: { version: string; audienceId: string }; Querystring: { access_token?: string } }>, reply: FastifyReply) => {
    counts.requests++;
    if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
    const failure = failures.shift();
    if (failure) {
      counts.throttled++;
      const status = failure.status;
      return reply
        .code(status)
        .header('retry-after', String(failure.retryAfterSeconds))
        .send(status === 429 ? metaError('(#4) Application request limit reached', 4, { is_transient: true }) : metaError('Service temporarily unavailable', 2, { is_transient: true }));
    }
    if (options.rateLimit) {
      const now = Date.now();
      while (calls.length && calls[0]! <= now - windowMs) calls.shift();
      if (calls.length >= options.rateLimit.requests) {
        counts.throttled++;
        return reply.code(400).send(metaError('There have been too many calls to this ad-account. Wait a bit and try again.', 80003, { error_subcode: 2446079, is_transient: true }));
      }
      calls.push(now);
    }

    const raw = (req.body ?? {}) as Record<string, unknown>;
    const auth = req.headers.authorization;
    const given = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : (req.query.access_token ?? (typeof raw.access_token === 'string' ? raw.access_token : undefined));
    if (given !== token) {
      counts.unauthorized++;
      return reply.code(401).send(metaError(given ? 'Invalid OAuth access token - Cannot parse access token' : 'An active access token must be used to query information about the current user.', given ? 190 : 2500));
    }
    const { access_token: _ignored, ...body } = raw;
    const data = (body.payload as { data?: unknown } | undefined)?.data;
    if (Array.isArray(data) && data.length > maxRecords) {
      counts.rejected++;
      return reply.code(413).send(metaError(`(#100) Too many records in one request: ${data.length}, at most ${maxRecords}.`, 100));
    }
    const parsed = MetaUsersRequest.safeParse(body);
    if (!parsed.success) {
      counts.rejected++;
      const problems = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
      return reply.code(400).send(metaError(`(#100) Invalid parameter: ${problems.join('; ')}`, 100, { error_subcode: 1870145 }));
    }
    const { payload, session } = parsed.data;
    const method = req.method === 'DELETE' ? 'DELETE' : 'POST';
    const audienceId = req.params.audienceId;
    const sessionKey = `${method}:${audienceId}:${session.session_id}:${session.batch_seq}`;
    const bodySha = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    const seen = bySession.get(sessionKey);
    if (seen) {
      if (seen.bodySha !== bodySha) {
        counts.rejected++;
        return reply.code(400).send(metaError('(#100) This batch_seq was already received in this session with different data.', 100));
      }
      counts.duplicates++;
      return reply.code(200).send(seen.response);
    }

    const audience = audiences.get(audienceId);
    for (const row of payload.data) {
      const keys = metaRecordKeys(payload.schema, row);
      if (method === 'POST') {
        audience.add(keys);
        counts.recordsAdded++;
      } else {
        const before = audience.size;
        audience.remove(keys);
        counts.recordsRemoved += before - audience.size;
      }
    }
    counts.accepted++;
    if (method === 'POST') counts.adds++;
    else counts.removes++;
    const response = { audience_id: audienceId, session_id: String(session.session_id), num_received: payload.data.length, num_invalid_entries: 0, invalid_entry_samples: {} };
    bySession.set(sessionKey, { bodySha, response });
    deliveries.push({ method, audienceId, sessionId: session.session_id, batchSeq: session.batch_seq, records: payload.data.length, schema: payload.schema });
    return reply.code(200).send(response);
  };

  app.post('/:version/:audienceId/users', handle);
  app.delete('/:version/:audienceId/users', handle);

  // Reading the audience: only the documented approximate size fields; the members are never readable.
  app.get<{ Params: { version: string; audienceId: string }; Querystring: { fields?: string; access_token?: string } }>('/:version/:audienceId', async (req, reply) => {
    counts.requests++;
    const auth = req.headers.authorization;
    const given = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : req.query.access_token;
    if (given !== token) {
      counts.unauthorized++;
      return reply.code(401).send(metaError(given ? 'Invalid OAuth access token - Cannot parse access token' : 'An active access token must be used to query information about the current user.', given ? 190 : 2500));
    }
    const fields = (req.query.fields ?? 'id').split(',').map((f) => f.trim());
    const known = new Set(['id', 'name', 'approximate_count_lower_bound', 'approximate_count_upper_bound']);
    const unknown = fields.filter((f) => !known.has(f));
    if (unknown.length) return reply.code(400).send(metaError(`(#100) Tried accessing nonexisting field (${unknown[0]}) on node type (CustomAudience)`, 100));
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
    failNext: (count, status = 429, retryAfterSeconds = 1) => queueFailures(count, status, retryAfterSeconds),
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
