/** `scoreflow runs list [--pipeline P] [--status S]`: runs from activation_run, newest first. */
import type { Command } from 'commander';
import { getPool } from '../../activities/store/db.ts';
import { emit } from '../output.ts';
import { InputError } from './operate.ts';

export const RUN_STATUSES = ['RUNNING', 'PAUSED', 'COMPLETED', 'ABORTED', 'NO_DATA', 'FAILED', 'CANCELLED'] as const;

export interface RunRow {
  runId: string;
  pipeline: string;
  status: string;
  stage: string;
  modelVersion: string | null;
  startedAt: string;
  updatedAt: string;
  counts: Record<string, number>;
}

export async function listRuns(o: { pipeline?: string; status?: string; limit?: number }): Promise<RunRow[]> {
  const status = o.status?.toUpperCase();
  if (status !== undefined && !(RUN_STATUSES as readonly string[]).includes(status)) {
    throw new InputError(`--status "${o.status}": not a run status; use one of ${RUN_STATUSES.join(', ')}.`);
  }
  const limit = o.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1) throw new InputError(`--limit "${o.limit}": give a whole number of 1 or more.`);
  const { rows } = await getPool().query<{ run_id: string; pipeline: string; status: string; stage: string; model_version: string | null; started_at: Date; updated_at: Date; counts: Record<string, number> }>(
    `SELECT run_id, pipeline, status, stage, model_version, started_at, updated_at, counts FROM activation_run
      WHERE (parent_run_id IS NULL OR parent_run_id = run_id) AND ($1::text IS NULL OR pipeline = $1) AND ($2::text IS NULL OR status = $2)
      ORDER BY started_at DESC, run_id LIMIT $3`,
    [o.pipeline ?? null, status ?? null, limit],
  );
  return rows.map((r) => ({
    runId: r.run_id,
    pipeline: r.pipeline,
    status: r.status,
    stage: r.stage,
    modelVersion: r.model_version,
    startedAt: r.started_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    counts: r.counts,
  }));
}

export function registerRunsCommands(program: Command): void {
  const runs = program.command('runs').description('Runs of activationRun, from the database.');
  runs
    .command('list')
    .description('Runs, newest first (rollback cycles are listed under their run by "scoreflow status").')
    .option('--pipeline <name>', 'only this pipeline (its name, e.g. demo)')
    .option('--status <status>', `only runs with this status: ${RUN_STATUSES.join(', ')}`)
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'print one JSON object')
    .action(async (o: { pipeline?: string; status?: string; limit: string; json?: boolean }) => {
      const rows = await listRuns({ pipeline: o.pipeline, status: o.status, limit: /^\d+$/.test(o.limit) ? Number(o.limit) : NaN });
      emit(o, { runs: rows }, () =>
        rows.length
          ? rows.map((r) => `${r.startedAt}  ${r.status.padEnd(9)}  ${r.pipeline}  ${r.runId}  stage ${r.stage}${r.modelVersion ? `  model ${r.modelVersion}` : ''}`).join('\n')
          : `no runs${o.pipeline ? ` of pipeline ${o.pipeline}` : ''}${o.status ? ` with status ${o.status.toUpperCase()}` : ''}`,
      );
    });
}
