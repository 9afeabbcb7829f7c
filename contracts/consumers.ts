/**
 * The consumer registry: every destination mapping declares which contract it reads, which versions
 * it accepts, the exact fields it reads and the semantics it assumes. `scoreflow contracts check`
 * fails a contract change that would break any of them. Update an entry in the same change as the
 * mapping it describes. Pure: no I/O.
 */
import semver from 'semver';
import { z } from 'zod';
import { ScoreSemantics } from './record/score-semantics.ts';

const SemanticsKind = z.enum(ScoreSemantics.options.map((o) => o.shape.kind.value) as ['probability', 'percentile', 'relative_score_0_100']);

/** What a consumer takes for granted about score.value; every key given must match the contract's declaration. */
export const ScoreAssumption = z
  .object({
    kind: SemanticsKind,
    outcome: z.string().min(1),
    horizon_days: z.number().int().positive(),
    population: z.string().min(1),
    range: z.tuple([z.number(), z.number()]),
    calibration: z.enum(['calibrated', 'any']),
  })
  .partial();
export type ScoreAssumption = z.infer<typeof ScoreAssumption>;

export const ConsumerRegistration = z.object({
  consumer: z.string().regex(/^[a-z][a-z0-9-]*$/),
  contract: z.string().min(1),
  versionRange: z.string().refine((r) => semver.validRange(r) !== null, 'a semver range such as "^1.0.0"'),
  /** Paths as in the contract's JSON Schema: 'score.value', 'segments[].id', 'compliance.consent.advertising'. */
  fieldsRead: z.array(z.string().min(1)).min(1),
  semanticsAssumed: z
    .object({ score: ScoreAssumption.optional(), clear_sentinel: z.string().min(1).optional() })
    .default({}),
  mappingVersion: z.string().default('1'),
  notes: z.string().optional(),
});
export type ConsumerRegistration = z.infer<typeof ConsumerRegistration>;
export type ConsumerRegistrationInput = z.input<typeof ConsumerRegistration>;

export function defineConsumers(entries: ConsumerRegistrationInput[]): readonly ConsumerRegistration[] {
  const seen = new Set<string>();
  return Object.freeze(
    entries.map((e, i) => {
      const parsed = ConsumerRegistration.safeParse(e);
      if (!parsed.success) {
        const why = parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ');
        throw new Error(`consumer registration #${i} (${String(e.consumer)}) is invalid: ${why}`);
      }
      const key = `${parsed.data.consumer}/${parsed.data.contract}`;
      if (seen.has(key)) throw new Error(`consumer ${parsed.data.consumer} is registered twice for ${parsed.data.contract}`);
      seen.add(key);
      return parsed.data;
    }),
  );
}

const RECORD = 'activation_record';
const TARGET_THRESHOLDS: ScoreAssumption = { kind: 'probability', outcome: 'purchase', horizon_days: 7, range: [0, 1] };

export const CONSUMERS = defineConsumers([
  {
    consumer: 'target-bulk-profile',
    contract: RECORD,
    versionRange: '^1.0.0',
    fieldsRead: [
      'entity_id', 'identity.visitor_id', 'score.value', 'score.semantics.kind', 'segments[].id',
      'recommendations.items[].item_id', 'eligibility.activation_eligible', 'compliance.consent.personalization',
      'compliance.channels.onsite', 'metadata.model_version', 'metadata.expires_at', 'measurement.holdout_arm',
    ],
    semanticsAssumed: { score: TARGET_THRESHOLDS, clear_sentinel: '__sf_cleared__' },
    notes: 'Target audiences threshold score.value as a 7-day purchase probability; removals write __sf_cleared__.',
  },
  {
    consumer: 'google-customer-match',
    contract: RECORD,
    versionRange: '^1.0.0',
    fieldsRead: [
      'identity.customer_id', 'segments[].id', 'eligibility.activation_eligible', 'compliance.consent.advertising',
      'compliance.channels.paid_media', 'metadata.expires_at', 'measurement.holdout_arm', 'score.value',
    ],
    notes: 'Customer Match user lists per segment, lookalike seeds (top score.value) and suppression lists; customer_id is SHA-256 hashed at mapping time.',
  },
  {
    consumer: 'meta-custom-audiences',
    contract: RECORD,
    versionRange: '^1.0.0',
    fieldsRead: [
      'identity.customer_id', 'segments[].id', 'eligibility.activation_eligible', 'compliance.consent.advertising',
      'compliance.channels.paid_media', 'metadata.expires_at', 'measurement.holdout_arm', 'score.value',
    ],
    notes: 'Custom audiences per segment, value-based lookalike seeds (score.value as LOOKALIKE_VALUE) and suppression lists; identifiers are normalised and SHA-256 hashed at mapping time.',
  },
  {
    consumer: 'webhook-offers',
    contract: RECORD,
    versionRange: '^1.0.0',
    fieldsRead: [
      'entity_id', 'recommendations.items[].item_id', 'recommendations.items[].kind', 'recommendations.items[].score',
      'recommendations.items[].rationale_codes', 'recommendations.valid_from', 'recommendations.valid_until',
      'eligibility.activation_eligible', 'compliance.consent.personalization', 'metadata.model_version', 'metadata.expires_at',
    ],
  },
  {
    consumer: 'nats-decisions',
    contract: RECORD,
    versionRange: '^1.0.0',
    fieldsRead: [
      'entity_id', 'score.value', 'score.semantics', 'segments[].id', 'eligibility.activation_eligible', 'eligibility.reasons',
      'rationale.codes', 'metadata.model_version', 'metadata.decision_policy', 'metadata.expires_at', 'compliance.channels.onsite',
    ],
    notes: 'Publishes the score with its semantics attached, so it assumes none.',
  },
  {
    consumer: 'file-export',
    contract: RECORD,
    versionRange: '^1.0.0',
    fieldsRead: [
      'entity_id', 'identity.customer_id', 'segments[].id', 'score.value', 'score.semantics.kind', 'score.semantics.horizon_days',
      'eligibility.activation_eligible', 'recommendations.items[].item_id', 'metadata.model_id', 'metadata.model_version',
      'metadata.decision_policy', 'metadata.scored_at', 'metadata.expires_at', 'metadata.contract_version',
      'measurement.holdout_arm', 'compliance.consent',
    ],
    notes: 'The CSV/JSONL columns of activities/destinations/file-export.ts, plus the routing filter.',
  },
]);
