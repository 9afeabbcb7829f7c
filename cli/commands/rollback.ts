/**
 * `scoreflow rollback --to V|rules --reason R (--run ID | --pipeline P)`: the terminal twin of the
 * `rollback` signal, answered. With --run, the run gets the `rollbackUpdate`; its validator refuses
 * an unknown target at once, listing the valid ones. With --pipeline, an open run of the pipeline
 * (running, paused or in its rollback window) gets the same update; otherwise the target is checked
 * against the registry here and a rollback run starts that re-scores the latest published cycle's
 * feature snapshot with it, publishes it as a new cycle marked as a rollback, and sends every
 * destination the deltas.
 */
import type { Command } from 'commander';
import { emit } from '../output.ts';
import { connectClient } from '../../workers/client.ts';
import { getPool } from '../../activities/store/db.ts';
import { loadPipelineConfig } from '../../activities/run/pipeline.ts';
import { rollbackTargets } from '../../activities/scoring/registry.ts';
import { RollbackPayload, rollbackUpdate, type OperatorAnswer } from '../../workflows/messages.ts';
import { defaultPipelinePath, startRun } from './run.ts';
import { runLink } from '../../workers/config.ts';
import { DEFAULT_ANSWER_TIMEOUT, InputError, OperatorCommandError, defaultOperator, durationFlag, formatAnswer, sendOperatorUpdate } from './operate.ts';

export type RollbackResult =
  | { ok: true; mode: 'answered'; workflowId: string; link: string; answer: OperatorAnswer }
  | { ok: true; mode: 'rollback-run'; workflowId: string; rollbackOf: string; link: string; status?: string };

const FLAGS: Record<string, { flag: string; value: (o: RollbackFlags) => string | undefined }> = {
  to: { flag: '--to', value: (o) => o.to },
  reason: { flag: '--reason', value: (o) => o.reason },
  operator: { flag: '--operator', value: (o) => o.operator },
};

interface RollbackFlags {
  to?: string;
  reason?: string;
  operator?: string;
}

/** The rollback payload from the flags, or an InputError naming each bad flag and what it needs. */
export function rollbackPayloadFrom(o: RollbackFlags): RollbackPayload {
  if (!o.to?.trim()) throw new InputError('--to is required: a model version of the pipeline\'s model (e.g. --to 1.0.0) or "rules" for the fallback policy.');
  const parsed = RollbackPayload.safeParse({
    to: o.to === 'rules' ? { policy: 'rules' } : { modelVersion: o.to },
    reason: o.reason ?? '',
    operator: o.operator ?? '',
  });
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => {
    const field = String(i.path[0] ?? '');
    const f = FLAGS[field];
    const given = f?.value(o);
    return `${f ? `${f.flag}${given === undefined ? '' : ` "${given}"`}: ` : ''}${field}: ${i.message}`;
  });
  throw new InputError(`rollback not sent: ${problems.join('; ')}.`);
}

/** Refuses a target the registry cannot score the snapshot with, listing the valid ones (the rule of the run's own validator). */
async function checkTargetAgainstRegistry(cfg: { model: { name: string }; fallbackPolicy?: string }, lastRunId: string, featureSetVersion: string, to: RollbackPayload['to']): Promise<void> {
  const targets = await rollbackTargets(cfg.model.name, featureSetVersion, Boolean(cfg.fallbackPolicy));
  const valid = [...targets.versions, ...(targets.rules ? ['rules'] : [])].join(', ') || 'none';
  if ('policy' in to) {
    if (!targets.rules) throw new OperatorCommandError('ActionRefused', `rollback refused, nothing started: no rules policy fits feature set ${featureSetVersion} (the snapshot of ${lastRunId}); valid targets: ${valid}.`);
  } else if (!targets.versions.includes(to.modelVersion)) {
    throw new OperatorCommandError(
      'ActionRefused',
      `rollback refused, nothing started: ${cfg.model.name} has no version ${to.modelVersion} that can score feature set ${featureSetVersion} (the snapshot of ${lastRunId}); valid targets: ${valid}.`,
    );
  }
}

export async function rollbackPipeline(opts: { pipelinePath: string; payload: RollbackPayload; wait?: boolean; timeoutMs: number }): Promise<RollbackResult> {
  const cfg = loadPipelineConfig(opts.pipelinePath);
  const { payload } = opts;
  const { client, close } = await connectClient();
  try {
    const open = client.workflow.list({ query: `WorkflowType = "activationRun" AND Pipeline = "${cfg.name}" AND ExecutionStatus = "Running"` });
    for await (const wf of open) {
      const answer = await sendOperatorUpdate(client, { workflowId: wf.workflowId, action: 'rollback', update: rollbackUpdate, payload, schema: RollbackPayload, timeoutMs: opts.timeoutMs });
      return { ok: true, mode: 'answered', workflowId: wf.workflowId, link: runLink(wf.workflowId), answer };
    }
  } finally {
    await close();
  }
  const { rows } = await getPool().query<{ run_id: string; feature_set_version: string | null }>(
    `SELECT r.run_id, s.feature_set_version FROM activation_run r LEFT JOIN feature_snapshot s ON s.snapshot_id = r.snapshot_id
     WHERE r.pipeline = $1 AND EXISTS (SELECT 1 FROM activation_record a WHERE a.run_id = r.run_id)
     ORDER BY r.updated_at DESC LIMIT 1`,
    [cfg.name],
  );
  const last = rows[0];
  if (!last) throw new Error(`pipeline ${cfg.name} has no open run and no published cycle to roll back; run a cycle first ("scoreflow run --pipeline ${opts.pipelinePath}")`);
  if (!last.feature_set_version) throw new Error(`cycle ${last.run_id} of pipeline ${cfg.name} has no feature snapshot, so nothing can be re-scored; roll back a cycle that scored`);
  await checkTargetAgainstRegistry(cfg, last.run_id, last.feature_set_version, payload.to);
  const started = await startRun({
    pipelinePath: opts.pipelinePath,
    rollbackOf: last.run_id,
    model: payload.to,
    workflowId: `${cfg.name}.rollback.${new Date().toISOString().replace(/[:.]/g, '-')}`,
    wait: opts.wait,
    rollbackReason: { operator: payload.operator, reason: payload.reason },
  });
  return { ok: true, mode: 'rollback-run', workflowId: started.workflowId, rollbackOf: last.run_id, link: started.link, status: started.result?.status };
}

/** `rollback --run ID`: the run's rollbackUpdate, answered or refused with the valid targets. */
export async function rollbackRun(opts: { workflowId: string; payload: RollbackPayload; timeoutMs: number }): Promise<RollbackResult> {
  const { client, close } = await connectClient();
  try {
    const answer = await sendOperatorUpdate(client, { workflowId: opts.workflowId, action: 'rollback', update: rollbackUpdate, payload: opts.payload, schema: RollbackPayload, timeoutMs: opts.timeoutMs });
    return { ok: true, mode: 'answered', workflowId: opts.workflowId, link: runLink(opts.workflowId), answer };
  } finally {
    await close();
  }
}

interface RollbackOptions extends RollbackFlags {
  pipeline: string;
  run?: string;
  timeout: string;
  wait?: boolean;
  json?: boolean;
}

export function registerRollbackCommand(program: Command): void {
  program
    .command('rollback')
    .description("Roll a run or a pipeline back to an earlier model version or to the rules fallback; destinations converge to that version's state.")
    .option('--run <workflowId>', 'roll back this open run (it answers at once; an unknown target is refused with the valid ones)')
    .option('--pipeline <file>', 'without --run: the open run of this pipeline, else a new rollback run of its latest published cycle', defaultPipelinePath())
    .option('--to <version|rules>', 'model version, or "rules"; required')
    .option('--reason <text>', 'why, at least 3 characters (audited); required')
    .option('--operator <name>', 'who acts (audited); default $SCOREFLOW_OPERATOR, else your OS user name')
    .option('--timeout <duration>', "how long to wait for the run's worker to answer", DEFAULT_ANSWER_TIMEOUT)
    .option('--wait', 'wait for a rollback run to finish')
    .option('--json', 'print one JSON object')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ scoreflow rollback --run demo.run.2026-05-01T10-00-00-000Z --to 1.0.0 --reason "v2 over-targets new visitors"\n' +
        '  $ scoreflow rollback --pipeline pipelines/demo.yaml --to rules --reason "model outage: fall back to rules"\n' +
        '\nExit codes: 0 accepted or started, 1 refused (the message lists the valid targets) or no such run, 2 bad flags.\n',
    )
    .action(async (o: RollbackOptions, cmd: Command) => {
      if (o.run !== undefined && cmd.getOptionValueSource('pipeline') === 'cli') throw new InputError('give --run or --pipeline, not both: --run rolls back that run, --pipeline the open run of a pipeline (or its latest published cycle).');
      if (o.run !== undefined && !o.run.trim()) throw new InputError('--run "": give the workflow id of the run to roll back.');
      const payload = rollbackPayloadFrom({ to: o.to, reason: o.reason, operator: o.operator ?? defaultOperator() });
      const timeoutMs = durationFlag('timeout', o.timeout);
      const res = o.run ? await rollbackRun({ workflowId: o.run, payload, timeoutMs }) : await rollbackPipeline({ pipelinePath: o.pipeline, payload, wait: o.wait, timeoutMs });
      emit(o, res, () =>
        res.mode === 'answered' ? formatAnswer(res.answer) : `started rollback run ${res.workflowId} (of ${res.rollbackOf})${res.status ? `: ${res.status}` : ''}\n  ${res.link}`,
      );
    });
}
