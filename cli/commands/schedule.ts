/**
 * `scoreflow schedule apply|create|list|describe|pause|unpause|delete|backfill`: the Temporal
 * Schedule of a pipeline (id `<pipeline>.schedule`) that starts its micro-batch runs.
 *
 * - apply is idempotent create-or-update: the cadence is the pipeline's `cadence` unless --every;
 *   the overlap policy is BUFFER_ONE (a run due while one is running starts after it; more are
 *   dropped); each run's input carries the pipeline's `operations` (pauseTimeout, rollbackWindow).
 * - the pipeline is validated first; a refusal lists every problem and creates nothing.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleDescription, type ScheduleOptions } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { Duration, durationMs, type PipelineConfig } from '../../contracts/pipeline-config.ts';
import { loadPipelineConfig } from '../../activities/run/pipeline.ts';
import { connectClient } from '../../workers/client.ts';
import { TASK_QUEUE } from '../../workers/config.ts';
import { PipelineKey, RunStatusKey } from '../../workflows/search-attributes.ts';
import { emit } from '../output.ts';
import { InputError } from './operate.ts';
import { requirePipeline } from './pipeline.ts';
import { checkRunInput, defaultPipelinePath, runInputFor } from './run.ts';

export const OVERLAP = 'BUFFER_ONE';
export const scheduleIdOf = (pipeline: string) => `${pipeline}.schedule`;

function durationOption(flag: string, value: string): string {
  const d = Duration.safeParse(value);
  if (!d.success) throw new InputError(`--${flag} "${value}": ${d.error.issues[0]?.message ?? 'not a duration'}; nothing created or changed.`);
  if (durationMs(d.data) < 1000) throw new InputError(`--${flag} "${value}": Temporal schedules run at most once a second; give 1s or more. Nothing created or changed.`);
  return d.data;
}

interface Planned {
  cfg: PipelineConfig;
  scheduleId: string;
  every: string;
  input: Record<string, unknown>;
  options: Omit<ScheduleOptions, 'scheduleId'>;
}

/** Validates the pipeline and the flags and builds the schedule; nothing is sent. */
async function plan(o: { pipelinePath: string; every?: string; catchupWindow?: string; taskQueue?: string }): Promise<Planned> {
  const every = o.every === undefined ? undefined : durationOption('every', o.every);
  const catchup = durationOption('catchup-window', o.catchupWindow ?? '1h');
  await requirePipeline(o.pipelinePath, 'no schedule created or changed');
  const cfg = loadPipelineConfig(o.pipelinePath);
  const cadence = every ?? cfg.cadence;
  if (every === undefined && durationMs(cadence) < 1000) throw new InputError(`${resolve(o.pipelinePath)}: cadence "${cadence}" is under 1s; nothing created or changed.`);
  const input = checkRunInput(runInputFor(cfg, { pipelinePath: resolve(o.pipelinePath) }));
  const scheduleId = scheduleIdOf(cfg.name);
  return {
    cfg,
    scheduleId,
    every: cadence,
    input,
    options: {
      spec: { intervals: [{ every: cadence as `${number}m` }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'activationRun',
        taskQueue: o.taskQueue ?? TASK_QUEUE,
        // Temporal appends the action time to this id, so the id is the cycle's idempotency key.
        workflowId: `${cfg.name}.scheduled`,
        args: [input],
        typedSearchAttributes: new TypedSearchAttributes([
          { key: PipelineKey, value: cfg.name },
          { key: RunStatusKey, value: 'RUNNING' },
        ]),
      },
      policies: { overlap: ScheduleOverlapPolicy.BUFFER_ONE, catchupWindow: catchup as `${number}h` },
      memo: { pipelinePath: resolve(o.pipelinePath) },
    },
  };
}

export interface ApplyResult {
  scheduleId: string;
  pipeline: string;
  action: 'created' | 'updated';
  every: string;
  overlap: typeof OVERLAP;
  input: Record<string, unknown>;
}

/** `schedule create`: refuses when the pipeline's schedule exists (use apply to update it). */
export async function createSchedule(o: { pipelinePath: string; every: string; catchupWindow?: string; taskQueue?: string }): Promise<ApplyResult> {
  const p = await plan(o);
  const { client, close } = await connectClient();
  try {
    if (await describeOrUndefined(client, p.scheduleId)) {
      throw new InputError(`schedule ${p.scheduleId} already exists; "scoreflow schedule apply --pipeline ${o.pipelinePath}" updates it, "scoreflow schedule delete" removes it. Nothing changed.`);
    }
    await client.schedule.create({ scheduleId: p.scheduleId, ...p.options });
    return { scheduleId: p.scheduleId, pipeline: p.cfg.name, action: 'created', every: p.every, overlap: OVERLAP, input: p.input };
  } finally {
    await close();
  }
}

/** `schedule apply`: create the pipeline's schedule, or update it in place (paused state and history kept). */
export async function applySchedule(o: { pipelinePath: string; every?: string; catchupWindow?: string; taskQueue?: string }): Promise<ApplyResult> {
  const p = await plan(o);
  const { client, close } = await connectClient();
  try {
    const existing = await describeOrUndefined(client, p.scheduleId);
    if (!existing) {
      try {
        await client.schedule.create({ scheduleId: p.scheduleId, ...p.options });
        return { scheduleId: p.scheduleId, pipeline: p.cfg.name, action: 'created', every: p.every, overlap: OVERLAP, input: p.input };
      } catch (err) {
        // Created meanwhile by another apply: fall through to update.
        if (!(err instanceof Error && err.name === 'ScheduleAlreadyRunning')) throw err;
      }
    }
    await client.schedule.getHandle(p.scheduleId).update((prev) => ({
      ...prev,
      spec: p.options.spec,
      action: p.options.action as typeof prev.action,
      policies: { ...prev.policies, ...p.options.policies },
    }));
    return { scheduleId: p.scheduleId, pipeline: p.cfg.name, action: 'updated', every: p.every, overlap: OVERLAP, input: p.input };
  } finally {
    await close();
  }
}

async function describeOrUndefined(client: Client, scheduleId: string): Promise<ScheduleDescription | undefined> {
  try {
    return await client.schedule.getHandle(scheduleId).describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
}

/** The schedule id a command acts on: --id, else the pipeline's. */
function targetId(o: { pipeline?: string; id?: string }): string {
  if (o.id) return o.id;
  return scheduleIdOf(loadPipelineConfig(o.pipeline ?? defaultPipelinePath()).name);
}

async function withSchedule<T>(id: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const { client, close } = await connectClient();
  try {
    return await fn(client);
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) throw new InputError(`no schedule ${id}; "scoreflow schedule list" shows the schedules, "scoreflow schedule apply --pipeline FILE" creates one.`);
    throw err;
  } finally {
    await close();
  }
}

export interface ScheduleSummary {
  scheduleId: string;
  paused: boolean;
  every: string[];
  overlap: string;
  note?: string;
  input?: unknown;
  recentRuns: { workflowId: string; scheduledAt: string }[];
  nextRuns: string[];
}

function intervalText(ms: number): string {
  for (const [unit, n] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) if (ms % n === 0) return `${ms / n}${unit}`;
  return `${ms}ms`;
}

export function summarize(d: ScheduleDescription): ScheduleSummary {
  const action = d.action as { args?: unknown[] };
  return {
    scheduleId: d.scheduleId,
    paused: d.state.paused,
    note: d.state.note,
    every: (d.spec.intervals ?? []).map((i) => intervalText(Number(typeof i.every === 'number' ? i.every : durationMs(String(i.every))))),
    overlap: String(d.policies.overlap),
    input: action.args?.[0],
    recentRuns: d.info.recentActions.map((a) => ({ workflowId: 'workflow' in a.action ? a.action.workflow.workflowId : '', scheduledAt: a.scheduledAt.toISOString() })),
    nextRuns: d.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString()),
  };
}

function dateOption(flag: string, value: string): Date {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new InputError(`--${flag} "${value}": not a date; give an ISO time, e.g. 2026-05-01T00:00:00Z.`);
  return d;
}

export function registerScheduleCommands(program: Command): void {
  const schedule = program.command('schedule').description('Temporal Schedules that start micro-batch runs (one per pipeline, id <pipeline>.schedule).');
  const applyLike = (name: 'apply' | 'create', description: string, everyRequired: boolean) => {
    const c = schedule.command(name).description(description).option('--pipeline <file>', 'pipeline config', defaultPipelinePath());
    if (everyRequired) c.requiredOption('--every <duration>', 'interval, e.g. 15m');
    else c.option('--every <duration>', "interval, e.g. 15m (default: the pipeline's cadence)");
    c.option('--catchup-window <duration>', 'how far back missed actions are run', '1h')
      .option('--json', 'print one JSON object')
      .action(async (o: { pipeline: string; every?: string; catchupWindow: string; json?: boolean }) => {
        const res = name === 'apply' ? await applySchedule({ pipelinePath: o.pipeline, every: o.every, catchupWindow: o.catchupWindow }) : await createSchedule({ pipelinePath: o.pipeline, every: o.every!, catchupWindow: o.catchupWindow });
        emit(o, res, () =>
          [
            `schedule ${res.scheduleId} ${res.action}: every ${res.every}, overlap ${res.overlap} (a run due while one runs starts after it; further ones are skipped)`,
            `  each run's input: ${JSON.stringify(res.input)}`,
          ].join('\n'),
        );
      });
  };
  applyLike('apply', "Create or update the pipeline's schedule (idempotent): cadence from the pipeline file unless --every; BUFFER_ONE overlap; runs carry the pipeline's operations settings.", false);
  applyLike('create', "Create the pipeline's schedule; refused when it exists (apply updates).", true);

  schedule
    .command('list')
    .description('Schedules that start activationRun.')
    .option('--json', 'print one JSON object')
    .action(async (o: { json?: boolean }) => {
      const rows = await withSchedule('(any)', async (client) => {
        const out: { scheduleId: string; paused: boolean; every: string[]; workflowType?: string; nextRun?: string }[] = [];
        for await (const s of client.schedule.list()) {
          if (s.action && 'workflowType' in s.action && s.action.workflowType !== 'activationRun') continue;
          out.push({
            scheduleId: s.scheduleId,
            paused: s.state.paused,
            every: (s.spec?.intervals ?? []).map((i) => intervalText(Number(typeof i.every === 'number' ? i.every : durationMs(String(i.every))))),
            nextRun: s.info.nextActionTimes[0]?.toISOString(),
          });
        }
        return out;
      });
      emit(o, { schedules: rows }, () => (rows.length ? rows.map((r) => `${r.scheduleId}  every ${r.every.join(',')}  ${r.paused ? 'PAUSED' : 'active'}  next ${r.nextRun ?? '-'}`).join('\n') : 'no schedules'));
    });

  schedule
    .command('describe')
    .description("A pipeline's schedule: interval, overlap, paused, each run's input, recent and next runs.")
    .option('--pipeline <file>', 'pipeline config', defaultPipelinePath())
    .option('--id <scheduleId>', 'schedule id instead of the pipeline\'s')
    .option('--json', 'print one JSON object')
    .action(async (o: { pipeline: string; id?: string; json?: boolean }) => {
      const id = targetId(o);
      const s = await withSchedule(id, async (client) => summarize(await client.schedule.getHandle(id).describe()));
      emit(o, s, () =>
        [
          `schedule ${s.scheduleId}: ${s.paused ? `PAUSED${s.note ? ` (${s.note})` : ''}` : 'active'}, every ${s.every.join(',')}, overlap ${s.overlap}`,
          `  input: ${JSON.stringify(s.input)}`,
          `  recent: ${s.recentRuns.map((r) => r.workflowId).join(', ') || '-'}`,
          `  next: ${s.nextRuns.join(', ') || '-'}`,
        ].join('\n'),
      );
    });

  for (const verb of ['pause', 'unpause'] as const) {
    schedule
      .command(verb)
      .description(verb === 'pause' ? 'Stop starting runs (runs already started go on).' : 'Start runs again on the interval.')
      .option('--pipeline <file>', 'pipeline config', defaultPipelinePath())
      .option('--id <scheduleId>', "schedule id instead of the pipeline's")
      .option('--reason <text>', 'note kept on the schedule')
      .option('--json', 'print one JSON object')
      .action(async (o: { pipeline: string; id?: string; reason?: string; json?: boolean }) => {
        const id = targetId(o);
        await withSchedule(id, async (client) => {
          const h = client.schedule.getHandle(id);
          await (verb === 'pause' ? h.pause(o.reason ?? 'paused with scoreflow schedule pause') : h.unpause(o.reason ?? 'unpaused with scoreflow schedule unpause'));
        });
        emit(o, { ok: true, scheduleId: id, paused: verb === 'pause' }, () => `schedule ${id} ${verb}d`);
      });
  }

  schedule
    .command('delete')
    .description('Delete the schedule (runs already started go on).')
    .option('--pipeline <file>', 'pipeline config', defaultPipelinePath())
    .option('--id <scheduleId>', "schedule id instead of the pipeline's")
    .option('--json', 'print one JSON object')
    .action(async (o: { pipeline: string; id?: string; json?: boolean }) => {
      const id = targetId(o);
      await withSchedule(id, (client) => client.schedule.getHandle(id).delete());
      emit(o, { ok: true, scheduleId: id, deleted: true }, () => `schedule ${id} deleted`);
    });

  schedule
    .command('backfill')
    .description('Start the runs the schedule would have started between --from and --to, one after another (BUFFER_ALL).')
    .option('--pipeline <file>', 'pipeline config', defaultPipelinePath())
    .option('--id <scheduleId>', "schedule id instead of the pipeline's")
    .requiredOption('--from <time>', 'ISO time, e.g. 2026-05-01T00:00:00Z')
    .requiredOption('--to <time>', 'ISO time, after --from')
    .option('--json', 'print one JSON object')
    .action(async (o: { pipeline: string; id?: string; from: string; to: string; json?: boolean }) => {
      const start = dateOption('from', o.from);
      const end = dateOption('to', o.to);
      if (end <= start) throw new InputError(`--to ${o.to} is not after --from ${o.from}; nothing backfilled.`);
      const id = targetId(o);
      await withSchedule(id, (client) => client.schedule.getHandle(id).backfill({ start, end, overlap: ScheduleOverlapPolicy.BUFFER_ALL }));
      emit(o, { ok: true, scheduleId: id, from: start.toISOString(), to: end.toISOString() }, () => `schedule ${id}: backfill requested for ${start.toISOString()} .. ${end.toISOString()}`);
    });
}
