/**
 * The `scoreflow` CLI. Every command takes --json and then prints one JSON object as its last line.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { closePools } from '../activities/store/db.ts';
import { fail } from './output.ts';
import { registerCoreCommands } from './commands/core.ts';
import { registerDemoCommand } from './commands/demo.ts';
import { registerMeasurementCommands } from './commands/measurement.ts';
import { registerRollbackCommand } from './commands/rollback.ts';
import { registerOperateCommands } from './commands/operate.ts';
import { registerIngestCommand } from './commands/ingest.ts';
import { registerFeedCommands } from './commands/feed.ts';
import { registerModelCommands } from './commands/models.ts';
import { registerContractsCommands } from './commands/contracts.ts';
import { registerIdentityCommands } from './commands/identity.ts';
import { registerServeCommand } from './commands/serve.ts';
import { registerSyncCommands } from './commands/sync.ts';
import { registerPipelineCommands } from './commands/pipeline.ts';
import { registerRunsCommands } from './commands/runs.ts';
import { registerVerifyCommand } from './commands/verify.ts';

// `scoreflow … --json | head` closes stdout early: that ends the output, not the command with a crash.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
const program = new Command();
program.name('scoreflow').description('Turn predictive scores into action: Adobe data feeds in, governed activations out, on Temporal.');
// Positional: `scoreflow --version` is the program's; `models register --version 1.0.0` stays the command's.
program.enablePositionalOptions();
program.version(version, '-V, --version', 'print the Scoreflow version');
program.showHelpAfterError();
registerCoreCommands(program);
registerDemoCommand(program);
registerMeasurementCommands(program);
registerRollbackCommand(program);
registerOperateCommands(program);
registerIngestCommand(program);
registerFeedCommands(program);
registerModelCommands(program);
registerContractsCommands(program);
registerIdentityCommands(program);
registerServeCommand(program);
registerSyncCommands(program);
registerPipelineCommands(program);
registerRunsCommands(program);
registerVerifyCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const json = process.argv.includes('--json');
  // An error may carry its exit code (2: usage error, e.g. InputError); otherwise 1.
  const code = err instanceof Error && 'exitCode' in err && typeof err.exitCode === 'number' ? err.exitCode : 1;
  fail({ json }, err, code);
} finally {
  await closePools();
}
