/**
 * The Adobe data feed ingest boundary: what an ingest is asked to do and the small result it
 * returns (a claim check: rows stay in Postgres, only counts travel through Temporal).
 */
import { z } from 'zod';

const columnName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a hit_data column name such as post_evar3');

export const IngestOptions = z.object({
  /** Column holding the customer id (e.g. 'post_evar3'), stored in feed_hit.customer_id. */
  customerIdColumn: columnName.optional(),
  /** Column holding the consent string (e.g. 'post_evar5'), stored in feed_hit.consent. */
  consentColumn: columnName.optional(),
  /** Share of a delivery's records that may be quarantined before it is rejected whole. Default 0.01. */
  maxQuarantineShare: z.number().min(0).max(1).optional(),
  /**
   * Encoding of the hit data: 'utf-8', 'iso-8859-1', or 'auto' (default: detected from the first
   * data file). Read as UTF-8, invalid bytes become U+FFFD and are counted (replacedBytes).
   */
  encoding: z.enum(['auto', 'utf-8', 'iso-8859-1']).optional(),
});
export type IngestOptions = z.infer<typeof IngestOptions>;

export const IngestDeliveryInput = IngestOptions.extend({
  /** The delivery folder. */
  dir: z.string().min(1),
  /** The manifest's file name inside `dir`: `<rsid>_<YYYY-MM-DD>.txt` or `<rsid>_<YYYYmmdd>-<HHMMSS>.txt`. */
  manifestFile: z.string().min(1).refine((f) => !f.includes('/') && !f.includes('\\'), 'a file name inside dir, not a path'),
});
export type IngestDeliveryInput = z.infer<typeof IngestDeliveryInput>;

export const IngestResult = z.object({
  deliveryId: z.string(),
  records: z.number().int().nonnegative(),
  loaded: z.number().int().nonnegative(),
  excluded: z.number().int().nonnegative(),
  quarantined: z.number().int().nonnegative(),
  /** Excluded records by reason: exclude_hit, hit_source, customer_perspective. */
  exclusions: z.record(z.string(), z.number().int().nonnegative()),
  visitors: z.number().int().nonnegative(),
  visits: z.number().int().nonnegative(),
  pageViews: z.number().int().nonnegative(),
  orders: z.number().int().nonnegative(),
  units: z.number().int(),
  revenue: z.number(),
  /** The encoding the hit data was read in (the setting, or what 'auto' detected). */
  encoding: z.enum(['utf-8', 'iso-8859-1']).optional(),
  /** Invalid UTF-8 bytes stored as U+FFFD, and the loaded records holding them (0 when read as ISO-8859-1). */
  replacedBytes: z.number().int().nonnegative().optional(),
  replacedRecords: z.number().int().nonnegative().optional(),
  /** Where the first replaced byte was: `<file> record <n> column <name>`. */
  firstReplacement: z.string().optional(),
});
export type IngestResult = z.infer<typeof IngestResult>;

export const DEFAULT_MAX_QUARANTINE_SHARE = 0.01;
