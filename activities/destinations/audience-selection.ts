/**
 * Who an ad-platform audience declared with `audience:` holds (docs/pipeline-config.md#audiences):
 *
 * - `lookalike-seed`: the records of the run that qualify for the destination (its routing filter and
 *   holdout, advertising consent and the paid_media channel, judged at scored_at), ranked by value
 *   (score, highest first; ties by entity id), of which the top `topN` (or the top `topFraction`,
 *   rounded up) are members. The ranking is over the whole run, never one page or shard, so every
 *   page of a streamed export agrees on the cut;
 * - `suppression`: members to keep out of campaigns: holdout control members and/or recent purchasers
 *   (a purchase hit within `purchasedWithin` before the as-of time of the run's feature snapshot).
 *   Routing filters (eligibility, segments, holdout exclusion) do not apply: a suppression list holds
 *   exactly its groups. Consent still does: the caller never sends an unconsented member.
 *
 * Records are immutable once published, so a run's seed is computed once per worker and cached.
 */
import type pg from 'pg';
import type { CanonicalRecord } from '../../contracts/canonical-record.ts';
import { durationMs, type DestinationAudience } from '../../contracts/pipeline-config.ts';
import { routeDecision } from './route-filter.ts';
import type { StatefulDestination } from './adapter-factory.ts';

export interface AudienceVerdict {
  /** The member belongs in the audience. */
  member: boolean;
  /** Why not, when not a member. */
  reason?: string;
}

export type AudienceJudge = (r: CanonicalRecord) => AudienceVerdict;

const seedCache = new Map<string, Set<string>>();
const SEED_CACHE_RUNS = 32;

interface RankRow {
  entity_id: string;
  score: number;
  record: Pick<CanonicalRecord, 'compliance' | 'eligibility' | 'segments' | 'measurement' | 'metadata'>;
}

/** Pure: the seed's entity ids from a run's records, for a destination whose audience is a lookalike seed. */
export function selectSeed(
  rows: readonly RankRow[],
  dest: Pick<StatefulDestination, 'filter' | 'holdout'>,
  audience: Extract<DestinationAudience, { purpose: 'lookalike-seed' }>,
  channel: 'paid_media',
): Set<string> {
  const purpose = dest.filter.consentPurpose;
  const qualifying = rows.filter((x) => {
    const r = x.record as CanonicalRecord;
    if (!routeDecision(r, dest, new Date(r.metadata.scored_at)).include) return false;
    return (purpose ? r.compliance.consent[purpose] === true : true) && r.compliance.channels[channel] === true;
  });
  qualifying.sort((a, b) => b.score - a.score || (a.entity_id < b.entity_id ? -1 : a.entity_id > b.entity_id ? 1 : 0));
  const n = audience.topN ?? Math.ceil((audience.topFraction ?? 0) * qualifying.length);
  return new Set(qualifying.slice(0, n).map((x) => x.entity_id));
}

async function seedOf(runId: string, dest: StatefulDestination, audience: Extract<DestinationAudience, { purpose: 'lookalike-seed' }>, pool: pg.Pool): Promise<Set<string>> {
  const key = JSON.stringify([runId, dest.name, dest.filter, dest.holdout, audience]);
  const hit = seedCache.get(key);
  if (hit) return hit;
  const { rows } = await pool.query<RankRow>(
    `SELECT entity_id, score,
            jsonb_build_object('compliance', record->'compliance', 'eligibility', record->'eligibility', 'segments', record->'segments',
                               'measurement', record->'measurement', 'metadata', record->'metadata') AS record
       FROM activation_record WHERE run_id = $1`,
    [runId],
  );
  const seed = selectSeed(rows, dest, audience, 'paid_media');
  // Records not yet visible (an uncommitted publish) are never cached as an empty seed.
  if (rows.length === 0) return seed;
  if (seedCache.size >= SEED_CACHE_RUNS) seedCache.delete(seedCache.keys().next().value!);
  seedCache.set(key, seed);
  return seed;
}

/** Entity ids (of `ids`) with a purchase hit in (as_of - within, as_of] of the run's feature snapshot. */
async function recentPurchasers(runId: string, ids: readonly string[], withinMs: number, pool: pg.Pool): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { rows } = await pool.query<{ visitor_id: string }>(
    `SELECT DISTINCT h.visitor_id
       FROM activation_run ar JOIN feature_snapshot s ON s.snapshot_id = ar.snapshot_id
       JOIN feed_hit h ON h.visitor_id = ANY($2::text[])
      WHERE ar.run_id = $1 AND h.is_purchase
        AND h.hit_time_gmt > extract(epoch FROM s.as_of) - $3::double precision
        AND h.hit_time_gmt <= extract(epoch FROM s.as_of)`,
    [runId, ids, withinMs / 1000],
  );
  return new Set(rows.map((r) => r.visitor_id));
}

/**
 * The judge for a page of a run's records, or null when the destination declares no audience (its
 * members are then the routed records, as before).
 */
export async function audienceJudge(records: readonly CanonicalRecord[], dest: StatefulDestination, pool: pg.Pool): Promise<AudienceJudge | null> {
  const audience = dest.audience;
  if (!audience || records.length === 0) return null;
  const runId = records[0]!.metadata.run_id;
  if (audience.purpose === 'lookalike-seed') {
    const seed = await seedOf(runId, dest, audience, pool);
    return (r) => (seed.has(r.entity_id) ? { member: true } : { member: false, reason: 'not_in_lookalike_seed' });
  }
  const holdout = audience.include.includes('holdout');
  const purchasers = audience.include.includes('purchasers')
    ? await recentPurchasers(runId, records.map((r) => r.entity_id), durationMs(audience.purchasedWithin), pool)
    : new Set<string>();
  return (r) => {
    if (Date.parse(r.metadata.expires_at) <= Date.parse(r.metadata.scored_at)) return { member: false, reason: 'expired' };
    if (holdout && r.measurement.holdout_arm === 'control') return { member: true };
    if (purchasers.has(r.entity_id)) return { member: true };
    return { member: false, reason: 'not_in_suppression_groups' };
  };
}

/** The value a lookalike seed sends for a record (Meta LOOKALIKE_VALUE), rounded to 6 decimals. */
export function seedValue(audience: Extract<DestinationAudience, { purpose: 'lookalike-seed' }>, r: CanonicalRecord): number {
  // valueColumn names the record field; 'score' is the only one so far.
  const v = audience.valueColumn === 'score' ? r.score.value : Number.NaN;
  return Math.round(Math.max(0, v) * 1e6) / 1e6;
}
