/**
 * Prometheus metrics of a worker process, fed by one activity interceptor (no activity knows about
 * it): every activity is timed and its errors counted, and from the activity's name, input and
 * small result the interceptor derives rows per stage, gate outcomes and destination delivery
 * latency. Served as text on GET /metrics, with GET /healthz for the worker's state.
 *
 *   scoreflow_rows_total{pipeline,stage}                            rows through each stage (ingested, loaded, scored, exported, ...)
 *   scoreflow_destination_rows_total{pipeline,destination,outcome}  a destination's delivered, added, updated, removed, rejected rows
 *   scoreflow_gate_outcomes_total{pipeline,gate,status}             one per gate result; gate="overall" for a gate activity's verdict
 *   scoreflow_delivery_latency_seconds{pipeline,destination}        time of one export (or real-time delivery) to a destination
 *   scoreflow_activity_errors_total{pipeline,activity,destination}  failed activity attempts; destination="" when none applies
 *   scoreflow_activity_duration_seconds{pipeline,activity}          every activity attempt, successful or not
 *   scoreflow_last_success_timestamp_seconds{pipeline}              when a cycle of the pipeline last completed (alert on a stalled pipeline)
 *
 * `pipeline` is the pipeline whose run the activity belongs to: named by its input (a pipeline name
 * or the run's pipeline snapshot), by the result of the run's load-pipeline activity, remembered
 * for its workflow from an earlier activity of the same run, or read from a run's workflow id
 * (`<pipeline>.run.<time>`); "" outside a pipeline run (the real-time cart path, standalone activities).
 *   plus prom-client's default metrics under their standard names (process_*, nodejs_*), so stock
 *   Node.js dashboards work, and the Temporal SDK's own metrics (temporal_*: workflow and activity
 *   task latency, schedule-to-start, pollers, sticky cache), which the SDK's Rust core serves on a
 *   loopback port of its own (Runtime telemetry, see temporal-runtime.ts) and /metrics appends.
 *
 * Labels hold only activity, stage, gate and destination names from code and pipeline config, never
 * entity, visitor or customer ids: a label value that is not a plain short name becomes "other".
 *
 * METRICS_PORT: unset → 9464 (the usual Prometheus exporter port); 0 → a free port picked by the OS
 * (its URL is logged; for tests and side-by-side workers); "off" → no server. METRICS_HOST defaults
 * to 127.0.0.1, as `serve` does: the page is unauthenticated, so reaching it from another host
 * (a Prometheus elsewhere) is a choice, METRICS_HOST=0.0.0.0. A port already in use is logged and
 * skipped: metrics never stop a worker from running.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { logger } from '../activities/observability/logger.ts';

export const DEFAULT_METRICS_PORT = 9464;
/** Loopback unless METRICS_HOST says otherwise. */
export const DEFAULT_METRICS_HOST = '127.0.0.1';

export interface WorkerMetrics {
  registry: Registry;
  rows: Counter<'pipeline' | 'stage'>;
  destinationRows: Counter<'pipeline' | 'destination' | 'outcome'>;
  gateOutcomes: Counter<'pipeline' | 'gate' | 'status'>;
  deliveryLatency: Histogram<'pipeline' | 'destination'>;
  activityErrors: Counter<'pipeline' | 'activity' | 'destination'>;
  activityDuration: Histogram<'pipeline' | 'activity'>;
  lastSuccess: Gauge<'pipeline'>;
  /** Workflow id → pipeline, learned from the run's activities (bounded: oldest forgotten first). */
  runPipelines: Map<string, string>;
}

/** Workflows whose pipeline the metrics remember at most. */
const MAX_REMEMBERED_RUNS = 5_000;

export function createWorkerMetrics(opts: { defaultMetrics?: boolean } = {}): WorkerMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    rows: new Counter({ name: 'scoreflow_rows_total', help: 'Rows through each pipeline stage', labelNames: ['pipeline', 'stage'] as const, registers }),
    destinationRows: new Counter({
      name: 'scoreflow_destination_rows_total',
      help: 'Rows per destination and outcome (delivered, added, updated, removed, rejected)',
      labelNames: ['pipeline', 'destination', 'outcome'] as const,
      registers,
    }),
    gateOutcomes: new Counter({ name: 'scoreflow_gate_outcomes_total', help: 'Gate results by gate and status', labelNames: ['pipeline', 'gate', 'status'] as const, registers }),
    deliveryLatency: new Histogram({
      name: 'scoreflow_delivery_latency_seconds',
      help: 'Time of one delivery to a destination (an export activity attempt)',
      labelNames: ['pipeline', 'destination'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
      registers,
    }),
    activityErrors: new Counter({ name: 'scoreflow_activity_errors_total', help: 'Failed activity attempts', labelNames: ['pipeline', 'activity', 'destination'] as const, registers }),
    activityDuration: new Histogram({
      name: 'scoreflow_activity_duration_seconds',
      help: 'Duration of activity attempts',
      labelNames: ['pipeline', 'activity'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900],
      registers,
    }),
    lastSuccess: new Gauge({
      name: 'scoreflow_last_success_timestamp_seconds',
      help: 'Unix time at which a cycle of the pipeline last completed on this worker (seeded from activation_run at start)',
      labelNames: ['pipeline'] as const,
      registers,
    }),
    runPipelines: new Map(),
  };
}

// ---------------------------------------------------------------------------------------------
// From an activity's name, input and result to metrics.

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
/** A count from a result field; anything else (missing, negative, NaN) counts nothing. */
const count = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) && x > 0 ? x : 0);

const NAME = /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/;
/** A label value from config or code: a short plain name, else "other" (keeps ids and PII out). */
export function safeLabel(x: unknown): string {
  return typeof x === 'string' && NAME.test(x) ? x : 'other';
}

/** The destination an activity works for, from its input; '' when none applies. */
export function destinationOf(activity: string, input: unknown): string {
  if (!isObj(input)) return '';
  if (activity === 'exportDestinationActivity') return safeLabel(input.destination);
  if (activity === 'cartAbandonmentActivity' && isObj(input.activation)) return safeLabel(input.activation.destination);
  return '';
}

/** Activities that never belong to a pipeline run (the real-time cart path has its own workflow). */
const NOT_IN_A_RUN = new Set(['cartAbandonmentActivity']);
/** Activities whose result is the run's pipeline config (its `name`). */
const LOADS_PIPELINE = new Set(['loadPipelineActivity', 'snapshotPipelineActivity']);

/** The pipeline an activity's input names: `pipeline: "name"` or the run's snapshot `pipeline: { name }`; '' when it names none. */
export function pipelineOfInput(input: unknown): string {
  if (!isObj(input)) return '';
  const p = input.pipeline;
  if (typeof p === 'string') return safeLabel(p);
  if (isObj(p) && typeof p.name === 'string') return safeLabel(p.name);
  return '';
}

function pipelineOfResult(activity: string, result: unknown): string {
  if (!LOADS_PIPELINE.has(activity) || !isObj(result)) return '';
  const cfg = isObj(result.config) ? result.config : result;
  return typeof cfg.name === 'string' ? safeLabel(cfg.name) : '';
}

/**
 * The pipeline a workflow id names by Scoreflow's conventions (`<pipeline>.run.<time>`,
 * `<pipeline>.rollback.<time>`, `<pipeline>.scheduled-<time>`, and their cycles and export
 * children): for a worker that did not see the run's first activity. '' for any other id.
 */
export function pipelineOfWorkflowId(workflowId: string): string {
  const m = /^([a-z][a-z0-9-]*)\.(?:run|rollback|scheduled)(?:[.-]|$)/.exec(workflowId);
  return m ? safeLabel(m[1]) : '';
}

/** The activity's pipeline, remembering it for the workflow so later activities of the run that do not name it get it too. */
function pipelineLabel(m: WorkerMetrics, o: { activity: string; input: unknown; result?: unknown; workflowId?: string }): string {
  if (NOT_IN_A_RUN.has(o.activity)) return '';
  const named = pipelineOfInput(o.input) || pipelineOfResult(o.activity, o.result);
  if (!o.workflowId) return named;
  if (!named) return m.runPipelines.get(o.workflowId) ?? pipelineOfWorkflowId(o.workflowId);
  if (m.runPipelines.get(o.workflowId) !== named) {
    m.runPipelines.delete(o.workflowId);
    m.runPipelines.set(o.workflowId, named);
    if (m.runPipelines.size > MAX_REMEMBERED_RUNS) m.runPipelines.delete(m.runPipelines.keys().next().value!);
  }
  return named;
}

function addRows(m: WorkerMetrics, pipeline: string, stage: string, n: unknown): void {
  const v = count(n);
  if (v > 0) m.rows.inc({ pipeline, stage }, v);
}

function gateResults(m: WorkerMetrics, pipeline: string, results: unknown): void {
  if (!Array.isArray(results)) return;
  for (const r of results) {
    if (isObj(r) && typeof r.status === 'string') m.gateOutcomes.inc({ pipeline, gate: safeLabel(r.gate), status: safeLabel(r.status) });
  }
}

type Derive = (m: WorkerMetrics, input: Obj, result: Obj, pipeline: string) => void;

/** What each activity's result says about rows and gates. Activities not listed are only timed. */
const DERIVE: Record<string, Derive> = {
  ingestFeedActivity: (m, _i, r, p) => {
    addRows(m, p, 'ingested', r.records);
    addRows(m, p, 'loaded', r.loaded);
    addRows(m, p, 'excluded', r.excluded);
    addRows(m, p, 'quarantined', r.quarantined);
  },
  loadIdentitySourcesActivity: (m, _i, r, p) => {
    addRows(m, p, 'crm_customers', r.crmCustomers);
    addRows(m, p, 'cmp_consents', r.cmpConsents);
  },
  extractFeaturesActivity: (m, _i, r, p) => addRows(m, p, 'featured', r.entities),
  scoreActivity: (m, _i, r, p) => {
    addRows(m, p, 'scored', r.scored);
    addRows(m, p, 'eligible', r.eligible);
  },
  gateCycleActivity: (m, _i, r, p) => {
    gateResults(m, p, r.results);
    if (typeof r.status === 'string') m.gateOutcomes.inc({ pipeline: p, gate: 'overall', status: safeLabel(r.status) });
  },
  activationDriftActivity: (m, _i, r, p) => gateResults(m, p, r.results),
  publishCanonicalActivity: (m, _i, r, p) => {
    addRows(m, p, 'published', r.published);
    addRows(m, p, 'contract_quarantined', r.quarantined);
    addRows(m, p, 'holdout_control', r.control);
  },
  publishOnlineActivity: (m, _i, r, p) => {
    addRows(m, p, 'published_online', r.written);
    addRows(m, p, 'online_quarantined', r.quarantined);
  },
  exportDestinationActivity: (m, i, r, p) => {
    const destination = safeLabel(r.destination ?? i.destination);
    addRows(m, p, 'exported', r.rows);
    addRows(m, p, 'rejected', r.rejected);
    for (const [outcome, n] of [['delivered', r.rows], ['added', r.adds], ['updated', r.updates], ['removed', r.removes], ['rejected', r.rejected]] as const) {
      const v = count(n);
      if (v > 0) m.destinationRows.inc({ pipeline: p, destination, outcome }, v);
    }
  },
  cartAbandonmentActivity: (m, i, r, p) => {
    const destination = isObj(i.activation) ? safeLabel(i.activation.destination) : 'other';
    if (typeof r.outcome === 'string') {
      m.rows.inc({ pipeline: p, stage: `realtime_${safeLabel(r.outcome)}` });
      m.destinationRows.inc({ pipeline: p, destination, outcome: safeLabel(r.outcome) });
    }
  },
  computeOutcomesActivity: (m, _i, r, p) => addRows(m, p, 'outcomes_measured', r.entities),
};

/** Activities whose input alone says something (their result is void). */
const DERIVE_INPUT: Record<string, (m: WorkerMetrics, input: Obj) => void> = {
  // A cycle (or a whole run) recorded COMPLETED: the pipeline is alive.
  recordRunActivity: (m, i) => {
    if (i.status === 'COMPLETED' && typeof i.pipeline === 'string') m.lastSuccess.set({ pipeline: safeLabel(i.pipeline) }, Date.now() / 1000);
  },
};

/** Which activities are deliveries to a destination, timed in scoreflow_delivery_latency_seconds. */
const DELIVERIES = new Set(['exportDestinationActivity', 'cartAbandonmentActivity']);

/** Records one finished activity attempt. Never throws: a metric must not fail an activity. */
export function observeActivity(m: WorkerMetrics, o: { activity: string; input: unknown; seconds: number; error?: unknown; result?: unknown; workflowId?: string }): void {
  try {
    const activity = safeLabel(o.activity);
    const destination = destinationOf(o.activity, o.input);
    const pipeline = pipelineLabel(m, o);
    m.activityDuration.observe({ pipeline, activity }, o.seconds);
    if (o.error !== undefined) {
      m.activityErrors.inc({ pipeline, activity, destination });
      return;
    }
    if (DELIVERIES.has(o.activity) && destination) m.deliveryLatency.observe({ pipeline, destination }, o.seconds);
    const derive = DERIVE[o.activity];
    if (derive && isObj(o.result)) derive(m, isObj(o.input) ? o.input : {}, o.result, pipeline);
    const fromInput = DERIVE_INPUT[o.activity];
    if (fromInput && isObj(o.input)) fromInput(m, o.input);
  } catch (err) {
    logger().warn({ activity: o.activity, err: (err as Error).message }, 'activity metrics not recorded');
  }
}

/** The worker's activity interceptor: times every activity attempt and records it. */
export function activityMetricsInterceptor(m: WorkerMetrics): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const activity = ctx.info.activityType;
        const workflowId = ctx.info.workflowExecution?.workflowId;
        const arg = input.args[0];
        const started = process.hrtime.bigint();
        const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
        let result: unknown;
        try {
          result = await next(input);
        } catch (error) {
          observeActivity(m, { activity, input: arg, seconds: seconds(), error: error ?? 'error', workflowId });
          throw error;
        }
        observeActivity(m, { activity, input: arg, seconds: seconds(), result, workflowId });
        return result;
      },
    },
  });
}

// ---------------------------------------------------------------------------------------------
// The HTTP endpoint.

/** METRICS_PORT as a port, 0 for an OS-chosen one, or null for "off". */
export function metricsPort(env: Record<string, string | undefined> = process.env): number | null {
  const raw = env.METRICS_PORT?.trim();
  if (raw === undefined || raw === '') return DEFAULT_METRICS_PORT;
  if (/^(off|false|disabled|none)$/i.test(raw)) return null;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`METRICS_PORT=${JSON.stringify(raw)} is not a port; set a number 0-65535 (0 = any free port) or "off"`);
  }
  return port;
}

export interface MetricsServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

export interface MetricsServerOptions {
  port: number;
  host?: string;
  /** The worker's state for /healthz: 200 when `ok`, else 503. Defaults to always ok. */
  health?: () => { ok: boolean; state: string };
  /** Text appended to /metrics (the Temporal SDK core's temporal_* metrics); an empty string when unavailable. */
  extra?: () => Promise<string>;
}

/** Serves GET /metrics and GET /healthz. The server never keeps the process alive on its own. */
export async function startMetricsServer(registry: Registry, opts: MetricsServerOptions): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    if (path === '/metrics') {
      Promise.all([registry.metrics(), opts.extra ? opts.extra().catch(() => '') : ''])
        .then(([own, extra]) => `${own.trimEnd()}\n${extra ? `${extra.trimEnd()}\n` : ''}`)
        .then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(req.method === 'HEAD' ? undefined : text))
        .catch((err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${err.message}\n`));
      return;
    }
    if (path === '/healthz') {
      const h = opts.health?.() ?? { ok: true, state: 'RUNNING' };
      res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: h.ok, state: h.state }));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /healthz\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.unref();
  const port = (server.address() as AddressInfo).port;
  const host = opts.host && opts.host !== '0.0.0.0' && opts.host !== '::' ? opts.host : '127.0.0.1';
  return {
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * The worker's endpoint per METRICS_PORT / METRICS_HOST (or the given port): started, or null when
 * switched off or when the port is taken (logged; the worker runs on without it).
 */
export async function serveWorkerMetrics(
  registry: Registry,
  opts: { port?: number | null; host?: string; health?: MetricsServerOptions['health']; extra?: MetricsServerOptions['extra'] } = {},
): Promise<MetricsServer | null> {
  const port = opts.port === undefined ? metricsPort() : opts.port;
  if (port === null) return null;
  try {
    const host = opts.host ?? (process.env.METRICS_HOST?.trim() || DEFAULT_METRICS_HOST);
    const server = await startMetricsServer(registry, { port, host, health: opts.health, extra: opts.extra });
    logger().info({ url: server.url, host }, 'worker metrics served');
    return server;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    logger().warn({ port, code, err: (err as Error).message }, `worker metrics not served: port ${port} unavailable; set METRICS_PORT to a free port, 0 for any, or "off"`);
    return null;
  }
}
