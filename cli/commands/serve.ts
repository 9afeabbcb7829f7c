/**
 * `scoreflow serve`: the decision API and XDM event ingest on the Redis online store.
 * Real-time destinations are enabled by their options (or environment variables): a Standard
 * Webhooks endpoint, a NATS JetStream subject, Adobe Target single profile update. Cart abandonment
 * is enabled by --cart-delay and needs a Scoreflow worker on the Temporal task queue.
 */
import type { Command } from 'commander';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { durationMs } from '../../contracts/pipeline-config.ts';
import { createWebhookAdapter } from '../../activities/destinations/webhook.ts';
import { createNatsJetStreamAdapter } from '../../activities/destinations/nats-jetstream.ts';
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
import { REALTIME_TASK_QUEUE, temporalAddress } from '../../workers/config.ts';
import { emit } from '../output.ts';
import { defaultPipelinePath } from './run.ts';

export interface ServeOptions {
  port?: string;
  host: string;
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
  scorer: { modelId: string; version: string; source: string };
  destinations: string[];
  cartAbandonment: boolean;
  close(): Promise<void>;
}

/** The listening port: --port, else PORT, else 8080. */
export function servePort(opt: string | undefined, env: Record<string, string | undefined> = process.env): number {
  const raw = opt ?? env.PORT ?? '8080';
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new Error(`port "${raw}" is not a TCP port (0–65535); pass --port N or set PORT`);
  return n;
}

export async function startServe(o: ServeOptions): Promise<RunningServe> {
  const log = logger().child({ component: 'decision-api' });
  const port = servePort(o.port);
  const mapping = o.ecidMapping as EcidMapping;
  if (mapping !== 'explicit' && mapping !== 'explicit-then-halves') throw new Error(`--ecid-mapping must be explicit or explicit-then-halves, not "${o.ecidMapping}"`);
  const cfg = loadPipelineConfig(o.pipeline);
  const fallback = loadRulePolicy(o.fallbackPolicy ?? cfg.fallbackPolicy ?? DEFAULT_FALLBACK_POLICY_PATH);
  const redis = createOnlineRedis(o.redis);
  const closers: (() => Promise<unknown>)[] = [async () => redis.disconnect()];

  const destinations: RealtimeDestination[] = [];
  let scorerInfo = { modelId: '', version: '', source: 'none' };
  let cart = false;
  let ingest: Parameters<typeof buildDecisionApi>[0]['ingest'];
  if (o.events) {
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
      if (!o.targetClient) throw new Error('--target-url needs --target-client (the Target client code)');
      destinations.push({ name: 'target', adapter: createTargetProfileRealtimeAdapter({ baseUrl: o.targetUrl, client: o.targetClient, tokenEnv: o.targetTokenEnv }) });
    }
    let cartHooks;
    if (o.cartDelay) {
      const url = o.cartWebhookUrl ?? o.webhookUrl;
      if (!url) throw new Error('--cart-delay needs --cart-webhook-url (or --webhook-url) for the abandonment offer');
      const connection = await Connection.connect({ address: temporalAddress() }).catch((err: Error) => {
        throw new Error(`cart abandonment needs Temporal at ${temporalAddress()}: ${err.message}. Start it with "scoreflow dev", or drop --cart-delay.`);
      });
      closers.push(() => connection.close());
      cartHooks = createCartHooks({
        client: new Client({ connection }),
        taskQueue: REALTIME_TASK_QUEUE,
        delayMs: durationMs(o.cartDelay),
        namespace: o.namespace,
        activation: { destination: 'cart-offer', url, secretEnv: o.webhookSecretEnv },
      });
      cart = true;
    }
    ingest = {
      scorer: champion.scorer,
      decision: { segments: cfg.scoring.segments, eligibility: cfg.scoring.eligibility, topN: cfg.scoring.topN },
      routes: DEFAULT_ONLINE_ROUTES,
      destinations,
      ledger: getPool(),
      staleAfterMs: durationMs(o.staleAfter),
      ecidMapping: mapping,
      cart: cartHooks,
    };
  }

  const readTimeoutMs = Number(o.readTimeoutMs);
  if (!Number.isInteger(readTimeoutMs) || readTimeoutMs <= 0) throw new Error(`--read-timeout-ms must be a positive integer, not "${o.readTimeoutMs}"`);
  const app = buildDecisionApi({ redis, namespace: o.namespace, fallback, ingest, readTimeoutMs, metrics: createOnlineMetrics({ defaultMetrics: true }), log });
  const address = await app.listen({ port, host: o.host });
  return {
    app,
    url: address,
    scorer: scorerInfo,
    destinations: destinations.map((d) => d.name),
    cartAbandonment: cart,
    async close() {
      await app.close();
      for (const c of closers.reverse()) await c().catch(() => undefined);
    },
  };
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Run the decision API (GET /v1/decisions/:entityId) and XDM event ingest (POST /v1/events) on the Redis online store.')
    .option('--port <n>', 'port to listen on (default: PORT, else 8080)')
    .option('--host <address>', 'address to listen on', process.env.HOST ?? '0.0.0.0')
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
      emit(o, { url: s.url, model: s.scorer, destinations: s.destinations, cartAbandonment: s.cartAbandonment }, () =>
        [
          `Decision API on ${s.url} (OpenAPI: ${s.url}/openapi.json, metrics: ${s.url}/metrics)`,
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
