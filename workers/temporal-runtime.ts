/**
 * The Temporal SDK's own metrics (temporal_*: task latencies, schedule-to-start, pollers, cache). The
 * SDK's Rust core exports them through its Prometheus runtime option on a loopback port of its own;
 * the worker's /metrics fetches that page and appends it, so one scrape has scoreflow_*, process_*,
 * nodejs_* and temporal_*. The runtime is process-wide and is installed once, before the first
 * connection; when something created it earlier (a test environment), the core's metrics are absent
 * and /metrics carries on without them.
 */
import { createServer } from 'node:net';
import { Runtime } from '@temporalio/worker';
import { logger } from '../activities/observability/logger.ts';

let coreMetricsUrl: string | null | undefined;

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

/** Installs the Temporal runtime with Prometheus metrics on a loopback port (once); returns that page's URL, or null. */
export async function installTemporalRuntime(): Promise<string | null> {
  if (coreMetricsUrl !== undefined) return coreMetricsUrl;
  const port = process.env.TEMPORAL_CORE_METRICS_PORT ? Number(process.env.TEMPORAL_CORE_METRICS_PORT) : await freeLoopbackPort();
  const bindAddress = `127.0.0.1:${port}`;
  try {
    Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress } } } });
    coreMetricsUrl = `http://${bindAddress}/metrics`;
  } catch {
    // A runtime was already created in this process (a second worker: tests, `demo` after `serve`).
    // Expected; this process then exports no temporal_* metrics (coreMetricsUrl null says so).
    coreMetricsUrl = null;
  }
  return coreMetricsUrl;
}

/** The core's temporal_* metrics as Prometheus text, or '' when not installed or not reachable. */
export async function temporalCoreMetrics(): Promise<string> {
  if (!coreMetricsUrl) return '';
  const res = await fetch(coreMetricsUrl, { signal: AbortSignal.timeout(2_000) });
  return res.ok ? res.text() : '';
}
