/** Per-worker set-up: point the code under test at the run's database and Temporal server. */
import { inject } from 'vitest';

process.env.DATABASE_URL = inject('databaseUrl');
const temporal = inject('temporalAddress');
if (temporal) process.env.TEMPORAL_ADDRESS = temporal;
process.env.LOG_LEVEL ??= 'silent';
