/**
 * The Temporal SDK's own log lines (worker state, workflow `log.*` through the sink, the native core's
 * warnings, which it would otherwise print to stdout in its own coloured format) go to the
 * Scoreflow pino logger, so a worker's stderr (or SCOREFLOW_LOG_FILE) carries one format, not pino
 * JSON beside the SDK's "[INFO] ..." text. Installed once per process by the CLI commands that start
 * workers (`worker`, `demo`), before any connection exists; a process that installed its own
 * Runtime (a test) keeps it.
 */
import { DefaultLogger, Runtime, makeTelemetryFilterString, type LogLevel } from '@temporalio/worker';
import { logger } from '../activities/observability/logger.ts';

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

export function routeSdkLogsToPino(): boolean {
  const log = logger().child({ component: 'temporal-sdk' });
  try {
    Runtime.install({
      logger: new DefaultLogger('INFO', (entry) => log[PINO_LEVEL[entry.level]]({ ...entry.meta }, entry.message)),
      // The native core prints its own coloured text to stdout unless forwarded; forward it (WARN and up).
      telemetryOptions: { logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN', other: 'WARN' }) } },
    });
    return true;
  } catch {
    // A Runtime exists already (installed by the caller, or a connection was made first): keep it.
    return false;
  }
}
