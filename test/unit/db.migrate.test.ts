import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { closePools, getPool, migrate, MIGRATIONS_DIR, recreateDatabase } from '../../activities/store/db.ts';

describe('migrate', () => {
  it('is idempotent and leaves the foundation tables in place', async () => {
    const second = await migrate(process.env.DATABASE_URL);
    expect(second).toEqual([]);
    const { rows } = await getPool().query<{ n: number }>(
      "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name IN ('feed_delivery','activation_record','ledger_event')",
    );
    expect(rows[0]?.n).toBe(3);
  });

  it('serialises concurrent callers: one applies every migration, the others wait and find nothing to do', async () => {
    const url = new URL(process.env.DATABASE_URL!);
    url.pathname = `/${url.pathname.slice(1)}_concurrent_migrate_test`;
    await recreateDatabase(url.toString());
    const results = await Promise.all([1, 2, 3, 4].map(() => migrate(url.toString())));
    const expected = readdirSync(MIGRATIONS_DIR).filter((f) => /\.(sql|js|ts)$/.test(f)).length;
    const nonEmpty = results.filter((r) => r.length > 0);
    expect(nonEmpty).toHaveLength(1);
    expect(nonEmpty[0]).toHaveLength(expected);
    const pool = getPool(url.toString());
    const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM pgmigrations');
    expect(rows[0]?.n).toBe(expected);
    await closePools();
  });
});
