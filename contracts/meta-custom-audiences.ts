/**
 * The Meta Custom Audiences contract (docs/destinations/meta-custom-audiences.md):
 * POST /{audience_id}/users adds, DELETE removes; the body is {payload:{schema,data},
 * session:{session_id,batch_seq,last_batch_flag,estimated_num_total}}; at most 10,000 records per
 * request; every value SHA-256 hex except EXTERN_ID and MADID. Pure: no I/O. Shared by the
 * adapter and the local contract server.
 */
import { z } from 'zod';

export const META_MAX_RECORDS_PER_REQUEST = 10_000;

export const MetaSchemaKey = z.enum(['EMAIL', 'PHONE', 'FN', 'LN', 'CT', 'ST', 'ZIP', 'COUNTRY', 'DOBY', 'GEN', 'EXTERN_ID', 'MADID', 'LOOKALIKE_VALUE']);
export type MetaSchemaKey = z.infer<typeof MetaSchemaKey>;

/** The keys Scoreflow sends, in this order. */
export const META_SCHEMA_ORDER: readonly MetaSchemaKey[] = ['EMAIL', 'PHONE', 'FN', 'LN', 'CT', 'ZIP', 'COUNTRY'];

export const META_UNHASHED_KEYS: ReadonlySet<MetaSchemaKey> = new Set(['EXTERN_ID', 'MADID']);

/** The value column of a value-based custom audience (a lookalike seed): a non-negative number, last in the schema. */
export const META_VALUE_KEY = 'LOOKALIKE_VALUE' as const satisfies MetaSchemaKey;

const SHA256_HEX = /^[0-9a-f]{64}$/;

export const MetaSession = z.strictObject({
  session_id: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  batch_seq: z.number().int().positive(),
  last_batch_flag: z.boolean(),
  estimated_num_total: z.number().int().nonnegative().optional(),
});
export type MetaSession = z.infer<typeof MetaSession>;

export const MetaUsersRequest = z
  .strictObject({
    payload: z.strictObject({
      schema: z.array(MetaSchemaKey).min(1),
      // The record-count limit is checked separately (HTTP 413).
      data: z.array(z.array(z.union([z.string(), z.number()]))).min(1),
    }),
    session: MetaSession,
  })
  .superRefine((body, ctx) => {
    const { schema, data } = body.payload;
    if (new Set(schema).size !== schema.length) ctx.addIssue({ code: 'custom', path: ['payload', 'schema'], message: 'schema keys must be distinct' });
    data.forEach((row, i) => {
      if (row.length !== schema.length) {
        ctx.addIssue({ code: 'custom', path: ['payload', 'data', i], message: `row has ${row.length} values, the schema has ${schema.length} keys` });
        return;
      }
      if (row.every((v, j) => v === '' || schema[j] === META_VALUE_KEY)) ctx.addIssue({ code: 'custom', path: ['payload', 'data', i], message: 'row has no identifier' });
      row.forEach((v, j) => {
        if (schema[j] === META_VALUE_KEY) {
          if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) ctx.addIssue({ code: 'custom', path: ['payload', 'data', i, j], message: `${META_VALUE_KEY} must be a non-negative number` });
          return;
        }
        if (typeof v !== 'string') {
          ctx.addIssue({ code: 'custom', path: ['payload', 'data', i, j], message: `${schema[j]} must be a string` });
          return;
        }
        if (v !== '' && !META_UNHASHED_KEYS.has(schema[j]!) && !SHA256_HEX.test(v)) {
          ctx.addIssue({ code: 'custom', path: ['payload', 'data', i, j], message: `${schema[j]} must be SHA-256 hex of the normalized value` });
        }
      });
    });
  });
export type MetaUsersRequest = z.infer<typeof MetaUsersRequest>;

export const MetaUsersResponse = z.object({
  audience_id: z.string(),
  session_id: z.union([z.string(), z.number()]),
  num_received: z.number().int(),
  num_invalid_entries: z.number().int(),
  invalid_entry_samples: z.record(z.string(), z.unknown()).optional(),
});
export type MetaUsersResponse = z.infer<typeof MetaUsersResponse>;

/** The Graph API error envelope. */
export const MetaErrorBody = z.object({
  error: z.object({
    message: z.string(),
    type: z.string(),
    code: z.number().int(),
    error_subcode: z.number().int().optional(),
    is_transient: z.boolean().optional(),
    fbtrace_id: z.string().optional(),
  }),
});
export type MetaErrorBody = z.infer<typeof MetaErrorBody>;

/** Graph API error codes that mean "slow down" (API rate limits, and the Custom Audience limit 80003). */
export const META_THROTTLE_CODES: ReadonlySet<number> = new Set([4, 17, 32, 613, 80003]);
