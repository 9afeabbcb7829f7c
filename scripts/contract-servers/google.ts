/**
 * A local Google Data Manager API that enforces the documented Customer Match contract
 * (docs/destinations/google-customer-match.md), for adapter tests and demos. Standalone:
 * `node --import tsx scripts/contract-servers/google.ts` (PORT, GOOGLE_TOKEN, REQUESTS_PER_MINUTE).
 *
 * - POST /v1/audienceMembers:ingest and /v1/audienceMembers:remove (also lower-case audiencemembers);
 * - `Authorization: Bearer <token>`: missing → 401 UNAUTHENTICATED, another token → 403 PERMISSION_DENIED;
 * - more than 10,000 members → 413; a body that fails contracts/google-customer-match.ts (an unhashed
 *   email, a lower-case region code, more than 10 identifiers, unknown fields...) → 400
 *   INVALID_ARGUMENT with google.rpc.BadRequest fieldViolations naming paths, never values;
 * - an add whose member lacks CONSENT_GRANTED for adUserData and adPersonalization → 400; removes
 *   need no consent;
 * - more than `rateLimit.requests` requests in `rateLimit.windowMs` → 429 RESOURCE_EXHAUSTED with
 *   Retry-After; `failures` / `failNext()` answer 429 or 503 for the next N requests (queued in call
 *   order, so `failNext(2, 429)` then `failNext(1, 503)` answers 429, 429, 503); `startOutage(ms, status)`
 *   answers 429, 500 or 503 to every request for a while (outage.ts);
 * - `latencyMs` / `setLatency()` delay every answer, as a slow API does (the request is still applied
 *   when the client has gone away meanwhile);
 * - `Idempotency-Key`: a key seen before with the same body answers the first response again without
 *   applying it (counted in `duplicates`); with a different body → 422;
 * - membership per audience (productDestinationId): a member is known by its email hash, phone hash
 *   or complete address; `membership(id)` is the current set size.
 */
import { createHash, randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { Outage, type OutageControl } from './outage.ts';
import type { z } from 'zod';
import {
  GOOGLE_MAX_MEMBERS_PER_REQUEST,
  GoogleIngestRequest,
  GoogleRemoveRequest,
  googleConsentGranted,
  type GoogleAudienceMember,
} from '../../contracts/google-customer-match.ts';
import { Audiences } from './audience-membership.ts';

export interface GoogleServerFailures {
  status: 429 | 503;
  count: number;
  retryAfterSeconds?: number;
}

export interface GoogleServerOptions {
  port?: number;
  host?: string;
  /** The one accepted bearer token (default "google-test-token"). */
  token?: string;
  rateLimit?: { requests: number; windowMs?: number };
  failures?: GoogleServerFailures;
  maxMembers?: number;
  /** Every request waits this long before it is handled. */
  latencyMs?: number;
}

export interface GoogleServerCounts {
  requests: number;
  /** Requests applied once (unique deliveries). */
  accepted: number;
  ingests: number;
  removes: number;
  duplicates: number;
  rejected: number;
  throttled: number;
  unauthorized: number;
  membersAdded: number;
  membersRemoved: number;
}

export interface GoogleDelivery {
  requestId: string;
  operation: 'ingest' | 'remove';
  idempotencyKey?: string;
  audienceIds: string[];
  members: number;
}

export interface RunningGoogleServer extends OutageControl {
  /** Base URL of the API version, e.g. http://127.0.0.1:1234/v1: the adapter's baseUrl. */
  url: string;
  token: string;
  counts: GoogleServerCounts;
  /** Unique deliveries in arrival order (a duplicate idempotency key is not listed twice). */
  received(): GoogleDelivery[];
  /** Current member count of an audience. */
  membership(audienceId: string): number;
  /** Whether an audience holds a member with this email hash. */
  hasEmail(audienceId: string, sha256: string): boolean;
  failNext(count: number, status?: 429 | 503, retryAfterSeconds?: number): void;
  /** From now on every request waits `ms` before it is handled. */
  setLatency(ms: number): void;
  close(): Promise<void>;
}

type GoogleStatus = 'INVALID_ARGUMENT' | 'UNAUTHENTICATED' | 'PERMISSION_DENIED' | 'RESOURCE_EXHAUSTED' | 'UNAVAILABLE' | 'NOT_FOUND' | 'FAILED_PRECONDITION' | 'INTERNAL';

function googleError(code: number, status: GoogleStatus, message: string, violations?: { field: string; description: string }[]) {
  return {
    error: {
      code,
      message,
      status,
      details: violations?.length ? [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: violations }] : [],
    },
  };
}

function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '');
}

function violations(error: z.ZodError): { field: string; description: string }[] {
  return error.issues.slice(0, 10).map((i) => ({ field: fieldPath(i.path), description: i.message }));
}

/** The keys a member is known by: each hash alone, and the address as one key. */
export function googleMemberKeys(member: GoogleAudienceMember): string[] {
  const keys: string[] = [];
  for (const id of member.userData.userIdentifiers) {
    if ('emailAddress' in id) keys.push(`email:${id.emailAddress}`);
    else if ('phoneNumber' in id) keys.push(`phone:${id.phoneNumber}`);
    else keys.push(`address:${id.address.givenName}:${id.address.familyName}:${id.address.regionCode}:${id.address.postalCode}`);
  }
  return keys;
}

export async function startGoogleServer(options: GoogleServerOptions = {}): Promise<RunningGoogleServer> {
  const token = options.token ?? 'google-test-token';
  const maxMembers = options.maxMembers ?? GOOGLE_MAX_MEMBERS_PER_REQUEST;
  const windowMs = options.rateLimit?.windowMs ?? 60_000;
  const failures: { status: 429 | 503; retryAfterSeconds: number }[] = [];
  const queueFailures = (count: number, status: 429 | 503, retryAfterSeconds: number) => {
    for (let i = 0; i < count; i++) failures.push({ status, retryAfterSeconds });
  };
  queueFailures(options.failures?.count ?? 0, options.failures?.status ?? 429, options.failures?.retryAfterSeconds ?? 1);
  let latencyMs = options.latencyMs ?? 0;
  const outage = new Outage();
  const counts: GoogleServerCounts = { requests: 0, accepted: 0, ingests: 0, removes: 0, duplicates: 0, rejected: 0, throttled: 0, unauthorized: 0, membersAdded: 0, membersRemoved: 0 };
  const deliveries: GoogleDelivery[] = [];
  const byKey = new Map<string, { bodySha: string; response: { requestId: string } }>();
  const audiences = new Audiences();
  const calls: number[] = [];

  const app = Fastify({ logger: false, bodyLimit: 256 * 1024 * 1024 });
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const code = err.statusCode ?? 500;
    counts.rejected++;
    void reply.code(code).send(googleError(code, code === 413 ? 'INVALID_ARGUMENT' : code < 500 ? 'INVALID_ARGUMENT' : 'INTERNAL', code === 413 ? 'Request payload too large.' : 'Invalid JSON payload received.'));
  });

  const handle = (operation: 'ingest' | 'remove') => async (req: FastifyRequest, reply: FastifyReply) => {
    counts.requests++;
    if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
    const down = outage.answer();
    if (down) {
      counts.throttled++;
      const body =
        down.status === 429
          ? googleError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded (outage).')
          : down.status === 503
            ? googleError(503, 'UNAVAILABLE', 'The service is currently unavailable (outage).')
            : googleError(500, 'INTERNAL', 'Internal error encountered (outage).');
      return reply.code(down.status).headers(down.headers).send(body);
    }
    const failure = failures.shift();
    if (failure) {
      counts.throttled++;
      const status = failure.status;
      return reply
        .code(status)
        .header('retry-after', String(failure.retryAfterSeconds))
        .send(status === 429 ? googleError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded (injected).') : googleError(503, 'UNAVAILABLE', 'The service is currently unavailable (injected).'));
    }
    if (options.rateLimit) {
      const now = Date.now();
      while (calls.length && calls[0]! <= now - windowMs) calls.shift();
      if (calls.length >= options.rateLimit.requests) {
        counts.throttled++;
        const wait = Math.max(1, Math.ceil((calls[0]! + windowMs - now) / 1000));
        return reply.code(429).header('retry-after', String(wait)).send(googleError(429, 'RESOURCE_EXHAUSTED', `Quota exceeded: more than ${options.rateLimit.requests} requests in ${windowMs} ms.`));
      }
      calls.push(now);
    }
    const auth = req.headers.authorization;
    if (!auth?.startsWith('Bearer ')) {
      counts.unauthorized++;
      return reply.code(401).send(googleError(401, 'UNAUTHENTICATED', 'Request is missing required authentication credential. Expected OAuth 2 access token.'));
    }
    if (auth.slice('Bearer '.length) !== token) {
      counts.unauthorized++;
      return reply.code(403).send(googleError(403, 'PERMISSION_DENIED', 'The caller does not have permission.'));
    }

    const raw = req.body as { audienceMembers?: unknown } | undefined;
    if (Array.isArray(raw?.audienceMembers) && raw.audienceMembers.length > maxMembers) {
      counts.rejected++;
      return reply
        .code(413)
        .send(googleError(413, 'INVALID_ARGUMENT', `Too many audience members: ${raw.audienceMembers.length} in one request, at most ${maxMembers}.`, [{ field: 'audience_members', description: `at most ${maxMembers} members per request` }]));
    }
    const parsed = (operation === 'ingest' ? GoogleIngestRequest : GoogleRemoveRequest).safeParse(raw);
    if (!parsed.success) {
      counts.rejected++;
      return reply.code(400).send(googleError(400, 'INVALID_ARGUMENT', 'Request contains an invalid argument.', violations(parsed.error)));
    }
    const body = parsed.data;
    if (operation === 'ingest') {
      const requestConsent = (body as z.infer<typeof GoogleIngestRequest>).consent;
      const missing = body.audienceMembers.flatMap((m, i) => (googleConsentGranted(m, requestConsent) ? [] : [{ field: `audienceMembers[${i}].consent`, description: 'adUserData and adPersonalization must be CONSENT_GRANTED to add a member' }]));
      if (missing.length) {
        counts.rejected++;
        return reply.code(400).send(googleError(400, 'INVALID_ARGUMENT', 'Consent is required to add audience members.', missing.slice(0, 10)));
      }
    }

    const key = typeof req.headers['idempotency-key'] === 'string' ? req.headers['idempotency-key'] : undefined;
    const bodySha = createHash('sha256').update(JSON.stringify(raw)).digest('hex');
    if (key) {
      const seen = byKey.get(key);
      if (seen) {
        if (seen.bodySha !== bodySha) {
          counts.rejected++;
          return reply.code(422).send(googleError(422, 'FAILED_PRECONDITION', 'Idempotency-Key was already used with a different request body.'));
        }
        counts.duplicates++;
        return reply.code(200).send(seen.response);
      }
    }

    const requestId = randomUUID();
    const audienceIds = body.destinations.map((d) => d.productDestinationId);
    for (const id of audienceIds) {
      const audience = audiences.get(id);
      for (const m of body.audienceMembers) {
        const keys = googleMemberKeys(m);
        if (operation === 'ingest') {
          audience.add(keys);
          counts.membersAdded++;
        } else {
          const before = audience.size;
          audience.remove(keys);
          counts.membersRemoved += before - audience.size;
        }
      }
    }
    counts.accepted++;
    if (operation === 'ingest') counts.ingests++;
    else counts.removes++;
    const response = { requestId };
    if (key) byKey.set(key, { bodySha, response });
    deliveries.push({ requestId, operation, idempotencyKey: key, audienceIds, members: body.audienceMembers.length });
    return reply.code(200).send(response);
  };

  for (const prefix of ['/v1/audienceMembers', '/v1/audiencemembers']) {
    app.post(`${prefix}::ingest`, handle('ingest'));
    app.post(`${prefix}::remove`, handle('remove'));
  }

  const address = await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  return {
    url: `${address}/v1`,
    token,
    counts,
    received: () => [...deliveries],
    membership: (id) => audiences.get(id).size,
    hasEmail: (id, sha) => audiences.get(id).has(`email:${sha}`),
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
