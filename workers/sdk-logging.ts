/**
 * The Temporal SDK's own log lines (worker state, workflow `log.*` through the sink, the native core's
 * warnings, which it would otherwise print to stdout in its own coloured format) go to the
 * Scoreflow pino logger, so a worker's stderr (or SCOREFLOW_LOG_FILE) carries one format, not pino
 * JSON beside the SDK's "[INFO] ..." text. The CLI commands that start workers (`worker`, `demo`)
 * ask for it before any connection exists; the runtime is process-wide and is installed once, with
 * the core's Prometheus metrics as well (workers/temporal-runtime.ts). A process that installed its
 * own Runtime (a test) keeps it.
 */
import { DefaultLogger, makeTelemetryFilterString, type LogLevel } from '@temporalio/worker';
import { logger } from '../activities/observability/logger.ts';
import { installTemporalRuntime, type RuntimeLogging } from './temporal-runtime.ts';

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

/** The runtime's logging options: the SDK's logger and the native core's lines (WARN and up) into pino. */
export function sdkLoggingOptions(): RuntimeLogging {
  const log = logger().child({ component: 'temporal-sdk' });
  return {
    logger: new DefaultLogger('INFO', (entry) => log[PINO_LEVEL[entry.level]]({ ...entry.meta }, entry.message)),
    // The native core prints its own coloured text to stdout unless forwarded; forward it (WARN and up).
    logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN', other: 'WARN' }) },
  };
}

/**
 * Installs the process's Temporal runtime with the SDK's logs in pino and the core's temporal_*
 * metrics on a loopback port. Returns false when a runtime existed already (it is kept as it is).
 */
export async function routeSdkLogsToPino(): Promise<boolean> {
  const r = await installTemporalRuntime({ logging: sdkLoggingOptions() });
  return r.installedHere && r.routeLogs;
}
