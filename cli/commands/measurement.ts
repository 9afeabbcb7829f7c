/** `scoreflow stats lift` (analyst sanity check) and `scoreflow report lift` (a run's lift report). */
import type { Command } from 'commander';
import { emit } from '../output.ts';
import { formatLiftText, liftFromCounts } from '../../activities/measurement/lift.ts';
import { getPool } from '../../activities/store/db.ts';
import type { LiftReport } from '../../activities/measurement/outcomes-activity.ts';

function parseArm(flag: string, value: string): { n: number; conversions: number } {
  const m = /^(\d+),(\d+)$/.exec(value.trim());
  if (!m) throw new Error(`--${flag} ${value}: expected N,CONVERSIONS, e.g. --${flag} 10000,230`);
  return { n: Number(m[1]), conversions: Number(m[2]) };
}

export async function loadLiftReport(pipeline: string, runId?: string): Promise<LiftReport> {
  const { rows } = await getPool().query<{ report: LiftReport }>(
    runId
      ? 'SELECT report FROM lift_report WHERE pipeline = $1 AND run_id = $2'
      : 'SELECT report FROM lift_report WHERE pipeline = $1 ORDER BY computed_at DESC LIMIT 1',
    runId ? [pipeline, runId] : [pipeline],
  );
  if (!rows[0]) {
    throw new Error(
      `no lift report for pipeline ${pipeline}${runId ? ` and run ${runId}` : ''}: outcomes are measured when a run's attribution window closes (measureOutcomes). Check the run in the Web UI.`,
    );
  }
  return rows[0].report;
}

export function formatLiftReport(r: LiftReport): string {
  const lines = [
    `Lift report: pipeline ${r.pipeline}, run ${r.runId} (cycle ${r.cycleRunId})`,
    `  outcome window ${r.window.start} → ${r.window.end} (${r.window.days} days); data observed through ${r.observedThrough ?? 'n/a'}; ${r.entities} entities`,
    formatLiftText(r.overall).replace(/^/gm, '  '),
    '  uplift by score decile:',
  ];
  for (const g of r.breakdowns.scoreDecile) {
    const res = g.result;
    lines.push(
      res.status === 'ok'
        ? `    decile ${String(g.value).padStart(2)}: control ${(res.control.conversionRate * 100).toFixed(2)}%  treatment ${(res.treatment.conversionRate * 100).toFixed(2)}%  lift ${(res.absoluteLift.estimate * 100).toFixed(2)}pp [${(res.absoluteLift.ci.lower * 100).toFixed(2)}, ${(res.absoluteLift.ci.upper * 100).toFixed(2)}]`
        : `    decile ${String(g.value).padStart(2)}: not enough data (${res.reason})`,
    );
  }
  return lines.join('\n');
}

export function registerMeasurementCommands(program: Command): void {
  const stats = program.command('stats').description('Statistics for analysts.');
  stats
    .command('lift')
    .description('Conversion rates, absolute and relative lift with intervals, and the p-value, from counts.')
    .requiredOption('--control <N,CONV>', 'control arm: users,conversions')
    .requiredOption('--treatment <N,CONV>', 'treatment arm: users,conversions')
    .option('--confidence <level>', 'two-sided confidence level', '0.95')
    .option('--control-share <share>', 'configured control share, to check the sample ratio')
    .option('--json', 'print one JSON object')
    .action((o: { control: string; treatment: string; confidence: string; controlShare?: string; json?: boolean }) => {
      const result = liftFromCounts({
        control: parseArm('control', o.control),
        treatment: parseArm('treatment', o.treatment),
        confidence: Number(o.confidence),
        ...(o.controlShare ? { expectedControlShare: Number(o.controlShare) } : {}),
      });
      emit(o, result, () => formatLiftText(result));
    });

  const report = program.command('report').description('Reports.');
  report
    .command('lift')
    .description("A run's lift against its holdout: per arm, overall and by model version, segment, destination and score decile.")
    .requiredOption('--pipeline <name>', 'pipeline name, e.g. demo')
    .option('--run <id>', 'run id (default: the latest measured run)')
    .option('--json', 'print one JSON object')
    .action(async (o: { pipeline: string; run?: string; json?: boolean }) => {
      const r = await loadLiftReport(o.pipeline, o.run);
      emit(o, r, () => formatLiftReport(r));
    });
}
