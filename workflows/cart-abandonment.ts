/**
 * cartAbandonment: one small workflow per visitor (id `cart.<entityId>`), started by the event
 * ingest with signalWithStart on a `productListAdds` event. It holds a durable timer of `delayMs`
 * (an input; tests pass milliseconds) from the latest cart add. A `purchases` event signals it and
 * it ends without activating. When the timer fires, the configured activation (a webhook offer) is
 * sent by an activity, which also checks the online store: consent, a purchase already recorded,
 * and the visitor's decision not expired. Deterministic only: activities are imported as types.
 */
import { condition, continueAsNew, defineQuery, defineSignal, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import { z } from 'zod';
import type * as activities from '../activities/index.ts';
import type { CartActivation, CartAbandonmentActivityResult } from '../activities/online/cart-activation.ts';

export const CART_WORKFLOW_TYPE = 'cartAbandonment';
export const cartWorkflowId = (entityId: string) => `cart.${entityId}`;

export const CartSignalPayload = z
  .object({
    /** The XDM event `_id` that caused the signal. */
    eventId: z.string().min(1).max(256),
    /** The event's timestamp (RFC 3339). */
    at: z.iso.datetime({ offset: true }),
  })
  .strict();
export type CartSignalPayload = z.infer<typeof CartSignalPayload>;

// Signals take `unknown`: the handler validates, and an invalid payload is recorded, never fatal.
export const cartAddSignal = defineSignal<[unknown]>('cartAdd');
export const purchaseSignal = defineSignal<[unknown]>('purchase');

export const CART_SIGNAL_DESCRIPTIONS = {
  cartAdd: 'A cart add (XDM commerce.productListAdds) for this visitor: (re)starts the abandonment timer from this add. Payload: {"eventId":"<_id>","at":"<RFC 3339>"}.',
  purchase: 'A purchase (XDM commerce.purchases) for this visitor: cancels the pending abandonment activation. Payload: {"eventId":"<_id>","at":"<RFC 3339>"}.',
} as const;

export interface CartStatusView {
  adds: number;
  lastAdd: CartSignalPayload | null;
  purchase: CartSignalPayload | null;
  rejectedSignals: { signal: string; error: string }[];
  outcome: CartAbandonmentActivityResult | null;
}
export const cartStatusQuery = defineQuery<CartStatusView>('cartStatus');
export const CART_QUERY_DESCRIPTIONS = { cartStatus: 'Cart adds seen, the latest add, a purchase if any, rejected signals and the outcome once decided.' } as const;

/** Pure state of one visitor's cart: testable without Temporal. */
export class CartState {
  adds = 0;
  lastAdd: CartSignalPayload | null = null;
  purchase: CartSignalPayload | null = null;
  rejectedSignals: { signal: string; error: string }[] = [];
  outcome: CartAbandonmentActivityResult | null = null;
  private seen = new Set<string>();

  constructor(carry?: Pick<CartStatusView, 'adds' | 'lastAdd'>) {
    if (carry) {
      this.adds = carry.adds;
      this.lastAdd = carry.lastAdd;
      if (carry.lastAdd) this.seen.add(carry.lastAdd.eventId);
    }
  }

  private parse(signal: string, payload: unknown): CartSignalPayload | null {
    const r = CartSignalPayload.safeParse(payload);
    if (r.success) return r.data;
    const issue = r.error.issues[0]!;
    this.rejectedSignals.push({ signal, error: `${issue.path.map(String).join('.') || '(payload)'}: ${issue.message}` });
    if (this.rejectedSignals.length > 20) this.rejectedSignals.shift();
    return null;
  }

  /** Returns true when this add restarts the timer (a new, valid add). */
  onAdd(payload: unknown): boolean {
    const p = this.parse('cartAdd', payload);
    if (!p || this.seen.has(p.eventId)) return false;
    this.seen.add(p.eventId);
    this.adds++;
    this.lastAdd = p;
    return true;
  }

  onPurchase(payload: unknown): void {
    const p = this.parse('purchase', payload);
    if (p && !this.purchase) this.purchase = p;
  }

  view(): CartStatusView {
    return { adds: this.adds, lastAdd: this.lastAdd, purchase: this.purchase, rejectedSignals: [...this.rejectedSignals], outcome: this.outcome };
  }
}

export interface CartAbandonmentInput {
  entityId: string;
  /** Time from the latest cart add to the activation, in milliseconds. */
  delayMs: number;
  activation: CartActivation;
  /** Online store key namespace (default "sf"). */
  namespace?: string;
  /** State carried over by continue-as-new. */
  carry?: Pick<CartStatusView, 'adds' | 'lastAdd'>;
}

export interface CartAbandonmentResult {
  outcome: CartAbandonmentActivityResult['outcome'];
  reason?: string;
  webhookId?: string;
  adds: number;
}

const acts = proxyActivities<typeof activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 6, initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: ['DestinationRejected', 'InvalidCartActivation'] },
});

export async function cartAbandonment(input: CartAbandonmentInput): Promise<CartAbandonmentResult> {
  const state = new CartState(input.carry);
  let generation = 0;
  setHandler(cartAddSignal, (p) => {
    if (state.onAdd(p)) generation++;
  }, { description: CART_SIGNAL_DESCRIPTIONS.cartAdd });
  setHandler(purchaseSignal, (p) => state.onPurchase(p), { description: CART_SIGNAL_DESCRIPTIONS.purchase });
  setHandler(cartStatusQuery, () => state.view(), { description: CART_QUERY_DESCRIPTIONS.cartStatus });

  const { workflowId } = workflowInfo();
  // signalWithStart delivers the add before the first step; wait briefly for it otherwise.
  if (!state.lastAdd) await condition(() => state.lastAdd !== null || state.purchase !== null, input.delayMs);
  if (!state.lastAdd) return { outcome: 'suppressed', reason: 'no_cart_add', adds: 0 };

  for (;;) {
    if (state.purchase) break;
    const seen = generation;
    const interrupted = await condition(() => state.purchase !== null || generation !== seen, input.delayMs);
    if (state.purchase) break;
    if (interrupted) {
      // A new add restarts the timer; keep history bounded for visitors who add for a long time.
      if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof cartAbandonment>({ ...input, carry: { adds: state.adds, lastAdd: state.lastAdd } });
      continue;
    }
    const add = state.lastAdd!;
    state.outcome = await acts.cartAbandonmentActivity({
      workflowId,
      entityId: input.entityId,
      cartAddEventId: add.eventId,
      addedAt: add.at,
      purchased: false,
      activation: input.activation,
      namespace: input.namespace,
    });
    return { ...state.outcome, adds: state.adds };
  }
  const add = state.lastAdd!;
  state.outcome = await acts.cartAbandonmentActivity({
    workflowId,
    entityId: input.entityId,
    cartAddEventId: add.eventId,
    addedAt: add.at,
    purchased: true,
    activation: input.activation,
    namespace: input.namespace,
  });
  return { ...state.outcome, adds: state.adds };
}
