/**
 * The online decision blob: one per entity in the Redis online store, pre-assembled from the
 * entity's canonical activation record of the latest published cycle (and rewritten in place when a
 * real-time event changes the decision). It holds every real-time destination's compact decision, so
 * a reader sees one cycle's decisions for all destinations at once, never a mix. Pure: no I/O.
 */
import { z } from 'zod';
import { defineContract } from './contract.ts';
import { ACTIVATION_OWNER } from './record/owner.ts';
import { ConsentPurpose, EntityId } from './canonical-record.ts';
import { FEATURE_NAMES, type FeatureName } from './feature-set.ts';

export const ONLINE_DECISION_CONTRACT_NAME = 'online_decision';
export const ONLINE_DECISION_CONTRACT_VERSION = '1.0.0';
const RELEASE_DATE = '2026-11-28';

/** Why a destination must not act on the decision (the canonical route filter's exclusions). */
export const OnlineExclusion = z.enum(['no_consent', 'ineligible', 'segment_not_routed', 'holdout_control']);
export type OnlineExclusion = z.infer<typeof OnlineExclusion>;

export const DestinationName = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'a destination name: lower-case letters, digits and dashes');

export const OnlineDestinationDecision = z.object({
  segment: z.string().min(1),
  flags: z.object({
    /** The destination may act on this decision: eligible, consented, routed, not in the control arm. */
    activate: z.boolean(),
    eligible: z.boolean(),
    consented: z.boolean(),
    control: z.boolean(),
  }),
  /** Why activate is false; null when it is true. */
  suppressed_by: OnlineExclusion.nullable(),
  /** Opaque, deterministic id of this decision (cycle or event, destination, segment, flags), for attribution. */
  decision_token: z.string().regex(/^dt_[A-Za-z0-9_-]{22}$/),
});
export type OnlineDestinationDecision = z.infer<typeof OnlineDestinationDecision>;

const FeatureValues = z.object(
  Object.fromEntries(FEATURE_NAMES.map((n) => [n, z.number().finite().nullable()])) as Record<FeatureName, z.ZodNullable<z.ZodNumber>>,
);

export const OnlineDecisionBlob = z
  .object({
    contract_version: z.literal(ONLINE_DECISION_CONTRACT_VERSION),
    entity_id: EntityId,
    pipeline: z.string().min(1),
    /** The run (cycle) whose canonical record this blob was derived from. */
    source_cycle: z.string().min(1),
    /** When that cycle was published (Unix ms): a blob never replaces one from a later cycle. */
    cycle_at: z.int().nonnegative(),
    /** cycle: as published; realtime: rewritten by the event named in event_id. */
    origin: z.enum(['cycle', 'realtime']),
    event_id: z.string().min(1).nullable(),
    model_id: z.string().min(1),
    model_version: z.string().min(1),
    decision_policy: z.enum(['model', 'rules']),
    score: z.number().finite(),
    scored_at: z.iso.datetime(),
    expires_at: z.iso.datetime(),
    record_contract_version: z.string().regex(/^\d+\.\d+\.\d+$/),
    consent: z.record(ConsentPurpose, z.boolean()),
    holdout_arm: z.enum(['treatment', 'control']),
    /** The customer id (Target mbox3rdPartyId) when known; only the Target single profile update uses it. */
    third_party_id: z.string().min(1).nullable(),
    /** The feature vector the cycle scored; real-time events add their counts on top. Null when unknown. */
    features: FeatureValues.nullable(),
    decisions: z.record(DestinationName, OnlineDestinationDecision),
  })
  .superRefine((b, ctx) => {
    if (Date.parse(b.expires_at) <= Date.parse(b.scored_at)) {
      ctx.addIssue({ code: 'custom', path: ['expires_at'], message: 'expires_at must be after scored_at' });
    }
    if ((b.origin === 'realtime') !== (b.event_id !== null)) {
      ctx.addIssue({ code: 'custom', path: ['event_id'], message: 'event_id is set exactly when origin is realtime' });
    }
    if (Object.keys(b.decisions).length === 0) ctx.addIssue({ code: 'custom', path: ['decisions'], message: 'at least one destination decision' });
  });
export type OnlineDecisionBlob = z.infer<typeof OnlineDecisionBlob>;

export const onlineDecisionContract = defineContract({
  name: ONLINE_DECISION_CONTRACT_NAME,
  version: ONLINE_DECISION_CONTRACT_VERSION,
  owner: ACTIVATION_OWNER,
  description:
    'The pre-assembled online decision of one entity in the Redis online store: per real-time destination the segment, ' +
    'flags (activate, eligible, consented, control), the exclusion that suppresses it and an opaque decision token; plus ' +
    'the source cycle, model version, expires_at and contract versions. Derived from the canonical activation record; ' +
    'the key expires at expires_at, and readers must also treat a blob past expires_at as absent.',
  freshness: { cadence: 'PT15M', maxAgeHours: 24 },
  changelog: [{ version: '1.0.0', date: RELEASE_DATE, changes: ['First release.'] }],
  semantics: {
    fields: {
      'decisions.*.flags.activate': 'True only when the destination may act: eligible, consented for its purpose, routed and not in the control arm.',
      features: 'The cycle feature vector (visitor_behaviour 1.0.0); real-time counters are kept beside it, not in it.',
    },
  },
  schema: OnlineDecisionBlob,
});
