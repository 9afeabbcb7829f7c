/** The activation_run row and the operator audit: small idempotent writes. */
import { Context } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import type { UnauditedAction } from '../../workflows/run-state.ts';
import { getPool } from '../store/db.ts';
import { identityFromHistory, type ResolvedIdentity } from './audit-identity.ts';
import { logger } from '../observability/logger.ts';

export interface RecordRunInput {
  runId: string;
  pipeline: string;
  status: string;
  stage: string;
  counts: Record<string, number>;
  pausedReason?: string;
}

export async function recordRunActivity(input: RecordRunInput): Promise<void> {
  await getPool().query(
    `INSERT INTO activation_run (run_id, pipeline, status, stage, counts)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (run_id) DO UPDATE SET status = EXCLUDED.status, stage = EXCLUDED.stage,
       counts = activation_run.counts || EXCLUDED.counts, updated_at = now()`,
    [input.runId, input.pipeline, input.status, input.stage, JSON.stringify(input.counts)],
  );
  logger().info({ runId: input.runId, pipeline: input.pipeline, status: input.status, stage: input.stage, pausedReason: input.pausedReason }, 'run status');
}

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

export interface AuditInput {
  runId: string;
  pipeline: string;
  actions: UnauditedAction[];
}

/** Attempts that wait for the history before an action is audited without its identity. */
const IDENTITY_ATTEMPTS = 3;

/** The run's history, through the worker's client, when this runs in an activity and some action needs it. */
async function runHistory(actions: UnauditedAction[]): Promise<{ events: HistoryEvent[] } | { error: string } | null> {
  if (!actions.some((a) => a.via)) return null;
  let ctx: Context;
  try {
    ctx = Context.current();
  } catch {
    return { error: 'not running in an activity' };
  }
  const wf = ctx.info.workflowExecution;
  if (!wf) return { error: 'the activity has no workflow execution' };
  try {
    const history = await ctx.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    return { events: history.events ?? [] };
  } catch (err) {
    // A Temporal hiccup: retry (the activity's policy) a few times, then audit without the identity rather than not at all.
    if (ctx.info.attempt < IDENTITY_ATTEMPTS) throw err;
    return { error: (err as Error).message };
  }
}

/**
 * Idempotent by each action's key (run id + sequence), so a retried activity writes nothing twice.
 * Each action tagged with its origin is recorded with the sender's Temporal client identity from the
 * run's history (audit-identity.ts), and a mismatch with the payload's operator is flagged and logged.
 */
export async function auditActivity(input: AuditInput): Promise<void> {
  const history = await runHistory(input.actions);
  for (const a of input.actions) {
    let resolved: ResolvedIdentity = { identity: null, mismatch: null };
    if (a.via && history && 'events' in history) resolved = identityFromHistory(history.events, a.via, a.operator);
    if (a.via && resolved.identity === null) {
      logger().warn({ runId: input.runId, action: a.action, via: a.via.kind, error: history && 'error' in history ? history.error : 'no such event in the history' }, 'operator action audited without its client identity');
    }
    await getPool().query(
      `INSERT INTO operator_audit (run_id, pipeline, action, operator, reason, payload, idempotency_key, identity, via, identity_mismatch)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (idempotency_key) DO NOTHING`,
      [input.runId, input.pipeline, a.action, a.operator, a.reason, JSON.stringify(a.payload ?? {}), a.key, resolved.identity, a.via?.kind ?? null, resolved.mismatch],
    );
    const fields = { runId: input.runId, action: a.action, operator: a.operator, reason: a.reason, identity: resolved.identity, via: a.via?.kind };
    if (resolved.mismatch) logger().warn(fields, 'operator action: the payload names another operator than the client identity that sent it');
    else logger().info(fields, 'operator action');
  }
}

export async function priorRunActivity(input: { runId: string }): Promise<{ snapshotId: string; deliveryIds: string[]; modelVersion: string | null }> {
  const { rows } = await getPool().query<{ snapshot_id: string | null; delivery_ids: string[]; model_version: string | null }>(
    'SELECT snapshot_id, delivery_ids, model_version FROM activation_run WHERE run_id = $1',
    [input.runId],
  );
  const row = rows[0];
  if (!row?.snapshot_id) {
    const { ApplicationFailure } = await import('@temporalio/common');
    throw ApplicationFailure.nonRetryable(`run ${input.runId} has no feature snapshot to roll back; name a run that scored`, 'InvalidRollbackTarget');
  }
  return { snapshotId: row.snapshot_id, deliveryIds: row.delivery_ids, modelVersion: row.model_version };
}
