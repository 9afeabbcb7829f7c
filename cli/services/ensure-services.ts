/**
 * Set-up shared by `npm run setup`, `npm test`, `scoreflow demo` and CI: the Temporal CLI binary
 * (built once into the cache), database migrations, and (for the demo) a running dev server.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_DIR, REPO_ROOT } from '../../activities/store/paths.ts';
import { ensureTemporalCli } from './temporal-cli.ts';
import { isPortOpen, startDevServer } from './dev-server.ts';
import { databaseUrl, migrate } from '../../activities/store/db.ts';
import { DEFAULT_TEMPORAL_ADDRESS, localDevServerPlan } from '../../workers/config.ts';

export { REPO_ROOT, DATA_DIR };

export async function ensureMigrated(log: (l: string) => void): Promise<void> {
  const applied = await migrate(databaseUrl());
  log(`[scoreflow] database ${new URL(databaseUrl()).pathname.slice(1)}: ${applied.length ? `applied ${applied.join(', ')}` : 'migrations up to date'}`);
}

export interface EnsuredDevServer {
  /** False when a server already listened at the address. */
  started: boolean;
  /** TEMPORAL_ADDRESS (or the default 127.0.0.1:7233). */
  address: string;
  /** The Web UI every printed link uses (webUiUrl()). */
  uiUrl: string;
}

/**
 * Makes sure a Temporal server answers at TEMPORAL_ADDRESS (default 127.0.0.1:7233). When nothing
 * listens there and the address is on this machine, starts a dev server in the background on that
 * port, with its Web UI where webUiUrl() points (TEMPORAL_UI_URL, or the gRPC port + 1000).
 */
export async function ensureDevServer(log: (l: string) => void, env: Readonly<Record<string, string | undefined>> = process.env): Promise<EnsuredDevServer> {
  const plan = localDevServerPlan(env);
  const probeHost = plan.local ? '127.0.0.1' : plan.host;
  if (await isPortOpen(plan.port, probeHost, 1_000)) return { started: false, address: plan.address, uiUrl: plan.uiUrl };
  if (!plan.local) {
    throw new Error(`no Temporal server answers at TEMPORAL_ADDRESS=${plan.address}, which is not on this machine, so none is started for it. Start that server, or unset TEMPORAL_ADDRESS to use a local dev server on ${DEFAULT_TEMPORAL_ADDRESS}.`);
  }
  if (!plan.uiLocal) {
    throw new Error(`TEMPORAL_UI_URL=${plan.uiUrl} is not on this machine, but the dev server about to start at ${plan.address} would serve its Web UI here, so every printed link would be wrong. Unset TEMPORAL_UI_URL, or point it at http://127.0.0.1:<port>.`);
  }
  mkdirSync(DATA_DIR, { recursive: true });
  log(`[scoreflow] starting the Temporal dev server on 127.0.0.1:${plan.port} (Web UI ${plan.uiUrl}), data in ${join(DATA_DIR, 'temporal')}`);
  await startDevServer({ port: plan.port, uiPort: plan.uiPort, dbFile: join(DATA_DIR, 'temporal', 'dev.db'), detached: true, logFile: join(DATA_DIR, 'temporal', 'server.log') });
  return { started: true, address: plan.address, uiUrl: plan.uiUrl };
}

export function ensureBinary(log: (l: string) => void): string {
  const cli = ensureTemporalCli(log);
  log(`[scoreflow] Temporal CLI: ${cli.path} (${cli.source}${cli.buildSeconds !== undefined ? `, built in ${cli.buildSeconds}s` : ''})`);
  return cli.path;
}
