/**
 * Stateful destinations (Target, Google, Meta, webhooks, NATS) go through the shared sync engine:
 * pin the mapping version to its config, plan once per run (or shard) page by page into the plan
 * table (stream-sync.ts), send in chunks read from it under idempotency keys with a heartbeated
 * checkpoint, and record the receipt with the figures activation drift watches (match rate,
 * acceptance rate, rejection reasons). No step holds the run's records in memory.
 */
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { durationMs, type PipelineConfig } from '../../contracts/pipeline-config.ts';
import { getPool, withTransaction } from '../store/db.ts';
import { logger } from '../observability/logger.ts';
import { heartbeat, lastHeartbeat } from '../run/heartbeat.ts';
import { createAdapter, type StatefulDestination } from './adapter-factory.ts';
import { buildDesiredRows } from './desired-rows.ts';
import { canonicalJson, chunkPlan, DEFAULT_REFRESH_LEAD_MS, loadPlan, loadSyncState, planCounts, planSync, syncStateKey, type SyncCheckpoint, type SyncPlan } from './sync-engine.ts';
import { executeStreamedPlan, loadOrCreateStreamedPlan, mergeIdentity, STREAM_MAX_CHUNK_ROWS, type IdentityFigures } from './stream-sync.ts';
import { shardKey, shardParams, shardPredicate, type Shard } from '../store/shard.ts';
import { loadRunRecords, type ExportResult } from './run-records.ts';

/**
 * Refuses a destination whose config changed while its mappingVersion stayed the same: every change
 * to a routing config bumps its version, so receipts and the ledger always say which mapping sent a row.
 */
export async function pinMappingVersion(pipeline: string, dest: StatefulDestination, runId: string): Promise<void> {
  const { name, mappingVersion, ...rest } = dest;
  const config = JSON.parse(canonicalJson(rest)) as Record<string, unknown>;
  const digest = createHash('sha256').update(canonicalJson(config)).digest('hex');
  const pool = getPool();
  await pool.query(
    `INSERT INTO destination_mapping (pipeline, destination, mapping_version, kind, config_digest, config, first_run_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
    [pipeline, name, mappingVersion, dest.kind, digest, JSON.stringify(config), runId],
  );
  const { rows } = await pool.query<{ config_digest: string; first_run_id: string }>(
    'SELECT config_digest, first_run_id FROM destination_mapping WHERE pipeline = $1 AND destination = $2 AND mapping_version = $3',
    [pipeline, name, mappingVersion],
  );
  if (rows[0] && rows[0].config_digest !== digest) {
    throw ApplicationFailure.nonRetryable(
      `destination ${name}: its routing config changed but mappingVersion is still "${mappingVersion}" (first used by run ${rows[0].first_run_id}). ` +
        'Bump mappingVersion in the pipeline file for every mapping change.',
      'InvalidPipelineConfig',
    );
  }
}

export function statefulDestination(pipeline: PipelineConfig, name: string): StatefulDestination {
  const dest = pipeline.destinations.find((d) => d.name === name);
  if (!dest || dest.kind === 'file') {
    throw ApplicationFailure.nonRetryable(`pipeline ${pipeline.name} has no stateful destination "${name}"`, 'InvalidPipelineConfig');
  }
  return dest as StatefulDestination;
}

/** The pipeline's refresh lead time in ms (a pipeline parsed before the setting existed takes the default). */
export function refreshLeadMs(pipeline: PipelineConfig): number {
  const lead = pipeline.freshness.refreshLead;
  return lead === undefined ? DEFAULT_REFRESH_LEAD_MS : durationMs(lead);
}

export interface SyncPreview {
  destination: string;
  kind: string;
  counts: Record<keyof SyncPlan, number>;
  identity: { matchRate: number; matched: number; unmatched: number; ambiguous: number } | null;
  /**
   * Rows that would be sent, in send order (the sync engine's chunk order: removes, then upserts):
   * entity, op, why, the payload exactly as the adapter receives it, and the digest of payload and
   * identifiers. Identifiers themselves are never shown, only which kinds the row carries.
   */
  rows: { entityId: string; op: 'upsert' | 'remove'; reason: string; digest: string; payload: Record<string, unknown>; identifierKinds: string[] }[];
  /** True when the run already stored its plan: this is exactly what it sends (or sent). */
  stored: boolean;
}

function planRows(plan: SyncPlan): SyncPreview['rows'] {
  // One chunk per operation: the same order executeSync sends in, whatever the chunk size.
  return chunkPlan(plan, Number.MAX_SAFE_INTEGER).flatMap((c) =>
    c.rows.map((r) => ({
      entityId: r.entityId,
      op: r.op,
      reason: r.reason,
      digest: r.digest,
      payload: r.payload,
      identifierKinds: Object.keys(r.identifiers).filter((k) => r.identifiers[k] !== undefined).sort(),
    })),
  );
}

/** What a sync of this run would send, computed exactly as the export computes it, without sending. */
export async function previewSync(input: { runId: string; pipeline: PipelineConfig; destination: string; now?: Date }): Promise<SyncPreview> {
  const dest = statefulDestination(input.pipeline, input.destination);
  const stored = await loadPlan(input.runId, dest.name);
  let plan: SyncPlan;
  let identity: SyncPreview['identity'] = null;
  if (stored) plan = stored;
  else {
    const records = await loadRunRecords(input.runId);
    const built = await buildDesiredRows(records, dest, undefined, { crmNamespace: input.pipeline.feed.crmNamespace });
    identity = built.identity && { matchRate: built.identity.matchRate, matched: built.identity.matched, unmatched: built.identity.unmatched, ambiguous: built.identity.ambiguous };
    plan = planSync(built.desired, await loadSyncState(syncStateKey(input.pipeline.name, dest.name)), input.now ?? new Date(), { refreshLeadMs: refreshLeadMs(input.pipeline) });
  }
  return { destination: dest.name, kind: dest.kind, counts: planCounts(plan), identity, rows: planRows(plan), stored: Boolean(stored) };
}

export interface SyncDestinationInput {
  runId: string;
  pipeline: PipelineConfig;
  destination: StatefulDestination;
  /** One entity-hash range of the run (absent: all of it). */
  shard?: Shard;
}

/** Chunks, plans and figures of a destination: its own key, or every shard's key ("name#i/n"). */
const keysOf = (name: string) => ({ sql: '(destination = $2 OR destination LIKE $3)', params: [name, `${name}#%`] });

export async function syncDestination(input: SyncDestinationInput): Promise<ExportResult> {
  const { runId, pipeline } = input;
  const dest = input.destination;
  const shard = input.shard;
  const planKey = shardKey(dest.name, shard);
  const stateKey = syncStateKey(pipeline.name, dest.name);
  const log = logger().child({ runId, destination: dest.name, kind: dest.kind, shard: shard ? shardKey('', shard) : undefined });
  await pinMappingVersion(pipeline.name, dest, runId);
  const { adapter, close } = createAdapter(dest);
  const pool = getPool();
  try {
    const configured = typeof dest.config?.chunkRows === 'number' ? dest.config.chunkRows : adapter.maxChunkRows;
    const chunkRows = Math.max(1, Math.min(configured, adapter.maxChunkRows, STREAM_MAX_CHUNK_ROWS));
    const info = await loadOrCreateStreamedPlan({
      runId, planKey, stateKey, dest, shard, pageSize: pipeline.scale.pageSize, chunkRows, now: new Date(), pool, heartbeat: (d) => heartbeat(d),
      refreshLeadMs: refreshLeadMs(pipeline), crmNamespace: pipeline.feed.crmNamespace,
    });
    const resumeFrom = lastHeartbeat<SyncCheckpoint | { planning: number }>();
    const sent = await executeStreamedPlan({
      runId,
      destination: planKey,
      ledgerDestination: dest.name,
      stateKey,
      adapter,
      info,
      heartbeat: (c) => heartbeat(c),
      resumeFrom: resumeFrom && 'nextChunk' in resumeFrom ? resumeFrom : undefined,
      pool,
    });

    // Every generated entity of this shard the destination did not get is in the ledger as
    // suppressed, with the reason: no usable or an ambiguous identifier, or routing (holdout control,
    // ineligible, segment, consent, expiry). Entities removed in this sync are ledgered as removed instead.
    await withTransaction(async (client) => {
      await client.query(
        `DELETE FROM ledger_event WHERE run_id = $1 AND destination = $2 AND stage = 'suppressed' AND ${shardPredicate('entity_id', shard, 3)}`,
        [runId, dest.name, ...shardParams(shard)],
      );
      await client.query(
        `INSERT INTO ledger_event (run_id, entity_id, destination, stage, detail)
         SELECT $1, x.entity_id, $2, 'suppressed', jsonb_build_object('reason', x.reason)
           FROM destination_sync_suppressed x
          WHERE x.run_id = $1 AND x.destination = $3
            AND NOT EXISTS (SELECT 1 FROM ledger_event e WHERE e.run_id = $1 AND e.destination = $2 AND e.entity_id = x.entity_id AND e.stage IN ('removed', 'delivered', 'rejected'))
         ON CONFLICT (run_id, entity_id, destination, stage) DO UPDATE SET detail = EXCLUDED.detail`,
        [runId, dest.name, planKey],
      );
    });

    // The destination's receipt sums every shard that has finished (and every attempt of each); the
    // lock makes the last shard to finish write the complete one.
    const receipt = await withTransaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`sync-receipt:${runId}:${dest.name}`]);
      const k = keysOf(dest.name);
      const { rows: tot } = await client.query<{ accepted: number; rejected: number; sent: number }>(
        `SELECT COALESCE(sum(accepted), 0)::int AS accepted, COALESCE(sum(rejected), 0)::int AS rejected, COALESCE(sum(rows), 0)::int AS sent
           FROM destination_sync_chunk WHERE run_id = $1 AND ${k.sql}`,
        [runId, ...k.params],
      );
      const t = tot[0]!;
      const { rows: runs } = await client.query<{ counts: Record<keyof SyncPlan, number>; identity: IdentityFigures }>(
        `SELECT counts, identity FROM destination_sync_run WHERE run_id = $1 AND ${k.sql} ORDER BY destination`,
        [runId, ...k.params],
      );
      const plan: Record<keyof SyncPlan, number> = { adds: 0, updates: 0, removes: 0, retries: 0, unchanged: 0, held: 0 };
      let identity: IdentityFigures = null;
      for (const r of runs) {
        for (const key of Object.keys(plan) as (keyof SyncPlan)[]) plan[key] += r.counts[key] ?? 0;
        identity = mergeIdentity(identity, r.identity);
      }
      const { rows: reasons } = await client.query<{ reason: string; n: number }>(
        `SELECT detail->>'reason' AS reason, count(*)::int AS n FROM ledger_event WHERE run_id = $1 AND destination = $2 AND stage = 'rejected' GROUP BY 1`,
        [runId, dest.name],
      );
      const { rows: receipts } = await client.query<{ key: string; chunk_index: number; op: string; receipt: Record<string, unknown> }>(
        `SELECT destination AS key, chunk_index, op, receipt FROM destination_sync_chunk WHERE run_id = $1 AND ${k.sql} ORDER BY destination, chunk_index`,
        [runId, ...k.params],
      );
      const receipt = {
        mappingVersion: dest.mappingVersion,
        plan,
        shards: runs.length,
        sent: t.sent,
        accepted: t.accepted,
        rejected: t.rejected,
        acceptanceRate: t.sent ? t.accepted / t.sent : null,
        matchRate: identity ? identity.matchRate : null,
        identity,
        unmatched: identity?.unmatched ?? 0,
        ambiguous: identity?.ambiguous ?? 0,
        rejections: Object.fromEntries(reasons.map((r) => [r.reason, r.n])),
        chunks: receipts.map((r) => ({ chunk: r.chunk_index, ...(r.key !== dest.name ? { shard: r.key.slice(dest.name.length + 1) } : {}), op: r.op, ...r.receipt })),
      };
      await client.query(
        `INSERT INTO destination_export (run_id, destination, kind, mapping_version, rows, location, checksum, receipt)
         VALUES ($1, $2, $3, $4, $5, NULL, NULL, $6)
         ON CONFLICT (run_id, destination) DO UPDATE SET rows = EXCLUDED.rows, receipt = EXCLUDED.receipt, at = now()`,
        [runId, dest.name, dest.kind, dest.mappingVersion, t.accepted, JSON.stringify(receipt)],
      );
      return receipt;
    });

    // This shard's own figures (the workflow sums shards).
    const { rows: own } = await pool.query<{ accepted: number; rejected: number }>(
      'SELECT COALESCE(sum(accepted), 0)::int AS accepted, COALESCE(sum(rejected), 0)::int AS rejected FROM destination_sync_chunk WHERE run_id = $1 AND destination = $2',
      [runId, planKey],
    );
    log.info({ plan: info.counts, sentChunks: sent.sentChunks, accepted: own[0]!.accepted, rejected: own[0]!.rejected, matchRate: receipt.matchRate }, 'destination synced');
    return {
      destination: dest.name,
      kind: dest.kind,
      rows: own[0]!.accepted,
      adds: info.counts.adds,
      updates: info.counts.updates,
      removes: info.counts.removes,
      rejected: own[0]!.rejected,
    };
  } finally {
    await close();
  }
}
