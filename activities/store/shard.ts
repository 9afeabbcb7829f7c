/**
 * The streaming data plane's two primitives.
 *
 * - Shards: a run's entities split into `count` ranges of a 32-bit hash of the entity id
 *   (PostgreSQL's hashtext), so scoring, publish and each export can run as parallel activities,
 *   each over one range. The same entity always lands in the same shard for a given count; no
 *   shard (or count 1) means the whole run.
 * - Cursor pages: a server-side cursor inside the caller's transaction, fetched `pageSize` rows at a
 *   time, so an activity holds one page of a run, never the run.
 */
import type pg from 'pg';

export interface Shard {
  /** 0-based. */
  index: number;
  count: number;
}

/** Validates a shard input (absent = the whole run) and returns it normalised. */
export function normaliseShard(shard: Shard | undefined): Shard | undefined {
  if (!shard || shard.count === 1) return undefined;
  if (!Number.isInteger(shard.count) || shard.count < 1 || !Number.isInteger(shard.index) || shard.index < 0 || shard.index >= shard.count) {
    throw new RangeError(`shard ${JSON.stringify(shard)} is not a valid entity-hash range: need integers 0 <= index < count`);
  }
  return shard;
}

/**
 * SQL predicate: `column` lies in the shard's hash range. `param` is the number of the first of two
 * bind parameters (index, count) the caller appends with shardParams(). TRUE when there is no shard.
 */
export function shardPredicate(column: string, shard: Shard | undefined, param: number): string {
  if (!normaliseShard(shard)) return 'TRUE';
  return `(((hashtext(${column})::bigint + 2147483648) * $${param + 1}::bigint) / 4294967296) = $${param}::bigint`;
}

export function shardParams(shard: Shard | undefined): number[] {
  const s = normaliseShard(shard);
  return s ? [s.index, s.count] : [];
}

/** "name" for the whole run, "name#i/n" for a shard: the key a shard's plan, chunks and checkpoints use. */
export function shardKey(name: string, shard: Shard | undefined): string {
  const s = normaliseShard(shard);
  return s ? `${name}#${s.index}/${s.count}` : name;
}

/** The shards a pipeline's scale setting asks for: [undefined] (whole run) for one shard. */
export function shardsOf(count: number | undefined): (Shard | undefined)[] {
  const n = count ?? 1;
  if (n <= 1) return [undefined];
  return Array.from({ length: n }, (_, index) => ({ index, count: n }));
}

let cursorSeq = 0;

/**
 * Yields the rows of `sql` page by page through a server-side cursor. Must run inside a transaction
 * on `client` (the cursor lives until COMMIT/ROLLBACK); other statements may run on the same client
 * between pages.
 */
export async function* cursorPages<T extends pg.QueryResultRow>(client: pg.PoolClient | pg.Client, sql: string, params: unknown[], pageSize: number): AsyncGenerator<T[]> {
  const name = `sf_cursor_${process.pid}_${++cursorSeq}`;
  // Every cursor here is read to its end: plan for the whole result (hash joins, sorts), not for the
  // first 10% of rows (PostgreSQL's default for cursors, which picks nested loops that cost seconds per page).
  await client.query('SET LOCAL cursor_tuple_fraction = 1.0');
  await client.query(`DECLARE ${name} NO SCROLL CURSOR FOR ${sql}`, params);
  try {
    for (;;) {
      const { rows } = await client.query<T>(`FETCH ${Math.max(1, Math.floor(pageSize))} FROM ${name}`);
      if (rows.length === 0) return;
      yield rows;
    }
  } finally {
    await client.query(`CLOSE ${name}`).catch(() => {});
  }
}
