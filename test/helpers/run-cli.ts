/**
 * Runs the real `scoreflow` CLI in a child process (`node bin/scoreflow.js ...`, the JavaScript build
 * that global-setup.ts brings up to date before any test runs) against the
 * run's database (env.ts has set DATABASE_URL; the child inherits it) and parses the one JSON object
 * a command prints as its last line.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';

export const REPO_ROOT = join(import.meta.dirname, '..', '..');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The last stdout line parsed as JSON, or undefined when it is not JSON. */
  // Each test asserts the shape it expects.
  json: any;
}

export function runCli(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [join(REPO_ROOT, 'bin', 'scoreflow.js'), ...args],
      { cwd: REPO_ROOT, env: { ...process.env, LOG_LEVEL: 'silent', ...opts.env }, maxBuffer: 64 << 20, timeout: 120_000 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') return reject(new Error(`scoreflow ${args.join(' ')}: ${err.message}\n${stderr}`));
        const last = stdout.trimEnd().split('\n').at(-1) ?? '';
        let json: unknown;
        try {
          json = JSON.parse(last);
        } catch {
          json = undefined;
        }
        resolve({ code: err ? (err.code as number) : 0, stdout, stderr, json });
      },
    );
    child.stdin?.end(opts.input ?? '');
  });
}
