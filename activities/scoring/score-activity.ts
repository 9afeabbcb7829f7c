/**
 * Scores a feature snapshot with a resolved model (or the rules policy) and stages the decisions in
 * scored_entity. Reads features page by page, writes with COPY in one transaction, heartbeats per
 * page. Scoring the same run (or shard) twice replaces its staging rows with identical ones.
 */
import { ApplicationFailure } from '@temporalio/common';
import { FEATURE_NAMES, type FeatureVector } from '../../contracts/feature-set.ts';
import { getPool, withTransaction } from '../store/db.ts';
import { copyRows, type CopyValue } from '../store/copy-rows.ts';
import { pipelineOf, type PipelineRef } from '../run/pipeline.ts';
import { decide } from './decide.ts';
import { cmpConsentSql, consentFor } from './consent.ts';
import { loadScorerBySha } from './load-scorer.ts';
import type { ResolvedModel } from './resolve-model.ts';
import { heartbeat } from '../run/heartbeat.ts';
import { shardParams, shardPredicate, type Shard } from '../store/shard.ts';

export interface ScoreInput extends PipelineRef {
  runId: string;
  parentRunId: string;
  snapshotId: string;
  model: ResolvedModel;
  rollbackOf: string | null;
  /** One entity-hash range of the snapshot (absent: all of it). Shards of one run never overlap. */
  shard?: Shard;
}

export interface ScoreResult {
  scored: number;
  eligible: number;
  segments: Record<string, number>;
}


interface FeatureRow extends FeatureVector {
  visitor_id: string;
  consent: string | null;
  cmp: Record<string, boolean> | null;
  category_affinity: Record<string, number>;
}

export async function scoreActivity(input: ScoreInput): Promise<ScoreResult> {
  const cfg = pipelineOf(input);
  const pool = getPool();
  const snap = await pool.query<{ feature_set_version: string }>('SELECT feature_set_version FROM feature_snapshot WHERE snapshot_id = $1', [input.snapshotId]);
  if (!snap.rows[0]) throw ApplicationFailure.nonRetryable(`feature snapshot ${input.snapshotId} does not exist; extract features first`, 'InvalidModel');
  if (snap.rows[0].feature_set_version !== input.model.featureSetVersion) {
    throw ApplicationFailure.nonRetryable(
      `model ${input.model.modelName}@${input.model.version} was trained on feature set ${input.model.featureSetVersion}, snapshot ${input.snapshotId} is ${snap.rows[0].feature_set_version}; pick a model for this feature set`,
      'InvalidModel',
    );
  }
  const scorer = await loadScorerBySha(input.model.sha256, input.model.format);
  const scoredAt = new Date().toISOString();
  const segments: Record<string, number> = {};
  let eligible = 0;
  let scored = 0;
  const page = cfg.scale.pageSize;
  // One transaction, written page by page: a retry replaces this shard's rows with identical ones,
  // and memory holds one page of features, never the snapshot.
  await withTransaction(async (client) => {
    await client.query(`DELETE FROM scored_entity WHERE run_id = $1 AND ${shardPredicate('entity_id', input.shard, 2)}`, [input.runId, ...shardParams(input.shard)]);
    let after = '';
    for (;;) {
      const { rows } = await pool.query<FeatureRow>(
        `SELECT visitor_id, consent, ${cmpConsentSql('visitor_id')} AS cmp, category_affinity, ${FEATURE_NAMES.join(', ')} FROM feature_value
         WHERE snapshot_id = $1 AND visitor_id > $2 AND ${shardPredicate('visitor_id', input.shard, 3)} ORDER BY visitor_id LIMIT ${page}`,
        [input.snapshotId, after, ...shardParams(input.shard)],
      );
      if (rows.length === 0) break;
      const vectors = rows.map((r) => Object.fromEntries(FEATURE_NAMES.map((n) => [n, r[n] === null ? null : Number(r[n])])) as FeatureVector);
      const scores = await scorer.score(vectors);
      const out: CopyValue[][] = rows.map((r, i) => {
        const s = scores[i]!;
        const consent = consentFor(cfg, r.consent, r.cmp);
        const d = decide(s.probability, s.contributions ?? [], r.category_affinity, consent, {
          segments: cfg.scoring.segments,
          eligibility: cfg.scoring.eligibility,
          topN: cfg.scoring.topN,
        });
        segments[d.segment.id] = (segments[d.segment.id] ?? 0) + 1;
        if (d.eligible) eligible++;
        return [input.runId, r.visitor_id, s.probability, d.segment.id, d.eligible, vectors[i]!, { ...d, probability: s.probability, scoredAt }];
      });
      await copyRows(client, 'scored_entity', ['run_id', 'entity_id', 'score', 'segment', 'eligible', 'features', 'decision'], out);
      scored += out.length;
      after = rows[rows.length - 1]!.visitor_id;
      heartbeat({ scored });
    }
    await client.query(
      `INSERT INTO activation_run (run_id, pipeline, status, stage, parent_run_id, snapshot_id, model_name, model_version, model_sha256, decision_policy, rollback_of)
       VALUES ($1, $2, 'RUNNING', 'score', $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (run_id) DO UPDATE SET snapshot_id = EXCLUDED.snapshot_id, model_name = EXCLUDED.model_name, model_version = EXCLUDED.model_version,
         model_sha256 = EXCLUDED.model_sha256, decision_policy = EXCLUDED.decision_policy, rollback_of = EXCLUDED.rollback_of, parent_run_id = EXCLUDED.parent_run_id, updated_at = now()`,
      [input.runId, cfg.name, input.parentRunId, input.snapshotId, input.model.modelName, input.model.version, input.model.sha256, input.model.policy, input.rollbackOf],
    );
  });
  return { scored, eligible, segments };
}
