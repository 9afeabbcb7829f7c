/**
 * Seeds for the gate and run-report tests: a feature snapshot with its feature values, an
 * activation_run row, and staged scores, all under ids unique to the calling test.
 */
import { randomUUID } from 'node:crypto';
import { getPool } from '../../activities/store/db.ts';
import { createRandom } from '../../tools/feed-generator/seeded-random.ts';

export interface FeatureRowSeed {
  visitor_id: string;
  recency_days: number | null;
  frequency: number;
  monetary: number;
  orders: number;
  session_depth: number | null;
  page_views: number;
  product_views: number;
  cart_adds: number;
  cart_removes: number;
  checkouts: number;
  cart_abandons: number;
}

export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** n visitors with plausible features; `shift` moves monetary up, `nullShare` blanks recency. */
export function makeFeatures(n: number, seed: number, opts: { shift?: number; nullShare?: number } = {}): FeatureRowSeed[] {
  const rnd = createRandom(seed);
  return Array.from({ length: n }, (_, i) => {
    const frequency = 1 + Math.floor(rnd.next() * 6);
    return {
      visitor_id: `v${String(i).padStart(5, '0')}`,
      recency_days: rnd.next() < (opts.nullShare ?? 0) ? null : Math.round(rnd.next() * 300) / 10,
      frequency,
      monetary: Math.round((rnd.gamma(2) * 40 + (opts.shift ?? 0)) * 100) / 100,
      orders: rnd.bernoulli(0.2) ? 1 : 0,
      session_depth: Math.round((1 + rnd.next() * 8) * 10) / 10,
      page_views: frequency * (1 + Math.floor(rnd.next() * 5)),
      product_views: Math.floor(rnd.next() * 10),
      cart_adds: Math.floor(rnd.next() * 3),
      cart_removes: Math.floor(rnd.next() * 2),
      checkouts: rnd.bernoulli(0.1) ? 1 : 0,
      cart_abandons: rnd.bernoulli(0.3) ? 1 : 0,
    };
  });
}

export function makeScores(n: number, seed: number, transform: (u: number) => number = (u) => u): number[] {
  const rnd = createRandom(seed);
  return Array.from({ length: n }, () => transform(rnd.beta(2, 5)));
}

export function segmentOf(score: number): string {
  return score >= 0.5 ? 'high_intent' : score >= 0.2 ? 'warm' : 'cold';
}

export async function seedSnapshot(snapshotId: string, rows: FeatureRowSeed[]): Promise<void> {
  const pool = getPool();
  await pool.query(
    `INSERT INTO feature_snapshot (snapshot_id, feature_set, feature_set_version, delivery_ids, as_of, lookback_days, entities)
     VALUES ($1, 'visitor_behaviour', '1.0.0', '{}', now(), 30, $2)`,
    [snapshotId, rows.length],
  );
  await pool.query(
    `INSERT INTO feature_value (snapshot_id, visitor_id, recency_days, frequency, monetary, orders, session_depth, page_views,
       product_views, cart_adds, cart_removes, checkouts, cart_abandons, category_affinity)
     SELECT $1, x.visitor_id, x.recency_days, x.frequency, x.monetary, x.orders, x.session_depth, x.page_views,
       x.product_views, x.cart_adds, x.cart_removes, x.checkouts, x.cart_abandons, '{}'::jsonb
     FROM jsonb_to_recordset($2::jsonb) AS x(visitor_id text, recency_days float8, frequency int, monetary float8, orders int,
       session_depth float8, page_views int, product_views int, cart_adds int, cart_removes int, checkouts int, cart_abandons int)`,
    [snapshotId, JSON.stringify(rows)],
  );
}

export async function seedRun(o: { runId: string; pipeline: string; status: string; snapshotId: string; features: FeatureRowSeed[]; scores: number[]; startedAt?: string }): Promise<void> {
  const pool = getPool();
  await pool.query(
    `INSERT INTO activation_run (run_id, pipeline, status, stage, snapshot_id, model_name, model_version, decision_policy, started_at)
     VALUES ($1, $2, $3, 'gate', $4, 'purchase-propensity', '1.0.0', 'model', coalesce($5::timestamptz, now()))`,
    [o.runId, o.pipeline, o.status, o.snapshotId, o.startedAt ?? null],
  );
  const staged = o.scores.map((score, i) => {
    const f = o.features[i % o.features.length]!;
    const { visitor_id, ...vector } = f;
    return { entity_id: visitor_id + (i >= o.features.length ? `-${i}` : ''), score, segment: segmentOf(score), eligible: score >= 0.05, features: vector };
  });
  await pool.query(
    `INSERT INTO scored_entity (run_id, entity_id, score, segment, eligible, features)
     SELECT $1, x.entity_id, x.score, x.segment, x.eligible, x.features
     FROM jsonb_to_recordset($2::jsonb) AS x(entity_id text, score float8, segment text, eligible boolean, features jsonb)`,
    [o.runId, JSON.stringify(staged)],
  );
}
