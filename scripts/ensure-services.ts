/**
 * Set-up shared by `npm run setup`, `npm test`, `scoreflow demo` and CI: the Temporal CLI binary
 * (built once into the cache), database migrations, and (for the demo) a running dev server.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_DIR, REPO_ROOT } from '../activities/store/paths.ts';
import { ensureTemporalCli } from './temporal-cli.ts';
import { isPortOpen, startDevServer } from './dev-server.ts';
import { databaseUrl, migrate } from '../activities/store/db.ts';
import { temporalAddress } from '../workers/config.ts';

export { REPO_ROOT, DATA_DIR };

export async function ensureMigrated(log: (l: string) => void): Promise<void> {
  const applied = await migrate(databaseUrl());
  log(`[scoreflow] database ${new URL(databaseUrl()).pathname.slice(1)}: ${applied.length ? `applied ${applied.join(', ')}` : 'migrations up to date'}`);
}

/** Makes sure a Temporal dev server listens on the address's port; starts one in the background if not. */
/** The port of TEMPORAL_ADDRESS (7233 without one): the demo starts its dev server where its client will look. */
function addressPort(): number {
  const port = Number(/:(\d+)$/.exec(temporalAddress())?.[1]);
  return Number.isInteger(port) && port > 0 ? port : 7233;
}

export async function ensureDevServer(log: (l: string) => void, port = addressPort(), uiPort = port === 7233 ? 8233 : port + 1000): Promise<{ started: boolean }> {
  if (await isPortOpen(port)) return { started: false };
  mkdirSync(DATA_DIR, { recursive: true });
  log(`[scoreflow] starting the Temporal dev server on 127.0.0.1:${port} (Web UI http://127.0.0.1:${uiPort}), data in ${join(DATA_DIR, 'temporal')}`);
  await startDevServer({ port, uiPort, dbFile: join(DATA_DIR, 'temporal', 'dev.db'), detached: true, logFile: join(DATA_DIR, 'temporal', 'server.log') });
  return { started: true };
}

export function ensureBinary(log: (l: string) => void): string {
  const cli = ensureTemporalCli(log);
  log(`[scoreflow] Temporal CLI: ${cli.path} (${cli.source}${cli.buildSeconds !== undefined ? `, built in ${cli.buildSeconds}s` : ''})`);
  return cli.path;
}
