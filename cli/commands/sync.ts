/**
 * `scoreflow sync preview --pipeline P --destination D [--run ID] [--limit N]`: what a sync of a
 * published cycle to a stateful destination (Target, Google, Meta, webhook, NATS) would send: the
 * counts of adds, updates, removes, retries, unchanged and held entities, and each row's payload in
 * send order, planned exactly as the export plans it (activities/destinations/sync-destination.ts
 * previewSync). Nothing is sent and nothing is written: no plan is stored, no mapping is pinned, and
 * the database is not migrated (a preview of an unmigrated database says to run `scoreflow setup`).
 * Identifiers never appear, only which kinds a row carries.
 */
import type { Command } from 'commander';
import { databaseUrl, getPool } from '../../activities/store/db.ts';
import { loadPipelineConfig } from '../../activities/run/pipeline.ts';
import { previewSync, type SyncPreview } from '../../activities/destinations/sync-destination.ts';
import { canonicalJson } from '../../activities/destinations/sync-engine.ts';
import { replaySync, type ReplayResult } from '../../activities/destinations/sync-replay.ts';
import type { PipelineConfig } from '../../contracts/pipeline-config.ts';
import { emit } from '../output.ts';
import { UsageError, wholeNumber } from './flag-values.ts';
import { defaultPipelinePath } from './run.ts';

interface PreviewFlags {
  pipeline: string;
  destination: string;
  run?: string;
  limit: string;
  json?: boolean;
}

export interface SyncPreviewReport {
  ok: true;
  pipeline: string;
  runId: string;
  destination: string;
  kind: string;
  /** True when the run already stored its plan: what it sends (or sent). */
  stored: boolean;
  counts: SyncPreview['counts'];
  identity: SyncPreview['identity'];
  /** Rows in the plan that would be sent (removes, retries, adds, updates). */
  totalRows: number;
  /** The first `--limit` of them, in send order. */
  rows: SyncPreview['rows'];
  sent: 0;
}

/** The destination a preview can be taken for: a stateful one of the pipeline, else a UsageError naming the valid ones. */
export function statefulDestinationName(cfg: PipelineConfig, name: string): string {
  const stateful = cfg.destinations.filter((d) => d.kind !== 'file').map((d) => d.name);
  const valid = stateful.length ? `valid destinations: ${stateful.join(', ')}` : 'it declares no stateful destination (Target, Google, Meta, webhook, NATS)';
  const dest = cfg.destinations.find((d) => d.name === name);
  if (!dest) throw new UsageError(`--destination "${name}": pipeline ${cfg.name} has no such destination; ${valid}.`);
  if (dest.kind === 'file') {
    throw new UsageError(`--destination "${name}" is a file export, which keeps no sync state (each run writes its files whole), so there is nothing to preview; ${valid}.`);
  }
  return dest.name;
}

/** The cycle to preview: the given one (checked to be a published cycle of the pipeline) or the pipeline's latest. */
async function cycleToPreview(cfg: PipelineConfig, run: string | undefined): Promise<string> {
  const pool = getPool();
  if (run === undefined) {
    const { rows } = await pool.query<{ run_id: string }>(
      'SELECT run_id FROM activation_record WHERE pipeline = $1 GROUP BY run_id ORDER BY max(published_at) DESC, run_id DESC LIMIT 1',
      [cfg.name],
    );
    if (!rows[0]) throw new UsageError(`pipeline ${cfg.name} has no published cycle yet; run one first (scoreflow run --pipeline ...), or pass --run with a published cycle id.`);
    return rows[0].run_id;
  }
  const { rows } = await pool.query<{ pipeline: string; n: number }>('SELECT pipeline, count(*)::int AS n FROM activation_record WHERE run_id = $1 GROUP BY pipeline', [run]);
  if (rows.length === 0) throw new UsageError(`--run "${run}": no published records for that cycle; pass the cycle id of a published run (scoreflow status --run ID lists its cycles).`);
  if (!rows.some((r) => r.pipeline === cfg.name)) {
    throw new UsageError(`--run "${run}" was published by pipeline ${rows.map((r) => r.pipeline).join(', ')}, not ${cfg.name}; pass that pipeline's file with --pipeline.`);
  }
  return run;
}

export async function syncPreviewReport(opts: { pipelinePath: string; destination: string; run?: string; limit: number }): Promise<SyncPreviewReport> {
  const cfg = loadPipelineConfig(opts.pipelinePath);
  const destination = statefulDestinationName(cfg, opts.destination);
  let runId: string;
  try {
    runId = await cycleToPreview(cfg, opts.run);
  } catch (err) {
    // A preview only reads: it does not migrate the database (that is a write, and `setup`'s job).
    if ((err as { code?: string }).code === '42P01') {
      throw new Error(`database ${new URL(databaseUrl()).pathname.slice(1)} holds no Scoreflow tables; run "scoreflow setup" (or point DATABASE_URL at the pipeline's database).`);
    }
    throw err;
  }
  const p = await previewSync({ runId, pipeline: cfg, destination });
  return {
    ok: true,
    pipeline: cfg.name,
    runId,
    destination: p.destination,
    kind: p.kind,
    stored: p.stored,
    counts: p.counts,
    identity: p.identity,
    totalRows: p.rows.length,
    rows: opts.limit === 0 ? p.rows : p.rows.slice(0, opts.limit),
    sent: 0,
  };
}

function formatPreview(r: SyncPreviewReport): string {
  const c = r.counts;
  const lines = [
    `sync preview of run ${r.runId} to ${r.destination} (${r.kind}), pipeline ${r.pipeline}${r.stored ? ': the plan the run stored (what it sends or sent)' : ''}`,
    `  adds ${c.adds}, updates ${c.updates}, removes ${c.removes}, retries ${c.retries}; unchanged ${c.unchanged}, held ${c.held}`,
  ];
  if (r.identity) {
    lines.push(`  identity: match rate ${(r.identity.matchRate * 100).toFixed(1)}% (${r.identity.matched} matched, ${r.identity.unmatched} unmatched, ${r.identity.ambiguous} ambiguous)`);
  }
  if (r.totalRows === 0) lines.push('  nothing to send');
  else {
    lines.push(`  rows in send order${r.rows.length < r.totalRows ? ` (first ${r.rows.length} of ${r.totalRows}; --limit 0 shows all)` : ''}:`);
    for (const row of r.rows) {
      lines.push(`    ${row.op.padEnd(6)} ${row.entityId}  ${row.reason}  ids: ${row.identifierKinds.join(',') || '-'}  payload: ${canonicalJson(row.payload)}`);
    }
  }
  lines.push('  nothing was sent');
  return lines.join('\n');
}

interface ReplayFlags {
  pipeline: string;
  destination: string;
  run: string;
  dryRun?: boolean;
  replayId?: string;
  operator?: string;
  reason?: string;
  limit: string;
  json?: boolean;
}

function formatReplay(r: ReplayResult, limit: number): string {
  const c = r.counts;
  const lines = [
    `sync replay ${r.replayId} of run ${r.runId} to ${r.destination} (${r.kind})${r.dryRun ? ': dry run, the plan only' : ''}`,
    `  the destination is to hold ${r.desiredMembers} members: upserts ${c.adds}, removes ${c.removes}; held back (no consent) ${c.held}`,
  ];
  const shown = limit === 0 ? r.rows : r.rows.slice(0, limit);
  for (const row of shown) lines.push(`    ${row.op.padEnd(6)} ${row.entityId}  ${row.reason}`);
  if (shown.length < r.rows.length) lines.push(`    … ${r.rows.length - shown.length} more (--limit 0 shows all)`);
  lines.push(r.sent ? `  sent: ${r.sent.accepted} accepted, ${r.sent.rejected} rejected, in ${r.sent.chunks} chunks` : '  nothing was sent');
  return lines.join('\n');
}

export function registerSyncCommands(program: Command): void {
  const sync = program.command('sync').description('Destination syncs: what the sync engine sends to Target, Google, Meta, webhooks and NATS.');

  sync
    .command('preview')
    .description('Show the exact payloads a sync of a published cycle would send to a destination, and the counts of adds, updates and removes, without sending anything.')
    .option('--pipeline <file>', 'pipeline config', defaultPipelinePath())
    .requiredOption('--destination <name>', "a stateful destination of the pipeline (not a file export)")
    .option('--run <id>', "the published cycle to sync (default: the pipeline's latest)")
    .option('--limit <n>', 'rows to show (0 = all); the counts always cover every row', '20')
    .option('--json', 'print one JSON object')
    .action(async (o: PreviewFlags) => {
      const limit = wholeNumber('limit', o.limit, 0);
      const report = await syncPreviewReport({ pipelinePath: o.pipeline, destination: o.destination, run: o.run, limit });
      emit(o, report, () => formatPreview(report));
    });

  sync
    .command('replay')
    .description(
      "Send a past cycle's state to one destination again (after a data loss there, or a failed export): every member the cycle wants is upserted, whatever the destination was thought to hold, and members it does not want are removed. Idempotent per --replay-id; audited in the ledger and operator_audit.",
    )
    .option('--pipeline <file>', 'pipeline config', defaultPipelinePath())
    .requiredOption('--run <id>', 'the published cycle whose state the destination should hold')
    .requiredOption('--destination <name>', 'a stateful destination of the pipeline (not a file export)')
    .option('--dry-run', 'print the plan; send, store and audit nothing')
    .option('--replay-id <id>', 'name of this replay; the same id resumes an interrupted replay without sending a chunk twice')
    .option('--operator <name>', 'who asks for the replay (audit)', process.env.USER ?? 'cli')
    .option('--reason <text>', 'why (audit)', 'sync replay')
    .option('--limit <n>', 'rows to list (0 = all)', '20')
    .option('--json', 'print one JSON object')
    .action(async (o: ReplayFlags) => {
      const limit = wholeNumber('limit', o.limit, 0);
      const cfg = loadPipelineConfig(o.pipeline);
      const destination = statefulDestinationName(cfg, o.destination);
      const run = await cycleToPreview(cfg, o.run);
      const r = await replaySync({ runId: run, pipeline: cfg, destination, dryRun: o.dryRun === true, replayId: o.replayId, operator: o.operator, reason: o.reason });
      const report = { ok: true as const, ...r, rows: limit === 0 ? r.rows : r.rows.slice(0, limit), totalRows: r.rows.length };
      emit(o, report, () => formatReplay(r, limit));
    });
}
