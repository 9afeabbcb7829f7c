/**
 * Pure: one visitor's visits → hit_data records (already backslash-escaped lines, LF-terminated),
 * handed to `emit(day, line)`. A visit is a plan of steps (landing, browsing, product views, search,
 * links, cart adds/removes, cart view, checkout, purchase) drawn from the visitor's traits, then
 * written as rows with the columns of generated-columns.ts.
 *
 * Funnel, per visit (p = true propensity): product views take 28% + 20%·p of the steps; a product
 * view leads to a cart add with 4% + 55%·p; a visit with a cart goes to checkout with 15% + 110%·p
 * and buys with 35% + 90%·p. 'force' / 'never' (follow-up deliveries) override the purchase decision.
 *
 * Besides the visitor's own hits the simulator writes rows every consumer must drop:
 * - ~0.8% of hits get an `exclude_hit` copy (codes 4, 5, 6, 7, 10, 11, 14, 16);
 * - ~0.4% get a `customer_perspective = 1` copy (mobile background hit);
 * - ~3% of visitors get one data-source row (`hit_source` 5, 7, 8 or 9) after their last visit;
 * - ~5% of purchases are followed by a reload with `duplicate_purchase = 1` (a hit, not an order).
 * Custom link hits (post_page_event 100/101/102; pre page_event 10/11/12) carry no page name or URL,
 * as Adobe strips both from link tracking requests; cart adds and removes are such link hits.
 *
 * Drift (visits only; the traits drift lives in visitor-profile.ts):
 * - 'collapse_feature': every visit has exactly COLLAPSED_DEPTH hits (no duplicate reloads), so the
 *   session_depth feature (hits per visit) is the same constant for every visitor;
 * - 'null_column': post_pagename and post_page_url (and their pre columns) are empty on ~90% of rows.
 */
import { escapeCaret } from '../../activities/feed/caret-layer.ts';
import { col } from './generated-columns.ts';
import { EVENT, SEARCH_ENGINES, evarInstanceEvent } from './generated-lookups.ts';
import { escapeHitField } from './hit-data-escape.ts';
import {
  CAMPAIGNS,
  CATEGORIES,
  CONTENT_PAGES,
  FINDING_METHODS,
  ODD_SEARCH_TERMS,
  SEARCH_TERMS,
  SITE,
  SKUS_PER_CATEGORY,
  VARIANTS,
  skuName,
  unitPriceCents,
} from './product-catalog.ts';
import { clamp, geometric, int, pick, uint32, weightedIndex, type SeededRandom } from './random-draws.ts';
import type { Drift, VisitorProfile } from './visitor-profile.ts';

export const COLLAPSED_DEPTH = 4;
const NULL_COLUMN_SHARE = 0.9;
const SITE_DOMAIN = 'scoreflow-shop.example';

export interface VisitInput {
  /** Key of the data file the visit's rows go to (the day index). */
  day: number;
  start: number;
  purchase: 'natural' | 'force' | 'never';
}

export interface SimulateOptions {
  drift: Drift;
  /** visit_num of the first visit given (1 for a visitor's first ever visit). */
  firstVisitNum: number;
  /** Index (0-based, over the visitor's whole history) of the first visit given; compared with loginVisit. */
  firstVisitIndex: number;
  /** Time of the visitor's previous hit, 0 when none. */
  lastHitTime: number;
}

export interface VisitorOutcome {
  /** All rows written, dropped ones included. */
  records: number;
  /** Rows that survive the exclusion filters (exclude_hit, hit_source, customer_perspective). */
  hits: number;
  pageViews: number;
  orders: number;
  revenueCents: number;
  units: number;
  visits: number;
  lastHitTime: number;
}

interface Item {
  cat: number;
  k: number;
  qty: number;
}

type Step =
  | { t: 'landing'; kind: 'home' | 'category' | 'search' | 'campaign'; cat: number; term: string; campaign: string }
  | { t: 'category'; cat: number }
  | { t: 'product'; cat: number; k: number; method: string; variant: string }
  | { t: 'search'; term: string }
  | { t: 'content'; page: string }
  | { t: 'login' }
  | { t: 'link'; pageEvent: 100 | 101 | 102; name: string; url: string; event: number }
  | { t: 'cartAdd'; cat: number; k: number; open: boolean }
  | { t: 'cartRemove'; cat: number; k: number }
  | { t: 'cartView'; items: Item[] }
  | { t: 'checkout'; items: Item[] }
  | { t: 'purchase'; items: Item[] };

function indexes<const T extends readonly string[]>(names: T): Record<T[number], number> {
  return Object.fromEntries(names.map((n) => [n, col(n)])) as Record<T[number], number>;
}

const C = indexes([
  'accept_language', 'browser', 'browser_height', 'browser_width', 'c_color', 'campaign', 'channel', 'color',
  'connection_type', 'cookies', 'country', 'currency', 'cust_hit_time_gmt', 'customer_perspective', 'date_time', 'domain',
  'duplicate_purchase', 'event_list', 'exclude_hit', 'first_hit_page_url', 'first_hit_pagename', 'first_hit_referrer',
  'first_hit_time_gmt', 'geo_city', 'geo_country', 'geo_dma', 'geo_region', 'geo_zip', 'hit_source', 'hit_time_gmt',
  'hitid_high', 'hitid_low', 'homepage', 'ip', 'j_jscript', 'javascript', 'language', 'last_hit_time_gmt',
  'last_purchase_num', 'last_purchase_time_gmt', 'mcvisid', 'new_visit', 'os', 'page_event', 'page_event_var1',
  'page_event_var2', 'page_url', 'pagename', 'persistent_cookie', 'post_browser_height', 'post_browser_width',
  'post_campaign', 'post_channel', 'post_cookies', 'post_currency', 'post_cust_hit_time_gmt', 'post_event_list',
  'post_page_event', 'post_page_event_var1', 'post_page_event_var2', 'post_page_url', 'post_pagename',
  'post_persistent_cookie', 'post_product_list', 'post_purchaseid', 'post_referrer', 'post_search_engine',
  'post_visid_high', 'post_visid_low', 'post_visid_type', 'product_list', 'purchaseid', 'ref_domain', 'ref_type',
  'referrer', 'resolution', 'service', 'user_agent', 'visid_high', 'visid_low', 'visid_new', 'visid_timestamp',
  'visid_type', 'visit_num', 'visit_page_num', 'visit_referrer', 'visit_search_engine', 'visit_start_page_url',
  'visit_start_pagename', 'visit_start_time_gmt',
] as const);
const EVAR = [0, ...Array.from({ length: 10 }, (_, i) => col(`evar${i + 1}`))];
const POST_EVAR = [0, ...Array.from({ length: 10 }, (_, i) => col(`post_evar${i + 1}`))];
const PROP = [0, ...Array.from({ length: 5 }, (_, i) => col(`prop${i + 1}`))];
const POST_PROP = [0, ...Array.from({ length: 5 }, (_, i) => col(`post_prop${i + 1}`))];
const COLUMN_COUNT = col('visit_start_time_gmt') + 1;

const EXCLUDE_CODES = [4, 5, 6, 7, 10, 11, 14, 16];
const EXCLUDE_WEIGHTS = [5, 2, 2, 1, 1, 1, 1, 1];
const DATA_SOURCE_CODES = [5, 7, 8, 9];

const LINKS = [
  { pageEvent: 100, name: 'size guide', path: '/size-guide', event: EVENT.sizeGuideView },
  { pageEvent: 100, name: 'newsletter signup', path: '/newsletter', event: EVENT.newsletterSignup },
  { pageEvent: 100, name: 'add to wishlist', path: '/wishlist/add', event: EVENT.wishlistAdd },
  { pageEvent: 100, name: 'share:pinterest', path: '/share', event: 0 },
  { pageEvent: 101, name: 'lookbook-2026.pdf', path: '/media/lookbook-2026.pdf', event: 0 },
] as const;

const dateTime = (t: number): string => {
  const s = new Date(t * 1000).toISOString();
  return `${s.slice(0, 10)} ${s.slice(11, 19)}`;
};

const price = (cents: number): string => (cents / 100).toFixed(2);

const eventList = (events: (number | string)[]): string => {
  if (events.length === 0) return '';
  const parsed = events.map((e) => (typeof e === 'number' ? { id: e, text: String(e) } : { id: Number(e.split('=')[0]), text: e }));
  parsed.sort((a, b) => a.id - b.id);
  const out: string[] = [];
  let prev = -1;
  for (const p of parsed) {
    if (p.id !== prev) out.push(p.text);
    prev = p.id;
  }
  return out.join(',');
};

const productEntry = (cat: number, k: number, qty: string, total: string, events: string, evars: string): string =>
  `${escapeCaret(CATEGORIES[cat]!.name)};${escapeCaret(skuName(cat, k))};${qty};${total};${events};${evars}`;

const cartList = (items: Item[]): string => items.map((it) => productEntry(it.cat, it.k, '', '', '', '')).join(',');

export function purchaseTotals(items: Item[]): { subtotalCents: number; shippingCents: number; units: number } {
  let subtotalCents = 0;
  let units = 0;
  for (const it of items) {
    subtotalCents += it.qty * unitPriceCents(it.cat, it.k);
    units += it.qty;
  }
  return { subtotalCents, shippingCents: subtotalCents < 10000 ? 495 : 0, units };
}

function visitorTemplate(v: VisitorProfile): string[] {
  const row = new Array<string>(COLUMN_COUNT).fill('');
  const d = v.device;
  const g = v.geo;
  row[C.accept_language] = g.acceptLanguage;
  row[C.browser] = String(d.browserId);
  row[C.browser_height] = String(d.height);
  row[C.browser_width] = String(d.width);
  row[C.post_browser_height] = String(d.height);
  row[C.post_browser_width] = String(d.width);
  row[C.c_color] = '24-bit';
  row[C.color] = '2';
  row[C.connection_type] = String(d.connectionType);
  row[C.cookies] = 'Y';
  row[C.post_cookies] = 'Y';
  row[C.country] = String(g.countryId);
  row[C.currency] = 'USD';
  row[C.post_currency] = 'USD';
  row[C.customer_perspective] = '0';
  row[C.domain] = g.domain;
  row[C.duplicate_purchase] = '0';
  row[C.exclude_hit] = '0';
  row[C.geo_city] = g.city;
  row[C.geo_country] = g.geoCountry;
  row[C.geo_dma] = String(g.dma);
  row[C.geo_region] = g.region;
  row[C.geo_zip] = g.zip;
  row[C.hit_source] = '1';
  row[C.homepage] = 'N';
  row[C.ip] = v.ip;
  row[C.j_jscript] = '1.6';
  row[C.javascript] = '12';
  row[C.language] = String(g.languageId);
  row[C.mcvisid] = v.mcvisid;
  row[C.os] = String(d.osId);
  row[C.persistent_cookie] = 'Y';
  row[C.post_persistent_cookie] = 'Y';
  row[C.post_visid_high] = v.high;
  row[C.post_visid_low] = v.low;
  row[C.post_visid_type] = '5';
  row[C.visid_high] = v.high;
  row[C.visid_low] = v.low;
  row[C.visid_type] = '5';
  row[C.visid_new] = 'N';
  row[C.visid_timestamp] = String(v.visits[0]?.start ?? 0);
  row[C.resolution] = String(d.resolutionId);
  row[C.service] = 'ss';
  row[C.user_agent] = d.userAgent;
  row[C.post_product_list] = ';;;;';
  row[POST_EVAR[5]!] = v.consent;
  row[POST_EVAR[9]!] = d.kind;
  row[POST_EVAR[10]!] = v.experience;
  row[PROP[4]!] = 'scoreflow-shop';
  row[POST_PROP[4]!] = 'scoreflow-shop';
  return row;
}

/** The visitor's first landing (first_hit_* columns), fixed by the profile so every delivery agrees. */
function firstLanding(v: VisitorProfile): { pagename: string; url: string; referrer: string } {
  const cat = v.categoryWeights.indexOf(Math.max(...v.categoryWeights));
  return v.index % 3 === 0
    ? { pagename: 'home', url: `${SITE}/`, referrer: 'https://www.google.com/' }
    : { pagename: `category:${CATEGORIES[cat]!.name}`, url: `${SITE}/c/${CATEGORIES[cat]!.name}`, referrer: v.index % 3 === 1 ? 'https://www.instagram.com/' : '' };
}

export function simulateVisitor(
  v: VisitorProfile,
  visits: readonly VisitInput[],
  r: SeededRandom,
  o: SimulateOptions,
  emit: (day: number, line: string) => void,
): VisitorOutcome {
  const out: VisitorOutcome = { records: 0, hits: 0, pageViews: 0, orders: 0, revenueCents: 0, units: 0, visits: 0, lastHitTime: o.lastHitTime };
  const base = visitorTemplate(v);
  const first = firstLanding(v);
  base[C.first_hit_pagename] = first.pagename;
  base[C.first_hit_page_url] = first.url;
  base[C.first_hit_referrer] = first.referrer;
  base[C.first_hit_time_gmt] = String(v.visits[0]?.start ?? 0);
  const p = v.propensity;
  const collapse = o.drift === 'collapse_feature';
  const nullColumn = o.drift === 'null_column';
  let lastHit = o.lastHitTime;
  let purchaseNum = 0;
  let lastPurchaseTime = 0;
  let lastRow: string[] | null = null;
  let lastDay = 0;

  const pickCat = () => weightedIndex(r, v.categoryWeights);
  const pickSku = () => Math.floor(SKUS_PER_CATEGORY * r.next() ** 2);
  const pickTerm = () => (r.next() < 0.06 ? pick(r, ODD_SEARCH_TERMS) : pick(r, SEARCH_TERMS));

  const write = (day: number, row: string[], kept: boolean) => {
    emit(day, `${row.join('\t')}\n`);
    out.records++;
    if (kept) out.hits++;
  };

  for (let vi = 0; vi < visits.length; vi++) {
    const input = visits[vi]!;
    const visitIndex = o.firstVisitIndex + vi;
    const visitNum = o.firstVisitNum + vi;
    const loggedThisVisit = v.loggedIn && visitIndex > v.loginVisit;
    const loginThisVisit = v.loggedIn && visitIndex === v.loginVisit;

    // ---- plan ----
    const u0 = r.next();
    const landing: Step & { t: 'landing' } = {
      t: 'landing',
      kind: u0 < 0.35 ? 'home' : u0 < 0.65 ? 'category' : u0 < 0.75 ? 'search' : 'campaign',
      cat: pickCat(),
      term: '',
      campaign: '',
    };
    if (landing.kind === 'search') landing.term = pickTerm();
    if (landing.kind === 'campaign') landing.campaign = pick(r, CAMPAIGNS);
    const head: Step[] = [landing];
    if (loginThisVisit) head.push({ t: 'login' });
    const body: Step[] = [];
    const cart: Item[] = [];
    let opened = false;
    const addToCart = (cat: number, k: number) => {
      const existing = cart.find((it) => it.cat === cat && it.k === k);
      if (existing) existing.qty++;
      else cart.push({ cat, k, qty: r.next() < 0.15 ? 2 : 1 });
      body.push({ t: 'cartAdd', cat, k, open: !opened });
      opened = true;
    };
    const productView = (cat: number, method: string) => {
      const k = pickSku();
      body.push({ t: 'product', cat, k, method, variant: r.next() < 0.04 ? pick(r, VARIANTS) : '' });
      return k;
    };
    const depth = 1 + geometric(r, 1.5 + 2.5 * Math.exp(0.35 * v.engagement + 0.2 * v.intent), 60);
    const pvShare = 0.28 + 0.2 * p;
    const addP = clamp(0.04 + 0.55 * p, 0, 0.8);
    while (head.length + body.length < depth) {
      const u = r.next();
      if (u < pvShare) {
        const cat = pickCat();
        const k = productView(cat, landing.kind === 'campaign' ? 'campaign' : pick(r, FINDING_METHODS));
        if (r.next() < addP) addToCart(cat, k);
      } else if (u < pvShare + 0.17) body.push({ t: 'category', cat: pickCat() });
      else if (u < pvShare + 0.25) {
        body.push({ t: 'search', term: pickTerm() });
        const cat = pickCat();
        const k = productView(cat, 'internal search');
        if (r.next() < addP) addToCart(cat, k);
      } else if (u < pvShare + 0.31 && cart.length > 0) {
        const it = cart.splice(int(r, cart.length), 1)[0]!;
        body.push({ t: 'cartRemove', cat: it.cat, k: it.k });
      } else if (u < pvShare + 0.4) {
        const l = pick(r, LINKS);
        body.push({ t: 'link', pageEvent: l.pageEvent, name: l.name, url: `${SITE}${l.path}`, event: l.event });
      } else body.push({ t: 'content', page: pick(r, CONTENT_PAGES) });
    }
    let buys = false;
    if (input.purchase === 'force') {
      if (cart.length === 0) {
        const cat = pickCat();
        addToCart(cat, productView(cat, 'browse'));
      }
      buys = true;
    } else if (cart.length > 0) {
      if (input.purchase === 'natural' && r.next() < clamp(0.15 + 1.1 * p, 0, 0.9)) buys = r.next() < clamp(0.35 + 0.9 * p, 0, 0.95);
      else if (r.next() < 0.35) body.push({ t: 'cartView', items: cart.map((it) => ({ ...it })) });
    }
    if (buys) {
      const items = cart.map((it) => ({ ...it }));
      body.push({ t: 'cartView', items }, { t: 'checkout', items }, { t: 'purchase', items });
    } else if (r.next() < 0.05) body.push({ t: 'link', pageEvent: 102, name: 'instagram', url: 'https://www.instagram.com/scoreflowshop', event: 0 });

    let plan = [...head, ...body];
    if (collapse) {
      const tail = body.slice(Math.max(0, body.length - (COLLAPSED_DEPTH - head.length)));
      const pad: Step[] = [];
      while (head.length + pad.length + tail.length < COLLAPSED_DEPTH) pad.push({ t: 'category', cat: pickCat() });
      plan = [...head, ...pad, ...tail].slice(0, COLLAPSED_DEPTH);
    }

    // ---- rows ----
    let t = Math.max(input.start, lastHit > 0 ? lastHit + 1800 : 0);
    const visitStart = t;
    const engine = pick(r, SEARCH_ENGINES);
    const refRoll = landing.kind === 'campaign' ? 0.95 : r.next();
    const visitRef =
      refRoll < 0.45
        ? { type: '3', url: `https://${engine.domain}/`, domain: engine.domain.replace(/^www\./, ''), engine: String(engine.id) }
        : refRoll < 0.6
          ? { type: '9', url: 'https://www.instagram.com/', domain: 'instagram.com', engine: '0' }
          : refRoll < 0.7
            ? { type: '2', url: 'https://www.fashionblog.example/winter-edit', domain: 'fashionblog.example', engine: '0' }
            : { type: '6', url: '', domain: '', engine: '0' };
    const visit = base.slice();
    visit[C.visit_num] = String(visitNum);
    visit[C.visit_start_time_gmt] = String(visitStart);
    visit[C.visit_referrer] = visitRef.url;
    visit[C.visit_search_engine] = visitRef.engine;
    visit[POST_EVAR[1]!] = loggedThisVisit ? 'logged-in' : 'logged-out';
    visit[PROP[5]!] = visit[POST_EVAR[1]!]!;
    visit[POST_PROP[5]!] = visit[POST_EVAR[1]!]!;
    if (loggedThisVisit) visit[POST_EVAR[3]!] = v.customerId!;
    if (landing.campaign) {
      visit[C.post_campaign] = landing.campaign;
      visit[POST_EVAR[4]!] = landing.campaign;
    }
    let pageNum = 0;
    let prevUrl = '';
    let pageType = '';
    let startPagename = '';
    let startUrl = '';

    for (let si = 0; si < plan.length; si++) {
      const step = plan[si]!;
      if (si > 0) t += 8 + Math.min(900, Math.round(Math.exp(3.2 + 0.8 * r.normal())));
      pageNum++;
      const row = visit.slice();
      const events: (number | string)[] = [];
      let pagename = '';
      let url = '';
      let channel = '';
      let products = '';
      let link: { pageEvent: number; name: string; url: string } | null = null;
      let purchaseItems: Item[] | null = null;
      switch (step.t) {
        case 'landing': {
          if (step.kind === 'home') [pagename, url, channel, pageType] = ['home', `${SITE}/`, 'home', 'home'];
          else if (step.kind === 'search') {
            [pagename, url, channel, pageType] = [`search:results:${step.term}`, `${SITE}/search?q=${encodeURIComponent(step.term)}`, 'search', 'search'];
            events.push(EVENT.internalSearch, evarInstanceEvent(2));
            row[EVAR[2]!] = escapeHitField(step.term);
            visit[POST_EVAR[2]!] = row[EVAR[2]!]!;
            row[PROP[2]!] = row[EVAR[2]!]!;
            row[POST_PROP[2]!] = row[EVAR[2]!]!;
          } else {
            const name = CATEGORIES[step.cat]!.name;
            [pagename, url, channel, pageType] = [`category:${name}`, `${SITE}/c/${name}${step.campaign ? `?cid=${step.campaign}` : ''}`, name, 'category'];
          }
          if (step.campaign) {
            row[C.campaign] = step.campaign;
            row[EVAR[4]!] = step.campaign;
            events.push(EVENT.campaignView, evarInstanceEvent(4));
          }
          row[EVAR[1]!] = visit[POST_EVAR[1]!]!;
          row[EVAR[9]!] = v.device.kind;
          row[EVAR[10]!] = v.experience;
          events.push(evarInstanceEvent(1), evarInstanceEvent(9), evarInstanceEvent(10));
          if (v.consent) {
            row[EVAR[5]!] = v.consent;
            events.push(evarInstanceEvent(5));
          }
          if (loggedThisVisit) {
            row[EVAR[3]!] = v.customerId!;
            events.push(evarInstanceEvent(3));
          }
          row[C.new_visit] = '1';
          row[C.referrer] = visitRef.url;
          row[C.post_referrer] = visitRef.url;
          row[C.ref_type] = visitRef.type;
          row[C.ref_domain] = visitRef.domain;
          row[C.post_search_engine] = visitRef.engine;
          startPagename = pagename;
          startUrl = url;
          break;
        }
        case 'login': {
          [pagename, url, channel, pageType] = ['account:login', `${SITE}/account/login`, 'account', 'account'];
          visit[POST_EVAR[1]!] = 'logged-in';
          visit[POST_EVAR[3]!] = v.customerId!;
          visit[PROP[5]!] = 'logged-in';
          visit[POST_PROP[5]!] = 'logged-in';
          row[POST_EVAR[1]!] = 'logged-in';
          row[POST_EVAR[3]!] = v.customerId!;
          row[PROP[5]!] = 'logged-in';
          row[POST_PROP[5]!] = 'logged-in';
          row[EVAR[1]!] = 'logged-in';
          row[EVAR[3]!] = v.customerId!;
          events.push(EVENT.login, evarInstanceEvent(1), evarInstanceEvent(3));
          break;
        }
        case 'category': {
          const name = CATEGORIES[step.cat]!.name;
          [pagename, url, channel, pageType] = [`category:${name}`, `${SITE}/c/${name}`, name, 'category'];
          break;
        }
        case 'product': {
          const name = CATEGORIES[step.cat]!.name;
          const sku = skuName(step.cat, step.k);
          [pagename, url, channel, pageType] = [`product:${name}:${sku}`, `${SITE}/p/${encodeURIComponent(sku)}`, name, 'product'];
          events.push(EVENT.productView);
          const evars = [`105=${escapeCaret(step.method)}`];
          if (step.variant) evars.push(`106=${escapeCaret(step.variant)}`);
          products = productEntry(step.cat, step.k, '', '', '', evars.join('|'));
          visit[POST_EVAR[6]!] = step.method;
          break;
        }
        case 'search': {
          [pagename, url, channel, pageType] = [`search:results:${step.term}`, `${SITE}/search?q=${encodeURIComponent(step.term)}`, 'search', 'search'];
          events.push(EVENT.internalSearch, evarInstanceEvent(2));
          row[EVAR[2]!] = escapeHitField(step.term);
          visit[POST_EVAR[2]!] = row[EVAR[2]!]!;
          row[PROP[2]!] = row[EVAR[2]!]!;
          row[POST_PROP[2]!] = row[EVAR[2]!]!;
          break;
        }
        case 'content':
          [pagename, url, channel, pageType] = [`content:${step.page}`, `${SITE}/${step.page.replace(':', '/')}`, step.page.split(':')[0]!, 'content'];
          break;
        case 'link':
          link = { pageEvent: step.pageEvent, name: step.name, url: step.url };
          if (step.event) events.push(step.event);
          break;
        case 'cartAdd':
          link = { pageEvent: 100, name: 'add to cart', url: `${SITE}/cart/add` };
          events.push(EVENT.cartAdd);
          if (step.open) events.push(EVENT.cartOpen);
          products = productEntry(step.cat, step.k, '', '', '', '');
          break;
        case 'cartRemove':
          link = { pageEvent: 100, name: 'remove from cart', url: `${SITE}/cart/remove` };
          events.push(EVENT.cartRemove);
          products = productEntry(step.cat, step.k, '', '', '', '');
          break;
        case 'cartView':
          [pagename, url, channel, pageType] = ['cart', `${SITE}/cart`, 'checkout', 'cart'];
          events.push(EVENT.cartView);
          products = cartList(step.items);
          break;
        case 'checkout':
          [pagename, url, channel, pageType] = ['checkout:shipping', `${SITE}/checkout/shipping`, 'checkout', 'checkout'];
          events.push(EVENT.checkout);
          products = cartList(step.items);
          break;
        case 'purchase': {
          [pagename, url, channel, pageType] = ['checkout:confirmation', `${SITE}/checkout/confirmation`, 'checkout', 'confirmation'];
          const totals = purchaseTotals(step.items);
          events.push(EVENT.purchase);
          if (totals.shippingCents > 0) events.push(`${EVENT.shipping}=${price(totals.shippingCents)}`);
          products = step.items
            .map((it, n) =>
              productEntry(
                it.cat,
                it.k,
                String(it.qty),
                price(it.qty * unitPriceCents(it.cat, it.k)),
                n === 0 && totals.shippingCents > 0 ? `${EVENT.shipping}=${price(totals.shippingCents)}` : '',
                '',
              ),
            )
            .join(',');
          const purchaseId = `O${v.index.toString(36).toUpperCase()}-${visitNum}`;
          row[C.purchaseid] = purchaseId;
          row[C.post_purchaseid] = purchaseId;
          purchaseItems = step.items;
          break;
        }
      }
      if (link) {
        row[C.page_event] = String(link.pageEvent - 90); // pre-processing codes: 10 custom, 11 download, 12 exit
        row[C.post_page_event] = String(link.pageEvent);
        row[C.page_event_var1] = link.url;
        row[C.post_page_event_var1] = link.url;
        row[C.page_event_var2] = link.name;
        row[C.post_page_event_var2] = link.name;
      } else {
        row[C.page_event] = '0';
        row[C.post_page_event] = '0';
        row[EVAR[8]!] = pageType;
        visit[POST_EVAR[8]!] = pageType;
        events.push(evarInstanceEvent(8));
        if (step.t !== 'landing') {
          row[C.referrer] = prevUrl;
          row[C.post_referrer] = prevUrl;
          row[C.ref_type] = '1';
          row[C.ref_domain] = SITE_DOMAIN;
          row[C.post_search_engine] = '0';
        }
        if (!(nullColumn && r.next() < NULL_COLUMN_SHARE)) {
          const escaped = escapeHitField(pagename);
          row[C.pagename] = escaped;
          row[C.post_pagename] = escaped;
          row[C.page_url] = url;
          row[C.post_page_url] = url;
        }
        row[C.channel] = channel;
        row[C.post_channel] = channel;
        row[PROP[1]!] = pageType;
        row[POST_PROP[1]!] = pageType;
        row[PROP[3]!] = channel;
        row[POST_PROP[3]!] = channel;
        prevUrl = url;
      }
      row[POST_EVAR[2]!] = visit[POST_EVAR[2]!]!;
      row[POST_EVAR[6]!] = visit[POST_EVAR[6]!]!;
      row[POST_EVAR[8]!] = visit[POST_EVAR[8]!]!;
      const list = eventList(events);
      row[C.event_list] = list;
      row[C.post_event_list] = list;
      if (products) {
        row[C.product_list] = products;
        row[C.post_product_list] = products;
      }
      row[C.visit_page_num] = String(pageNum);
      row[C.visit_start_pagename] = escapeHitField(startPagename);
      row[C.visit_start_page_url] = startUrl;
      row[C.hit_time_gmt] = String(t);
      const cust = String(t - int(r, 3));
      row[C.cust_hit_time_gmt] = cust;
      row[C.post_cust_hit_time_gmt] = cust;
      row[C.date_time] = dateTime(t);
      row[C.hitid_high] = String(uint32(r));
      row[C.hitid_low] = String(uint32(r));
      row[C.last_hit_time_gmt] = String(lastHit);
      row[C.last_purchase_num] = String(purchaseNum);
      row[C.last_purchase_time_gmt] = String(lastPurchaseTime);
      if (si > 0) row[C.new_visit] = '0';
      write(input.day, row, true);
      if (row[C.post_pagename] || row[C.post_page_url]) out.pageViews++;
      lastHit = t;

      if (purchaseItems) {
        const totals = purchaseTotals(purchaseItems);
        out.orders++;
        out.revenueCents += totals.subtotalCents;
        out.units += totals.units;
        purchaseNum++;
        lastPurchaseTime = t;
        if (!collapse && r.next() < 0.05) {
          const dup = row.slice();
          t += 2 + int(r, 20);
          pageNum++;
          dup[C.duplicate_purchase] = '1';
          dup[C.visit_page_num] = String(pageNum);
          dup[C.hit_time_gmt] = String(t);
          dup[C.cust_hit_time_gmt] = String(t);
          dup[C.post_cust_hit_time_gmt] = String(t);
          dup[C.date_time] = dateTime(t);
          dup[C.hitid_low] = String(uint32(r));
          dup[C.last_hit_time_gmt] = String(lastHit);
          write(input.day, dup, true);
          if (dup[C.post_pagename] || dup[C.post_page_url]) out.pageViews++;
          lastHit = t;
        }
      }
      const extra = r.next();
      if (extra < 0.008) {
        const copy = row.slice();
        copy[C.exclude_hit] = String(EXCLUDE_CODES[weightedIndex(r, EXCLUDE_WEIGHTS)]);
        copy[C.hitid_low] = String(uint32(r));
        write(input.day, copy, false);
      } else if (extra < 0.012) {
        const copy = row.slice();
        copy[C.customer_perspective] = '1';
        copy[C.hitid_low] = String(uint32(r));
        copy[C.hit_time_gmt] = String(t + 30 + int(r, 600));
        write(input.day, copy, false);
      }
      lastRow = row;
      lastDay = input.day;
    }
    out.visits++;
  }

  if (lastRow && r.next() < 0.03) {
    const ds = lastRow.slice();
    const cat = weightedIndex(r, v.categoryWeights);
    const k = int(r, SKUS_PER_CATEGORY);
    ds[C.hit_source] = String(pick(r, DATA_SOURCE_CODES));
    for (const c of [C.pagename, C.post_pagename, C.page_url, C.post_page_url, C.page_event_var1, C.post_page_event_var1, C.page_event_var2, C.post_page_event_var2, C.purchaseid, C.post_purchaseid]) ds[c] = '';
    ds[C.page_event] = '0';
    ds[C.post_page_event] = '0';
    ds[C.event_list] = String(EVENT.offlineReturn);
    ds[C.post_event_list] = String(EVENT.offlineReturn);
    const entry = productEntry(cat, k, '1', price(unitPriceCents(cat, k)), '', '');
    ds[C.product_list] = entry;
    ds[C.post_product_list] = entry;
    ds[C.duplicate_purchase] = '0';
    ds[C.hit_time_gmt] = String(lastHit + 3600);
    ds[C.hitid_low] = String(uint32(r));
    write(lastDay, ds, false);
  }
  out.lastHitTime = lastHit;
  return out;
}
