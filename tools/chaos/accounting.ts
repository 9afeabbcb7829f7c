/**
 * Lost and duplicated rows of one run, counted at the receivers against the plan the sync engine
 * stored in PostgreSQL (destination_sync_plan_row, chunked as executeSync sends it).
 *
 * - webhook receiver and NATS stream: row by row (entity and op), from the unique webhook-ids and
 *   the stream's messages;
 * - Target: row by row (thirdPartyId and op), from the batch files it applied;
 * - Google and Meta carry hashes only: chunk by chunk under each chunk's idempotency key (Meta: its
 *   session), with the rules of countAudienceChunks, and each planned upsert's email hash must be
 *   held by the audience.
 *
 * `duplicated` counts rows whose effect was applied more than once; `unplanned` rows a receiver
 * applied that the plan does not hold; `redelivered` requests the receivers recognised as a resend
 * (same key, or no membership change) that changed nothing: at-least-once delivery meeting an
 * idempotent receiver, not a defect.
 */
import type { NatsConnection } from 'nats';
import type pg from 'pg';
import { TARGET_CLEAR_SENTINEL } from '../../activities/destinations/adobe-target-rules.ts';
import { metaSessionId } from '../../activities/destinations/meta-custom-audiences.ts';
import { chunkPlan, idempotencyKey, loadPlan, type PlannedRow } from '../../activities/destinations/sync-engine.ts';
import type { ContractServers } from '../contract-servers/start-all.ts';

export const KINDS = ['target', 'google', 'meta', 'webhook', 'nats'] as const;
export type Kind = (typeof KINDS)[number];

export interface DestinationCount {
  destination: string;
  planned: number;
  lost: number;
  duplicated: number;
  unplanned: number;
  redelivered: number;
}

interface StreamRow {
  entity_id: string;
  op: 'upsert' | 'remove';
}

export async function streamRows(nc: NatsConnection, stream: string): Promise<StreamRow[]> {
  const jsm = await nc.jetstreamManager();
  let last: number;
  try {
    last = (await jsm.streams.info(stream)).state.last_seq;
  } catch {
    return []; // never created: nothing was published
  }
  const out: StreamRow[] = [];
  for (let seq = 1; seq <= last; seq++) out.push((await jsm.streams.getMessage(stream, { seq })).json<StreamRow>());
  return out;
}

/** Lost, duplicated and unplanned rows, each row named `op:id`: planned once, received any number of times. */
export function countRows(planned: string[], received: string[]): Pick<DestinationCount, 'lost' | 'duplicated' | 'unplanned'> {
  const want = new Set(planned);
  const seen = new Map<string, number>();
  for (const r of received) seen.set(r, (seen.get(r) ?? 0) + 1);
  let lost = 0;
  let duplicated = 0;
  let unplanned = 0;
  for (const p of want) if (!seen.has(p)) lost++;
  for (const [r, n] of seen) {
    if (!want.has(r)) unplanned += n;
    else duplicated += n - 1;
  }
  return { lost, duplicated, unplanned };
}

/** One request an audience receiver applied to the destination's audience. */
export interface AudienceDelivery {
  /** Its idempotency key (Meta: its upload session). */
  key: string;
  op: 'upsert' | 'remove';
  members: number;
  /** Members whose membership it changed. */
  changed: number;
  /** A digest of the members it carried, where the receiver records one (Google). */
  digest?: string;
}

export interface AudienceChunkCount {
  /** Rows (`op:id`) of chunks that never fully arrived. */
  lost: string[];
  /** Members whose effect was applied more than once. */
  duplicated: number;
  /** Members sent under a key the plan does not have, or under a planned key with the other op. */
  unplanned: number;
  /** Resends that carried their chunk's members again and changed nothing. */
  resent: number;
}

/**
 * Chunks of an audience destination on a fresh receiver against what it applied.
 *
 * - The first delivery under a chunk's key, with the chunk's op, delivers the chunk: fewer members
 *   than planned leaves the tail lost, more are duplicated, and an add that changed fewer members
 *   than it carried added someone the audience already held (another chunk had sent them) —
 *   duplicated by the difference.
 * - A further delivery under that key is a resend. Google documents no request idempotency, so a
 *   chunk in flight when a worker was killed is sent and applied again; membership is a set, so it
 *   is harmless when it carries the same members as the first (same digest and count) and changed
 *   nothing (`resent`). Otherwise it is duplicated: by all its members when they differ from the
 *   chunk's, else by those whose membership it changed (e.g. an add resent after a remove).
 * - A delivery under a key no chunk has, or with the other op, is unplanned, whatever it changed.
 */
export function countAudienceChunks(planned: { key: string; op: 'upsert' | 'remove'; rows: string[] }[], deliveries: AudienceDelivery[]): AudienceChunkCount {
  const chunks = new Map(planned.map((c) => [c.key, c]));
  const first = new Map<string, AudienceDelivery>();
  let duplicated = 0;
  let unplanned = 0;
  let resent = 0;
  for (const d of deliveries) {
    const c = chunks.get(d.key);
    if (!c || c.op !== d.op) {
      unplanned += d.members;
      continue;
    }
    const f = first.get(d.key);
    if (!f) {
      first.set(d.key, d);
      if (d.members > c.rows.length) duplicated += d.members - c.rows.length;
      if (d.op === 'upsert') duplicated += Math.min(d.members, c.rows.length) - Math.min(d.changed, c.rows.length);
      continue;
    }
    const sameMembers = d.members === f.members && d.digest === f.digest;
    if (!sameMembers) duplicated += d.members;
    else if (d.changed > 0) duplicated += d.changed;
    else resent++;
  }
  const lost: string[] = [];
  for (const c of planned) {
    const n = first.get(c.key)?.members ?? 0;
    if (n < c.rows.length) lost.push(...c.rows.slice(n));
  }
  return { lost, duplicated, unplanned, resent };
}

const rowKey = (op: string, id: string | undefined) => `${op}:${id ?? '?'}`;

export interface AccountInput {
  pool: pg.Pool;
  /** The cycle run id the exports ran under, and each destination's name in the pipeline. */
  cycleRunId: string;
  names: Record<Kind, string>;
  chunkRows: Record<Kind, number>;
  servers: ContractServers;
  nc: NatsConnection;
  stream: string;
}

export async function accountRun(a: AccountInput): Promise<DestinationCount[]> {
  const out: DestinationCount[] = [];
  for (const kind of KINDS) {
    const destination = a.names[kind];
    const plan = await loadPlan(a.cycleRunId, destination, a.pool);
    if (!plan) throw new Error(`run ${a.cycleRunId} stored no sync plan for ${destination}: its export never planned`);
    const chunks = chunkPlan(plan, a.chunkRows[kind]).map((c) => ({ ...c, key: idempotencyKey(a.cycleRunId, destination, c.op, c.index) }));
    const rows: PlannedRow[] = chunks.flatMap((c) => c.rows);
    const s = a.servers;
    let counted: Pick<DestinationCount, 'lost' | 'duplicated' | 'unplanned'>;
    let redelivered = 0;
    if (kind === 'webhook') {
      const received = [...s.webhook.messages.values()].flatMap((body) => {
        const b = body as { data: { rows?: StreamRow[] } & Partial<StreamRow> };
        return b.data.rows ?? [b.data as StreamRow];
      });
      counted = countRows(
        rows.map((r) => rowKey(r.op, r.entityId)),
        received.map((r) => rowKey(r.op, r.entity_id)),
      );
      redelivered = s.webhook.counts.duplicates;
    } else if (kind === 'nats') {
      const received = await streamRows(a.nc, a.stream);
      counted = countRows(
        rows.map((r) => rowKey(r.op, r.entityId)),
        received.map((r) => rowKey(r.op, r.entity_id)),
      );
    } else if (kind === 'target') {
      const applied = [...s.target.batches.values()].flatMap((b) =>
        b.applied.map((r) => rowKey(Object.values(r.attrs).every((v) => v === TARGET_CLEAR_SENTINEL) ? 'remove' : 'upsert', r.id)),
      );
      counted = countRows(
        rows.map((r) => rowKey(r.op, r.identifiers.thirdPartyId)),
        applied,
      );
      redelivered = s.target.counts.duplicateBatches;
    } else {
      const google = kind === 'google';
      const audience = google ? s.googleAudienceId : s.metaAudienceId;
      // Meta's fake answers a resent session batch without applying it and lists each batch once, so
      // every Meta delivery is taken to have changed all its records.
      const deliveries: AudienceDelivery[] = google
        ? s.google
            .received()
            .filter((d) => d.audienceIds.includes(audience))
            .map((d) => ({ key: d.idempotencyKey ?? '', op: d.operation === 'ingest' ? 'upsert' : 'remove', members: d.members, changed: d.membersChanged, digest: d.membersDigest }))
        : s.meta
            .received()
            .filter((d) => d.audienceId === audience)
            .map((d) => ({ key: String(d.sessionId), op: d.method === 'POST' ? 'upsert' : 'remove', members: d.records, changed: d.records }));
      const keyOf = (k: string) => (google ? k : String(metaSessionId(k)));
      const chunked = countAudienceChunks(
        chunks.map((c) => ({ key: keyOf(c.key), op: c.op, rows: c.rows.map((r) => rowKey(r.op, r.entityId)) })),
        deliveries,
      );
      const lostRows = new Set(chunked.lost);
      // Row by row where the hash is known: every planned upsert's email must be in the audience.
      const has = (sha: string) => (google ? s.google.hasEmail(audience, sha) : s.meta.hasEmail(audience, sha));
      for (const r of rows) {
        const sha = google ? r.identifiers.emailAddress : r.identifiers.EMAIL;
        if (r.op === 'upsert' && sha && !has(sha)) lostRows.add(rowKey(r.op, r.entityId));
        if (r.op === 'remove' && sha && has(sha)) lostRows.add(rowKey(r.op, r.entityId));
      }
      counted = { lost: lostRows.size, duplicated: chunked.duplicated, unplanned: chunked.unplanned };
      // Meta's fake lists a resent session batch once and counts it in `duplicates`.
      redelivered = google ? chunked.resent : s.meta.counts.duplicates;
    }
    out.push({ destination, planned: rows.length, redelivered, ...counted });
  }
  return out;
}
