/**
 * The `scoreflow` CLI. Every command takes --json and then prints one JSON object as its last line,
 * `{"ok": true|false, ...}`, usage errors included. Exit codes: cli/output.ts (EXIT).
 *
 * Start-up: only the module of the command being run is loaded (cli/command-modules.ts); the
 * top-level help comes from the build's command index, so `scoreflow --help` loads no command module.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { REPO_ROOT } from '../activities/store/paths.ts';
import { EXIT, fail } from './output.ts';
import { registerAll, registerModule, type CommandIndexEntry } from './command-modules.ts';

// `scoreflow … --json | head` closes stdout early: that ends the output, not the command with a crash.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };

/**
 * The program with its settings and no commands. Subcommands inherit exitOverride and
 * configureOutput: a usage error throws a CommanderError (handled below) instead of exiting 1,
 * and under --json its text is left out, the JSON envelope says it instead.
 */
export function newProgram(argv: readonly string[] = process.argv): Command {
  const json = argv.includes('--json');
  const program = new Command();
  program.name('scoreflow').description('Turn predictive scores into action: Adobe data feeds in, governed activations out, on Temporal.');
  // Positional: `scoreflow --version` is the program's; `models register --version 1.0.0` stays the command's.
  program.enablePositionalOptions();
  program.version(version, '-V, --version', 'print the Scoreflow version');
  program.exitOverride();
  program.configureOutput({ outputError: (str, write) => (json ? undefined : write(str)) });
  if (!json) program.showHelpAfterError('(add --help for usage and examples)');
  program.addHelpText(
    'after',
    '\nExit codes: 0 ok, 1 failure, 2 usage error (nothing started), 3 completed with a run paused or aborted.\n' +
      '\nExamples:\n  $ scoreflow demo\n  $ scoreflow run --pipeline pipelines/demo.yaml --wait --json\n  $ scoreflow help run\n',
  );
  return program;
}

/** The build's index of top-level commands, or undefined when running from source. */
function commandIndex(): CommandIndexEntry[] | undefined {
  const file = join(import.meta.dirname, 'command-index.json');
  if (!import.meta.url.endsWith('.js') || !existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as CommandIndexEntry[];
}

/** Registers what this argv needs: the one module of the named command, else a listing of all of them. */
export async function registerFor(program: Command, argv: readonly string[], index = commandIndex()): Promise<boolean> {
  if (!index) {
    await registerAll(program);
    return true;
  }
  const words = argv.slice(2).filter((a) => !a.startsWith('-'));
  const name = words[0] === 'help' ? words[1] : words[0];
  const entry = index.find((e) => e.name === name);
  if (entry && (await registerModule(program, entry.module))) return true;
  // No command (or an unknown one): names and descriptions are all the help and the error need.
  for (const e of index) program.command(e.name).description(e.description);
  return false;
}

/** Runs the CLI for argv; returns the exit code. */
export async function main(argv: readonly string[] = process.argv): Promise<number> {
  const json = argv.includes('--json');
  const program = newProgram(argv);
  let loaded = false;
  try {
    loaded = await registerFor(program, argv);
    await program.parseAsync(argv as string[]);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end this way too, with exit code 0.
      if (err.exitCode === 0) return 0;
      if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: 'UsageError', code: err.code, message: err.message.replace(/^error: /, '') })}\n`);
      return EXIT.usage;
    }
    // An error may carry its exit code (2: usage error, e.g. UsageError); otherwise 1.
    const code = err instanceof Error && 'exitCode' in err && typeof err.exitCode === 'number' ? err.exitCode : EXIT.failure;
    fail({ json }, err, code);
    return code;
  } finally {
    // Only a command module opens database pools; help and --version never load the driver.
    if (loaded) await (await import('../activities/store/db.ts')).closePools();
  }
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}

// Run when executed as `node cli/main.ts` (bin/scoreflow.js calls main() itself), not when imported.
if (/[\\/]cli[\\/]main\.(ts|js)$/.test(process.argv[1] ?? '')) {
  process.exitCode = await main();
}
