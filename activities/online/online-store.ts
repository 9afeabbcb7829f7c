/**
 * publishOnlineActivity: writes a published cycle into the Redis online store. Per entity one
 * pre-assembled blob (contracts/online-decision.ts) holding every real-time destination's decision,
 * derived from the canonical activation record, with the key expiring at the record's expires_at
 * (SET ... PXAT). One key per entity written by one atomic script means a reader sees one cycle's
 * decisions for all destinations, never a mix; a blob from an older cycle never replaces a newer one.
 *
 * Records are read page by page (keyset on entity_id, no COPY) and written in one pipeline per page.
 * Each blob is validated against its contract first; violations go to contract_quarantine
 * (boundary 'online') and are not written. Running the activity twice changes nothing: a blob of the
 * same cycle already in the store is left as it is (a real-time rewrite since then is kept).
 * The ECIDs online_identity_map holds for the cycle's entities are written as `<ns>:ecid:<ecid>`.
 * First, the map learns the ECIDs the cycle's feed observed: each 38-digit `mcvisid` of the hits of
 * the run's feature snapshot names the entity of its hit (see recordFeedEcids).
 */
import type { Redis } from 'ioredis';
import type { CanonicalRecord } from '../../contracts/canonical-record.ts';
import { FEATURE_NAMES, type FeatureVector } from '../../contracts/feature-set.ts';
import { OnlineDecisionBlob } from '../../contracts/online-decision.ts';
import { getPool } from '../store/db.ts';
import { heartbeat, lastHeartbeat } from '../run/heartbeat.ts';
import { logger } from '../observability/logger.ts';
import { DEFAULT_ONLINE_ROUTES, buildOnlineBlob, isExpired, type OnlineRoute } from './online-blob.ts';
import { DEFAULT_ONLINE_NAMESPACE, onlineKeys } from './online-keys.ts';
import { createOnlineRedis, redisReady, redisUrl } from './redis-connection.ts';
import { publishBlobScript } from './redis-scripts.ts';

export interface PublishOnlineInput {
  runId: string;
  /** Key namespace of the online store (default "sf"). */
  namespace?: string;
  /** Destinations the blob carries decisions for (default: target, webhook, nats). */
  routes?: OnlineRoute[];
  /** Records per page (default 2000). */
  pageSize?: number;
}

export interface PublishOnlineResult {
  runId: string;
  records: number;
  written: number;
  /** Already in the store from this cycle (a retried or repeated publish). */
  unchanged: number;
  /** Not written because a later cycle's blob is already there. */
  skippedNewer: number;
  /** Records already past expires_at: nothing to serve, not written. */
  expired: number;
  quarantined: number;
  ecidsMapped: number;
}

/** ECID map entries live this long after the last cycle that named them. */
const ECID_TTL_SECONDS = 30 * 86_400;

let sharedRedis: Redis | undefined;
/** The activities' connection: queues while reconnecting and allows slow batch commands. */
export function activityRedis(): Redis {
  sharedRedis ??= createOnlineRedis(redisUrl(), { offlineQueue: true, commandTimeoutMs: 10_000, connectionName: 'scoreflow-online-publish' });
  return sharedRedis;
}
export async function closeActivityRedis(): Promise<void> {
  const r = sharedRedis;
  sharedRedis = undefined;
  if (r) await r.quit().catch(() => r.disconnect());
}

/** Pure: the stored feature vector (scored_entity.features) as a FeatureVector, or null when absent. */
export function featureVectorOf(stored: unknown): FeatureVector | null {
  if (!stored || typeof stored !== 'object') return null;
  const o = stored as Record<string, unknown>;
  return Object.fromEntries(FEATURE_NAMES.map((n) => [n, typeof o[n] === 'number' && Number.isFinite(o[n]) ? (o[n] as number) : null])) as FeatureVector;
}

interface Row {
  entity_id: string;
  record: CanonicalRecord;
  features: unknown;
  ecids: string[] | null;
}

/**
 * Upserts online_identity_map from the feed: for every 38-digit mcvisid among the hits of the run's
 * feature snapshot deliveries, the entity (visitor key) of its latest hit, source 'feed_mcvisid'.
 * The latest observation wins over an earlier one (from any source). Idempotent: an entry that
 * already names the same entity is left as it is. Returns the entries inserted or changed.
 */
export async function recordFeedEcids(runId: string): Promise<number> {
  const res = await getPool().query(
    `INSERT INTO online_identity_map (ecid, entity_id, source)
     SELECT DISTINCT ON (h.mcvisid) h.mcvisid, h.visitor_id, 'feed_mcvisid'
       FROM activation_run ar
       JOIN feature_snapshot s ON s.snapshot_id = ar.snapshot_id
       JOIN feed_hit h ON h.delivery_id = ANY(s.delivery_ids)
      WHERE ar.run_id = $1 AND h.mcvisid ~ '^[0-9]{38}$' AND h.visitor_id ~ '^[0-9]{1,20}_[0-9]{1,20}$'
      ORDER BY h.mcvisid, h.hit_time_gmt DESC, h.delivery_id DESC, h.record_no DESC
     ON CONFLICT (ecid) DO UPDATE SET entity_id = EXCLUDED.entity_id, source = EXCLUDED.source, updated_at = now()
      WHERE online_identity_map.entity_id IS DISTINCT FROM EXCLUDED.entity_id`,
    [runId],
  );
  return res.rowCount ?? 0;
}

export async function publishOnlineActivity(input: PublishOnlineInput, deps: { redis?: Redis; now?: () => number } = {}): Promise<PublishOnlineResult> {
  const pool = getPool();
  const redis = deps.redis ?? activityRedis();
  const now = deps.now ?? Date.now;
  const namespace = input.namespace ?? DEFAULT_ONLINE_NAMESPACE;
  const keys = onlineKeys(namespace);
  const routes = input.routes ?? [...DEFAULT_ONLINE_ROUTES];
  const pageSize = input.pageSize ?? 2000;
  const log = logger().child({ runId: input.runId, stage: 'publish-online' });

  const cycle = await pool.query<{ n: number; at: Date | null }>('SELECT count(*)::int AS n, max(published_at) AS at FROM activation_record WHERE run_id = $1', [input.runId]);
  const cycleAt = cycle.rows[0]?.at ? cycle.rows[0].at.getTime() : 0;
  const result: PublishOnlineResult = { runId: input.runId, records: cycle.rows[0]?.n ?? 0, written: 0, unchanged: 0, skippedNewer: 0, expired: 0, quarantined: 0, ecidsMapped: 0 };
  if (result.records === 0) {
    log.info('no canonical records for this run; nothing to publish online');
    return result;
  }

  const learned = await recordFeedEcids(input.runId);
  if (learned > 0) log.info({ ecids: learned }, 'ECID map entries recorded from the feed\'s mcvisid');

  await redisReady(redis, 10_000);
  await publishBlobScript.load(redis);
  const checkpoint = lastHeartbeat<{ after: string; result: PublishOnlineResult }>();
  let after = '';
  if (checkpoint?.after) {
    after = checkpoint.after;
    Object.assign(result, checkpoint.result);
  }

  for (;;) {
    const { rows } = await pool.query<Row>(
      `SELECT r.entity_id, r.record, s.features,
              (SELECT array_agg(m.ecid ORDER BY m.ecid) FROM online_identity_map m WHERE m.entity_id = r.entity_id) AS ecids
       FROM activation_record r LEFT JOIN scored_entity s ON s.run_id = r.run_id AND s.entity_id = r.entity_id
       WHERE r.run_id = $1 AND r.entity_id > $2 ORDER BY r.entity_id LIMIT ${pageSize}`,
      [input.runId, after],
    );
    if (rows.length === 0) break;
    const pipe = redis.pipeline();
    const queued: ('blob' | 'ecid')[] = [];
    const violations: { entityId: string; path: string; reason: string }[] = [];
    const t = now();
    for (const r of rows) {
      let blob: unknown;
      try {
        blob = buildOnlineBlob(r.record, { cycleAt, features: featureVectorOf(r.features), routes });
      } catch (err) {
        violations.push({ entityId: r.entity_id, path: '(record)', reason: `the canonical record cannot be read: ${(err as Error).message}` });
        continue;
      }
      const checked = OnlineDecisionBlob.safeParse(blob);
      if (!checked.success) {
        const issue = checked.error.issues[0]!;
        violations.push({ entityId: r.entity_id, path: issue.path.map(String).join('.') || '(blob)', reason: issue.message });
        continue;
      }
      if (isExpired(checked.data, t)) {
        result.expired++;
        continue;
      }
      publishBlobScript.queue(pipe, [keys.decision(r.entity_id), keys.features(r.entity_id)], [JSON.stringify(checked.data), Date.parse(checked.data.expires_at), cycleAt, input.runId]);
      queued.push('blob');
      for (const ecid of r.ecids ?? []) {
        pipe.set(keys.ecid(ecid), r.entity_id, 'EX', ECID_TTL_SECONDS);
        queued.push('ecid');
      }
    }
    const replies = queued.length > 0 ? ((await pipe.exec()) ?? []) : [];
    replies.forEach(([err, reply], i) => {
      if (err) throw new Error(`online store write failed (${err.message}); the activity retries the page, which is idempotent`);
      if (queued[i] === 'ecid') result.ecidsMapped++;
      else if (reply === 1) result.written++;
      else if (reply === 2) result.unchanged++;
      else result.skippedNewer++;
    });
    if (violations.length > 0) {
      result.quarantined += violations.length;
      await pool.query(
        `INSERT INTO contract_quarantine (run_id, boundary, entity_id, path, reason)
         SELECT $1, 'online', * FROM unnest($2::text[], $3::text[], $4::text[])
         ON CONFLICT (run_id, boundary, entity_id) DO UPDATE SET path = EXCLUDED.path, reason = EXCLUDED.reason, at = now()`,
        [input.runId, violations.map((v) => v.entityId), violations.map((v) => v.path), violations.map((v) => v.reason)],
      );
    }
    after = rows[rows.length - 1]!.entity_id;
    heartbeat({ after, result });
    if (rows.length < pageSize) break;
  }

  await pool.query(
    `INSERT INTO online_publish (run_id, namespace, records, written, unchanged, skipped_newer, expired, quarantined, ecids_mapped)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (run_id) DO UPDATE SET namespace = EXCLUDED.namespace, records = EXCLUDED.records, written = online_publish.written + EXCLUDED.written,
       unchanged = EXCLUDED.unchanged, skipped_newer = EXCLUDED.skipped_newer, expired = EXCLUDED.expired, quarantined = EXCLUDED.quarantined,
       ecids_mapped = EXCLUDED.ecids_mapped, published_at = now()`,
    [input.runId, namespace, result.records, result.written, result.unchanged, result.skippedNewer, result.expired, result.quarantined, result.ecidsMapped],
  );
  log.info({ ...result }, 'cycle published to the online store');
  return result;
}
