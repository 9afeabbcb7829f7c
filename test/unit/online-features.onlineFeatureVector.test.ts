import { describe, expect, it } from 'vitest';
import { eventIncrements, onlineFeatureVector, purchaseRevenue, readCounters } from '../../activities/online/online-features.ts';
import type { XdmExperienceEvent } from '../../contracts/xdm-experience-event.ts';
import { features } from '../helpers/online.ts';

const ev = (eventType: string, over: Record<string, unknown> = {}) =>
  ({ _id: 'x', timestamp: '2026-11-28T10:00:00Z', eventType, identityMap: { ECID: [{ id: '1'.repeat(38) }] }, ...over }) as unknown as XdmExperienceEvent;

describe('eventIncrements', () => {
  it('maps each event type to the feature it feeds', () => {
    expect(eventIncrements(ev('web.webpagedetails.pageViews'))).toEqual({ page_views: 1 });
    expect(eventIncrements(ev('web.webpagedetails.pageViews', { web: { webPageDetails: { pageViews: { value: 2 } } } }))).toEqual({ page_views: 2 });
    expect(eventIncrements(ev('commerce.productViews'))).toEqual({ product_views: 1 });
    expect(eventIncrements(ev('commerce.productListAdds'))).toEqual({ cart_adds: 1 });
    expect(eventIncrements(ev('commerce.productListRemovals'))).toEqual({ cart_removes: 1 });
    expect(eventIncrements(ev('commerce.checkouts'))).toEqual({ checkouts: 1 });
    expect(eventIncrements(ev('web.webinteraction.linkClicks'))).toEqual({});
    expect(eventIncrements(ev('commerce.productListViews'))).toEqual({});
  });

  it('purchases count an order and the revenue: order total first, else the sum of line totals', () => {
    const lines = ev('commerce.purchases', { productListItems: [{ priceTotal: 10.5 }, { priceTotal: 4.25 }, {}] });
    expect(purchaseRevenue(lines)).toBe(14.75);
    expect(eventIncrements(lines)).toEqual({ orders: 1, monetary: 14.75 });
    expect(eventIncrements(ev('commerce.purchases', { commerce: { order: { priceTotal: 99 } }, productListItems: [{ priceTotal: 1 }] }))).toEqual({ orders: 1, monetary: 99 });
    expect(eventIncrements(ev('commerce.purchases'))).toEqual({ orders: 1 });
  });
});

describe('onlineFeatureVector', () => {
  it('adds counters to the cycle vector and takes recency from the latest event', () => {
    const now = Date.parse('2026-11-28T12:00:00Z');
    const counters = readCounters(['cart_adds', '2', 'monetary', '10.5', 'last_event_ms', String(now - 43_200_000), 'bogus', '7', 'orders', 'NaN']);
    expect(counters).toEqual({ counts: { cart_adds: 2, monetary: 10.5 }, lastEventMs: now - 43_200_000, lastPurchaseMs: null });
    const v = onlineFeatureVector(features({ cart_adds: 1, monetary: 5, recency_days: 9, frequency: 4 }), counters, now);
    expect(v).toMatchObject({ cart_adds: 3, monetary: 15.5, recency_days: 0.5, frequency: 4, orders: 0 });
  });

  it('leaves the vector unchanged without counters', () => {
    const base = features({ recency_days: null, page_views: 3 });
    expect(onlineFeatureVector(base, readCounters({}), Date.now())).toEqual(base);
  });
});
