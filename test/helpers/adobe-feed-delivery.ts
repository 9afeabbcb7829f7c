/**
 * Builds small Adobe data feed deliveries for tests: gzip data files from unescaped field values
 * (the backslash layer is applied here, independently of the code under test), a lookup archive
 * and a manifest whose digests, sizes and counts match. Options let a test break any of them.
 */
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, statSync, writeFileSync, chmodSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { c as createTar } from 'tar';

/** The real Adobe delivery committed under test/fixtures (provenance and licence in its README.md). */
export const FIXTURE_DIR = join(import.meta.dirname, '..', 'fixtures', 'adobe-feed-zwitchdev');
export const FIXTURE_MANIFEST = 'zwitchdev_2015-07-13.txt';
export const FIXTURE_DATA = '01-zwitchdev_2015-07-13.tsv.gz';
export const FIXTURE_LOOKUP = 'zwitchdev_2015-07-13-lookup_data.tar.gz';

export const BASE_COLUMNS = [
  'post_visid_high', 'post_visid_low', 'visit_num', 'visit_start_time_gmt', 'visit_page_num', 'hit_time_gmt',
  'post_pagename', 'post_page_url', 'post_page_event', 'post_event_list', 'post_product_list', 'post_purchaseid',
  'exclude_hit', 'hit_source', 'customer_perspective', 'duplicate_purchase', 'post_evar3', 'post_evar5',
];

export type Row = Record<string, string>;

export function tmpDir(prefix = 'scoreflow-feed-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A copy of the read-only fixture delivery, writable. */
export function copyFixture(): string {
  const dir = tmpDir('scoreflow-fixture-');
  cpSync(FIXTURE_DIR, dir, { recursive: true });
  for (const f of readdirSync(dir)) chmodSync(join(dir, f), 0o644);
  return dir;
}

/** Adobe's backslash layer, written out here independently of hit-data-lexer.ts. */
export function escapeField(value: string): string {
  let out = '';
  for (const ch of value) out += ch === '\\' || ch === '\t' || ch === '\n' || ch === '\r' ? `\\${ch}` : ch;
  return out;
}

export function hitLine(columns: string[], row: Row): string {
  return `${columns.map((c) => escapeField(row[c] ?? '')).join('\t')}\n`;
}

export function md5(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('hex');
}

export interface DataFileSpec {
  name?: string;
  /** Rows as unescaped values by column; or `raw` lines for records a test wants malformed. */
  rows?: Row[];
  raw?: string;
  /** Record-Count to declare instead of the true one. */
  declaredRecords?: number;
  /** The file's bytes as delivered, instead of the gzip of the rows (the manifest still matches them). */
  fileBytes?: Buffer;
}

export interface DeliverySpec {
  dir?: string;
  rsid?: string;
  date?: string;
  columns?: string[];
  files: DataFileSpec[];
  /** Omit event.tsv or column_headers.tsv from the lookup archive. */
  omitLookup?: 'event.tsv' | 'column_headers.tsv';
  events?: string;
}

export interface BuiltDelivery {
  dir: string;
  manifestFile: string;
  deliveryId: string;
  dataFiles: string[];
  lookupFile: string;
}

export async function writeDelivery(spec: DeliverySpec): Promise<BuiltDelivery> {
  const dir = spec.dir ?? tmpDir();
  const rsid = spec.rsid ?? 'testrsid';
  const date = spec.date ?? '2024-05-01';
  const columns = spec.columns ?? BASE_COLUMNS;
  const dataSections: string[] = [];
  const dataFiles: string[] = [];
  let total = 0;
  spec.files.forEach((f, i) => {
    const name = f.name ?? `${String(i + 1).padStart(2, '0')}-${rsid}_${date}.tsv.gz`;
    const text = f.raw ?? (f.rows ?? []).map((r) => hitLine(columns, r)).join('');
    const bytes = f.fileBytes ?? gzipSync(Buffer.from(text, 'latin1'));
    writeFileSync(join(dir, name), bytes);
    const records = f.declaredRecords ?? (f.raw !== undefined ? countRecords(Buffer.from(text, 'latin1')) : (f.rows ?? []).length);
    total += records;
    dataFiles.push(name);
    dataSections.push(`Data-File: ${name}\nMD5-Digest: ${md5(bytes)}\nFile-Size: ${bytes.length}\nRecord-Count: ${records}\n`);
  });
  const stage = tmpDir('scoreflow-lookup-');
  const entries: string[] = [];
  if (spec.omitLookup !== 'column_headers.tsv') {
    writeFileSync(join(stage, 'column_headers.tsv'), `${columns.join('\t')}\n`, 'latin1');
    entries.push('column_headers.tsv');
  }
  if (spec.omitLookup !== 'event.tsv') {
    writeFileSync(join(stage, 'event.tsv'), spec.events ?? '1\tPurchase\n2\tProduct View\n12\tCart Add\n200\tInstance of Event 1\n', 'latin1');
    entries.push('event.tsv');
  }
  writeFileSync(join(stage, 'browser.tsv'), '1\tSome Browser\n', 'latin1');
  entries.push('browser.tsv');
  const lookupFile = `${rsid}_${date}-lookup_data.tar.gz`;
  await createTar({ gzip: true, file: join(dir, lookupFile), cwd: stage }, entries);
  rmSync(stage, { recursive: true, force: true });
  const lookupBytes = readFileSync(join(dir, lookupFile));
  const manifest = [
    `Datafeed-Manifest-Version: 1.0\nLookup-Files: 1\nData-Files: ${spec.files.length}\nTotal-Records: ${total}\n`,
    `Lookup-File: ${lookupFile}\nMD5-Digest: ${md5(lookupBytes)}\nFile-Size: ${statSync(join(dir, lookupFile)).size}\n`,
    ...dataSections,
  ].join('\n');
  const manifestFile = `${rsid}_${date}.txt`;
  writeFileSync(join(dir, manifestFile), manifest);
  return { dir, manifestFile, deliveryId: `${rsid}_${date}`, dataFiles, lookupFile };
}

/** Records in escaped hit data, counted with a naive byte walk (independent of the lexer). */
export function countRecords(bytes: Buffer): number {
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x5c) i++;
    else if (bytes[i] === 0x0a) n++;
  }
  return n;
}

/** A plausible hit: page view of visitor (high, low), visit 1. Override any column. */
export function hit(over: Row = {}): Row {
  return {
    post_visid_high: '3085510024563356709',
    post_visid_low: '6917529589236548608',
    visit_num: '1',
    visit_start_time_gmt: '1714521600',
    visit_page_num: '1',
    hit_time_gmt: '1714521600',
    post_pagename: 'home',
    post_page_url: 'https://shop.example.com/',
    post_page_event: '0',
    post_event_list: '',
    post_product_list: ';;;;',
    post_purchaseid: '',
    exclude_hit: '0',
    hit_source: '1',
    customer_perspective: '0',
    duplicate_purchase: '0',
    post_evar3: '',
    post_evar5: '',
    ...over,
  };
}
