/**
 * A pipeline, declared in a YAML or JSON file under pipelines/ and validated here.
 * It names the inbox, feature set, model, gate thresholds, destinations, cadence and holdout.
 */
import { z } from 'zod';
import { ConsentPurpose, ScoreSemantics } from './canonical-record.ts';

export const Duration = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, 'a duration like "500ms", "30s", "15m", "6h" or "7d"');

export const SegmentRule = z.object({
  id: z.string().regex(/^[a-z][a-z0-9_]*$/),
  minScore: z.number().min(0).max(1),
});

export const DestinationFilter = z.object({
  consentPurpose: ConsentPurpose.optional(),
  requireEligible: z.boolean().default(true),
  segments: z.array(z.string()).optional(),
});

export const FileDestination = z.object({
  name: z.string().regex(/^[a-z][a-z0-9-]*$/),
  kind: z.literal('file'),
  mappingVersion: z.string().default('1'),
  outbox: z.string(),
  formats: z.array(z.enum(['csv', 'jsonl'])).min(1).default(['csv', 'jsonl']),
  filter: DestinationFilter.default({ requireEligible: true }),
  holdout: z.enum(['exclude_control', 'include_all']).default('exclude_control'),
});

/** Destinations other than file are declared by their adapters' routing config; kept open here. */
export const OtherDestination = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]*$/),
    kind: z.enum(['adobe-target-bulk', 'google-customer-match', 'meta-custom-audiences', 'webhook', 'nats', 'nats-jetstream']),
    /** The adapter's own settings (validated by the adapter's zod schema). Credentials are environment variable NAMES only. */
    config: z.record(z.string(), z.unknown()).default({}),
    mappingVersion: z.string().default('1'),
    filter: DestinationFilter.default({ requireEligible: true }),
    holdout: z.enum(['exclude_control', 'include_all']).default('exclude_control'),
  })
  .passthrough();

export const Destination = z.union([FileDestination, OtherDestination]);
export type Destination = z.infer<typeof Destination>;

export const ConsentSource = z.discriminatedUnion('source', [
  z.object({ source: z.literal('feed_column'), column: z.string(), separator: z.string().default('|') }),
  z.object({ source: z.literal('cmp_file'), file: z.string().describe('CSV entity_id,purpose,granted,recorded_at, relative to the delivery folder') }),
]);

export const PipelineConfig = z.object({
  name: z.string().regex(/^[a-z][a-z0-9-]*$/, 'pipeline names are lower-case letters, digits and dashes'),
  description: z.string().default(''),
  inbox: z.string().describe('Folder where complete deliveries (manifest present) arrive.'),
  cadence: Duration.default('15m'),
  feed: z
    .object({
      customerIdColumn: z.string().optional(),
      maxQuarantineShare: z.number().min(0).max(1).default(0.01),
      crmExtract: z.string().optional().describe('CSV file name of the CRM extract inside the inbox'),
    })
    .default({ maxQuarantineShare: 0.01 }),
  consent: ConsentSource,
  features: z.object({ lookbackDays: z.number().int().positive().default(30) }).default({ lookbackDays: 30 }),
  model: z.object({
    name: z.string(),
    /** Used when the registry holds no champion for this pipeline yet. */
    defaultArtifact: z.string().optional(),
    defaultVersion: z.string().optional(),
  }),
  fallbackPolicy: z.string().optional().describe('Path of the rules fallback policy artifact'),
  scoring: z.object({
    semantics: ScoreSemantics,
    segments: z.array(SegmentRule).min(1),
    eligibility: z.object({ minScore: z.number().min(0).max(1).default(0), requireConsent: ConsentPurpose.default('personalization') }),
    topN: z.number().int().min(1).max(10).default(3),
  }),
  freshness: z.object({ maxAgeHours: z.number().positive().default(24) }).default({ maxAgeHours: 24 }),
  holdout: z
    .object({ experimentKey: z.string().min(1), controlShare: z.number().min(0).max(0.5).default(0.1), controlTreatment: z.enum(['suppress', 'neutral']).default('suppress') })
    .optional(),
  gates: z.record(z.string(), z.unknown()).default({}),
  /**
   * Gate thresholds for cycles scored by the rules fallback policy, over `gates:` and the rules
   * defaults (RULES_GATE_DEFAULTS in contracts/gate-config.ts): a rules policy gives a handful of
   * distinct scores by design, which the model's collapse gates would call a collapsed model.
   */
  rulesGates: z.record(z.string(), z.unknown()).default({}),
  destinations: z.array(Destination).min(1),
  measurement: z.object({ attributionWindow: Duration.default('7d') }).optional(),
  /**
   * Scale-out: scoring, publish and each destination's export run as `shards` parallel activities,
   * each over one entity-hash range (activities/store/shard.ts), so more worker processes finish a
   * cycle sooner. Activities stream a run in pages of `pageSize` entities: memory follows the page
   * size, never the run size.
   */
  scale: z
    .object({
      shards: z.number().int().min(1).max(64).default(1),
      pageSize: z.number().int().min(10).max(100_000).default(2_000),
    })
    .default({ shards: 1, pageSize: 2_000 }),
  /** The real-time path: each published cycle is written to the online decision store (Redis). */
  online: z
    .object({ enabled: z.boolean().default(true), namespace: z.string().regex(/^[a-z][a-z0-9:_-]*$/).optional() })
    .default({ enabled: true }),
});
export type PipelineConfig = z.infer<typeof PipelineConfig>;

export function durationMs(d: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(d);
  if (!m) throw new Error(`"${d}" is not a duration like 15m`);
  const n = Number(m[1]);
  const unit = m[2] as 'ms' | 's' | 'm' | 'h' | 'd';
  return n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit];
}
