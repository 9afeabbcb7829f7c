/**
 * A receiver outage of minutes is ridden out by Temporal's retry policy, not lost. Two pipelines run
 * side by side on a real worker against the contract receivers (a Standard Webhooks consumer and
 * Google Customer Match), each with a small chunk size so the outage lands mid-export:
 * - `ride`: default settings (exportRetryFor 15m). Once the receivers have applied the first chunk,
 *   the webhook answers 503 (Retry-After: 1) and Google 500 for OUTAGE_MS, longer than the ~47 s
 *   after which exports used to be lost. The run completes without pausing, and every row is applied
 *   exactly once at the receivers: committed chunks are never sent again.
 * - `pause`: the pipeline's operations.exportRetryFor is 20s and the webhook stays down. The run
 *   pauses for an operator with a reason naming the destination, the chunk and what to do; after
 *   the receiver recovers, `scoreflow resume` completes it, again with every row applied once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowHandle } from '@temporalio/client';
import type { Destination } from '../../contracts/pipeline-config.ts';
import { closePools, getPool } from '../../activities/store/db.ts';
import { startContractServers, type ContractServers } from '../../tools/contract-servers/start-all.ts';
import { statusQuery, type RunStatusView } from '../../workflows/messages.ts';
import type { ActivationRunResult } from '../../workflows/activation-run.ts';
import { generateRecentFeed, startActivationWorker, uid, type ActivationWorker } from '../helpers/activation-run.ts';
import { writeTestPipeline, type TestPipeline } from '../helpers/pipeline.ts';
import { runCli } from '../helpers/run-cli.ts';

/** Longer than the ~47 s after which the in-process retries used to give up and lose the export. */
const OUTAGE_MS = 80_000;
const CHUNK_ROWS = 5;
const VISITORS = 400;
const LATENCY_MS = 400;

interface Scenario {
  servers: ContractServers;
  pipeline: TestPipeline;
  names: { webhook: string; google: string };
  handle: WorkflowHandle;
}

let worker: ActivationWorker;
let ride: Scenario;
let pause: Scenario;

async function scenario(label: string, operations: Record<string, unknown>): Promise<Omit<Scenario, 'handle'> & { feedDir: string }> {
  const tag = uid(label).replace(/-/g, '');
  // Slow answers, so each export takes a few seconds and the outage starts in the middle of it.
  const servers = await startContractServers({ tag, webhook: { latencyMs: LATENCY_MS }, google: { latencyMs: LATENCY_MS } });
  const names = { webhook: `offers-webhook-${tag}`, google: `google-audience-${tag}` };
  const destinations = servers
    .destinations()
    .filter((d) => d.kind === 'webhook' || d.kind === 'google-customer-match')
    .map((d) => {
      const config = { ...(d as { config: Record<string, unknown> }).config, chunkRows: CHUNK_ROWS };
      return { ...d, name: d.kind === 'webhook' ? names.webhook : names.google, config } as Destination;
    });
  const pipeline = writeTestPipeline({ destinations, online: { enabled: false }, operations }, `outage-${tag}`);
  await generateRecentFeed({ out: pipeline.inbox, rsid: `sfout${tag}`, seed: 14_002, visitors: VISITORS });
  Object.assign(process.env, servers.env); // the in-process worker's credentials
  return { servers, pipeline, names, feedDir: pipeline.inbox };
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const status = (h: WorkflowHandle) => h.query(statusQuery).catch(() => undefined) as Promise<RunStatusView | undefined>;

/** Entities each receiver applied (first delivery of each webhook-id; Google's audience members), with repeats. */
function webhookApplied(s: Scenario): string[] {
  return [...s.servers.webhook.messages.values()].flatMap((m) => (m as { data: { rows: { entity_id: string }[] } }).data.rows.map((r) => r.entity_id));
}

async function delivered(runId: string, destination: string): Promise<Set<string>> {
  const { rows } = await getPool().query<{ entity_id: string }>("SELECT entity_id FROM ledger_event WHERE run_id = $1 AND destination = $2 AND stage = 'delivered'", [runId, destination]);
  return new Set(rows.map((r) => r.entity_id));
}

let rideOutcome: { result: ActivationRunResult; pausedDuringOutage: boolean; appliedBeforeOutage: number; outageStartedAt: number; completedAt: number };
let pauseView: RunStatusView;
let pauseResult: ActivationRunResult;
let resumeAnswer: { code: number; stdout: string; stderr: string };

/** `ride`: the outage starts once both receivers have applied a chunk, and ends OUTAGE_MS later. */
async function rideOut(): Promise<typeof rideOutcome> {
  const s = ride;
  await until('the first chunk at a receiver', () => (s.servers.webhook.counts.unique >= 1 || s.servers.google.received().length >= 1 ? true : undefined), 240_000);
  const outageStartedAt = Date.now();
  s.servers.webhook.startOutage(OUTAGE_MS, 503, 1);
  s.servers.google.startOutage(OUTAGE_MS, 500);
  const appliedBeforeOutage = s.servers.webhook.counts.unique + s.servers.google.received().length;
  let pausedDuringOutage = false;
  for (;;) {
    const d = await s.handle.describe();
    if (d.status.name !== 'RUNNING') break;
    const v = await status(s.handle);
    if (v?.status === 'PAUSED') {
      pausedDuringOutage = true;
      break;
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
  if (pausedDuringOutage) return { result: { status: 'PAUSED' } as unknown as ActivationRunResult, pausedDuringOutage, appliedBeforeOutage, outageStartedAt, completedAt: Date.now() };
  const result = (await s.handle.result()) as ActivationRunResult;
  return { result, pausedDuringOutage, appliedBeforeOutage, outageStartedAt, completedAt: Date.now() };
}

/** `pause`: the webhook is down from the first chunk on until the run has paused; then resume. */
async function pauseAndResume(): Promise<void> {
  const s = pause;
  await until('the first webhook chunk', () => (s.servers.webhook.counts.unique >= 1 ? true : undefined), 240_000);
  s.servers.webhook.startOutage(Number.POSITIVE_INFINITY, 503, 1);
  pauseView = await until(
    'the run to pause for the export',
    async () => {
      const v = await status(s.handle);
      return v?.status === 'PAUSED' ? v : undefined;
    },
    300_000,
  );
  s.servers.webhook.endOutage();
  resumeAnswer = await runCli(['resume', '--run', s.handle.workflowId, '--reason', 'the webhook receiver is back', '--operator', 'ops-test']);
  pauseResult = (await s.handle.result()) as ActivationRunResult;
}

beforeAll(async () => {
  const [r, p] = await Promise.all([scenario('ride', {}), scenario('pause', { exportRetryFor: '20s' })]);
  worker = await startActivationWorker('outage');
  ride = { ...r, handle: await worker.start(`${r.pipeline.name}.run-1`, { pipelinePath: r.pipeline.path, feedDir: r.feedDir }) };
  pause = { ...p, handle: await worker.start(`${p.pipeline.name}.run-1`, { pipelinePath: p.pipeline.path, feedDir: p.feedDir }) };
  const [a] = await Promise.all([rideOut(), pauseAndResume()]);
  rideOutcome = a;
}, 900_000);

afterAll(async () => {
  await worker?.close();
  await Promise.allSettled([ride?.servers.close(), pause?.servers.close()]);
  await closePools();
});

describe('a receiver outage longer than the in-process retries', () => {
  it('is ridden out with default settings: the run completes without pausing', () => {
    expect(rideOutcome.pausedDuringOutage, 'the run paused during the outage').toBe(false);
    expect(rideOutcome.result.status).toBe('COMPLETED');
    // The outage really lasted past the old ~47 s give-up, and the receivers answered it.
    expect(rideOutcome.completedAt - rideOutcome.outageStartedAt).toBeGreaterThan(OUTAGE_MS);
    expect(ride.servers.webhook.outageAnswers()).toBeGreaterThan(1);
    expect(ride.servers.google.outageAnswers()).toBeGreaterThan(1);
    expect(rideOutcome.appliedBeforeOutage).toBeGreaterThanOrEqual(1);
  });

  it('applies every row exactly once at the receivers, resuming after the committed chunks', async () => {
    const runId = ride.handle.workflowId;
    const hook = webhookApplied(ride);
    const hookLedger = await delivered(runId, ride.names.webhook);
    expect(hookLedger.size).toBeGreaterThan(CHUNK_ROWS);
    expect(hook.length).toBe(new Set(hook).size);
    expect(new Set(hook)).toEqual(hookLedger);
    // Committed chunks were never sent again: no webhook-id arrived twice.
    expect(ride.servers.webhook.counts.duplicates).toBe(0);

    const googleLedger = await delivered(runId, ride.names.google);
    expect(googleLedger.size).toBeGreaterThan(CHUNK_ROWS);
    expect(ride.servers.google.membership(ride.servers.googleAudienceId)).toBe(googleLedger.size);
    expect(ride.servers.google.counts.duplicates).toBe(0);
    const exported = Object.fromEntries(rideOutcome.result.exports.map((e) => [e.destination, e.rows]));
    expect(exported).toEqual({ [ride.names.webhook]: hookLedger.size, [ride.names.google]: googleLedger.size });
  });
});

describe('a receiver outage longer than the pipeline\'s exportRetryFor', () => {
  it('pauses the run with a reason an operator can act on', () => {
    expect(pauseView.awaiting?.kind).toBe('export');
    const reason = pauseView.pausedReason ?? '';
    expect(reason).toContain(pause.names.webhook);
    expect(reason).toMatch(/HTTP 503/);
    expect(reason).toMatch(/did not take chunk \d+ of \d+/);
    expect(reason).toMatch(/exportRetryFor/);
    expect(reason).toMatch(/scoreflow resume --run/);
    // The other destination was not affected and is kept.
    expect(pauseView.exportStatus?.[pause.names.google]?.status).toBe('completed');
    expect(pauseView.exportStatus?.[pause.names.webhook]?.status).toBe('failed');
  });

  it('completes after the receiver recovers and an operator resumes, every row applied once', async () => {
    expect(resumeAnswer.code, resumeAnswer.stderr).toBe(0);
    expect(pauseResult.status).toBe('COMPLETED');
    const runId = pause.handle.workflowId;
    const hook = webhookApplied(pause);
    const hookLedger = await delivered(runId, pause.names.webhook);
    expect(hookLedger.size).toBeGreaterThan(CHUNK_ROWS);
    expect(hook.length).toBe(new Set(hook).size);
    expect(new Set(hook)).toEqual(hookLedger);
    expect(pause.servers.webhook.counts.duplicates).toBe(0);
    const exported = Object.fromEntries(pauseResult.exports.map((e) => [e.destination, e.rows]));
    expect(exported[pause.names.webhook]).toBe(hookLedger.size);
  });
});
