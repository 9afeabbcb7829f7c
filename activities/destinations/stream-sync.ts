/**
 * The sync engine's streaming path: what an export activity runs for a stateful destination.
 *
 * Planning: one transaction, a server-side cursor over the run's canonical records (one shard's
 * entity-hash range, or all), a page at a time: identity resolution for the page, the desired rows,
 * the destination's state for exactly those entities, planEntity (the same rules as planSync) per
 * entity, and the plan rows (each with its send phase) and suppressions written with COPY. A second
 * cursor plans the members the run no longer has.
 *
 * Sending: chunk k is the k-th slice of its operation's rows in (phase, ordinal) order, read when
 * its turn comes, so a resumed attempt reads exactly the chunk its heartbeat names. Unchanged members are touched in one UPDATE from the plan rows.
 * Memory follows the page and chunk sizes, never the run.
 */
import type pg from 'pg';
import type { CanonicalRecord } from '../../contracts/canonical-record.ts';
import { getPool, withTransaction } from '../store/db.ts';
import { copyRows, type CopyValue } from '../store/copy-rows.ts';
import { cursorPages, shardParams, shardPredicate, type Shard } from '../store/shard.ts';
import { identityTargetFor, type ResolutionCounts } from '../identity/resolve.ts';
import type { StatefulDestination } from './adapter-factory.ts';
import { buildDesiredRows, type DesiredRows } from './desired-rows.ts';
import {
  DEFAULT_REFRESH_LEAD_MS,
  planEntity,
  sendChunks,
  STATE_COLUMNS,
  toSyncState,
  type ChunkSourceInput,
  type DesiredRow,
  type ExecuteSyncResult,
  type PlannedRow,
  type StateRow,
  type SyncChunk,
  type SyncPlan,
} from './sync-engine.ts';

/** Rows per chunk at most on the streaming path, whatever an adapter allows (Target takes 500,000 per file). */
export const STREAM_MAX_CHUNK_ROWS = 50_000;

export type IdentityFigures = DesiredRows['identity'];

export interface StoredPlanInfo {
  chunkRows: number;
  removeRows: number;
  upsertRows: number;
  counts: Record<keyof SyncPlan, number>;
  identity: IdentityFigures;
}

export interface StreamPlanInput {
  runId: string;
  /** Key of this plan: the destination name, or "name#i/n" for a shard (activities/store/shard.ts). */
  planKey: string;
  /** Key of the destination's state (syncStateKey). */
  stateKey: string;
  dest: StatefulDestination;
  /** The customer master identities are resolved from (pipeline feed.crmNamespace); absent: the shared one. */
  crmNamespace?: string;
  shard?: Shard;
  pageSize: number;
  chunkRows: number;
  now: Date;
  maxAttempts?: number;
  /** Refresh lead time in ms (pipeline `freshness.refreshLead`); DEFAULT_REFRESH_LEAD_MS when absent. */
  refreshLeadMs?: number;
  pool?: pg.Pool;
  heartbeat?: (details: unknown) => void;
}

type Db = Pick<pg.PoolClient, 'query'>;

const EMPTY_COUNTS: ResolutionCounts = { total: 0, matched: 0, unmatched: 0, ambiguous: 0, malformed: {}, ambiguousIdentifiers: { email: 0, phone: 0 }, unmatchedBy: {}, ambiguousBy: {} };

function addTo<K extends string>(into: Partial<Record<K, number>>, from: Partial<Record<K, number>>): void {
  for (const [k, v] of Object.entries(from) as [K, number][]) into[k] = (into[k] ?? 0) + v;
}

/** Sums identity figures of pages (or shards); matchRate is recomputed from the sums. */
export function mergeIdentity(a: IdentityFigures, b: IdentityFigures): IdentityFigures {
  if (!a) return b && { ...b, malformed: { ...b.malformed }, ambiguousIdentifiers: { ...b.ambiguousIdentifiers }, unmatchedBy: { ...b.unmatchedBy }, ambiguousBy: { ...b.ambiguousBy } };
  if (!b) return a;
  const out = { ...EMPTY_COUNTS, ...a, malformed: { ...a.malformed }, ambiguousIdentifiers: { ...a.ambiguousIdentifiers }, unmatchedBy: { ...a.unmatchedBy }, ambiguousBy: { ...a.ambiguousBy }, matchRate: 0 };
  out.total += b.total;
  out.matched += b.matched;
  out.unmatched += b.unmatched;
  out.ambiguous += b.ambiguous;
  addTo(out.malformed, b.malformed);
  out.ambiguousIdentifiers.email += b.ambiguousIdentifiers.email;
  out.ambiguousIdentifiers.phone += b.ambiguousIdentifiers.phone;
  addTo(out.unmatchedBy, b.unmatchedBy);
  addTo(out.ambiguousBy, b.ambiguousBy);
  out.matchRate = out.total ? out.matched / out.total : 0;
  return out;
}

async function readPlanInfo(db: Db, runId: string, planKey: string): Promise<StoredPlanInfo | undefined> {
  const { rows } = await db.query<{ chunk_rows: number; remove_rows: number; upsert_rows: number; counts: Record<keyof SyncPlan, number>; identity: IdentityFigures }>(
    'SELECT chunk_rows, remove_rows, upsert_rows, counts, identity FROM destination_sync_run WHERE run_id = $1 AND destination = $2',
    [runId, planKey],
  );
  const r = rows[0];
  return r && { chunkRows: r.chunk_rows, removeRows: r.remove_rows, upsertRows: r.upsert_rows, counts: r.counts, identity: r.identity };
}

const PLAN_COLUMNS = ['run_id', 'destination', 'ordinal', 'list', 'entity_id', 'row', 'phase'];

/** Send order: removes, retried removes, adds, updates, retried upserts; null for rows not sent. */
export function sendPhase(list: string, op: string | undefined): number | null {
  if (list === 'removes') return 0;
  if (list === 'retries') return op === 'remove' ? 1 : 4;
  if (list === 'adds') return 2;
  if (list === 'updates') return 3;
  return null;
}
const REMOVE_PHASES = [0, 1];
const UPSERT_PHASES = [2, 3, 4];

/**
 * The run's plan for one destination (or shard of it): read when an earlier attempt stored it,
 * otherwise computed page by page and stored, under an advisory lock so concurrent attempts agree.
 */
export async function loadOrCreateStreamedPlan(input: StreamPlanInput): Promise<StoredPlanInfo> {
  const pool = input.pool ?? getPool();
  const stored = await readPlanInfo(pool, input.runId, input.planKey);
  if (stored) return stored;
  return withTransaction(async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`sync-plan:${input.runId}:${input.planKey}`]);
    const again = await readPlanInfo(client, input.runId, input.planKey);
    if (again) return again;
    // A plan an earlier version stored whole (no summary row) is kept as it is and only numbered.
    const { rows: legacy } = await client.query('SELECT 1 FROM destination_sync_plan_row WHERE run_id = $1 AND destination = $2 LIMIT 1', [input.runId, input.planKey]);
    const tally = legacy.length === 0 ? await planPages(client, input, pool) : await legacyTally(client, input);
    const info: StoredPlanInfo = { chunkRows: input.chunkRows, ...tally };
    await client.query(
      `INSERT INTO destination_sync_run (run_id, destination, chunk_rows, remove_rows, upsert_rows, counts, identity) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [input.runId, input.planKey, info.chunkRows, info.removeRows, info.upsertRows, JSON.stringify(info.counts), info.identity === null ? null : JSON.stringify(info.identity)],
    );
    return info;
  }, pool);
}

type PlanTally = Omit<StoredPlanInfo, 'chunkRows'>;

async function planPages(client: pg.PoolClient, input: StreamPlanInput, pool: pg.Pool): Promise<PlanTally> {
  const { runId, planKey, dest, shard } = input;
  const t = input.now.getTime();
  const maxAttempts = input.maxAttempts ?? 5;
  const lead = input.refreshLeadMs ?? DEFAULT_REFRESH_LEAD_MS;
  const takesIdentity = identityTargetFor(dest.kind) !== undefined;
  const inShard = shardPredicate('a.entity_id', shard, 2);
  // Customer ids several visitors of the run share are ambiguous whatever page or shard they fall in: judged over the whole run.
  const recordsSql = takesIdentity
    ? `WITH shared AS (
         SELECT record->'identity'->>'customer_id' AS cid FROM activation_record
          WHERE run_id = $1 AND record->'identity'->>'customer_id' IS NOT NULL GROUP BY 1 HAVING count(*) > 1)
       SELECT a.record, (s.cid IS NOT NULL) AS shared FROM activation_record a LEFT JOIN shared s ON s.cid = a.record->'identity'->>'customer_id'
        WHERE a.run_id = $1 AND ${inShard} ORDER BY a.entity_id`
    : `SELECT a.record, false AS shared FROM activation_record a WHERE a.run_id = $1 AND ${inShard} ORDER BY a.entity_id`;

  let ordinal = 0;
  let identity: IdentityFigures = null;
  let planned = 0;
  const counts: Record<keyof SyncPlan, number> = { adds: 0, updates: 0, removes: 0, retries: 0, unchanged: 0, held: 0 };
  let removeRows = 0;
  let upsertRows = 0;
  const writePlan = async (entries: [string, string, unknown][]) => {
    const rows: CopyValue[][] = entries.map(([list, entityId, row]) => {
      const phase = sendPhase(list, (row as { op?: string }).op);
      counts[list as keyof SyncPlan]++;
      if (phase === 0 || phase === 1) removeRows++;
      else if (phase !== null) upsertRows++;
      return [runId, planKey, ordinal++, list, entityId, row as object, phase];
    });
    await copyRows(client, 'destination_sync_plan_row', PLAN_COLUMNS, rows);
  };

  for await (const page of cursorPages<{ record: CanonicalRecord; shared: boolean }>(client, recordsSql, [runId, ...shardParams(shard)], input.pageSize)) {
    const records = page.map((r) => r.record);
    const shared = new Set(page.filter((r) => r.shared).map((r) => r.record.identity.customer_id!));
    const built = await buildDesiredRows(records, dest, pool, { sharedCustomerIds: shared, crmNamespace: input.crmNamespace });
    identity = takesIdentity ? mergeIdentity(identity, built.identity) : null;
    const ids = records.map((r) => r.entity_id);
    const { rows: stateRows } = await client.query<StateRow>(
      `SELECT ${STATE_COLUMNS} FROM destination_sync_state WHERE destination = $1 AND entity_id = ANY($2::text[]) AND (member OR pending_op IS NOT NULL)`,
      [input.stateKey, ids],
    );
    const stateBy = new Map(stateRows.map((r) => [r.entity_id, toSyncState(r)]));
    const desiredBy = new Map<string, DesiredRow>(built.desired.map((d) => [d.entityId, d]));
    const entries: [string, string, unknown][] = [];
    for (const id of ids) for (const [list, row] of planEntity(desiredBy.get(id), stateBy.get(id), t, maxAttempts, lead)) entries.push([list, id, row]);
    await writePlan(entries);
    const suppressed = [...built.excluded, ...built.filtered];
    await copyRows(client, 'destination_sync_suppressed', ['run_id', 'destination', 'entity_id', 'reason'], suppressed.map((x) => [runId, planKey, x.entityId, x.reason]));
    planned += records.length;
    input.heartbeat?.({ planning: planned });
  }

  // Members the run no longer has at all: removed (expired or no longer qualifying).
  const goneSql = `SELECT ${STATE_COLUMNS} FROM destination_sync_state a
     WHERE a.destination = $1 AND a.member AND ${shardPredicate('a.entity_id', shard, 3)}
       AND NOT EXISTS (SELECT 1 FROM activation_record r WHERE r.run_id = $2 AND r.entity_id = a.entity_id)
     ORDER BY a.entity_id`;
  for await (const page of cursorPages<StateRow>(client, goneSql, [input.stateKey, runId, ...shardParams(shard)], input.pageSize)) {
    const entries: [string, string, unknown][] = [];
    for (const r of page) for (const [list, row] of planEntity(undefined, toSyncState(r), t, maxAttempts, lead)) entries.push([list, r.entity_id, row]);
    await writePlan(entries);
    input.heartbeat?.({ planning: planned, gone: page.length });
  }
  return { identity, counts, removeRows, upsertRows };
}

/** A plan an earlier version stored whole: given its send phases, and counted, in SQL. */
async function legacyTally(client: pg.PoolClient, input: StreamPlanInput): Promise<PlanTally> {
  const { runId, planKey } = input;
  await client.query(
    `UPDATE destination_sync_plan_row SET phase = CASE WHEN list = 'removes' THEN 0 WHEN list = 'retries' AND row->>'op' = 'remove' THEN 1
                                                       WHEN list = 'adds' THEN 2 WHEN list = 'updates' THEN 3 ELSE 4 END
      WHERE run_id = $1 AND destination = $2 AND phase IS NULL AND list IN ('adds', 'updates', 'removes', 'retries')`,
    [runId, planKey],
  );
  const { rows } = await client.query<{ list: keyof SyncPlan; n: number; removes: number; upserts: number }>(
    `SELECT list, count(*)::int AS n, count(*) FILTER (WHERE phase IN (0, 1))::int AS removes, count(*) FILTER (WHERE phase IN (2, 3, 4))::int AS upserts
       FROM destination_sync_plan_row WHERE run_id = $1 AND destination = $2 GROUP BY list`,
    [runId, planKey],
  );
  const counts: Record<keyof SyncPlan, number> = { adds: 0, updates: 0, removes: 0, retries: 0, unchanged: 0, held: 0 };
  let removeRows = 0;
  let upsertRows = 0;
  for (const r of rows) {
    counts[r.list] = r.n;
    removeRows += r.removes;
    upsertRows += r.upserts;
  }
  return { counts, removeRows, upsertRows, identity: null };
}

/** Chunk k of a stored plan: its op and the slice [from, to) of that op's rows in send order. */
export function chunkRange(info: Pick<StoredPlanInfo, 'chunkRows' | 'removeRows' | 'upsertRows'>, k: number): { op: 'upsert' | 'remove'; from: number; to: number } {
  const size = info.chunkRows;
  const removeChunks = Math.ceil(info.removeRows / size);
  if (k < removeChunks) return { op: 'remove', from: k * size, to: Math.min((k + 1) * size, info.removeRows) };
  const j = k - removeChunks;
  return { op: 'upsert', from: j * size, to: Math.min((j + 1) * size, info.upsertRows) };
}

/** The rows of chunk k, in send order. */
export async function readChunk(db: Db, runId: string, planKey: string, info: Pick<StoredPlanInfo, 'chunkRows' | 'removeRows' | 'upsertRows'>, k: number): Promise<SyncChunk> {
  const { op, from, to } = chunkRange(info, k);
  const { rows } = await db.query<{ row: PlannedRow }>(
    `SELECT row FROM destination_sync_plan_row WHERE run_id = $1 AND destination = $2 AND phase = ANY($3::smallint[])
      ORDER BY phase, ordinal OFFSET $4 LIMIT $5`,
    [runId, planKey, op === 'remove' ? REMOVE_PHASES : UPSERT_PHASES, from, to - from],
  );
  return { index: k, op, rows: rows.map((r) => r.row) };
}

export function totalChunks(info: Pick<StoredPlanInfo, 'chunkRows' | 'removeRows' | 'upsertRows'>): number {
  return Math.ceil(info.removeRows / info.chunkRows) + Math.ceil(info.upsertRows / info.chunkRows);
}

/**
 * Sends a stored plan chunk by chunk (`destination` of the input is the plan key), then touches the
 * unchanged members in SQL: their expiry and model version follow the new cycle (their held payload
 * stays what the destination holds), and digests of the earlier scheme become content digests.
 */
export async function executeStreamedPlan(input: ChunkSourceInput & { info: StoredPlanInfo }): Promise<ExecuteSyncResult> {
  const pool = input.pool ?? getPool();
  const { info } = input;
  const chunkAt = (k: number) => readChunk(pool, input.runId, input.destination, info, k);
  const result = await sendChunks(input, totalChunks(info), chunkAt);
  await pool.query(
    `UPDATE destination_sync_state AS s SET expires_at = (p.row->>'expiresAt')::timestamptz, model_version = p.row->>'modelVersion', last_run_id = $1,
            digest = COALESCE(p.row->>'digest', s.digest),
            pending_op = CASE WHEN s.pending_op = 'remove' THEN NULL ELSE s.pending_op END,
            pending_attempts = CASE WHEN s.pending_op = 'remove' THEN 0 ELSE s.pending_attempts END, updated_at = now()
       FROM destination_sync_plan_row p
      WHERE p.run_id = $1 AND p.destination = $2 AND p.list = 'unchanged' AND s.destination = $3 AND s.entity_id = p.entity_id`,
    [input.runId, input.destination, input.stateKey ?? input.destination],
  );
  result.unchanged = info.counts.unchanged;
  return result;
}
