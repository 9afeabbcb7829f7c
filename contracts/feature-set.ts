/**
 * The visitor feature set. Its version is part of every feature snapshot and every model's metadata;
 * a model trained on one feature set version never scores another.
 */
import { z } from 'zod';

export const FEATURE_SET_NAME = 'visitor_behaviour';
export const FEATURE_SET_VERSION = '1.0.0';

/** Numeric model inputs, in this order. */
export const FEATURE_NAMES = [
  'recency_days', // days from the visitor's last hit to the snapshot's as-of time
  'frequency', // distinct visits in the lookback window
  'monetary', // revenue in the lookback window
  'orders', // purchase hits (not duplicate_purchase)
  'session_depth', // mean hits per visit
  'page_views', // Adobe page-view recipe
  'product_views', // event 2
  'cart_adds', // event 12
  'cart_removes', // event 13
  'checkouts', // event 11
  'cart_abandons', // visits with a cart add and no purchase
] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];

export const FeatureVector = z.object(
  Object.fromEntries(FEATURE_NAMES.map((n) => [n, z.number().finite().nullable()])) as Record<FeatureName, z.ZodNullable<z.ZodNumber>>,
);
export type FeatureVector = Record<FeatureName, number | null>;

/** A visitor's features as stored in feature_value. */
export interface VisitorFeatures extends FeatureVector {
  visitor_id: string;
  customer_id: string | null;
  consent: string | null;
  /** Category -> share of the visitor's product interactions (views, cart adds, purchases), summing to 1. */
  category_affinity: Record<string, number>;
}
