/**
 * Publishes a cycle's canonical activation records: builds them from the scored entities, validates
 * each against the pinned contract version, quarantines violations with path and reason, and writes
 * the valid ones with COPY in one transaction together with the 'generated' ledger stage.
 * Publishing a run twice changes nothing: a run's records are immutable once written.
 */
import { ApplicationFailure } from '@temporalio/common';
import { CanonicalRecord, CANONICAL_CONTRACT_VERSION } from '../../contracts/canonical-record.ts';
import { FEATURE_SET_VERSION } from '../../contracts/feature-set.ts';
import { getPool, withTransaction } from '../store/db.ts';
import { copyRows, type CopyValue } from '../store/copy-rows.ts';
import { pipelineOf, type PipelineRef } from '../run/pipeline.ts';
import { assignArm } from '../measurement/holdout.ts';
import { cmpConsentSql, consentFor } from '../scoring/consent.ts';
import { buildCanonicalRecord, type StoredDecision } from './build-record.ts';
import type { ResolvedModel } from '../scoring/resolve-model.ts';
import { logger } from '../observability/logger.ts';

export interface PublishInput extends PipelineRef {
  runId: string;
  parentRunId: string;
  snapshotId: string;
  model: ResolvedModel;
  rollbackOf: string | null;
}

export interface PublishResult {
  published: number;
  quarantined: number;
  control: number;
  alreadyPublished: boolean;
}

export async function publishCanonicalActivity(input: PublishInput): Promise<PublishResult> {
  const pool = getPool();
  const done = await pool.query<{ n: number; control: number }>(
    "SELECT count(*)::int AS n, count(*) FILTER (WHERE holdout_arm = 'control')::int AS control FROM activation_record WHERE run_id = $1",
    [input.runId],
  );
  const q = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM contract_quarantine WHERE run_id = $1 AND boundary = 'publish'", [input.runId]);
  if ((done.rows[0]?.n ?? 0) > 0) {
    return { published: done.rows[0]!.n, quarantined: q.rows[0]?.n ?? 0, control: done.rows[0]!.control, alreadyPublished: true };
  }

  const cfg = pipelineOf(input);
  const { rows } = await pool.query<{
    entity_id: string;
    decision: StoredDecision;
    customer_id: string | null;
    consent: string | null;
    cmp: Record<string, boolean> | null;
  }>(
    `SELECT s.entity_id, s.decision, f.customer_id, f.consent,
            ${cmpConsentSql('s.entity_id')} AS cmp
     FROM scored_entity s JOIN feature_value f ON f.snapshot_id = $2 AND f.visitor_id = s.entity_id
     WHERE s.run_id = $1 ORDER BY s.entity_id`,
    [input.runId, input.snapshotId],
  );
  if (rows.length === 0) {
    throw ApplicationFailure.nonRetryable(`run ${input.runId} has no scored entities for snapshot ${input.snapshotId}; score before publishing`, 'ContractViolation');
  }

  const experimentKey = cfg.holdout?.experimentKey ?? `${cfg.name}-no-holdout`;
  const controlShare = cfg.holdout?.controlShare ?? 0;
  const ctx = {
    pipeline: cfg.name,
    runId: input.runId,
    modelId: input.model.modelName,
    modelVersion: input.model.version,
    modelDigest: input.model.sha256,
    decisionPolicy: input.model.policy,
    featureSnapshot: input.snapshotId,
    featureSetVersion: FEATURE_SET_VERSION,
    semantics: cfg.scoring.semantics,
    calibration: input.model.calibrated ? ('calibrated' as const) : ('uncalibrated' as const),
    maxAgeHours: cfg.freshness.maxAgeHours,
    recommendationValidityHours: cfg.freshness.maxAgeHours,
    consentSource: cfg.consent.source,
    experimentKey,
  };

  const valid: CopyValue[][] = [];
  const ledger: CopyValue[][] = [];
  const violations: CopyValue[][] = [];
  let control = 0;
  for (const r of rows) {
    const consent = consentFor(cfg, r.consent, r.cmp);
    const arm = controlShare > 0 ? assignArm(r.entity_id, experimentKey, controlShare) : 'treatment';
    const record = buildCanonicalRecord(r.entity_id, r.customer_id, r.decision, consent, arm, ctx);
    const checked = CanonicalRecord.safeParse(record);
    if (!checked.success) {
      const issue = checked.error.issues[0]!;
      violations.push([input.runId, 'publish', r.entity_id, issue.path.join('.') || '(record)', issue.message]);
      continue;
    }
    if (arm === 'control') control++;
    const rec = checked.data;
    valid.push([
      input.runId, rec.entity_id, cfg.name, rec.metadata.model_version, rec.score.value, rec.segments[0]!.id,
      rec.eligibility.activation_eligible, arm, rec.metadata.expires_at, CANONICAL_CONTRACT_VERSION, rec,
    ]);
    ledger.push([input.runId, rec.entity_id, '', 'generated', { segment: rec.segments[0]!.id, model_version: rec.metadata.model_version, arm }]);
  }

  await withTransaction(async (client) => {
    await client.query(
      `INSERT INTO activation_run (run_id, pipeline, status, stage, parent_run_id, snapshot_id, model_name, model_version, model_sha256, decision_policy, contract_version, rollback_of)
       VALUES ($1, $2, 'RUNNING', 'publish', $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (run_id) DO UPDATE SET parent_run_id = EXCLUDED.parent_run_id, snapshot_id = EXCLUDED.snapshot_id, model_name = EXCLUDED.model_name,
         model_version = EXCLUDED.model_version, model_sha256 = EXCLUDED.model_sha256, decision_policy = EXCLUDED.decision_policy,
         contract_version = EXCLUDED.contract_version, rollback_of = EXCLUDED.rollback_of, updated_at = now()`,
      [input.runId, cfg.name, input.parentRunId, input.snapshotId, input.model.modelName, input.model.version, input.model.sha256, input.model.policy, CANONICAL_CONTRACT_VERSION, input.rollbackOf],
    );
    await client.query('DELETE FROM contract_quarantine WHERE run_id = $1 AND boundary = $2', [input.runId, 'publish']);
    await copyRows(client, 'contract_quarantine', ['run_id', 'boundary', 'entity_id', 'path', 'reason'], violations);
    await copyRows(
      client,
      'activation_record',
      ['run_id', 'entity_id', 'pipeline', 'model_version', 'score', 'segment', 'eligible', 'holdout_arm', 'expires_at', 'contract_version', 'record'],
      valid,
    );
    await client.query("DELETE FROM ledger_event WHERE run_id = $1 AND stage = 'generated'", [input.runId]);
    await copyRows(client, 'ledger_event', ['run_id', 'entity_id', 'destination', 'stage', 'detail'], ledger);
  });
  logger().info({ runId: input.runId, published: valid.length, quarantined: violations.length, control }, 'canonical records published');
  return { published: valid.length, quarantined: violations.length, control, alreadyPublished: false };
}
