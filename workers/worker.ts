/**
 * The Scoreflow worker: workflows and activities on the versioned task queue.
 * NativeConnection.connect → Worker.create → worker.run(), connection closed in finally.
 * Every activity passes through the metrics interceptor; /metrics is served per METRICS_PORT
 * (workers/metrics.ts) and closed when the worker stops.
 */
import { NativeConnection, Worker, bundleWorkflowCode, type WorkerOptions } from '@temporalio/worker';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import * as activities from '../activities/index.ts';
import { closeActivityRedis } from '../activities/online/online-store.ts';
import { closePools, getPool } from '../activities/store/db.ts';
import { logger } from '../activities/observability/logger.ts';
import { REALTIME_TASK_QUEUE, TASK_QUEUE } from './config.ts';
import { temporalSettings } from './temporal-connection.ts';
import { REPO_ROOT } from '../activities/store/paths.ts';
import { activityBoundaryInterceptor } from './activity-boundary.ts';
import { installTemporalRuntime, temporalCoreMetrics } from './temporal-runtime.ts';
import { activityMetricsInterceptor, createWorkerMetrics, metricsPort, safeLabel, serveWorkerMetrics, type MetricsServer, type WorkerMetrics } from './metrics.ts';

export const WORKFLOWS_PATH = join(REPO_ROOT, 'workflows', 'index.ts');
/** Written by `npm run build` (scripts/bundle-workflows.ts) from WORKFLOWS_PATH, with the rest of dist/. */
export const PREBUILT_WORKFLOW_BUNDLE = join(REPO_ROOT, 'dist', 'workflow-bundle.js');
/** Running the build (dist/): its prebundled workflows were made with it. From source, bundle the source. */
const COMPILED = import.meta.url.endsWith('.js');

export interface StartWorkerOptions {
  address?: string;
  taskQueue?: string;
  /** Queue of the real-time worker that runWorker starts beside the batch one. */
  realtimeTaskQueue?: string;
  /** Prebuilt bundle (scripts/bundle-workflows.ts); default: dist/workflow-bundle.js when running the build, else bundled at start. */
  workflowBundlePath?: string;
  shutdownGraceTime?: WorkerOptions['shutdownGraceTime'];
  /** Port of /metrics; defaults to METRICS_PORT (9464), 0 = any free port, null = no server. */
  metricsPort?: number | null;
}

/**
 * scoreflow_last_success_timestamp_seconds from activation_run, so a restarted worker does not forget
 * when each pipeline last completed a cycle. Best effort: metrics never stop a worker.
 */
async function seedLastSuccess(m: WorkerMetrics): Promise<void> {
  try {
    const { rows } = await getPool().query<{ pipeline: string; at: Date }>("SELECT pipeline, max(updated_at) AS at FROM activation_run WHERE status = 'COMPLETED' GROUP BY pipeline");
    for (const r of rows) m.lastSuccess.set({ pipeline: safeLabel(r.pipeline) }, r.at.getTime() / 1000);
  } catch (err) {
    logger().warn({ err: (err as Error).message }, 'last-success metric not seeded from activation_run');
  }
}

/** `metrics` is the /metrics server (null when off); it never keeps the process alive, close it after the worker. */
export async function createWorker(opts: StartWorkerOptions = {}): Promise<{ worker: Worker; connection: NativeConnection; metrics: MetricsServer | null }> {
  const port = opts.metricsPort !== undefined ? opts.metricsPort : metricsPort(); // a bad METRICS_PORT fails before connecting
  await installTemporalRuntime(); // before the first connection: the runtime is process-wide
  // Address, namespace, TLS, API key and profile from the Temporal environment configuration.
  const settings = temporalSettings();
  const address = opts.address ?? settings.address;
  const connection = await NativeConnection.connect({ ...settings.connection, address }).catch((err: Error) => {
    // The SDK's message is the Rust transport's (tonic::transport::Error(...)); say what to do.
    const how = settings.profile ? `profile ${settings.profile}` : 'TEMPORAL_ADDRESS';
    throw new Error(
      `Cannot reach Temporal at ${address}${settings.tls ? ' (TLS)' : ''} (${err.message}). Start a dev server with "scoreflow dev" (or run "scoreflow demo", which starts one), or set ${how} (and TEMPORAL_TLS_*/TEMPORAL_API_KEY for a secured cluster).`,
    );
  });
  const bundlePath = opts.workflowBundlePath ?? process.env.SCOREFLOW_WORKFLOW_BUNDLE;
  const metrics = createWorkerMetrics();
  await seedLastSuccess(metrics);
  const worker = await Worker.create({
    connection,
    namespace: settings.namespace,
    taskQueue: opts.taskQueue ?? TASK_QUEUE,
    workflowBundle: await workflowBundle(bundlePath),
    activities,
    interceptors: { activity: [activityBoundaryInterceptor, activityMetricsInterceptor(metrics)] },
    maxConcurrentActivityTaskExecutions: 8,
    shutdownGraceTime: opts.shutdownGraceTime ?? '5s',
  });
  const server = await serveWorkerMetrics(metrics.registry, {
    port,
    health: () => ({ ok: worker.getState() === 'RUNNING', state: worker.getState() }),
    extra: temporalCoreMetrics,
  });
  return { worker, connection, metrics: server };
}

/**
 * The real-time worker: the same workflows and activities on REALTIME_TASK_QUEUE, tuned for many
 * short tasks (cart timers and one-request activations), on the batch worker's connection and bundle.
 */
export async function createRealtimeWorker(connection: NativeConnection, opts: { realtimeTaskQueue?: string; workflowBundlePath?: string } = {}): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: temporalSettings().namespace,
    taskQueue: opts.realtimeTaskQueue ?? REALTIME_TASK_QUEUE,
    workflowBundle: await workflowBundle(opts.workflowBundlePath ?? process.env.SCOREFLOW_WORKFLOW_BUNDLE),
    activities,
    interceptors: { activity: [activityBoundaryInterceptor] },
    maxConcurrentActivityTaskExecutions: 64,
    maxConcurrentWorkflowTaskExecutions: 64,
    shutdownGraceTime: '5s',
  });
}

let sharedBundle: Promise<{ code: string }> | undefined;
/** A prebuilt bundle when one exists, else one webpack bundle per process, shared by every worker it starts. */
function workflowBundle(given: string | undefined): Promise<{ code: string } | { codePath: string }> {
  const prebuilt = given ?? (COMPILED ? PREBUILT_WORKFLOW_BUNDLE : undefined);
  if (prebuilt && existsSync(prebuilt)) return Promise.resolve({ codePath: prebuilt });
  sharedBundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundleLogger });
  return sharedBundle;
}

const quietBundleLogger = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } as unknown as NonNullable<Parameters<typeof bundleWorkflowCode>[0]['logger']>;

/** `scoreflow worker`: the batch worker and the real-time worker in one process. */
export async function runWorker(opts: StartWorkerOptions = {}, onRunning?: (taskQueue: string) => void): Promise<void> {
  const { worker, connection, metrics } = await createWorker(opts);
  const realtime = await createRealtimeWorker(connection, opts);
  try {
    onRunning?.(worker.options.taskQueue);
    await Promise.all([worker.run(), realtime.run()]);
  } finally {
    await metrics?.close();
    await connection.close();
    // What the activities opened: without this, an idle Redis socket keeps the process alive after Ctrl-C.
    await closeActivityRedis().catch(() => {});
    await closePools().catch(() => {});
  }
}
