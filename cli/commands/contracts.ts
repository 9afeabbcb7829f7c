/**
 * `scoreflow contracts check|export|release`: data contracts from the terminal.
 *   check    diffs each working contract against its latest released snapshot and every registered
 *            consumer (destination mapping); exit 1 when a change would break one, naming it and the field.
 *   export   writes JSON Schema files (every contract) or the ODCS v3 document of activation_record
 *            (with --pipeline: that pipeline's freshness, cadence and decision owners).
 *   release  runs the check, then snapshots every not-yet-released version (never overwriting one).
 */
import { Option, type Command } from 'commander';
import { resolve } from 'node:path';
import { runContractsCheck } from '../../activities/contracts/check.ts';
import { exportContracts, type ContractExportFormat } from '../../activities/contracts/export.ts';
import { DEFAULT_RELEASED_DIR } from '../../activities/contracts/released-snapshots.ts';
import { loadPipelineConfig } from '../../activities/run/pipeline.ts';
import { ALL_CONTRACTS } from '../../contracts/registry.ts';
import { releaseContracts } from '../../activities/contracts/release.ts';
import { emit } from '../output.ts';
import { UsageError, oneOf } from './flag-values.ts';

const FORMATS = ['jsonschema', 'odcs'] as const satisfies readonly ContractExportFormat[];

export function registerContractsCommands(program: Command): void {
  const contracts = program.command('contracts').description('Data contracts: compatibility check, export, release.');

  contracts
    .command('check')
    .description('Check every working contract against its released snapshot and its consumers; exit 1 on a breaking or unannounced change.')
    .option('--released-dir <dir>', 'released snapshots to compare against', DEFAULT_RELEASED_DIR)
    .option('--json', 'print one JSON object')
    .action(async (o: { releasedDir: string; json?: boolean }) => {
      // The report goes to stdout for a person; with --json only the one JSON line does.
      const result = await runContractsCheck({ releasedDir: resolve(o.releasedDir), write: o.json ? () => {} : (t) => void process.stdout.write(t) });
      if (o.json) emit(o, result, () => '');
      if (!result.ok) {
        // Without --json the report above already lists the failures; with it, CI logs still show them.
        const list = o.json ? `:\n${result.failures.map((f) => `  ${f}`).join('\n')}` : '';
        process.stderr.write(`scoreflow: contracts check failed (${result.failures.length})${list}\n`);
        process.exitCode = 1;
      }
    });

  contracts
    .command('export')
    .description('Write the contracts as JSON Schema (one file per contract and version) or activation_record as an ODCS v3 YAML document.')
    .addOption(new Option('--format <format>', 'export format').choices(FORMATS).makeOptionMandatory())
    .option('--out <dir>', 'folder to write into', 'contracts-export')
    .option('--pipeline <file>', "ODCS: state this pipeline's freshness (freshness.maxAgeHours), cadence and each destination's decision point, owner and latency budget")
    .option('--json', 'print one JSON object')
    .action(async (o: { format: string; out: string; pipeline?: string; json?: boolean }) => {
      const format = oneOf('format', o.format, FORMATS);
      if (o.pipeline && format !== 'odcs') throw new UsageError('--pipeline applies to --format odcs only (JSON Schema files do not carry freshness or owners).');
      const pipeline = o.pipeline ? loadPipelineConfig(o.pipeline) : undefined;
      const res = await exportContracts(format, o.out, ALL_CONTRACTS, pipeline);
      emit(o, { ok: true, ...res }, () => [`exported ${res.files.length} file${res.files.length === 1 ? '' : 's'} (${res.format}):`, ...res.files.map((f) => `  ${f}`)].join('\n'));
    });

  contracts
    .command('release')
    .description('Run the check, then snapshot every contract version not yet released into the released folder (a released version never changes).')
    .option('--only <name>', 'release only this contract')
    .option('--released-dir <dir>', 'where released snapshots live', DEFAULT_RELEASED_DIR)
    .option('--json', 'print one JSON object')
    .action(async (o: { only?: string; releasedDir: string; json?: boolean }) => {
      const selected = o.only ? ALL_CONTRACTS.filter((c) => c.name === o.only) : ALL_CONTRACTS;
      if (selected.length === 0) throw new UsageError(`--only "${o.only}": no such contract; contracts are ${ALL_CONTRACTS.map((c) => c.name).join(', ')}.`);
      const released = await releaseContracts({ contracts: selected, releasedDir: resolve(o.releasedDir) });
      emit(o, { ok: true, released }, () => released.map((r) => `${r.status === 'written' ? 'released ' : 'unchanged'} ${r.contract} ${r.version} → ${r.file}`).join('\n'));
    });
}
