/** Feed freshness: hours between the latest hit in the run's feed and the time of the check. */
import type { GateConfig } from '../../contracts/gate-config.ts';
import type { GateResult } from '../../contracts/gate-report.ts';
import { measuredGate } from './judge-threshold.ts';

export function hoursSince(latest: Date, now: Date): number {
  return (now.getTime() - latest.getTime()) / 3_600_000;
}

export function feedFreshnessGate(latestHit: Date | string | null, now: Date, t: GateConfig['feedFreshness']): GateResult {
  if (latestHit === null) {
    return { gate: 'feedFreshness', subject: 'feed', status: 'fail', value: null, warnAt: t.warnAt, failAt: t.failAt, detail: 'The feed has no hits, so its freshness is unknown; check that the delivery carried data.' };
  }
  const latest = typeof latestHit === 'string' ? new Date(latestHit) : latestHit;
  if (Number.isNaN(latest.getTime())) throw new Error(`feed latest hit time "${String(latestHit)}" is not a date; pass an ISO-8601 timestamp`);
  return measuredGate({
    gate: 'feedFreshness',
    subject: 'feed',
    what: 'Hours since the latest hit in the feed',
    value: hoursSince(latest, now),
    threshold: t,
    context: `(Latest hit ${latest.toISOString()}, checked ${now.toISOString()}.)`,
  });
}
