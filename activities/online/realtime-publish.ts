/**
 * Sends one changed decision to one real-time destination through its adapter (webhook, NATS
 * JetStream, Target single profile update), with a short bounded retry: the request path cannot wait
 * for minutes of backoff. The idempotency key is derived from the event id and destination, so the
 * webhook-id / Nats-Msg-Id of a retry (or of a redelivered event) is the same message.
 */
import { createHash } from 'node:crypto';
import { DestinationRejectedError, DestinationThrottledError, type DeliveryRow, type DestinationAdapter } from '../destinations/adapter.ts';

export interface RealtimeDestination {
  /** Matches a destination name in the online blob's decisions (e.g. "webhook", "nats", "target"). */
  name: string;
  adapter: DestinationAdapter;
}

export type PublishOutcome = { outcome: 'delivered'; attempts: number; receipt: Record<string, unknown> } | { outcome: 'rejected'; attempts: number; reason: string };

export interface RealtimeRetry {
  attempts: number;
  /** First backoff; doubles per attempt. */
  backoffMs: number;
  /** Longest Retry-After honoured in the request path; longer ones give up (recorded as rejected). */
  maxRetryAfterMs: number;
}

export const DEFAULT_REALTIME_RETRY: RealtimeRetry = { attempts: 3, backoffMs: 25, maxRetryAfterMs: 250 };

export function payloadDigest(payload: Record<string, unknown>, identifiers: Record<string, string | undefined> = {}): string {
  return createHash('sha256').update(JSON.stringify({ payload, identifiers })).digest('hex');
}

export const realtimeIdempotencyKey = (eventId: string, destination: string) => `realtime:${eventId}:${destination}`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function publishRealtime(dest: RealtimeDestination, row: DeliveryRow, idempotencyKey: string, retry: RealtimeRetry = DEFAULT_REALTIME_RETRY): Promise<PublishOutcome> {
  let lastError = '';
  for (let attempt = 1; attempt <= retry.attempts; attempt++) {
    try {
      const r = await dest.adapter.send([row], { idempotencyKey, chunkIndex: 0, totalChunks: 1 });
      const rejected = r.rejected[0];
      if (rejected) {
        if (!rejected.retryable) return { outcome: 'rejected', attempts: attempt, reason: rejected.reason };
        lastError = rejected.reason;
      } else {
        return { outcome: 'delivered', attempts: attempt, receipt: r.receipt };
      }
    } catch (err) {
      if (err instanceof DestinationRejectedError) return { outcome: 'rejected', attempts: attempt, reason: err.message };
      if (err instanceof DestinationThrottledError) {
        if (err.retryAfterMs > retry.maxRetryAfterMs) return { outcome: 'rejected', attempts: attempt, reason: `throttled: ${err.message}` };
        lastError = err.message;
        if (attempt < retry.attempts) await sleep(err.retryAfterMs);
        continue;
      }
      lastError = (err as Error).message;
    }
    if (attempt < retry.attempts) await sleep(retry.backoffMs * 2 ** (attempt - 1));
  }
  return { outcome: 'rejected', attempts: retry.attempts, reason: `gave up after ${retry.attempts} attempts: ${lastError}` };
}
