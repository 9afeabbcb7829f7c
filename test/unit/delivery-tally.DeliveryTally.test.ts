import { describe, expect, it } from 'vitest';
import { DeliveryTally } from '../../activities/feed/delivery-tally.ts';
import type { HitCore } from '../../activities/feed/hit-interpreter.ts';

const core = (over: Partial<HitCore> = {}): HitCore => ({
  visitNum: 1,
  visitStartTimeGmt: 1000,
  visitPageNum: 1,
  hitTimeGmt: 1000,
  pageEvent: 0,
  eventIds: [],
  isPageView: true,
  isPurchase: false,
  revenueCents: 0,
  units: 0,
  products: [],
  ...over,
});

describe('DeliveryTally', () => {
  it("counts Adobe's recipes: distinct visitors and visits, page views, orders, units, revenue", () => {
    const t = new DeliveryTally();
    t.addHit(core(), 'a');
    t.addHit(core({ visitPageNum: 2, hitTimeGmt: 1010, isPageView: false }), 'a');
    t.addHit(core({ hitTimeGmt: 990 }), 'b');
    t.addHit(core({ visitPageNum: 3, hitTimeGmt: 1020, isPurchase: true, revenueCents: 6999, units: 3 }), 'a'); // visit a/1 again, after b
    t.addHit(core({ visitNum: 2, visitStartTimeGmt: 5000, hitTimeGmt: 5000 }), 'a');
    t.addHit(core({ visitStartTimeGmt: 7000, hitTimeGmt: 7000 }), 'a'); // same visit_num, other start: another visit
    t.addExcluded('exclude_hit');
    t.addExcluded('hit_source');
    t.addExcluded('hit_source');
    t.addQuarantined();
    expect(t.counts()).toEqual({
      records: 10,
      loaded: 6,
      excluded: 3,
      quarantined: 1,
      exclusions: { exclude_hit: 1, hit_source: 2 },
      visitors: 2,
      visits: 4,
      pageViews: 5,
      orders: 1,
      units: 3,
      revenue: 69.99,
      minHitTime: 990,
      maxHitTime: 7000,
    });
  });

  it('has no hit times without loaded hits', () => {
    expect(new DeliveryTally().counts()).toMatchObject({ records: 0, minHitTime: null, maxHitTime: null, visitors: 0 });
  });
});
