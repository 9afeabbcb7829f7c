/**
 * The chain ledger for the real-time path: entity × event × destination through generated →
 * delivered / rejected / suppressed (with reason). The run id is `realtime:<event _id>` (cart
 * abandonment: `realtime:cart:<cart add _id>`), so an event's entries are one chain and writing them
 * twice changes nothing.
 */
import type pg from 'pg';

export type RealtimeStage = 'generated' | 'delivered' | 'rejected' | 'suppressed';

export interface LedgerEntry {
  runId: string;
  entityId: string;
  destination: string;
  stage: RealtimeStage;
  detail: Record<string, unknown>;
}

export const realtimeRunId = (eventId: string) => `realtime:${eventId}`;
export const cartRunId = (cartAddEventId: string) => `realtime:cart:${cartAddEventId}`;

/** Writes entries in one statement; an entry already recorded is kept as first written. */
export async function recordLedger(db: Pick<pg.Pool, 'query'>, entries: readonly LedgerEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db.query(
    `INSERT INTO ledger_event (run_id, entity_id, destination, stage, detail)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[])
     ON CONFLICT (run_id, entity_id, destination, stage) DO NOTHING`,
    [
      entries.map((e) => e.runId),
      entries.map((e) => e.entityId),
      entries.map((e) => e.destination),
      entries.map((e) => e.stage),
      entries.map((e) => JSON.stringify(e.detail)),
    ],
  );
}
