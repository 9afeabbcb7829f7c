/**
 * One Temporal dev server and one migrated PostgreSQL database per test run.
 * The server is the real `temporal server start-dev` (built from the Go module proxy when absent),
 * on free ports, in-memory, with its Web UI on a port of its own (the browser test drives it).
 * Tests reach it through TEMPORAL_ADDRESS and TEMPORAL_UI_URL. A TEMPORAL_ADDRESS set before the
 * run points the tests at that server instead; its Web UI is then TEMPORAL_UI_URL, if set.
 */
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { migrate, closePools, recreateDatabase } from '../../activities/store/db.ts';
import { freePort, startDevServer, type RunningDevServer } from '../../cli/services/dev-server.ts';

export const TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/scoreflow_test';

/** Tries with fresh ports this often: another process may take a free port before the server binds it. */
const START_ATTEMPTS = 3;

async function twoFreePorts(): Promise<[number, number]> {
  for (;;) {
    const [a, b] = await Promise.all([freePort(), freePort()]);
    if (a !== b) return [a, b];
  }
}

/** The dev server with its Web UI, on free ports; retried with new ports when a start fails. */
async function startServerWithUi(): Promise<RunningDevServer> {
  const errors: string[] = [];
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const [port, uiPort] = await twoFreePorts();
    try {
      // The server's own log goes to a file: its shutdown warnings would otherwise bury the test
      // summary at the end of the run's output.
      return await startDevServer({ port, uiPort, headless: false, logFile: SERVER_LOG });
    } catch (err) {
      errors.push(`attempt ${attempt} (ports ${port}, ${uiPort}): ${err instanceof Error ? err.message : String(err)} (server log: ${SERVER_LOG})`);
    }
  }
  throw new Error(`could not start the Temporal dev server with its Web UI:\n${errors.join('\n')}`);
}

/** Where the test run's dev server writes its log (one file per run). */
const SERVER_LOG = join(tmpdir(), `scoreflow-test-temporal-${process.pid}.log`);

let server: RunningDevServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  // Tests that spawn the CLI run the JavaScript build (test/helpers/run-cli.ts): bring it up to date
  // once here, so no test runs stale JavaScript and none pays for tsx at each start.
  execFileSync(process.execPath, [join(import.meta.dirname, '..', '..', 'scripts', 'build.mjs'), '--if-stale'], { stdio: ['ignore', 'inherit', 'inherit'] });
  // A fresh database per run: tests start from the migrations alone, never from a previous run's rows.
  const databaseUrl = process.env.SCOREFLOW_TEST_DATABASE_URL ?? TEST_DATABASE_URL;
  await recreateDatabase(databaseUrl);
  await migrate(databaseUrl);
  await closePools();
  project.provide('databaseUrl', databaseUrl);

  let temporalAddress = process.env.TEMPORAL_ADDRESS ?? '';
  let temporalUiUrl = temporalAddress ? (process.env.TEMPORAL_UI_URL ?? '') : '';
  if (!temporalAddress && process.env.SCOREFLOW_NO_TEMPORAL !== '1') {
    server = await startServerWithUi();
    temporalAddress = server.address;
    temporalUiUrl = server.uiUrl ?? '';
    console.log(`[scoreflow] Temporal dev server ${temporalAddress}, Web UI ${temporalUiUrl}, log ${SERVER_LOG}`);
  }
  project.provide('temporalAddress', temporalAddress);
  project.provide('temporalUiUrl', temporalUiUrl);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    temporalAddress: string;
    /** Base URL of the dev server's Web UI, e.g. http://127.0.0.1:41234; '' when there is none. */
    temporalUiUrl: string;
  }
}
