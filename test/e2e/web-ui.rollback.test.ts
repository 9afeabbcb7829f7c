/**
 * An operator rolls a paused run back from the real Temporal Web UI, in headless Chromium.
 *
 * A model release 1.1.0 whose intercept was exported wrong gives every visitor the score 1; it is
 * the champion, so the run's score gate fails on collapse and the run pauses for an operator. The
 * test opens the paused run in the dev server's Web UI, reads the `status` query there (PAUSED, the
 * failed gates), then sends `rollback` to 1.0.0 through "More Actions" → "Send a Signal" with the
 * JSON payload typed into the dialog. Server side, the rollback must have happened: the history holds
 * the UI's signal with that payload, the run re-scored the same snapshot with 1.0.0 as a new cycle,
 * passed the gate, exported only that cycle, moved the pipeline's champion, and audited all of it.
 *
 * Screenshots go to test-results/. SCOREFLOW_UPDATE_DOCS_SCREENSHOTS=1 also refreshes the one the
 * operator guide shows (docs/img/web-ui-rollback-signal.png).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { NativeConnection, Worker } from '@temporalio/worker';
import type { CanonicalRecord } from '../../contracts/canonical-record.ts';
import { generateFeed } from '../../tools/feed-generator/generator.ts';
import { getPipelineChampion, promote, register } from '../../activities/scoring/registry.ts';
import { closePools, getPool } from '../../activities/store/db.ts';
import { createWorker } from '../../workers/worker.ts';
import type { ActivationRunResult } from '../../workflows/activation-run.ts';
import { SIGNAL_DESCRIPTIONS, statusQuery, type RunStatusView } from '../../workflows/messages.ts';
import { ModelVersionKey, RunStatusKey } from '../../workflows/search-attributes.ts';
import { MODELS_DIR, logregAs, readJson, uniqueName } from '../helpers/committed-models.ts';
import { REPO, writeTestPipeline, type TestPipeline } from '../helpers/pipeline.ts';
import { temporalAddress, temporalUiUrl } from '../helpers/temporal.ts';
import { openRun, openSignalDialog, openWebUi, runQueryInUi, type WebUiSession } from '../helpers/temporal-web-ui.ts';

const ROLLBACK = { to: { modelVersion: '1.0.0' }, reason: 'ui test', operator: 'ui-operator' };
const DOCS_SCREENSHOT = join(REPO, 'docs', 'img', 'web-ui-rollback-signal.png');
const VISITORS = 300;
const DAYS = 2;

const modelName = uniqueName('ui-propensity');
const taskQueue = `web-ui-rollback-${randomBytes(4).toString('hex')}`;
let pipeline: TestPipeline;
let worker: Worker;
let running: Promise<void>;
let nativeConnection: NativeConnection;
let connection: Connection;
let client: Client;
let ui: WebUiSession | undefined;

const metricsOf = (version: string) => readJson<{ metrics: Record<string, unknown> }>(join(MODELS_DIR, 'purchase-propensity', `${version}.metadata.json`)).metrics;

async function waitForStatus(h: WorkflowHandle, ok: (s: RunStatusView) => boolean, timeoutMs = 90_000): Promise<RunStatusView> {
  const deadline = Date.now() + timeoutMs;
  let last: RunStatusView | undefined;
  while (Date.now() < deadline) {
    try {
      last = await h.query(statusQuery);
      if (ok(last)) return last;
    } catch {
      // the first workflow task may not have run yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${h.workflowId} did not reach the expected state in ${timeoutMs} ms; last: ${JSON.stringify(last && { status: last.status, stage: last.stage, pausedReason: last.pausedReason })}`);
}

/** The decoded payload of every `rollback` signal in the run's history. */
async function rollbackSignals(h: WorkflowHandle): Promise<unknown[]> {
  const history = await h.fetchHistory();
  return (history.events ?? [])
    .map((e) => e.workflowExecutionSignaledEventAttributes)
    .filter((a) => a?.signalName === 'rollback')
    .map((a) => defaultPayloadConverter.fromPayload(a!.input!.payloads![0]!));
}

beforeAll(async () => {
  // The good model and a broken release of it, which is the champion.
  await register(logregAs(modelName, '1.0.0'), { name: modelName, version: '1.0.0', format: 'logreg-json', featureSetVersion: '1.0.0', metrics: metricsOf('1.0.0') });
  await register(
    logregAs(modelName, '1.1.0', (a) => {
      a.intercept = 40; // sigmoid(40 + …) = 1 for everyone: the scores collapse
    }),
    { name: modelName, version: '1.1.0', format: 'logreg-json', featureSetVersion: '1.0.0', metrics: metricsOf('1.0.0') },
  );
  await promote(modelName, '1.0.0', { operator: 'ui-test', reason: 'first champion' });
  await promote(modelName, '1.1.0', { operator: 'ui-test', reason: 'new release' });

  pipeline = writeTestPipeline({ model: { name: modelName }, online: { enabled: false } }, uniqueName('ui-rb'));
  // Days that end at last midnight, so the freshness gate passes and only the model is at fault.
  await generateFeed({ visitors: VISITORS, days: DAYS, seed: 8080, out: pipeline.inbox, rsid: uniqueName('uirb'), startDate: new Date(Date.now() - DAYS * 86_400_000).toISOString().slice(0, 10) });

  ({ worker, connection: nativeConnection } = await createWorker({ address: temporalAddress(), taskQueue, metricsPort: null, shutdownGraceTime: '2s' }));
  running = worker.run();
  connection = await Connection.connect({ address: temporalAddress() });
  client = new Client({ connection });
}, 180_000);

afterAll(async () => {
  // The page as it was when the test ended (or failed), for the record.
  await ui?.screenshot('web-ui-rollback-last.png').catch(() => undefined);
  await ui?.close();
  if (worker) {
    worker.shutdown();
    await running;
  }
  await connection?.close();
  await nativeConnection?.close();
  await closePools();
});

describe('rollback from the Temporal Web UI', () => {
  it('opens the run paused by a failed gate, sends rollback through the signal dialog, and the run rolls back to 1.0.0', async () => {
    const uiUrl = temporalUiUrl();
    const workflowId = uniqueName('ui-rb-run');
    const handle = await client.workflow.start('activationRun', {
      taskQueue,
      workflowId,
      args: [{ pipelinePath: pipeline.path, feedDir: pipeline.inbox }],
    });

    // Server side: paused at the gate, the broken release's scores collapsed.
    const paused = await waitForStatus(handle, (s) => s.status !== 'RUNNING');
    expect(paused).toMatchObject({ status: 'PAUSED', stage: 'gate', gate: { status: 'fail' }, model: { version: '1.1.0' }, exports: [] });
    expect(paused.pausedReason).toMatch(/^gate failed: .*collapse\.topValueShare\(score\)/);

    ui = await openWebUi();
    const { page } = ui;

    // 1. The operator opens the run; the UI redirects to its latest run's history.
    const landed = await openRun(page, uiUrl, workflowId);
    expect(landed).toBe(`${uiUrl}/namespaces/default/workflows/${workflowId}/${handle.firstExecutionRunId}/history`);

    // 2. Queries tab, `status`: the UI shows the run PAUSED and the gates that failed.
    const shown = JSON.parse(await runQueryInUi(page, 'status')) as RunStatusView;
    expect(shown).toMatchObject({ runId: workflowId, status: 'PAUSED', stage: 'gate', pausedReason: paused.pausedReason });
    expect(shown.gate.results.filter((r) => r.status === 'fail').map((r) => r.gate)).toEqual([
      'collapse.topValueShare',
      'collapse.minStdDev',
      'collapse.minDistinct',
      'collapse.massAtBounds',
    ]);
    await ui.screenshot('web-ui-rollback-1-paused-status.png');

    // 3. Back on the History tab, More Actions → Send a Signal: the dialog lists the run's signals
    //    with the descriptions their handlers registered.
    await page.locator('[data-testid="history-tab"]:visible').click();
    const dialog = await openSignalDialog(page);
    const offered = await dialog.options();
    expect(offered).toEqual(
      expect.arrayContaining(
        (['pause', 'resume', 'approve', 'abort', 'rollback'] as const).map((name) => ({ name, description: SIGNAL_DESCRIPTIONS[name] })),
      ),
    );
    await dialog.choose('rollback');
    const typed = await dialog.fill(JSON.stringify(ROLLBACK));
    expect(JSON.parse(typed)).toEqual(ROLLBACK);
    const shot = await ui.screenshot('web-ui-rollback-2-signal-dialog.png');
    if (process.env.SCOREFLOW_UPDATE_DOCS_SCREENSHOTS === '1') {
      mkdirSync(join(REPO, 'docs', 'img'), { recursive: true });
      copyFileSync(shot, DOCS_SCREENSHOT);
    }
    expect(statSync(shot).size).toBeGreaterThan(10_000);

    // 4. Submit: the UI's signal request succeeds and the dialog closes.
    const sent = await dialog.submit();
    expect(sent).toEqual({ status: 200, url: expect.stringContaining(`/namespaces/default/workflows/${workflowId}/signal/rollback`) });

    // Server side: the rollback happened.
    const result = (await handle.result()) as ActivationRunResult;
    const rollbackCycle = `${workflowId}.rollback-1`;
    expect(result.status).toBe('COMPLETED');
    expect(result.cycles).toEqual([workflowId, rollbackCycle]);
    // The failed cycle never reached a destination; the rollback cycle went to every one.
    expect(result.exports).toEqual([{ destination: 'outbox', cycleRunId: rollbackCycle, rows: expect.any(Number), location: expect.any(String) }]);
    expect(result.exports[0]!.rows).toBeGreaterThan(0);

    // The history holds exactly one rollback signal: the UI's, with the payload typed into the dialog.
    const signals = await rollbackSignals(handle);
    expect(signals).toEqual([ROLLBACK]);

    const status = await handle.query(statusQuery);
    expect(status).toMatchObject({ status: 'COMPLETED', stage: 'done', pausedReason: null, rejectedSignals: [], model: { name: modelName, version: '1.0.0', policy: 'model' } });
    expect(status.cycles).toEqual([
      { runId: workflowId, rollbackOf: null, model: `${modelName}@1.1.0` },
      { runId: rollbackCycle, rollbackOf: workflowId, model: `${modelName}@1.0.0` },
    ]);
    expect(status.gate.status).not.toBe('fail'); // the rollback cycle passed the gate on its own
    expect(status.gate.overriddenBy).toBeUndefined();
    expect(status.operatorActions).toEqual([{ action: 'rollback', operator: 'ui-operator', reason: 'ui test', at: expect.any(String) }]);
    const sa = (await handle.describe()).typedSearchAttributes;
    expect({ runStatus: sa.get(RunStatusKey), modelVersion: sa.get(ModelVersionKey) }).toEqual({ runStatus: 'COMPLETED', modelVersion: '1.0.0' });

    // Only the rollback cycle was exported; the export holds its records, scored by 1.0.0. (The failed
    // cycle's records were stored for the gate to judge, but no destination received them.)
    const exported = await getPool().query<{ run_id: string }>('SELECT DISTINCT run_id FROM destination_export WHERE run_id IN ($1, $2)', [workflowId, rollbackCycle]);
    expect(exported.rows).toEqual([{ run_id: rollbackCycle }]);
    const published = await getPool().query<{ run_id: string; model_version: string; n: number }>(
      'SELECT run_id, model_version, count(*)::int AS n FROM activation_record WHERE run_id = $1 GROUP BY 1, 2',
      [rollbackCycle],
    );
    expect(published.rows).toEqual([{ run_id: rollbackCycle, model_version: '1.0.0', n: result.counts.published }]);
    const records = readFileSync(join(result.exports[0]!.location!, 'records.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as CanonicalRecord);
    expect(records).toHaveLength(result.exports[0]!.rows);
    expect(records.every((r) => r.metadata.model_version === '1.0.0' && r.metadata.run_id === rollbackCycle)).toBe(true);

    // Audited: the operator's signal, and the pipeline's champion moved to 1.0.0.
    const audit = await getPool().query<{ action: string; operator: string; reason: string; payload: unknown }>(
      "SELECT action, operator, reason, payload FROM operator_audit WHERE run_id = $1 AND action IN ('rollback', 'set_pipeline_champion') ORDER BY id",
      [workflowId],
    );
    expect(audit.rows).toEqual([
      { action: 'rollback', operator: 'ui-operator', reason: 'ui test', payload: ROLLBACK },
      { action: 'set_pipeline_champion', operator: 'ui-operator', reason: 'ui test', payload: { from: null, to: { policy: 'model', model: modelName, version: '1.0.0' } } },
    ]);
    expect(await getPipelineChampion(pipeline.name)).toMatchObject({ policy: 'model', modelName, version: '1.0.0' });

    // 5. Back in the UI: the run shows as completed.
    await openRun(page, uiUrl, workflowId);
    const after = JSON.parse(await runQueryInUi(page, 'status')) as RunStatusView;
    expect(after).toMatchObject({ status: 'COMPLETED', cycles: status.cycles });
    await ui.screenshot('web-ui-rollback-3-completed.png');
  }, 240_000);
});
