/** `npm run setup` (also the first step of `npm test` and `npm run demo`): binary + migrations. */
import { closePools } from '../activities/store/db.ts';
import { ensureBinary, ensureMigrated } from './ensure-services.ts';

const log = (l: string) => process.stderr.write(`${l}\n`);
ensureBinary(log);
await ensureMigrated(log);
await closePools();
