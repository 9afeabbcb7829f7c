/**
 * What the receivers of one set of contract servers (tools/contract-servers/start-all.ts) and one
 * NATS JetStream stream were given, read back from the receivers themselves, per run: the webhook
 * receiver's messages by webhook-id, the stream's messages with their Nats-Msg-Id, Target's batch
 * files with the rows each applied, and Google's and Meta's unique deliveries. Beside it, what the
 * sync engine planned for a run (its stored plan, chunked as it sends) and the keys that carries.
 */
import type { NatsConnection } from 'nats';
import type pg from 'pg';
import { TARGET_CLEAR_SENTINEL } from '../../activities/destinations/adobe-target-rules.ts';
import { metaSessionId } from '../../activities/destinations/meta-custom-audiences.ts';
import { batchMessageId, rowMessageId } from '../../activities/destinations/row-message-id.ts';
import { chunkPlan, idempotencyKey, loadPlan, type PlannedRow, type SyncChunk, type SyncPlan } from '../../activities/destinations/sync-engine.ts';
import type { ContractServers } from '../../tools/contract-servers/start-all.ts';
import type { GoogleDelivery } from '../../tools/contract-servers/google.ts';
import type { MetaDelivery } from '../../tools/contract-servers/meta.ts';
import type { TargetBatch } from '../../tools/contract-servers/target.ts';

export interface SentRow {
  entity_id: string;
  op: 'upsert' | 'remove';
  digest: string;
  payload: Record<string, unknown>;
}

export interface StreamMessage {
  seq: number;
  msgId: string;
  body: SentRow;
}

export interface Marks {
  webhook: number;
  target: number;
  google: number;
  meta: number;
  natsSeq: number;
}

export interface Received {
  /** New webhook-ids, in first-delivery order, with the rows each carried. */
  webhook: { id: string; rows: SentRow[] }[];
  nats: StreamMessage[];
  target: TargetBatch[];
  google: GoogleDelivery[];
  meta: MetaDelivery[];
}

export async function streamMessages(nc: NatsConnection, stream: string, afterSeq = 0): Promise<StreamMessage[]> {
  const jsm = await nc.jetstreamManager();
  let last: number;
  try {
    last = (await jsm.streams.info(stream)).state.last_seq;
  } catch {
    return []; // not created yet: nothing was published
  }
  const out: StreamMessage[] = [];
  for (let seq = afterSeq + 1; seq <= last; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq });
    out.push({ seq, msgId: m.header.get('Nats-Msg-Id'), body: m.json<SentRow>() });
  }
  return out;
}

export async function mark(s: ContractServers, nc: NatsConnection, stream: string): Promise<Marks> {
  const msgs = await streamMessages(nc, stream);
  return { webhook: s.webhook.messages.size, target: s.target.batches.size, google: s.google.received().length, meta: s.meta.received().length, natsSeq: msgs.at(-1)?.seq ?? 0 };
}

export async function receivedSince(s: ContractServers, nc: NatsConnection, stream: string, m: Marks): Promise<Received> {
  return {
    webhook: [...s.webhook.messages].slice(m.webhook).map(([id, body]) => {
      const b = body as { data: { rows?: SentRow[] } & Partial<SentRow> };
      return { id, rows: b.data.rows ?? [b.data as SentRow] };
    }),
    nats: await streamMessages(nc, stream, m.natsSeq),
    target: [...s.target.batches.values()].slice(m.target),
    google: s.google.received().slice(m.google),
    meta: s.meta.received().slice(m.meta),
  };
}

/** A receiver's members as the test follows them from what it was sent: upsert to one not held is an add. */
export class HeldSet {
  readonly held = new Set<string>();
  apply(rows: { id: string; op: 'upsert' | 'remove' }[]): { adds: number; updates: number; removes: number } {
    const n = { adds: 0, updates: 0, removes: 0 };
    for (const r of rows) {
      if (r.op === 'remove') {
        if (this.held.delete(r.id)) n.removes++;
        else throw new Error(`the receiver was told to remove ${r.id}, which it does not hold`);
      } else if (this.held.has(r.id)) n.updates++;
      else {
        this.held.add(r.id);
        n.adds++;
      }
    }
    return n;
  }
}

/** Target rows: a row whose every attribute is the clear sentinel is a removal. */
export function targetRows(batches: TargetBatch[]): { id: string; op: 'upsert' | 'remove'; attrs: Record<string, string> }[] {
  return batches.flatMap((b) =>
    b.applied.map((r) => ({ id: r.id, attrs: r.attrs, op: Object.values(r.attrs).every((v) => v === TARGET_CLEAR_SENTINEL) ? ('remove' as const) : ('upsert' as const) })),
  );
}

/** The attributes Target should hold after an upsert of `payload` (null clears with the sentinel). */
export function targetAttrs(payload: Record<string, unknown>, op: 'upsert' | 'remove'): Record<string, string> {
  return Object.fromEntries(
    Object.entries(payload)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, op === 'remove' || v === null ? TARGET_CLEAR_SENTINEL : String(v)]),
  );
}

export interface RunPlan {
  plan: SyncPlan;
  chunks: (SyncChunk & { key: string })[];
  /** Rows in send order. */
  rows: PlannedRow[];
  counts: { adds: number; updates: number; removes: number; retries: number; unchanged: number; held: number };
}

/** The plan the export stored for a run and destination, chunked as executeSync sends it. */
export async function runPlan(pool: pg.Pool, runId: string, destination: string, chunkRows: number): Promise<RunPlan> {
  const plan = await loadPlan(runId, destination, pool);
  if (!plan) throw new Error(`run ${runId} stored no plan for ${destination}: the export did not run`);
  const chunks = chunkPlan(plan, chunkRows).map((c) => ({ ...c, key: idempotencyKey(runId, destination, c.op, c.index) }));
  return {
    plan,
    chunks,
    rows: chunks.flatMap((c) => c.rows),
    counts: { adds: plan.adds.length, updates: plan.updates.length, removes: plan.removes.length, retries: plan.retries.length, unchanged: plan.unchanged.length, held: plan.held.length },
  };
}

/** The webhook-ids a plan's chunks carry in batch mode. */
export function webhookIds(p: RunPlan, batchSize: number): string[] {
  return p.chunks.flatMap((c) => {
    const ids: string[] = [];
    for (let i = 0; i < c.rows.length; i += batchSize) ids.push(batchMessageId(c.key, i / batchSize, c.rows.slice(i, i + batchSize)));
    return ids;
  });
}

export const natsIds = (p: RunPlan): string[] => p.chunks.flatMap((c) => c.rows.map((r) => rowMessageId(c.key, r)));
export const metaSessions = (p: RunPlan): number[] => p.chunks.map((c) => metaSessionId(c.key));

/** Sorted copy, for comparing what was sent with what was planned regardless of arrival order. */
export function sortRows<T extends { entity_id: string; op: string }>(rows: T[]): T[] {
  return [...rows].sort((a, b) => (a.op + a.entity_id < b.op + b.entity_id ? -1 : a.op + a.entity_id > b.op + b.entity_id ? 1 : 0));
}

export const sentForm = (r: PlannedRow): SentRow => ({ entity_id: r.entityId, op: r.op, digest: r.digest, payload: r.payload });
