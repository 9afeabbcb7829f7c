/**
 * Stateful destinations (Target, Google, Meta, webhooks, NATS) go through the shared sync engine:
 * pin the mapping version to its config, build the desired rows, plan once per run (stored), send
 * in chunks under idempotency keys with a heartbeated checkpoint, and record the receipt with the
 * figures activation drift watches (match rate, acceptance rate, rejection reasons).
 */
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { PipelineConfig } from '../../contracts/pipeline-config.ts';
import { getPool, withTransaction } from '../store/db.ts';
import { logger } from '../observability/logger.ts';
import { heartbeat, lastHeartbeat } from '../run/heartbeat.ts';
import { createAdapter, type StatefulDestination } from './adapter-factory.ts';
import { buildDesiredRows } from './desired-rows.ts';
import { canonicalJson, chunkPlan, loadPlan, loadSyncState, planCounts, planSync, runSync, syncStateKey, type SyncCheckpoint, type SyncPlan } from './sync-engine.ts';
import type { ExportResult } from './export-activity.ts';
import { loadRunRecords } from './export-activity.ts';

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

function statefulDestination(pipeline: PipelineConfig, name: string): StatefulDestination {
  const dest = pipeline.destinations.find((d) => d.name === name);
  if (!dest || dest.kind === 'file') {
    throw ApplicationFailure.nonRetryable(`pipeline ${pipeline.name} has no stateful destination "${name}"`, 'InvalidPipelineConfig');
  }
  return dest as StatefulDestination;
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
    const built = await buildDesiredRows(records, dest);
    identity = built.identity && { matchRate: built.identity.matchRate, matched: built.identity.matched, unmatched: built.identity.unmatched, ambiguous: built.identity.ambiguous };
    plan = planSync(built.desired, await loadSyncState(syncStateKey(input.pipeline.name, dest.name)), input.now ?? new Date());
  }
  return { destination: dest.name, kind: dest.kind, counts: planCounts(plan), identity, rows: planRows(plan), stored: Boolean(stored) };
}

export async function syncDestination(input: { runId: string; pipeline: PipelineConfig; destination: StatefulDestination }): Promise<ExportResult> {
  const { runId, pipeline } = input;
  const dest = input.destination;
  const log = logger().child({ runId, destination: dest.name, kind: dest.kind });
  await pinMappingVersion(pipeline.name, dest, runId);
  const { adapter, close } = createAdapter(dest);
  const pool = getPool();
  try {
    const records = await loadRunRecords(runId);
    const built = await buildDesiredRows(records, dest, pool);
    const resumeFrom = lastHeartbeat<SyncCheckpoint>();
    const chunkRows = typeof dest.config?.chunkRows === 'number' ? dest.config.chunkRows : undefined;
    const { plan } = await runSync({
      runId,
      destination: dest.name,
      stateKey: syncStateKey(pipeline.name, dest.name),
      adapter,
      desired: built.desired,
      now: new Date(),
      chunkRows,
      heartbeat: (c) => heartbeat(c),
      resumeFrom,
      pool,
    });

    // Totals over every attempt of this run's sync, not only the chunks this attempt sent.
    const { rows: tot } = await pool.query<{ accepted: number; rejected: number; sent: number; chunks: number }>(
      `SELECT COALESCE(sum(accepted), 0)::int AS accepted, COALESCE(sum(rejected), 0)::int AS rejected, COALESCE(sum(rows), 0)::int AS sent, count(*)::int AS chunks
       FROM destination_sync_chunk WHERE run_id = $1 AND destination = $2`,
      [runId, dest.name],
    );
    const t = tot[0]!;
    const { rows: reasons } = await pool.query<{ reason: string; n: number }>(
      `SELECT detail->>'reason' AS reason, count(*)::int AS n FROM ledger_event
       WHERE run_id = $1 AND destination = $2 AND stage = 'rejected' GROUP BY 1`,
      [runId, dest.name],
    );
    const { rows: receipts } = await pool.query<{ chunk_index: number; op: string; receipt: Record<string, unknown> }>(
      'SELECT chunk_index, op, receipt FROM destination_sync_chunk WHERE run_id = $1 AND destination = $2 ORDER BY chunk_index',
      [runId, dest.name],
    );
    const receipt = {
      mappingVersion: dest.mappingVersion,
      plan,
      sent: t.sent,
      accepted: t.accepted,
      rejected: t.rejected,
      acceptanceRate: t.sent ? t.accepted / t.sent : null,
      matchRate: built.identity ? built.identity.matchRate : null,
      identity: built.identity,
      unmatched: built.identity?.unmatched ?? 0,
      ambiguous: built.identity?.ambiguous ?? 0,
      rejections: Object.fromEntries(reasons.map((r) => [r.reason, r.n])),
      chunks: receipts.map((r) => ({ chunk: r.chunk_index, op: r.op, ...r.receipt })),
    };
    await pool.query(
      `INSERT INTO destination_export (run_id, destination, kind, mapping_version, rows, location, checksum, receipt)
       VALUES ($1, $2, $3, $4, $5, NULL, NULL, $6)
       ON CONFLICT (run_id, destination) DO UPDATE SET rows = EXCLUDED.rows, receipt = EXCLUDED.receipt, at = now()`,
      [runId, dest.name, dest.kind, dest.mappingVersion, t.accepted, JSON.stringify(receipt)],
    );
    // Every generated entity the destination did not get is in the ledger as suppressed, with the
    // reason: no usable or an ambiguous identifier, or routing (holdout control, ineligible, segment,
    // consent, expiry). Entities removed in this sync are in the ledger as removed instead.
    const suppressed = [...built.excluded, ...built.filtered];
    await withTransaction(async (client) => {
      await client.query(`DELETE FROM ledger_event WHERE run_id = $1 AND destination = $2 AND stage = 'suppressed'`, [runId, dest.name]);
      if (suppressed.length === 0) return;
      await client.query(
        `INSERT INTO ledger_event (run_id, entity_id, destination, stage, detail)
         SELECT $1, x.entity_id, $2, 'suppressed', jsonb_build_object('reason', x.reason)
           FROM jsonb_to_recordset($3::jsonb) AS x(entity_id text, reason text)
          WHERE NOT EXISTS (SELECT 1 FROM ledger_event e WHERE e.run_id = $1 AND e.destination = $2 AND e.entity_id = x.entity_id AND e.stage IN ('removed', 'delivered', 'rejected'))
         ON CONFLICT (run_id, entity_id, destination, stage) DO UPDATE SET detail = EXCLUDED.detail`,
        [runId, dest.name, JSON.stringify(suppressed.map((x) => ({ entity_id: x.entityId, reason: x.reason })))],
      );
    });
    log.info({ plan, accepted: t.accepted, rejected: t.rejected, matchRate: receipt.matchRate }, 'destination synced');
    return {
      destination: dest.name,
      kind: dest.kind,
      rows: t.accepted,
      adds: plan.adds,
      updates: plan.updates,
      removes: plan.removes,
      rejected: t.rejected,
    };
  } finally {
    await close();
  }
}
