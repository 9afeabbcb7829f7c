import { migrate, databaseUrl, closePools } from '../activities/store/db.ts';

const applied = await migrate(databaseUrl());
process.stderr.write(`[scoreflow] migrations: ${applied.length ? applied.join(', ') : 'up to date'}\n`);
await closePools();
