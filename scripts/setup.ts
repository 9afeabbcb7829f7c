/**
 * `npm run setup` (also the first step of `npm run demo`): the Temporal CLI binary and the
 * migrations of DATABASE_URL. `npm test` passes `--binary-only`: the suite migrates its own
 * throwaway database, so a developer's `scoreflow` database never decides whether CI passes.
 */
import { closePools } from '../activities/store/db.ts';
import { ensureBinary, ensureMigrated } from '../cli/services/ensure-services.ts';

const log = (l: string) => process.stderr.write(`${l}\n`);
ensureBinary(log);
if (!process.argv.includes('--binary-only')) await ensureMigrated(log);
await closePools();
