/**
 * Bench section `ingest`: our full data feed ingest (verify MD5s, lookups, gunzip, parse, filter,
 * type, COPY into feed_hit / feed_product in one transaction) against the floor PostgreSQL sets:
 * a raw `COPY ... (FORMAT text)` of the same decompressed hit data into an UNLOGGED table with one
 * text column per field, measured in the same run. ratioToCopy = ingest records/s ÷ COPY records/s.
 *
 * The feed (≥ 1M records by default, ~110 columns, with escapes) comes from tools/bench/bench-feed.ts,
 * generated once per size and reused from the cache directory. The machine is shared and noisy, so
 * each side runs BENCH_ROUNDS times (default 2), interleaved, and the best time of each counts.
 * Ingest runs as in production: parse in a worker thread, COPY on the main thread, one transaction.
 */
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { createWriteStream } from 'node:fs';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { closePools, getPool, migrate } from '../../activities/store/db.ts';
import { ingestDelivery } from '../../activities/feed/ingest-delivery.ts';
import { parseManifest } from '../../activities/feed/manifest.ts';
import { readLookups } from '../../activities/feed/read-lookups.ts';
import { writeBenchFeed } from './bench-feed.ts';
import type { BenchContext, BenchSection } from './section.ts';

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** The bench database is the bench's own: recreated on every run, so tables start empty and migrations apply in order. */
export async function freshDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  if (!/^scoreflow_bench\w*$/.test(name)) throw new Error(`refusing to recreate database "${name}": the bench only recreates scoreflow_bench*`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
  await migrate(url);
}

async function ensureFeed(ctx: BenchContext): Promise<{ dir: string; manifestFile: string }> {
  const dir = join(ctx.cacheDir, `feed-${ctx.records}`);
  const manifestFile = 'benchrsid_2024-05-01.txt';
  if (existsSync(join(dir, manifestFile))) {
    ctx.log(`feed: reusing ${dir}`);
    return { dir, manifestFile };
  }
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const started = Date.now();
  ctx.log(`feed: generating ${fmt(ctx.records)} records into ${dir} (once; cached for later runs)`);
  const feed = await writeBenchFeed({ out: dir, records: ctx.records, seed: 7, files: 2 });
  ctx.log(`feed: generated in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { dir: feed.dir, manifestFile: feed.manifestFile };
}

/** Decompresses every data file once (outside the timings) for the raw COPY baseline. */
async function decompressed(dir: string, dataFiles: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const f of dataFiles) {
    const path = join(dir, `${f}.raw`);
    if (!existsSync(path)) await pipeline(createReadStream(join(dir, f)), createGunzip(), createWriteStream(path));
    out.push(path);
  }
  return out;
}

async function rawCopy(databaseUrl: string, columns: string[], files: string[]): Promise<{ seconds: number; rows: number }> {
  const pool = getPool(databaseUrl);
  const client = await pool.connect();
  try {
    await client.query('DROP TABLE IF EXISTS bench_raw_hit');
    await client.query(`CREATE UNLOGGED TABLE bench_raw_hit (${columns.map((c) => `"${c.replace(/"/g, '""')}" text`).join(', ')})`);
    await client.query('CHECKPOINT');
    // The hit data is ISO-8859-1; the server converts it, as it must for any raw load.
    await client.query("SET client_encoding = 'LATIN1'");
    const started = process.hrtime.bigint();
    await client.query('BEGIN');
    let rows = 0;
    for (const f of files) {
      const copy = client.query(copyFrom('COPY bench_raw_hit FROM STDIN (FORMAT text)'));
      await pipeline(createReadStream(f, { highWaterMark: 1 << 20 }), copy);
      rows += copy.rowCount;
    }
    await client.query('COMMIT');
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await client.query('RESET client_encoding');
    await client.query('DROP TABLE bench_raw_hit');
    return { seconds, rows };
  } finally {
    client.release();
  }
}

async function ourIngest(databaseUrl: string, dir: string, manifestFile: string): Promise<{ seconds: number; records: number; loaded: number }> {
  const pool = getPool(databaseUrl);
  await pool.query('TRUNCATE feed_quarantine, feed_product, feed_hit, feed_delivery, feed_rejection');
  await pool.query('CHECKPOINT');
  const started = process.hrtime.bigint();
  const r = await ingestDelivery({ dir, manifestFile, customerIdColumn: 'post_evar3', consentColumn: 'post_evar5' }, { pool });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { seconds, records: r.records, loaded: r.loaded };
}

export const ingestSection: BenchSection = {
  name: 'ingest',
  description: 'Adobe data feed ingest vs raw COPY of the same decompressed hit data',
  async run(ctx) {
    process.env.LOG_LEVEL ??= 'warn';
    await freshDatabase(ctx.databaseUrl);
    const { dir, manifestFile } = await ensureFeed(ctx);
    const manifest = parseManifest(await readFile(join(dir, manifestFile), 'latin1'), manifestFile);
    const { columns } = await readLookups(dir, manifest, manifestFile);
    const raw = await decompressed(dir, manifest.dataFiles.map((f) => f.name));
    const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 2));
    let best = { copy: Infinity, ingest: Infinity };
    let records = 0;
    try {
      for (let round = 1; round <= rounds; round++) {
        const copy = await rawCopy(ctx.databaseUrl, columns, raw);
        ctx.log(`raw COPY   ${fmt(copy.rows)} rows in ${copy.seconds.toFixed(2)} s  → ${fmt(copy.rows / copy.seconds)} records/s`);
        const ours = await ourIngest(ctx.databaseUrl, dir, manifestFile);
        ctx.log(`our ingest ${fmt(ours.records)} records (${fmt(ours.loaded)} loaded) in ${ours.seconds.toFixed(2)} s  → ${fmt(ours.records / ours.seconds)} records/s`);
        if (copy.rows !== ours.records) throw new Error(`raw COPY loaded ${copy.rows} rows but ingest counted ${ours.records} records`);
        records = ours.records;
        best = { copy: Math.min(best.copy, copy.seconds), ingest: Math.min(best.ingest, ours.seconds) };
      }
    } finally {
      await closePools();
    }
    const recordsPerSec = records / best.ingest;
    const copyRecordsPerSec = records / best.copy;
    const ratioToCopy = recordsPerSec / copyRecordsPerSec;
    ctx.log(`ingest: ${fmt(recordsPerSec)} records/s, raw COPY ${fmt(copyRecordsPerSec)} records/s, ratio ${ratioToCopy.toFixed(2)} (target ≥ 0.5, goal 0.7)`);
    return { records, recordsPerSec: Math.round(recordsPerSec), copyRecordsPerSec: Math.round(copyRecordsPerSec), ratioToCopy: Number(ratioToCopy.toFixed(3)) };
  },
};
