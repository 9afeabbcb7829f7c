/**
 * `scoreflow ingest DIR`: ingests every complete delivery (manifest present) in a folder, oldest
 * first, all or nothing per delivery, and reports Adobe's recipes per delivery. A rejected delivery
 * (digest, size or record count off, lookups missing, too many bad records) is named with its file
 * and reason, leaves nothing loaded, and makes the exit code 1; the other deliveries still load.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { IngestOptions, IngestResult } from '../../contracts/feed-ingest.ts';
import { ingestDirectory, type DirectoryIngest } from '../../activities/feed/ingest-delivery.ts';
import { loadPipelineConfig } from '../../activities/run/pipeline.ts';
import { emit, progress } from '../output.ts';
import { databaseReady } from './database-ready.ts';
import { decimal, oneOf } from './flag-values.ts';

export interface IngestFlags {
  pipeline?: string;
  customerIdColumn?: string;
  consentColumn?: string;
  maxQuarantineShare?: string;
  encoding?: string;
  json?: boolean;
}

/** Ingest options: the pipeline's feed settings (when one is given), then the flags on top. */
export function ingestOptionsFrom(o: IngestFlags): IngestOptions {
  const opts: IngestOptions = {};
  if (o.pipeline) {
    const cfg = loadPipelineConfig(o.pipeline);
    opts.customerIdColumn = cfg.feed.customerIdColumn;
    opts.consentColumn = cfg.consent.source === 'feed_column' ? cfg.consent.column : undefined;
    opts.maxQuarantineShare = cfg.feed.maxQuarantineShare;
    if (cfg.feed.encoding !== undefined) opts.encoding = cfg.feed.encoding;
  }
  if (o.encoding !== undefined) opts.encoding = oneOf('encoding', o.encoding, ['auto', 'utf-8', 'iso-8859-1'] as const);
  if (o.customerIdColumn) opts.customerIdColumn = o.customerIdColumn;
  if (o.consentColumn) opts.consentColumn = o.consentColumn;
  if (o.maxQuarantineShare !== undefined) opts.maxQuarantineShare = decimal('max-quarantine-share', o.maxQuarantineShare, 0, 1);
  return opts;
}

export interface IngestReport {
  ok: boolean;
  dir: string;
  deliveries: IngestResult[];
  /** Sums over the loaded deliveries (visitors and visits are per delivery: a visitor can come back another day). */
  records: number;
  loaded: number;
  excluded: number;
  quarantined: number;
  pageViews: number;
  orders: number;
  rejected: DirectoryIngest['rejected'];
  /** Deliveries with files but no manifest: not loaded. */
  withoutManifest: DirectoryIngest['withoutManifest'];
  /** Invalid UTF-8 bytes stored as U+FFFD over the loaded deliveries (see each delivery's firstReplacement). */
  replacedBytes: number;
  error?: 'InvalidFeed' | 'IncompleteDelivery';
  message?: string;
}

/** The warning for a delivery whose manifest is missing: which file, what it means, what to do. */
export function withoutManifestMessage(dir: string, w: DirectoryIngest['withoutManifest'][number]): string {
  return `${w.manifestFile}: the manifest is missing from ${dir}, but its files are there (${w.files.join(', ')}); nothing of the delivery was loaded. Adobe writes the manifest last: wait for it, or re-deliver the day if the transfer stopped.`;
}

export function ingestReport(dir: string, out: DirectoryIngest): IngestReport {
  const sum = (k: 'records' | 'loaded' | 'excluded' | 'quarantined' | 'pageViews' | 'orders') => out.results.reduce((s, r) => s + r[k], 0);
  const report: IngestReport = {
    ok: out.rejected.length === 0,
    dir,
    deliveries: out.results,
    records: sum('records'),
    loaded: sum('loaded'),
    excluded: sum('excluded'),
    quarantined: sum('quarantined'),
    pageViews: sum('pageViews'),
    orders: sum('orders'),
    rejected: out.rejected,
    withoutManifest: out.withoutManifest,
    replacedBytes: out.results.reduce((s, r) => s + (r.replacedBytes ?? 0), 0),
  };
  if (out.rejected.length > 0) {
    report.ok = false;
    report.error = 'InvalidFeed';
    const total = out.results.length + out.rejected.length;
    report.message = `${out.rejected.length} of ${total} deliveries rejected, nothing of them loaded: ${out.rejected.map((r) => `${r.manifestFile}: ${r.reason}`).join('; ')}`;
  } else if (out.withoutManifest.length > 0) {
    report.ok = false;
    report.error = 'IncompleteDelivery';
    report.message = out.withoutManifest.map((w) => withoutManifestMessage(dir, w)).join('; ');
  }
  return report;
}

export function formatIngestReport(r: IngestReport): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const lines = [`${r.dir}: ${r.deliveries.length} deliver${r.deliveries.length === 1 ? 'y' : 'ies'} loaded, ${r.rejected.length} rejected`];
  for (const d of r.deliveries) {
    const excluded = Object.entries(d.exclusions).map(([k, v]) => `${k} ${n(v)}`).join(', ');
    lines.push(
      `  ${d.deliveryId}: ${n(d.records)} records = ${n(d.loaded)} loaded + ${n(d.excluded)} excluded${excluded ? ` (${excluded})` : ''} + ${n(d.quarantined)} quarantined`,
      `    ${n(d.visitors)} visitors, ${n(d.visits)} visits, ${n(d.pageViews)} page views, ${n(d.orders)} orders, ${n(d.units)} units, revenue ${d.revenue.toFixed(2)}`,
    );
    if (d.replacedBytes) {
      lines.push(
        `    read as ${d.encoding}: ${n(d.replacedBytes)} invalid UTF-8 byte(s) in ${n(d.replacedRecords ?? 0)} record(s) stored as U+FFFD (first: ${d.firstReplacement}); if the report suite is not UTF-8, set feed.encoding or --encoding iso-8859-1 and ingest again`,
      );
    }
  }
  for (const x of r.rejected) lines.push(`  REJECTED ${x.manifestFile}: ${x.reason}`);
  for (const w of r.withoutManifest) lines.push(`  NOT LOADED ${withoutManifestMessage(r.dir, w)}`);
  if (r.deliveries.length === 0 && r.rejected.length === 0 && r.withoutManifest.length === 0) lines.push('  no complete delivery (a manifest <rsid>_<date>.txt) in this folder yet');
  return lines.join('\n');
}

export function registerIngestCommand(program: Command): void {
  program
    .command('ingest')
    .description('Ingest every complete Adobe data feed delivery in a folder (all or nothing per delivery); exit 1 when one is rejected or has files but no manifest.')
    .argument('<dir>', 'the folder Adobe delivers to')
    .option('--pipeline <file>', "take the feed columns (customer id eVar, consent column, quarantine share) from this pipeline config")
    .option('--customer-id-column <column>', 'hit_data column holding the customer id, e.g. post_evar3')
    .option('--consent-column <column>', 'hit_data column holding the consent string, e.g. post_evar5')
    .option('--max-quarantine-share <share>', 'share of records that may be quarantined before a delivery is rejected (default 0.01)')
    .option('--encoding <auto|utf-8|iso-8859-1>', "encoding of the hit data (default: the pipeline's feed.encoding, else auto: detected per delivery)")
    .option('--json', 'print one JSON object')
    .action(async (dirArg: string, o: IngestFlags) => {
      const dir = resolve(dirArg);
      const opts = ingestOptionsFrom(o);
      await databaseReady();
      const bar = progress('ingest', 'records');
      const out = await ingestDirectory(dir, opts, { onProgress: (p) => bar.update(p.records, p.totalRecords) });
      bar.done(`${out.results.length} loaded, ${out.rejected.length} rejected`);
      const report = ingestReport(dir, out);
      emit(o, report, () => formatIngestReport(report));
      if (!report.ok) {
        for (const x of report.rejected) process.stderr.write(`scoreflow: ${x.manifestFile} rejected: ${x.reason}\n`);
        for (const w of report.withoutManifest) process.stderr.write(`scoreflow: ${withoutManifestMessage(dir, w)}\n`);
        process.exitCode = 1;
      }
    });
}
