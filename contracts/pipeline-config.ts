/**
 * A pipeline, declared in a YAML or JSON file under pipelines/ and validated here.
 * It names the inbox, feature set, model, gate thresholds, destinations, cadence and holdout.
 */
import { z } from 'zod';
import { ConsentPurpose, ScoreSemantics } from './canonical-record.ts';

export const Duration = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, 'a duration like "500ms", "30s", "15m", "6h" or "7d"');

export const SegmentRule = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9_]*$/),
    minScore: z.number().min(0).max(1),
  })
  .strict();

export const DestinationFilter = z
  .object({
    consentPurpose: ConsentPurpose.optional(),
    requireEligible: z.boolean().default(true),
    segments: z.array(z.string()).optional(),
  })
  .strict();

/**
 * Who answers for a destination: the decision it serves, the team that owns that decision, and how
 * long a decision may take end to end. Shown in the run report and `scoreflow status`, exported in
 * the ODCS data contract (`scoreflow contracts export --format odcs --pipeline FILE`).
 */
export const DecisionOwnership = z
  .object({
    point: z
      .string()
      .regex(/^[a-z][a-z0-9._-]*$/, 'a decision point id: lower-case letters, digits, ".", "_" and "-", e.g. "onsite.hero-banner"')
      .describe('The decision this destination feeds, e.g. "onsite.hero-banner" or "paid.retargeting".'),
    owner: z.string().trim().min(1, 'name the team or person accountable for this decision, e.g. "growth-team"').describe('Team or person accountable for the decision (who operators call).'),
    latencyBudget: Duration.describe('How long the decision may take end to end at this destination, e.g. "200ms" online or "6h" for a batch audience.'),
  })
  .strict();
export type DecisionOwnership = z.infer<typeof DecisionOwnership>;

/** One row per destination: its decision point, owner and latency budget (null where the pipeline does not say). */
export interface DestinationOwnership {
  destination: string;
  kind: string;
  point: string | null;
  owner: string | null;
  latencyBudget: string | null;
}

/** The ownership rows of a pipeline config (a parsed one, or a run's stored snapshot). */
export function destinationOwnership(config: { destinations?: readonly { name: string; kind: string; decision?: Partial<DecisionOwnership> }[] } | null | undefined): DestinationOwnership[] {
  return (config?.destinations ?? []).map((d) => ({
    destination: d.name,
    kind: d.kind,
    point: d.decision?.point ?? null,
    owner: d.decision?.owner ?? null,
    latencyBudget: d.decision?.latencyBudget ?? null,
  }));
}

export const FileDestination = z.object({
  name: z.string().regex(/^[a-z][a-z0-9-]*$/),
  kind: z.literal('file'),
  mappingVersion: z.string().default('1'),
  outbox: z.string(),
  formats: z.array(z.enum(['csv', 'jsonl'])).min(1).default(['csv', 'jsonl']),
  filter: DestinationFilter.default({ requireEligible: true }),
  holdout: z.enum(['exclude_control', 'include_all']).default('exclude_control'),
  decision: DecisionOwnership.optional().describe('Decision point, owner and latency budget of this destination.'),
}).strict();

/** Ad-platform destination kinds, which can carry an `audience` (lookalike seed or suppression list). */
export const AUDIENCE_DESTINATION_KINDS = ['google-customer-match', 'meta-custom-audiences'] as const;

/** Who a suppression audience holds. `no-consent` is named only to be refused with the reason. */
export const SUPPRESSION_GROUPS = ['purchasers', 'holdout', 'no-consent'] as const;

/**
 * What an ad-platform audience holds instead of the routed members (docs/pipeline-config.md#audiences):
 * - `lookalike-seed`: the top-value members (top `topN`, or the top `topFraction` of the members that
 *   qualify), ranked by `valueColumn`; Meta gets the value as LOOKALIKE_VALUE (the audience must be
 *   value-based), Google Customer Match has no value field and gets the members only;
 * - `suppression`: members to keep OUT of campaigns: recent purchasers (a purchase hit within
 *   `purchasedWithin` before scoring) and/or holdout control members. Only members with advertising
 *   consent are ever sent, so `no-consent` is refused.
 */
export const DestinationAudience = z.discriminatedUnion('purpose', [
  z
    .object({
      purpose: z.literal('lookalike-seed'),
      valueColumn: z.enum(['score']).default('score').describe('Record field that ranks members and is sent as the value (Meta LOOKALIKE_VALUE): the score.'),
      topN: z.int().min(1).max(10_000_000).optional().describe('Seed size: this many top-value members.'),
      topFraction: z.number().gt(0).max(1).optional().describe('Seed size: this share of the qualifying members (rounded up).'),
    })
    .strict(),
  z
    .object({
      purpose: z.literal('suppression'),
      include: z.array(z.enum(SUPPRESSION_GROUPS)).min(1).describe('purchasers and/or holdout (control members).'),
      purchasedWithin: Duration.default('30d').describe('A purchaser is a member with a purchase hit within this time before scoring.'),
    })
    .strict(),
]);
export type DestinationAudience = z.infer<typeof DestinationAudience>;

/** Problems of one destination's `audience` block, as [key path under the destination, message]; pure. */
export function audienceProblems(dest: { kind: string; audience?: DestinationAudience | undefined }): [string, string][] {
  const a = dest.audience;
  if (!a) return [];
  if (!(AUDIENCE_DESTINATION_KINDS as readonly string[]).includes(dest.kind)) {
    return [['audience', `kind ${dest.kind} takes no audience; lookalike-seed and suppression audiences are for ${AUDIENCE_DESTINATION_KINDS.join(' and ')}`]];
  }
  if (a.purpose === 'lookalike-seed' && (a.topN === undefined) === (a.topFraction === undefined)) {
    return [['audience', 'a lookalike-seed audience needs exactly one of topN (a member count) or topFraction (a share in (0, 1])']];
  }
  if (a.purpose === 'suppression' && a.include.includes('no-consent')) {
    return [[
      'audience.include',
      `no-consent is refused: members without advertising consent are never sent to an ad platform, not even as hashed identifiers in a suppression list (docs/destinations/${dest.kind}.md#suppression-audiences); remove it`,
    ]];
  }
  return [];
}

/** The destination kinds a pipeline can name besides `file`. */
export const STATEFUL_DESTINATION_KINDS = ['adobe-target-bulk', 'google-customer-match', 'meta-custom-audiences', 'webhook', 'nats', 'nats-jetstream'] as const;
export const DESTINATION_KINDS = ['file', ...STATEFUL_DESTINATION_KINDS] as const;

/**
 * Destinations other than file: `config` is the adapter's own settings, validated by that adapter's
 * zod schema (activities/destinations/*; `scoreflow pipeline validate` checks it before a run).
 */
export const OtherDestination = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]*$/),
    kind: z.enum(STATEFUL_DESTINATION_KINDS),
    /** The adapter's own settings (validated by the adapter's zod schema). Credentials are environment variable NAMES only. */
    config: z.record(z.string(), z.unknown()).default({}),
    mappingVersion: z.string().default('1'),
    filter: DestinationFilter.default({ requireEligible: true }),
    holdout: z.enum(['exclude_control', 'include_all']).default('exclude_control'),
    decision: DecisionOwnership.optional().describe('Decision point, owner and latency budget of this destination.'),
    /** google-customer-match and meta-custom-audiences only: a lookalike seed or a suppression list instead of the routed members. */
    audience: DestinationAudience.optional(),
    /**
     * Round-trip verification after each export (`scoreflow verify` runs the same check by hand):
     * read back a sample of what landed and compare it with what was delivered.
     */
    verify: z
      .object({
        sample: z.int().min(1).max(10_000).default(100).describe('Members read back per run (Target profile fetches); Meta and Google (with adsApi) compare the audience size'),
        maxMismatchRate: z.number().min(0).max(1).default(0.01).describe('A mismatch rate above this alerts the operators'),
      })
      .strict()
      .optional(),
  })
  .strict();

export const Destination = z.discriminatedUnion('kind', [FileDestination, OtherDestination]);
export type Destination = z.infer<typeof Destination>;

export const ConsentSource = z.discriminatedUnion('source', [
  z.object({ source: z.literal('feed_column'), column: z.string(), separator: z.string().default('|') }).strict(),
  z.object({ source: z.literal('cmp_file'), file: z.string().describe('CSV entity_id,purpose,granted,recorded_at, relative to the delivery folder') }).strict(),
]);

/**
 * How runs of this pipeline are operated when nobody passes flags: what `scoreflow run` and every
 * scheduled run put in the workflow input. Defaults: no pause timeout (a paused run waits for an
 * operator indefinitely) and no rollback window (a run ends when it has exported).
 */
export const Operations = z
  .object({
    pauseTimeout: Duration.optional().describe('How long a run paused for an operator waits before it ends ABORTED by `system`. Absent or "0s": indefinitely.'),
    rollbackWindow: Duration.optional().describe('How long a completed run stays open for a rollback after exporting. Absent or "0s": no window.'),
    exportRetryFor: Duration.optional().describe(
      'How long one destination\'s export keeps retrying a destination outage (Temporal retry policy, backoff 1 s doubling to 1 min) before the run pauses for an operator. Absent: "15m".',
    ),
  })
  .strict();
export type Operations = z.infer<typeof Operations>;

export const PipelineConfig = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]*$/, 'pipeline names are lower-case letters, digits and dashes').describe('Pipeline name: lower-case letters, digits and dashes. Names runs, schedules and delivery tracking.'),
    description: z.string().default('').describe('Free text for people.'),
    inbox: z.string().describe('Folder where complete deliveries (manifest present) arrive. Relative to the pipeline file.'),
    cadence: Duration.default('15m').describe('Interval of the schedule `scoreflow schedule apply` creates (unless --every).'),
    feed: z
      .object({
        customerIdColumn: z.string().optional().describe('Feed column (e.g. post_evar3) that carries the customer id.'),
        maxQuarantineShare: z.number().min(0).max(1).default(0.01).describe('Share of quarantined rows above which a delivery is refused.'),
        encoding: z
          .enum(['auto', 'utf-8', 'iso-8859-1'])
          .optional()
          .describe("Character encoding of the hit data (the report suite's). Absent or \"auto\": detected from the first data file. Read as UTF-8, invalid bytes are stored as U+FFFD and counted per delivery."),
        crmExtract: z.string().optional().describe('CSV file name of the CRM extract inside the inbox'),
        crmNamespace: z
          .string()
          .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'a CRM namespace is 1–63 lower-case letters, digits, dots, dashes or underscores')
          .optional()
          .describe("The customer master the CRM extract is loaded into and identities are resolved from. Absent: the database's one shared master. Give pipelines whose extracts use the same customer ids for different people different namespaces."),
      })
      .strict()
      .default({ maxQuarantineShare: 0.01 }),
    consent: ConsentSource,
    features: z
      .object({ lookbackDays: z.number().int().positive().default(30).describe('Days of hits the features look back over.') })
      .strict()
      .default({ lookbackDays: 30 }),
    model: z
      .object({
        name: z.string().describe('Model name in the registry (`scoreflow models list`).'),
        /** Used when the registry holds no champion for this pipeline yet. */
        defaultArtifact: z.string().optional().describe('Artifact registered and used when the registry holds no champion yet. Relative to the pipeline file.'),
        defaultVersion: z.string().optional().describe('Version the default artifact is registered under.'),
      })
      .strict(),
    fallbackPolicy: z.string().optional().describe('Path of the rules fallback policy artifact'),
    scoring: z
      .object({
        semantics: ScoreSemantics,
        segments: z.array(SegmentRule).min(1),
        eligibility: z
          .object({ minScore: z.number().min(0).max(1).default(0), requireConsent: ConsentPurpose.default('personalization') })
          .strict(),
        topN: z.number().int().min(1).max(10).default(3),
      })
      .strict(),
    freshness: z
      .object({
        maxAgeHours: z.number().positive().default(24).describe('Hours a record stays valid: sets expires_at.'),
        refreshLead: Duration.default('6h').describe(
          'An unchanged member is re-sent when the expiry its destination holds lapses within this time. Keep it above the cadence.',
        ),
      })
      .strict()
      .default({ maxAgeHours: 24, refreshLead: '6h' }),
    holdout: z
      .object({ experimentKey: z.string().min(1), controlShare: z.number().min(0).max(0.5).default(0.1), controlTreatment: z.enum(['suppress', 'neutral']).default('suppress') })
      .strict()
      .optional(),
    gates: z.record(z.string(), z.unknown()).default({}).describe('Gate thresholds (contracts/gate-config.ts GateConfig); omitted gates take the defaults.'),
    /**
     * Gate thresholds for cycles scored by the rules fallback policy, over `gates:` and the rules
     * defaults (RULES_GATE_DEFAULTS in contracts/gate-config.ts): a rules policy gives a handful of
     * distinct scores by design, which the model's collapse gates would call a collapsed model.
     */
    rulesGates: z.record(z.string(), z.unknown()).default({}).describe('Gate thresholds for cycles scored by the rules fallback, over `gates:` and the rules defaults.'),
    destinations: z.array(Destination).min(1),
    measurement: z
      .object({ attributionWindow: Duration.default('7d').describe('Every run starts outcome measurement, which waits this long and then computes lift.') })
      .strict()
      .optional(),
    /**
     * Scale-out: scoring, publish and each destination's export run as `shards` parallel activities,
     * each over one entity-hash range (activities/store/shard.ts), so more worker processes finish a
     * cycle sooner. Activities stream a run in pages of `pageSize` entities: memory follows the page
     * size, never the run size.
     */
    scale: z
      .object({
        shards: z.number().int().min(1).max(64).default(1).describe('Parallel activities per stage (entity-hash ranges).'),
        pageSize: z.number().int().min(10).max(100_000).default(2_000).describe('Entities per streamed page: memory follows it, never the run size.'),
      })
      .strict()
      .default({ shards: 1, pageSize: 2_000 }),
    /** The real-time path: each published cycle is written to the online decision store (Redis). */
    online: z
      .object({ enabled: z.boolean().default(true), namespace: z.string().regex(/^[a-z][a-z0-9:_-]*$/).optional() })
      .strict()
      .default({ enabled: true }),
    operations: Operations.default({}).describe('Run settings every `scoreflow run` and scheduled run carries in its workflow input.'),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    cfg.destinations.forEach((d, i) => {
      if (d.kind === 'file') return;
      for (const [key, message] of audienceProblems(d)) ctx.addIssue({ code: 'custom', path: ['destinations', i, ...key.split('.')], message });
    });
  });
export type PipelineConfig = z.infer<typeof PipelineConfig>;

export function durationMs(d: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(d);
  if (!m) throw new Error(`"${d}" is not a duration like 15m`);
  const n = Number(m[1]);
  const unit = m[2] as 'ms' | 's' | 'm' | 'h' | 'd';
  return n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit];
}
