/**
 * The decision API's wire contract, in zod: the one source of its TypeScript types, its request
 * validation and its OpenAPI document (activities/online/decision-api.ts derives the route schemas
 * with z.toJSONSchema; GET /openapi.json and /docs/json serve them).
 */
import { z } from 'zod';

/** An Adobe visitor key: two unsigned decimal numbers joined by "_". */
export const ENTITY_ID_PATTERN = /^\d{1,20}_\d{1,20}$/;
export const ENTITY_ID_HELP =
  'entityId must be the Adobe visitor key "<visid_high>_<visid_low>": two unsigned decimal numbers (1–20 digits) joined by "_", e.g. 2932849432_8237462';

export const FALLBACK_REASONS = ['missing', 'expired', 'unreadable', 'store_unavailable', 'no_destination_decision'] as const;

export const DecisionParams = z.object({ entityId: z.string().regex(ENTITY_ID_PATTERN).describe(ENTITY_ID_HELP) });

/** The query of GET /v1/decisions/:entityId for a server answering for `destinations`. */
export function decisionQuery(destinations: readonly [string, ...string[]], defaultDestination: string) {
  return z.object({ destination: z.enum(destinations).optional().describe(`Default ${defaultDestination}.`) });
}

export const DecisionFlags = z.object({ activate: z.boolean(), eligible: z.boolean(), consented: z.boolean(), control: z.boolean() });

export const DecisionAnswer = z
  .object({
    entity_id: z.string(),
    destination: z.string(),
    source: z.enum(['model', 'fallback']).describe('model: the published (or real-time re-scored) decision; fallback: the rules policy.'),
    segment: z.string(),
    flags: DecisionFlags,
    suppressed_by: z.string().nullable(),
    decision_token: z.string(),
    score: z.number().nullable(),
    model_version: z.string().nullable(),
    decision_policy: z.enum(['model', 'rules']),
    expires_at: z.string().nullable(),
    contract_version: z.string(),
    source_cycle: z.string().nullable(),
    origin: z.enum(['cycle', 'realtime']).nullable(),
    fallback_reason: z.enum(FALLBACK_REASONS).nullable(),
    fallback_policy: z.string().nullable(),
  })
  .describe("An entity's decision for one destination.");
export type DecisionAnswer = z.infer<typeof DecisionAnswer>;

export const ApiError = z
  .object({
    error: z.string(),
    message: z.string().optional(),
    path: z.string().optional(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .describe('An error: a code, the field path when a field is at fault, and a message.');

export const EventOutcome = z.enum(['duplicate', 'unmapped', 'stale', 'no_decision', 'decision_expired', 'decision_unreadable', 'no_features', 'unchanged', 'changed']);

export const IngestSummary = z
  .object({
    received: z.int(),
    applied: z.int(),
    duplicates: z.int(),
    unmapped: z.int(),
    stale: z.int(),
    changed: z.int(),
    delivered: z.int(),
    results: z.array(
      z.object({
        _id: z.string(),
        outcome: EventOutcome,
        destinations: z.record(z.string(), z.string()).optional().describe('Changed decisions: destination → delivered | rejected | suppressed:<reason>.'),
      }),
    ),
  })
  .describe('What an event batch did.');

/** A zod schema as the JSON Schema a Fastify route (and the OpenAPI 3.1 document) takes. */
export function routeSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12' });
  return rest;
}
