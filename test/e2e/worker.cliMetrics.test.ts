/**
 * `scoreflow worker` as an operator starts it (the CLI in a child process, default settings apart
 * from the metrics port): its /metrics has the Temporal SDK core's temporal_* beside process_* and
 * the last-success gauge, and its stderr is one format (pino JSON lines, not a TTY), the SDK's own
 * lines included. The runtime that routes the SDK's logs to pino is the one that exports the core's
 * metrics: one install, not two (a second Runtime.install fails and used to drop temporal_*).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../cli/services/dev-server.ts';
import { REPO_ROOT } from '../helpers/run-cli.ts';
import { temporalAddress } from '../helpers/temporal.ts';

let worker: ChildProcess;
let stderr = '';
let port: number;

beforeAll(async () => {
  port = await freePort();
  worker = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'scoreflow.js'), 'worker'], {
    cwd: REPO_ROOT,
    env: { ...process.env, TEMPORAL_ADDRESS: temporalAddress(), SCOREFLOW_TASK_QUEUE: `cli-metrics-${randomUUID()}`, METRICS_PORT: String(port), LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  worker.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  worker.stdout!.on('data', (b: Buffer) => (stderr += b.toString()));
  const deadline = Date.now() + 120_000;
  while (!/worker running/.test(stderr)) {
    if (worker.exitCode !== null || Date.now() > deadline) throw new Error(`the worker did not start (exit ${worker.exitCode}):\n${stderr}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}, 150_000);

afterAll(async () => {
  if (worker && worker.exitCode === null) {
    const exited = new Promise((r) => worker.once('exit', r));
    worker.kill('SIGTERM');
    await exited;
  }
});

describe('scoreflow worker, as started from the CLI', () => {
  it('serves temporal_*, process_* and nodejs_* on its /metrics, on loopback by default', async () => {
    const url = `http://127.0.0.1:${port}/metrics`;
    await expect.poll(async () => (await (await fetch(url)).text()).includes('temporal_'), { timeout: 60_000, interval: 500 }).toBe(true);
    const text = await (await fetch(url)).text();
    expect(text).toMatch(/^# TYPE temporal_\w+ /m);
    expect(text).toMatch(/^process_cpu_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(text).toContain('# TYPE scoreflow_last_success_timestamp_seconds gauge');
    expect(stderr).toContain(`"url":"http://127.0.0.1:${port}/metrics","host":"127.0.0.1"`);
  });

  it('writes one log format on stderr: every line is pino JSON, the SDK\'s included (through a graceful stop)', async () => {
    const exited = new Promise((r) => worker.once('exit', r));
    worker.kill('SIGTERM');
    await exited;
    const lines = stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('[scoreflow]'));
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(() => JSON.parse(l), l).not.toThrow();
    expect(lines.some((l) => (JSON.parse(l) as { component?: string }).component === 'temporal-sdk'), stderr).toBe(true);
  });
});
