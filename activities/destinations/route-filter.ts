/**
 * Pure: does a canonical record qualify for a destination? The routing config's filter (consent
 * purpose, eligibility, segments) and holdout handling decide. Unconsented records never qualify.
 */
import type { CanonicalRecord } from '../../contracts/canonical-record.ts';
import type { Destination } from '../../contracts/pipeline-config.ts';

export type Exclusion = 'no_consent' | 'ineligible' | 'segment_not_routed' | 'holdout_control' | 'expired';

export function routeDecision(record: CanonicalRecord, dest: Pick<Destination, 'filter' | 'holdout'>, now: Date): { include: true } | { include: false; reason: Exclusion } {
  if (Date.parse(record.metadata.expires_at) <= now.getTime()) return { include: false, reason: 'expired' };
  const purpose = dest.filter.consentPurpose;
  if (purpose && !record.compliance.consent[purpose]) return { include: false, reason: 'no_consent' };
  if (dest.filter.requireEligible && !record.eligibility.activation_eligible) return { include: false, reason: 'ineligible' };
  if (dest.filter.segments && !record.segments.some((s) => dest.filter.segments!.includes(s.id))) return { include: false, reason: 'segment_not_routed' };
  if (dest.holdout === 'exclude_control' && record.measurement.holdout_arm === 'control') return { include: false, reason: 'holdout_control' };
  return { include: true };
}
