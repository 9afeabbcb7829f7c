/**
 * From a cycle's canonical records to the rows a stateful destination should hold: the mapping
 * (which canonical fields each kind takes, as declared in contracts/consumers.ts), identity
 * resolution (customer id -> the identifiers the destination matches on, normalized and hashed for
 * ad platforms), and the routing decision (consent, channel, eligibility, segment, holdout).
 *
 * Shared by the export activity and `scoreflow sync preview`, so a preview plans exactly what the
 * export then sends.
 */
import type pg from 'pg';
import type { CanonicalRecord } from '../../contracts/canonical-record.ts';
import { getPool } from '../store/db.ts';
import { identityTargetFor, resolveIdentities, type ResolutionCounts } from '../identity/resolve.ts';
import { routeDecision } from './route-filter.ts';
import { channelOf, type StatefulDestination } from './adapter-factory.ts';
import { desiredRow, type DesiredRow } from './sync-engine.ts';
import { audienceJudge, seedValue } from './audience-selection.ts';

export interface Exclusion {
  entityId: string;
  reason: string;
}

export interface DesiredRows {
  desired: DesiredRow[];
  /** Entities that cannot be sent at all (no usable or an ambiguous identifier): counted, never sent. */
  excluded: Exclusion[];
  /** Entities routing keeps out of the destination (holdout control, ineligible, segment, no consent, expired), with the reason. */
  filtered: Exclusion[];
  /** Identity resolution figures; null for destinations keyed on the visitor (webhook, NATS). */
  identity: (ResolutionCounts & { matchRate: number }) | null;
}

const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;

/** The payload one destination kind takes from a record: only the fields its consumer registration reads. */
export function payloadFor(kind: string, r: CanonicalRecord, audience?: StatefulDestination['audience']): Record<string, unknown> {
  // A value-based seed carries its value (Meta LOOKALIKE_VALUE); Google Customer Match has no value field.
  if (kind === 'meta-custom-audiences' && audience?.purpose === 'lookalike-seed') return { lookalike_value: seedValue(audience, r) };
  const primary = r.segments[0]?.id ?? null;
  switch (kind) {
    case 'adobe-target-bulk':
      // Profile attributes: flat text values (Target takes no nesting).
      return {
        sf_segment: primary,
        sf_propensity: round(r.score.value),
        sf_model_version: r.metadata.model_version,
        sf_next_best_product: r.recommendations.items[0]?.item_id ?? null,
        sf_expires_at: r.metadata.expires_at,
      };
    case 'google-customer-match':
    case 'meta-custom-audiences':
      // Audience membership carries no attributes; who is in the list is the whole message.
      return {};
    case 'webhook':
      return {
        model_version: r.metadata.model_version,
        expires_at: r.metadata.expires_at,
        recommendations: r.recommendations.items.map((i) => ({ item_id: i.item_id, kind: i.kind, score: i.score, rationale_codes: i.rationale_codes })),
        valid_from: r.recommendations.valid_from,
        valid_until: r.recommendations.valid_until,
      };
    default:
      // NATS decisions: the score with its semantics attached, so consumers assume nothing.
      return {
        score: r.score.value,
        semantics: r.score.semantics,
        segments: r.segments.map((s) => s.id),
        eligibility_reasons: r.eligibility.reasons,
        rationale_codes: r.rationale.codes,
        model_version: r.metadata.model_version,
        decision_policy: r.metadata.decision_policy,
        expires_at: r.metadata.expires_at,
      };
  }
}

/**
 * Builds one desired row per record that has identifiers for the destination. Routing is judged
 * at the record's scored_at, so re-planning the same cycle gives the same rows; expiry against the
 * wall clock is the sync engine's job (planSync removes what has expired by the time it runs).
 */
export async function buildDesiredRows(
  records: readonly CanonicalRecord[],
  dest: StatefulDestination,
  pool: pg.Pool = getPool(),
  opts: { sharedCustomerIds?: ReadonlySet<string>; crmNamespace?: string } = {},
): Promise<DesiredRows> {
  const excluded: Exclusion[] = [];
  let identifiersOf: Map<string, Record<string, string | undefined>>;
  let identity: DesiredRows['identity'] = null;
  if (identityTargetFor(dest.kind)) {
    const res = await resolveIdentities({ records, destinationKind: dest.kind, sharedCustomerIds: opts.sharedCustomerIds, crmNamespace: opts.crmNamespace }, pool);
    identifiersOf = new Map(res.resolved.map((e) => [e.entityId, e.identifiers]));
    for (const x of res.excluded) excluded.push({ entityId: x.entityId, reason: `${x.status}:${x.reason}` });
    identity = { ...res.counts, matchRate: res.matchRate };
  } else {
    identifiersOf = new Map(records.map((r) => [r.entity_id, {}]));
  }
  const channel = channelOf(dest.kind);
  const purpose = dest.filter.consentPurpose;
  const desired: DesiredRow[] = [];
  const filtered: Exclusion[] = [];
  // A declared audience (lookalike seed, suppression list) decides membership instead of routing;
  // consent stays the engine's rule either way: an unconsented member is never sent.
  const judge = await audienceJudge(records, dest, pool);
  for (const r of records) {
    const identifiers = identifiersOf.get(r.entity_id);
    if (!identifiers) continue;
    const consented = (purpose ? r.compliance.consent[purpose] === true : true) && r.compliance.channels[channel] === true;
    let eligible: boolean;
    if (judge) {
      const verdict = judge(r);
      eligible = verdict.member;
      if (!verdict.member) filtered.push({ entityId: r.entity_id, reason: verdict.reason ?? 'not_in_audience' });
      else if (!consented) filtered.push({ entityId: r.entity_id, reason: `no_channel_consent:${channel}` });
    } else {
      const route = routeDecision(r, dest, new Date(r.metadata.scored_at));
      // Consent and expiry are the engine's own rules (removal, never re-added); everything else is routing.
      eligible = route.include || route.reason === 'no_consent' || route.reason === 'expired';
      if (!route.include) filtered.push({ entityId: r.entity_id, reason: route.reason });
      else if (!consented) filtered.push({ entityId: r.entity_id, reason: `no_channel_consent:${channel}` });
    }
    desired.push(
      desiredRow({
        entityId: r.entity_id,
        payload: payloadFor(dest.kind, r, dest.audience),
        identifiers,
        expiresAt: r.metadata.expires_at,
        modelVersion: r.metadata.model_version,
        consented,
        eligible,
      }),
    );
  }
  return { desired, excluded, filtered, identity };
}
