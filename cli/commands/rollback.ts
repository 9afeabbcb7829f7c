/**
 * `scoreflow rollback --pipeline P --to V|rules --reason R`: the terminal twin of the `rollback`
 * signal. An open run of the pipeline (running, paused or in its rollback window) gets the signal;
 * otherwise a rollback run starts that re-scores the latest published cycle's feature snapshot with
 * the target, publishes it as a new cycle marked as a rollback, and sends every destination the deltas.
 */
import type { Command } from 'commander';
import { userInfo } from 'node:os';
import { emit } from '../output.ts';
import { connectClient } from '../../workers/client.ts';
import { getPool } from '../../activities/store/db.ts';
import { loadPipelineConfig } from '../../activities/run/pipeline.ts';
import { RollbackPayload } from '../../workflows/messages.ts';
import { defaultPipelinePath, startRun } from './run.ts';
import { runLink } from '../../workers/config.ts';

export async function rollbackPipeline(opts: { pipelinePath: string; to: string; reason: string; operator: string; wait?: boolean }) {
  const cfg = loadPipelineConfig(opts.pipelinePath);
  const payload = RollbackPayload.parse({
    to: opts.to === 'rules' ? { policy: 'rules' } : { modelVersion: opts.to },
    reason: opts.reason,
    operator: opts.operator,
  });
  const { client, close } = await connectClient();
  try {
    const open = client.workflow.list({ query: `WorkflowType = "activationRun" AND Pipeline = "${cfg.name}" AND ExecutionStatus = "Running"` });
    for await (const wf of open) {
      await client.workflow.getHandle(wf.workflowId).signal('rollback', payload);
      return { mode: 'signalled' as const, workflowId: wf.workflowId, link: runLink(wf.workflowId) };
    }
  } finally {
    await close();
  }
  const { rows } = await getPool().query<{ run_id: string }>(
    `SELECT r.run_id FROM activation_run r WHERE r.pipeline = $1 AND EXISTS (SELECT 1 FROM activation_record a WHERE a.run_id = r.run_id)
     ORDER BY r.updated_at DESC LIMIT 1`,
    [cfg.name],
  );
  const last = rows[0]?.run_id;
  if (!last) throw new Error(`pipeline ${cfg.name} has no published cycle to roll back`);
  const started = await startRun({
    pipelinePath: opts.pipelinePath,
    rollbackOf: last,
    model: payload.to,
    workflowId: `${cfg.name}.rollback.${new Date().toISOString().replace(/[:.]/g, '-')}`,
    wait: opts.wait,
    rollbackReason: { operator: payload.operator, reason: payload.reason },
  });
  return { mode: 'rollback-run' as const, workflowId: started.workflowId, rollbackOf: last, link: started.link, status: started.result?.status };
}

export function registerRollbackCommand(program: Command): void {
  program
    .command('rollback')
    .description("Roll a pipeline back to an earlier model version or to the rules fallback; destinations converge to that version's state.")
    .option('--pipeline <file>', 'pipeline config', defaultPipelinePath())
    .requiredOption('--to <version|rules>', 'model version, or "rules"')
    .requiredOption('--reason <text>', 'why (audited)')
    .option('--operator <name>', 'who (audited)', userInfo().username)
    .option('--wait', 'wait for a rollback run to finish')
    .option('--json', 'print one JSON object')
    .action(async (o: { pipeline: string; to: string; reason: string; operator: string; wait?: boolean; json?: boolean }) => {
      const res = await rollbackPipeline({ pipelinePath: o.pipeline, to: o.to, reason: o.reason, operator: o.operator, wait: o.wait });
      emit(o, res, () => (res.mode === 'signalled' ? `sent rollback to open run ${res.workflowId}\n  ${res.link}` : `started rollback run ${res.workflowId} (of ${res.rollbackOf})${res.status ? `: ${res.status}` : ''}\n  ${res.link}`));
    });
}
