/**
 * The CLI's command modules, each loaded only when one of its commands runs: importing every module
 * loads the Temporal SDK, fastify, onnxruntime and the rest, which costs seconds at start-up.
 * The build writes dist/cli/command-index.json (scripts/build.mjs → writeCommandIndex): each top-level
 * command's name, description and module, so `scoreflow --help` lists them without loading any module.
 */
import type { Command } from 'commander';
import { addHelpExamples } from './help-examples.ts';

type Register = (program: Command) => void;

export const COMMAND_MODULES: Record<string, () => Promise<Register>> = {
  core: async () => (await import('./commands/core.ts')).registerCoreCommands,
  demo: async () => (await import('./commands/demo.ts')).registerDemoCommand,
  measurement: async () => (await import('./commands/measurement.ts')).registerMeasurementCommands,
  rollback: async () => (await import('./commands/rollback.ts')).registerRollbackCommand,
  operate: async () => (await import('./commands/operate.ts')).registerOperateCommands,
  ingest: async () => (await import('./commands/ingest.ts')).registerIngestCommand,
  feed: async () => (await import('./commands/feed.ts')).registerFeedCommands,
  models: async () => (await import('./commands/models.ts')).registerModelCommands,
  contracts: async () => (await import('./commands/contracts.ts')).registerContractsCommands,
  identity: async () => (await import('./commands/identity.ts')).registerIdentityCommands,
  serve: async () => (await import('./commands/serve.ts')).registerServeCommand,
  sync: async () => (await import('./commands/sync.ts')).registerSyncCommands,
  pipeline: async () => (await import('./commands/pipeline.ts')).registerPipelineCommands,
  runs: async () => (await import('./commands/runs.ts')).registerRunsCommands,
  verify: async () => (await import('./commands/verify.ts')).registerVerifyCommand,
};

export interface CommandIndexEntry {
  name: string;
  description: string;
  module: string;
}

/** Every top-level command with the module that registers it, in registration order. */
export async function buildCommandIndex(newProgram: () => Command): Promise<CommandIndexEntry[]> {
  const index: CommandIndexEntry[] = [];
  for (const [module, load] of Object.entries(COMMAND_MODULES)) {
    const program = newProgram();
    (await load())(program);
    for (const c of program.commands) index.push({ name: c.name(), description: c.description(), module });
  }
  return index;
}

/** All modules, in order: the source checkout (no index) and the index builder use this. */
export async function registerAll(program: Command): Promise<void> {
  for (const load of Object.values(COMMAND_MODULES)) (await load())(program);
  addHelpExamples(program);
}

/** One module's commands, with their help examples. */
export async function registerModule(program: Command, module: string): Promise<boolean> {
  const load = COMMAND_MODULES[module];
  if (!load) return false;
  (await load())(program);
  addHelpExamples(program);
  return true;
}
