/**
 * The event ingest's side of cart abandonment: a cart add does signalWithStart on the visitor's
 * workflow (`cart.<entityId>`), a purchase signals it to cancel. A purchase for a visitor without a
 * running workflow needs nothing.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { CART_WORKFLOW_TYPE, cartAddSignal, cartWorkflowId, purchaseSignal, type CartAbandonmentInput } from '../../workflows/cart-abandonment.ts';
import type { CartActivation } from './cart-activation.ts';
import type { CartHooks } from './event-ingest.ts';

export interface CartHooksOptions {
  client: Client;
  taskQueue: string;
  delayMs: number;
  activation: CartActivation;
  namespace?: string;
}

export function createCartHooks(opts: CartHooksOptions): CartHooks {
  return {
    async onAdd(entityId, eventId, at) {
      const input: CartAbandonmentInput = { entityId, delayMs: opts.delayMs, activation: opts.activation, namespace: opts.namespace };
      await opts.client.workflow.signalWithStart(CART_WORKFLOW_TYPE, {
        workflowId: cartWorkflowId(entityId),
        taskQueue: opts.taskQueue,
        args: [input],
        signal: cartAddSignal,
        signalArgs: [{ eventId, at }],
      });
    },
    async onPurchase(entityId, eventId, at) {
      try {
        await opts.client.workflow.getHandle(cartWorkflowId(entityId)).signal(purchaseSignal, { eventId, at });
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return; // no cart pending (or its timer already fired)
        throw err;
      }
    },
  };
}
