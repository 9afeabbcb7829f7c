/**
 * The expiry pass of a cycle that had no new delivery: every stateful destination of the pipeline
 * loses the members whose `expires_at` has passed, although nothing new was scored. Without it a
 * quiet inbox would keep stale scores activated until the next delivery.
 *
 * Uses the sync engine as a normal export does: the plan (removes with reason `expired`, plus
 * refused removes tried again) is stored once per run and destination, sent in chunks under
 * idempotency keys, and the state, receipt and ledger (`removed`, reason `expired`) commit with each
 * chunk, so the activity can run twice without removing twice. Members not yet expired are untouched.
 */
import type { PipelineConfig } from '../../contracts/pipeline-config.ts';
import { logger } from '../observability/logger.ts';
import { createAdapter, type StatefulDestination } from './adapter-factory.ts';
import { executeSync, loadOrCreatePlan, loadSyncState, planSync, syncStateKey } from './sync-engine.ts';

export interface ExpireMembersResult {
  /** Per stateful destination: members found expired, and removals the destination accepted. */
  destinations: { destination: string; expired: number; removed: number; rejected: number }[];
  removed: number;
}

export async function expireMembersActivity(input: { runId: string; pipeline: PipelineConfig; now?: string }): Promise<ExpireMembersResult> {
  const now = input.now ? new Date(input.now) : new Date();
  const out: ExpireMembersResult = { destinations: [], removed: 0 };
  for (const d of input.pipeline.destinations) {
    if (d.kind === 'file') continue;
    const dest = d as StatefulDestination;
    const stateKey = syncStateKey(input.pipeline.name, dest.name);
    const plan = await loadOrCreatePlan(input.runId, dest.name, async () => {
      // Only expired members (and refused removes of them): planSync with nothing desired removes
      // every member it is given, with reason `expired` when its expires_at has passed.
      const expired = (await loadSyncState(stateKey)).filter((s) => s.member && s.expiresAt !== null && Date.parse(s.expiresAt) <= now.getTime());
      return planSync([], expired, now);
    });
    const expired = plan.removes.length + plan.retries.length;
    if (expired === 0) {
      out.destinations.push({ destination: dest.name, expired: 0, removed: 0, rejected: 0 });
      continue;
    }
    const { adapter, close } = createAdapter(dest);
    try {
      const r = await executeSync({ runId: input.runId, destination: dest.name, stateKey, adapter, plan });
      out.destinations.push({ destination: dest.name, expired, removed: r.removes + r.retries, rejected: r.rejected });
      out.removed += r.removes + r.retries;
    } finally {
      await close();
    }
  }
  logger().info({ runId: input.runId, pipeline: input.pipeline.name, destinations: out.destinations }, 'expiry pass');
  return out;
}
