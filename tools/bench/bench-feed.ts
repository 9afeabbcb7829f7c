/**
 * A synthetic Adobe data feed delivery for the ingest benchmark only (the product's sample feed
 * generator is tools/feed-generator/generator.ts). It is shaped like a real feed where the parser's
 * cost lies: ~110 columns, ISO-8859-1 text, backslash escapes (tabs, newlines, backslashes inside
 * fields), caret escapes in product lists, purchase/product/cart events, excluded hits, and
 * 19-digit visitor id halves. Output: manifest, gzip data file(s) and a lookup archive holding
 * column_headers.tsv and event.tsv, exactly as Adobe lays out a daily delivery.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import { c as createTar } from 'tar';
import { createRandom, type SeededRandom } from '../feed-generator/seeded-random.ts';

export interface BenchFeedOptions {
  out: string;
  records: number;
  seed?: number;
  files?: number;
  rsid?: string;
  date?: string;
}

export interface BenchFeed {
  dir: string;
  manifestFile: string;
  columns: string[];
  records: number;
  dataFiles: string[];
}

const range = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

export const BENCH_COLUMNS = [
  'accept_language', 'browser', 'color', 'connection_type', 'country', 'date_time', 'domain',
  ...range('evar', 20),
  'exclude_hit', 'hit_source', 'customer_perspective', 'duplicate_purchase',
  'first_hit_pagename', 'first_hit_page_url', 'first_hit_referrer', 'first_hit_time_gmt',
  'geo_city', 'geo_country', 'geo_region', 'geo_zip', 'hit_time_gmt', 'hitid_high', 'hitid_low', 'ip',
  'javascript', 'language', 'last_hit_time_gmt', 'mcvisid', 'new_visit', 'os', 'plugins',
  'post_browser_height', 'post_browser_width', 'post_campaign', 'post_channel', 'post_cookies', 'post_currency',
  'post_cust_hit_time_gmt', ...range('post_evar', 20), 'post_event_list', 'post_page_event', 'post_pagename',
  'post_page_url', 'post_product_list', ...range('post_prop', 10), 'post_purchaseid', 'post_referrer',
  'post_visid_high', 'post_visid_low', 'post_visid_type', 'prev_page', 'ref_domain', 'ref_type', 'resolution',
  'user_agent', 'visit_num', 'visit_page_num', 'visit_referrer', 'visit_start_pagename', 'visit_start_page_url',
  'visit_start_time_gmt',
];

const EVENTS_TSV = [
  '1\tPurchase', '2\tProduct View', '10\tCart Open', '11\tCheckout', '12\tCart Add', '13\tCart Remove', '14\tCart View', '20\tCampaign View',
  ...Array.from({ length: 100 }, (_, i) => `${100 + i}\tInstance of eVar${i + 1}`),
  ...Array.from({ length: 100 }, (_, i) => `${200 + i}\tCustom Event ${i + 1}`),
].join('\n');

const SECTIONS = ['home', 'shoes', 'boots', 'sandals', 'bags', 'sale', 'account', 'checkout', 'search', 'help'];
const CITIES = ['berlin', 'zürich', 'são paulo', 'münchen', 'paris', 'london', 'new york', 'köln', 'montréal', 'osaka'];
const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
];
const CATEGORIES = ['Shoes', 'Boots^, Winter', 'Bags', 'Sandals', 'Sale^; Outlet'];

/** The backslash layer, as Adobe writes it. */
function esc(s: string): string {
  return /[\\\t\n\r]/.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => `\\${c}`) : s;
}

function digits(r: SeededRandom, n: number): string {
  let s = String(1 + Math.floor(r.next() * 9));
  while (s.length < n) s += String(Math.floor(r.next() * 10));
  return s;
}

function pick<T>(r: SeededRandom, xs: readonly T[]): T {
  return xs[Math.floor(r.next() * xs.length)]!;
}

class RecordWriter {
  private readonly idx = new Map<string, number>();
  readonly row: string[];
  constructor(columns: string[]) {
    columns.forEach((c, i) => this.idx.set(c, i));
    this.row = columns.map(() => '');
  }
  set(col: string, v: string | number): void {
    this.row[this.idx.get(col)!] = typeof v === 'number' ? String(v) : v;
  }
  line(): string {
    return `${this.row.join('\t')}\n`;
  }
}

async function writeDataFile(path: string, r: SeededRandom, records: number, dayStart: number): Promise<void> {
  const gz = createGzip({ level: 6 });
  const out = createWriteStream(path);
  gz.pipe(out);
  const w = new RecordWriter(BENCH_COLUMNS);
  let written = 0;
  let chunk = '';
  const flush = async () => {
    if (!gz.write(Buffer.from(chunk, 'latin1'))) await once(gz, 'drain');
    chunk = '';
  };
  while (written < records) {
    const high = digits(r, 19);
    const low = digits(r, 18 + Math.floor(r.next() * 2));
    const visits = 1 + Math.floor(r.next() * 3);
    const city = pick(r, CITIES);
    const agent = pick(r, AGENTS);
    const customer = r.next() < 0.4 ? `C${digits(r, 8)}` : '';
    const consent = r.next() < 0.8 ? 'marketing=1|personalization=1' : 'marketing=0|personalization=1';
    for (let v = 1; v <= visits && written < records; v++) {
      const visitStart = dayStart + Math.floor(r.next() * 86000);
      const hits = 1 + Math.floor(r.next() * 12);
      let t = visitStart;
      let prev = '';
      for (let h = 1; h <= hits && written < records; h++) {
        t += Math.floor(r.next() * 90);
        const section = pick(r, SECTIONS);
        const page = `${section}:${h % 4 === 0 ? 'detail' : 'list'}:${Math.floor(r.next() * 500)}`;
        const url = `https://shop.example.com/${section}/${Math.floor(r.next() * 500)}?ref=${Math.floor(r.next() * 1e6)}`;
        const roll = r.next();
        let events = '';
        let products = ';;;;';
        let purchaseId = '';
        if (roll < 0.03) {
          const n = 1 + Math.floor(r.next() * 3);
          const items: string[] = [];
          for (let k = 0; k < n; k++) {
            const qty = 1 + Math.floor(r.next() * 3);
            items.push(`${pick(r, CATEGORIES)};SKU-${Math.floor(r.next() * 900)};${qty};${(qty * (5 + Math.floor(r.next() * 19500) / 100)).toFixed(2)};200=1;101=red^=dark|102=size 42`);
          }
          events = '1,200=1.5,201';
          products = items.join(',');
          purchaseId = `P${digits(r, 12)}`;
        } else if (roll < 0.15) {
          events = pick(r, ['2', '2,12', '12,14', '13', '10,12', '11']);
          products = `${pick(r, CATEGORIES)};SKU-${Math.floor(r.next() * 900)};;;;101=blue`;
        } else if (roll < 0.5) {
          events = '100,101';
        }
        const pageEvent = r.next() < 0.9 ? 0 : pick(r, [100, 101, 102]);
        w.set('accept_language', 'en-US,en;q=0.9');
        w.set('browser', 1000 + Math.floor(r.next() * 50));
        w.set('color', 6);
        w.set('connection_type', 2);
        w.set('country', 100 + Math.floor(r.next() * 50));
        w.set('date_time', new Date(t * 1000).toISOString().slice(0, 19).replace('T', ' '));
        w.set('domain', 'example.net');
        for (let e = 1; e <= 20; e++) {
          const val = e === 2 && r.next() < 0.02 ? esc(`search\tterm\nwith \\ escapes ${Math.floor(r.next() * 100)}`) : e <= 6 ? `v${e}-${Math.floor(r.next() * 30)}` : '';
          w.set(`evar${e}`, val);
          w.set(`post_evar${e}`, e === 3 ? customer : e === 5 ? consent : val);
        }
        const ex = r.next();
        w.set('exclude_hit', ex < 0.005 ? 4 : 0);
        w.set('hit_source', ex > 0.998 ? 5 : 1);
        w.set('customer_perspective', ex > 0.995 && ex <= 0.998 ? 1 : 0);
        w.set('duplicate_purchase', 0);
        w.set('first_hit_pagename', 'home:list:1');
        w.set('first_hit_page_url', 'https://shop.example.com/');
        w.set('first_hit_referrer', 'https://www.google.com/');
        w.set('first_hit_time_gmt', visitStart - 86400);
        w.set('geo_city', city);
        w.set('geo_country', 'deu');
        w.set('geo_region', 'be');
        w.set('geo_zip', '10115');
        w.set('hit_time_gmt', t);
        w.set('hitid_high', digits(r, 19));
        w.set('hitid_low', digits(r, 18));
        w.set('ip', `10.${Math.floor(r.next() * 255)}.${Math.floor(r.next() * 255)}.1`);
        w.set('javascript', 1);
        w.set('language', 5);
        w.set('last_hit_time_gmt', h === 1 ? 0 : t - 30);
        w.set('mcvisid', `${high.padStart(19, '0')}${low.padStart(19, '0')}`);
        w.set('new_visit', h === 1 ? 1 : 0);
        w.set('os', 4000 + Math.floor(r.next() * 40));
        w.set('plugins', '');
        w.set('post_browser_height', 900);
        w.set('post_browser_width', 1440);
        w.set('post_campaign', r.next() < 0.1 ? 'spring_sale' : '');
        w.set('post_channel', section);
        w.set('post_cookies', 'Y');
        w.set('post_currency', 'EUR');
        w.set('post_cust_hit_time_gmt', t);
        w.set('post_event_list', events);
        w.set('post_page_event', pageEvent);
        w.set('post_pagename', pageEvent === 0 ? page : '');
        w.set('post_page_url', url);
        w.set('post_product_list', products);
        for (let p = 1; p <= 10; p++) w.set(`post_prop${p}`, p <= 3 ? `${section}-${p}` : '');
        w.set('post_purchaseid', purchaseId);
        w.set('post_referrer', prev);
        w.set('post_visid_high', high);
        w.set('post_visid_low', low);
        w.set('post_visid_type', 5);
        w.set('prev_page', prev);
        w.set('ref_domain', h === 1 ? 'www.google.com' : 'shop.example.com');
        w.set('ref_type', h === 1 ? 4 : 1);
        w.set('resolution', 12);
        w.set('user_agent', agent);
        w.set('visit_num', v);
        w.set('visit_page_num', h);
        w.set('visit_referrer', 'https://www.google.com/');
        w.set('visit_start_pagename', 'home:list:1');
        w.set('visit_start_page_url', 'https://shop.example.com/');
        w.set('visit_start_time_gmt', visitStart);
        prev = url;
        chunk += w.line();
        written++;
        if (chunk.length > 1 << 20) await flush();
      }
    }
  }
  await flush();
  gz.end();
  await once(out, 'close');
}

async function md5(path: string): Promise<string> {
  const { createReadStream } = await import('node:fs');
  const h = createHash('md5');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest('hex');
}

/** Writes a complete delivery (manifest last) into `out`. */
export async function writeBenchFeed(o: BenchFeedOptions): Promise<BenchFeed> {
  const rsid = o.rsid ?? 'benchrsid';
  const date = o.date ?? '2024-05-01';
  const files = Math.max(1, o.files ?? 2);
  const r = createRandom(o.seed ?? 7);
  await mkdir(o.out, { recursive: true });
  const dayStart = Date.parse(`${date}T00:00:00Z`) / 1000;
  const dataFiles: { name: string; records: number }[] = [];
  for (let f = 0; f < files; f++) {
    const records = Math.floor(o.records / files) + (f < o.records % files ? 1 : 0);
    const name = `${String(f + 1).padStart(2, '0')}-${rsid}_${date}.tsv.gz`;
    await writeDataFile(join(o.out, name), r, records, dayStart);
    dataFiles.push({ name, records });
  }
  const stage = await mkdtemp(join(tmpdir(), 'bench-lookup-'));
  const lookupName = `${rsid}_${date}-lookup_data.tar.gz`;
  try {
    await writeFile(join(stage, 'column_headers.tsv'), `${BENCH_COLUMNS.join('\t')}\n`, 'latin1');
    await writeFile(join(stage, 'event.tsv'), `${EVENTS_TSV}\n`, 'latin1');
    await createTar({ gzip: true, file: join(o.out, lookupName), cwd: stage }, ['column_headers.tsv', 'event.tsv']);
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
  const section = async (key: string, name: string, extra = '') => {
    const path = join(o.out, name);
    return `${key}: ${name}\nMD5-Digest: ${await md5(path)}\nFile-Size: ${(await stat(path)).size}\n${extra}`;
  };
  const parts = [
    `Datafeed-Manifest-Version: 1.0\nLookup-Files: 1\nData-Files: ${dataFiles.length}\nTotal-Records: ${o.records}\n`,
    await section('Lookup-File', lookupName),
    ...(await Promise.all(dataFiles.map((d) => section('Data-File', d.name, `Record-Count: ${d.records}\n`)))),
  ];
  const manifestFile = `${rsid}_${date}.txt`;
  await writeFile(join(o.out, manifestFile), parts.join('\n'));
  return { dir: o.out, manifestFile, columns: BENCH_COLUMNS, records: o.records, dataFiles: dataFiles.map((d) => d.name) };
}
