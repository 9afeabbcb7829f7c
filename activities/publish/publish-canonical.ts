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
import { heartbeat } from '../run/heartbeat.ts';
import { cursorPages, shardKey, shardParams, shardPredicate, type Shard } from '../store/shard.ts';

export interface PublishInput extends PipelineRef {
  runId: string;
  parentRunId: string;
  snapshotId: string;
  model: ResolvedModel;
  rollbackOf: string | null;
  /** One entity-hash range of the run (absent: all of it). Each shard publishes once, atomically. */
  shard?: Shard;
}

export interface PublishResult {
  published: number;
  quarantined: number;
  control: number;
  alreadyPublished: boolean;
}

export async function publishCanonicalActivity(input: PublishInput): Promise<PublishResult> {
  const pool = getPool();
  const shard = input.shard;
  const inShard = (col: string, first: number) => shardPredicate(col, shard, first);
  const alreadyDone = async (db: Pick<typeof pool, 'query'>): Promise<PublishResult | undefined> => {
    const done = await db.query<{ n: number; control: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE holdout_arm = 'control')::int AS control FROM activation_record WHERE run_id = $1 AND ${inShard('entity_id', 2)}`,
      [input.runId, ...shardParams(shard)],
    );
    if ((done.rows[0]?.n ?? 0) === 0) return undefined;
    const q = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM contract_quarantine WHERE run_id = $1 AND boundary = 'publish' AND ${inShard('entity_id', 2)}`,
      [input.runId, ...shardParams(shard)],
    );
    return { published: done.rows[0]!.n, quarantined: q.rows[0]?.n ?? 0, control: done.rows[0]!.control, alreadyPublished: true };
  };
  const before = await alreadyDone(pool);
  if (before) return before;

  const cfg = pipelineOf(input);
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

  // One transaction for the shard, streamed: a cursor over the scored entities, each page built,
  // validated and written with COPY before the next is read. Memory holds one page.
  const result = await withTransaction(async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`publish:${shardKey(input.runId, shard)}`]);
    const raced = await alreadyDone(client);
    if (raced) return raced;
    await client.query(
      `INSERT INTO activation_run (run_id, pipeline, status, stage, parent_run_id, snapshot_id, model_name, model_version, model_sha256, decision_policy, contract_version, rollback_of)
       VALUES ($1, $2, 'RUNNING', 'publish', $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (run_id) DO UPDATE SET parent_run_id = EXCLUDED.parent_run_id, snapshot_id = EXCLUDED.snapshot_id, model_name = EXCLUDED.model_name,
         model_version = EXCLUDED.model_version, model_sha256 = EXCLUDED.model_sha256, decision_policy = EXCLUDED.decision_policy,
         contract_version = EXCLUDED.contract_version, rollback_of = EXCLUDED.rollback_of, updated_at = now()`,
      [input.runId, cfg.name, input.parentRunId, input.snapshotId, input.model.modelName, input.model.version, input.model.sha256, input.model.policy, CANONICAL_CONTRACT_VERSION, input.rollbackOf],
    );
    await client.query(`DELETE FROM contract_quarantine WHERE run_id = $1 AND boundary = 'publish' AND ${inShard('entity_id', 2)}`, [input.runId, ...shardParams(shard)]);
    await client.query(`DELETE FROM ledger_event WHERE run_id = $1 AND stage = 'generated' AND ${inShard('entity_id', 2)}`, [input.runId, ...shardParams(shard)]);

    let published = 0;
    let quarantined = 0;
    let control = 0;
    let seen = 0;
    const pages = cursorPages<{ entity_id: string; decision: StoredDecision; customer_id: string | null; consent: string | null; cmp: Record<string, boolean> | null }>(
      client,
      `SELECT s.entity_id, s.decision, f.customer_id, f.consent,
              ${cmpConsentSql('s.entity_id')} AS cmp
       FROM scored_entity s JOIN feature_value f ON f.snapshot_id = $2 AND f.visitor_id = s.entity_id
       WHERE s.run_id = $1 AND ${inShard('s.entity_id', 3)} ORDER BY s.entity_id`,
      [input.runId, input.snapshotId, ...shardParams(shard)],
      cfg.scale.pageSize,
    );
    for await (const rows of pages) {
      seen += rows.length;
      const valid: CopyValue[][] = [];
      const ledger: CopyValue[][] = [];
      const violations: CopyValue[][] = [];
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
      await copyRows(client, 'contract_quarantine', ['run_id', 'boundary', 'entity_id', 'path', 'reason'], violations);
      await copyRows(
        client,
        'activation_record',
        ['run_id', 'entity_id', 'pipeline', 'model_version', 'score', 'segment', 'eligible', 'holdout_arm', 'expires_at', 'contract_version', 'record'],
        valid,
      );
      await copyRows(client, 'ledger_event', ['run_id', 'entity_id', 'destination', 'stage', 'detail'], ledger);
      published += valid.length;
      quarantined += violations.length;
      heartbeat({ published });
    }
    if (seen === 0 && !shard) {
      throw ApplicationFailure.nonRetryable(`run ${input.runId} has no scored entities for snapshot ${input.snapshotId}; score before publishing`, 'ContractViolation');
    }
    return { published, quarantined, control, alreadyPublished: false };
  });
  logger().info({ runId: input.runId, shard: shard ? shardKey('', shard) : undefined, published: result.published, quarantined: result.quarantined, control: result.control }, 'canonical records published');
  return result;
}
