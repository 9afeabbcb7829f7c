/** Per-worker set-up: point the code under test at the run's database, Temporal server and its Web UI. */
import { inject } from 'vitest';

process.env.DATABASE_URL = inject('databaseUrl');
const temporal = inject('temporalAddress');
if (temporal) process.env.TEMPORAL_ADDRESS = temporal;
const ui = inject('temporalUiUrl');
if (ui) process.env.TEMPORAL_UI_URL = ui;
process.env.LOG_LEVEL ??= 'silent';
