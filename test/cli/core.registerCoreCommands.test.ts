import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, isPortOpen } from '../../cli/services/dev-server.ts';
import { REPO_ROOT, runCli } from '../helpers/run-cli.ts';

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM'); // `scoreflow dev` stops its Temporal server, then exits
    await exited;
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A free gRPC port whose UI port (port + 1000) is free too. */
async function freePortPair(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + 1000 <= 65_535 && !(await isPortOpen(port + 1000))) return port;
  }
}

/** Runs `scoreflow dev --json` until it prints its JSON line; the server keeps running until the test ends. */
function startDev(args: string[], env: Record<string, string>): Promise<{ json: { address: string; ui: string; env: Record<string, string> } }> {
  const dir = mkdtempSync(join(tmpdir(), 'scoreflow-dev-'));
  dirs.push(dir);
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'cli', 'main.ts'), 'dev', '--json', '--db-file', join(dir, 'dev.db'), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (b: Buffer) => {
      stdout += b.toString();
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ json: JSON.parse(line) });
    });
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    child.once('exit', (code) => reject(new Error(`scoreflow dev exited with ${code} before listening:\n${stderr}`)));
  });
}

describe('scoreflow dev', () => {
  it('serves at TEMPORAL_ADDRESS with its Web UI on the gRPC port + 1000, and prints that UI', async () => {
    const port = await freePortPair();
    const { json } = await startDev([], { TEMPORAL_ADDRESS: `127.0.0.1:${port}`, TEMPORAL_UI_URL: '' });
    expect(json.address).toBe(`127.0.0.1:${port}`);
    expect(json.ui).toBe(`http://127.0.0.1:${port + 1000}`);
    expect(json.env).toEqual({ TEMPORAL_ADDRESS: `127.0.0.1:${port}`, TEMPORAL_UI_URL: `http://127.0.0.1:${port + 1000}` });
    expect(await isPortOpen(port)).toBe(true);
    const ui = await fetch(json.ui);
    expect(ui.status).toBe(200);
  });

  it('refuses a port that is not one, naming the option', async () => {
    const res = await runCli(['dev', '--port', '72a3', '--json']);
    expect(res.code).toBe(1);
    expect(res.json).toMatchObject({ ok: false, message: '--port must be a TCP port (1-65535), got "72a3"' });
  });
});

describe('scoreflow worker and status when Temporal cannot be reached', () => {
  it('worker: exits 1 naming the address and what to do, and never says it is running', async () => {
    const port = await freePort(); // nothing listens there
    const res = await runCli(['worker'], { env: { TEMPORAL_ADDRESS: `127.0.0.1:${port}`, METRICS_PORT: 'off' } });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(new RegExp(`Cannot reach Temporal at 127\\.0\\.0\\.1:${port} .*Start a dev server with "scoreflow dev".*or set TEMPORAL_ADDRESS`));
    expect(res.stderr).not.toMatch(/worker running/);
  });

  it('status: says Temporal could not be asked, not that the run does not exist there', async () => {
    const port = await freePort();
    const res = await runCli(['status', '--run', 'no-such-run', '--json'], { env: { TEMPORAL_ADDRESS: `127.0.0.1:${port}` } });
    expect(res.code).toBe(1);
    expect(res.json).toMatchObject({ ok: false });
    expect(res.json.message).toMatch(new RegExp(`^no run no-such-run in the database, and Temporal could not be asked: Cannot reach Temporal at 127\\.0\\.0\\.1:${port}`));
    expect(res.json.message).not.toMatch(/or on Temporal/);
  });
});
