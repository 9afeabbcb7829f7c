/**
 * Starts and probes a Temporal dev server (`temporal server start-dev`) with Scoreflow's search
 * attributes registered. Used by `scoreflow dev`, `scoreflow demo` and the test global setup.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { dirname } from 'node:path';
import { ensureTemporalCli } from './temporal-cli.ts';
import { WEB_UI_PORT_OFFSET } from '../../workers/config.ts';

export const SEARCH_ATTRIBUTES: Record<string, 'Keyword' | 'Text' | 'Int' | 'Double' | 'Bool' | 'Datetime'> = {
  Pipeline: 'Keyword',
  ModelVersion: 'Keyword',
  RunStatus: 'Keyword',
  GateStatus: 'Keyword',
  DeliveryId: 'Keyword',
};

export interface DevServerOptions {
  port: number;
  /** Web UI port; Temporal's default is port + 1000. */
  uiPort?: number;
  headless?: boolean;
  dbFile?: string;
  namespace?: string;
  /** Write server output here instead of inheriting stdio. */
  logFile?: string;
  detached?: boolean;
}

const uiPortOf = (opts: DevServerOptions) => opts.uiPort ?? opts.port + WEB_UI_PORT_OFFSET;

export function devServerArgs(opts: DevServerOptions): string[] {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--namespace', opts.namespace ?? 'default', '--log-level', 'warn'];
  if (opts.headless) args.push('--headless');
  else args.push('--ui-port', String(uiPortOf(opts)));
  if (opts.dbFile) {
    mkdirSync(dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);
  return args;
}

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no free port on 127.0.0.1'))));
    });
  });
}

export function isPortOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function waitForPort(port: number, timeoutMs: number, what: string, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode} before listening on ${port}`);
    if (await isPortOpen(port)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

export interface RunningDevServer {
  address: string;
  uiUrl?: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function startDevServer(opts: DevServerOptions): Promise<RunningDevServer> {
  const cli = ensureTemporalCli();
  const stdio: ['ignore', number | 'inherit', number | 'inherit'] = ['ignore', 'inherit', 'inherit'];
  if (opts.logFile) {
    mkdirSync(dirname(opts.logFile), { recursive: true });
    const fd = openSync(opts.logFile, 'a');
    stdio[1] = fd;
    stdio[2] = fd;
  }
  const child = spawn(cli.path, devServerArgs(opts), { stdio, detached: opts.detached ?? false });
  if (opts.detached) child.unref();
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitForPort(opts.port, 60_000, 'Temporal dev server', child);
    if (!opts.headless) await waitForPort(uiPortOf(opts), 30_000, 'Temporal Web UI', child);
  } catch (err) {
    // A server that never became ready must not outlive the failed start (and keep its ports).
    await stop();
    throw err;
  }
  return {
    address: `127.0.0.1:${opts.port}`,
    uiUrl: opts.headless ? undefined : `http://127.0.0.1:${uiPortOf(opts)}`,
    child,
    stop,
  };
}
