import { describe, expect, it } from 'vitest';
import { getPool, migrate } from '../../activities/store/db.ts';

describe('migrate', () => {
  it('is idempotent and leaves the foundation tables in place', async () => {
    const second = await migrate(process.env.DATABASE_URL);
    expect(second).toEqual([]);
    const { rows } = await getPool().query<{ n: number }>(
      "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name IN ('feed_delivery','activation_record','ledger_event')",
    );
    expect(rows[0]?.n).toBe(3);
  });
});
