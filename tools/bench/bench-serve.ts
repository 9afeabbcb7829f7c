/**
 * Bench sections of the real-time path.
 *
 * `serve`: the decision API (GET /v1/decisions/:entityId, blob read + contract check + expiry +
 * metrics, behind the circuit breaker, with an API key checked on every request, as serve runs off
 * loopback) against the floor a Redis-backed route sets: a bare Fastify
 * route doing one Redis GET of the same keys with the same Redis client settings, measured in the
 * same run on loopback. Each server runs in its own child process; autocannon (50 connections)
 * drives it from this one, alternating the two servers for BENCH_SERVE_ROUNDS rounds (median).
 * Figures: max req/s of both and ratioToBaseline; then p50/p99 of the API and of the bare route at a
 * fixed 5,000 req/s from an open-loop generator (requests sent on schedule whatever the responses
 * do), the generator's own send lag, and the share of fallback answers at that rate.
 * Targets: ratio ≥ 0.7, p99 ≤ 5 ms at 5k req/s.
 *
 * `events`: event-to-webhook latency on loopback. Visitors published cold; each gets one XDM cart add
 * that changes its decision (re-scored in-process with the pipeline's champion artifact); the time
 * from sending the POST to the signed webhook arriving at a local Standard Webhooks receiver (which
 * verifies each signature). Target: p99 ≤ 250 ms.
 *
 * Both use Redis (REDIS_URL, default 127.0.0.1:6379) under a namespace of their own, removed after.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { Webhook } from 'standardwebhooks';
import { FEATURE_NAMES, type FeatureVector } from '../../contracts/feature-set.ts';
import type { CanonicalRecord } from '../../contracts/canonical-record.ts';
import { ArtifactFormat } from '../../contracts/model-artifact.ts';
import { buildCanonicalRecord } from '../../activities/publish/build-record.ts';
import { decide, type DecisionConfig } from '../../activities/scoring/decide.ts';
import { loadScorer } from '../../activities/scoring/load-scorer.ts';
import { createWebhookAdapter } from '../../activities/destinations/webhook.ts';
import { buildDecisionApi } from '../../activities/online/decision-api.ts';
import { loadRulePolicy } from '../../activities/online/fallback-policy.ts';
import { createApiKeyChecker, parseApiKeysEnv } from '../../activities/online/api-keys.ts';
import { createOnlineMetrics } from '../../activities/online/online-metrics.ts';
import { startMetricsServer } from '../../workers/metrics.ts';
import { buildOnlineBlob, DEFAULT_ONLINE_ROUTES } from '../../activities/online/online-blob.ts';
import { onlineKeys } from '../../activities/online/online-keys.ts';
import { createOnlineRedis, redisReady, redisUrl } from '../../activities/online/redis-connection.ts';
import type { OnlineScorer } from '../../activities/online/online-scorer.ts';
import { loadPipelineConfig } from '../../activities/run/pipeline.ts';
import { closePools, getPool, migrate } from '../../activities/store/db.ts';
import type { BenchContext, BenchSection } from './section.ts';

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const PIPELINE = fileURLToPath(new URL('../../pipelines/demo.yaml', import.meta.url));
const CHILD_ENV = 'SCOREFLOW_BENCH_SERVE_CHILD';

function randomEntity(): string {
  const n = () => randomBytes(8).readBigUInt64BE().toString();
  return `${n()}_${n()}`;
}

function randomEcid(): string {
  return `${randomBytes(8).readBigUInt64BE().toString().padStart(20, '0').slice(1)}${randomBytes(8).readBigUInt64BE().toString().padStart(20, '0').slice(1)}`;
}

function decisionConfig(): DecisionConfig {
  const cfg = loadPipelineConfig(PIPELINE);
  return { segments: cfg.scoring.segments, eligibility: cfg.scoring.eligibility, topN: cfg.scoring.topN };
}

function canonical(entityId: string, probability: number, runId: string, cfg: DecisionConfig): CanonicalRecord {
  const consent = { analytics: true, personalization: true, advertising: true, email: true };
  const d = decide(probability, [], {}, consent, cfg);
  return buildCanonicalRecord(entityId, null, { ...d, probability, scoredAt: new Date().toISOString() }, consent, 'treatment', {
    pipeline: 'demo',
    runId,
    modelId: 'purchase-propensity',
    modelVersion: '1.0.0',
    modelDigest: '0'.repeat(64),
    decisionPolicy: 'model',
    featureSnapshot: 'bench',
    featureSetVersion: '1.0.0',
    semantics: { kind: 'probability', outcome: 'purchase', horizon_days: 7 },
    calibration: 'calibrated',
    maxAgeHours: 24,
    recommendationValidityHours: 24,
    consentSource: 'feed_column',
    experimentKey: 'bench',
  });
}

async function clearNamespace(redis: Redis, ns: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${ns}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.unlink(...keys);
  } while (cursor !== '0');
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

// ---------------------------------------------------------------- serve

interface Load {
  url: string;
  paths: string[];
  connections: number;
  durationSeconds: number;
  headers?: Record<string, string>;
}

interface LoadResult {
  rps: number;
  requests: number;
  non2xx: number;
  errors: number;
  p50: number;
  p99: number;
}

async function load(l: Load): Promise<LoadResult> {
  let i = 0;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    autocannon(
      {
        url: l.url,
        connections: l.connections,
        duration: l.durationSeconds,
        headers: l.headers,
        requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: l.paths[i++ % l.paths.length]! }) }],
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
  });
  return {
    rps: result.requests.average,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
}

/**
 * Open-loop load at a fixed rate (autocannon's overallRate sends each second's quota in a burst, so
 * it measures queueing, not the service): request i is sent at start + i/rate on keep-alive sockets,
 * whatever earlier responses do. Latency runs from the actual send to the end of the response;
 * `lagP99` is how late the sends were against the schedule (the generator keeping up).
 */
export async function fixedRateLoad(baseUrl: string, paths: string[], rate: number, seconds: number, headers: Record<string, string> = {}): Promise<{ sent: number; ok: number; failed: number; achievedRps: number; p50: number; p99: number; lagP99: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 512 });
  const u = new URL(baseUrl);
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const lat: number[] = [];
  const lag: number[] = [];
  let ok = 0;
  let failed = 0;
  let done = 0;
  let issued = 0;
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const finish = () => {
      if (++done === total) resolve();
    };
    const fire = (i: number) => {
      const sentAt = performance.now();
      lag.push(sentAt - (start + i * interval));
      const req = httpRequest({ host: u.hostname, port: u.port, path: paths[i % paths.length], agent, method: 'GET', headers }, (res) => {
        res.resume();
        res.on('end', () => {
          lat.push(performance.now() - sentAt);
          if (res.statusCode === 200) ok++;
          else failed++;
          finish();
        });
      });
      req.on('error', () => {
        failed++;
        finish();
      });
      req.end();
    };
    const tick = () => {
      const due = Math.min(total, Math.floor((performance.now() - start) / interval) + 1);
      while (issued < due) fire(issued++);
      if (issued < total) setTimeout(tick, 0);
    };
    tick();
  });
  const elapsed = (performance.now() - start) / 1000;
  agent.destroy();
  lat.sort((a, b) => a - b);
  lag.sort((a, b) => a - b);
  return {
    sent: total,
    ok,
    failed,
    achievedRps: total / elapsed,
    p50: Number(percentile(lat, 50).toFixed(3)),
    p99: Number(percentile(lat, 99).toFixed(3)),
    lagP99: Number(percentile(lag, 99).toFixed(3)),
  };
}

/** The API is measured as production runs it off loopback: every request presents an API key. */
const BENCH_API_KEY = randomBytes(32).toString('hex');
const AUTH_HEADERS = { authorization: `Bearer ${BENCH_API_KEY}` };

async function startChild(mode: 'api' | 'baseline', ns: string): Promise<{ url: string; metricsUrl: string | null; child: ChildProcess }> {
  const child = fork(fileURLToPath(import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, [CHILD_ENV]: mode, SCOREFLOW_BENCH_NS: ns, SCOREFLOW_BENCH_API_KEY: BENCH_API_KEY, LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const announced = await new Promise<{ url: string; metricsUrl?: string }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { url: string; metricsUrl?: string }));
    child.once('exit', (code) => reject(new Error(`bench ${mode} server exited with ${code}`)));
  });
  return { url: announced.url, metricsUrl: announced.metricsUrl ?? null, child };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Child process: one server, announced over IPC, until SIGTERM. */
async function runChildServer(mode: string, ns: string): Promise<void> {
  const keys = onlineKeys(ns);
  let close: () => Promise<void>;
  let url: string;
  let metricsUrl: string | undefined;
  if (mode === 'api') {
    const redis = createOnlineRedis(redisUrl());
    await redisReady(redis);
    const metrics = createOnlineMetrics();
    const auth = createApiKeyChecker(parseApiKeysEnv(process.env.SCOREFLOW_BENCH_API_KEY));
    const app = buildDecisionApi({ redis, namespace: ns, fallback: loadRulePolicy(), readTimeoutMs: 30, metrics, auth });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
    // As serve runs it: metrics on a port of their own.
    const metricsServer = await startMetricsServer(metrics.registry, { port: 0, host: '127.0.0.1' });
    metricsUrl = metricsServer.url;
    close = async () => {
      await app.close();
      await metricsServer.close();
      redis.disconnect();
    };
  } else {
    // The floor: a bare route, one GET, the stored bytes as the answer; the same Redis client
    // settings as the API (auto-pipelining), so the ratio is the API's own cost.
    const redis = createOnlineRedis(redisUrl());
    await redisReady(redis);
    const app = Fastify({ logger: false });
    app.get<{ Params: { entityId: string } }>('/v1/decisions/:entityId', async (req, reply) => {
      const v = await redis.get(keys.decision(req.params.entityId)).catch(() => null);
      return reply.type('application/json').send(v ?? '{}');
    });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
    close = async () => {
      await app.close();
      redis.disconnect();
    };
  }
  process.send?.({ url, metricsUrl });
  process.once('SIGTERM', () => void close().then(() => process.exit(0)));
}

export interface ServeFigures extends Record<string, number> {
  entities: number;
  rounds: number;
  /** Medians over the rounds. */
  apiRps: number;
  baselineRps: number;
  ratioToBaseline: number;
  fixedRate: number;
  fixedRateAchievedRps: number;
  p50Ms: number;
  p99Ms: number;
  /** The bare route at the same rate: the floor this machine sets. */
  baselineP50Ms: number;
  baselineP99Ms: number;
  /** How late the open-loop generator sent against its schedule (p99): a busy machine shows here. */
  sendLagP99Ms: number;
  fallbackShare: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export async function benchServe(opts: { log?: (l: string) => void; entities?: number; durationSeconds?: number; fixedRate?: number; rounds?: number } = {}): Promise<ServeFigures> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const entities = opts.entities ?? 10_000;
  const duration = opts.durationSeconds ?? 10;
  const fixedRate = opts.fixedRate ?? 5_000;
  const rounds = Math.max(1, opts.rounds ?? 3);
  const ns = `bench${Date.now().toString(36)}`;
  const keys = onlineKeys(ns);
  const redis = new Redis(redisUrl());
  const cfg = decisionConfig();
  const ids: string[] = [];
  try {
    let pipe = redis.pipeline();
    for (let i = 0; i < entities; i++) {
      const e = randomEntity();
      ids.push(e);
      const blob = buildOnlineBlob(canonical(e, (i % 100) / 100, 'bench-run', cfg), { cycleAt: Date.now(), features: null, routes: DEFAULT_ONLINE_ROUTES });
      pipe.set(keys.decision(e), JSON.stringify(blob), 'EX', 3600);
      if (pipe.length >= 1000) {
        await pipe.exec();
        pipe = redis.pipeline();
      }
    }
    await pipe.exec();
    const paths = ids.map((e) => `/v1/decisions/${e}?destination=target`);
    log(`serve: ${fmt(entities)} decisions in Redis; ${duration} s per measurement, loopback, servers in child processes`);

    const base = await startChild('baseline', ns);
    const api = await startChild('api', ns).catch(async (err: unknown) => {
      await stopChild(base.child);
      throw err;
    });
    const rps = { baseline: [] as number[], api: [] as number[] };
    const fixed = {} as Record<'baseline' | 'api', Awaited<ReturnType<typeof fixedRateLoad>>>;
    let fallbackShare = 0;
    try {
      // Alternate the two servers so both see the same background load; the median of the rounds.
      for (let round = 1; round <= rounds; round++) {
        for (const [mode, url] of [['baseline', base.url], ['api', api.url]] as const) {
          await load({ url, paths, connections: 50, durationSeconds: 2, headers: AUTH_HEADERS }); // warm-up
          const r = await load({ url, paths, connections: 50, durationSeconds: duration, headers: AUTH_HEADERS });
          if (r.non2xx > 0 || r.errors > 0) throw new Error(`${mode}: ${r.non2xx} non-2xx answers and ${r.errors} errors; the figures would not be comparable`);
          log(`round ${round} ${mode.padEnd(8)} ${fmt(r.rps)} req/s (${fmt(r.requests)} requests), p50 ${r.p50} ms, p99 ${r.p99} ms`);
          rps[mode].push(r.rps);
        }
      }
      const counts = async () => {
        const metrics = await (await fetch(api.metricsUrl!)).text();
        const count = (source: string) =>
          [...metrics.matchAll(new RegExp(`scoreflow_decision_requests_total\\{source="${source}"[^}]*\\} (\\d+)`, 'g'))].reduce((sum, m) => sum + Number(m[1]), 0);
        return { model: count('model'), fallback: count('fallback') };
      };
      for (const [mode, url] of [['baseline', base.url], ['api', api.url]] as const) {
        const before = mode === 'api' ? await counts() : undefined;
        await fixedRateLoad(url, paths, fixedRate, 2, AUTH_HEADERS); // warm-up at the rate
        const f = await fixedRateLoad(url, paths, fixedRate, duration, AUTH_HEADERS);
        if (f.failed > 0) throw new Error(`${mode}: ${f.failed} of ${f.sent} requests at ${fixedRate} req/s failed`);
        log(`${mode.padEnd(8)} at ${fmt(fixedRate)} req/s (open loop): achieved ${fmt(f.achievedRps)} req/s, p50 ${f.p50} ms, p99 ${f.p99} ms (generator send lag p99 ${f.lagP99} ms)`);
        fixed[mode] = f;
        if (before) {
          const after = await counts();
          const fb = after.fallback - before.fallback;
          fallbackShare = fb / Math.max(1, fb + after.model - before.model);
        }
      }
    } finally {
      await stopChild(base.child);
      await stopChild(api.child);
    }
    const apiRps = median(rps.api);
    const baselineRps = median(rps.baseline);
    const ratio = apiRps / baselineRps;
    log(
      `serve: median ${fmt(apiRps)} vs ${fmt(baselineRps)} req/s, ratio to a bare Fastify + one Redis GET ${ratio.toFixed(2)} (target ≥ 0.7); ` +
        `p99 at ${fmt(fixedRate)} req/s ${fixed.api.p99} ms, bare route ${fixed.baseline.p99} ms (target ≤ 5 ms); fallback answers at that rate ${(fallbackShare * 100).toFixed(2)} %`,
    );
    return {
      entities,
      rounds,
      apiRps: Math.round(apiRps),
      baselineRps: Math.round(baselineRps),
      ratioToBaseline: Number(ratio.toFixed(3)),
      fixedRate,
      fixedRateAchievedRps: Math.round(fixed.api.achievedRps),
      p50Ms: fixed.api.p50,
      p99Ms: fixed.api.p99,
      baselineP50Ms: fixed.baseline.p50,
      baselineP99Ms: fixed.baseline.p99,
      sendLagP99Ms: fixed.api.lagP99,
      fallbackShare: Number(fallbackShare.toFixed(4)),
    };
  } finally {
    await clearNamespace(redis, ns);
    redis.disconnect();
  }
}

// ---------------------------------------------------------------- events

/** The champion artifact of the demo pipeline, as the real-time path loads it. */
async function championScorer(): Promise<OnlineScorer> {
  const cfg = loadPipelineConfig(PIPELINE);
  const bytes = readFileSync(cfg.model.defaultArtifact!);
  const format = ArtifactFormat.parse((JSON.parse(bytes.toString('utf8')) as { format: string }).format);
  return loadScorer(bytes, format);
}

/** A cycle feature vector that the champion places just below a segment boundary, so one cart add crosses it. */
async function flippingVector(scorer: OnlineScorer, cfg: DecisionConfig): Promise<{ base: FeatureVector; before: string; after: string }> {
  const zero = Object.fromEntries(FEATURE_NAMES.map((n) => [n, 0])) as FeatureVector;
  const consent = { analytics: true, personalization: true, advertising: true, email: true };
  for (let recency = 0; recency <= 60; recency += 0.25) {
    for (let carts = 0; carts <= 10; carts++) {
      const base = { ...zero, recency_days: recency, frequency: 2, session_depth: 3, page_views: 6, product_views: 2, cart_adds: carts };
      const [a, b] = await scorer.score([base, { ...base, cart_adds: carts + 1 }]);
      const da = decide(a!.probability, [], {}, consent, cfg);
      const db = decide(b!.probability, [], {}, consent, cfg);
      if (da.segment.id !== db.segment.id && db.eligible) return { base, before: da.segment.id, after: db.segment.id };
    }
  }
  throw new Error('no feature vector found where one cart add changes the champion decision; the bench needs one');
}

export interface EventFigures extends Record<string, number> {
  events: number;
  concurrency: number;
  delivered: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export async function benchEvents(opts: { log?: (l: string) => void; events?: number; concurrency?: number; databaseUrl?: string } = {}): Promise<EventFigures> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const n = opts.events ?? 1_000;
  const concurrency = opts.concurrency ?? 8;
  const databaseUrl = opts.databaseUrl ?? process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/scoreflow_bench';
  await migrate(databaseUrl);
  const pool = getPool(databaseUrl);
  const ns = `benchev${Date.now().toString(36)}`;
  const keys = onlineKeys(ns);
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const wh = new Webhook(secret);
  const cfg = decisionConfig();
  const scorer = await championScorer();
  const { base, before, after } = await flippingVector(scorer, cfg);
  const baseProbability = (await scorer.score([base]))[0]!.probability;
  log(`events: ${fmt(n)} visitors published ${before} (champion ${scorer.modelId}@${scorer.version}); one cart add each makes them ${after}`);

  // The consumer: verifies each signature and notes when each event's webhook arrived.
  const arrived = new Map<string, number>();
  let badSignatures = 0;
  const receiver = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const t = performance.now();
      const body = Buffer.concat(chunks).toString('utf8');
      try {
        const msg = wh.verify(body, req.headers as Record<string, string>) as { data: { payload: { event_id: string } } };
        arrived.set(msg.data.payload.event_id, t);
        res.writeHead(200).end('{"ok":true}');
      } catch {
        badSignatures++;
        res.writeHead(401).end();
      }
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const addr = receiver.address();
  const webhookUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/webhooks`;

  const redis = new Redis(redisUrl());
  const apiRedis = createOnlineRedis(redisUrl());
  await redisReady(apiRedis);
  const app = buildDecisionApi({
    redis: apiRedis,
    namespace: ns,
    fallback: loadRulePolicy(),
    events: { maxEvents: 100 },
    ingest: {
      scorer,
      decision: cfg,
      routes: DEFAULT_ONLINE_ROUTES,
      destinations: [{ name: 'webhook', adapter: createWebhookAdapter({ url: webhookUrl, secretEnv: 'BENCH_WEBHOOK_SECRET', eventType: 'scoreflow.decision' }, { env: { BENCH_WEBHOOK_SECRET: secret } }) }],
      ledger: pool,
    },
  });
  const apiUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const visitors: { entity: string; ecid: string }[] = [];
    const pipe = redis.pipeline();
    for (let i = 0; i < n; i++) {
      const v = { entity: randomEntity(), ecid: randomEcid() };
      visitors.push(v);
      const blob = buildOnlineBlob(canonical(v.entity, baseProbability, 'bench-events', cfg), { cycleAt: Date.now(), features: base, routes: DEFAULT_ONLINE_ROUTES });
      pipe.set(keys.decision(v.entity), JSON.stringify(blob), 'EX', 3600);
      pipe.set(keys.ecid(v.ecid), v.entity, 'EX', 3600);
    }
    await pipe.exec();

    const sent = new Map<string, number>();
    const send = async (v: { ecid: string }, id: string) => {
      const body = JSON.stringify({ _id: id, timestamp: new Date().toISOString(), eventType: 'commerce.productListAdds', identityMap: { ECID: [{ id: v.ecid, primary: true }] } });
      sent.set(id, performance.now());
      const res = await fetch(`${apiUrl}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      if (res.status !== 200) throw new Error(`POST /v1/events answered ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    };
    // Warm-up on a few extra visitors (JIT, connections), not counted.
    const warm = Array.from({ length: 50 }, () => ({ entity: randomEntity(), ecid: randomEcid() }));
    for (const v of warm) await send(v, `warm-${randomBytes(6).toString('hex')}`);
    sent.clear();
    arrived.clear();

    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < visitors.length) {
          const v = visitors[next++]!;
          await send(v, `bench-${randomBytes(8).toString('hex')}`);
        }
      }),
    );
    const latencies = [...sent.entries()].filter(([id]) => arrived.has(id)).map(([id, t]) => arrived.get(id)! - t).sort((a, b) => a - b);
    if (badSignatures > 0) throw new Error(`${badSignatures} webhooks failed signature verification`);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    log(`events: ${fmt(latencies.length)}/${fmt(n)} webhooks delivered, signatures valid; event→webhook p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${latencies.at(-1)!.toFixed(2)} ms at ${concurrency} concurrent senders (target p99 ≤ 250 ms)`);
    return { events: n, concurrency, delivered: latencies.length, p50Ms: Number(p50.toFixed(3)), p99Ms: Number(p99.toFixed(3)), maxMs: Number(latencies.at(-1)!.toFixed(3)) };
  } finally {
    await app.close();
    apiRedis.disconnect();
    await new Promise<void>((r) => receiver.close(() => r()));
    await pool.query("DELETE FROM ledger_event WHERE run_id LIKE 'realtime:bench-%' OR run_id LIKE 'realtime:warm-%'");
    await clearNamespace(redis, ns);
    redis.disconnect();
  }
}

export const serveSection: BenchSection = {
  name: 'serve',
  description: 'decision API req/s vs a bare Fastify route doing one Redis GET; p50/p99 at a fixed 5,000 req/s',
  run: (ctx: BenchContext) => benchServe({ log: ctx.log, durationSeconds: Number(process.env.BENCH_SERVE_SECONDS ?? 10), rounds: Number(process.env.BENCH_SERVE_ROUNDS ?? 3) }),
};

export const eventsSection: BenchSection = {
  name: 'events',
  description: 'XDM event → re-score → signed webhook latency on loopback',
  async run(ctx: BenchContext) {
    process.env.LOG_LEVEL ??= 'warn';
    try {
      return await benchEvents({ log: ctx.log, databaseUrl: ctx.databaseUrl });
    } finally {
      await closePools();
    }
  },
};

if (process.env[CHILD_ENV]) {
  runChildServer(process.env[CHILD_ENV]!, process.env.SCOREFLOW_BENCH_NS ?? 'bench').catch((err: unknown) => {
    process.stderr.write(`bench server failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
