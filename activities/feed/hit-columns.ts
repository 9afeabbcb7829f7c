/**
 * Resolves the hit_data columns ingest reads, by name, from column_headers.tsv. Column sets differ
 * per feed (294 columns in the fixture, over 600 elsewhere), so positions are never hard-coded.
 * Optional columns are -1 when the feed lacks them; filters on an absent column are skipped.
 *
 * Hit time (feed_hit.hit_time_gmt, Unix seconds), first non-empty, non-zero value of:
 *   1. hit_time_gmt            – Adobe's server time of the hit (the reference clock);
 *   2. post_cust_hit_time_gmt  – the client-sent time after processing (present in the fixture,
 *                                which has no hit_time_gmt);
 *   3. cust_hit_time_gmt       – the client-sent time before processing;
 *   4. date_time               – report-suite local time `YYYY-MM-DD HH:MM:SS`, read as UTC: off by
 *                                the suite's UTC offset, so only a last resort.
 * last_hit_time_gmt and first_hit_time_gmt are NOT used: they are the visitor's previous and first
 * hit times (0 on a first visit), not this hit's time. A feed with none of the four columns is
 * rejected; a record where all of them are empty is quarantined.
 */
import { InvalidFeedError } from './invalid-feed-error.ts';

export interface HitColumnOptions {
  /** Column holding the customer id (e.g. 'post_evar3'), stored in feed_hit.customer_id. */
  customerIdColumn?: string | undefined;
  /** Column holding the consent string (e.g. 'post_evar5'), stored in feed_hit.consent. */
  consentColumn?: string | undefined;
}

export interface HitColumns {
  count: number;
  visidHigh: number;
  visidLow: number;
  visitNum: number;
  visitStartTimeGmt: number;
  visitPageNum: number;
  /** Unix-seconds time columns in fallback order. */
  timeSeconds: number[];
  /** date_time, the last resort, or -1. */
  dateTime: number;
  pageEvent: number;
  pagename: number;
  pageUrl: number;
  eventList: number;
  productList: number;
  purchaseId: number;
  excludeHit: number;
  hitSource: number;
  customerPerspective: number;
  duplicatePurchase: number;
  customerId: number;
  consent: number;
  /** mcvisid (the ECID, 38 digits), or -1 when the feed lacks it. */
  mcvisid: number;
}

export const REQUIRED_COLUMNS = ['post_visid_high', 'post_visid_low', 'visit_num', 'visit_start_time_gmt', 'visit_page_num'] as const;
export const TIME_COLUMNS = ['hit_time_gmt', 'post_cust_hit_time_gmt', 'cust_hit_time_gmt'] as const;

/** `source` opens the messages; `fileName` is the delivery file they are about (default: source). */
export function resolveHitColumns(columns: readonly string[], options: HitColumnOptions, source = 'column_headers.tsv', fileName = source): HitColumns {
  const index = new Map<string, number>();
  columns.forEach((c, i) => index.set(c, i));
  const at = (name: string) => index.get(name) ?? -1;
  const missing = REQUIRED_COLUMNS.filter((c) => !index.has(c));
  if (missing.length) {
    throw new InvalidFeedError(`${source}: required column(s) ${missing.join(', ')} missing. Add them to the data feed's column set and re-deliver.`, fileName);
  }
  const timeSeconds = TIME_COLUMNS.map(at).filter((i) => i >= 0);
  const dateTime = at('date_time');
  if (timeSeconds.length === 0 && dateTime < 0) {
    throw new InvalidFeedError(`${source}: no hit time column (${[...TIME_COLUMNS, 'date_time'].join(', ')}). Add hit_time_gmt to the data feed's column set and re-deliver.`, fileName);
  }
  const optional = (option: string, name: string | undefined): number => {
    if (name === undefined || name === '') return -1;
    const i = at(name);
    if (i < 0) {
      throw new InvalidFeedError(`${source}: ${option} names column ${name}, which this feed does not have. Fix ${option} in the pipeline config or add the column to the feed.`, fileName);
    }
    return i;
  };
  return {
    count: columns.length,
    visidHigh: at('post_visid_high'),
    visidLow: at('post_visid_low'),
    visitNum: at('visit_num'),
    visitStartTimeGmt: at('visit_start_time_gmt'),
    visitPageNum: at('visit_page_num'),
    timeSeconds,
    dateTime,
    pageEvent: at('post_page_event'),
    pagename: at('post_pagename'),
    pageUrl: at('post_page_url'),
    eventList: at('post_event_list'),
    productList: at('post_product_list'),
    purchaseId: at('post_purchaseid'),
    excludeHit: at('exclude_hit'),
    hitSource: at('hit_source'),
    customerPerspective: at('customer_perspective'),
    duplicatePurchase: at('duplicate_purchase'),
    customerId: optional('customerIdColumn', options.customerIdColumn),
    consent: optional('consentColumn', options.consentColumn),
    mcvisid: at('mcvisid'),
  };
}
