/**
 * Real-time event ingest: validated XDM ExperienceEvents update the visitor's online features,
 * re-score with the champion model in-process, and when the decision (segment or eligibility)
 * changes, rewrite the online blob and publish to the real-time destinations that may act on it.
 *
 * Per event, in order:
 *  1. ECID → entity id (see `resolveEntity`); an unmapped ECID changes nothing and is counted.
 *  2. One Lua script: dedup on `_id` (SET NX with TTL) and, only for a first sighting, the counter
 *     increments; it returns the blob and counters. A duplicate changes nothing.
 *  3. An event older than `staleAfterMs` is counted but never triggers an activation (ledger:
 *     suppressed, stale_event).
 *  4. Re-score the cycle features + counters; compare with the blob's current decision.
 *  5. Changed: compare-and-set the blob (a concurrent writer makes us re-read), then publish to each
 *     destination whose flags allow it (eligible, consented, routed, treatment arm), else record why not.
 *  6. Cart abandonment hooks: productListAdds → signalWithStart, purchases → signal (when configured).
 * Ledger entries (run id `realtime:<_id>`) are written once per request, after the publishes.
 */
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Logger } from 'pino';
import { OnlineDecisionBlob } from '../../contracts/online-decision.ts';
import type { XdmExperienceEvent } from '../../contracts/xdm-experience-event.ts';
import { decide, type DecisionConfig } from '../scoring/decide.ts';
import { isExpired, readOnlineBlob, withRealtimeDecision, type OnlineRoute } from './online-blob.ts';
import { eventIncrements, onlineFeatureVector, readCounters, type OnlineCounters } from './online-features.ts';
import type { OnlineKeys } from './online-keys.ts';
import type { OnlineMetrics } from './online-metrics.ts';
import type { OnlineScorer } from './online-scorer.ts';
import { casBlobScript, ingestEventScript } from './redis-scripts.ts';
import { realtimeRunId, recordLedger, type LedgerEntry } from './realtime-ledger.ts';
import { DEFAULT_REALTIME_RETRY, payloadDigest, publishRealtime, realtimeIdempotencyKey, type RealtimeDestination, type RealtimeRetry } from './realtime-publish.ts';

/**
 * How an ECID finds its entity (Adobe visitor key "<visid_high>_<visid_low>"):
 *  - explicit: only the map `<ns>:ecid:<ecid>` written by publishOnlineActivity from
 *    online_identity_map; anything else is unmapped (counted).
 *  - explicit-then-halves: also read the ECID's two 19-digit halves as visid high/low, accepted only
 *    when that entity has a blob. docs/formats/adobe-data-feed.md: that equivalence is unverified, so it is opt-in.
 */
export type EcidMapping = 'explicit' | 'explicit-then-halves';

export interface CartHooks {
  onAdd(entityId: string, eventId: string, at: string): Promise<void>;
  onPurchase(entityId: string, eventId: string, at: string): Promise<void>;
}

export interface EventIngestOptions {
  redis: Redis;
  keys: OnlineKeys;
  scorer: OnlineScorer;
  decision: Omit<DecisionConfig, 'topN'> & { topN?: number };
  /** Routing of the destinations a real-time decision is flagged for. */
  routes: readonly OnlineRoute[];
  /** Where changed decisions go; each name must match a destination in the blobs. */
  destinations: readonly RealtimeDestination[];
  /** The chain ledger's database; null skips the ledger (logged once). */
  ledger: Pick<pg.Pool, 'query'> | null;
  /** Events older than this are accepted but never activate. Default 30 minutes. */
  staleAfterMs?: number;
  dedupTtlSeconds?: number;
  featuresTtlMs?: number;
  ecidMapping?: EcidMapping;
  cart?: CartHooks;
  retry?: RealtimeRetry;
  metrics?: OnlineMetrics;
  log?: Logger;
  now?: () => number;
}

export type EventOutcome =
  | 'duplicate'
  | 'unmapped'
  | 'stale'
  | 'no_decision'
  | 'decision_expired'
  | 'decision_unreadable'
  | 'no_features'
  | 'unchanged'
  | 'changed';

export interface EventResult {
  _id: string;
  outcome: EventOutcome;
  /** Changed decisions: destination → delivered | rejected | suppressed:<reason>. */
  destinations?: Record<string, string>;
}

export interface IngestSummary {
  received: number;
  applied: number;
  duplicates: number;
  unmapped: number;
  stale: number;
  changed: number;
  delivered: number;
  results: EventResult[];
}

export interface EventIngest {
  ingest(events: readonly XdmExperienceEvent[], receivedAt?: number): Promise<IngestSummary>;
}

const MAX_CAS_ATTEMPTS = 4;

/** Pure: the entity id read from an ECID's two 19-digit halves (leading zeros dropped), or null. */
export function entityFromEcidHalves(ecid: string): string | null {
  if (!/^\d{38}$/.test(ecid)) return null;
  const high = BigInt(ecid.slice(0, 19));
  const low = BigInt(ecid.slice(19));
  const max = (1n << 64n) - 1n;
  if (high > max || low > max) return null;
  return `${high}_${low}`;
}

export function createEventIngest(opts: EventIngestOptions): EventIngest {
  const now = opts.now ?? Date.now;
  const staleAfterMs = opts.staleAfterMs ?? 30 * 60_000;
  const dedupTtl = opts.dedupTtlSeconds ?? 2 * 86_400;
  const featuresTtl = opts.featuresTtlMs ?? 7 * 86_400_000;
  const mapping = opts.ecidMapping ?? 'explicit';
  const retry = opts.retry ?? DEFAULT_REALTIME_RETRY;
  const decisionConfig: DecisionConfig = { ...opts.decision, topN: opts.decision.topN ?? 0 };
  const { redis, keys, metrics, log } = opts;
  let warnedNoLedger = false;

  async function resolveEntity(ecid: string): Promise<string | null> {
    const mapped = await redis.get(keys.ecid(ecid));
    if (mapped) return mapped;
    if (mapping !== 'explicit-then-halves') return null;
    const candidate = entityFromEcidHalves(ecid);
    if (!candidate) return null;
    return (await redis.exists(keys.decision(candidate))) ? candidate : null;
  }

  async function processOne(e: XdmExperienceEvent, receivedAt: number, t0: number, ledger: LedgerEntry[]): Promise<EventResult> {
    const ecid = e.identityMap.ECID[0]!.id;
    const entityId = await resolveEntity(ecid);
    if (!entityId) return { _id: e._id, outcome: 'unmapped' };
    const runId = realtimeRunId(e._id);
    const eventMs = Date.parse(e.timestamp);
    const incs = eventIncrements(e);
    const args: (string | number)[] = [dedupTtl, featuresTtl, eventMs, e.eventType === 'commerce.purchases' ? 1 : 0];
    for (const [k, v] of Object.entries(incs)) args.push(k, v);
    const res = (await ingestEventScript.run(redis, [keys.eventSeen(entityId, e._id), keys.features(entityId), keys.decision(entityId)], args)) as [number, string?, string[]?];
    if (res[0] === 0) return { _id: e._id, outcome: 'duplicate' };

    const stale = receivedAt - eventMs > staleAfterMs;
    if (stale) {
      ledger.push({ runId, entityId, destination: '', stage: 'suppressed', detail: { reason: 'stale_event', event_type: e.eventType, age_ms: receivedAt - eventMs } });
      return { _id: e._id, outcome: 'stale' };
    }
    if (opts.cart) await cartHook(e, entityId);

    let raw = res[1] ?? '';
    let counters = readCounters(res[2] ?? []);
    for (let attempt = 1; ; attempt++) {
      const step = await rescore(e, entityId, raw, counters, t0, ledger);
      if (step.kind === 'done') return step.result;
      // The blob changed under us (another event or a new cycle): read both again and redo.
      if (attempt >= MAX_CAS_ATTEMPTS) {
        log?.warn({ eventType: e.eventType }, 'online blob kept changing during a real-time re-score; event counted, decision left as is');
        return { _id: e._id, outcome: 'unchanged' };
      }
      const [blobRes, hashRes] = (await redis.pipeline().get(keys.decision(entityId)).hgetall(keys.features(entityId)).exec()) ?? [];
      raw = (blobRes?.[1] as string | null) ?? '';
      counters = readCounters((hashRes?.[1] as Record<string, string> | null) ?? {});
    }
  }

  async function cartHook(e: XdmExperienceEvent, entityId: string): Promise<void> {
    try {
      if (e.eventType === 'commerce.productListAdds') await opts.cart!.onAdd(entityId, e._id, e.timestamp);
      else if (e.eventType === 'commerce.purchases') await opts.cart!.onPurchase(entityId, e._id, e.timestamp);
    } catch (err) {
      log?.warn({ eventType: e.eventType, error: (err as Error).message }, 'cart abandonment signal failed; the event is applied, the cart timer is not updated');
    }
  }

  type Step = { kind: 'done'; result: EventResult } | { kind: 'retry' };

  async function rescore(e: XdmExperienceEvent, entityId: string, raw: string, counters: OnlineCounters, t0: number, ledger: LedgerEntry[]): Promise<Step> {
    const runId = realtimeRunId(e._id);
    const done = (outcome: EventOutcome, reason?: string): Step => {
      if (reason) ledger.push({ runId, entityId, destination: '', stage: 'suppressed', detail: { reason, event_type: e.eventType } });
      return { kind: 'done', result: { _id: e._id, outcome } };
    };
    if (!raw) return done('no_decision', 'no_online_decision');
    const read = readOnlineBlob(raw);
    if (!read.ok) {
      metrics?.quarantined.inc({ boundary: 'read' });
      return done('decision_unreadable', 'online_decision_unreadable');
    }
    const blob = read.blob;
    if (isExpired(blob, now())) return done('decision_expired', 'decision_expired');
    if (!blob.features) return done('no_features', 'no_cycle_features');

    const vector = onlineFeatureVector(blob.features, counters, now());
    const [s] = await opts.scorer.score([vector]);
    if (!s) throw new Error(`scorer ${opts.scorer.modelId}@${opts.scorer.version} returned no output for one input`);
    const d = decide(s.probability, s.contributions ?? [], {}, blob.consent, decisionConfig);
    const current = Object.values(blob.decisions)[0]!;
    if (current.segment === d.segment.id && current.flags.eligible === d.eligible) return { kind: 'done', result: { _id: e._id, outcome: 'unchanged' } };

    const next = withRealtimeDecision(
      blob,
      { segment: d.segment.id, eligible: d.eligible, score: s.probability, modelId: opts.scorer.modelId, modelVersion: opts.scorer.version, decisionPolicy: opts.scorer.policy ?? 'model', eventId: e._id },
      opts.routes,
    );
    const checked = OnlineDecisionBlob.safeParse(next);
    if (!checked.success) {
      metrics?.quarantined.inc({ boundary: 'online' });
      const issue = checked.error.issues[0]!;
      log?.error({ path: issue.path.join('.'), reason: issue.message }, 'real-time decision violates the online_decision contract; not written');
      return done('decision_unreadable', `contract_violation:${issue.path.join('.') || '(blob)'}`);
    }
    const written = (await casBlobScript.run(redis, [keys.decision(entityId)], [raw, JSON.stringify(checked.data), Date.parse(blob.expires_at)])) as number;
    if (written !== 1) return { kind: 'retry' };

    ledger.push({
      runId,
      entityId,
      destination: '',
      stage: 'generated',
      detail: { event_type: e.eventType, segment: d.segment.id, eligible: d.eligible, previous_segment: current.segment, previous_eligible: current.flags.eligible, model_version: opts.scorer.version, source_cycle: blob.source_cycle },
    });
    const outcomes: Record<string, string> = {};
    await Promise.all(
      opts.destinations.map(async (dest) => {
        const dd = checked.data.decisions[dest.name];
        if (!dd || !dd.flags.activate) {
          const reason = dd ? dd.suppressed_by ?? 'not_activated' : 'no_destination_decision';
          outcomes[dest.name] = `suppressed:${reason}`;
          metrics?.realtimePublishes.inc({ destination: dest.name, outcome: 'suppressed' });
          ledger.push({ runId, entityId, destination: dest.name, stage: 'suppressed', detail: { reason, segment: d.segment.id } });
          return;
        }
        const payload = {
          type: 'decision_changed',
          segment: dd.segment,
          previous_segment: current.segment,
          eligible: dd.flags.eligible,
          decision_token: dd.decision_token,
          score: s.probability,
          model_id: opts.scorer.modelId,
          model_version: opts.scorer.version,
          source_cycle: blob.source_cycle,
          event_id: e._id,
          event_type: e.eventType,
          expires_at: blob.expires_at,
        };
        const identifiers = blob.third_party_id ? { thirdPartyId: blob.third_party_id } : {};
        const row = { entityId, op: 'upsert' as const, payload, digest: payloadDigest(payload, identifiers), identifiers };
        const r = await publishRealtime(dest, row, realtimeIdempotencyKey(e._id, dest.name), retry);
        outcomes[dest.name] = r.outcome;
        metrics?.realtimePublishes.inc({ destination: dest.name, outcome: r.outcome });
        if (r.outcome === 'delivered') {
          metrics?.eventToPublish.observe({ destination: dest.name }, (performance.now() - t0) / 1000);
          ledger.push({ runId, entityId, destination: dest.name, stage: 'delivered', detail: { segment: dd.segment, decision_token: dd.decision_token, attempts: r.attempts, receipt: r.receipt } });
        } else {
          ledger.push({ runId, entityId, destination: dest.name, stage: 'rejected', detail: { segment: dd.segment, reason: r.reason, attempts: r.attempts } });
        }
      }),
    );
    return { kind: 'done', result: { _id: e._id, outcome: 'changed', destinations: outcomes } };
  }

  return {
    async ingest(events, receivedAt = now()) {
      const t0 = performance.now();
      const ledger: LedgerEntry[] = [];
      const summary: IngestSummary = { received: events.length, applied: 0, duplicates: 0, unmapped: 0, stale: 0, changed: 0, delivered: 0, results: [] };
      try {
        for (const e of events) {
          const r = await processOne(e, receivedAt, t0, ledger);
          summary.results.push(r);
          if (r.outcome === 'duplicate') summary.duplicates++;
          else if (r.outcome === 'unmapped') summary.unmapped++;
          else {
            summary.applied++;
            if (r.outcome === 'stale') summary.stale++;
            if (r.outcome === 'changed') {
              summary.changed++;
              summary.delivered += Object.values(r.destinations ?? {}).filter((o) => o === 'delivered').length;
            }
          }
          metrics?.events.inc({ outcome: r.outcome === 'duplicate' || r.outcome === 'unmapped' || r.outcome === 'stale' ? r.outcome : 'applied' });
        }
      } finally {
        if (ledger.length > 0) {
          if (opts.ledger) {
            await recordLedger(opts.ledger, ledger).catch((err: unknown) => {
              log?.error({ entries: ledger.length, error: (err as Error).message }, 'could not write real-time ledger entries; the activations happened, the ledger misses them');
            });
          } else if (!warnedNoLedger) {
            warnedNoLedger = true;
            log?.warn('event ingest has no ledger database; real-time ledger entries are not recorded');
          }
        }
      }
      return summary;
    },
  };
}
