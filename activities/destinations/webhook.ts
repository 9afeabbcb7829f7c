/**
 * Webhook destination, Standard Webhooks convention (docs/destinations/webhooks.md).
 * Every request carries
 *   webhook-id         the idempotency key: the same logical message keeps the same id on redelivery
 *   webhook-timestamp  Unix seconds of this attempt
 *   webhook-signature  v1,<base64 HMAC-SHA256 over "id.timestamp.body">
 * The secret is `whsec_<base64 key>`, read from the environment variable the config names.
 * One POST per row (`mode: 'per-row'`) or one per `batchSize` rows (`mode: 'batch'`).
 * Answers: 2xx accepts; 429 and 5xx become DestinationThrottledError honouring Retry-After
 * (5 s without one); 401/403 refuse the whole chunk (secret or credentials wrong:
 * DestinationRejectedError); 408 and network errors are retryable Errors; any other 4xx rejects
 * that request's rows, not retryable, with the consumer's reason. A retried chunk re-sends the ids it
 * sent before, so a consumer that dedupes on webhook-id applies each message once.
 */
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { logger } from '../observability/logger.ts';
import {
  DestinationRejectedError,
  DestinationThrottledError,
  type ChunkResult,
  type DeliveryRow,
  type DestinationAdapter,
  type RowRejection,
  type SendContext,
} from './adapter.ts';
import { retryAfterMs } from './retry-after.ts';
import { batchMessageId, rowMessageId } from './row-message-id.ts';

export const WEBHOOK_KIND = 'webhook';
const SECRET_PREFIX = 'whsec_';
const DEFAULT_RETRY_MS = 5_000;

/** Decodes a `whsec_<base64>` secret to its key bytes; throws when it is not one. */
export function decodeWebhookSecret(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw new RangeError('webhook secret must look like whsec_<base64>');
  const b64 = secret.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new RangeError('webhook secret after whsec_ is not base64');
  const key = Buffer.from(b64, 'base64');
  if (key.length === 0) throw new RangeError('webhook secret is empty');
  return key;
}

/** Pure: the webhook-signature header value for one message. */
export function signWebhook(key: Buffer, id: string, timestampSeconds: number, body: string): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`, 'utf8').digest('base64')}`;
}

/** Pure: the body of one message. No send time inside, so a redelivery carries identical bytes. */
export function webhookBody(eventType: string, rows: readonly DeliveryRow[], batched: boolean): string {
  const data = (r: DeliveryRow) => ({ entity_id: r.entityId, op: r.op, digest: r.digest, payload: r.payload });
  return batched
    ? JSON.stringify({ type: `${eventType}.batch`, data: { rows: rows.map(data) } })
    : JSON.stringify({ type: `${eventType}.${rows[0]!.op}`, data: data(rows[0]!) });
}

const EnvVarName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name');

export const WebhookConfig = z.object({
  url: z.url(),
  /** Name of the environment variable holding `whsec_<base64>`. */
  secretEnv: EnvVarName,
  mode: z.enum(['per-row', 'batch']).default('per-row'),
  /** Rows per request in batch mode. */
  batchSize: z.int().min(1).max(10_000).default(500),
  /** Requests in flight at once. */
  concurrency: z.int().min(1).max(64).default(4),
  timeoutMs: z.int().positive().default(10_000),
  eventType: z.string().regex(/^[a-z][a-z0-9_.-]*$/).default('scoreflow.activation'),
  maxChunkRows: z.int().min(1).max(100_000).default(10_000),
});
export type WebhookConfig = z.infer<typeof WebhookConfig>;

export interface WebhookReceipt {
  destination: typeof WEBHOOK_KIND;
  mode: WebhookConfig['mode'];
  requests: number;
  statuses: Record<string, number>;
  /** In batch mode, the webhook-id of each batch in order. */
  batchIds?: string[];
}

export interface WebhookDeps {
  fetch?: typeof fetch;
  env?: Record<string, string | undefined>;
  now?: () => number;
}

export interface WebhookAdapter extends DestinationAdapter {
  readonly kind: typeof WEBHOOK_KIND;
  readonly config: WebhookConfig;
}

interface Message {
  id: string;
  rows: DeliveryRow[];
  body: string;
}

export function createWebhookAdapter(config: z.input<typeof WebhookConfig>, deps: WebhookDeps = {}): WebhookAdapter {
  const cfg = WebhookConfig.parse(config);
  const env = deps.env ?? process.env;
  const secret = env[cfg.secretEnv];
  if (!secret) throw new RangeError(`environment variable ${cfg.secretEnv} (the webhook signing secret) is not set`);
  const key = decodeWebhookSecret(secret);
  const doFetch = deps.fetch ?? fetch;
  const now = deps.now ?? Date.now;
  const log = logger().child({ destination: WEBHOOK_KIND });

  function messages(rows: DeliveryRow[], ctx: SendContext): Message[] {
    if (cfg.mode === 'per-row') return rows.map((r) => ({ id: rowMessageId(ctx.idempotencyKey, r), rows: [r], body: webhookBody(cfg.eventType, [r], false) }));
    const out: Message[] = [];
    for (let i = 0; i < rows.length; i += cfg.batchSize) {
      const part = rows.slice(i, i + cfg.batchSize);
      out.push({ id: batchMessageId(ctx.idempotencyKey, i / cfg.batchSize, part), rows: part, body: webhookBody(cfg.eventType, part, true) });
    }
    return out;
  }

  async function deliver(m: Message, signal?: AbortSignal): Promise<{ status: number; reason?: string }> {
    const ts = Math.floor(now() / 1000);
    const timeout = AbortSignal.timeout(cfg.timeoutMs);
    const res = await doFetch(cfg.url, {
      method: 'POST',
      body: m.body,
      headers: {
        'content-type': 'application/json',
        'webhook-id': m.id,
        'webhook-timestamp': String(ts),
        'webhook-signature': signWebhook(key, m.id, ts, m.body),
      },
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    const text = await res.text().catch(() => '');
    if (res.status >= 200 && res.status < 300) return { status: res.status };
    if (res.status === 429 || res.status >= 500) throw new DestinationThrottledError(WEBHOOK_KIND, res.status, retryAfterMs(res.headers.get('retry-after'), DEFAULT_RETRY_MS));
    if (res.status === 401 || res.status === 403) {
      throw new DestinationRejectedError(WEBHOOK_KIND, res.status, `the webhook endpoint refused the signature or credentials (HTTP ${res.status}); check the secret in ${cfg.secretEnv}`);
    }
    if (res.status === 408) throw new Error(`the webhook endpoint answered HTTP ${res.status}; retrying is safe (same webhook-id)`);
    return { status: res.status, reason: `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}` };
  }

  return {
    kind: WEBHOOK_KIND,
    maxChunkRows: cfg.maxChunkRows,
    config: cfg,
    async send(rows, ctx): Promise<ChunkResult> {
      const queue = messages(rows, ctx);
      const accepted: string[] = [];
      const rejected: RowRejection[] = [];
      const statuses: Record<string, number> = {};
      let failure: unknown;
      let next = 0;
      let requests = 0;
      const worker = async () => {
        while (failure === undefined && next < queue.length) {
          const m = queue[next++]!;
          try {
            requests++;
            const r = await deliver(m, ctx.signal);
            statuses[r.status] = (statuses[r.status] ?? 0) + 1;
            if (r.reason === undefined) accepted.push(...m.rows.map((x) => x.entityId));
            else rejected.push(...m.rows.map((x) => ({ entityId: x.entityId, reason: r.reason!, retryable: false })));
          } catch (err) {
            failure ??= err;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(cfg.concurrency, queue.length) }, worker));
      if (failure !== undefined) {
        log.warn({ chunk: ctx.chunkIndex, requests, accepted: accepted.length, error: (failure as Error).message }, 'webhook chunk interrupted; the retry re-sends the same webhook-ids');
        throw failure;
      }
      const receipt: WebhookReceipt = { destination: WEBHOOK_KIND, mode: cfg.mode, requests, statuses };
      if (cfg.mode === 'batch') receipt.batchIds = queue.map((m) => m.id);
      log.info({ chunk: ctx.chunkIndex, requests, accepted: accepted.length, rejected: rejected.length }, 'webhook chunk delivered');
      return { accepted, rejected, receipt: { ...receipt } };
    },
  };
}
