/**
 * One Temporal dev server and one migrated PostgreSQL database per test run.
 * The server is the real `temporal server start-dev` (built from the Go module proxy when absent),
 * on free ports, headless, in-memory. Tests reach it through TEMPORAL_ADDRESS.
 */
import type { TestProject } from 'vitest/node';
import { createServer } from 'node:net';
import { migrate, closePools, recreateDatabase } from '../../activities/store/db.ts';
import { startDevServer, type RunningDevServer } from '../../scripts/dev-server.ts';

export const TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/scoreflow_test';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

let server: RunningDevServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  // A fresh database per run: tests start from the migrations alone, never from a previous run's rows.
  const databaseUrl = process.env.SCOREFLOW_TEST_DATABASE_URL ?? TEST_DATABASE_URL;
  await recreateDatabase(databaseUrl);
  await migrate(databaseUrl);
  await closePools();
  project.provide('databaseUrl', databaseUrl);

  let temporalAddress = process.env.TEMPORAL_ADDRESS ?? '';
  if (!temporalAddress && process.env.SCOREFLOW_NO_TEMPORAL !== '1') {
    const port = await freePort();
    server = await startDevServer({ port, headless: true });
    temporalAddress = server.address;
  }
  project.provide('temporalAddress', temporalAddress);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    temporalAddress: string;
  }
}
