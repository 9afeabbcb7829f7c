/**
 * Ingest of Adobe Analytics data feed deliveries into feed_delivery / feed_hit / feed_product /
 * feed_quarantine.
 *
 *   manifest → verify every file (size, MD5) → lookups (column_headers.tsv, event.tsv)
 *   → one transaction: delete the delivery's previous rows, COPY hits while parsing, COPY
 *     products and quarantined records, write the delivery row with its counts and metrics.
 *
 * A delivery is all or nothing. It is rejected whole (InvalidFeedError, nothing loaded, a
 * feed_rejection row written outside the load transaction) when a digest, size or record count
 * disagrees with the manifest, a required lookup is missing, or more than maxQuarantineShare of its
 * records are quarantined. Re-ingesting a delivery id replaces its rows, so a re-delivered day
 * overwrites the old one and ingesting the same delivery twice leaves the same rows.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { getPool, withTransaction } from '../store/db.ts';
import { logger } from '../observability/logger.ts';
import { DEFAULT_MAX_QUARANTINE_SHARE, IngestDeliveryInput, IngestOptions, type IngestResult } from '../../contracts/feed-ingest.ts';
import { parseDeliveryName } from './delivery-name.ts';
import { scanInbox, type InboxScan } from './find-deliveries.ts';
import { parseManifest, type Manifest } from './manifest.ts';
import { verifyDeliveryFiles } from './verify-delivery-files.ts';
import { readLookups } from './read-lookups.ts';
import { resolveHitColumns } from './hit-columns.ts';
import { InvalidFeedError } from './invalid-feed-error.ts';
import { parseDataFiles, tooManyQuarantinedError, type ParseDataFilesInput, type ParseOutcome, type ParseSink } from './parse-data-files.ts';
import { parseInWorker } from './parse-in-worker.ts';
import { copyIn, type CopyIn } from './copy-in.ts';
import { SpillBuffer } from './spill-buffer.ts';
import type { FeedByteEncoding } from './copy-text-writer.ts';
import { decideFeedEncoding } from './feed-encoding.ts';
import { FEED_HIT_COLUMNS, FEED_PRODUCT_COLUMNS, FEED_QUARANTINE_COLUMNS } from './feed-row-encoder.ts';

export interface IngestProgress {
  deliveryId: string;
  file: string;
  records: number;
  /** The delivery's records per its manifest (sum of Record-Count), for a progress bar's total. */
  totalRecords?: number;
}

export interface IngestRuntime {
  /** Called every ~50k records and at the end of each file (activities heartbeat from it). */
  onProgress?: (p: IngestProgress) => void;
  /**
   * Parse in a worker thread so gunzip + parsing overlap PostgreSQL's COPY (2 cores are enough).
   * Default: when the delivery's data files total more than 8 MB.
   */
  parseInWorker?: boolean;
  /** Stops the load (and rolls it back) when aborted, e.g. on activity cancellation. */
  signal?: AbortSignal | undefined;
  pool?: pg.Pool;
}

const WORKER_THRESHOLD_BYTES = 8 << 20;

export { InvalidFeedError } from './invalid-feed-error.ts';
export { findDeliveries, scanInbox } from './find-deliveries.ts';

async function recordRejection(pool: pg.Pool, row: { sourceDir: string; deliveryId: string | null; fileName: string | null; reason: string }): Promise<void> {
  await pool.query('INSERT INTO feed_rejection (source_dir, delivery_id, file_name, reason) VALUES ($1, $2, $3, $4)', [
    row.sourceDir,
    row.deliveryId,
    row.fileName,
    row.reason,
  ]);
}

function copySql(table: string, columns: readonly string[]): string {
  return `COPY ${table} (${columns.join(', ')}) FROM STDIN`;
}

interface Prepared {
  deliveryId: string;
  rsid: string;
  feedDate: string;
  manifest: Manifest;
  manifestMd5: string;
  columns: string[];
  encoding: FeedByteEncoding | 'undecided';
}

async function prepare(input: IngestDeliveryInput): Promise<Prepared> {
  const name = parseDeliveryName(input.manifestFile);
  if (!name) {
    throw new InvalidFeedError(
      `${input.manifestFile}: not a data feed manifest name (<rsid>_<YYYY-MM-DD>.txt or <rsid>_<YYYYmmdd>-<HHMMSS>.txt). Pass the delivery's manifest file.`,
      input.manifestFile,
    );
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(join(input.dir, input.manifestFile));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new InvalidFeedError(`${input.manifestFile}: the manifest is not in ${input.dir}. The delivery is incomplete until Adobe writes it; wait for it or re-deliver.`, input.manifestFile);
    }
    throw err;
  }
  const manifest = parseManifest(bytes.toString('latin1'), input.manifestFile);
  await verifyDeliveryFiles(input.dir, manifest);
  const needLookups = manifest.dataFiles.length > 0 || manifest.lookupFiles.length > 0;
  const columns = needLookups ? (await readLookups(input.dir, manifest, input.manifestFile)).columns : [];
  if (manifest.dataFiles.length > 0) {
    const headersFile = manifest.lookupFiles[0]?.name ?? input.manifestFile;
    resolveHitColumns(columns, input, `${headersFile} column_headers.tsv`, headersFile); // rejects missing columns before any load
  }
  return {
    deliveryId: name.deliveryId,
    rsid: name.rsid,
    feedDate: name.feedDate,
    manifest,
    manifestMd5: createHash('md5').update(bytes).digest('hex'),
    columns,
    encoding: await decideFeedEncoding(input.encoding ?? 'auto', input.dir, manifest.dataFiles),
  };
}

/** Milliseconds per ingest stage, logged with every load (no identifiers). */
export type StageTimings = Record<'prepare' | 'hits' | 'children' | 'commit', number>;

async function loadDelivery(p: Prepared, input: IngestDeliveryInput, runtime: IngestRuntime, pool: pg.Pool, timings: StageTimings): Promise<IngestResult> {
  const maxQuarantineShare = input.maxQuarantineShare ?? DEFAULT_MAX_QUARANTINE_SHARE;
  const parseInput: ParseDataFilesInput = {
    dir: input.dir,
    deliveryId: p.deliveryId,
    dataFiles: p.manifest.dataFiles,
    columns: p.columns,
    options: { customerIdColumn: input.customerIdColumn, consentColumn: input.consentColumn },
    maxQuarantineShare,
    encoding: p.encoding,
  };
  const dataBytes = p.manifest.dataFiles.reduce((s, f) => s + f.size, 0);
  const useWorker = runtime.parseInWorker ?? dataBytes > WORKER_THRESHOLD_BYTES;
  const products = new SpillBuffer();
  const quarantined = new SpillBuffer(16 << 20);

  let mark = Date.now();
  const lap = (stage: keyof StageTimings) => {
    const now = Date.now();
    timings[stage] = now - mark;
    mark = now;
  };
  try {
    const result = await withTransaction(async (client) => {
      // Serialise concurrent loads of one delivery (a retried activity racing its predecessor).
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`feed_delivery:${p.deliveryId}`]);
      await client.query('DELETE FROM feed_delivery WHERE delivery_id = $1', [p.deliveryId]);
      await client.query(
        `INSERT INTO feed_delivery (delivery_id, rsid, feed_date, source_dir, manifest_md5, columns, status,
           records, loaded, excluded, quarantined, visitors, visits, page_views, orders, units, revenue)
         VALUES ($1, $2, $3, $4, $5, $6, 'loaded', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)`,
        [p.deliveryId, p.rsid, p.feedDate, input.dir, p.manifestMd5, p.columns],
      );

      let outcome: ParseOutcome;
      const hits: CopyIn = copyIn(client, copySql('feed_hit', FEED_HIT_COLUMNS));
      try {
        const sink: ParseSink = {
          hits: (chunk) => {
            runtime.signal?.throwIfAborted();
            return hits.write(chunk);
          },
          products: (chunk) => products.append(chunk),
          quarantine: (chunk) => quarantined.append(chunk),
          progress: (pr) => runtime.onProgress?.({ deliveryId: p.deliveryId, totalRecords: p.manifest.totalRecords, ...pr }),
        };
        outcome = useWorker ? await parseInWorker(parseInput, sink) : await parseDataFiles(parseInput, sink);
        await hits.end();
      } catch (err) {
        await hits.abort(err as Error);
        throw err;
      }
      lap('hits');
      const c = outcome.counts;
      if (c.records !== p.manifest.totalRecords) {
        // parseDataFiles checks every file's Record-Count; this guards the sum as well.
        throw new InvalidFeedError(`${input.manifestFile}: Total-Records is ${p.manifest.totalRecords} but the data files hold ${c.records} records. Re-deliver the day.`, input.manifestFile);
      }
      if (c.quarantined > 0 && c.quarantined / Math.max(c.records, 1) > maxQuarantineShare) {
        throw tooManyQuarantinedError(c.quarantined, c.records, maxQuarantineShare, outcome.firstQuarantine);
      }
      for (const [buffer, table, columns] of [
        [products, 'feed_product', FEED_PRODUCT_COLUMNS],
        [quarantined, 'feed_quarantine', FEED_QUARANTINE_COLUMNS],
      ] as const) {
        if (buffer.size === 0) continue;
        const copy = copyIn(client, copySql(table, columns));
        try {
          for await (const chunk of buffer.chunks()) await copy.write(chunk);
          await copy.end();
        } catch (err) {
          await copy.abort(err as Error);
          throw err;
        }
      }

      lap('children');
      const r = outcome.replacements;
      const firstReplacement = r.first ? `${r.first.file} record ${r.first.recordNo} column ${r.first.field}` : undefined;
      await client.query(
        'UPDATE feed_delivery SET encoding = $2, replaced_bytes = $3, replaced_records = $4, first_replacement = $5 WHERE delivery_id = $1',
        [p.deliveryId, outcome.encoding, r.bytes, r.records, firstReplacement ?? null],
      );
      await client.query(
        `UPDATE feed_delivery SET records = $2, loaded = $3, excluded = $4, quarantined = $5, exclusions = $6,
           visitors = $7, visits = $8, page_views = $9, orders = $10, units = $11, revenue = $12,
           min_hit_time = to_timestamp($13), max_hit_time = to_timestamp($14), ingested_at = now()
         WHERE delivery_id = $1`,
        [p.deliveryId, c.records, c.loaded, c.excluded, c.quarantined, JSON.stringify(c.exclusions), c.visitors, c.visits, c.pageViews, c.orders, c.units, c.revenue.toFixed(2), c.minHitTime, c.maxHitTime],
      );
      return {
        deliveryId: p.deliveryId,
        records: c.records,
        loaded: c.loaded,
        excluded: c.excluded,
        quarantined: c.quarantined,
        exclusions: c.exclusions,
        visitors: c.visitors,
        visits: c.visits,
        pageViews: c.pageViews,
        orders: c.orders,
        units: c.units,
        revenue: c.revenue,
        encoding: outcome.encoding,
        replacedBytes: r.bytes,
        replacedRecords: r.records,
        ...(firstReplacement ? { firstReplacement } : {}),
      };
    }, pool);
    lap('commit');
    return result;
  } finally {
    await Promise.all([products.dispose(), quarantined.dispose()]);
  }
}

/** Ingests one delivery (all or nothing). Throws InvalidFeedError when the delivery is rejected. */
export async function ingestDelivery(input: IngestDeliveryInput, runtime: IngestRuntime = {}): Promise<IngestResult> {
  const parsed = IngestDeliveryInput.parse(input);
  const pool = runtime.pool ?? getPool();
  const log = logger().child({ component: 'feed-ingest', manifest: parsed.manifestFile });
  const started = Date.now();
  const deliveryId = parseDeliveryName(parsed.manifestFile)?.deliveryId ?? null;
  try {
    const prepared = await prepare(parsed);
    runtime.signal?.throwIfAborted();
    const timings: StageTimings = { prepare: Date.now() - started, hits: 0, children: 0, commit: 0 };
    const result = await loadDelivery(prepared, parsed, runtime, pool, timings);
    log.info(
      { deliveryId: result.deliveryId, records: result.records, loaded: result.loaded, excluded: result.excluded, quarantined: result.quarantined, ms: Date.now() - started, timings },
      'delivery loaded',
    );
    if (result.replacedBytes) {
      log.warn(
        { deliveryId: result.deliveryId, encoding: result.encoding, replacedBytes: result.replacedBytes, replacedRecords: result.replacedRecords, first: result.firstReplacement },
        'invalid UTF-8 bytes stored as U+FFFD; set feed.encoding if the report suite is not UTF-8',
      );
    }
    return result;
  } catch (err) {
    if (err instanceof InvalidFeedError) {
      log.warn({ deliveryId, file: err.fileName, reason: err.message }, 'delivery rejected');
      try {
        await recordRejection(pool, { sourceDir: parsed.dir, deliveryId, fileName: err.fileName ?? null, reason: err.message });
      } catch (recordErr) {
        // The rejection itself must reach the caller; the missing audit row is logged.
        log.error({ deliveryId, error: (recordErr as Error).message }, 'could not record the rejection in feed_rejection');
      }
    }
    throw err;
  }
}

export interface DirectoryIngest {
  results: IngestResult[];
  /** Deliveries rejected (they are also in feed_rejection); ingestDirectory carries on with the rest. */
  rejected: { manifestFile: string; reason: string }[];
  /** Deliveries whose files are there but whose manifest is not: nothing of them was loaded. */
  withoutManifest: InboxScan['withoutManifest'];
}

/**
 * Ingests every complete delivery (manifest present) in a folder, oldest first. A manifest that
 * cannot be read (a broken symlink, say) is rejected by name; data files without a manifest are
 * reported in `withoutManifest`, not loaded.
 */
export async function ingestDirectory(dir: string, opts: IngestOptions = {}, runtime: IngestRuntime = {}): Promise<DirectoryIngest> {
  const options = IngestOptions.parse(opts);
  const results: IngestResult[] = [];
  const rejected: DirectoryIngest['rejected'] = [];
  const inbox = await scanInbox(dir);
  for (const u of inbox.unreadable) {
    const deliveryId = parseDeliveryName(u.manifestFile)?.deliveryId ?? null;
    logger().child({ component: 'feed-ingest', manifest: u.manifestFile }).warn({ deliveryId, file: u.manifestFile, reason: u.reason }, 'delivery rejected');
    await recordRejection(runtime.pool ?? getPool(), { sourceDir: dir, deliveryId, fileName: u.manifestFile, reason: u.reason });
    rejected.push(u);
  }
  for (const d of inbox.deliveries) {
    try {
      results.push(await ingestDelivery({ ...options, dir, manifestFile: d.manifestFile }, runtime));
    } catch (err) {
      if (!(err instanceof InvalidFeedError)) throw err;
      rejected.push({ manifestFile: d.manifestFile, reason: err.message });
    }
  }
  return { results, rejected, withoutManifest: inbox.withoutManifest };
}
