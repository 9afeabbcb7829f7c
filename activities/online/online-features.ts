/**
 * Pure: what one XDM ExperienceEvent adds to a visitor's features, and the visitor's online feature
 * vector (the cycle's vector plus the real-time counters since that cycle).
 *
 * Derivable from a single event (FEATURE_NAMES): page_views, product_views, cart_adds,
 * cart_removes, checkouts, orders, monetary, and recency_days (from the latest event time).
 * Not derivable without visit boundaries, so kept from the cycle: frequency, session_depth,
 * cart_abandons.
 */
import { FEATURE_NAMES, type FeatureName, type FeatureVector } from '../../contracts/feature-set.ts';
import type { XdmExperienceEvent } from '../../contracts/xdm-experience-event.ts';

export type CounterName = Extract<FeatureName, 'page_views' | 'product_views' | 'cart_adds' | 'cart_removes' | 'checkouts' | 'orders' | 'monetary'>;
export const COUNTER_NAMES: readonly CounterName[] = ['page_views', 'product_views', 'cart_adds', 'cart_removes', 'checkouts', 'orders', 'monetary'];

/** Revenue of a purchase event: the order total when sent, else the sum of the line totals. */
export function purchaseRevenue(e: XdmExperienceEvent): number {
  const order = e.commerce?.order?.priceTotal;
  if (typeof order === 'number') return order;
  return (e.productListItems ?? []).reduce((s, p) => s + (p.priceTotal ?? 0), 0);
}

/** The counter increments of one event (empty for events that feed no feature, e.g. link clicks). */
export function eventIncrements(e: XdmExperienceEvent): Partial<Record<CounterName, number>> {
  switch (e.eventType) {
    case 'web.webpagedetails.pageViews':
      return { page_views: e.web?.webPageDetails?.pageViews?.value ?? 1 };
    case 'commerce.productViews':
      return { product_views: 1 };
    case 'commerce.productListAdds':
      return { cart_adds: 1 };
    case 'commerce.productListRemovals':
      return { cart_removes: 1 };
    case 'commerce.checkouts':
      return { checkouts: 1 };
    case 'commerce.purchases': {
      const revenue = Math.round(purchaseRevenue(e) * 100) / 100;
      return revenue > 0 ? { orders: 1, monetary: revenue } : { orders: 1 };
    }
    default:
      return {};
  }
}

/** Real-time counters as stored in the features hash (strings from Redis). */
export interface OnlineCounters {
  counts: Partial<Record<CounterName, number>>;
  lastEventMs: number | null;
  lastPurchaseMs: number | null;
}

/** Reads the features hash (a flat [field, value, ...] list or an object); unknown or non-numeric fields are ignored. */
export function readCounters(hash: string[] | Record<string, string>): OnlineCounters {
  const entries: [string, string][] = [];
  if (Array.isArray(hash)) for (let i = 0; i + 1 < hash.length; i += 2) entries.push([hash[i]!, hash[i + 1]!]);
  else entries.push(...Object.entries(hash));
  const out: OnlineCounters = { counts: {}, lastEventMs: null, lastPurchaseMs: null };
  for (const [k, v] of entries) {
    const n = Number(v);
    if (!Number.isFinite(n)) continue;
    if (k === 'last_event_ms') out.lastEventMs = n;
    else if (k === 'last_purchase_ms') out.lastPurchaseMs = n;
    else if ((COUNTER_NAMES as readonly string[]).includes(k)) out.counts[k as CounterName] = n;
  }
  return out;
}

const DAY_MS = 86_400_000;

/** The online vector: cycle features plus counters; recency from the latest event when there is one. */
export function onlineFeatureVector(base: FeatureVector, counters: OnlineCounters, now: number): FeatureVector {
  const v = Object.fromEntries(FEATURE_NAMES.map((n) => [n, base[n]])) as FeatureVector;
  for (const [name, inc] of Object.entries(counters.counts) as [CounterName, number][]) {
    v[name] = (v[name] ?? 0) + inc;
  }
  if (counters.lastEventMs !== null) {
    const recency = Math.max(0, (now - counters.lastEventMs) / DAY_MS);
    v.recency_days = v.recency_days === null ? recency : Math.min(v.recency_days, recency);
  }
  return v;
}
