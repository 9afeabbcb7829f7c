/**
 * The `scoreflow` CLI. Every command takes --json and then prints one JSON object as its last line.
 */
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

const program = new Command();
program.name('scoreflow').description('Turn predictive scores into action: Adobe data feeds in, governed activations out, on Temporal.');
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
