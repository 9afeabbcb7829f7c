/** `scoreflow stats lift` (analyst sanity check) and `scoreflow report lift` (a run's lift report). */
import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { renderLiftReport } from '../../activities/report/lift-report.ts';
import { liftHeadline } from '../../activities/report/lift-headline.ts';
import { NOT_ROUTED, NOT_ROUTED_NOTE } from '../../activities/report/not-routed.ts';
import { UsageError, emit } from '../output.ts';
import { formatLiftText, liftFromCounts, type LiftFromCountsInput, type LiftResult } from '../../activities/measurement/lift.ts';
import { getPool } from '../../activities/store/db.ts';
import { defaultReportDir, writeLiftReportHtml } from '../../activities/measurement/outcomes-activity.ts';
import type { LiftReport } from '../../activities/measurement/lift.ts';

/** A command-line argument that cannot be used; the message names the flag and the expected form. */
export { UsageError };

/** `--control N,CONV`: two non-negative integers, conversions ≤ users. */
export function parseArm(flag: string, value: string): { n: number; conversions: number } {
  const example = `e.g. --${flag} 10000,230 (10,000 users, 230 of them converted)`;
  const parts = value.split(',').map((p) => p.trim());
  if (parts.length !== 2 || parts.some((p) => p === '')) {
    throw new UsageError(`--${flag} "${value}": expected USERS,CONVERSIONS, two whole numbers separated by a comma; ${example}.`);
  }
  const [usersText, conversionsText] = parts as [string, string];
  const whole = (text: string, what: string): number => {
    if (/^-\d/.test(text)) throw new UsageError(`--${flag} "${value}": ${what} is negative (${text}); counts cannot be below 0; ${example}.`);
    if (!/^\d+$/.test(text)) throw new UsageError(`--${flag} "${value}": ${what} "${text}" is not a whole number; ${example}.`);
    const n = Number(text);
    if (!Number.isSafeInteger(n)) throw new UsageError(`--${flag} "${value}": ${what} ${text} is too large (above ${Number.MAX_SAFE_INTEGER}).`);
    return n;
  };
  const n = whole(usersText, 'USERS');
  const conversions = whole(conversionsText, 'CONVERSIONS');
  if (conversions > n) {
    throw new UsageError(`--${flag} "${value}": CONVERSIONS (${conversions}) cannot exceed USERS (${n}); the order is USERS,CONVERSIONS, ${example}.`);
  }
  return { n, conversions };
}

/** A number strictly between 0 and 1, from a flag. */
export function parseOpenUnit(flag: string, value: string, example: string): number {
  const x = value.trim() === '' ? Number.NaN : Number(value);
  if (!Number.isFinite(x)) throw new UsageError(`--${flag} "${value}": not a number; expected a number strictly between 0 and 1, e.g. --${flag} ${example}.`);
  if (x <= 0 || x >= 1) throw new UsageError(`--${flag} ${value}: must be strictly between 0 and 1, e.g. --${flag} ${example}.`);
  return x;
}

export interface StatsLiftFlags {
  control: string;
  treatment: string;
  confidence: string;
  controlShare?: string;
}

/** The options of `scoreflow stats lift`, checked flag by flag. Throws UsageError naming the flag. */
export function parseStatsLiftFlags(o: StatsLiftFlags): LiftFromCountsInput {
  return {
    control: parseArm('control', o.control),
    treatment: parseArm('treatment', o.treatment),
    confidence: parseOpenUnit('confidence', o.confidence, '0.95'),
    ...(o.controlShare !== undefined ? { expectedControlShare: parseOpenUnit('control-share', o.controlShare, '0.1') } : {}),
  };
}

export function statsLift(o: StatsLiftFlags): LiftResult {
  return liftFromCounts(parseStatsLiftFlags(o));
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

/** One line per measured cycle of a pipeline, newest first. */
export interface MeasuredCycle {
  runId: string;
  cycleRunId: string;
  computedAt: string;
  entities: number;
  status: string;
  absoluteLift: number | null;
  ci: [number, number] | null;
  trustworthy: boolean | null;
}

export async function listMeasuredCycles(pipeline: string): Promise<MeasuredCycle[]> {
  const { rows } = await getPool().query<{ report: LiftReport; computed_at: Date }>('SELECT report, computed_at FROM lift_report WHERE pipeline = $1 ORDER BY computed_at DESC', [pipeline]);
  return rows.map(({ report: r, computed_at }) => ({
    runId: r.runId,
    cycleRunId: r.cycleRunId,
    computedAt: computed_at.toISOString(),
    entities: r.entities,
    status: r.overall.status,
    absoluteLift: r.overall.status === 'ok' ? r.overall.absoluteLift.estimate : null,
    ci: r.overall.status === 'ok' ? [r.overall.absoluteLift.ci.lower, r.overall.absoluteLift.ci.upper] : null,
    trustworthy: r.overall.status === 'ok' ? r.overall.trustworthy : null,
  }));
}

export function formatMeasuredCycles(pipeline: string, cycles: MeasuredCycle[]): string {
  const f = (x: number) => (x * 100).toFixed(2);
  return [
    `Measured cycles of pipeline ${pipeline} (${cycles.length}, newest first):`,
    ...cycles.map(
      (c) =>
        `  ${c.computedAt}  ${c.runId}  ${c.entities} entities  ` +
        (c.absoluteLift === null ? `not enough data (${c.status})` : `lift ${f(c.absoluteLift)}pp [${f(c.ci![0])}, ${f(c.ci![1])}]${c.trustworthy ? '' : '  UNTRUSTWORTHY'}`),
    ),
  ].join('\n');
}

const BREAKDOWN_TITLES = [
  ['modelVersion', 'by model version', 'model'],
  ['segment', 'by segment', 'segment'],
  ['destination', 'by destination', 'destination'],
  ['scoreDecile', 'uplift by score decile', 'decile'],
] as const;

function groupLine(label: string, res: LiftResult): string {
  if (res.status !== 'ok') return `    ${label}: not enough data (${res.reason})`;
  const f = (x: number) => (x * 100).toFixed(2);
  return (
    `    ${label}: control ${f(res.control.conversionRate)}% (n=${res.control.n})  treatment ${f(res.treatment.conversionRate)}% (n=${res.treatment.n})  ` +
    `lift ${f(res.absoluteLift.estimate)}pp [${f(res.absoluteLift.ci.lower)}, ${f(res.absoluteLift.ci.upper)}]` +
    (res.trustworthy ? '' : '  UNTRUSTWORTHY (sample-ratio mismatch)')
  );
}

export function formatLiftReport(r: LiftReport): string {
  const lines = [
    `Lift report: pipeline ${r.pipeline}, run ${r.runId} (cycle ${r.cycleRunId})`,
    `  outcome window ${r.window.start} → ${r.window.end} (${r.window.days} days); data observed through ${r.observedThrough ?? 'n/a'}; ${r.entities} entities`,
    ...(liftHeadline(r.overall) ? [`  ${liftHeadline(r.overall)}`] : []),
    formatLiftText(r.overall).replace(/^/gm, '  '),
  ];
  for (const [dimension, title, label] of BREAKDOWN_TITLES) {
    const groups = r.breakdowns[dimension] ?? [];
    if (groups.length === 0) continue;
    lines.push(`  ${title}:`);
    const width = Math.max(...groups.map((g) => String(g.value).length));
    for (const g of groups) lines.push(groupLine(`${label} ${String(g.value).padStart(width)}`, g.result));
    if (groups.some((g) => g.value === NOT_ROUTED)) lines.push(`    ${NOT_ROUTED_NOTE}`);
  }
  if (r.htmlPath) lines.push(`  HTML report: ${r.htmlPath}`);
  return lines.join('\n');
}

/** Writes the stored report as HTML: to `file` when given, else to the report directory. */
async function writeHtml(r: LiftReport, file?: string): Promise<string> {
  if (!file) return writeLiftReportHtml(r, defaultReportDir());
  const path = resolve(file);
  await writeFile(path, renderLiftReport(r, new Date().toISOString()), 'utf8');
  return path;
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
    .action((o: StatsLiftFlags & { json?: boolean }) => {
      const result = statsLift(o);
      emit(o, result, () => formatLiftText(result));
    });

  const report = program.command('report').description('Reports.');
  report
    .command('lift')
    .description("A run's lift against its holdout: per arm, overall and by model version, segment, destination and score decile.")
    .requiredOption('--pipeline <name>', 'pipeline name, e.g. demo')
    .option('--run <id>', 'run id (default: every measured cycle listed, then the latest in full)')
    .option('--html [file]', 'also write the HTML report with charts (default: <report dir>/<run>/lift.html)')
    .option('--json', 'print one JSON object')
    .action(async (o: { pipeline: string; run?: string; html?: string | boolean; json?: boolean }) => {
      const r = await loadLiftReport(o.pipeline, o.run);
      if (o.html !== undefined && o.html !== false) r.htmlPath = await writeHtml(r, typeof o.html === 'string' ? o.html : undefined);
      if (o.run) return emit(o, r, () => formatLiftReport(r));
      const cycles = await listMeasuredCycles(o.pipeline);
      emit(o, { ...r, cycles }, () => `${formatMeasuredCycles(o.pipeline, cycles)}\n\nLatest:\n${formatLiftReport(r)}`);
    });
}
