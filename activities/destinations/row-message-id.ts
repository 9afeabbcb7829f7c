/**
 * Pure: the idempotency key of one row's message toward a consumer (webhook-id, Nats-Msg-Id).
 * It is derived from the chunk's idempotency key (run, destination, chunk: stable across retries)
 * and the row's entity, operation and digest, so a retried chunk re-sends the same ids and the
 * consumer recognises the redelivery, while a later run's change is a new message. The entity id is
 * hashed, never shown.
 */
import { createHash } from 'node:crypto';
import type { DeliveryRow } from './adapter.ts';

export function rowMessageId(chunkKey: string, row: Pick<DeliveryRow, 'entityId' | 'op' | 'digest'>): string {
  const h = createHash('sha256').update(`${chunkKey}\u0000${row.entityId}\u0000${row.op}\u0000${row.digest}`).digest('base64url');
  return `msg_${h.slice(0, 32)}`;
}

/** The key of one batched message: the chunk key and the ordered rows it carries. */
export function batchMessageId(chunkKey: string, batchIndex: number, rows: readonly Pick<DeliveryRow, 'entityId' | 'op' | 'digest'>[]): string {
  const h = createHash('sha256').update(`${chunkKey}\u0000batch\u0000${batchIndex}`);
  for (const r of rows) h.update(`\u0000${r.entityId}\u0000${r.op}\u0000${r.digest}`);
  return `msg_${h.digest('base64url').slice(0, 32)}`;
}
