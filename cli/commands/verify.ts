/**
 * `scoreflow verify --run ID --destination D [--sample N] [--max-mismatch-rate R]`: reads back what
 * a run's export left at a destination and compares it with what was delivered
 * (activities/destinations/verify-destination.ts). Target: a sample of profiles through the profile
 * fetch API; Meta: the audience size; Google, webhooks and NATS: not readable, said so. The result
 * is recorded in the ledger (destination_verification) and shown in the run report; a mismatch rate
 * above the threshold alerts and exits 1.
 */
import type { Command } from 'commander';
import { getPool } from '../../activities/store/db.ts';
import { loadPipelineConfig } from '../../activities/run/pipeline.ts';
import { verifyDestination, type VerificationResult } from '../../activities/destinations/verify-destination.ts';
import { PipelineConfig } from '../../contracts/pipeline-config.ts';
import { emit } from '../output.ts';
import { UsageError, decimal, wholeNumber } from './flag-values.ts';
import { statefulDestinationName } from './sync.ts';

interface VerifyFlags {
  run: string;
  destination: string;
  sample?: string;
  maxMismatchRate?: string;
  pipeline?: string;
  json?: boolean;
}

/** The pipeline a run exported under: its stored snapshot (a rollback cycle's is its run's), else --pipeline. */
async function pipelineOfRun(runId: string, file: string | undefined): Promise<PipelineConfig> {
  const parent = runId.replace(/\.rollback-\d+$/, '');
  const { rows } = await getPool().query<{ run_id: string; pipeline_config: unknown }>(
    'SELECT run_id, pipeline_config FROM activation_run WHERE run_id = ANY($1) ORDER BY (run_id = $2) DESC',
    [[runId, parent], runId],
  );
  const stored = rows.find((r) => r.pipeline_config)?.pipeline_config;
  if (stored) return PipelineConfig.parse(stored);
  if (file) return loadPipelineConfig(file);
  if (rows.length === 0) throw new UsageError(`--run "${runId}": no such run in this database; pass a run id from "scoreflow runs list".`);
  throw new UsageError(`--run "${runId}" stored no pipeline snapshot (it predates them); pass the pipeline file it ran with, --pipeline FILE.`);
}

export async function verifyReport(o: { run: string; destination: string; sample?: number; maxMismatchRate?: number; pipeline?: string }): Promise<{ ok: boolean } & VerificationResult> {
  const cfg = await pipelineOfRun(o.run, o.pipeline);
  const destination = statefulDestinationName(cfg, o.destination);
  const result = await verifyDestination({ runId: o.run, pipeline: cfg, destination, sample: o.sample, maxMismatchRate: o.maxMismatchRate });
  return { ok: result.status !== 'fail', ...result };
}

function formatResult(r: VerificationResult): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const lines = [`verify ${r.destination} (${r.kind}) for run ${r.runId}: ${r.status.toUpperCase().replace('_', ' ')}`, `  ${r.detail}`];
  if (r.method !== 'none' && r.status !== 'undetermined') lines.push(`  mismatch rate ${pct(r.mismatchRate)} (alert above ${pct(r.maxMismatchRate)}); ${r.members} members held as delivered`);
  for (const e of r.examples) {
    lines.push(`    member ${e.member}: ${e.problem.replaceAll('_', ' ')}${e.attribute ? ` ${e.attribute}` : ''}${e.expected !== undefined ? ` expected "${e.expected}"` : ''}${e.actual !== undefined ? ` got "${e.actual}"` : ''}`);
  }
  lines.push('  recorded in the ledger (destination_verification); the run report shows it');
  return lines.join('\n');
}

export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description("Read back what a run's export left at a destination and compare it with what was delivered (Target profiles; Meta and Google audience size). Records the result and alerts above the threshold.")
    .requiredOption('--run <id>', 'the run (or rollback cycle) whose export to check')
    .requiredOption('--destination <name>', 'a stateful destination of the run\'s pipeline')
    .option('--sample <n>', "members to read back (default: the destination's verify.sample, else 100)")
    .option('--max-mismatch-rate <rate>', "alert and exit 1 above this share of mismatched members (default: the destination's verify.maxMismatchRate, else 0.01)")
    .option('--pipeline <file>', 'the pipeline file, for runs that stored no snapshot')
    .option('--json', 'print one JSON object')
    .action(async (o: VerifyFlags) => {
      const sample = o.sample === undefined ? undefined : wholeNumber('sample', o.sample, 1, 10_000);
      const maxMismatchRate = o.maxMismatchRate === undefined ? undefined : decimal('max-mismatch-rate', o.maxMismatchRate, 0, 1);
      const report = await verifyReport({ run: o.run, destination: o.destination, sample, maxMismatchRate, pipeline: o.pipeline });
      emit(o, report, () => formatResult(report));
      if (!report.ok) process.exitCode = 1;
    });
}
