/**
 * Pure: the online decision blob of one entity, derived from its canonical activation record, and
 * its rewrite when a real-time event changes the decision. Per destination the flags follow the same
 * routing rules as the batch exports (activities/destinations/route-filter.ts): consent purpose,
 * eligibility, routed segments and holdout handling.
 */
import { createHash } from 'node:crypto';
import type { CanonicalRecord, ConsentPurpose } from '../../contracts/canonical-record.ts';
import type { FeatureVector } from '../../contracts/feature-set.ts';
import {
  OnlineDecisionBlob,
  ONLINE_DECISION_CONTRACT_VERSION,
  type OnlineDestinationDecision,
  type OnlineExclusion,
} from '../../contracts/online-decision.ts';

/** A real-time destination's routing: the canonical DestinationFilter and holdout handling. */
export interface OnlineRoute {
  name: string;
  filter: { consentPurpose?: ConsentPurpose; requireEligible: boolean; segments?: string[] };
  holdout: 'exclude_control' | 'include_all';
}

/** The real-time destinations an online blob carries decisions for, unless a caller names others. */
export const DEFAULT_ONLINE_ROUTES: readonly OnlineRoute[] = [
  { name: 'target', filter: { consentPurpose: 'personalization', requireEligible: true }, holdout: 'exclude_control' },
  { name: 'webhook', filter: { consentPurpose: 'personalization', requireEligible: true }, holdout: 'exclude_control' },
  { name: 'nats', filter: { consentPurpose: 'personalization', requireEligible: true }, holdout: 'exclude_control' },
];

export interface DecisionFacts {
  segment: string;
  eligible: boolean;
  consent: Record<ConsentPurpose, boolean>;
  holdoutArm: 'treatment' | 'control';
}

/** Same order of exclusions as routeDecision (expiry is the reader's check, not a flag). */
export function routeOnline(f: DecisionFacts, route: OnlineRoute): OnlineExclusion | null {
  const purpose = route.filter.consentPurpose;
  if (purpose && !f.consent[purpose]) return 'no_consent';
  if (route.filter.requireEligible && !f.eligible) return 'ineligible';
  if (route.filter.segments && !route.filter.segments.includes(f.segment)) return 'segment_not_routed';
  if (route.holdout === 'exclude_control' && f.holdoutArm === 'control') return 'holdout_control';
  return null;
}

/** Deterministic, opaque id of one decision: `dt_` + 22 base64url characters of a sha256. */
export function decisionToken(parts: readonly string[]): string {
  return `dt_${createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 22)}`;
}

export function destinationDecision(f: DecisionFacts, route: OnlineRoute, origin: string): OnlineDestinationDecision {
  const suppressed = routeOnline(f, route);
  const purpose = route.filter.consentPurpose;
  const flags = {
    activate: suppressed === null,
    eligible: f.eligible,
    consented: purpose ? f.consent[purpose] === true : true,
    control: f.holdoutArm === 'control',
  };
  return {
    segment: f.segment,
    flags,
    suppressed_by: suppressed,
    decision_token: decisionToken([origin, route.name, f.segment, String(flags.activate), String(flags.eligible), String(flags.consented), String(flags.control)]),
  };
}

export interface BlobContext {
  /** When the record's cycle was published (Unix ms). */
  cycleAt: number;
  /** The feature vector the cycle scored, when known. */
  features: FeatureVector | null;
  routes: readonly OnlineRoute[];
}

/** The blob for one canonical record. Not validated here: the caller checks the contract. */
export function buildOnlineBlob(record: CanonicalRecord, ctx: BlobContext): OnlineDecisionBlob {
  const facts: DecisionFacts = {
    segment: record.segments[0]!.id,
    eligible: record.eligibility.activation_eligible,
    consent: record.compliance.consent,
    holdoutArm: record.measurement.holdout_arm,
  };
  const origin = `${record.metadata.run_id}\u0000${record.entity_id}`;
  return {
    contract_version: ONLINE_DECISION_CONTRACT_VERSION,
    entity_id: record.entity_id,
    pipeline: record.metadata.pipeline,
    source_cycle: record.metadata.run_id,
    cycle_at: ctx.cycleAt,
    origin: 'cycle',
    event_id: null,
    model_id: record.metadata.model_id,
    model_version: record.metadata.model_version,
    decision_policy: record.metadata.decision_policy,
    score: record.score.value,
    scored_at: record.metadata.scored_at,
    expires_at: record.metadata.expires_at,
    record_contract_version: record.metadata.contract_version,
    consent: record.compliance.consent,
    holdout_arm: record.measurement.holdout_arm,
    third_party_id: record.identity.customer_id,
    features: ctx.features,
    decisions: Object.fromEntries(ctx.routes.map((r) => [r.name, destinationDecision(facts, r, origin)])),
  };
}

export interface RealtimeDecision {
  segment: string;
  eligible: boolean;
  score: number;
  modelId: string;
  modelVersion: string;
  decisionPolicy: 'model' | 'rules';
  eventId: string;
}

/**
 * The blob after a real-time re-score: new segment and flags for every destination it carries, the
 * event as origin; the cycle, expiry, consent, holdout arm and cycle features stay.
 */
export function withRealtimeDecision(blob: OnlineDecisionBlob, d: RealtimeDecision, routes: readonly OnlineRoute[]): OnlineDecisionBlob {
  const facts: DecisionFacts = { segment: d.segment, eligible: d.eligible, consent: blob.consent, holdoutArm: blob.holdout_arm };
  const origin = `${blob.source_cycle}\u0000${blob.entity_id}\u0000${d.eventId}`;
  const byName = new Map(routes.map((r) => [r.name, r]));
  const decisions: Record<string, OnlineDestinationDecision> = {};
  for (const name of Object.keys(blob.decisions)) {
    const route = byName.get(name);
    decisions[name] = route ? destinationDecision(facts, route, origin) : blob.decisions[name]!;
  }
  return {
    ...blob,
    origin: 'realtime',
    event_id: d.eventId,
    model_id: d.modelId,
    model_version: d.modelVersion,
    decision_policy: d.decisionPolicy,
    score: d.score,
    decisions,
  };
}

export type BlobRead = { ok: true; blob: OnlineDecisionBlob } | { ok: false; path: string; reason: string };

/** Parses and validates a stored blob; bad JSON or a contract violation is reported, never thrown. */
export function readOnlineBlob(raw: string): BlobRead {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, path: '(blob)', reason: 'not JSON' };
  }
  const r = OnlineDecisionBlob.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    return { ok: false, path: issue.path.map(String).join('.') || '(blob)', reason: issue.message };
  }
  return { ok: true, blob: r.data };
}

/**
 * A bounded memo of validated blobs keyed by their exact stored bytes. Identical bytes always give
 * the identical validation result, so a hit skips JSON.parse and the contract check and is never
 * stale (expiry is still checked on every read). Oldest entries are dropped first.
 */
export class BlobReadCache {
  private readonly map = new Map<string, BlobRead>();
  hits = 0;
  misses = 0;
  /** Whether the last read had to parse and validate (so a caller logs a bad blob once, not per read). */
  lastMiss = false;
  constructor(readonly capacity: number) {}

  read(raw: string): BlobRead {
    const hit = this.capacity > 0 ? this.map.get(raw) : undefined;
    this.lastMiss = hit === undefined;
    if (hit) {
      this.hits++;
      return hit;
    }
    this.misses++;
    const r = readOnlineBlob(raw);
    if (this.capacity > 0) {
      if (this.map.size >= this.capacity) this.map.delete(this.map.keys().next().value!);
      this.map.set(raw, r);
    }
    return r;
  }
}

export function isExpired(blob: Pick<OnlineDecisionBlob, 'expires_at'>, now: number): boolean {
  return Date.parse(blob.expires_at) <= now;
}
