/** Commands that read or write PostgreSQL first apply pending migrations (quietly when there are none). */
import { databaseUrl, migrate } from '../../activities/store/db.ts';

export async function databaseReady(): Promise<void> {
  const applied = await migrate(databaseUrl());
  if (applied.length > 0) process.stderr.write(`[scoreflow] database ${new URL(databaseUrl()).pathname.slice(1)}: applied ${applied.join(', ')}\n`);
}
