/**
 * Bad-input corpus: Adobe data feed deliveries (manifests, data files, lookup archives, records).
 * Each case builds one small delivery that is wrong in exactly one way and says what the ingest must
 * answer: the file the message starts with and a pattern for the reason (and, where the fix is not
 * obvious, what to do). feed.corpus.test.ts runs them through ingestDirectory, the entry point of
 * `scoreflow ingest`, and checks that nothing of the delivery is left in the database.
 */
import { mkdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { BASE_COLUMNS, hit, hitLine, md5, writeDelivery, type BuiltDelivery, type DeliverySpec, type Row } from '../helpers/adobe-feed-delivery.ts';

export interface FeedCaseContext {
  dir: string;
  rsid: string;
}

export interface FeedCase {
  name: string;
  /** Writes the delivery into ctx.dir; returns its delivery id and manifest name. */
  build(ctx: FeedCaseContext): Promise<{ deliveryId: string; manifestFile: string }>;
  /** The file the message must name first (a function of the built delivery's names). */
  file: (d: { deliveryId: string; manifestFile: string; rsid: string }) => string;
  /** The reason, as a pattern on the message after the file name. */
  reason: RegExp;
  /** Ingest options (e.g. maxQuarantineShare 0, so one bad record rejects the delivery). */
  options?: { customerIdColumn?: string; consentColumn?: string; maxQuarantineShare?: number; encoding?: 'auto' | 'utf-8' | 'iso-8859-1' };
  /** 'rejected' (default): in out.rejected; 'withoutManifest': reported as waiting for its manifest. */
  outcome?: 'rejected' | 'withoutManifest';
}

const DATE = '2024-05-01';
const strict = { maxQuarantineShare: 0 };

async function build(ctx: FeedCaseContext, spec: Partial<DeliverySpec> = {}): Promise<BuiltDelivery> {
  return writeDelivery({ dir: ctx.dir, rsid: ctx.rsid, date: DATE, files: [{ rows: [hit(), hit({ visit_page_num: '2' })] }], ...spec });
}

/** Rewrites the manifest text of a built delivery. */
function editManifest(d: BuiltDelivery, edit: (text: string) => string): void {
  const path = join(d.dir, d.manifestFile);
  writeFileSync(path, edit(readFileSync(path, 'latin1')), 'latin1');
}

/** Replaces a data file's bytes and re-states its size and digest in the manifest (a consistent but bad file). */
function replaceDataFile(d: BuiltDelivery, bytes: Buffer, records?: number): void {
  const name = d.dataFiles[0]!;
  const path = join(d.dir, name);
  const oldBytes = readFileSync(path);
  writeFileSync(path, bytes);
  editManifest(d, (t) => {
    let out = t.replace(md5(oldBytes), md5(bytes)).replace(`Data-File: ${name}\nMD5-Digest: ${md5(bytes)}\nFile-Size: ${oldBytes.length}`, `Data-File: ${name}\nMD5-Digest: ${md5(bytes)}\nFile-Size: ${bytes.length}`);
    if (records !== undefined) out = out.replace(/Record-Count: \d+/, `Record-Count: ${records}`).replace(/Total-Records: \d+/, `Total-Records: ${records}`);
    return out;
  });
}

/** Replaces the lookup archive's bytes, manifest updated to match. */
function replaceLookup(d: BuiltDelivery, bytes: Buffer): void {
  const path = join(d.dir, d.lookupFile);
  const oldBytes = readFileSync(path);
  writeFileSync(path, bytes);
  editManifest(d, (t) => t.replace(md5(oldBytes), md5(bytes)).replace(`File-Size: ${oldBytes.length}\n`, `File-Size: ${bytes.length}\n`));
}

const ids = (d: BuiltDelivery) => ({ deliveryId: d.deliveryId, manifestFile: d.manifestFile });

/** A case whose only change is to the manifest text. */
function manifestCase(name: string, edit: (text: string, d: BuiltDelivery) => string, reason: RegExp): FeedCase {
  return {
    name: `manifest: ${name}`,
    async build(ctx) {
      const d = await build(ctx);
      editManifest(d, (t) => edit(t, d));
      return ids(d);
    },
    file: (d) => d.manifestFile,
    reason,
  };
}

/** A case with one bad record among good ones; with maxQuarantineShare 0 it rejects the delivery naming the file and record. */
function recordCase(name: string, row: Row | string, reason: RegExp, columns?: string[]): FeedCase {
  return {
    name: `record: ${name}`,
    async build(ctx) {
      const cols = columns ?? BASE_COLUMNS;
      const bad = typeof row === 'string' ? row : hitLine(cols, row);
      const raw = hitLine(cols, hit()) + bad + hitLine(cols, hit({ visit_page_num: '3' }));
      return ids(await build(ctx, { columns: cols, files: [{ raw }] }));
    },
    file: (d) => `01-${d.rsid}_${DATE}.tsv.gz`,
    reason: new RegExp(`at least 1 of 3 records quarantined .*above maxQuarantineShare 0%\\. First: .* record 2: ${reason.source}.*Fix the feed export and re-deliver`),
    options: strict,
  };
}

const dataFile = (d: { rsid: string }) => `01-${d.rsid}_${DATE}.tsv.gz`;
const lookupFile = (d: { rsid: string }) => `${d.rsid}_${DATE}-lookup_data.tar.gz`;

export const FEED_CASES: FeedCase[] = [
  // The manifest itself.
  manifestCase('a line without a colon', (t) => t.replace('Lookup-Files: 1', 'Lookup-Files 1'), /line 2 is not a "Key: Value" line.*re-deliver/),
  manifestCase('a key repeated in a section', (t) => t.replace('Data-Files: 1\n', 'Data-Files: 1\nData-Files: 1\n'), /line 4 repeats key "Data-Files"/),
  manifestCase('no Total-Records', (t) => t.replace(/Total-Records: \d+\n/, ''), /the header .*has no Total-Records/),
  manifestCase('Total-Records not a number', (t) => t.replace(/Total-Records: \d+/, 'Total-Records: two'), /line 4: Total-Records must be a non-negative integer\. The manifest is damaged/),
  manifestCase('a negative File-Size', (t) => t.replace(/File-Size: (\d+)\nRecord-Count/, 'File-Size: -$1\nRecord-Count'), /line \d+: File-Size must be a non-negative integer/),
  manifestCase('an MD5-Digest that is not 32 hex digits', (t) => t.replace(/MD5-Digest: ([0-9a-f]{32})\nFile-Size: (\d+)\nRecord/, 'MD5-Digest: $1zz\nFile-Size: $2\nRecord'), /line \d+: MD5-Digest of 01-.* is not 32 hex digits/),
  manifestCase('a Data-File that is a path (traversal)', (t, d) => t.replace(`Data-File: ${d.dataFiles[0]}`, `Data-File: ../${d.dataFiles[0]}`), /line \d+: Data-File must be a plain file name in the delivery folder\. Fix or re-deliver the manifest/),
  manifestCase('a Lookup-File with a backslash', (t, d) => t.replace(`Lookup-File: ${d.lookupFile}`, `Lookup-File: sub\\${d.lookupFile}`), /line 6: Lookup-File must be a plain file name/),
  manifestCase('Lookup-Files disagrees with the sections', (t) => t.replace('Lookup-Files: 1', 'Lookup-Files: 2'), /Lookup-Files says 2 but 1 Lookup-File section\(s\) follow/),
  manifestCase('Data-Files disagrees with the sections', (t) => t.replace('Data-Files: 1', 'Data-Files: 3'), /Data-Files says 3 but 1 Data-File section\(s\) follow/),
  manifestCase('Total-Records is not the sum of Record-Count', (t) => t.replace(/Total-Records: \d+/, 'Total-Records: 9'), /Total-Records is 9 but the data files' Record-Count values add up to 2/),
  manifestCase('a Data-File section without Record-Count', (t) => t.replace(/Record-Count: \d+\n?/, ''), /Data-File 01-.* has no Record-Count/),
  manifestCase('a section that is neither lookup nor data', (t) => `${t}\nSome-Thing: x\n`, /the section at line \d+ is neither a Lookup-File nor a Data-File section/),
  manifestCase('a file listed twice', (t, d) => {
    const section = t.slice(t.indexOf(`Data-File: ${d.dataFiles[0]}`));
    return t.replace('Data-Files: 1', 'Data-Files: 2').replace(/Total-Records: \d+/, 'Total-Records: 4') + `\n${section}`;
  }, /01-.* is listed twice/),
  manifestCase('no header section (starts with a file section)', (t) => t.slice(t.indexOf('Lookup-File:')), /the manifest has no header section/),
  manifestCase('empty', () => '', /the manifest has no header section/),
  manifestCase('Lookup-Files 0 with data files', (t, d) => t.replace('Lookup-Files: 1', 'Lookup-Files: 0').replace(new RegExp(`Lookup-File: ${d.lookupFile}\\nMD5-Digest: \\w+\\nFile-Size: \\d+\\n\\n`), ''), /the manifest lists no lookup archive, so column_headers\.tsv and event\.tsv are missing/),
  {
    name: 'manifest: a symbolic link to a file that does not exist',
    async build(ctx) {
      const d = await build(ctx);
      unlinkSync(join(d.dir, d.manifestFile));
      symlinkSync(join(d.dir, 'gone', d.manifestFile), join(d.dir, d.manifestFile));
      return ids(d);
    },
    file: (d) => d.manifestFile,
    reason: /the manifest is a symbolic link to a file that does not exist\. Fix the link or copy the manifest/,
  },
  {
    name: 'manifest: a folder where the manifest should be',
    async build(ctx) {
      const d = await build(ctx);
      unlinkSync(join(d.dir, d.manifestFile));
      mkdirSync(join(d.dir, d.manifestFile));
      return ids(d);
    },
    file: (d) => d.manifestFile,
    reason: /the manifest is not a file \(a folder\)/,
  },
  {
    name: 'manifest: missing while the data files and lookup archive are there',
    async build(ctx) {
      const d = await build(ctx);
      unlinkSync(join(d.dir, d.manifestFile));
      return ids(d);
    },
    file: (d) => d.manifestFile,
    reason: /the manifest is missing from .*, but its files are there \(01-.*\.tsv\.gz, .*-lookup_data\.tar\.gz\); nothing of the delivery was loaded\. Adobe writes the manifest last/,
    outcome: 'withoutManifest',
  },

  // Files against the manifest.
  {
    name: 'data file: listed but missing',
    async build(ctx) {
      const d = await build(ctx);
      unlinkSync(join(d.dir, d.dataFiles[0]!));
      return ids(d);
    },
    file: dataFile,
    reason: /listed in the manifest but missing from .*re-deliver the file/,
  },
  {
    name: 'data file: size differs from File-Size',
    async build(ctx) {
      const d = await build(ctx);
      writeFileSync(join(d.dir, d.dataFiles[0]!), Buffer.concat([readFileSync(join(d.dir, d.dataFiles[0]!)), Buffer.from('x')]));
      return ids(d);
    },
    file: dataFile,
    reason: /File-Size mismatch \(manifest \d+ bytes, file \d+ bytes\)\. The transfer is broken/,
  },
  {
    name: 'data file: same size, different bytes (MD5)',
    async build(ctx) {
      const d = await build(ctx);
      const path = join(d.dir, d.dataFiles[0]!);
      const bytes = readFileSync(path);
      bytes.writeUInt8(bytes.readUInt8(bytes.length - 5) ^ 0xff, bytes.length - 5);
      writeFileSync(path, bytes);
      return ids(d);
    },
    file: dataFile,
    reason: /MD5 digest mismatch \(manifest [0-9a-f]{32}, file [0-9a-f]{32}\)/,
  },
  {
    name: 'data file: not gzip at all',
    async build(ctx) {
      const d = await build(ctx);
      replaceDataFile(d, Buffer.from(hitLine(BASE_COLUMNS, hit())));
      return ids(d);
    },
    file: dataFile,
    reason: /not a valid gzip file after record 0 .*Re-deliver the file/,
  },
  {
    name: 'data file: truncated gzip',
    async build(ctx) {
      const d = await build(ctx);
      const full = gzipSync(Buffer.from(hitLine(BASE_COLUMNS, hit()).repeat(40)));
      replaceDataFile(d, full.subarray(0, full.length - 12), 40);
      return ids(d);
    },
    file: dataFile,
    reason: /not a valid gzip file after record \d+ \(unexpected end of file\)/,
  },
  {
    name: 'data file: fewer records than Record-Count',
    async build(ctx) {
      return ids(await build(ctx, { files: [{ rows: [hit()], declaredRecords: 3 }] }));
    },
    file: dataFile,
    reason: /Record-Count mismatch \(manifest 3, file 1 records\)/,
  },
  {
    name: 'data file: an empty file where records are declared',
    async build(ctx) {
      return ids(await build(ctx, { files: [{ raw: '', declaredRecords: 2 }] }));
    },
    file: dataFile,
    reason: /Record-Count mismatch \(manifest 2, file 0 records\)/,
  },
  {
    name: 'lookup archive: listed but missing',
    async build(ctx) {
      const d = await build(ctx);
      unlinkSync(join(d.dir, d.lookupFile));
      return ids(d);
    },
    file: lookupFile,
    reason: /listed in the manifest but missing from/,
  },
  {
    name: 'lookup archive: a plain-text file, not gzip',
    async build(ctx) {
      const d = await build(ctx);
      replaceLookup(d, Buffer.from('column_headers.tsv\tevent.tsv\n'));
      return ids(d);
    },
    file: lookupFile,
    reason: /the lookup archive is not gzip \(it starts with bytes 636f, not the gzip signature 1f8b\); a lookup archive is a tar\.gz\. Re-deliver/,
  },
  {
    name: 'lookup archive: an uncompressed tar',
    async build(ctx) {
      const d = await build(ctx);
      const { gunzipSync } = await import('node:zlib');
      replaceLookup(d, gunzipSync(readFileSync(join(d.dir, d.lookupFile))));
      return ids(d);
    },
    file: lookupFile,
    reason: /the lookup archive is not gzip \(it starts with bytes [0-9a-f]{4}, not the gzip signature 1f8b\)/,
  },
  {
    name: 'lookup archive: empty file',
    async build(ctx) {
      const d = await build(ctx);
      replaceLookup(d, Buffer.alloc(0));
      return ids(d);
    },
    file: lookupFile,
    reason: /the lookup archive is not gzip \(it is empty\)/,
  },
  {
    name: 'lookup archive: gzip of something that is not a tar',
    async build(ctx) {
      const d = await build(ctx);
      replaceLookup(d, gzipSync(Buffer.from('just some text, no tar headers here\n')));
      return ids(d);
    },
    file: lookupFile,
    reason: /the lookup archive cannot be read as tar\.gz \(.*\)\. Re-deliver the lookup archive/,
  },
  {
    name: 'lookup: column_headers.tsv missing from the archive',
    build: async (ctx) => ids(await build(ctx, { omitLookup: 'column_headers.tsv' })),
    file: lookupFile,
    reason: /required lookup column_headers\.tsv is missing from the lookup archive/,
  },
  {
    name: 'lookup: event.tsv missing from the archive',
    build: async (ctx) => ids(await build(ctx, { omitLookup: 'event.tsv' })),
    file: lookupFile,
    reason: /required lookup event\.tsv is missing from the lookup archive/,
  },
  {
    name: 'lookup: a column named twice in column_headers.tsv',
    build: async (ctx) => ids(await build(ctx, { columns: [...BASE_COLUMNS, 'post_pagename'], files: [{ rows: [hit()] }] })),
    file: lookupFile,
    reason: /column_headers\.tsv names column post_pagename twice/,
  },
  {
    name: 'lookup: an empty column name in column_headers.tsv',
    build: async (ctx) => ids(await build(ctx, { columns: [...BASE_COLUMNS, ''], files: [{ rows: [hit()] }] })),
    file: lookupFile,
    reason: /column_headers\.tsv has an empty column name/,
  },
  {
    name: 'lookup: a required column (visit_num) missing',
    build: async (ctx) => ids(await build(ctx, { columns: BASE_COLUMNS.filter((c) => c !== 'visit_num'), files: [{ rows: [hit()] }] })),
    file: lookupFile,
    reason: /column_headers\.tsv: required column\(s\) visit_num missing\. Add them to the data feed's column set/,
  },
  {
    name: 'lookup: no hit time column at all',
    build: async (ctx) => ids(await build(ctx, { columns: BASE_COLUMNS.filter((c) => c !== 'hit_time_gmt'), files: [{ rows: [hit()] }] })),
    file: lookupFile,
    reason: /column_headers\.tsv: no hit time column \(hit_time_gmt, post_cust_hit_time_gmt, cust_hit_time_gmt, date_time\)/,
  },
  {
    name: 'options: customerIdColumn names a column the feed lacks',
    build: async (ctx) => ids(await build(ctx)),
    file: lookupFile,
    reason: /column_headers\.tsv: customerIdColumn names column post_evar99, which this feed does not have\. Fix customerIdColumn in the pipeline config/,
    options: { customerIdColumn: 'post_evar99' },
  },
  {
    name: 'options: consentColumn names a column the feed lacks',
    build: async (ctx) => ids(await build(ctx)),
    file: lookupFile,
    reason: /column_headers\.tsv: consentColumn names column post_evar77, which this feed does not have/,
    options: { consentColumn: 'post_evar77' },
  },

  // Records (one bad record; maxQuarantineShare 0 rejects the delivery and names it).
  recordCase('one field too many', `${hitLine(BASE_COLUMNS, hit()).slice(0, -1)}\textra\n`, /has 19 fields, column_headers\.tsv has 18/),
  recordCase('one field too few', `${BASE_COLUMNS.slice(1).map(() => '1').join('\t')}\n`, /has 17 fields, column_headers\.tsv has 18/),
  recordCase('CRLF line ending (Windows conversion)', hitLine(BASE_COLUMNS, hit()).replace(/\n$/, '\r\n'), /the record ends with CR LF \(Windows line endings\).*re-deliver it unconverted/),
  recordCase('visit_num not a number', hit({ visit_num: 'one' }), /visit_num is not a non-negative integer/),
  recordCase('visit_start_time_gmt negative', hit({ visit_start_time_gmt: '-5' }), /visit_start_time_gmt is not a non-negative integer/),
  recordCase('post_visid_high not decimal', hit({ post_visid_high: 'abc' }), /post_visid_high is not an unsigned decimal number/),
  recordCase('post_visid_low empty', hit({ post_visid_low: '' }), /post_visid_low is not an unsigned decimal number/),
  recordCase('no hit time', hit({ hit_time_gmt: '' }), /has no hit time/),
  recordCase('NUL byte in post_pagename', hit({ post_pagename: 'ho\0me' }), /post_pagename holds a NUL byte, which PostgreSQL text cannot store/),
  recordCase('post_event_list with a word for an id', hit({ post_event_list: '1,purchase' }), /post_event_list.*an event id is not a number/),
  recordCase('post_event_list with an id of ten digits', hit({ post_event_list: '2147483648' }), /post_event_list: an event id has 10 digits, more than the 9 an event id can have/),
  recordCase('post_event_list with a value that is not a number', hit({ post_event_list: '1,200=abc' }), /post_event_list.*the value of event 200 is not a number/),
  recordCase('post_product_list with seven parts', hit({ post_event_list: '1', post_product_list: 'c;p;1;9.99;;;x' }), /post_product_list.*has 7 ";"-separated parts, at most 6/),
  recordCase('post_product_list with a quantity that is not an integer', hit({ post_event_list: '1', post_product_list: 'c;p;1.5;9.99' }), /post_product_list.*quantity is not an integer/),
];

/** Cleans a case folder (its delivery was written there). */
export function removeCaseDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
