/**
 * Lost and duplicated rows of one run, counted at the receivers against the plan the sync engine
 * stored in PostgreSQL (destination_sync_plan_row, chunked as executeSync sends it).
 *
 * - webhook receiver and NATS stream: row by row (entity and op), from the unique webhook-ids and
 *   the stream's messages;
 * - Target: row by row (thirdPartyId and op), from the batch files it applied;
 * - Google and Meta carry hashes only: a planned chunk counts as delivered when a delivery under its
 *   idempotency key (Meta: its session) arrived with the chunk's member count, and each planned
 *   upsert's email hash must be held by the audience; a delivery under a key the plan does not have
 *   applied its members a second time (or rows nobody planned).
 *
 * `duplicated` counts rows applied more than once; `unplanned` rows a receiver applied that the plan
 * does not hold; `redelivered` requests the receivers recognised as a resend (same key) and did not
 * apply again: that is idempotency working, not a defect.
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
      const deliveries = google
        ? s.google.received().map((d) => ({ key: d.idempotencyKey ?? '', op: d.operation === 'ingest' ? 'upsert' : 'remove', members: d.members }))
        : s.meta.received().map((d) => ({ key: String(d.sessionId), op: d.method === 'POST' ? 'upsert' : 'remove', members: d.records }));
      const keyOf = (k: string) => (google ? k : String(metaSessionId(k)));
      const planned = new Map(chunks.map((c) => [keyOf(c.key), c]));
      const lostRows = new Set<string>();
      let duplicated = 0;
      const got = new Map<string, number>();
      for (const d of deliveries) {
        const c = planned.get(d.key);
        if (!c) {
          // Members sent under a key the plan does not have: the run applied them a second time (fresh receivers hold nothing else).
          duplicated += d.members;
          continue;
        }
        got.set(d.key, (got.get(d.key) ?? 0) + d.members);
      }
      for (const [key, c] of planned) {
        const n = got.get(key) ?? 0;
        if (n < c.rows.length) c.rows.slice(n).forEach((r) => lostRows.add(rowKey(r.op, r.entityId)));
        if (n > c.rows.length) duplicated += n - c.rows.length;
      }
      // Row by row where the hash is known: every planned upsert's email must be in the audience.
      const has = (sha: string) => (google ? s.google.hasEmail(audience, sha) : s.meta.hasEmail(audience, sha));
      for (const r of rows) {
        const sha = google ? r.identifiers.emailAddress : r.identifiers.EMAIL;
        if (r.op === 'upsert' && sha && !has(sha)) lostRows.add(rowKey(r.op, r.entityId));
        if (r.op === 'remove' && sha && has(sha)) lostRows.add(rowKey(r.op, r.entityId));
      }
      counted = { lost: lostRows.size, duplicated, unplanned: 0 };
      redelivered = google ? s.google.counts.duplicates : s.meta.counts.duplicates;
    }
    out.push({ destination, planned: rows.length, redelivered, ...counted });
  }
  return out;
}
