/** Core commands: dev, setup, worker, run, schedule, status, trace. */
import type { Command } from 'commander';
import { join } from 'node:path';
import { EXIT, emit, fail } from '../output.ts';
import { startDevServer } from '../services/dev-server.ts';
import { DATA_DIR, ensureBinary, ensureMigrated } from '../services/ensure-services.ts';
import { runWorker } from '../../workers/worker.ts';
import { routeSdkLogsToPino } from '../../workers/sdk-logging.ts';
import { defaultPipelinePath, startRun } from './run.ts';
import { registerScheduleCommands } from './schedule.ts';
import { formatFunnel, formatOwnership, runStatus, traceCustomer, traceEntity } from './status.ts';
import { UsageError } from './flag-values.ts';
import { localDevServerPlan, runLink, temporalAddress, webUiUrl } from '../../workers/config.ts';

const log = (l: string) => process.stderr.write(`${l}\n`);

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A port given on the command line, or undefined when the option is absent. */
function cliPort(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const port = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(port >= 1 && port <= 65_535)) throw new RangeError(`${option} must be a TCP port (1-65535), got "${value}"`);
  return port;
}

/** SKIP for a check that could not be measured (no baseline, no rows): it did not fail, but it did not pass either. */
export function gateLabel(g: { status: string; measured: boolean }): string {
  return g.status === 'pass' && !g.measured ? 'SKIP' : g.status.toUpperCase();
}

export function registerCoreCommands(program: Command): void {
  program
    .command('setup')
    .description('Install what Scoreflow needs here: the Temporal CLI (one-time build) and database migrations.')
    .option('--json', 'print one JSON object')
    .action(async (o: { json?: boolean }) => {
      const path = ensureBinary(log);
      await ensureMigrated(log);
      emit(o, { ok: true, temporalCli: path }, () => 'set-up complete');
    });

  program
    .command('dev')
    .description('Run the Temporal dev server at TEMPORAL_ADDRESS (default 127.0.0.1:7233), its Web UI at TEMPORAL_UI_URL (default: the gRPC port + 1000), persistent state under .data/temporal, search attributes registered.')
    .option('--port <n>', 'gRPC port (default: the port of TEMPORAL_ADDRESS, else 7233)')
    .option('--ui-port <n>', 'Web UI port (default: the port of TEMPORAL_UI_URL, else the gRPC port + 1000)')
    .option('--db-file <path>', 'SQLite file that keeps state across restarts', join(DATA_DIR, 'temporal', 'dev.db'))
    .option('--json', 'print one JSON object once the server listens')
    .action(async (o: { port?: string; uiPort?: string; dbFile: string; json?: boolean }) => {
      const plan = localDevServerPlan(process.env, { port: cliPort(o.port, '--port'), uiPort: cliPort(o.uiPort, '--ui-port') });
      const server = await startDevServer({ port: plan.port, uiPort: plan.uiPort, dbFile: o.dbFile });
      // Other commands find this server through the environment; say so when it is not what they would use.
      const env = { TEMPORAL_ADDRESS: server.address, TEMPORAL_UI_URL: server.uiUrl! };
      const reachable = temporalAddress() === env.TEMPORAL_ADDRESS && webUiUrl() === env.TEMPORAL_UI_URL;
      emit(o, { address: server.address, ui: server.uiUrl, dbFile: o.dbFile, env }, () =>
        [
          `Temporal dev server on ${server.address}; Web UI ${server.uiUrl}; state in ${o.dbFile}. Ctrl-C stops it.`,
          ...(reachable ? [] : [`Other scoreflow commands reach it with: export TEMPORAL_ADDRESS=${env.TEMPORAL_ADDRESS} TEMPORAL_UI_URL=${env.TEMPORAL_UI_URL}`]),
        ].join('\n'),
      );
      const stop = () => void server.stop().then(() => process.exit(0));
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      await new Promise<void>((r) => server.child.once('exit', () => r()));
    });

  program
    .command('worker')
    .description('Run a Scoreflow worker (workflows and activities) against TEMPORAL_ADDRESS.')
    .action(async () => {
      await routeSdkLogsToPino();
      await ensureMigrated(log);
      // Said once connected and polling, not before: an unreachable server fails with what to do.
      await runWorker({}, (taskQueue) => log(`[scoreflow] worker running on task queue ${taskQueue}; Ctrl-C stops it`));
    });

  program
    .command('run')
    .description('Start one activation cycle for a pipeline.')
    .option('--pipeline <file>', 'pipeline config', defaultPipelinePath())
    .option('--feed <dir>', "ingest deliveries from this folder instead of the pipeline's inbox")
    .option('--id <workflowId>', 'workflow id (the cycle id); default derived from the pipeline and time')
    .option('--model <version>', 'score with this model version (or "rules") instead of the champion')
    .option('--rollback-window <duration>', "stay open this long for a rollback after exporting (0s = no window); default: the pipeline's operations.rollbackWindow, else none")
    .option('--pause-timeout <duration>', "abort a run paused for an operator after this long (0s = never); default: the pipeline's operations.pauseTimeout, else never")
    .option('--wait', 'wait for the run to finish')
    .option('--json', 'print one JSON object')
    .addHelpText(
      'after',
      '\nExample:\n  $ scoreflow run --pipeline pipelines/demo.yaml --pause-timeout 6h --rollback-window 30m\n' +
        '\nThe input is checked before anything starts: a bad value (e.g. --pause-timeout 10minutes) exits 2 naming the field.\n',
    )
    .action(async (o: { pipeline: string; feed?: string; id?: string; model?: string; rollbackWindow?: string; pauseTimeout?: string; wait?: boolean; json?: boolean }) => {
      const started = await startRun({
        pipelinePath: o.pipeline,
        feedDir: o.feed,
        workflowId: o.id,
        model: o.model ? (o.model === 'rules' ? { policy: 'rules' } : { modelVersion: o.model }) : undefined,
        rollbackWindow: o.rollbackWindow,
        pauseTimeout: o.pauseTimeout,
        wait: o.wait,
      });
      const notCompleted = started.result !== undefined && started.result.status !== 'COMPLETED' && started.result.status !== 'NO_DATA';
      const out = { ok: !notCompleted, workflowId: started.workflowId, runId: started.runId, link: started.link, status: started.result?.status ?? 'STARTED', counts: started.result?.counts ?? {} };
      const c = out.counts as Record<string, number | undefined>;
      const deliveries = c.alreadyLoaded !== undefined ? `\n  deliveries: ${c.deliveries ?? 0} new, ${c.alreadyLoaded} already loaded by this pipeline` : '';
      emit(o, out, () => `run ${out.workflowId}: ${out.status}\n  ${out.link}${deliveries}${started.result ? `\n  counts: ${JSON.stringify(out.counts)}` : ''}`);
      if (notCompleted) process.exitCode = EXIT.runNotCompleted;
    });

  registerScheduleCommands(program);

  program
    .command('status')
    .description('Stage, counts, gate report and the delivery funnel of a run.')
    .requiredOption('--run <workflowId>', 'the run (workflow id)')
    .option('--json', 'print one JSON object')
    .action(async (o: { run: string; json?: boolean }) => {
      const s = await runStatus(o.run);
      emit(o, s, () => {
        const w = s.workflow;
        const lines = [`run ${o.run}: ${w?.status ?? (s.run as { status?: string } | null)?.status ?? 'unknown'} (stage ${w?.stage ?? (s.run as { stage?: string } | null)?.stage})`, `  ${runLink(o.run)}`];
        if (s.temporalError) lines.push(`  (live state unavailable, from the database only: ${s.temporalError})`);
        if (w?.pausedReason) lines.push(`  PAUSED: ${w.pausedReason}`);
        if (w?.awaiting) lines.push(`  waiting for: ${w.awaiting.actions.map((a) => `scoreflow ${a} --run ${o.run}${a === 'rollback' ? ' --to <version|rules>' : ''} --reason "..."`).join('\n               ')}`);
        if (w?.gate.overriddenBy) lines.push(`  gate overridden by ${w.gate.overriddenBy.operator}: ${w.gate.overriddenBy.reason}`);
        if (w) lines.push(`  counts: ${JSON.stringify(w.counts)}`);
        lines.push('  gates:');
        for (const g of s.gates as { gate: string; subject: string; status: string; detail: string; measured: boolean }[]) lines.push(`    ${gateLabel(g).padEnd(4)} ${g.gate}${g.subject ? `(${g.subject})` : ''}: ${g.detail}`);
        if (w?.rejectedSignals.length) lines.push(`  rejected signals: ${w.rejectedSignals.map((r) => `${r.signal}: ${r.error}`).join('; ')}`);
        lines.push('  funnel:', formatFunnel(s.funnel));
        lines.push('  decisions:', formatOwnership(s.ownership));
        return lines.join('\n');
      });
    });

  program
    .command('trace')
    .description("One entity's or one customer's history across runs and destinations: model versions, segments, deliveries, outcomes.")
    .option('--entity <id>', 'entity id (visitor key "<high>_<low>")')
    .option('--customer <id>', 'customer id (the feed\'s customer id column), or - to read it from stdin; output names the customer and its entities by a short sha256 only')
    .option('--json', 'print one JSON object')
    .action(async (o: { entity?: string; customer?: string; json?: boolean }) => {
      if ((o.entity === undefined) === (o.customer === undefined)) throw new UsageError('trace needs exactly one of --entity <visitor key> or --customer <customer id>.');
      if (o.customer !== undefined) {
        const customerId = o.customer === '-' ? (await readStdin()).trim() : o.customer.trim();
        if (!customerId) throw new UsageError('--customer: empty customer id.');
        const t = await traceCustomer(customerId);
        // Neither the customer id nor a visitor key is printed: both are named by their short sha256.
        if (t.entities.length === 0) return fail(o, new Error(`no records for customer sha256:${t.customer}; check the id (the value of the feed's customer id column)`));
        emit(o, t, () =>
          [
            `customer sha256:${t.customer}: ${t.entities.length} entit${t.entities.length === 1 ? 'y' : 'ies'}`,
            ...t.entities.flatMap((e) => [
              `  entity sha256:${e.entity}`,
              ...e.records.map((r) => `    ${r.run_id}: ${r.pipeline} model ${r.model_version} score ${r.score.toFixed(4)} segment ${r.segment} eligible ${r.eligible} arm ${r.holdout_arm}`),
              ...e.ledger.map((l) => `      ${l.at} ${l.run_id} ${l.destination || '-'} ${l.stage} ${JSON.stringify(l.detail)}`),
            ]),
          ].join('\n'),
        );
        return;
      }
      const entity = o.entity!;
      const t = await traceEntity(entity);
      if (t.records.length === 0 && t.ledger.length === 0) return fail(o, new Error(`no records for entity ${entity}; check the id (visitor key "<high>_<low>")`));
      emit(o, t, () =>
        [
          `entity ${entity}`,
          ...t.records.map((r) => `  ${String(r.run_id)}: model ${String(r.model_version)} score ${Number(r.score).toFixed(4)} segment ${String(r.segment)} eligible ${String(r.eligible)} arm ${String(r.holdout_arm)}`),
          ...t.ledger.map((l) => `    ${new Date(l.at as string).toISOString()} ${String(l.run_id)} ${String(l.destination) || '-'} ${String(l.stage)} ${JSON.stringify(l.detail)}`),
        ].join('\n'),
      );
    });
}
