/**
 * Runs the CLI cases of the bad-input corpus in this process: a commander program with the same
 * commands as cli/main.ts (exitOverride instead of process.exit) and main's error handling (fail(),
 * the error's exitCode or 1). A few representative cases also run as a real `scoreflow` process, to
 * show the in-process runner answers as the CLI does. Per case: the exit code, a message naming the
 * flag, argument or file with the problem, no raw zod issue array, and nothing written to the
 * database for the case's folder.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { closePools, getPool } from '../../activities/store/db.ts';
import { fail } from '../../cli/output.ts';
import { registerIngestCommand } from '../../cli/commands/ingest.ts';
import { registerRollbackCommand } from '../../cli/commands/rollback.ts';
import { registerOperateCommands } from '../../cli/commands/operate.ts';
import { registerPipelineCommands } from '../../cli/commands/pipeline.ts';
import { registerServeCommand } from '../../cli/commands/serve.ts';
import { runCli } from '../helpers/run-cli.ts';
import { CLI_CASES, type CliCase } from './cli.cases.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await closePools();
});

/** The commands the corpus exercises, registered as cli/main.ts does. */
function program(): Command {
  const p = new Command();
  p.name('scoreflow').enablePositionalOptions().exitOverride();
  registerRollbackCommand(p);
  registerOperateCommands(p);
  registerIngestCommand(p);
  registerPipelineCommands(p);
  registerServeCommand(p);
  // Subcommands inherit neither exitOverride nor the output writers: set them on each.
  const capture = (c: Command) => {
    c.exitOverride();
    c.configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
    c.commands.forEach(capture);
  };
  capture(p);
  return p;
}

/** Runs `scoreflow ...args` in this process; the exit code and what it wrote. */
async function runInProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string | Uint8Array) => ((stdout += String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => ((stderr += String(s)), true)) as typeof process.stderr.write;
  process.exitCode = undefined;
  let code: number;
  try {
    await program().parseAsync(['node', 'scoreflow', ...args]);
    code = Number(process.exitCode ?? 0);
  } catch (e) {
    if (e instanceof CommanderError) code = e.exitCode;
    else {
      // cli/main.ts: an error may carry its exit code (2: usage error); otherwise 1.
      code = e instanceof Error && 'exitCode' in e && typeof e.exitCode === 'number' ? e.exitCode : 1;
      fail({ json: args.includes('--json') }, e, code);
    }
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    process.exitCode = undefined;
  }
  return { code, stdout, stderr };
}

function check(c: CliCase, dir: string, res: { code: number; stdout: string; stderr: string }) {
  const text = `${res.stderr}\n${res.stdout}`;
  expect(res.code, text).toBe(c.code);
  expect(text).toMatch(typeof c.message === 'function' ? c.message(dir) : c.message);
  // Never a raw zod issue array or a bare errno.
  expect(text).not.toMatch(/"code":\s*"(invalid_|too_|unrecognized)/);
  expect(text).not.toMatch(/^(Error: )?E[A-Z]+: /m);
}

async function nothingLoadedFrom(dir: string) {
  const { rows } = await getPool().query('SELECT count(*)::int AS n FROM feed_delivery WHERE source_dir LIKE $1', [`${dir}%`]);
  expect(rows[0].n).toBe(0);
}

describe(`bad-input corpus: CLI flags (${CLI_CASES.length} cases, in process)`, () => {
  it.each(CLI_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const dir = mkdtempSync(join(tmpdir(), 'scoreflow-corpus-cli-'));
    dirs.push(dir);
    const res = await runInProcess(await c.args(dir));
    check(c, dir, res);
    await nothingLoadedFrom(dir);
  });
});

describe('bad-input corpus: CLI flags as a real scoreflow process (representative cases)', () => {
  it.each(CLI_CASES.filter((c) => c.spawn).map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const dir = mkdtempSync(join(tmpdir(), 'scoreflow-corpus-cli-'));
    dirs.push(dir);
    const res = await runCli(await c.args(dir));
    check(c, dir, res);
    await nothingLoadedFrom(dir);
  }, 120_000);
});
