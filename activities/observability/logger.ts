/**
 * The one pino logger. Identifiers and PII are redacted by configuration (redact paths), so no call
 * site has to remember. Child loggers carry run, batch and destination ids; and, by configuration
 * too, every line logged inside a Temporal activity names its workflow (the run, or an export child
 * `<run>.export.<destination>`) and activity, so even code that knows no run id is attributable.
 */
import pino, { type Logger } from 'pino';
import pinoPretty from 'pino-pretty';
import { asyncLocalStorage } from '@temporalio/activity';

/** Keys whose values are identifiers or personal data, wherever they appear (two levels deep). */
export const REDACTED_KEYS = [
  'email', 'phone', 'first_name', 'last_name', 'firstName', 'lastName', 'fn', 'ln', 'zip', 'ip',
  'visitor_id', 'visitorId', 'entity_id', 'entityId', 'customer_id', 'customerId', 'mcvisid', 'ecid',
  'identifier', 'identifiers', 'user_agent', 'raw', 'record', 'payload', 'mbox3rdPartyId', 'thirdPartyId',
  // Credentials: an Authorization header (e.g. req.headers.authorization) and API keys.
  'authorization', 'apiKey', 'apiKeys', 'api_key',
];

export function redactPaths(keys = REDACTED_KEYS): string[] {
  return keys.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);
}

/** `{ temporal: { workflowId, activity, attempt } }` inside an activity; `{}` elsewhere (CLI, servers, tests). */
export function activityFields(): { temporal?: { workflowId?: string; activity: string; attempt: number } } {
  const info = asyncLocalStorage.getStore()?.info;
  return info ? { temporal: { workflowId: info.workflowExecution?.workflowId, activity: info.activityType, attempt: info.attempt } } : {};
}

export type LogFormat = 'json' | 'pretty';

/**
 * How log lines are written: SCOREFLOW_LOG_FORMAT (`json` or `pretty`) when set; otherwise
 * human-readable on a terminal and JSON lines everywhere else (pipes, files, log collectors).
 * A log file (SCOREFLOW_LOG_FILE) is always JSON.
 */
export function logFormat(env: NodeJS.ProcessEnv = process.env, stderrIsTty = Boolean(process.stderr.isTTY)): LogFormat {
  const wanted = env.SCOREFLOW_LOG_FORMAT?.trim().toLowerCase();
  if (wanted === 'json' || wanted === 'pretty') return wanted;
  if (wanted) throw new Error(`SCOREFLOW_LOG_FORMAT=${JSON.stringify(env.SCOREFLOW_LOG_FORMAT)}: expected json or pretty (unset: pretty on a terminal, JSON otherwise)`);
  return stderrIsTty && !env.SCOREFLOW_LOG_FILE ? 'pretty' : 'json';
}

/**
 * A human-readable stream for terminals: one line per entry (time, level, message, then the fields),
 * formatted from the JSON pino already redacted, in this process, synchronously (no worker thread).
 */
export function prettyStream(destination: number | NodeJS.WritableStream = 2, colorize = Boolean(process.stderr.isTTY)): pino.DestinationStream {
  return pinoPretty({ destination, sync: true, colorize, singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' });
}

function defaultDestination(): pino.DestinationStream {
  if (logFormat() === 'pretty') return prettyStream();
  return pino.destination({ dest: process.env.SCOREFLOW_LOG_FILE ?? 2, sync: false });
}

export function createLogger(options: { level?: string; destination?: pino.DestinationStream; base?: Record<string, unknown> } = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      base: { service: 'scoreflow', ...(options.base ?? {}) },
      redact: { paths: redactPaths(), censor: '[redacted]' },
      mixin: activityFields,
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? defaultDestination(),
  );
}

let root: Logger | undefined;
export function logger(): Logger {
  root ??= createLogger();
  return root;
}
export function setLogger(l: Logger): void {
  root = l;
}
