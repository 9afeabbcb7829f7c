/**
 * What the Temporal Web UI shows of a run, read through the real `temporal` CLI against the test dev
 * server: the static summary and details `scoreflow run` starts a run with (`workflow describe`), the
 * current details the workflow keeps up to date (`workflow metadata`), which, while the run is paused,
 * say what it waits for and which signal to send; and the DeliveryId search attribute.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import type { GenerateResult } from '../../tools/feed-generator/generator.ts';
import { closePools } from '../../activities/store/db.ts';
import { startRun } from '../../cli/commands/run.ts';
import { DeliveryIdKey } from '../../workflows/search-attributes.ts';
import { writeTestPipeline, type TestPipeline } from '../helpers/pipeline.ts';
import { generateRecentFeed, result, signalWithCli, startActivationWorker, uid, waitForStatus, type ActivationWorker } from '../helpers/activation-run.ts';
import { temporalAddress } from '../helpers/temporal.ts';
import { ensureTemporalCli } from '../../cli/services/temporal-cli.ts';

let h: ActivationWorker;
let pipeline: TestPipeline;
let feed: GenerateResult;

function temporalCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const all = [...args, '--address', temporalAddress(), '--namespace', 'default'];
  return new Promise((resolve, reject) => {
    execFile(ensureTemporalCli().path, all, { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(new Error(`temporal ${all.join(' ')}: ${err.message}\n${stderr}`));
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  pipeline = writeTestPipeline({ online: { enabled: false } }, uid('wfa-meta'));
  feed = await generateRecentFeed({ out: pipeline.inbox, rsid: uid('wfameta'), seed: 5151, visitors: 200 });
  h = await startActivationWorker('wfa-meta');
}, 120_000);

afterAll(async () => {
  await h?.close();
  await closePools();
});

describe('activationRun in the Temporal Web UI', () => {
  it('has a static summary and details, current details that say what a paused run awaits, and DeliveryId', async () => {
    const workflowId = uid('wfa-meta-run');
    const feedDate = feed.deliveries.map((d) => d.date).sort().at(-1)!;
    await startRun({ pipelinePath: pipeline.path, workflowId, taskQueue: h.taskQueue });
    // Paused at the next stage boundary, as an operator would from the Web UI.
    expect((await signalWithCli(workflowId, 'pause', { operator: 'ana', reason: 'look at the feed first' })).code).toBe(0);
    const handle = h.client.workflow.getHandle(workflowId);
    await waitForStatus(handle, (s) => s.status === 'PAUSED');

    const summary = `${pipeline.name} · model 1.0.0 · ${feedDate} feed`;
    const desc = await handle.describe();
    expect(await desc.staticSummary()).toBe(summary);
    const details = await desc.staticDetails();
    expect(details).toContain(`**Pipeline** ${pipeline.name} · model purchase-propensity (model 1.0.0)`);
    expect(details).toContain('**Destinations** outbox (file)');
    expect(details).toMatch(/\*\*Stages\*\* load-pipeline → discover → ingest → .* → export → activation-drift → report/);

    const described = await temporalCli(['workflow', 'describe', '--workflow-id', workflowId]);
    expect(described.code).toBe(0);
    expect(described.stdout).toContain(summary);
    expect(described.stdout).toContain('**Destinations** outbox (file)');

    const paused = await temporalCli(['workflow', 'metadata', '--workflow-id', workflowId]);
    expect(paused.code).toBe(0);
    expect(paused.stdout).toContain('**PAUSED**');
    expect(paused.stdout).toContain('**Waiting for an operator** since');
    expect(paused.stdout).toContain('paused by operator');
    expect(paused.stdout).toContain('`resume` with `{"operator":"you","reason":"why"}`');
    expect(paused.stdout).toContain(`temporal workflow signal --workflow-id ${workflowId} --name resume`);

    expect((await signalWithCli(workflowId, 'resume', { operator: 'ana', reason: 'feed looks fine' })).code).toBe(0);
    const run = await result(handle);
    expect(run.status).toBe('COMPLETED');
    const done = await temporalCli(['workflow', 'metadata', '--workflow-id', workflowId]);
    expect(done.stdout).toContain('**COMPLETED** · stage `done`');
    expect(done.stdout).not.toContain('Waiting for an operator');
    expect(done.stdout).toContain(`| scored | ${run.counts.scored} |`);
    expect(done.stdout).toContain(`| exported | ${run.counts.exported} |`);
    expect((await handle.describe()).typedSearchAttributes.get(DeliveryIdKey)).toBe(feed.deliveries.map((d) => d.deliveryId).sort().at(-1));
    const found = await temporalCli(['workflow', 'list', '--query', `DeliveryId = "${feed.deliveries.map((d) => d.deliveryId).sort().at(-1)}"`]);
    expect(found.stdout).toContain(workflowId);
  }, 300_000);
});
