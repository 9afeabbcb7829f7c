/**
 * `scoreflow demo`: the main job. Makes sure the Temporal dev server and the database are up,
 * starts a worker, generates a feed, runs one cycle end to end and prints what happened.
 */
import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { emit } from '../output.ts';
import { DATA_DIR, REPO_ROOT, ensureBinary, ensureDevServer, ensureMigrated } from '../../scripts/ensure-services.ts';
import { createWorker } from '../../workers/worker.ts';
import { generateFeed } from '../../activities/feed/generator.ts';
import { startRun } from './run.ts';
import { runStatus, formatFunnel } from './status.ts';

const log = (l: string) => process.stderr.write(`${l}\n`);

export interface DemoOptions {
  visitors: number;
  seed: number;
  json?: boolean;
}

export async function runDemo(o: DemoOptions) {
  ensureBinary(log);
  await ensureMigrated(log);
  const started = await ensureDevServer(log);
  if (!started.started) log('[scoreflow] using the Temporal server already listening on 127.0.0.1:7233');

  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const inbox = join(DATA_DIR, 'demo', stamp, 'inbox');
  mkdirSync(inbox, { recursive: true });
  log(`[scoreflow] generating a feed of ${o.visitors} visitors (seed ${o.seed}) into ${inbox}`);
  const gen = await generateFeed({ visitors: o.visitors, days: 3, seed: o.seed, out: inbox });

  const { worker, connection } = await createWorker();
  const running = worker.run();
  try {
    const pipelinePath = resolve(REPO_ROOT, 'pipelines', 'demo.yaml');
    const run = await startRun({ pipelinePath, feedDir: inbox, workflowId: `demo.run.${stamp}`, wait: true, pauseTimeout: '10m' });
    const result = run.result!;
    const status = await runStatus(run.workflowId);
    const c = result.counts;
    const summary = {
      workflowId: run.workflowId,
      status: result.status,
      records: c.records ?? 0,
      loaded: c.loaded ?? 0,
      scored: c.scored ?? 0,
      published: c.published ?? 0,
      exported: c.exported ?? 0,
      link: run.link,
      generated: gen.records,
      gate: status.workflow?.gate.status ?? 'unknown',
      outputs: result.exports.map((e) => e.location).filter(Boolean),
      report: result.reportPath,
    };
    emit(o, summary, () =>
      [
        `Scoreflow demo run ${summary.workflowId}: ${summary.status}`,
        `  feed:      ${summary.records} records (${c.loaded ?? 0} loaded, ${c.excluded ?? 0} excluded, ${c.quarantined ?? 0} quarantined), ${c.visitors ?? 0} visitors, ${c.pageViews ?? 0} page views, ${c.orders ?? 0} orders`,
        `  features:  ${c.features ?? 0} visitors`,
        `  scored:    ${summary.scored}`,
        `  gate:      ${summary.gate}`,
        `  published: ${summary.published} canonical records (${c.contractQuarantined ?? 0} quarantined by contract)`,
        `  exported:  ${summary.exported} rows`,
        ...summary.outputs.map((p) => `  output:    ${p}`),
        ...(summary.report ? [`  report:    ${summary.report}`] : []),
        '  funnel:',
        formatFunnel(status.funnel),
        `  Temporal Web UI: ${summary.link}`,
      ].join('\n'),
    );
    if (result.status !== 'COMPLETED') process.exitCode = 2;
    return summary;
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
  }
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('The main job: dev server + database up, a worker, a generated feed, one cycle end to end.')
    .option('--visitors <n>', 'visitors to generate', '2000')
    .option('--seed <n>', 'generator seed', String(Date.now() % 1_000_000))
    .option('--json', 'print one JSON object')
    .action(async (o: { visitors: string; seed: string; json?: boolean }) => {
      await runDemo({ visitors: Number(o.visitors), seed: Number(o.seed), json: o.json });
    });
}
