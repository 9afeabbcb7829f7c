import { describe, expect, it } from 'vitest';
import { HitDataLexer } from '../../activities/feed/hit-data-lexer.ts';
import { resolveHitColumns, type HitColumnOptions } from '../../activities/feed/hit-columns.ts';
import { interpretHit, type HitOutcome } from '../../activities/feed/hit-interpreter.ts';
import { InvalidFeedError } from '../../activities/feed/invalid-feed-error.ts';
import { BASE_COLUMNS, hit, hitLine, type Row } from '../helpers/adobe-feed-delivery.ts';

function interpret(row: Row, columns = BASE_COLUMNS, options: HitColumnOptions = columns.includes('post_evar3') ? { customerIdColumn: 'post_evar3', consentColumn: 'post_evar5' } : {}): HitOutcome {
  const cols = resolveHitColumns(columns, options);
  const lexer = new HitDataLexer(cols.count);
  let out: HitOutcome | undefined;
  lexer.push(Buffer.from(hitLine(columns, row), 'latin1'), (r) => {
    out = interpretHit(r, cols);
  });
  if (!out) throw new Error('no record');
  return out;
}

function loaded(row: Row, columns = BASE_COLUMNS) {
  const out = interpret(row, columns);
  if (out.kind !== 'hit') throw new Error(`expected a hit, got ${JSON.stringify(out)}`);
  return out.hit;
}

describe('interpretHit', () => {
  it('types a page view: visitor id from the two halves as a string, times, page fields', () => {
    const h = loaded(hit({ post_visid_high: '18446744073709551615', post_visid_low: '1', visit_num: '3', visit_page_num: '7' }));
    expect(h).toMatchObject({
      visitorId: '18446744073709551615_1',
      visitNum: 3,
      visitPageNum: 7,
      visitStartTimeGmt: 1714521600,
      hitTimeGmt: 1714521600,
      pageEvent: 0,
      pagename: 'home',
      pageUrl: 'https://shop.example.com/',
      isPageView: true,
      isPurchase: false,
      revenueCents: 0,
      units: 0,
      customerId: null,
      consent: null,
      products: [],
    });
  });

  it('counts a page view when post_pagename or post_page_url is non-empty (Adobe recipe)', () => {
    expect(loaded(hit({ post_pagename: '', post_page_url: 'https://x/' })).isPageView).toBe(true);
    expect(loaded(hit({ post_pagename: 'p', post_page_url: '' })).isPageView).toBe(true);
    expect(loaded(hit({ post_pagename: '', post_page_url: '', post_page_event: '100' })).isPageView).toBe(false);
  });

  it('excludes rows by exclude_hit, hit_source and customer_perspective, with the reason', () => {
    expect(interpret(hit({ exclude_hit: '4' }))).toEqual({ kind: 'excluded', reason: 'exclude_hit' });
    for (const hs of ['5', '7', '8', '9']) expect(interpret(hit({ hit_source: hs }))).toEqual({ kind: 'excluded', reason: 'hit_source' });
    expect(interpret(hit({ hit_source: '1' })).kind).toBe('hit');
    expect(interpret(hit({ customer_perspective: '1' }))).toEqual({ kind: 'excluded', reason: 'customer_perspective' });
  });

  it('does not filter on columns the feed lacks', () => {
    const columns = BASE_COLUMNS.filter((c) => !['exclude_hit', 'hit_source', 'customer_perspective', 'duplicate_purchase'].includes(c));
    expect(interpret(hit({ exclude_hit: '4', hit_source: '5' }), columns).kind).toBe('hit');
  });

  it('makes a purchase of event 1 with revenue = Σ line totals and units = Σ quantity', () => {
    const h = loaded(hit({ post_event_list: '1,200=2', post_product_list: 'Shoes;A;2;59.98;;,Bags;B;1;10.01;;,;;;;', post_purchaseid: 'P1' }));
    expect(h.isPurchase).toBe(true);
    expect(h.revenueCents).toBe(6999);
    expect(h.units).toBe(3);
    expect(h.purchaseId).toBe('P1');
    expect(h.eventIds).toEqual([1, 200]);
    expect(h.products.map((p) => p.product)).toEqual(['A', 'B']);
  });

  it('ignores duplicate_purchase = 1 as a purchase (no revenue, no units)', () => {
    const h = loaded(hit({ post_event_list: '1', post_product_list: 'Shoes;A;2;59.98;;', duplicate_purchase: '1' }));
    expect(h.isPurchase).toBe(false);
    expect(h.revenueCents).toBe(0);
    expect(h.products[0]).toMatchObject({ product: 'A', quantity: null, price: null });
  });

  it('falls back from hit_time_gmt to post_cust_hit_time_gmt, cust_hit_time_gmt, then date_time as UTC', () => {
    const cols = ['post_visid_high', 'post_visid_low', 'visit_num', 'visit_start_time_gmt', 'visit_page_num', 'hit_time_gmt', 'post_cust_hit_time_gmt', 'cust_hit_time_gmt', 'date_time'];
    const base = hit({ date_time: '2024-05-01 00:10:00' });
    expect(loaded({ ...base, hit_time_gmt: '100', post_cust_hit_time_gmt: '200', cust_hit_time_gmt: '300' }, cols).hitTimeGmt).toBe(100);
    expect(loaded({ ...base, hit_time_gmt: '', post_cust_hit_time_gmt: '200', cust_hit_time_gmt: '300' }, cols).hitTimeGmt).toBe(200);
    expect(loaded({ ...base, hit_time_gmt: '0', post_cust_hit_time_gmt: '', cust_hit_time_gmt: '300' }, cols).hitTimeGmt).toBe(300);
    expect(loaded({ ...base, hit_time_gmt: '', post_cust_hit_time_gmt: '', cust_hit_time_gmt: '' }, cols).hitTimeGmt).toBe(1714522200);
    expect(interpret({ ...base, hit_time_gmt: '', post_cust_hit_time_gmt: '', cust_hit_time_gmt: '', date_time: '' }, cols)).toEqual({
      kind: 'quarantined',
      reason: expect.stringMatching(/has no hit time/),
    });
  });

  it('stores the configured customer id and consent columns', () => {
    const h = loaded(hit({ post_evar3: 'C123', post_evar5: 'marketing=1' }));
    expect([h.customerId, h.consent]).toEqual(['C123', 'marketing=1']);
  });

  it('quarantines a record with the wrong field count, naming both counts', () => {
    const cols = resolveHitColumns(BASE_COLUMNS, {});
    const lexer = new HitDataLexer(cols.count);
    const outs: HitOutcome[] = [];
    lexer.push(Buffer.from(`${hitLine(BASE_COLUMNS, hit()).slice(0, -1)}\textra\n`), (r) => outs.push(interpretHit(r, cols)));
    expect(outs).toEqual([{ kind: 'quarantined', reason: `has ${BASE_COLUMNS.length + 1} fields, column_headers.tsv has ${BASE_COLUMNS.length}` }]);
  });

  it('quarantines unparsable fields, naming the field and never the value', () => {
    const cases: [Row, RegExp][] = [
      [hit({ visit_num: 'abc' }), /^visit_num is not a non-negative integer/],
      [hit({ post_visid_high: '' }), /^post_visid_high is not an unsigned decimal/],
      [hit({ post_visid_low: '12x' }), /^post_visid_low/],
      [hit({ post_event_list: '1,bogus' }), /^post_event_list: an event id is not a number/],
      [hit({ post_event_list: '1', post_product_list: 'C;P;two;1;;' }), /^post_product_list product 1: quantity/],
    ];
    for (const [row, reason] of cases) {
      const out = interpret(row);
      expect(out.kind).toBe('quarantined');
      if (out.kind === 'quarantined') {
        expect(out.reason).toMatch(reason);
        expect(out.reason).not.toMatch(/abc|bogus|12x|two/);
      }
    }
  });
});

describe('resolveHitColumns', () => {
  it('rejects a feed without a required column or an unknown option column', () => {
    expect(() => resolveHitColumns(BASE_COLUMNS.filter((c) => c !== 'visit_num'), {})).toThrow(InvalidFeedError);
    expect(() => resolveHitColumns(BASE_COLUMNS, { customerIdColumn: 'post_evar99' })).toThrow(/customerIdColumn names column post_evar99, which this feed does not have/);
    expect(() => resolveHitColumns(BASE_COLUMNS.filter((c) => c !== 'hit_time_gmt'), {})).toThrow(/no hit time column/);
  });
});
