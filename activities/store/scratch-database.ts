/**
 * A throwaway, fully migrated database beside DATABASE_URL's, for work that must not mix with the
 * working data (e.g. evaluating a model on a feed without its hits joining the lookback window of
 * real runs). Named `<database>_scratch_<random>`, dropped by `drop()` whatever happened.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { createPool, databaseUrl, ensureDatabase, migrate, newClient } from './db.ts';

export interface ScratchDatabase {
  name: string;
  url: string;
  pool: pg.Pool;
  /** Closes the pool and drops the database. Safe to call twice. */
  drop(): Promise<void>;
}

function adminUrl(url: string): string {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  return admin.toString();
}

export async function createScratchDatabase(baseUrl = databaseUrl()): Promise<ScratchDatabase> {
  const base = new URL(baseUrl);
  const name = `${base.pathname.replace(/^\//, '')}_scratch_${randomBytes(4).toString('hex')}`;
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  let pool: pg.Pool | undefined;
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    await pool?.end().catch(() => undefined);
    const admin = newClient(adminUrl(baseUrl));
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  };
  try {
    await ensureDatabase(url.toString());
    await migrate(url.toString());
    // Guarded like the main pool: a checked-out client losing its connection must not kill the worker.
    pool = createPool(url.toString(), 4);
  } catch (err) {
    await drop().catch(() => undefined);
    throw err;
  }
  return { name, url: url.toString(), pool, drop };
}
