/**
 * PostgreSQL access: connection settings, database creation, migrations and a shared pool.
 * DATABASE_URL defaults to a `scoreflow` database on 127.0.0.1:5432 and is created if missing.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { runner } from 'node-pg-migrate';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.ts';

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/scoreflow';
// From the repo root: the SQL files are not copied into the build (dist/).
export const MIGRATIONS_DIR = join(REPO_ROOT, 'activities', 'store', 'migrations');

export function databaseUrl(): string {
  return process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
}

function databaseName(url: string): string {
  const name = new URL(url).pathname.replace(/^\//, '');
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new Error(`DATABASE_URL names database "${name}", which is not a plain identifier; use letters, digits and underscores.`);
  }
  return name;
}

/** Creates the database named by the URL when it does not exist (connects to `postgres` to do so). */
export async function ensureDatabase(url = databaseUrl()): Promise<void> {
  const name = databaseName(url);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = newClient(admin.toString());
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`Cannot reach PostgreSQL at ${admin.host}: ${(err as Error).message}. Start it, or set DATABASE_URL.`);
  }
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) {
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } catch (err) {
        // Another process may have created it concurrently.
        if ((err as { code?: string }).code !== '42P04') throw err;
      }
    }
  } finally {
    await client.end();
  }
}

/**
 * Drops and recreates a throwaway database (the test suite's, one per run). Refuses any name that
 * does not end in `_test` or `_ci`, so it can never touch a database that holds real state.
 */
export async function recreateDatabase(url: string): Promise<void> {
  const name = databaseName(url);
  if (!/_(test|ci)$/.test(name)) throw new Error(`refusing to drop database "${name}": only *_test and *_ci databases are recreated`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = newClient(admin.toString());
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
  await ensureDatabase(url);
}

/** Applies pending migrations. Safe to call concurrently: node-pg-migrate takes an advisory lock. */
/** Session advisory lock key that serialises Scoreflow migrations across processes. */
const MIGRATION_LOCK_KEY = 0x5c0f10;

/**
 * Applies pending migrations. Safe to call from several processes at once: each waits for a
 * PostgreSQL advisory lock (node-pg-migrate's own lock fails fast instead of waiting), so the
 * first applies the migrations and the others then find nothing to do.
 */
export async function migrate(url = databaseUrl(), log: (msg: string) => void = () => {}): Promise<string[]> {
  await ensureDatabase(url);
  const client = newClient(url);
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await runner({
      dbClient: client,
      dir: MIGRATIONS_DIR,
      direction: 'up',
      migrationsTable: 'pgmigrations',
      count: Infinity,
      log,
      logger: { debug: () => {}, info: log, warn: log, error: log },
      noLock: true,
      checkOrder: true,
    }).catch((err: Error) => {
      if (/preceding already run migration/.test(err.message)) {
        const name = databaseName(url);
        throw new Error(
          `database ${name}: ${err.message}. Its migration history does not match this checkout (it was migrated by a different branch). ` +
            `Drop it if it holds nothing you need (dropdb -h 127.0.0.1 -U postgres ${name}) or point DATABASE_URL at another database.`,
        );
      }
      throw err;
    });
    return applied.map((m) => m.name);
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
    await client.end();
  }
}

const pools = new Map<string, pg.Pool>();

// Keep numeric and bigint columns as strings only where precision matters; counts come back as numbers.
pg.types.setTypeParser(20, (v) => Number(v)); // int8 counts fit comfortably in doubles here
pg.types.setTypeParser(1700, (v) => Number(v)); // numeric (revenue) as number

/**
 * The clients one activity has checked out (pool.query checks one out too), so a cancelled activity
 * can cancel its running statements: workers/activity-boundary.ts opens a scope per activity.
 */
export type QueryScope = Set<pg.PoolClient>;
const queryScopes = new AsyncLocalStorage<QueryScope>();
const guarded = new WeakSet<object>();

export function runInQueryScope<T>(scope: QueryScope, fn: () => Promise<T>): Promise<T> {
  return queryScopes.run(scope, fn);
}

/** Asks PostgreSQL to cancel whatever the scope's checked-out clients are running (pg_cancel_backend). */
export async function cancelScopeQueries(scope: QueryScope, url = databaseUrl()): Promise<number> {
  const pids = [...scope].map((c) => (c as unknown as { processID?: number }).processID).filter((p): p is number => typeof p === 'number');
  if (pids.length === 0) return 0;
  const admin = newClient(url);
  try {
    await admin.connect();
    const { rows } = await admin.query<{ n: number }>('SELECT count(*) FILTER (WHERE pg_cancel_backend(pid))::int AS n FROM unnest($1::int[]) AS pid', [pids]);
    return rows[0]?.n ?? 0;
  } finally {
    await admin.end().catch(() => {});
  }
}

/**
 * True for errors that mean the server connection is gone (terminated backend, reset socket, server
 * shutdown): such a client must be discarded, never returned to the pool, and the work retried on a
 * fresh connection.
 */
export function isConnectionLost(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  if (!e) return false;
  if (typeof e.code === 'string' && (/^(08|57P0)/.test(e.code) || ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT'].includes(e.code))) return true;
  return typeof e.message === 'string' && /Connection terminated|not queryable|ECONNRESET|EPIPE|terminating connection/i.test(e.message);
}

/** The connection error a client emitted, when it emitted one. */
const lostConnections = new WeakMap<object, Error>();

/**
 * Gives a client an 'error' listener. A client whose server connection dies emits 'error' (idle,
 * checked out between queries, or mid-COPY); unhandled, that event kills the whole worker process.
 * The failing statement rejects anyway, so the activity fails and Temporal retries it; the error is
 * kept so the client is discarded on release.
 */
export function guardClient<C extends pg.Client | pg.PoolClient>(client: C): C {
  if (!guarded.has(client)) {
    guarded.add(client);
    client.on('error', (err: Error) => {
      lostConnections.set(client, err);
    });
  }
  return client;
}

/**
 * A client with its 'error' listener from construction on, so no path (a pool's internal checkout, a
 * connection being set up or ended, a client handed over before the caller's code runs) leaves a
 * window in which a terminated backend's FATAL message is an unhandled event.
 */
class GuardedClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    guardClient(this);
  }
}

/** A standalone client (admin work, migrations) guarded like the pool's. */
export function newClient(connectionString: string): pg.Client {
  return new GuardedClient({ connectionString });
}

function track(client: pg.PoolClient, scope: QueryScope | undefined): pg.PoolClient {
  guardClient(client);
  if (scope) scope.add(client);
  const release = client.release;
  client.release = (err?: Error | boolean) => {
    scope?.delete(client);
    client.release = release;
    // A client that lost its connection is destroyed, never handed to the next caller.
    return release.call(client, err || lostConnections.get(client));
  };
  return client;
}

/** A pool whose checkouts are guarded against connection errors and recorded in the caller's query scope. */
class ScopedPool extends pg.Pool {
  override connect(): Promise<pg.PoolClient>;
  override connect(callback: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void): void;
  override connect(callback?: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void): Promise<pg.PoolClient> | void {
    const scope = queryScopes.getStore();
    if (!callback) return super.connect().then((c) => track(c, scope));
    super.connect((err, client, done) => callback(err, client ? track(client, scope) : client, client ? (r?: unknown) => client.release(r as Error | boolean) : done));
  }
}

/** A pool with guarded, scoped checkouts; its idle clients' errors are dropped (pg-pool discards those clients). */
export function createPool(url: string, max: number): pg.Pool {
  const pool = new ScopedPool({ connectionString: url, max, Client: GuardedClient });
  pool.on('error', () => {
    /* an idle client died: pg-pool removes it; the next query opens a new connection */
  });
  return pool;
}

export function getPool(url = databaseUrl()): pg.Pool {
  let pool = pools.get(url);
  if (!pool) {
    pool = createPool(url, Number(process.env.PG_POOL_MAX ?? 10));
    pools.set(url, pool);
  }
  return pool;
}

export async function closePools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.end()));
}

export async function withTransaction<T>(fn: (client: pg.PoolClient) => Promise<T>, pool = getPool()): Promise<T> {
  const client = await pool.connect();
  let discard: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    // A lost connection has rolled the transaction back already; a ROLLBACK that fails means the
    // client is unusable. Either way it is destroyed on release, not returned to the pool.
    if (isConnectionLost(err)) discard = err as Error;
    await client.query('ROLLBACK').catch((rollbackErr: Error) => {
      discard ??= rollbackErr;
    });
    throw err;
  } finally {
    client.release(discard);
  }
}
