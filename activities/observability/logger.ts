/**
 * The one pino logger. Identifiers and PII are redacted by configuration (redact paths), so no call
 * site has to remember. Child loggers carry run, batch and destination ids; and, by configuration
 * too, every line logged inside a Temporal activity names its workflow (the run, or an export child
 * `<run>.export.<destination>`) and activity, so even code that knows no run id is attributable.
 */
import pino, { type Logger } from 'pino';
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

export function createLogger(options: { level?: string; destination?: pino.DestinationStream; base?: Record<string, unknown> } = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      base: { service: 'scoreflow', ...(options.base ?? {}) },
      redact: { paths: redactPaths(), censor: '[redacted]' },
      mixin: activityFields,
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination({ dest: process.env.SCOREFLOW_LOG_FILE ?? 2, sync: false }),
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
