/**
 * cartAbandonmentActivity: sends the cart abandonment activation (a webhook offer, Standard Webhooks
 * signed) when the visitor's timer fired, unless the online store says not to:
 *   purchase_made      the workflow saw a purchase, or the store recorded one at or after the add
 *   no_online_decision / decision_expired / decision_unreadable   nothing current to act on
 *   no_consent         the blob's consent for the activation's purpose is not granted
 *   holdout_control    the visitor is in the control arm
 * The webhook-id is derived from the workflow id and the cart add's event id, so a retried attempt
 * re-sends the same message and the consumer applies it once. Every outcome is written to the chain
 * ledger (run id `realtime:cart:<cart add _id>`).
 */
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { z } from 'zod';
import { ConsentPurpose } from '../../contracts/canonical-record.ts';
import { DestinationRejectedError, type DeliveryRow } from '../destinations/adapter.ts';
import { createWebhookAdapter } from '../destinations/webhook.ts';
import { rowMessageId } from '../destinations/row-message-id.ts';
import { getPool } from '../store/db.ts';
import { logger } from '../observability/logger.ts';
import { isExpired, readOnlineBlob } from './online-blob.ts';
import { readCounters } from './online-features.ts';
import { DEFAULT_ONLINE_NAMESPACE, onlineKeys } from './online-keys.ts';
import { activityRedis } from './online-store.ts';
import { cartRunId, recordLedger } from './realtime-ledger.ts';

export const CartActivation = z.object({
  /** The destination's name in the ledger, e.g. "cart-offer-webhook". */
  destination: z.string().regex(/^[a-z][a-z0-9-]*$/),
  url: z.url(),
  /** Environment variable holding the `whsec_` signing secret (never the secret itself). */
  secretEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
  eventType: z.string().regex(/^[a-z][a-z0-9_.-]*$/).default('scoreflow.cart_abandonment'),
  consentPurpose: ConsentPurpose.default('personalization'),
  /** Which destination's decision in the blob the offer quotes (segment, decision token). */
  decisionDestination: z.string().default('webhook'),
  /** The offer itself, passed through to the consumer. */
  offer: z.record(z.string(), z.unknown()).default({}),
  timeoutMs: z.int().positive().default(5_000),
});
export type CartActivation = z.input<typeof CartActivation>;

export interface CartAbandonmentActivityInput {
  workflowId: string;
  entityId: string;
  cartAddEventId: string;
  addedAt: string;
  /** The workflow received a purchase signal: record the suppression, send nothing. */
  purchased: boolean;
  activation: CartActivation;
  namespace?: string;
}

export interface CartAbandonmentActivityResult {
  outcome: 'delivered' | 'suppressed' | 'rejected';
  reason?: string;
  webhookId?: string;
}

export interface CartActivityDeps {
  redis?: () => Redis;
  ledger?: () => Pick<pg.Pool, 'query'> | null;
  env?: Record<string, string | undefined>;
  fetch?: typeof fetch;
  now?: () => number;
}

export function createCartActivities(deps: CartActivityDeps = {}) {
  const getRedis = deps.redis ?? activityRedis;
  const getLedger = deps.ledger ?? (() => getPool());
  const now = deps.now ?? Date.now;

  async function cartAbandonmentActivity(input: CartAbandonmentActivityInput): Promise<CartAbandonmentActivityResult> {
    const parsed = CartActivation.safeParse(input.activation);
    if (!parsed.success) {
      const i = parsed.error.issues[0]!;
      throw ApplicationFailure.nonRetryable(`cart activation config is invalid at ${i.path.map(String).join('.')}: ${i.message}`, 'InvalidCartActivation');
    }
    const act = parsed.data;
    const runId = cartRunId(input.cartAddEventId);
    const ledger = getLedger();
    const log = logger().child({ workflowId: input.workflowId, destination: act.destination });
    const finish = async (r: CartAbandonmentActivityResult, detail: Record<string, unknown> = {}) => {
      const stage = r.outcome;
      if (ledger) {
        await recordLedger(ledger, [
          { runId, entityId: input.entityId, destination: act.destination, stage, detail: { reason: r.reason, webhook_id: r.webhookId, cart_add_event_id: input.cartAddEventId, ...detail } },
        ]);
      }
      log.info({ outcome: r.outcome, reason: r.reason }, 'cart abandonment decided');
      return r;
    };

    if (input.purchased) return finish({ outcome: 'suppressed', reason: 'purchase_made' });
    const keys = onlineKeys(input.namespace ?? DEFAULT_ONLINE_NAMESPACE);
    const redis = getRedis();
    const replies = (await redis.pipeline().get(keys.decision(input.entityId)).hgetall(keys.features(input.entityId)).exec()) ?? [];
    for (const [err] of replies) if (err) throw new Error(`online store read failed (${err.message}); retrying`);
    const raw = replies[0]?.[1] as string | null;
    const counters = readCounters((replies[1]?.[1] as Record<string, string> | null) ?? {});
    if (counters.lastPurchaseMs !== null && counters.lastPurchaseMs >= Date.parse(input.addedAt)) return finish({ outcome: 'suppressed', reason: 'purchase_made' });
    if (!raw) return finish({ outcome: 'suppressed', reason: 'no_online_decision' });
    const read = readOnlineBlob(raw);
    if (!read.ok) return finish({ outcome: 'suppressed', reason: 'decision_unreadable' });
    const blob = read.blob;
    if (isExpired(blob, now())) return finish({ outcome: 'suppressed', reason: 'decision_expired' });
    if (!blob.consent[act.consentPurpose]) return finish({ outcome: 'suppressed', reason: 'no_consent' });
    if (blob.holdout_arm === 'control') return finish({ outcome: 'suppressed', reason: 'holdout_control' });

    const decision = blob.decisions[act.decisionDestination] ?? Object.values(blob.decisions)[0]!;
    const key = `cart:${input.workflowId}:${input.cartAddEventId}`;
    const row: DeliveryRow = {
      entityId: input.entityId,
      op: 'upsert',
      payload: {
        type: 'cart_abandonment',
        offer: act.offer,
        segment: decision.segment,
        decision_token: decision.decision_token,
        model_version: blob.model_version,
        cart_add_event_id: input.cartAddEventId,
        added_at: input.addedAt,
      },
      // Constant per activation, so the webhook-id survives a changed blob between attempts.
      digest: createHash('sha256').update(key).digest('hex'),
      identifiers: {},
    };
    const webhookId = rowMessageId(key, row);
    const adapter = createWebhookAdapter(
      { url: act.url, secretEnv: act.secretEnv, mode: 'per-row', eventType: act.eventType, concurrency: 1, timeoutMs: act.timeoutMs },
      { env: deps.env, fetch: deps.fetch },
    );
    try {
      const r = await adapter.send([row], { idempotencyKey: key, chunkIndex: 0, totalChunks: 1 });
      const rejected = r.rejected[0];
      if (rejected) return finish({ outcome: 'rejected', reason: rejected.reason, webhookId });
    } catch (err) {
      if (err instanceof DestinationRejectedError) return finish({ outcome: 'rejected', reason: err.message, webhookId });
      throw err; // retryable: the retry sends the same webhook-id
    }
    return finish({ outcome: 'delivered', webhookId }, { segment: decision.segment, decision_token: decision.decision_token });
  }

  return { cartAbandonmentActivity };
}

export const { cartAbandonmentActivity } = createCartActivities();
