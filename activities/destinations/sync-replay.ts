/**
 * `scoreflow sync replay`: sends a past cycle's state to one destination again, for a destination
 * that lost data or an export that failed. The destination's own record of what it holds
 * (destination_sync_state) cannot be trusted after a data loss, so the replay does not diff against
 * it: every member the cycle wants there (consented, eligible, not expired now) is upserted again,
 * and every member the state says the destination holds that the cycle does not want is removed.
 * The destination then holds exactly the cycle's desired rows (set equality), whatever it held before.
 *
 * Idempotent: the replay's plan is stored under its replay id, and sent in chunks under idempotency
 * keys derived from it, so a replay interrupted and started again with the same id sends each chunk
 * once. Audited: the ledger carries every row under the replay id, and operator_audit one
 * `sync_replay` row. Nothing stale is re-activated: expiry is judged at the time of the replay.
 */
import { createHash } from 'node:crypto';
import type { PipelineConfig } from '../../contracts/pipeline-config.ts';
import { getPool } from '../store/db.ts';
import { logger } from '../observability/logger.ts';
import { createAdapter } from './adapter-factory.ts';
import { buildDesiredRows } from './desired-rows.ts';
import { loadRunRecords } from './run-records.ts';
import { pinMappingVersion, statefulDestination } from './sync-destination.ts';
import {
  chunkPlan,
  executeSync,
  loadOrCreatePlan,
  loadSyncState,
  planCounts,
  planEntity,
  syncStateKey,
  type PlanEntry,
  type SyncPlan,
} from './sync-engine.ts';

export interface ReplayInput {
  runId: string;
  pipeline: PipelineConfig;
  destination: string;
  /** Plan only: nothing is sent, stored or audited. */
  dryRun?: boolean;
  /** Names this replay; the same id resumes an interrupted replay under the same keys. Default: derived from run, destination and time. */
  replayId?: string;
  operator?: string;
  reason?: string;
  now?: Date;
}

export interface ReplayResult {
  replayId: string;
  runId: string;
  destination: string;
  kind: string;
  dryRun: boolean;
  counts: Record<keyof SyncPlan, number>;
  /** Members the cycle wants at the destination (what it holds once the replay is done). */
  desiredMembers: number;
  rows: { entityId: string; op: 'upsert' | 'remove'; reason: string }[];
  sent: { accepted: number; rejected: number; chunks: number } | null;
}

/** The replay plan: every wanted member upserted whatever the state says; state members not wanted removed. */
export async function planReplay(input: ReplayInput): Promise<{ plan: SyncPlan; desiredMembers: number }> {
  const dest = statefulDestination(input.pipeline, input.destination);
  const now = (input.now ?? new Date()).getTime();
  const records = await loadRunRecords(input.runId);
  if (records.length === 0) throw new Error(`run ${input.runId} has no published records; pass the cycle id of a published run (scoreflow status --run ID lists its cycles)`);
  const foreign = records.find((r) => r.metadata.pipeline !== input.pipeline.name);
  if (foreign) throw new Error(`run ${input.runId} was published by pipeline ${foreign.metadata.pipeline}, not ${input.pipeline.name}; pass that pipeline's file`);
  const { desired } = await buildDesiredRows(records, dest, undefined, { crmNamespace: input.pipeline.feed.crmNamespace });
  const state = new Map((await loadSyncState(syncStateKey(input.pipeline.name, dest.name))).map((s) => [s.entityId, s]));
  const plan: SyncPlan = { adds: [], updates: [], removes: [], retries: [], unchanged: [], held: [] };
  const put = (entries: PlanEntry[]) => {
    for (const [list, row] of entries) {
      // A replay re-sends: an earlier refusal is tried afresh, so retries count as plain sends.
      (plan[list === 'retries' ? (row as { op: string }).op === 'remove' ? 'removes' : 'adds' : list] as unknown[]).push(row);
    }
  };
  let desiredMembers = 0;
  const seen = new Set<string>();
  for (const d of [...desired].sort((a, b) => (a.entityId < b.entityId ? -1 : 1))) {
    seen.add(d.entityId);
    const wanted = d.consented && d.eligible && Date.parse(d.expiresAt) > now;
    const s = state.get(d.entityId);
    if (wanted) {
      desiredMembers++;
      // Planned as if the destination held nothing: an add, with the identifiers it had removed first when they changed.
      const entries = planEntity(d, undefined, now, 1);
      if (s?.member && Object.keys(s.identifiers).length > 0 && JSON.stringify(s.identifiers) !== JSON.stringify(d.identifiers)) {
        put(planEntity(undefined, { ...s, expiresAt: null }, now, 1).map(([, row]) => ['removes', { ...(row as object), reason: 'identity_changed' }] as PlanEntry));
      }
      put(entries);
    } else if (s?.member) put(planEntity(d, { ...s, pending: null }, now, 1));
    else if (!d.consented) plan.held.push({ entityId: d.entityId, reason: 'no_consent' });
  }
  for (const s of [...state.values()].sort((a, b) => (a.entityId < b.entityId ? -1 : 1))) {
    if (!seen.has(s.entityId) && s.member) put(planEntity(undefined, { ...s, pending: null }, now, 1));
  }
  for (const r of plan.adds) r.reason = 'replay';
  return { plan, desiredMembers };
}

export function replayIdFor(runId: string, destination: string, at: Date): string {
  return `${runId}.replay-${createHash('sha256').update(`${runId}:${destination}:${at.toISOString()}`).digest('hex').slice(0, 12)}`;
}

export async function replaySync(input: ReplayInput): Promise<ReplayResult> {
  const dest = statefulDestination(input.pipeline, input.destination);
  const replayId = input.replayId ?? replayIdFor(input.runId, dest.name, input.now ?? new Date());
  const stateKey = syncStateKey(input.pipeline.name, dest.name);
  const rowsOf = (plan: SyncPlan) => chunkPlan(plan, Number.MAX_SAFE_INTEGER).flatMap((c) => c.rows.map((r) => ({ entityId: r.entityId, op: r.op, reason: r.reason as string })));
  if (input.dryRun) {
    const { plan, desiredMembers } = await planReplay(input);
    return { replayId, runId: input.runId, destination: dest.name, kind: dest.kind, dryRun: true, counts: planCounts(plan), desiredMembers, rows: rowsOf(plan), sent: null };
  }
  await pinMappingVersion(input.pipeline.name, dest, input.runId);
  let desiredMembers = 0;
  const plan = await loadOrCreatePlan(replayId, dest.name, async () => {
    const p = await planReplay(input);
    desiredMembers = p.desiredMembers;
    return p.plan;
  });
  if (desiredMembers === 0) desiredMembers = plan.adds.length; // a resumed replay: its stored plan's upserts are the wanted members
  const pool = getPool();
  await pool.query(
    `INSERT INTO operator_audit (run_id, pipeline, action, operator, reason, payload, idempotency_key)
     VALUES ($1, $2, 'sync_replay', $3, $4, $5, $6) ON CONFLICT (idempotency_key) DO NOTHING`,
    [input.runId, input.pipeline.name, input.operator ?? 'cli', input.reason ?? 'sync replay', JSON.stringify({ replayId, destination: dest.name, counts: planCounts(plan) }), `${replayId}:${dest.name}`],
  );
  const { adapter, close } = createAdapter(dest);
  try {
    const r = await executeSync({ runId: replayId, destination: dest.name, stateKey, adapter, plan, pool });
    logger().info({ runId: input.runId, replayId, destination: dest.name, accepted: r.accepted, rejected: r.rejected }, 'sync replayed');
    return {
      replayId, runId: input.runId, destination: dest.name, kind: dest.kind, dryRun: false, counts: planCounts(plan), desiredMembers, rows: rowsOf(plan),
      sent: { accepted: r.accepted, rejected: r.rejected, chunks: r.sentChunks },
    };
  } finally {
    await close();
  }
}
