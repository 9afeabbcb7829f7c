/**
 * Pure: the column set of the sample feed (column_headers.tsv), alphabetical like a real delivery,
 * and each column's position. Consumers must read positions from column_headers.tsv, never from here.
 *
 * Conventions of the generated feed:
 * - post_visid_high / post_visid_low: unsigned 64-bit decimals (visitor key), post_visid_type 5 (ECID),
 *   mcvisid 38 digits (two 19-digit halves, drawn independently of visid).
 * - evar1 / post_evar1: login status (`logged-in` / `logged-out`).
 * - evar2 / post_evar2: internal search term (may hold tab, LF, CR, backslash).
 * - evar3 / post_evar3: customer id (`C0000123`), on every hit from the visitor's login visit on.
 * - evar4 / post_evar4: campaign tracking code.
 * - evar5 / post_evar5: consent, granted purposes joined by `|` (analytics, personalization,
 *   advertising, email); empty = none granted.
 * - evar6: finding method, evar7: product variant (both merchandising, product syntax ids 105 / 106).
 * - evar8: page type, evar9: device type, evar10: experience (A/B) label.
 */

const range = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

export const GENERATED_COLUMNS: readonly string[] = [
  'accept_language', 'browser', 'browser_height', 'browser_width', 'c_color', 'campaign', 'channel', 'color',
  'connection_type', 'cookies', 'country', 'currency', 'cust_hit_time_gmt', 'cust_visid', 'customer_perspective',
  'date_time', 'domain', 'duplicate_purchase', 'duplicated_from',
  ...range('evar', 10),
  'event_list', 'exclude_hit', 'first_hit_page_url', 'first_hit_pagename', 'first_hit_referrer', 'first_hit_time_gmt',
  'geo_city', 'geo_country', 'geo_dma', 'geo_region', 'geo_zip', 'hit_source', 'hit_time_gmt', 'hitid_high', 'hitid_low',
  'homepage', 'ip', 'j_jscript', 'javascript', 'language', 'last_hit_time_gmt', 'last_purchase_num',
  'last_purchase_time_gmt', 'mcvisid', 'mobile_id', 'new_visit', 'os', 'page_event', 'page_event_var1',
  'page_event_var2', 'page_type', 'page_url', 'pagename', 'persistent_cookie', 'plugins', 'post_browser_height',
  'post_browser_width', 'post_campaign', 'post_channel', 'post_cookies', 'post_currency', 'post_cust_hit_time_gmt',
  ...range('post_evar', 10),
  'post_event_list', 'post_keywords', 'post_page_event', 'post_page_event_var1', 'post_page_event_var2',
  'post_page_type', 'post_page_url', 'post_pagename', 'post_persistent_cookie', 'post_product_list',
  ...range('post_prop', 5),
  'post_purchaseid', 'post_referrer', 'post_search_engine', 'post_visid_high', 'post_visid_low', 'post_visid_type',
  'prev_page', 'product_list',
  ...range('prop', 5),
  'purchaseid', 'ref_domain', 'ref_type', 'referrer', 'resolution', 'service', 'user_agent', 'visid_high', 'visid_low',
  'visid_new', 'visid_timestamp', 'visid_type', 'visit_num', 'visit_page_num', 'visit_referrer', 'visit_search_engine',
  'visit_start_page_url', 'visit_start_pagename', 'visit_start_time_gmt',
];

const INDEX = new Map(GENERATED_COLUMNS.map((c, i) => [c, i]));

/** Position of a generated column; throws on a name the generator does not write. */
export function col(name: string): number {
  const i = INDEX.get(name);
  if (i === undefined) throw new Error(`generated-columns: no column ${name}`);
  return i;
}
