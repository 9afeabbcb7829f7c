/**
 * The canonical activation record: one per entity per scoring cycle, immutable once published.
 * It is composed from one schema per export object. Everything a destination sends is mapped from it.
 * Pure: no I/O.
 */
import { z } from 'zod';

export const CANONICAL_CONTRACT_NAME = 'activation_record';
export const CANONICAL_CONTRACT_VERSION = '1.0.0';

export const ConsentPurpose = z.enum(['analytics', 'personalization', 'advertising', 'email']);
export type ConsentPurpose = z.infer<typeof ConsentPurpose>;
export const Channel = z.enum(['onsite', 'paid_media', 'email', 'backend']);
export type Channel = z.infer<typeof Channel>;

/** A visitor key: post_visid_high and post_visid_low, two unsigned 64-bit decimals, joined by '_'. */
export const EntityId = z.string().regex(/^\d{1,20}_\d{1,20}$/, 'entity id must be "<visid_high>_<visid_low>" (two unsigned 64-bit decimals)');

export const ScoreSemantics = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('probability'),
    outcome: z.string().min(1).describe('The event whose chance is scored, e.g. "purchase".'),
    horizon_days: z.number().int().positive().describe('The window the probability refers to.'),
  }),
  z.object({ kind: z.literal('percentile'), population: z.string().min(1) }),
  z.object({ kind: z.literal('relative_score_0_100') }),
]);
export type ScoreSemantics = z.infer<typeof ScoreSemantics>;

export const Score = z.object({
  value: z.number().finite(),
  semantics: ScoreSemantics,
  range: z.tuple([z.number(), z.number()]),
  calibration: z.enum(['calibrated', 'uncalibrated']).describe('Whether the value was calibrated against observed outcomes.'),
});

export const Segment = z.object({
  id: z.string().min(1),
  rule: z.string().min(1).describe('The declared rule that assigned the segment, e.g. "score >= 0.5".'),
});

export const EligibilityFlags = z.object({
  activation_eligible: z.boolean(),
  reasons: z.array(z.string()).describe('Codes that made the entity ineligible; empty when eligible.'),
});

export const Recommendation = z.object({
  item_id: z.string().min(1),
  kind: z.enum(['category', 'product']),
  score: z.number().min(0).max(1),
  rationale_codes: z.array(z.string()),
});

export const Recommendations = z.object({
  items: z.array(Recommendation).max(10),
  valid_from: z.iso.datetime(),
  valid_until: z.iso.datetime(),
});

export const DecisionRationale = z.object({
  codes: z.array(z.string()),
  top_features: z.array(z.object({ feature: z.string(), contribution: z.number() })).max(10),
});

export const RecordMetadata = z.object({
  pipeline: z.string().min(1),
  run_id: z.string().min(1),
  model_id: z.string().min(1),
  model_version: z.string().min(1),
  model_digest: z.string().regex(/^[0-9a-f]{64}$/),
  feature_snapshot: z.string().min(1),
  feature_set_version: z.string().min(1),
  scored_at: z.iso.datetime(),
  expires_at: z.iso.datetime(),
  confidence: z.number().min(0).max(1),
  decision_policy: z.enum(['model', 'rules']),
  contract_version: z.string().regex(/^\d+\.\d+\.\d+$/),
});

export const Compliance = z.object({
  consent: z.record(ConsentPurpose, z.boolean()),
  consent_source: z.enum(['feed_column', 'cmp_file', 'none']),
  channels: z.record(Channel, z.boolean()),
});

export const Measurement = z.object({
  holdout_arm: z.enum(['treatment', 'control']),
  experiment_key: z.string().min(1),
});

export const Identity = z.object({
  visitor_id: EntityId,
  customer_id: z.string().min(1).nullable(),
});

export const CanonicalRecord = z.object({
  entity_id: EntityId,
  identity: Identity,
  score: Score,
  segments: z.array(Segment).min(1),
  eligibility: EligibilityFlags,
  recommendations: Recommendations,
  rationale: DecisionRationale,
  metadata: RecordMetadata,
  compliance: Compliance,
  measurement: Measurement,
});
export type CanonicalRecord = z.infer<typeof CanonicalRecord>;
