/**
 * The decision API (Fastify): reads the online store and answers an entity's compact decision for
 * one destination, and ingests XDM events.
 *
 *   GET  /v1/decisions/:entityId?destination=target   the decision, `source: "model" | "fallback"`
 *   POST /v1/events                                    XDM ExperienceEvents (one, an array, or {events})
 *   GET  /healthz  liveness · GET /readyz  Redis reachable and breaker not open
 *   GET  /openapi.json
 *
 * Access (see api-keys.ts): with an ApiKeyChecker, every /v1/* route needs "Authorization: Bearer
 * <key>" holding the route's scope (decisions:read, events:write): 401 without a valid key, 403
 * without the scope. Bodies must be application/json (415 otherwise): a text/plain POST is a CORS
 * "simple request" any web page could send cross-site, so it is refused, not parsed. Prometheus
 * metrics are not served here but on a port of their own (cli/commands/serve.ts).
 *
 * A decision that is missing, past its expires_at (checked here, whatever the key's TTL), unreadable
 * (bad JSON or off-contract), or that Redis cannot give (down, slower than the read deadline, or the
 * circuit breaker open) is answered from the deterministic rule-based fallback, marked
 * `source: "fallback"` with the reason. A dependency failure never produces a 5xx on this route.
 * The breaker (opossum) opens after repeated store failures, so an outage costs no deadline per
 * request; it half-opens after `resetTimeoutMs` to probe and closes when Redis answers again.
 * Validated blobs are memoised by their exact bytes (BlobReadCache), so a hot entity costs one GET.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import CircuitBreaker from 'opossum';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ApiError, DecisionAnswer, DecisionParams, ENTITY_ID_HELP, ENTITY_ID_PATTERN, IngestSummary, decisionQuery, routeSchema } from '../../contracts/decision-api.ts';
import { ONLINE_DECISION_CONTRACT_VERSION } from '../../contracts/online-decision.ts';
import { parseEventBatch, XDM_EVENT_TYPES } from '../../contracts/xdm-experience-event.ts';
import type { ApiKeyChecker, ApiScope } from './api-keys.ts';
import { createEventIngest, type EventIngestOptions } from './event-ingest.ts';
import type { FallbackPolicy, FallbackReason } from './fallback-policy.ts';
import { BlobReadCache, DEFAULT_ONLINE_ROUTES, isExpired, type BlobRead } from './online-blob.ts';
import { COUNTER_NAMES, readCounters } from './online-features.ts';
import { DEFAULT_ONLINE_NAMESPACE, onlineKeys } from './online-keys.ts';
import { BREAKER_STATE_VALUE, createOnlineMetrics, type OnlineMetrics } from './online-metrics.ts';

export interface BreakerOptions {
  /** How long the breaker stays open before a probe (default 1000 ms). */
  resetTimeoutMs: number;
  /** Failure share in the rolling window that opens it (default 50). */
  errorThresholdPercentage: number;
  /** Calls in the window before it may open (default 5). */
  volumeThreshold: number;
  /** Rolling window (default 2000 ms). */
  rollingCountTimeoutMs: number;
  /** Consecutive failures that open it, whatever the window holds (default 5)... */
  consecutiveFailures: number;
  /** ...once they span at least this long (default 200 ms), so one stall of the process does not. */
  consecutiveSpanMs: number;
}

export interface DecisionApiOptions {
  /** The online store; create it with createOnlineRedis (fail-fast, short command timeout). */
  redis: Redis;
  namespace?: string;
  fallback: FallbackPolicy;
  /** Destination names the API answers for (default: target, webhook, nats). */
  destinations?: readonly string[];
  /** When `?destination=` is absent (default "target"). */
  defaultDestination?: string;
  breaker?: Partial<BreakerOptions>;
  /** Deadline of a store read on the decision path (default 30 ms). */
  readTimeoutMs?: number;
  /** Event ingest; without it POST /v1/events is not served. */
  ingest?: Omit<EventIngestOptions, 'redis' | 'keys' | 'metrics' | 'log' | 'now'>;
  events?: { maxEvents?: number; bodyLimitBytes?: number; maxSkewMs?: number };
  /** Validated blobs memoised by their exact bytes (default 10,000 entries; 0 disables). */
  blobCacheSize?: number;
  metrics?: OnlineMetrics;
  /** API keys; when given, /v1/* routes need a bearer key with their scope. Without it they are open (loopback use). */
  auth?: ApiKeyChecker;
  log?: Logger;
  now?: () => number;
}

/** The OpenAPI security scheme every /v1/* route names when keys are configured. */
export const BEARER_SCHEME = 'bearerAuth';

export type { DecisionAnswer };

// Route schemas, derived from the zod contract (contracts/decision-api.ts): one source for the
// types, the validation and the OpenAPI document.
const errorSchema = routeSchema(ApiError);
const decisionSchema = routeSchema(DecisionAnswer);
const ingestSummarySchema = routeSchema(IngestSummary);

export class StoreDeadlineError extends Error {
  override name = 'StoreDeadline';
}

/**
 * Rejects when `p` has not settled within `ms`. The rejection is deferred to the event loop's check
 * phase (setImmediate after the timer): when this process was descheduled past the deadline, the
 * poll phase first reads the replies already waiting on the socket, so a reply that arrived in time
 * is not turned into a false timeout.
 */
export function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      setImmediate(() => {
        if (settled) return;
        settled = true;
        reject(new StoreDeadlineError(`the online store did not answer within ${ms} ms`));
      });
    }, ms);
    p.then(
      (v) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

const FORBIDDEN_KEY = 'SCOREFLOW_FORBIDDEN_KEY';

/** A JSON body with a key that could alter object prototypes; its message is where the key is. */
class ForbiddenKeyError extends Error {}

/** JSON.parse that refuses `__proto__` and `constructor.prototype` keys (ForbiddenKeyError) instead of passing them on. */
export function parseJsonBody(text: string): unknown {
  let forbidden: string | null = null;
  const value: unknown = JSON.parse(text, (key, v: unknown) => {
    if (forbidden === null && (key === '__proto__' || (key === 'constructor' && v !== null && typeof v === 'object' && Object.hasOwn(v, 'prototype')))) {
      forbidden = key === '__proto__' ? 'key __proto__' : 'key constructor.prototype';
    }
    return v;
  });
  if (forbidden !== null) throw new ForbiddenKeyError(forbidden);
  return value;
}

/** The EntityId contract's pattern (contracts/record/identity.ts). */
const ENTITY_PATTERN = ENTITY_ID_PATTERN;

export function buildDecisionApi(opts: DecisionApiOptions): FastifyInstance {
  const redis = opts.redis;
  const keys = onlineKeys(opts.namespace ?? DEFAULT_ONLINE_NAMESPACE);
  const metrics = opts.metrics ?? createOnlineMetrics();
  const now = opts.now ?? Date.now;
  const destinations = new Set(opts.destinations ?? DEFAULT_ONLINE_ROUTES.map((r) => r.name));
  const defaultDestination = opts.defaultDestination ?? (destinations.has('target') ? 'target' : [...destinations][0]!);
  const maxEvents = opts.events?.maxEvents ?? 500;
  const bodyLimit = opts.events?.bodyLimitBytes ?? 512 * 1024;
  const maxSkewMs = opts.events?.maxSkewMs ?? 120_000;
  const log = opts.log;
  const clock = { now, maxSkewMs };
  const blobs = new BlobReadCache(opts.blobCacheSize ?? 10_000);

  const b: BreakerOptions = {
    resetTimeoutMs: 1_000,
    errorThresholdPercentage: 50,
    volumeThreshold: 5,
    rollingCountTimeoutMs: 2_000,
    consecutiveFailures: 5,
    consecutiveSpanMs: 200,
    ...opts.breaker,
  };
  const readTimeoutMs = opts.readTimeoutMs ?? 30;
  const READ_DECISION = 0;
  const READ_COUNTERS = 1;
  // One action for both reads, taking arguments, so the hot path allocates no closure per request.
  const breaker = new CircuitBreaker<[number, string], unknown>(
    (kind, key) => withDeadline<unknown>(kind === READ_DECISION ? redis.get(key) : redis.hgetall(key), readTimeoutMs),
    {
      timeout: false, // withDeadline bounds each call
      resetTimeout: b.resetTimeoutMs,
      errorThresholdPercentage: b.errorThresholdPercentage,
      volumeThreshold: b.volumeThreshold,
      rollingCountTimeout: b.rollingCountTimeoutMs,
      rollingCountBuckets: 10,
      name: 'redis-online-store',
    },
  );
  const breakerState = () => (breaker.opened ? 'open' : breaker.halfOpen ? 'half_open' : 'closed');
  const setBreakerGauge = () => metrics.breakerState.set(BREAKER_STATE_VALUE[breakerState()]);
  breaker.on('open', () => {
    setBreakerGauge();
    log?.warn({ breaker: 'redis-online-store' }, 'online store breaker opened: answering from the fallback policy');
  });
  breaker.on('halfOpen', setBreakerGauge);
  // A busy window full of earlier successes would keep the percentage low for seconds while every
  // call waits out its deadline; a run of failures with no success in between, lasting at least
  // consecutiveSpanMs, opens the breaker. The span keeps one stall of this process (every read in
  // flight failing at the same instant) from opening it.
  let consecutive = 0;
  let streakStart = 0;
  breaker.on('success', () => {
    consecutive = 0;
  });
  breaker.on('failure', () => {
    const t = performance.now();
    if (consecutive++ === 0) streakStart = t;
    if (consecutive >= b.consecutiveFailures && t - streakStart >= b.consecutiveSpanMs && breaker.closed) breaker.open();
  });
  breaker.on('close', () => {
    consecutive = 0;
    setBreakerGauge();
    log?.info({ breaker: 'redis-online-store' }, 'online store breaker closed: answering from the store again');
  });
  setBreakerGauge();

  // The hot path's label children, bound once.
  const modelCount = metrics.decisions.labels({ source: 'model', reason: '' });
  const modelLatency = metrics.decisionLatency.labels({ source: 'model' });

  const ingest = opts.ingest ? createEventIngest({ ...opts.ingest, redis, keys, metrics, log, now }) : undefined;

  const app = Fastify({ logger: false, bodyLimit, return503OnClosing: true });
  const auth = opts.auth;
  // Fastify parses text/plain by default; only application/json is accepted (see the module comment).
  app.removeContentTypeParser('text/plain');
  // fastify's own JSON parser answers a __proto__ key and broken JSON alike ("invalid JSON"); this one tells them apart.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      const e = (err instanceof ForbiddenKeyError ? err : new Error('the body is not JSON')) as FastifyError;
      (e as { code: string }).code = err instanceof ForbiddenKeyError ? FORBIDDEN_KEY : 'FST_ERR_CTP_INVALID_JSON_BODY';
      e.statusCode = 400;
      done(e, undefined);
    }
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send({ error: 'body_too_large', path: '(body)', message: `the body is over ${bodyLimit} bytes; send fewer events per request (at most ${maxEvents})` });
    }
    if (err.code === FORBIDDEN_KEY) {
      // Valid JSON, refused on purpose: a __proto__ (or constructor.prototype) key could pollute prototypes.
      return reply.code(400).send({
        error: 'forbidden_key',
        path: '(body)',
        message: `the body holds a "__proto__" or "constructor.prototype" key (${err.message}), which is refused because it could alter object prototypes; remove that key and send again`,
      });
    }
    if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err instanceof SyntaxError) {
      return reply.code(400).send({ error: 'invalid_json', path: '(body)', message: 'the body is not valid JSON' });
    }
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      const got = req.headers['content-type'];
      return reply.code(415).send({
        error: 'unsupported_media_type',
        path: '(headers).content-type',
        message: `the body must be sent as Content-Type: application/json (got ${got ? JSON.stringify(got.slice(0, 100)) : 'no Content-Type'}); text/plain and form bodies are refused so no web page can post events cross-site`,
      });
    }
    if (err.validation) return reply.code(400).send({ error: 'invalid_request', path: String(err.validationContext ?? '(request)'), message: err.message });
    log?.error({ error: err.message }, 'decision API error');
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    return reply.code(status).send({ error: status === 500 ? 'internal' : 'bad_request', message: status === 500 ? 'unexpected error; see the service log' : err.message });
  });

  app.addHook('onClose', async () => {
    breaker.shutdown();
  });

  void app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Scoreflow decision API',
        version: ONLINE_DECISION_CONTRACT_VERSION,
        description:
          'Real-time decisions from the Redis online store, with a deterministic rules fallback; XDM ExperienceEvent ingest. ' +
          'Decisions are derived from the canonical activation record (contract activation_record) and follow the online_decision contract.',
      },
      tags: [{ name: 'decisions' }, { name: 'events' }, { name: 'operations' }],
      components: {
        securitySchemes: {
          [BEARER_SCHEME]: {
            type: 'http',
            scheme: 'bearer',
            description: `An API key of this server (SCOREFLOW_API_KEYS or --api-keys-file) as "Authorization: Bearer <key>". Scopes: decisions:read (GET /v1/decisions), events:write (POST /v1/events).${auth ? '' : ' This server runs without keys (loopback only), so no route requires one.'}`,
          },
        },
      },
    },
  });
  // The same document, browsable: Swagger UI at /docs, with its assets served locally (no CDN).
  void app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: false } });

  /** Route options of a /v1 route needing `scope`: the check, and its OpenAPI description. */
  const secured = (scope: ApiScope) =>
    auth
      ? {
          security: [{ [BEARER_SCHEME]: [] }],
          responses: { 401: { ...errorSchema, description: 'No valid API key (see WWW-Authenticate)' }, 403: { ...errorSchema, description: `The key lacks scope ${scope}` } },
          onRequest: async (req: FastifyRequest, reply: FastifyReply) => {
            const r = auth.check(req.headers.authorization, scope);
            if (r.ok) return;
            metrics.authFailures.inc({ reason: r.error });
            const challenge =
              r.status === 403
                ? `Bearer realm="scoreflow", error="insufficient_scope", scope="${scope}"`
                : r.error === 'missing_credentials'
                  ? 'Bearer realm="scoreflow"'
                  : `Bearer realm="scoreflow", error="invalid_token"`;
            // Never the header or the key: only why it was refused.
            log?.warn({ route: req.routeOptions.url, reason: r.error }, 'decision API request refused');
            return reply.code(r.status).header('www-authenticate', challenge).send({ error: r.error, path: '(headers).authorization', message: r.message });
          },
        }
      : { security: undefined, responses: {}, onRequest: undefined };

  const fallbackFeatures = async (entityId: string | null): Promise<Record<string, number | null>> => {
    if (!entityId || breaker.opened) return {};
    try {
      const hash = (await breaker.fire(READ_COUNTERS, keys.features(entityId))) as Record<string, string>;
      const c = readCounters(hash);
      const f: Record<string, number | null> = Object.fromEntries(COUNTER_NAMES.map((n) => [n, c.counts[n] ?? 0]));
      f.recency_days = c.lastEventMs === null ? null : Math.max(0, (now() - c.lastEventMs) / 86_400_000);
      return f;
    } catch {
      return {};
    }
  };

  function sendFallback(reply: FastifyReply, t0: number, entityId: string, destination: string, reason: FallbackReason, features: Record<string, number | null>) {
    const f = opts.fallback.decide({ destination, reason, features });
    metrics.decisions.inc({ source: 'fallback', reason });
    metrics.decisionLatency.observe({ source: 'fallback' }, (performance.now() - t0) / 1000);
    const answer: DecisionAnswer = {
      entity_id: entityId,
      destination,
      source: 'fallback',
      segment: f.segment,
      flags: { activate: false, eligible: false, consented: false, control: false },
      suppressed_by: 'no_consent',
      decision_token: f.decision_token,
      score: f.score,
      model_version: null,
      decision_policy: 'rules',
      expires_at: null,
      contract_version: ONLINE_DECISION_CONTRACT_VERSION,
      source_cycle: null,
      origin: null,
      fallback_reason: reason,
      fallback_policy: f.policy,
    };
    return reply.send(answer);
  }

  const decisionsAccess = secured('decisions:read');
  const eventsAccess = secured('events:write');

  void app.register(async (api) => {
    api.get<{ Params: { entityId: string }; Querystring: { destination?: string } }>(
      '/v1/decisions/:entityId',
      {
        attachValidation: true,
        onRequest: decisionsAccess.onRequest,
        schema: {
          security: decisionsAccess.security,
          tags: ['decisions'],
          summary: "An entity's current decision for one destination",
          description:
            'Answers from the online store when it holds an unexpired, valid decision (source "model"); otherwise from the rules fallback policy ' +
            '(source "fallback", with fallback_reason). A fallback decision never activates. Dependency failures never give a 5xx.',
          params: routeSchema(DecisionParams),
          querystring: routeSchema(decisionQuery([...destinations] as [string, ...string[]], defaultDestination)),
          response: { 200: decisionSchema, 400: errorSchema, ...decisionsAccess.responses },
        },
      },
      async (req, reply) => {
        const t0 = performance.now();
        const entityId = req.params.entityId;
        if (!ENTITY_PATTERN.test(entityId)) return reply.code(400).send({ error: 'invalid_entity_id', path: 'params.entityId', message: ENTITY_ID_HELP });
        const destination = req.query.destination ?? defaultDestination;
        if (!destinations.has(destination)) {
          return reply.code(400).send({ error: 'unknown_destination', path: 'query.destination', message: `destination must be one of ${[...destinations].join(', ')}` });
        }
        let raw: string | null;
        try {
          raw = (await breaker.fire(READ_DECISION, keys.decision(entityId))) as string | null;
        } catch {
          return sendFallback(reply, t0, entityId, destination, 'store_unavailable', {});
        }
        if (raw === null) return sendFallback(reply, t0, entityId, destination, 'missing', await fallbackFeatures(entityId));
        const read: BlobRead = blobs.read(raw);
        if (!read.ok) {
          metrics.quarantined.inc({ boundary: 'read' });
          if (blobs.lastMiss) log?.warn({ path: read.path, reason: read.reason }, 'unreadable online decision: served from the fallback until it is rewritten');
          return sendFallback(reply, t0, entityId, destination, 'unreadable', await fallbackFeatures(entityId));
        }
        const blob = read.blob;
        if (isExpired(blob, now())) return sendFallback(reply, t0, entityId, destination, 'expired', await fallbackFeatures(entityId));
        const d = blob.decisions[destination];
        if (!d) return sendFallback(reply, t0, entityId, destination, 'no_destination_decision', await fallbackFeatures(entityId));
        modelCount.inc();
        modelLatency.observe((performance.now() - t0) / 1000);
        return reply.send({
          entity_id: entityId,
          destination,
          source: 'model',
          segment: d.segment,
          flags: d.flags,
          suppressed_by: d.suppressed_by,
          decision_token: d.decision_token,
          score: blob.score,
          model_version: blob.model_version,
          decision_policy: blob.decision_policy,
          expires_at: blob.expires_at,
          contract_version: blob.contract_version,
          source_cycle: blob.source_cycle,
          origin: blob.origin,
          fallback_reason: null,
          fallback_policy: null,
        } satisfies DecisionAnswer);
      },
    );

    if (ingest) {
      api.post(
        '/v1/events',
        {
          bodyLimit,
          onRequest: eventsAccess.onRequest,
          schema: {
            security: eventsAccess.security,
            tags: ['events'],
            summary: 'Ingest XDM ExperienceEvents',
            description:
              `One event, an array, or {"events":[...]}; at most ${maxEvents} events and ${bodyLimit} bytes. The whole batch is validated first ` +
              `(identityMap.ECID[0].id 38 digits, RFC 3339 timestamp not in the future beyond ${maxSkewMs} ms, eventType one of ${XDM_EVENT_TYPES.join(', ')}); ` +
              'any problem refuses the batch with 400 and the field path, and nothing is applied. Events are deduplicated by _id. ' +
              'The body must be Content-Type: application/json (415 otherwise).',
            body: {},
            response: {
              200: ingestSummarySchema,
              400: errorSchema,
              413: errorSchema,
              415: errorSchema,
              503: errorSchema,
              ...eventsAccess.responses,
            },
          },
        },
        async (req, reply: FastifyReply) => {
          const parsed = parseEventBatch(req.body, clock, { maxEvents });
          if (!parsed.ok) {
            metrics.events.inc({ outcome: 'invalid' });
            const first = parsed.issues[0]!;
            return reply.code(400).send({ error: 'invalid_event', path: first.path, message: `${first.path}: ${first.message}`, issues: parsed.issues });
          }
          if (breaker.opened || redis.status !== 'ready') {
            return reply.code(503).header('retry-after', '1').send({ error: 'store_unavailable', message: 'the online store is unavailable; nothing was applied, retry the same batch (events dedupe on _id)' });
          }
          try {
            return reply.send(await ingest.ingest(parsed.events, now()));
          } catch (err) {
            log?.error({ error: (err as Error).message }, 'event ingest failed');
            return reply.code(503).header('retry-after', '1').send({
              error: 'ingest_failed',
              message: 'the batch was not fully applied (online store or model unavailable); retry the same batch: applied events dedupe on _id',
            });
          }
        },
      );
    }

    api.get('/healthz', { schema: { tags: ['operations'], summary: 'Liveness' } }, async () => ({ status: 'ok' }));

    api.get('/readyz', { schema: { tags: ['operations'], summary: 'Readiness: Redis reachable and the breaker not open' } }, async (_req, reply) => {
      let reachable = false;
      if (redis.status === 'ready') {
        try {
          reachable = (await redis.ping()) === 'PONG';
        } catch {
          reachable = false;
        }
      }
      const state = breakerState();
      const ready = reachable && state !== 'open';
      return reply.code(ready ? 200 : 503).send({ ready, redis: reachable ? 'reachable' : 'unreachable', breaker: state });
    });

    api.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  });

  return app;
}
