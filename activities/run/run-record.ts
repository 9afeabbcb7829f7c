/** The activation_run row and the operator audit: small idempotent writes. */
import { getPool } from '../store/db.ts';
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

export interface AuditInput {
  runId: string;
  pipeline: string;
  actions: { action: string; operator: string; reason: string; payload: unknown; key: string }[];
}

/** Idempotent by each action's key (run id + sequence), so a retried activity writes nothing twice. */
export async function auditActivity(input: AuditInput): Promise<void> {
  for (const a of input.actions) {
    await getPool().query(
      `INSERT INTO operator_audit (run_id, pipeline, action, operator, reason, payload, idempotency_key)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (idempotency_key) DO NOTHING`,
      [input.runId, input.pipeline, a.action, a.operator, a.reason, JSON.stringify(a.payload ?? {}), a.key],
    );
    logger().info({ runId: input.runId, action: a.action, operator: a.operator, reason: a.reason }, 'operator action');
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
