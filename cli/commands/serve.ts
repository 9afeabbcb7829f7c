/**
 * `scoreflow serve`: the decision API and XDM event ingest on the Redis online store.
 * Real-time destinations are enabled by their options (or environment variables): a Standard
 * Webhooks endpoint, a NATS JetStream subject, Adobe Target single profile update. Cart abandonment
 * is enabled by --cart-delay and needs a Scoreflow worker on the Temporal task queue.
 *
 * Access: it listens on 127.0.0.1 unless --host says otherwise, and refuses a non-loopback host
 * unless API keys are configured (SCOREFLOW_API_KEYS and/or --api-keys-file; format in
 * activities/online/api-keys.ts), which every /v1/* request must then present as a bearer token.
 * Prometheus metrics are on a port of their own (--metrics-port, loopback by default), so the API
 * port exposes no process internals and a scraper needs no API key.
 */
import type { Command } from 'commander';
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { durationMs } from '../../contracts/pipeline-config.ts';
import { createWebhookAdapter } from '../../activities/destinations/webhook.ts';
import { createNatsJetStreamAdapter } from '../../activities/destinations/nats-jetstream.ts';
import { API_KEYS_ENV, createApiKeyChecker, loadApiKeys } from '../../activities/online/api-keys.ts';
import { createCartHooks } from '../../activities/online/cart-hooks.ts';
import { buildDecisionApi } from '../../activities/online/decision-api.ts';
import type { EcidMapping } from '../../activities/online/event-ingest.ts';
import { DEFAULT_FALLBACK_POLICY_PATH, loadRulePolicy } from '../../activities/online/fallback-policy.ts';
import { DEFAULT_ONLINE_ROUTES } from '../../activities/online/online-blob.ts';
import { DEFAULT_ONLINE_NAMESPACE } from '../../activities/online/online-keys.ts';
import { createOnlineMetrics } from '../../activities/online/online-metrics.ts';
import { loadChampionScorer } from '../../activities/online/online-scorer.ts';
import type { RealtimeDestination } from '../../activities/online/realtime-publish.ts';
import { createOnlineRedis, redisUrl } from '../../activities/online/redis-connection.ts';
import { createTargetProfileRealtimeAdapter } from '../../activities/online/target-profile-realtime.ts';
import { logger } from '../../activities/observability/logger.ts';
import { getPool } from '../../activities/store/db.ts';
import { loadPipelineConfig } from '../../activities/run/pipeline.ts';
import { connectClient } from '../../workers/client.ts';
import { REALTIME_TASK_QUEUE, isLoopbackHost } from '../../workers/config.ts';
import { startMetricsServer, type MetricsServer } from '../../workers/metrics.ts';
import { emit, UsageError } from '../output.ts';
import { defaultPipelinePath } from './run.ts';

export interface ServeOptions {
  port?: string;
  host: string;
  /** API keys file (one key per line, optional scopes); adds to SCOREFLOW_API_KEYS. */
  apiKeysFile?: string;
  /** Port of GET /metrics: a number, 0 for any free port, or "off". */
  metricsPort: string;
  metricsHost: string;
  pipeline: string;
  redis: string;
  namespace: string;
  fallbackPolicy?: string;
  events: boolean;
  staleAfter: string;
  readTimeoutMs: string;
  ecidMapping: string;
  webhookUrl?: string;
  webhookSecretEnv: string;
  nats?: string;
  natsStream: string;
  natsSubject: string;
  targetUrl?: string;
  targetClient?: string;
  targetTokenEnv?: string;
  cartDelay?: string;
  cartWebhookUrl?: string;
  json?: boolean;
}

export interface RunningServe {
  app: FastifyInstance;
  url: string;
  /** The /metrics URL, or null when --metrics-port off. */
  metricsUrl: string | null;
  /** How many API keys guard /v1/* (0: open, loopback only). */
  apiKeys: number;
  scorer: { modelId: string; version: string; source: string };
  destinations: string[];
  cartAbandonment: boolean;
  close(): Promise<void>;
}

/** The listening port: --port, else PORT, else 8080. */
export function servePort(opt: string | undefined, env: Record<string, string | undefined> = process.env): number {
  const raw = opt ?? env.PORT ?? '8080';
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65_535) throw new UsageError(`port "${raw}" is not a TCP port (0–65535); pass --port N or set PORT`);
  return n;
}

/** Serve's --metrics-port: a port, 0 for any free one, or null for "off". */
export function serveMetricsPort(raw: string): number | null {
  if (raw.trim().toLowerCase() === 'off') return null;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65_535) throw new UsageError(`--metrics-port "${raw}" is not a TCP port (0–65535, 0 = any free port) or "off"`);
  return n;
}

export const DEFAULT_SERVE_METRICS_PORT = 9465; // beside the worker's 9464, so both run on one host

/** A duration flag's value in ms, or a usage error naming the flag. */
function durationFlag(flag: string, value: string): number {
  try {
    return durationMs(value);
  } catch {
    throw new UsageError(`${flag} "${value}" is not a duration like 30m (a whole number with ms, s, m, h or d)`);
  }
}

/**
 * Every flag and combination of serve, checked before anything connects: a bad value exits 2 and
 * leaves nothing open (no Redis, database or Temporal connection that would keep the process alive).
 */
function checkServeOptions(o: ServeOptions, env: Record<string, string | undefined>) {
  const port = servePort(o.port, env);
  const metricsPort = serveMetricsPort(o.metricsPort ?? String(DEFAULT_SERVE_METRICS_PORT));
  const mapping = o.ecidMapping as EcidMapping;
  if (mapping !== 'explicit' && mapping !== 'explicit-then-halves') throw new UsageError(`--ecid-mapping must be explicit or explicit-then-halves, not "${o.ecidMapping}"`);
  const readTimeoutMs = Number(o.readTimeoutMs);
  if (!/^\d+$/.test(o.readTimeoutMs.trim()) || !Number.isInteger(readTimeoutMs) || readTimeoutMs <= 0) {
    throw new UsageError(`--read-timeout-ms must be a positive whole number of milliseconds, not "${o.readTimeoutMs}"`);
  }
  const staleAfterMs = durationFlag('--stale-after', o.staleAfter);
  if (o.targetUrl && !o.targetClient) throw new UsageError('--target-url needs --target-client (the Target client code)');
  let cart: { delayMs: number; url: string } | undefined;
  if (o.cartDelay !== undefined) {
    const url = o.cartWebhookUrl ?? o.webhookUrl;
    if (!url) throw new UsageError('--cart-delay needs --cart-webhook-url (or --webhook-url) for the abandonment offer');
    cart = { delayMs: durationFlag('--cart-delay', o.cartDelay), url };
  }
  if (!o.events && (o.webhookUrl || o.nats || o.targetUrl || cart)) {
    throw new UsageError('--webhook-url, --nats, --target-url and --cart-delay act on ingested events; they need the events endpoint (drop --no-events)');
  }
  return { port, metricsPort, mapping, readTimeoutMs, staleAfterMs, cart };
}

export async function startServe(o: ServeOptions, env: Record<string, string | undefined> = process.env): Promise<RunningServe> {
  const log = logger().child({ component: 'decision-api' });
  // Flags, keys and host are checked before anything connects, so a refusal leaves nothing behind.
  const { port, metricsPort, mapping, readTimeoutMs, staleAfterMs, cart: cartOptions } = checkServeOptions(o, env);
  const keys = loadApiKeys({ env, file: o.apiKeysFile });
  if (keys.length === 0 && !isLoopbackHost(o.host)) {
    throw new Error(
      `refusing to serve on ${o.host} without API keys: anyone who can reach it could read decisions and post events. ` +
        `Set ${API_KEYS_ENV} (comma-separated keys, e.g. from "openssl rand -hex 32") or pass --api-keys-file <file>, or listen on loopback (drop --host; the default is 127.0.0.1).`,
    );
  }
  const auth = keys.length > 0 ? createApiKeyChecker(keys) : undefined;
  const cfg = loadPipelineConfig(o.pipeline);
  const fallback = loadRulePolicy(o.fallbackPolicy ?? cfg.fallbackPolicy ?? DEFAULT_FALLBACK_POLICY_PATH);
  const redis = createOnlineRedis(o.redis);
  const closers: (() => Promise<unknown>)[] = [async () => redis.disconnect()];
  const closeAll = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  };

  const destinations: RealtimeDestination[] = [];
  let scorerInfo = { modelId: '', version: '', source: 'none' };
  let cart = false;
  let ingest: Parameters<typeof buildDecisionApi>[0]['ingest'];
  if (o.events) {
    try {
      const champion = await loadChampionScorer(o.pipeline);
      if (champion.registryError) log.warn({ error: champion.registryError }, 'model registry unavailable; re-scoring with the pipeline default artifact');
      scorerInfo = { modelId: champion.scorer.modelId, version: champion.scorer.version, source: champion.source };
      if (o.webhookUrl) {
        destinations.push({ name: 'webhook', adapter: createWebhookAdapter({ url: o.webhookUrl, secretEnv: o.webhookSecretEnv, eventType: 'scoreflow.decision', timeoutMs: 2_000 }) });
      }
      if (o.nats) {
        const nats = createNatsJetStreamAdapter({ servers: o.nats.split(','), stream: o.natsStream, subject: o.natsSubject, ackTimeoutMs: 2_000 });
        destinations.push({ name: 'nats', adapter: nats });
        closers.push(() => nats.close());
      }
      if (o.targetUrl) {
        destinations.push({ name: 'target', adapter: createTargetProfileRealtimeAdapter({ baseUrl: o.targetUrl, client: o.targetClient!, tokenEnv: o.targetTokenEnv }) });
      }
      let cartHooks;
      if (cartOptions) {
        // Address, namespace, TLS and API key from the Temporal environment configuration (workers/temporal-connection.ts).
        const temporal = await connectClient(undefined, { identity: `scoreflow-serve@${hostname()}` }).catch((err: Error) => {
          throw new Error(`cart abandonment needs Temporal: ${err.message} Or drop --cart-delay.`);
        });
        closers.push(() => temporal.close());
        cartHooks = createCartHooks({
          client: temporal.client,
          taskQueue: REALTIME_TASK_QUEUE,
          delayMs: cartOptions.delayMs,
          namespace: o.namespace,
          activation: { destination: 'cart-offer', url: cartOptions.url, secretEnv: o.webhookSecretEnv },
        });
        cart = true;
      }
      ingest = {
        scorer: champion.scorer,
        decision: { segments: cfg.scoring.segments, eligibility: cfg.scoring.eligibility, topN: cfg.scoring.topN },
        routes: DEFAULT_ONLINE_ROUTES,
        destinations,
        ledger: getPool(),
        staleAfterMs,
        ecidMapping: mapping,
        cart: cartHooks,
      };
    } catch (err) {
      await closeAll();
      throw err;
    }
  }

  const metrics = createOnlineMetrics({ defaultMetrics: true });
  const app = buildDecisionApi({ redis, namespace: o.namespace, fallback, ingest, readTimeoutMs, metrics, auth, log });
  let metricsServer: MetricsServer | null = null;
  try {
    if (metricsPort !== null) {
      metricsServer = await startMetricsServer(metrics.registry, { port: metricsPort, host: o.metricsHost }).catch((err: NodeJS.ErrnoException) => {
        throw new Error(`cannot serve metrics on ${o.metricsHost}:${metricsPort} (${err.code ?? err.message}); pass --metrics-port N (0 = any free port) or --metrics-port off`);
      });
      closers.push(() => metricsServer!.close());
    }
    await app.listen({ port, host: o.host });
  } catch (err) {
    await app.close().catch(() => undefined);
    await closeAll();
    throw err;
  }
  const address = listenUrl(app);
  log.info({ url: address, metrics: metricsServer?.url ?? null, keyCount: keys.length, keySources: keys.map((k) => k.source) }, 'decision API listening');
  return {
    app,
    url: address,
    metricsUrl: metricsServer?.url ?? null,
    apiKeys: keys.length,
    scorer: scorerInfo,
    destinations: destinations.map((d) => d.name),
    cartAbandonment: cart,
    async close() {
      await app.close();
      for (const c of closers.reverse()) await c().catch(() => undefined);
    },
  };
}

/** The URL the server answers on, from its bound address (Fastify's listen() may name another interface first). */
function listenUrl(app: FastifyInstance): string {
  const a = app.server.address();
  if (!a || typeof a === 'string') throw new Error('the decision API is not listening on TCP');
  const host = a.address === '0.0.0.0' || a.address === '::' ? '127.0.0.1' : a.address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${a.port}`;
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Run the decision API (GET /v1/decisions/:entityId) and XDM event ingest (POST /v1/events) on the Redis online store.')
    .option('--port <n>', 'port to listen on (default: PORT, else 8080)')
    .option('--host <address>', 'address to listen on; a non-loopback one needs API keys', '127.0.0.1')
    .option('--api-keys-file <file>', `API keys, one per line: "<key> [decisions:read,events:write]" (no scopes = all); adds to ${API_KEYS_ENV}`)
    .option('--metrics-port <n>', 'port of GET /metrics (Prometheus), 0 = any free port, off = none', String(DEFAULT_SERVE_METRICS_PORT))
    .option('--metrics-host <address>', 'address of the metrics port (unauthenticated: keep it on loopback or a private network)', '127.0.0.1')
    .option('--pipeline <file>', 'pipeline config: decision rules and the champion model', defaultPipelinePath())
    .option('--redis <url>', 'the online store (REDIS_URL)', redisUrl())
    .option('--namespace <ns>', 'online store key namespace', DEFAULT_ONLINE_NAMESPACE)
    .option('--fallback-policy <file>', "rules policy artifact (default: the pipeline's fallbackPolicy)")
    .option('--no-events', 'serve decisions only, no POST /v1/events')
    .option('--stale-after <duration>', 'events older than this never trigger an activation', '30m')
    .option('--read-timeout-ms <ms>', 'deadline of an online store read on the decision path; past it the fallback answers', '30')
    .option('--ecid-mapping <mode>', 'explicit (the ECID map only) or explicit-then-halves (also ECID halves as visid high/low; unverified)', 'explicit')
    .option('--webhook-url <url>', 'real-time webhook destination (Standard Webhooks)', process.env.SCOREFLOW_REALTIME_WEBHOOK_URL)
    .option('--webhook-secret-env <name>', 'environment variable holding the whsec_ signing secret', 'SCOREFLOW_WEBHOOK_SECRET')
    .option('--nats <servers>', 'real-time NATS JetStream servers, comma-separated', process.env.SCOREFLOW_REALTIME_NATS)
    .option('--nats-stream <name>', 'JetStream stream', 'SCOREFLOW_DECISIONS')
    .option('--nats-subject <subject>', 'JetStream subject', 'scoreflow.decisions')
    .option('--target-url <url>', 'Adobe Target base URL for single profile updates, e.g. https://<client>.tt.omtrdc.net')
    .option('--target-client <code>', 'Adobe Target client code')
    .option('--target-token-env <name>', 'environment variable holding a Target bearer token')
    .option('--cart-delay <duration>', 'enable cart abandonment: offer after this long without a purchase (e.g. 30m)')
    .option('--cart-webhook-url <url>', 'where the abandonment offer goes (default: --webhook-url)')
    .option('--json', 'print one JSON object once listening')
    .action(async (o: ServeOptions) => {
      const s = await startServe(o);
      emit(o, { url: s.url, metricsUrl: s.metricsUrl, apiKeys: s.apiKeys, model: s.scorer, destinations: s.destinations, cartAbandonment: s.cartAbandonment }, () =>
        [
          `Decision API on ${s.url} (OpenAPI: ${s.url}/openapi.json, metrics: ${s.metricsUrl ?? 'off'})`,
          s.apiKeys > 0 ? `  access: /v1/* needs "Authorization: Bearer <key>" (${s.apiKeys} key${s.apiKeys === 1 ? '' : 's'} configured)` : `  access: open, loopback only (set ${API_KEYS_ENV} or --api-keys-file to require keys)`,
          o.events ? `  events: re-scoring with ${s.scorer.modelId}@${s.scorer.version} (${s.scorer.source}); real-time destinations: ${s.destinations.join(', ') || 'none'}; cart abandonment: ${s.cartAbandonment ? 'on' : 'off'}` : '  events: off',
          '  Ctrl-C stops it.',
        ].join('\n'),
      );
      await new Promise<void>((resolve) => {
        const stop = () => void s.close().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
