/**
 * CLI conventions, in-process (main() with a captured stdout): one JSON envelope with `ok` under
 * --json, usage errors included; exit codes 0/1/2; the build's command index matches the commands.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { main, newProgram } from '../../cli/main.ts';
import { buildCommandIndex, registerAll } from '../../cli/command-modules.ts';
import { EXIT, progressLine } from '../../cli/output.ts';
import { REPO_ROOT } from '../helpers/run-cli.ts';

let out = '';
let err = '';
beforeEach(() => {
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  process.exitCode = undefined;
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

const run = (...args: string[]) => main(['node', 'scoreflow', ...args]);
const lastJson = () => JSON.parse(out.trimEnd().split('\n').at(-1) ?? '') as Record<string, unknown>;

describe('usage errors', () => {
  it.each([
    [['bogus', '--json'], 'commander.unknownCommand', "unknown command 'bogus'"],
    [['ingest', '--no-such-flag', '--json'], 'commander.unknownOption', "unknown option '--no-such-flag'"],
    [['status', '--json'], 'commander.missingMandatoryOptionValue', "required option '--run <workflowId>' not specified"],
    [['identity', 'normalize', '--type', 'fax', '--json'], 'commander.invalidArgument', 'fax'],
  ])('scoreflow %j exits 2 with one JSON envelope and no text on stdout', async (args, code, message) => {
    expect(await run(...args)).toBe(EXIT.usage);
    expect(out.trimEnd().split('\n')).toHaveLength(1);
    expect(lastJson()).toMatchObject({ ok: false, error: 'UsageError', code });
    expect(String(lastJson().message)).toContain(message);
  });

  it('without --json, commander explains on stderr and the exit code is still 2', async () => {
    expect(await run('ingest', '--no-such-flag')).toBe(EXIT.usage);
    expect(out).toBe('');
    expect(err).toContain("unknown option '--no-such-flag'");
  });

  it('a bad flag value found by a command (UsageError) exits 2 under the same envelope', async () => {
    expect(await run('stats', 'lift', '--control', '10,20x', '--treatment', '10,2', '--json')).toBe(EXIT.usage);
    expect(lastJson()).toMatchObject({ ok: false, error: 'UsageError' });
  });
});

describe('success envelope and help', () => {
  it('a command that succeeds prints {"ok": true, ...} and exits 0', async () => {
    expect(await run('stats', 'lift', '--control', '10000,200', '--treatment', '10000,260', '--json')).toBe(EXIT.ok);
    expect(lastJson()).toMatchObject({ ok: true });
  });

  it('--help and --version exit 0', async () => {
    expect(await run('--help')).toBe(0);
    expect(out).toContain('Exit codes: 0 ok, 1 failure, 2 usage error');
    out = '';
    expect(await run('--version')).toBe(0);
    expect(out).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('every command and subcommand has examples in its --help', async () => {
    const program = newProgram([]);
    await registerAll(program);
    const missing: string[] = [];
    const walk = (c: Command, path: string[]) => {
      for (const sub of c.commands) {
        const name = [...path, sub.name()];
        if (sub.commands.length > 0) walk(sub, name);
        else {
          let text = '';
          sub.configureOutput({ writeOut: (s) => (text += s) });
          sub.outputHelp();
          if (!/Examples?:\n\s+\$ scoreflow /.test(text)) missing.push(name.join(' '));
        }
      }
    };
    walk(program, []);
    expect(missing).toEqual([]);
  });
});

describe('the build', () => {
  it('dist/cli/command-index.json (made by global setup) lists exactly the commands the modules register', async () => {
    const file = join(REPO_ROOT, 'dist', 'cli', 'command-index.json');
    expect(existsSync(file)).toBe(true);
    const built = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    expect(built).toEqual(await buildCommandIndex(() => newProgram([])));
  });
});

describe('progress line', () => {
  it('shows done/total, percent, rate and ETA', () => {
    expect(progressLine('ingest', 'rows', 25_000, 100_000, 5_000)).toBe('ingest: 25,000/100,000 rows 25% 5,000 rows/s ETA 15s');
    expect(progressLine('ingest', 'rows', 25_000, undefined, 5_000)).toBe('ingest: 25,000 rows 5,000 rows/s');
    expect(progressLine('export', 'rows', 30_000, 100_000, 10_000)).toBe('export: 30,000/100,000 rows 30% 3,000 rows/s ETA 23s');
  });
});
