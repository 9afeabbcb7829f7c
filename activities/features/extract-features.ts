/**
 * Feature extraction: one SQL statement turns the hits of the lookback window, in the report suites
 * the snapshot's deliveries come from, into one row of features per visitor, stored under a feature
 * snapshot id. The snapshot id is derived from its inputs, so extracting twice reuses the snapshot
 * instead of writing it again.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { FEATURE_SET_NAME, FEATURE_SET_VERSION } from '../../contracts/feature-set.ts';
import { getPool, withTransaction } from '../store/db.ts';

export interface ExtractFeaturesInput {
  deliveryIds: string[];
  lookbackDays: number;
  /** ISO time; default = latest hit time among the deliveries (data time, so re-runs are reproducible). */
  asOf?: string;
}

export interface FeatureSnapshotRef {
  snapshotId: string;
  featureSetVersion: string;
  asOf: string;
  entities: number;
  reused: boolean;
}

export function snapshotIdFor(deliveryIds: string[], asOf: string, lookbackDays: number): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([FEATURE_SET_NAME, FEATURE_SET_VERSION, [...deliveryIds].sort(), asOf, lookbackDays]))
    .digest('hex');
  return `fs_${FEATURE_SET_VERSION.replaceAll('.', '_')}_${digest.slice(0, 16)}`;
}

// Only hits of the report suites of the snapshot's deliveries ($4): other pipelines' feeds in the
// same database never leak visitors or hits into this snapshot.
const FEATURE_SQL = `
WITH hits AS (
  SELECT h.* FROM feed_hit h
  WHERE h.hit_time_gmt > $2::bigint - $3::bigint * 86400 AND h.hit_time_gmt <= $2::bigint
    AND h.delivery_id IN (SELECT delivery_id FROM feed_delivery WHERE rsid IN (SELECT rsid FROM feed_delivery WHERE delivery_id = ANY($4::text[])))
),
visits AS (
  SELECT visitor_id, visit_num, visit_start_time_gmt,
         bool_or(12 = ANY(event_ids)) AS had_cart_add,
         bool_or(is_purchase) AS had_purchase
  FROM hits GROUP BY visitor_id, visit_num, visit_start_time_gmt
),
per_visitor AS (
  SELECT visitor_id,
         max(hit_time_gmt) AS last_hit,
         count(*) AS hits,
         count(DISTINCT (visit_num, visit_start_time_gmt)) AS frequency,
         coalesce(sum(revenue), 0) AS monetary,
         count(*) FILTER (WHERE is_purchase) AS orders,
         count(*) FILTER (WHERE is_page_view) AS page_views,
         count(*) FILTER (WHERE 2 = ANY(event_ids)) AS product_views,
         count(*) FILTER (WHERE 12 = ANY(event_ids)) AS cart_adds,
         count(*) FILTER (WHERE 13 = ANY(event_ids)) AS cart_removes,
         count(*) FILTER (WHERE 11 = ANY(event_ids)) AS checkouts,
         (array_agg(customer_id ORDER BY hit_time_gmt DESC, record_no DESC) FILTER (WHERE customer_id IS NOT NULL AND customer_id <> ''))[1] AS customer_id,
         (array_agg(consent ORDER BY hit_time_gmt DESC, record_no DESC) FILTER (WHERE consent IS NOT NULL))[1] AS consent
  FROM hits GROUP BY visitor_id
),
abandons AS (
  SELECT visitor_id, count(*) FILTER (WHERE had_cart_add AND NOT had_purchase) AS cart_abandons
  FROM visits GROUP BY visitor_id
),
categories AS (
  SELECT p.visitor_id, p.category, count(*)::double precision AS n
  FROM feed_product p
  JOIN hits h ON h.delivery_id = p.delivery_id AND h.file_name = p.file_name AND h.record_no = p.record_no
  WHERE p.category <> ''
  GROUP BY p.visitor_id, p.category
),
category_shares AS (
  SELECT visitor_id, category, n / sum(n) OVER (PARTITION BY visitor_id) AS share FROM categories
),
affinity AS (
  SELECT visitor_id, jsonb_object_agg(category, round(share::numeric, 6)) AS category_affinity
  FROM category_shares GROUP BY visitor_id
)
INSERT INTO feature_value (snapshot_id, visitor_id, customer_id, consent, recency_days, frequency, monetary, orders,
  session_depth, page_views, product_views, cart_adds, cart_removes, checkouts, cart_abandons, category_affinity)
SELECT $1, v.visitor_id, v.customer_id, v.consent,
       ($2::bigint - v.last_hit) / 86400.0,
       v.frequency, v.monetary, v.orders,
       v.hits::double precision / greatest(v.frequency, 1),
       v.page_views, v.product_views, v.cart_adds, v.cart_removes, v.checkouts,
       coalesce(a.cart_abandons, 0),
       coalesce(af.category_affinity, '{}'::jsonb)
FROM per_visitor v LEFT JOIN abandons a USING (visitor_id) LEFT JOIN affinity af USING (visitor_id)
`;

/** `pool` defaults to DATABASE_URL's; `scoreflow models evaluate` passes a scratch database's. */
export async function extractFeatures(input: ExtractFeaturesInput, pool: pg.Pool = getPool()): Promise<FeatureSnapshotRef> {
  if (input.deliveryIds.length === 0) throw new Error('extractFeatures needs at least one delivery id');
  const { rows } = await pool.query<{ max_hit: Date | null }>(
    'SELECT max(max_hit_time) AS max_hit FROM feed_delivery WHERE delivery_id = ANY($1)',
    [input.deliveryIds],
  );
  const asOfDate = input.asOf ? new Date(input.asOf) : rows[0]?.max_hit;
  if (!asOfDate) throw new Error(`deliveries ${input.deliveryIds.join(', ')} are not loaded or hold no hits; ingest them first`);
  const asOf = asOfDate.toISOString();
  const snapshotId = snapshotIdFor(input.deliveryIds, asOf, input.lookbackDays);

  const existing = await pool.query<{ entities: number }>('SELECT entities FROM feature_snapshot WHERE snapshot_id = $1', [snapshotId]);
  if (existing.rows[0]) {
    return { snapshotId, featureSetVersion: FEATURE_SET_VERSION, asOf, entities: existing.rows[0].entities, reused: true };
  }
  const asOfSeconds = Math.floor(asOfDate.getTime() / 1000);
  return withTransaction(async (client) => {
    // Serialize concurrent extractions of the same snapshot (a retried activity racing its predecessor).
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [snapshotId]);
    const again = await client.query<{ entities: number }>('SELECT entities FROM feature_snapshot WHERE snapshot_id = $1', [snapshotId]);
    if (again.rows[0]) {
      return { snapshotId, featureSetVersion: FEATURE_SET_VERSION, asOf, entities: again.rows[0].entities, reused: true };
    }
    await client.query(
      `INSERT INTO feature_snapshot (snapshot_id, feature_set, feature_set_version, delivery_ids, as_of, lookback_days, entities)
       VALUES ($1, $2, $3, $4, $5, $6, 0)`,
      [snapshotId, FEATURE_SET_NAME, FEATURE_SET_VERSION, input.deliveryIds, asOf, input.lookbackDays],
    );
    const inserted = await client.query(FEATURE_SQL, [snapshotId, asOfSeconds, input.lookbackDays, input.deliveryIds]);
    const entities = inserted.rowCount ?? 0;
    await client.query('UPDATE feature_snapshot SET entities = $2 WHERE snapshot_id = $1', [snapshotId, entities]);
    return { snapshotId, featureSetVersion: FEATURE_SET_VERSION, asOf, entities, reused: false };
  }, pool);
}
