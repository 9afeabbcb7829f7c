/**
 * The Temporal SDK's own metrics (temporal_*: task latencies, schedule-to-start, pollers, cache). The
 * SDK's Rust core exports them through its Prometheus runtime option on a loopback port of its own;
 * the worker's /metrics fetches that page and appends it, so one scrape has scoreflow_*, process_*,
 * nodejs_* and temporal_*. The runtime is process-wide and is installed once, before the first
 * connection; when something created it earlier (a test environment), the core's metrics are absent
 * and /metrics carries on without them.
 */
import { createServer } from 'node:net';
import { Runtime, type RuntimeOptions } from '@temporalio/worker';
import { logger } from '../activities/observability/logger.ts';

/** The SDK logger and the native core's log forwarding of a runtime. */
export interface RuntimeLogging {
  logger: NonNullable<RuntimeOptions['logger']>;
  logging: NonNullable<NonNullable<RuntimeOptions['telemetryOptions']>['logging']>;
}

interface Installed {
  /** The core's metrics page, or null when this process's runtime was created elsewhere first. */
  metricsUrl: string | null;
  /** Whether this module installed the runtime, and whether with the SDK's logs routed to pino. */
  installedHere: boolean;
  routeLogs: boolean;
}

let installed: Installed | undefined;

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Installs the Temporal runtime (once per process, before the first connection) with Prometheus
 * metrics on a loopback port and, with `logging` (workers/sdk-logging.ts), the SDK's logs in pino. Later calls return what
 * the first one did: the runtime cannot be changed once created.
 */
export async function installTemporalRuntime(opts: { logging?: RuntimeLogging } = {}): Promise<Installed> {
  if (installed) return installed;
  const port = process.env.TEMPORAL_CORE_METRICS_PORT ? Number(process.env.TEMPORAL_CORE_METRICS_PORT) : await freeLoopbackPort();
  const bindAddress = `127.0.0.1:${port}`;
  const logging = opts.logging;
  const routeLogs = logging !== undefined;
  try {
    Runtime.install({
      ...(logging ? { logger: logging.logger } : {}),
      telemetryOptions: { metrics: { prometheus: { bindAddress } }, ...(logging ? { logging: logging.logging } : {}) },
    });
    installed = { metricsUrl: `http://${bindAddress}/metrics`, installedHere: true, routeLogs };
  } catch {
    // A runtime was already created in this process (a second worker: tests, `demo` after `serve`).
    // Expected; this process then exports no temporal_* metrics (metricsUrl null says so).
    installed = { metricsUrl: null, installedHere: false, routeLogs: false };
  }
  return installed;
}

/** The core's temporal_* metrics as Prometheus text, or '' when not installed or not reachable. */
export async function temporalCoreMetrics(): Promise<string> {
  const url = installed?.metricsUrl;
  if (!url) return '';
  const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  return res.ok ? res.text() : '';
}
