/**
 * Pure: builds one canonical activation record from a scored entity, its features, consent and the
 * run's context. The contract (contracts/canonical-record.ts) validates the result at publish.
 */
import {
  CANONICAL_CONTRACT_VERSION,
  type CanonicalRecord,
  type Channel,
  type ConsentPurpose,
  type ScoreSemantics,
} from '../../contracts/canonical-record.ts';
import type { Decision } from '../scoring/decide.ts';

export interface StoredDecision extends Decision {
  scoredAt: string;
  probability: number;
}

export interface RecordContext {
  pipeline: string;
  runId: string;
  modelId: string;
  modelVersion: string;
  modelDigest: string;
  decisionPolicy: 'model' | 'rules';
  featureSnapshot: string;
  featureSetVersion: string;
  semantics: ScoreSemantics;
  calibration: 'calibrated' | 'uncalibrated';
  maxAgeHours: number;
  recommendationValidityHours: number;
  consentSource: 'feed_column' | 'cmp_file' | 'none';
  experimentKey: string;
}

/** Channel eligibility follows consent: which purpose each channel needs. */
export const CHANNEL_PURPOSE: Record<Channel, ConsentPurpose> = {
  onsite: 'personalization',
  paid_media: 'advertising',
  email: 'email',
  backend: 'personalization',
};

export function expiresAt(scoredAt: string, maxAgeHours: number): string {
  return new Date(Date.parse(scoredAt) + maxAgeHours * 3_600_000).toISOString();
}

export function buildCanonicalRecord(
  entityId: string,
  customerId: string | null,
  decision: StoredDecision,
  consent: Record<ConsentPurpose, boolean>,
  arm: 'treatment' | 'control',
  ctx: RecordContext,
): CanonicalRecord {
  const channels = Object.fromEntries(
    (Object.keys(CHANNEL_PURPOSE) as Channel[]).map((ch) => [ch, decision.eligible && consent[CHANNEL_PURPOSE[ch]]]),
  ) as Record<Channel, boolean>;
  const range: [number, number] = ctx.semantics.kind === 'probability' ? [0, 1] : ctx.semantics.kind === 'percentile' ? [1, 100] : [0, 100];
  return {
    entity_id: entityId,
    identity: { visitor_id: entityId, customer_id: customerId },
    score: { value: decision.probability, semantics: ctx.semantics, range, calibration: ctx.calibration },
    segments: [decision.segment],
    eligibility: { activation_eligible: decision.eligible, reasons: decision.ineligibleReasons },
    recommendations: {
      items: decision.recommendations,
      valid_from: decision.scoredAt,
      valid_until: expiresAt(decision.scoredAt, ctx.recommendationValidityHours),
    },
    rationale: { codes: decision.rationaleCodes, top_features: decision.topFeatures.map((f) => ({ feature: String(f.feature), contribution: f.contribution })) },
    metadata: {
      pipeline: ctx.pipeline,
      run_id: ctx.runId,
      model_id: ctx.modelId,
      model_version: ctx.modelVersion,
      model_digest: ctx.modelDigest,
      feature_snapshot: ctx.featureSnapshot,
      feature_set_version: ctx.featureSetVersion,
      scored_at: decision.scoredAt,
      expires_at: expiresAt(decision.scoredAt, ctx.maxAgeHours),
      confidence: decision.confidence,
      decision_policy: ctx.decisionPolicy,
      contract_version: CANONICAL_CONTRACT_VERSION,
    },
    compliance: { consent, consent_source: ctx.consentSource, channels },
    measurement: { holdout_arm: arm, experiment_key: ctx.experimentKey },
  };
}
