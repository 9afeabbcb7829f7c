/**
 * Pure: one lexed hit_data record → a typed hit, an exclusion, or a quarantine reason.
 *
 * Order of decisions:
 *   1. field count ≠ column_headers.tsv → quarantined (no column can be trusted);
 *   2. Adobe's row filters, where the column exists → excluded, counted by reason:
 *      exclude_hit ≠ 0, hit_source ∈ {5,7,8,9}, customer_perspective ≠ 0;
 *   3. typed fields; anything unparsable → quarantined with the field named.
 * Page view (Adobe's recipe): post_pagename or post_page_url non-empty.
 * Purchase: event 1 in post_event_list, unless duplicate_purchase = 1.
 * Revenue = Σ product price (line totals, in cents), units = Σ quantity, both on purchase hits only.
 * The visitor id is `${post_visid_high}_${post_visid_low}`, kept as a string (unsigned 64-bit halves).
 */
import type { RawRecord } from './hit-data-lexer.ts';
import type { HitColumns } from './hit-columns.ts';
import { parseEventList, PURCHASE_EVENT } from './event-list.ts';
import { parseProductList, type Product } from './product-list.ts';
import { FieldFormatError } from './field-format-error.ts';

export type ExclusionReason = 'exclude_hit' | 'hit_source' | 'customer_perspective';

/** Everything ingest derives from a record except its text columns (those are copied byte for byte). */
export interface HitCore {
  visitNum: number;
  visitStartTimeGmt: number;
  visitPageNum: number;
  hitTimeGmt: number;
  pageEvent: number | null;
  eventIds: number[];
  isPageView: boolean;
  isPurchase: boolean;
  /** Σ product price on purchase hits, in cents. */
  revenueCents: number;
  units: number;
  products: Product[];
}

/** A typed hit: the core plus its text columns decoded from ISO-8859-1 (empty → null). */
export interface Hit extends HitCore {
  visitorId: string;
  pagename: string | null;
  pageUrl: string | null;
  purchaseId: string | null;
  customerId: string | null;
  consent: string | null;
  /** The feed's mcvisid (ECID) as delivered, or null. */
  mcvisid: string | null;
}

export type Rejected = { kind: 'excluded'; reason: ExclusionReason } | { kind: 'quarantined'; reason: string };
export type HitCoreOutcome = { kind: 'hit'; hit: HitCore } | Rejected;
export type HitOutcome = { kind: 'hit'; hit: Hit } | Rejected;

const INT4_MAX = 2147483647;
const EMPTY: never[] = [];

/** Whether field i is 1–20 ASCII digits (an unsigned 64-bit number as text). */
function isUnsignedDecimal(rec: RawRecord, i: number): boolean {
  const s = rec.fieldStart(i);
  const e = rec.fieldEnd(i);
  if (s === e || e - s > 20) return false;
  const buf = rec.buf;
  for (let p = s; p < e; p++) {
    const c = buf[p]!;
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Event ids of a plain `1,2,200` list straight from the bytes; null when the field needs the full parser. */
function plainEventIds(rec: RawRecord, i: number): number[] | null {
  const s = rec.fieldStart(i);
  const e = rec.fieldEnd(i);
  if (s === e) return EMPTY;
  const buf = rec.buf;
  const ids: number[] = [];
  let v = 0;
  let digits = 0;
  for (let p = s; p < e; p++) {
    const c = buf[p]!;
    if (c >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      if (++digits > 9) return null;
    } else if (c === 44) {
      if (digits > 0) ids.push(v);
      v = 0;
      digits = 0;
    } else return null;
  }
  if (digits > 0) ids.push(v);
  return ids;
}

/** Whether field i holds only `;` and `,` (the `;;;;` every real row carries), i.e. no product. */
function noProducts(rec: RawRecord, i: number): boolean {
  const buf = rec.buf;
  const e = rec.fieldEnd(i);
  for (let p = rec.fieldStart(i); p < e; p++) {
    const c = buf[p]!;
    if (c !== 59 && c !== 44) return false;
  }
  return true;
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

function hitTime(rec: RawRecord, cols: HitColumns): number {
  for (const i of cols.timeSeconds) {
    const v = rec.uint(i);
    if (v > 0) return v;
  }
  if (cols.dateTime >= 0) {
    const m = DATE_TIME.exec(rec.text(cols.dateTime));
    if (m) return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) / 1000;
  }
  return -1;
}

function optionalText(rec: RawRecord, i: number): string | null {
  if (i < 0 || rec.isEmpty(i)) return null;
  return rec.text(i);
}

function exclusion(rec: RawRecord, cols: HitColumns): ExclusionReason | null {
  if (cols.excludeHit >= 0 && !rec.isEmpty(cols.excludeHit) && !rec.isDigit(cols.excludeHit, 0)) return 'exclude_hit';
  if (cols.hitSource >= 0) {
    const hs = rec.uint(cols.hitSource);
    if (hs === 5 || hs === 7 || hs === 8 || hs === 9) return 'hit_source';
  }
  if (cols.customerPerspective >= 0 && !rec.isEmpty(cols.customerPerspective) && !rec.isDigit(cols.customerPerspective, 0)) return 'customer_perspective';
  return null;
}

function intField(rec: RawRecord, i: number, name: string, max = Number.MAX_SAFE_INTEGER): number {
  const v = rec.uint(i);
  if (v < 0 || v > max) throw new FieldFormatError(`${name} is not a non-negative integer${max === INT4_MAX ? ' below 2^31' : ''}`);
  return v;
}

/**
 * The record's core (no text decoded): ingest's hot path. Validates the visitor id halves, so
 * visitorId() and the COPY encoder can copy them as they are.
 */
export function interpretHitCore(rec: RawRecord, cols: HitColumns): HitCoreOutcome {
  if (rec.fieldCount !== cols.count) {
    return { kind: 'quarantined', reason: `has ${rec.fieldCount} fields, column_headers.tsv has ${cols.count}` };
  }
  const excluded = exclusion(rec, cols);
  if (excluded) return { kind: 'excluded', reason: excluded };
  try {
    if (!isUnsignedDecimal(rec, cols.visidHigh)) throw new FieldFormatError('post_visid_high is not an unsigned decimal number');
    if (!isUnsignedDecimal(rec, cols.visidLow)) throw new FieldFormatError('post_visid_low is not an unsigned decimal number');
    const visitNum = intField(rec, cols.visitNum, 'visit_num', INT4_MAX);
    const visitStartTimeGmt = intField(rec, cols.visitStartTimeGmt, 'visit_start_time_gmt');
    const visitPageNum = intField(rec, cols.visitPageNum, 'visit_page_num', INT4_MAX);
    const hitTimeGmt = hitTime(rec, cols);
    if (hitTimeGmt < 0) throw new FieldFormatError('has no hit time (hit_time_gmt, post_cust_hit_time_gmt, cust_hit_time_gmt and date_time are empty or invalid)');
    const pageEvent = cols.pageEvent < 0 || rec.isEmpty(cols.pageEvent) ? null : intField(rec, cols.pageEvent, 'post_page_event', INT4_MAX);
    const isPageView = (cols.pagename >= 0 && !rec.isEmpty(cols.pagename)) || (cols.pageUrl >= 0 && !rec.isEmpty(cols.pageUrl));

    let eventIds: number[] = EMPTY;
    if (cols.eventList >= 0) {
      eventIds = plainEventIds(rec, cols.eventList) ?? parseEventList(rec.text(cols.eventList)).map((e) => e.id);
    }
    for (const id of eventIds) if (id > INT4_MAX) throw new FieldFormatError('post_event_list has an event id above 2^31');
    const isPurchase = eventIds.includes(PURCHASE_EVENT) && !(cols.duplicatePurchase >= 0 && rec.isDigit(cols.duplicatePurchase, 1));

    let products: Product[] = EMPTY;
    if (cols.productList >= 0 && !noProducts(rec, cols.productList)) {
      products = parseProductList(rec.text(cols.productList), isPurchase);
    }
    let revenueCents = 0;
    let units = 0;
    if (isPurchase) {
      for (const p of products) {
        if (p.price !== null) revenueCents += Math.round(p.price * 100);
        if (p.quantity !== null) {
          if (Math.abs(p.quantity) > INT4_MAX) throw new FieldFormatError(`post_product_list product ${p.position}: quantity is out of range`);
          units += p.quantity;
        }
      }
      if (units > INT4_MAX || Math.abs(revenueCents) >= 1e17) throw new FieldFormatError('post_product_list totals are out of range');
    }
    return {
      kind: 'hit',
      hit: { visitNum, visitStartTimeGmt, visitPageNum, hitTimeGmt, pageEvent, eventIds, isPageView, isPurchase, revenueCents, units, products },
    };
  } catch (err) {
    if (err instanceof FieldFormatError) return { kind: 'quarantined', reason: err.message };
    throw err;
  }
}

/** `${post_visid_high}_${post_visid_low}`, as a string (two unsigned 64-bit halves). */
export function visitorId(rec: RawRecord, cols: HitColumns): string {
  return `${rec.text(cols.visidHigh)}_${rec.text(cols.visidLow)}`;
}

/** The typed hit, text columns decoded. */
export function interpretHit(rec: RawRecord, cols: HitColumns): HitOutcome {
  const out = interpretHitCore(rec, cols);
  if (out.kind !== 'hit') return out;
  return {
    kind: 'hit',
    hit: {
      ...out.hit,
      visitorId: visitorId(rec, cols),
      pagename: optionalText(rec, cols.pagename),
      pageUrl: optionalText(rec, cols.pageUrl),
      purchaseId: optionalText(rec, cols.purchaseId),
      customerId: optionalText(rec, cols.customerId),
      consent: optionalText(rec, cols.consent),
      mcvisid: optionalText(rec, cols.mcvisid),
    },
  };
}
