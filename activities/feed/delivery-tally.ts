/**
 * Pure accumulator of a delivery's counts and Adobe's metric recipes over its loaded hits:
 * visitors (distinct visitor keys), visits (distinct visitor + visit_num + visit_start_time_gmt),
 * page views, orders, units, revenue. Excluded and quarantined records are counted, not measured.
 */
import type { ExclusionReason, HitCore } from './hit-interpreter.ts';

export interface DeliveryCounts {
  records: number;
  loaded: number;
  excluded: number;
  quarantined: number;
  exclusions: Record<string, number>;
  visitors: number;
  visits: number;
  pageViews: number;
  orders: number;
  units: number;
  /** Σ price on purchase hits, in currency units (2 decimals). */
  revenue: number;
  /** Unix seconds of the earliest / latest loaded hit, null without hits. */
  minHitTime: number | null;
  maxHitTime: number | null;
}

export class DeliveryTally {
  loaded = 0;
  excluded = 0;
  quarantined = 0;
  readonly exclusions: Record<string, number> = {};
  private readonly visitorKeys = new Set<string>();
  private readonly visitKeys = new Set<string>();
  pageViews = 0;
  orders = 0;
  units = 0;
  revenueCents = 0;
  minHitTime = Infinity;
  maxHitTime = -Infinity;

  // Hits of one visit usually follow each other: skip the set inserts while the visit is unchanged.
  private lastVisitor = '';
  private lastVisitNum = -1;
  private lastVisitStart = -1;

  /** Counts a loaded hit of visitor `visitorId`. */
  addHit(hit: HitCore, visitorId: string): void {
    this.loaded++;
    if (hit.visitNum !== this.lastVisitNum || hit.visitStartTimeGmt !== this.lastVisitStart || visitorId !== this.lastVisitor) {
      this.visitorKeys.add(visitorId);
      this.visitKeys.add(`${visitorId}_${hit.visitNum}_${hit.visitStartTimeGmt}`);
      this.lastVisitor = visitorId;
      this.lastVisitNum = hit.visitNum;
      this.lastVisitStart = hit.visitStartTimeGmt;
    }
    if (hit.isPageView) this.pageViews++;
    if (hit.isPurchase) {
      this.orders++;
      this.units += hit.units;
      this.revenueCents += hit.revenueCents;
    }
    if (hit.hitTimeGmt < this.minHitTime) this.minHitTime = hit.hitTimeGmt;
    if (hit.hitTimeGmt > this.maxHitTime) this.maxHitTime = hit.hitTimeGmt;
  }

  addExcluded(reason: ExclusionReason): void {
    this.excluded++;
    this.exclusions[reason] = (this.exclusions[reason] ?? 0) + 1;
  }

  addQuarantined(): void {
    this.quarantined++;
  }

  counts(): DeliveryCounts {
    return {
      records: this.loaded + this.excluded + this.quarantined,
      loaded: this.loaded,
      excluded: this.excluded,
      quarantined: this.quarantined,
      exclusions: { ...this.exclusions },
      visitors: this.visitorKeys.size,
      visits: this.visitKeys.size,
      pageViews: this.pageViews,
      orders: this.orders,
      units: this.units,
      revenue: this.revenueCents / 100,
      minHitTime: this.loaded ? this.minHitTime : null,
      maxHitTime: this.loaded ? this.maxHitTime : null,
    };
  }
}
