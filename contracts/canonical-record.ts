/**
 * The canonical activation record: one per entity per scoring cycle, immutable once published.
 * It is composed from one contract per export object (contracts/record/); everything a destination
 * sends is mapped from it. The record's contract is `activation_record`. Pure: no I/O.
 */
import { z } from 'zod';
import { defineContract } from './contract.ts';
import { ACTIVATION_OWNER, FIRST_RELEASE_DATE } from './record/owner.ts';
import { Score, declaredScoreSemantics, scoreContract, TARGET_CLEAR_SENTINEL } from './record/score.ts';
import { Segment, Segments, segmentsContract } from './record/segments.ts';
import { EligibilityFlags, eligibilityContract } from './record/eligibility.ts';
import { Recommendation, Recommendations, recommendationsContract } from './record/recommendations.ts';
import { DecisionRationale, decisionRationaleContract } from './record/decision-rationale.ts';
import { RecordMetadata, metadataContract } from './record/record-metadata.ts';
import { Channel, Compliance, ConsentPurpose, complianceContract } from './record/compliance.ts';
import { EntityId, Identity, identityContract } from './record/identity.ts';
import { Measurement, measurementContract } from './record/measurement.ts';
import { ScoreSemantics } from './record/score-semantics.ts';

export {
  Channel, Compliance, ConsentPurpose, DecisionRationale, EligibilityFlags, EntityId, Identity, Measurement,
  Recommendation, Recommendations, RecordMetadata, Score, ScoreSemantics, Segment, TARGET_CLEAR_SENTINEL,
};

export const CANONICAL_CONTRACT_NAME = 'activation_record';
export const CANONICAL_CONTRACT_VERSION = '1.0.0';

export const CanonicalRecord = z.object({
  entity_id: EntityId,
  identity: Identity,
  score: Score,
  segments: Segments,
  eligibility: EligibilityFlags,
  recommendations: Recommendations,
  rationale: DecisionRationale,
  metadata: RecordMetadata,
  compliance: Compliance,
  measurement: Measurement,
});
export type CanonicalRecord = z.infer<typeof CanonicalRecord>;

/** The export-object contracts the record is composed of, by the record field that holds each. */
export const RECORD_PART_CONTRACTS = {
  identity: identityContract,
  score: scoreContract,
  segments: segmentsContract,
  eligibility: eligibilityContract,
  recommendations: recommendationsContract,
  rationale: decisionRationaleContract,
  metadata: metadataContract,
  compliance: complianceContract,
  measurement: measurementContract,
} as const;

/** Field semantics of the parts, re-rooted under the record field that holds each part. */
function composedFieldSemantics(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, part] of Object.entries(RECORD_PART_CONTRACTS)) {
    for (const [path, meaning] of Object.entries(part.semantics.fields)) {
      out[path.startsWith('[') ? `${field}${path}` : `${field}.${path}`] = meaning;
    }
  }
  return out;
}

export const activationRecordContract = defineContract({
  name: CANONICAL_CONTRACT_NAME,
  version: CANONICAL_CONTRACT_VERSION,
  owner: ACTIVATION_OWNER,
  description:
    'One row per entity (Adobe visitor key) per scoring cycle, immutable once published; the source of truth for every ' +
    'export and for rollback. Composed of the identity, score, segments, eligibility, recommendations, decision rationale, ' +
    'metadata, compliance and measurement contracts. score.value is the probability of purchase within 7 days (score.calibration says whether it was calibrated). ' +
    `A record expires maxAgeHours after metadata.scored_at. An empty value never clears a Target attribute; removals send the sentinel ${TARGET_CLEAR_SENTINEL}.`,
  freshness: { cadence: 'PT15M', maxAgeHours: 24 },
  changelog: [{ version: '1.0.0', date: FIRST_RELEASE_DATE, changes: ['First release, composed of the 1.0.0 export-object contracts.'] }],
  semantics: { score: declaredScoreSemantics('score'), fields: composedFieldSemantics() },
  schema: CanonicalRecord,
});
