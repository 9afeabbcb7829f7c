/**
 * `scoreflow demo`: the main job. Makes sure the Temporal dev server and the database are up,
 * starts a worker, generates a feed, runs one cycle end to end and prints what happened.
 */
import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { EXIT, emit, fail } from '../output.ts';
import { DATA_DIR, REPO_ROOT, ensureBinary, ensureDevServer, ensureMigrated } from '../services/ensure-services.ts';
import { createWorker } from '../../workers/worker.ts';
import { routeSdkLogsToPino } from '../../workers/sdk-logging.ts';
import { closePools } from '../../activities/store/db.ts';
import { connectClient } from '../../workers/client.ts';
import { generateFeed, generateFollowUp } from '../../tools/feed-generator/generator.ts';
import { assignArm } from '../../activities/measurement/holdout.ts';
import { loadPipelineConfig } from '../../activities/run/pipeline.ts';
import { loadVerifications } from '../../activities/destinations/verify-destination.ts';
import type { Destination } from '../../contracts/pipeline-config.ts';
import { startContractServers } from '../../tools/contract-servers/start-all.ts';
import { startRun } from './run.ts';
import { runStatus, formatFunnel } from './status.ts';
import { formatLiftReport, loadLiftReport } from './measurement.ts';
import { formatStageTimes, stageTimes, type StageTime } from './stage-times.ts';
import { demoTruth, formatDemoTruth, trueAbsoluteEffect } from './demo-truth.ts';

const log = (l: string) => process.stderr.write(`${l}\n`);

export interface DemoOptions {
  visitors: number;
  seed: number;
  days: number;
  /** The attribution window measureOutcomes waits before reading the follow-up delivery. */
  attributionWindow: string;
  json?: boolean;
}

/**
 * The data-time outcome window the demo measures. The follow-up delivery covers the day after the
 * feed; the window starts at the feed's last hit (a few minutes past midnight, as late visits spill
 * over) and must close before the follow-up's last hit, or the report rightly says the window is
 * still open. 0.95 days ends it at about 23:00 of the follow-up day.
 */
const OUTCOME_WINDOW_DAYS = 0.95;

/**
 * The demo's experiment, sized so the generator's true effect is detected: +5 pp on each treated
 * visitor's conversion probability, 30% held out, 5,000 visitors by default (about 1,500 in control),
 * so the 95% interval is about ±2 pp wide and a fixed seed gives the same estimate every time.
 */
export const DEMO_TREATMENT_EFFECT = 0.05;
export const DEMO_CONTROL_SHARE = 0.3;
export const DEMO_DEFAULT_VISITORS = 5000;
export const DEMO_DEFAULT_SEED = 42;

const isoDay = (t: number) => new Date(t).toISOString().slice(0, 10);

const secondsSince = (t0: number) => Math.round((performance.now() - t0) / 100) / 10;

export async function runDemo(o: DemoOptions) {
  const t0 = performance.now();
  // The demo's log file gets the SDK's lines in the same JSON format; the terminal keeps the summary.
  await routeSdkLogsToPino();
  ensureBinary(log);
  await ensureMigrated(log);
  const temporal = await ensureDevServer(log);
  if (!temporal.started) log(`[scoreflow] using the Temporal server already listening on ${temporal.address} (Web UI ${temporal.uiUrl})`);

  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const root = join(DATA_DIR, 'demo', stamp);
  const inbox = join(root, 'inbox');
  const outcomes = join(root, 'outcomes');
  mkdirSync(inbox, { recursive: true });
  // Logs go to a file: the terminal shows the summary; the file shows every stage (ids redacted).
  process.env.SCOREFLOW_LOG_FILE ??= join(root, 'scoreflow.log');
  process.env.SCOREFLOW_REPORT_DIR ??= join(root, 'reports');

  // The feed covers the days up to yesterday, so the freshness gate judges it as recent data.
  const today = Date.now();
  const startDate = isoDay(today - o.days * 86_400_000);
  log(`[scoreflow] generating a feed of ${o.visitors} visitors over ${o.days} days from ${startDate} (seed ${o.seed}) into ${inbox}`);
  // Each demo is a fresh deployment: its contract servers start empty, so it gets its own report
  // suite and pipeline name, and with them its own destination sync state and gate baseline.
  const suffix = stamp.replace(/[^0-9]/g, '').slice(0, 14);
  const rsid = `scoreflowdemo-${suffix}`;
  const tGenerate = performance.now();
  const gen = await generateFeed({ visitors: o.visitors, days: o.days, seed: o.seed, out: inbox, startDate, treatmentEffect: DEMO_TREATMENT_EFFECT, rsid });

  const demoPipeline = loadPipelineConfig(resolve(REPO_ROOT, 'pipelines', 'demo.yaml'));
  const base = { ...demoPipeline, holdout: demoPipeline.holdout ? { ...demoPipeline.holdout, controlShare: DEMO_CONTROL_SHARE } : demoPipeline.holdout };
  // The follow-up delivery: the day after the feed, with the treatment effect applied to the treatment arm.
  const experimentKey = base.holdout?.experimentKey ?? 'demo';
  const controlShare = base.holdout?.controlShare ?? 0.1;
  const followUp = await generateFollowUp({
    seed: o.seed,
    visitors: o.visitors,
    out: outcomes,
    rsid,
    date: isoDay(today),
    startDate,
    days: o.days,
    treatmentEffect: DEMO_TREATMENT_EFFECT,
    assignments: (entityId) => assignArm(entityId, experimentKey, controlShare),
  });

  const generateSeconds = secondsSince(tGenerate);
  const servers = await startContractServers({ tag: 'demo' });
  Object.assign(process.env, servers.env);
  // Target and Meta offer read-back: the demo verifies what landed there after the export.
  const verified = (d: Destination): Destination => (d.kind === 'adobe-target-bulk' || d.kind === 'meta-custom-audiences' ? { ...d, verify: { sample: 200, maxMismatchRate: 0.01 } } : d);
  const pipeline = { ...base, name: `${base.name}-${suffix}`, inbox, destinations: [...base.destinations, ...servers.destinations().map(verified)] };
  const pipelinePath = join(root, 'pipeline.yaml');
  writeFileSync(pipelinePath, stringify(pipeline));
  log(`[scoreflow] pipeline ${pipeline.name}: ${pipeline.destinations.map((d) => `${d.name} (${d.kind})`).join(', ')}`);

  const { worker, connection, metrics } = await createWorker();
  const running = worker.run();
  try {
    const tCycle = performance.now();
    const run = await startRun({ pipelinePath, feedDir: inbox, workflowId: `demo.run.${stamp}`, wait: true, pauseTimeout: '10m', attributionWindow: o.attributionWindow, outcomeFeedDir: outcomes, outcomeWindowDays: OUTCOME_WINDOW_DAYS });
    const result = run.result!;
    log(`[scoreflow] run ${result.status}; waiting ${o.attributionWindow} (the attribution window) for outcome measurement`);
    const cycleSeconds = secondsSince(tCycle);
    const tMeasure = performance.now();
    const { client, close } = await connectClient();
    let perStage: StageTime[] = [];
    try {
      await client.workflow.getHandle(`${run.workflowId}.measure`).result();
      perStage = await stageTimes(client, run.workflowId);
    } finally {
      await close();
    }
    const measureSeconds = secondsSince(tMeasure);
    const lift = await loadLiftReport(pipeline.name, run.workflowId);
    const truth = demoTruth(lift.overall, DEMO_TREATMENT_EFFECT, trueAbsoluteEffect(readFileSync(join(outcomes, followUp.groundTruth), 'utf8'), DEMO_TREATMENT_EFFECT));
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
      exports: result.exports.map((e) => ({ destination: e.destination, rows: e.rows, location: e.location })),
      receivers: {
        target: { profiles: servers.target.profiles.size },
        google: { members: servers.google.membership(servers.googleAudienceId) },
        meta: { members: servers.meta.membership(servers.metaAudienceId) },
        webhook: { verified: servers.webhook.counts.verified, unique: servers.webhook.counts.unique, badSignature: servers.webhook.counts.badSignature },
      },
      verification: (await loadVerifications(run.workflowId)).map((v) => ({ destination: v.destination, status: v.status, sampled: v.sampled, mismatched: v.mismatched, mismatchRate: v.mismatchRate })),
      lift: {
        status: lift.overall.status,
        entities: lift.entities,
        ...truth,
        followUpRecords: followUp.records,
      },
      report: result.reportPath,
      log: process.env.SCOREFLOW_LOG_FILE,
      /** Wall-clock seconds: feed generation, the cycle (start to result), outcome measurement, and per stage of the cycle. */
      timing: { generateSeconds, cycleSeconds, measureSeconds, totalSeconds: secondsSince(t0), stages: perStage },
    };
    emit(o, summary, () =>
      [
        `Scoreflow demo run ${summary.workflowId}: ${summary.status}`,
        `  feed:      ${summary.records} records (${c.loaded ?? 0} loaded, ${c.excluded ?? 0} excluded, ${c.quarantined ?? 0} quarantined), ${c.visitors ?? 0} visitors, ${c.pageViews ?? 0} page views, ${c.orders ?? 0} orders`,
        `  features:  ${c.features ?? 0} visitors`,
        `  scored:    ${summary.scored}`,
        `  gate:      ${summary.gate}`,
        `  published: ${summary.published} canonical records (${c.contractQuarantined ?? 0} quarantined by contract), ${c.publishedOnline ?? 0} online`,
        `  exported:  ${summary.exported} rows`,
        ...summary.exports.map((e) => `    ${e.destination.padEnd(16)} ${String(e.rows).padStart(6)} rows${e.location ? `  ${e.location}` : ''}`),
        ...summary.verification.map((v) => `  verified:  ${v.destination}: ${v.status}, ${v.mismatched} of ${v.sampled} mismatched (${(v.mismatchRate * 100).toFixed(1)}%)`),
        `  receivers: Target ${summary.receivers.target.profiles} profiles, Google ${summary.receivers.google.members} members, Meta ${summary.receivers.meta.members} members, webhook ${summary.receivers.webhook.unique} signed messages`,
        ...(summary.report ? [`  report:    ${summary.report}`] : []),
        `  logs:      ${summary.log}`,
        `  time:      ${summary.timing.totalSeconds} s in all: feed generated in ${generateSeconds} s, cycle ${cycleSeconds} s, outcome measurement ${measureSeconds} s; per stage:`,
        formatStageTimes(perStage),
        '  funnel:',
        formatFunnel(status.funnel),
        formatLiftReport(lift),
        formatDemoTruth(truth),
        `  Temporal Web UI: ${summary.link}`,
      ].join('\n'),
    );
    if (result.status !== 'COMPLETED') process.exitCode = EXIT.runNotCompleted;
    return summary;
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
    await metrics?.close();
    await servers.close();
  }
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('The main job: dev server + database up, a worker, a generated feed, one cycle end to end.')
    .option('--visitors <n>', 'visitors to generate', String(DEMO_DEFAULT_VISITORS))
    .option('--seed <n>', 'generator seed (fixed, so two demos print the same estimate)', String(DEMO_DEFAULT_SEED))
    .option('--days <n>', 'days of feed to generate', '3')
    .option('--attribution-window <duration>', 'how long measureOutcomes waits before reading the follow-up delivery', '5s')
    .option('--json', 'print one JSON object')
    .action(async (o: { visitors: string; seed: string; days: string; attributionWindow: string; json?: boolean }) => {
      try {
        await runDemo({ visitors: Number(o.visitors), seed: Number(o.seed), days: Number(o.days), attributionWindow: o.attributionWindow, json: o.json });
      } catch (err) {
        fail({ json: o.json }, err);
      } finally {
        // The demo is one-shot: shared clients opened by activities in this process (PostgreSQL pools,
        // the online store's Redis, NATS) would otherwise keep it alive after the summary.
        await closePools().catch(() => {});
        process.exit(process.exitCode ?? 0);
      }
    });
}
