/**
 * `scoreflow pipeline validate FILE`: every problem of a pipeline file, with key paths and what to
 * do; exit 0 when valid, 1 when not (2 for bad flags). `run` and `schedule create|apply` make the
 * same check before anything starts (requirePipeline).
 */
import type { Command } from 'commander';
import { emit } from '../output.ts';
import { formatValidation, validatePipelineFile, type PipelineValidation } from '../../activities/run/validate-pipeline.ts';
import { InputError } from './operate.ts';

/** A pipeline file that failed validation: every problem is in the message. */
export class InvalidPipelineError extends InputError {
  override name = 'InvalidPipeline';
  constructor(
    readonly validation: PipelineValidation,
    what: string,
  ) {
    super(`${what}: ${formatValidation(validation)}\nFix these (scoreflow pipeline validate ${validation.file} checks again).`);
  }
}

/** Validates a pipeline before `what` (e.g. "nothing started"); throws InvalidPipelineError (exit 2) listing every problem. */
export async function requirePipeline(path: string, what: string): Promise<PipelineValidation> {
  const v = await validatePipelineFile(path);
  if (!v.ok) throw new InvalidPipelineError(v, what);
  for (const w of v.warnings) process.stderr.write(`scoreflow: warning: ${v.file}: ${w.path}: ${w.message}\n`);
  return v;
}

export function registerPipelineCommands(program: Command): void {
  const pipeline = program.command('pipeline').description('Pipeline files (pipelines/*.yaml).');
  pipeline
    .command('validate')
    .description('Check a pipeline file strictly and list every problem: unknown keys (with the closest known key), destination kinds and configs, credentials variables, gate blocks, the model in the registry.')
    .argument('<file>', 'pipeline file (YAML or JSON)')
    .option('--json', 'print one JSON object')
    .addHelpText('after', '\nExample:\n  $ scoreflow pipeline validate pipelines/demo.yaml\n\nExit codes: 0 valid, 1 invalid (every problem listed), 2 bad flags.\n')
    .action(async (file: string, o: { json?: boolean }) => {
      const v = await validatePipelineFile(file);
      // A refused file carries the envelope every command's failure has (error, message) beside its problems.
      const out = v.ok
        ? v
        : { ...v, error: 'InvalidPipeline', message: `${v.problems.length} problem${v.problems.length === 1 ? '' : 's'} in ${v.file}: ${v.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}` };
      emit(o, out, () => formatValidation(v));
      if (!v.ok) process.exitCode = 1;
    });
}
