/**
 * The sync engine shared by every stateful destination (Target, Google, Meta, webhooks, NATS).
 *
 * - planSync (pure) compares the cycle's desired rows with what the destination was last given
 *   (destination_sync_state) and derives adds, updates, removes and retries of failed rows.
 * - executeSync sends the plan in deterministic chunks through a thin adapter. Each chunk has an
 *   idempotency key derived from run, destination, operation and chunk number, so a resent chunk is
 *   recognisable at the receiver. State and ledger commit only after the destination answered, in
 *   one transaction with the chunk's receipt; the activity heartbeats the next chunk as checkpoint.
 * - loadOrCreatePlan stores a run's plan once, so a retried activity replays the same chunks under
 *   the same keys even though state moved on after the chunks that were already committed.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import { backoffAfterAttempt } from '../../workflows/export-retry.ts';
import { getPool, withTransaction } from '../store/db.ts';
import { copyRows, type CopyValue } from '../store/copy-rows.ts';
import { logger } from '../observability/logger.ts';
import {
  DestinationRejectedError,
  DestinationThrottledError,
  type ChunkResult,
  type DeliveryRow,
  type DestinationAdapter,
  type ResolvedIdentifiers,
  type RowRejection,
} from './adapter.ts';

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

/** One entity as this cycle wants it at the destination. Built from the canonical record and the resolved identifiers. */
export interface DesiredRow {
  entityId: string;
  payload: Record<string, unknown>;
  identifiers: ResolvedIdentifiers;
  /** rowDigest(payload, identifiers): the change detector (content only: validity timestamps are left out). */
  digest: string;
  /** ISO time after which the entity must not stay activated. */
  expiresAt: string;
  modelVersion: string;
  /** Consent for the destination's purpose. Without it the entity is removed and never (re-)added. */
  consented: boolean;
  /** Eligibility and routing (segment, holdout) for this destination. */
  eligible: boolean;
}

export interface PendingFailure {
  op: 'upsert' | 'remove';
  digest: string | null;
  reason: string;
  retryable: boolean;
  attempts: number;
}

/** What the destination holds for one entity (the last accepted delivery), and any refused delivery. */
export interface SyncState {
  entityId: string;
  member: boolean;
  digest: string | null;
  modelVersion: string | null;
  expiresAt: string | null;
  identifiers: ResolvedIdentifiers;
  payload: Record<string, unknown>;
  consented: boolean;
  lastRunId: string | null;
  pending: PendingFailure | null;
}

/**
 * `identity_changed`: the member's identifiers changed; the old ones are removed before the new ones are sent.
 * `refresh`: the content is unchanged, but the expiry the destination holds lapses within the refresh lead time.
 * `replay`: `scoreflow sync replay` sends a past cycle's member again, whatever the destination was thought to hold.
 */
export type PlanReason = 'new' | 'changed' | 'refresh' | 'replay' | 'retry' | 'expired' | 'consent_revoked' | 'ineligible' | 'not_qualifying' | 'identity_changed';

export interface PlannedRow extends DeliveryRow {
  reason: PlanReason;
  expiresAt: string | null;
  modelVersion: string | null;
  /** 1 for a first try; n for the n-th try of a refused delivery. */
  attempt: number;
}

export interface UnchangedRow {
  entityId: string;
  expiresAt: string;
  modelVersion: string;
  /**
   * The content digest, when the state holds a digest of an earlier scheme (one that covered the
   * validity timestamps): touching the member stores it, so stored digests migrate without a re-send.
   */
  digest?: string;
}

export type HeldReason = 'no_consent' | 'rejected_non_retryable' | 'retry_exhausted';

export interface SyncPlan {
  adds: PlannedRow[];
  updates: PlannedRow[];
  removes: PlannedRow[];
  /** Refused deliveries tried again: upserts with the current payload, removes with the identifiers last accepted. */
  retries: PlannedRow[];
  unchanged: UnchangedRow[];
  /** Entities deliberately not sent this cycle (no consent, a refusal that retrying cannot fix). */
  held: { entityId: string; reason: HeldReason }[];
}

export interface PlanOptions {
  /** A refused upsert is tried this many times with the same payload, then held. Removes are always retried. */
  maxAttempts?: number;
  /** An unchanged member is re-sent when the expiry it holds lapses within this many ms (DEFAULT_REFRESH_LEAD_MS). */
  refreshLeadMs?: number;
}

/**
 * Default of the pipeline's `freshness.refreshLead` (6 hours): with the default 24-hour validity and
 * 15-minute cadence, an unchanged member is re-sent about once every 18 hours, well before its
 * expiry lapses at the destination, and a few missed cycles still leave time to refresh it.
 */
export const DEFAULT_REFRESH_LEAD_MS = 6 * 3_600_000;

// ---------------------------------------------------------------------------------------------
// Digests and keys
// ---------------------------------------------------------------------------------------------

/** JSON with object keys sorted and undefined members dropped: equal values give equal strings. */
/** The state key of a pipeline's destination: states of same-named destinations of two pipelines never mix. */
export function syncStateKey(pipeline: string, destination: string): string {
  return `${pipeline}/${destination}`;
}

export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

/**
 * Payload members that say how long the row is valid rather than what it is. They move every cycle
 * (each cycle scores again and sets a new expiry), so a digest over them would call every member
 * changed every cycle; the engine re-sends for them only when the held expiry is about to lapse.
 */
export const VALIDITY_KEYS: ReadonlySet<string> = new Set(['expires_at', 'sf_expires_at', 'valid_from', 'valid_until']);
/** The validity members that end a row's validity: the earliest of them is the row's expiry at the destination. */
const VALIDITY_END_KEYS = ['expires_at', 'sf_expires_at', 'valid_until'] as const;

const withoutValidity = (payload: Record<string, unknown>) => Object.fromEntries(Object.entries(payload).filter(([k]) => !VALIDITY_KEYS.has(k)));

/** sha256 of the canonical JSON of payload (without its validity timestamps) + identifiers: the DeliveryRow digest. */
export function rowDigest(payload: Record<string, unknown>, identifiers: ResolvedIdentifiers): string {
  return createHash('sha256').update(canonicalJson({ identifiers, payload: withoutValidity(payload) })).digest('hex');
}

/** The digest of the earlier scheme, which covered the validity timestamps too; only to recognise stored digests. */
export function legacyRowDigest(payload: Record<string, unknown>, identifiers: ResolvedIdentifiers): string {
  return createHash('sha256').update(canonicalJson({ identifiers, payload })).digest('hex');
}

/**
 * When a payload stops being valid at the destination: the earliest of its validity ends
 * (expires_at, sf_expires_at, valid_until), in ms; null when it carries none (audience membership:
 * the destination holds it until the engine removes it).
 */
export function payloadValidUntil(payload: Record<string, unknown>): number | null {
  let end: number | null = null;
  for (const k of VALIDITY_END_KEYS) {
    const v = payload[k];
    if (typeof v !== 'string') continue;
    const t = Date.parse(v);
    if (Number.isFinite(t) && (end === null || t < end)) end = t;
  }
  return end;
}

export function desiredRow(row: Omit<DesiredRow, 'digest'>): DesiredRow {
  return { ...row, digest: rowDigest(row.payload, row.identifiers) };
}

/** sha256(runId:destination:op:chunkIndex): the same chunk of the same run gets the same key on every attempt. */
export function idempotencyKey(runId: string, destination: string, op: 'upsert' | 'remove', chunkIndex: number): string {
  return createHash('sha256').update(`${runId}:${destination}:${op}:${chunkIndex}`).digest('hex');
}

// ---------------------------------------------------------------------------------------------
// planSync (pure)
// ---------------------------------------------------------------------------------------------

const byEntity = <T extends { entityId: string }>(a: T, b: T) => (a.entityId < b.entityId ? -1 : a.entityId > b.entityId ? 1 : 0);

function upsertRow(d: DesiredRow, reason: PlanReason, attempt: number): PlannedRow {
  return { entityId: d.entityId, op: 'upsert', payload: d.payload, digest: d.digest, identifiers: d.identifiers, reason, expiresAt: d.expiresAt, modelVersion: d.modelVersion, attempt };
}

function removeRow(s: SyncState, reason: PlanReason): PlannedRow {
  const attempt = s.pending?.op === 'remove' ? s.pending.attempts + 1 : 1;
  return { entityId: s.entityId, op: 'remove', payload: s.payload, digest: s.digest ?? '', identifiers: s.identifiers, reason, expiresAt: s.expiresAt, modelVersion: s.modelVersion, attempt };
}

/**
 * Derives what to send. `desired` holds every entity of the cycle the destination could take, with
 * its consent and eligibility; `state` what the destination holds. Rules:
 * - a desired row without consent, expired, or ineligible removes a member (and adds nothing);
 * - a member that is no longer desired is removed (reason expired once its expires_at passed);
 * - a new entity is added; a member whose content digest changed is updated; a member whose content
 *   is unchanged is re-sent (reason refresh) only when the expiry it holds lapses within the refresh
 *   lead time and this cycle's row is valid for longer; otherwise unchanged;
 * - a member whose identifiers changed also gets a removal of the old identifiers (sent first);
 * - a refused upsert with the same digest is retried (retryable, fewer than maxAttempts tries), else held;
 *   a refused remove is retried until it succeeds.
 */
export function planSync(desired: readonly DesiredRow[], state: Iterable<SyncState>, now: Date, opts: PlanOptions = {}): SyncPlan {
  const maxAttempts = opts.maxAttempts ?? 5;
  const refreshLeadMs = opts.refreshLeadMs ?? DEFAULT_REFRESH_LEAD_MS;
  const stateBy = new Map<string, SyncState>();
  for (const s of state) stateBy.set(s.entityId, s);
  const plan: SyncPlan = { adds: [], updates: [], removes: [], retries: [], unchanged: [], held: [] };
  const t = now.getTime();
  const seen = new Set<string>();
  const put = (entries: PlanEntry[]) => {
    for (const [list, row] of entries) (plan[list] as unknown[]).push(row);
  };

  for (const d of [...desired].sort(byEntity)) {
    if (seen.has(d.entityId)) throw new Error(`planSync: entity appears twice in the desired rows (row ${seen.size + 1}); build one row per entity.`);
    seen.add(d.entityId);
    put(planEntity(d, stateBy.get(d.entityId), t, maxAttempts, refreshLeadMs));
  }
  for (const s of [...stateBy.values()].sort(byEntity)) {
    if (seen.has(s.entityId)) continue;
    put(planEntity(undefined, s, t, maxAttempts, refreshLeadMs));
  }
  return plan;
}

/** One plan entry: the list it belongs to and its row. */
export type PlanEntry =
  | ['adds' | 'updates' | 'removes' | 'retries', PlannedRow]
  | ['unchanged', UnchangedRow]
  | ['held', { entityId: string; reason: HeldReason }];

/**
 * The rules of planSync for one entity: its desired row this cycle (undefined when the cycle does
 * not want it) and what the destination holds for it (undefined when nothing). Pure; the streaming
 * planner applies it page by page, planSync to a whole plan in memory.
 */
export function planEntity(d: DesiredRow | undefined, s: SyncState | undefined, nowMs: number, maxAttempts: number, refreshLeadMs = DEFAULT_REFRESH_LEAD_MS): PlanEntry[] {
  const out: PlanEntry[] = [];
  const remove = (st: SyncState, reason: PlanReason) => out.push([st.pending?.op === 'remove' ? 'retries' : 'removes', removeRow(st, reason)]);
  if (!d) {
    if (s?.member) remove(s, s.expiresAt !== null && Date.parse(s.expiresAt) <= nowMs ? 'expired' : 'not_qualifying');
    return out;
  }
  const exclusion: PlanReason | null = !d.consented ? 'consent_revoked' : Date.parse(d.expiresAt) <= nowMs ? 'expired' : !d.eligible ? 'ineligible' : null;
  if (exclusion) {
    if (s?.member) remove(s, exclusion);
    else if (!d.consented) out.push(['held', { entityId: d.entityId, reason: 'no_consent' }]);
    return out;
  }
  const p = s?.pending;
  if (p?.op === 'upsert' && p.digest === d.digest) {
    if (!p.retryable) out.push(['held', { entityId: d.entityId, reason: 'rejected_non_retryable' }]);
    else if (p.attempts >= maxAttempts) out.push(['held', { entityId: d.entityId, reason: 'retry_exhausted' }]);
    else out.push(['retries', upsertRow(d, 'retry', p.attempts + 1)]);
    return out;
  }
  if (!s?.member) {
    out.push(['adds', upsertRow(d, 'new', 1)]);
    return out;
  }
  // A digest stored before digests left out validity timestamps: the held payload tells whether the content changed.
  const migrated = s.digest !== d.digest && s.digest === legacyRowDigest(s.payload, s.identifiers) ? rowDigest(s.payload, s.identifiers) : undefined;
  const held = migrated ?? s.digest;
  if (held !== d.digest) {
    // Audiences keyed by identifier (hashed email, phone, third-party id) would otherwise keep the
    // old identifiers as members: remove them first (removes are sent before upserts).
    if (Object.keys(s.identifiers).length > 0 && canonicalJson(s.identifiers) !== canonicalJson(d.identifiers)) out.push(['removes', removeRow(s, 'identity_changed')]);
    out.push(['updates', upsertRow(d, 'changed', 1)]);
    return out;
  }
  const heldUntil = payloadValidUntil(s.payload);
  const newUntil = payloadValidUntil(d.payload);
  if (heldUntil !== null && heldUntil - nowMs <= refreshLeadMs && newUntil !== null && newUntil > heldUntil) out.push(['updates', upsertRow(d, 'refresh', 1)]);
  else out.push(['unchanged', { entityId: d.entityId, expiresAt: d.expiresAt, modelVersion: d.modelVersion, ...(migrated ? { digest: migrated } : {}) }]);
  return out;
}

export function planCounts(plan: SyncPlan): Record<keyof SyncPlan, number> {
  return { adds: plan.adds.length, updates: plan.updates.length, removes: plan.removes.length, retries: plan.retries.length, unchanged: plan.unchanged.length, held: plan.held.length };
}

// ---------------------------------------------------------------------------------------------
// Chunking
// ---------------------------------------------------------------------------------------------

export interface SyncChunk {
  /** Position across the whole run: removes first, then upserts. The heartbeat checkpoint counts these. */
  index: number;
  op: 'upsert' | 'remove';
  rows: PlannedRow[];
}

/** Deterministic: the same plan and size always give the same chunks in the same order. */
export function chunkPlan(plan: SyncPlan, chunkRows: number): SyncChunk[] {
  if (!Number.isInteger(chunkRows) || chunkRows < 1) throw new Error(`chunkPlan: chunkRows must be a positive integer, got ${chunkRows}`);
  const removes = [...plan.removes, ...plan.retries.filter((r) => r.op === 'remove')];
  const upserts = [...plan.adds, ...plan.updates, ...plan.retries.filter((r) => r.op === 'upsert')];
  const chunks: SyncChunk[] = [];
  for (const [op, rows] of [['remove', removes], ['upsert', upserts]] as const) {
    for (let i = 0; i < rows.length; i += chunkRows) chunks.push({ index: chunks.length, op, rows: rows.slice(i, i + chunkRows) });
  }
  return chunks;
}

// ---------------------------------------------------------------------------------------------
// State and plan storage
// ---------------------------------------------------------------------------------------------

export interface StateRow {
  entity_id: string;
  member: boolean;
  digest: string | null;
  model_version: string | null;
  expires_at: Date | null;
  identifiers: ResolvedIdentifiers;
  payload: Record<string, unknown>;
  consented: boolean;
  last_run_id: string | null;
  pending_op: 'upsert' | 'remove' | null;
  pending_digest: string | null;
  pending_reason: string | null;
  pending_retryable: boolean | null;
  pending_attempts: number;
}

/** The destination's members and refused deliveries (what planSync needs). */
export async function loadSyncState(destination: string, pool: pg.Pool = getPool()): Promise<SyncState[]> {
  const { rows } = await pool.query<StateRow>(
    `SELECT entity_id, member, digest, model_version, expires_at, identifiers, payload, consented, last_run_id,
            pending_op, pending_digest, pending_reason, pending_retryable, pending_attempts
       FROM destination_sync_state WHERE destination = $1 AND (member OR pending_op IS NOT NULL) ORDER BY entity_id`,
    [destination],
  );
  return rows.map(toSyncState);
}

/** A destination_sync_state row (the columns STATE_COLUMNS names) as planSync reads it. */
export function toSyncState(r: StateRow): SyncState {
  return {
    entityId: r.entity_id,
    member: r.member,
    digest: r.digest,
    modelVersion: r.model_version,
    expiresAt: r.expires_at ? r.expires_at.toISOString() : null,
    identifiers: r.identifiers,
    payload: r.payload,
    consented: r.consented,
    lastRunId: r.last_run_id,
    pending: r.pending_op
      ? { op: r.pending_op, digest: r.pending_digest, reason: r.pending_reason ?? '', retryable: r.pending_retryable ?? true, attempts: r.pending_attempts }
      : null,
  };
}

export const STATE_COLUMNS = `entity_id, member, digest, model_version, expires_at, identifiers, payload, consented, last_run_id,
            pending_op, pending_digest, pending_reason, pending_retryable, pending_attempts`;

const PLAN_LISTS = ['adds', 'updates', 'removes', 'retries', 'unchanged', 'held'] as const;

/** Reads a stored plan; undefined when the run has none for this destination. */
export async function loadPlan(runId: string, destination: string, db: pg.Pool | pg.PoolClient = getPool()): Promise<SyncPlan | undefined> {
  const { rows } = await db.query<{ list: (typeof PLAN_LISTS)[number]; row: unknown }>(
    'SELECT list, row FROM destination_sync_plan_row WHERE run_id = $1 AND destination = $2 ORDER BY ordinal',
    [runId, destination],
  );
  if (rows.length === 0) return undefined;
  const plan: SyncPlan = { adds: [], updates: [], removes: [], retries: [], unchanged: [], held: [] };
  for (const r of rows) (plan[r.list] as unknown[]).push(r.row);
  return plan;
}

/**
 * The run's plan for a destination: the stored one if an earlier attempt made it, else computed now
 * and stored (under an advisory lock, so concurrent attempts agree on one plan).
 */
export async function loadOrCreatePlan(
  runId: string,
  destination: string,
  compute: () => SyncPlan | Promise<SyncPlan>,
  pool: pg.Pool = getPool(),
): Promise<SyncPlan> {
  return withTransaction(async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`sync-plan:${runId}:${destination}`]);
    const stored = await loadPlan(runId, destination, client);
    if (stored) return stored;
    const plan = await compute();
    const rows: CopyValue[][] = [];
    for (const list of PLAN_LISTS) for (const r of plan[list]) rows.push([runId, destination, rows.length, list, r.entityId, r]);
    await copyRows(client, 'destination_sync_plan_row', ['run_id', 'destination', 'ordinal', 'list', 'entity_id', 'row'], rows);
    return plan;
  }, pool);
}

// ---------------------------------------------------------------------------------------------
// executeSync
// ---------------------------------------------------------------------------------------------

export interface SyncCheckpoint {
  /** Chunks with a lower index are done (their state is committed). */
  nextChunk: number;
  totalChunks: number;
}

export interface ExecuteSyncInput {
  runId: string;
  destination: string;
  /**
   * Key of the destination's state (what it holds per entity). Two pipelines may name a destination
   * alike; their states must never mix, so callers pass `syncStateKey(pipeline, destination)`.
   * Defaults to the destination name.
   */
  stateKey?: string;
  adapter: DestinationAdapter;
  plan: SyncPlan;
  /** Rows per chunk; capped at the adapter's maxChunkRows. */
  chunkRows?: number;
  /**
   * The destination name the ledger records; defaults to `destination`. A shard of an export keys its
   * chunks by "name#i/n" (so shards never share chunk numbers or idempotency keys) and ledgers by name.
   */
  ledgerDestination?: string;
  /** Called after each committed chunk, and while waiting out a throttle. Pass the activity heartbeat. */
  heartbeat?: (checkpoint: SyncCheckpoint) => void;
  /** The last heartbeat of a previous attempt: chunks before it are skipped. */
  resumeFrom?: SyncCheckpoint | number;
  /**
   * In-process handling of DestinationThrottledError before handing the wait to Temporal: by default
   * at most 2 retries per chunk, waiting the Retry-After, at most 60 s of waiting in all (a 429 or 503
   * burst). Anything longer is an outage, ridden out by the export's Temporal retry policy with
   * backoff, bounded by exportRetryFor.
   */
  throttle?: { maxRetries?: number; maxWaitMs?: number };
  sleep?: (ms: number) => Promise<void>;
  signal?: AbortSignal;
  pool?: pg.Pool;
}

export interface ExecuteSyncResult {
  totalChunks: number;
  sentChunks: number;
  skippedChunks: number;
  accepted: number;
  rejected: number;
  adds: number;
  updates: number;
  removes: number;
  retries: number;
  unchanged: number;
  throttled: number;
  rejections: Record<string, number>;
  receipts: Record<string, unknown>[];
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** This activity attempt (1 outside an activity) and when its first attempt was scheduled. */
function activityAttempt(): { attempt: number; firstScheduledMs?: number } {
  try {
    const info = Context.current().info;
    return { attempt: info.attempt, firstScheduledMs: info.scheduledTimestampMs };
  } catch {
    return { attempt: 1 };
  }
}

/**
 * The retryable failure for a destination that did not take a chunk (throttled past the in-process
 * retry, 5xx, unreachable). Its message is what an operator reads if the retries run out and the run
 * pauses: what failed, since when, and what to do.
 */
function unavailable(o: { destination: string; chunk: number; totalChunks: number; cause: Error; type: string; retryAfterMs?: number }): ApplicationFailure {
  const { attempt, firstScheduledMs } = activityAttempt();
  const since = firstScheduledMs ? `, first attempt ${Math.max(0, Math.round((Date.now() - firstScheduledMs) / 1000))} s ago` : '';
  // Never less than the policy's own backoff: attemptsWithin() sizes the attempts to last exportRetryFor on it.
  const nextRetryDelay = Math.max(o.retryAfterMs ?? 0, backoffAfterAttempt(attempt));
  return ApplicationFailure.create({
    type: o.type,
    message:
      `${o.destination} did not take chunk ${o.chunk} of ${o.totalChunks}: ${o.cause.message} (attempt ${attempt}${since}). ` +
      `The export retries with backoff for the pipeline's operations.exportRetryFor (default 15m), then the run pauses; ` +
      `once the destination answers again, resume the run (scoreflow resume --run <run id> --reason ...) and the export continues at chunk ${o.chunk}, without re-sending committed chunks.`,
    nextRetryDelay,
    details: [{ destination: o.destination, chunk: o.chunk, attempt, ...(o.retryAfterMs !== undefined && { retryAfterMs: o.retryAfterMs }) }],
    cause: o.cause,
  });
}

async function committedChunks(pool: pg.Pool, runId: string, destination: string): Promise<Set<number>> {
  const { rows } = await pool.query<{ chunk_index: number }>('SELECT chunk_index FROM destination_sync_chunk WHERE run_id = $1 AND destination = $2', [runId, destination]);
  return new Set(rows.map((r) => r.chunk_index));
}

/** Every row gets exactly one outcome: accepted, or rejected with a reason (rows the adapter did not mention are rejected as retryable). */
function outcomes(chunk: SyncChunk, result: ChunkResult): { accepted: PlannedRow[]; rejected: (PlannedRow & { rejection: RowRejection })[] } {
  const rejectedBy = new Map(result.rejected.map((r) => [r.entityId, r]));
  const acceptedSet = new Set(result.accepted);
  const accepted: PlannedRow[] = [];
  const rejected: (PlannedRow & { rejection: RowRejection })[] = [];
  for (const row of chunk.rows) {
    const rej = rejectedBy.get(row.entityId);
    if (rej) rejected.push({ ...row, rejection: rej });
    else if (acceptedSet.has(row.entityId)) accepted.push(row);
    else rejected.push({ ...row, rejection: { entityId: row.entityId, reason: 'the destination reported no outcome for the row', retryable: true } });
  }
  return { accepted, rejected };
}

async function commitChunk(
  pool: pg.Pool,
  runId: string,
  destination: string,
  stateKey: string,
  chunk: SyncChunk,
  key: string,
  result: ChunkResult,
  ledgerDestination = destination,
): Promise<{ accepted: PlannedRow[]; rejected: (PlannedRow & { rejection: RowRejection })[] }> {
  const { accepted, rejected } = outcomes(chunk, result);
  await withTransaction(async (client) => {
    const ins = await client.query(
      `INSERT INTO destination_sync_chunk (run_id, destination, chunk_index, op, idempotency_key, rows, accepted, rejected, receipt)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
      [runId, destination, chunk.index, chunk.op, key, chunk.rows.length, accepted.length, rejected.length, JSON.stringify(result.receipt ?? {})],
    );
    if (ins.rowCount === 0) return; // another attempt committed this chunk already

    if (chunk.op === 'upsert' && accepted.length) {
      // COPY into a transaction-scoped staging table, then one upsert: much cheaper than binding the chunk as one JSON parameter.
      await client.query(
        `CREATE TEMP TABLE IF NOT EXISTS sf_accepted_upsert (entity_id text, digest text, model_version text, expires_at timestamptz, identifiers jsonb, payload jsonb) ON COMMIT DELETE ROWS`,
      );
      await copyRows(
        client,
        'sf_accepted_upsert',
        ['entity_id', 'digest', 'model_version', 'expires_at', 'identifiers', 'payload'],
        accepted.map((r) => [r.entityId, r.digest, r.modelVersion, r.expiresAt, r.identifiers, r.payload]),
      );
      await client.query(
        `INSERT INTO destination_sync_state AS s (destination, entity_id, member, digest, model_version, expires_at, identifiers, payload,
                                                  consented, consent_revoked_at, last_run_id, pending_op, pending_digest, pending_reason,
                                                  pending_retryable, pending_attempts, updated_at)
         SELECT $1, r.entity_id, true, r.digest, r.model_version, r.expires_at, r.identifiers, r.payload, true, NULL, $2, NULL, NULL, NULL, NULL, 0, now()
           FROM sf_accepted_upsert r
         ON CONFLICT (destination, entity_id) DO UPDATE SET
           member = true, digest = EXCLUDED.digest, model_version = EXCLUDED.model_version, expires_at = EXCLUDED.expires_at,
           identifiers = EXCLUDED.identifiers, payload = EXCLUDED.payload, consented = true, consent_revoked_at = NULL,
           last_run_id = EXCLUDED.last_run_id, pending_op = NULL, pending_digest = NULL, pending_reason = NULL,
           pending_retryable = NULL, pending_attempts = 0, updated_at = now()`,
        [stateKey, runId],
      );
    }
    if (chunk.op === 'remove' && accepted.length) {
      await client.query(
        `UPDATE destination_sync_state AS s SET
           member = false, digest = NULL, identifiers = '{}'::jsonb, payload = '{}'::jsonb,
           consented = (r.reason <> 'consent_revoked'),
           consent_revoked_at = CASE WHEN r.reason = 'consent_revoked' THEN now() ELSE NULL END,
           last_run_id = $2, pending_op = NULL, pending_digest = NULL, pending_reason = NULL, pending_retryable = NULL,
           pending_attempts = 0, updated_at = now()
           FROM jsonb_to_recordset($3::jsonb) AS r(entity_id text, reason text)
          WHERE s.destination = $1 AND s.entity_id = r.entity_id`,
        [stateKey, runId, JSON.stringify(accepted.map((r) => ({ entity_id: r.entityId, reason: r.reason })))],
      );
    }
    if (rejected.length) {
      await client.query(
        `INSERT INTO destination_sync_state AS s (destination, entity_id, member, consented, last_run_id, pending_op, pending_digest,
                                                  pending_reason, pending_retryable, pending_attempts, updated_at)
         SELECT $1, r.entity_id, false, NOT r.revoked, $2, r.op, r.digest, r.reason, r.retryable, 1, now()
           FROM jsonb_to_recordset($3::jsonb) AS r(entity_id text, op text, digest text, reason text, retryable boolean, revoked boolean)
         ON CONFLICT (destination, entity_id) DO UPDATE SET
           consented = CASE WHEN EXCLUDED.consented THEN s.consented ELSE false END,
           last_run_id = EXCLUDED.last_run_id, pending_op = EXCLUDED.pending_op, pending_digest = EXCLUDED.pending_digest,
           pending_reason = EXCLUDED.pending_reason, pending_retryable = EXCLUDED.pending_retryable,
           pending_attempts = CASE WHEN s.pending_op = EXCLUDED.pending_op AND s.pending_digest IS NOT DISTINCT FROM EXCLUDED.pending_digest
                                   THEN s.pending_attempts + 1 ELSE 1 END,
           updated_at = now()`,
        [
          stateKey,
          runId,
          JSON.stringify(
            rejected.map((r) => ({ entity_id: r.entityId, op: r.op, digest: r.op === 'upsert' ? r.digest : null, reason: r.rejection.reason, retryable: r.rejection.retryable, revoked: r.reason === 'consent_revoked' })),
          ),
        ],
      );
    }

    const ledger: CopyValue[][] = [];
    for (const r of chunk.rows) ledger.push([r.entityId, 'exported', { op: r.op, reason: r.reason, attempt: r.attempt, chunk: chunk.index }]);
    for (const r of accepted) {
      ledger.push([r.entityId, 'accepted', { op: r.op, chunk: chunk.index, idempotency_key: key }]);
      if (r.op === 'upsert') ledger.push([r.entityId, 'delivered', { reason: r.reason, model_version: r.modelVersion }]);
      else ledger.push([r.entityId, 'removed', { reason: r.reason }]);
    }
    for (const r of rejected) ledger.push([r.entityId, 'rejected', { op: r.op, reason: r.rejection.reason, retryable: r.rejection.retryable, chunk: chunk.index }]);
    await client.query('CREATE TEMP TABLE IF NOT EXISTS sf_ledger_stage (entity_id text, stage text, detail jsonb) ON COMMIT DELETE ROWS');
    await copyRows(client, 'sf_ledger_stage', ['entity_id', 'stage', 'detail'], ledger);
    await client.query(
      `INSERT INTO ledger_event (run_id, entity_id, destination, stage, detail)
       SELECT $1, r.entity_id, $2, r.stage, r.detail FROM sf_ledger_stage r
       ON CONFLICT (run_id, entity_id, destination, stage) DO UPDATE SET detail = EXCLUDED.detail, at = now()`,
      [runId, ledgerDestination],
    );
  }, pool);
  return { accepted, rejected };
}

/**
 * Unchanged members keep their membership (and the payload the destination holds, whose expiry the
 * refresh rule reads); the state's expiry and model version follow the new cycle, and a digest of
 * the earlier scheme is replaced by the content digest.
 */
async function touchUnchanged(pool: pg.Pool, runId: string, destination: string, rows: UnchangedRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 10_000) {
    const part = rows.slice(i, i + 10_000);
    await pool.query(
      `UPDATE destination_sync_state AS s SET expires_at = r.expires_at, model_version = r.model_version, last_run_id = $2,
              digest = COALESCE(r.digest, s.digest),
              pending_op = CASE WHEN s.pending_op = 'remove' THEN NULL ELSE s.pending_op END,
              pending_attempts = CASE WHEN s.pending_op = 'remove' THEN 0 ELSE s.pending_attempts END, updated_at = now()
         FROM jsonb_to_recordset($3::jsonb) AS r(entity_id text, expires_at timestamptz, model_version text, digest text)
        WHERE s.destination = $1 AND s.entity_id = r.entity_id`,
      [destination, runId, JSON.stringify(part.map((r) => ({ entity_id: r.entityId, expires_at: r.expiresAt, model_version: r.modelVersion, digest: r.digest ?? null })))],
    );
  }
}

const isRejected = (e: unknown): e is DestinationRejectedError => e instanceof DestinationRejectedError || (e as Error | undefined)?.name === 'DestinationRejected';
const isThrottled = (e: unknown): e is DestinationThrottledError => e instanceof DestinationThrottledError || (e as Error | undefined)?.name === 'DestinationThrottled';

/**
 * Sends a plan. Throws ApplicationFailure type DestinationRejected (non-retryable) when the destination
 * refuses a whole request, and types DestinationThrottled / DestinationUnavailable (retryable, with
 * nextRetryDelay never below the export's backoff) once the short in-process retries are spent.
 */
export async function executeSync(input: ExecuteSyncInput): Promise<ExecuteSyncResult> {
  const size = Math.max(1, Math.min(input.chunkRows ?? input.adapter.maxChunkRows, input.adapter.maxChunkRows));
  const chunks = chunkPlan(input.plan, size);
  const result = await sendChunks(input, chunks.length, async (i) => chunks[i]!);
  await touchUnchanged(input.pool ?? getPool(), input.runId, input.stateKey ?? input.destination, input.plan.unchanged);
  result.unchanged = input.plan.unchanged.length;
  return result;
}

export type ChunkSourceInput = Omit<ExecuteSyncInput, 'plan' | 'chunkRows'>;

/**
 * Sends chunks 0..totalChunks-1, each read by `chunkAt` only when it is its turn (so a stored plan
 * is read one chunk at a time), skipping chunks before the checkpoint and chunks already committed.
 */
export async function sendChunks(input: ChunkSourceInput, totalChunks: number, chunkAt: (index: number) => Promise<SyncChunk>): Promise<ExecuteSyncResult> {
  const { runId, destination, adapter } = input;
  const stateKey = input.stateKey ?? destination;
  const pool = input.pool ?? getPool();
  const sleep = input.sleep ?? defaultSleep;
  const maxRetries = input.throttle?.maxRetries ?? 2;
  const maxWaitMs = input.throttle?.maxWaitMs ?? 60_000;
  const resumeFrom = typeof input.resumeFrom === 'number' ? input.resumeFrom : (input.resumeFrom?.nextChunk ?? 0);
  const done = await committedChunks(pool, runId, destination);
  const log = logger().child({ runId, destination, kind: adapter.kind });

  const result: ExecuteSyncResult = {
    totalChunks, sentChunks: 0, skippedChunks: 0, accepted: 0, rejected: 0,
    adds: 0, updates: 0, removes: 0, retries: 0, unchanged: 0, throttled: 0, rejections: {}, receipts: [],
  };

  for (let index = 0; index < totalChunks; index++) {
    if (index < resumeFrom || done.has(index)) {
      result.skippedChunks++;
      continue;
    }
    input.signal?.throwIfAborted();
    const chunk = await chunkAt(index);
    const key = idempotencyKey(runId, destination, chunk.op, chunk.index);
    const checkpoint = { nextChunk: chunk.index, totalChunks };
    let sent: ChunkResult | undefined;
    let waitedMs = 0;
    for (let attempt = 0; !sent; attempt++) {
      try {
        sent = await adapter.send(chunk.rows, { idempotencyKey: key, chunkIndex: chunk.index, totalChunks, signal: input.signal });
      } catch (err) {
        if (isRejected(err)) {
          throw ApplicationFailure.create({
            type: 'DestinationRejected',
            nonRetryable: true,
            message: `${destination} refused chunk ${chunk.index} of ${totalChunks} (${chunk.op}, ${chunk.rows.length} rows) with HTTP ${err.status}: ${err.message}. Fix the mapping or credentials, then re-run the export.`,
            details: [{ destination, chunk: chunk.index, status: err.status }],
            cause: err,
          });
        }
        if (isThrottled(err)) {
          result.throttled++;
          if (attempt < maxRetries && waitedMs + err.retryAfterMs <= maxWaitMs) {
            log.warn({ chunk: chunk.index, retryAfterMs: err.retryAfterMs, attempt: attempt + 1 }, 'destination throttled; waiting');
            input.heartbeat?.(checkpoint);
            waitedMs += err.retryAfterMs;
            await sleep(err.retryAfterMs);
            continue;
          }
          input.heartbeat?.(checkpoint);
          throw unavailable({
            destination,
            chunk: chunk.index,
            totalChunks,
            type: 'DestinationThrottled',
            retryAfterMs: Math.max(1, err.retryAfterMs),
            cause: Object.assign(new Error(`${err.message}; gave up in-process after ${attempt + 1} tries`), { name: err.name }),
          });
        }
        // A cancelled activity stops here; anything else the adapter threw (5xx, unreachable, timeout)
        // is an outage of the destination, retried by Temporal like a throttle.
        if (input.signal?.aborted || !(err instanceof Error) || err instanceof ApplicationFailure || ['AbortError', 'ZodError'].includes(err.name)) throw err;
        input.heartbeat?.(checkpoint);
        throw unavailable({ destination, chunk: chunk.index, totalChunks, type: 'DestinationUnavailable', cause: err });
      }
    }
    const { accepted, rejected } = await commitChunk(pool, runId, destination, stateKey, chunk, key, sent, input.ledgerDestination ?? destination);
    result.sentChunks++;
    result.accepted += accepted.length;
    result.rejected += rejected.length;
    for (const r of accepted) {
      if (r.reason === 'retry') result.retries++;
      else if (r.op === 'remove') result.removes++;
      else if (r.reason === 'new') result.adds++;
      else result.updates++;
    }
    for (const r of rejected) result.rejections[r.rejection.reason] = (result.rejections[r.rejection.reason] ?? 0) + 1;
    result.receipts.push({ chunk: chunk.index, op: chunk.op, ...sent.receipt });
    input.heartbeat?.({ nextChunk: chunk.index + 1, totalChunks });
    log.info({ chunk: chunk.index, op: chunk.op, rows: chunk.rows.length, accepted: accepted.length, rejected: rejected.length }, 'chunk delivered');
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// One call for an export activity
// ---------------------------------------------------------------------------------------------

export interface RunSyncInput extends Omit<ExecuteSyncInput, 'plan'> {
  desired: readonly DesiredRow[];
  now: Date;
  maxAttempts?: number;
  refreshLeadMs?: number;
}

/** Plans once per run (stored), then executes. Pass heartbeat/resumeFrom from the activity context. */
export async function runSync(input: RunSyncInput): Promise<{ plan: Record<keyof SyncPlan, number>; result: ExecuteSyncResult }> {
  const pool = input.pool ?? getPool();
  const plan = await loadOrCreatePlan(
    input.runId,
    input.destination,
    async () => planSync(input.desired, await loadSyncState(input.stateKey ?? input.destination, pool), input.now, { maxAttempts: input.maxAttempts, refreshLeadMs: input.refreshLeadMs }),
    pool,
  );
  const result = await executeSync({ ...input, plan, pool });
  return { plan: planCounts(plan), result };
}
