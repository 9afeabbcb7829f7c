/**
 * Streams a delivery's data files through gunzip → lexer → interpreter → COPY encoders, chunk by
 * chunk; never a whole file in memory. feed_hit rows go to `sink.hits` (awaited, so the caller's
 * COPY applies backpressure), feed_product and feed_quarantine rows to their own sinks.
 * Runs in the ingest process or in a worker thread (parse-worker.ts); it touches no database.
 *
 * Rejects (InvalidFeedError) when a file is not valid gzip, when a file's record count differs
 * from its manifest Record-Count, or as soon as more records are quarantined than allowed.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import type { ManifestDataFile } from './manifest.ts';
import { BACKSLASH, CR, HitDataLexer, type RawRecord } from './hit-data-lexer.ts';
import { resolveHitColumns, type HitColumnOptions } from './hit-columns.ts';
import { interpretHitCore, visitorId } from './hit-interpreter.ts';
import { CopyTextWriter, type FeedByteEncoding, type FeedCharset } from './copy-text-writer.ts';
import { FeedRowEncoder } from './feed-row-encoder.ts';
import { DeliveryTally, type DeliveryCounts } from './delivery-tally.ts';
import { FieldFormatError } from './field-format-error.ts';
import { InvalidFeedError } from './invalid-feed-error.ts';

export interface ParseDataFilesInput {
  dir: string;
  deliveryId: string;
  dataFiles: ManifestDataFile[];
  /** column_headers.tsv, in order. */
  columns: string[];
  options: HitColumnOptions;
  /** Share of Total-Records that may be quarantined before the delivery is rejected. */
  maxQuarantineShare: number;
  /** Bytes of COPY rows collected before they are handed to a sink. */
  flushBytes?: number;
  /** How bytes ≥ 0x80 are read (decided per delivery, feed-encoding.ts). Default ISO-8859-1. */
  encoding?: FeedByteEncoding | 'undecided';
}

export interface ParseSink {
  hits(chunk: Buffer): Promise<void> | void;
  products(chunk: Buffer): Promise<void> | void;
  quarantine(chunk: Buffer): Promise<void> | void;
  progress?(p: { file: string; records: number }): void;
}

export interface QuarantineNote {
  file: string;
  recordNo: number;
  reason: string;
}

/** Invalid UTF-8 bytes replaced by U+FFFD in loaded records (only when read as UTF-8). */
export interface Replacements {
  bytes: number;
  records: number;
  /** Where the first one was: file, record and column, never the value. */
  first: { file: string; recordNo: number; field: string } | null;
}

export interface ParseOutcome {
  counts: DeliveryCounts;
  products: number;
  firstQuarantine: QuarantineNote | null;
  /** The encoding the text was read in (an undecided delivery that stayed ASCII counts as UTF-8). */
  encoding: FeedByteEncoding;
  replacements: Replacements;
}

/**
 * Whether a record ends with an unescaped CR (its line ended CR LF). Adobe ends records with LF
 * alone and escapes a CR inside a value, so a bare CR before the LF means the file was converted
 * to Windows line endings in transfer; without this check the CR would be read as part of the
 * last column and reported as a bad value there.
 */
function endsWithBareCr(rec: RawRecord): boolean {
  let i = rec.end - 1;
  if (i < rec.start || rec.buf[i] !== CR) return false;
  let backslashes = 0;
  for (i--; i >= rec.start && rec.buf[i] === BACKSLASH; i--) backslashes++;
  return backslashes % 2 === 0;
}

export const CRLF_REASON =
  'the record ends with CR LF (Windows line endings), but Adobe hit data ends records with LF only: the file was converted in transfer (e.g. FTP in ASCII mode); re-deliver it unconverted (binary mode)';

export function quarantineLimit(totalRecords: number, share: number): number {
  return Math.floor(totalRecords * share + 1e-9);
}

/**
 * The rejection for too many quarantined records. `early` when parsing stopped at the first record over
 * the limit, so the count is a lower bound.
 */
export function tooManyQuarantinedError(quarantined: number, totalRecords: number, share: number, first: QuarantineNote | null, early = false): InvalidFeedError {
  const pct = (x: number) => `${Number((x * 100).toFixed(2))}%`;
  const where = first ? ` First: ${first.file} record ${first.recordNo}: ${first.reason}.` : '';
  const count = `${early ? 'at least ' : ''}${quarantined} of ${totalRecords} records`;
  return new InvalidFeedError(
    `${first?.file ?? 'delivery'}: ${count} quarantined (${early ? '≥ ' : ''}${pct(quarantined / Math.max(totalRecords, 1))}), above maxQuarantineShare ${pct(share)}.${where} Fix the feed export and re-deliver the day.`,
    first?.file,
  );
}

const PROGRESS_EVERY = 50_000;

export async function parseDataFiles(input: ParseDataFilesInput, sink: ParseSink): Promise<ParseOutcome> {
  const cols = resolveHitColumns(input.columns, input.options);
  const flushBytes = input.flushBytes ?? 1 << 20;
  const totalRecords = input.dataFiles.reduce((s, f) => s + f.recordCount, 0);
  const maxQuarantined = quarantineLimit(totalRecords, input.maxQuarantineShare);
  const tally = new DeliveryTally();
  const hitW = new CopyTextWriter(flushBytes + (64 << 10));
  const prodW = new CopyTextWriter(1 << 16);
  const quarW = new CopyTextWriter(1 << 16);
  const charset: FeedCharset = { encoding: input.encoding ?? 'iso-8859-1' };
  hitW.charset = charset;
  prodW.charset = charset;
  let products = 0;
  let firstQuarantine: QuarantineNote | null = null;
  const replacements: Replacements = { bytes: 0, records: 0, first: null };
  const replacedSoFar = () => hitW.replacedBytes + prodW.replacedBytes;

  for (const file of input.dataFiles) {
    const enc = new FeedRowEncoder(input.deliveryId, file.name);
    const lexer = new HitDataLexer(cols.count);
    let recordNo = 0;

    const quarantine = (rec: RawRecord, reason: string) => {
      tally.addQuarantined();
      firstQuarantine ??= { file: file.name, recordNo, reason };
      enc.quarantine(quarW, recordNo, reason, rec.rawBytes());
      if (tally.quarantined > maxQuarantined) throw tooManyQuarantinedError(tally.quarantined, totalRecords, input.maxQuarantineShare, firstQuarantine, true);
    };

    const onRecord = (rec: RawRecord) => {
      recordNo++;
      if (rec.fieldCount === cols.count && endsWithBareCr(rec)) {
        quarantine(rec, CRLF_REASON);
        return;
      }
      const out = interpretHitCore(rec, cols);
      if (out.kind === 'hit') {
        const hitMark = hitW.mark();
        const prodMark = prodW.mark();
        const hitReplacedBefore = hitW.replacedBytes;
        const replacedBefore = replacedSoFar();
        const visitor = visitorId(rec, cols);
        try {
          enc.hitFromRecord(hitW, recordNo, rec, cols, out.hit);
          if (out.hit.products.length) products += enc.products(prodW, recordNo, visitor, out.hit);
        } catch (err) {
          if (!(err instanceof FieldFormatError)) throw err;
          hitW.rewind(hitMark);
          prodW.rewind(prodMark);
          quarantine(rec, err.message);
          return;
        }
        const replaced = replacedSoFar() - replacedBefore;
        if (replaced > 0) {
          replacements.bytes += replaced;
          replacements.records++;
          replacements.first ??= { file: file.name, recordNo, field: hitW.replacedBytes > hitReplacedBefore ? hitW.lastReplacedField : prodW.lastReplacedField };
        }
        tally.addHit(out.hit, visitor);
      } else if (out.kind === 'excluded') {
        tally.addExcluded(out.reason);
      } else {
        quarantine(rec, out.reason);
      }
    };

    const flush = async (force: boolean) => {
      if (hitW.length >= flushBytes || (force && hitW.length)) await sink.hits(hitW.take());
      if (prodW.length >= flushBytes || (force && prodW.length)) await sink.products(prodW.take());
      if (quarW.length >= flushBytes || (force && quarW.length)) await sink.quarantine(quarW.take());
    };

    const source = createReadStream(join(input.dir, file.name), { highWaterMark: 1 << 20 });
    const gunzip = createGunzip({ chunkSize: 256 << 10 });
    source.on('error', (err) => gunzip.destroy(err));
    source.pipe(gunzip);
    let nextProgress = PROGRESS_EVERY;
    try {
      for await (const chunk of gunzip) {
        lexer.push(chunk as Buffer, onRecord);
        await flush(false);
        if (recordNo >= nextProgress) {
          sink.progress?.({ file: file.name, records: recordNo });
          nextProgress = recordNo + PROGRESS_EVERY;
        }
      }
      lexer.end(onRecord);
    } catch (err) {
      source.destroy();
      gunzip.destroy();
      if (err instanceof InvalidFeedError) throw err;
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (code.startsWith('Z_') || code === 'ERR_ZLIB_INITIALIZATION_FAILED') {
        throw new InvalidFeedError(`${file.name}: not a valid gzip file after record ${recordNo} (${(err as Error).message}). Re-deliver the file.`, file.name);
      }
      throw err;
    }
    await flush(true);
    if (recordNo !== file.recordCount) {
      throw new InvalidFeedError(
        `${file.name}: Record-Count mismatch (manifest ${file.recordCount}, file ${recordNo} records). The file or the manifest is wrong: re-deliver the day.`,
        file.name,
      );
    }
    sink.progress?.({ file: file.name, records: recordNo });
  }
  const encoding = charset.encoding === 'undecided' ? 'utf-8' : charset.encoding;
  return { counts: tally.counts(), products, firstQuarantine, encoding, replacements };
}
