/**
 * activationRun on the dev server, with a real worker and the real activities: a feed generated with
 * the `shift_score` drift fails the score PSI gate against an accepted baseline cycle and pauses the
 * run (status query, search attributes, gate report, Slack-compatible alert). `approve` continues it
 * and the file export happens, audited; `abort` ends it and nothing is exported.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { generateFeed } from '../../tools/feed-generator/generator.ts';
import { closePools, getPool } from '../../activities/store/db.ts';
import { abortSignal, approveSignal, statusQuery, type GateResultView } from '../../workflows/messages.ts';
import { GateStatusKey, RunStatusKey } from '../../workflows/search-attributes.ts';
import { eventually, recentStartDate, result as runResult, signalWithCli, startActivationWorker, waitForStatus, type ActivationWorker } from '../helpers/activation-run.ts';
import { readCsv } from '../helpers/generated-feed-reader.ts';
import { writeTestPipeline, type TestPipeline } from '../helpers/pipeline.ts';

const VISITORS = 1500;
const SEED = 4242;
// Two weeks of visits: enough behaviour for shift_score to move the model's scores well past the
// fail threshold (score PSI ≈ 0.38 for this seed; the generator is deterministic).
const DAYS = 14;
const SCORE_PSI_FAIL_AT = 0.25; // the default of contracts/gate-config.ts; the test pipeline keeps `gates: {}`

interface AlertPost {
  contentType: string | undefined;
  body: { text: string; blocks: { type: string; text?: { type: string; text: string }; fields?: { type: string; text: string }[] }[] };
}

let alerts: AlertPost[];
let alertServer: Server;
let w: ActivationWorker;
let pipeline: TestPipeline;
const feedDir = (tag: string) => join(pipeline.dir, `feed-${tag}`);

/** A tiny Slack-compatible incoming webhook: records every POST body, answers 200 "ok". */
async function startAlertReceiver(): Promise<string> {
  alerts = [];
  alertServer = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      alerts.push({ contentType: req.headers['content-type'], body: JSON.parse(Buffer.concat(parts).toString('utf8')) as AlertPost['body'] });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((r) => alertServer.listen(0, '127.0.0.1', r));
  const addr = alertServer.address();
  if (!addr || typeof addr !== 'object') throw new Error('alert receiver has no port');
  return `http://127.0.0.1:${addr.port}/services/T000/B000/alerts`;
}

async function generate(tag: string, drift: 'none' | 'shift_score'): Promise<string> {
  const out = feedDir(tag);
  // A report suite per feed, so each run ingests deliveries of its own (delivery id = <rsid>_<date>).
  await generateFeed({ visitors: VISITORS, days: DAYS, seed: SEED, out, rsid: `gp${tag}`, startDate: recentStartDate(DAYS), drift });
  return out;
}

const rows = async (sql: string, params: unknown[]) => (await getPool().query(sql, params)).rows;

async function searchAttributes(h: WorkflowHandle) {
  const d = await h.describe();
  return { runStatus: d.typedSearchAttributes.get(RunStatusKey), gateStatus: d.typedSearchAttributes.get(GateStatusKey) };
}

function scorePsiOf(results: GateResultView[]): GateResultView {
  const r = results.find((x) => x.gate === 'scorePsi' && x.subject === 'score');
  if (!r) throw new Error(`no scorePsi result in ${JSON.stringify(results)}`);
  return r;
}

beforeAll(async () => {
  process.env.SCOREFLOW_ALERT_WEBHOOK_URL = await startAlertReceiver();
  process.env.SCOREFLOW_REPORT_DIR = mkdtempSync(join(tmpdir(), 'scoreflow-gate-pause-reports-'));
  pipeline = writeTestPipeline({}, `gp-${Math.random().toString(36).slice(2, 8)}`);
  w = await startActivationWorker('gate-pause');
}, 180_000);

afterAll(async () => {
  await w?.close();
  await new Promise((r) => alertServer?.close(r));
  delete process.env.SCOREFLOW_ALERT_WEBHOOK_URL;
  await closePools();
});

describe('activationRun pauses on a failed PSI gate', () => {
  let approveRun: WorkflowHandle;
  let abortRun: WorkflowHandle;

  it('accepts a baseline cycle of a normal feed', async () => {
    const dir = await generate('base', 'none');
    const h = await w.start(`${pipeline.name}.baseline`, { pipelinePath: pipeline.path, feedDir: dir }, pipeline.name);
    const result = await runResult(h);
    expect(result.status).toBe('COMPLETED');
    const status = await h.query(statusQuery);
    expect(status.gate.status).not.toBe('fail');
    // No earlier completed run: the PSI gate says so and passes.
    expect(scorePsiOf(status.gate.results)).toMatchObject({ status: 'pass', value: null });
    expect(status.gate.results.find((r) => r.gate === 'feedFreshness')?.status).toMatch(/^(pass|warn)$/); // the feed ends at last midnight
    expect(result.exports).toEqual([expect.objectContaining({ destination: 'outbox', rows: expect.any(Number) })]);
    expect(result.exports[0]!.rows).toBeGreaterThan(0);
    expect(alerts.filter((a) => a.body.text.includes(h.workflowId))).toEqual([]);
  }, 240_000);

  it('pauses a drifted run at the gate: status, search attributes, gate report and alert', async () => {
    // Two drifted cycles, started together so both are judged against the same accepted baseline.
    const [dirA, dirB] = await Promise.all([generate('drifta', 'shift_score'), generate('driftb', 'shift_score')]);
    approveRun = await w.start(`${pipeline.name}.drift-approve`, { pipelinePath: pipeline.path, feedDir: dirA }, pipeline.name);
    abortRun = await w.start(`${pipeline.name}.drift-abort`, { pipelinePath: pipeline.path, feedDir: dirB }, pipeline.name);

    for (const h of [approveRun, abortRun]) {
      const status = await waitForStatus(h, (v) => v.status === 'PAUSED');
      expect(status).toMatchObject({ status: 'PAUSED', stage: 'gate', gate: { status: 'fail' } });
      const psi = scorePsiOf(status.gate.results);
      expect(psi.status).toBe('fail');
      expect(psi.value!).toBeGreaterThan(SCORE_PSI_FAIL_AT);
      expect(psi.detail).toMatch(/PSI of the score distribution vs baseline run .*\.baseline/);
      expect(status.pausedReason).toMatch(/^gate failed: .*scorePsi\(score\)/);
      expect(status.exports).toEqual([]);

      // The stored gate report agrees, with the threshold it crossed.
      const stored = await rows(`SELECT status, value, fail_at FROM gate_result WHERE run_id = $1 AND gate = 'scorePsi'`, [h.workflowId]);
      expect(stored).toEqual([{ status: 'fail', value: psi.value, fail_at: SCORE_PSI_FAIL_AT }]);
      expect(await rows('SELECT baseline_run_id, status FROM gate_evaluation WHERE run_id = $1', [h.workflowId])).toEqual([
        { baseline_run_id: `${pipeline.name}.baseline`, status: 'fail' },
      ]);

      expect(await eventually('search attributes of a paused run', async () => {
        const sa = await searchAttributes(h);
        return sa.runStatus === 'PAUSED' ? sa : undefined;
      })).toEqual({ runStatus: 'PAUSED', gateStatus: 'FAILED' });

      // The alert webhook got one Slack-compatible message naming the run and the gate.
      const alert = await eventually('the gate alert', () => alerts.find((a) => a.body.text.includes(h.workflowId)));
      expect(alert.contentType).toBe('application/json');
      expect(alert.body.text).toMatch(new RegExp(`^Scoreflow run ${h.workflowId.replace(/\./g, '\\.')} paused: gate failed: .*scorePsi\\(score\\)`));
      expect(alert.body.blocks[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: expect.stringContaining('scorePsi(score)') } });
      expect(alert.body.blocks[1]).toEqual({
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: `*runId*\n${h.workflowId}` },
          { type: 'mrkdwn', text: `*pipeline*\n${pipeline.name}` },
          { type: 'mrkdwn', text: '*kind*\ngate_failed' },
        ],
      });
      expect(alerts.filter((a) => a.body.text.includes(h.workflowId))).toHaveLength(1);
    }
  }, 300_000);

  it('approve continues the paused run: exported to the file destination and audited', async () => {
    // An approval without a reason is refused and changes nothing.
    await approveRun.signal(approveSignal, { operator: 'alice' });
    const refused = await waitForStatus(approveRun, (v) => v.rejectedSignals.length > 0, 30_000);
    expect(refused.status).toBe('PAUSED');
    expect(refused.rejectedSignals[0]).toMatchObject({ signal: 'approve', error: expect.stringContaining('reason') });

    // As an operator does it, with the run's default settings (no pause timeout).
    const sent = await signalWithCli(approveRun.workflowId, 'approve', { operator: 'alice', reason: 'promo week: the shift is expected' });
    expect(sent.code, sent.stderr).toBe(0);
    const result = await runResult(approveRun);
    expect(result.status).toBe('COMPLETED');
    const exp = result.exports.find((e) => e.destination === 'outbox');
    expect(exp?.rows).toBeGreaterThan(0);
    expect(exp?.location).toBe(join(pipeline.outbox, pipeline.name, approveRun.workflowId, 'outbox'));
    const csv = readCsv(join(exp!.location!, 'records.csv'));
    expect(csv).toHaveLength(exp!.rows);
    const jsonl = readFileSync(join(exp!.location!, 'records.jsonl'), 'utf8').trim().split('\n');
    expect(jsonl).toHaveLength(exp!.rows);

    const status = await approveRun.query(statusQuery);
    expect(status.gate).toMatchObject({ status: 'fail', overriddenBy: { operator: 'alice', reason: 'promo week: the shift is expected' } });
    expect(await searchAttributes(approveRun)).toEqual({ runStatus: 'COMPLETED', gateStatus: 'OVERRIDDEN' });

    const audit = await rows('SELECT action, operator, reason, payload FROM operator_audit WHERE run_id = $1 ORDER BY id', [approveRun.workflowId]);
    expect(audit).toEqual([{ action: 'approve', operator: 'alice', reason: 'promo week: the shift is expected', payload: { operator: 'alice', reason: 'promo week: the shift is expected' } }]);
    const ledger = await rows(`SELECT count(*)::int AS n FROM ledger_event WHERE run_id = $1 AND destination = 'outbox' AND stage = 'exported'`, [approveRun.workflowId]);
    expect(ledger).toEqual([{ n: exp!.rows }]);
    expect(await rows('SELECT status FROM activation_run WHERE run_id = $1', [approveRun.workflowId])).toEqual([{ status: 'COMPLETED' }]);
  }, 240_000);

  it('abort ends the other paused run: ABORTED, audited, and nothing exported', async () => {
    await abortRun.signal(abortSignal, { operator: 'bob', reason: 'tracking bug inflated the cart events' });
    const result = await runResult(abortRun);
    expect(result).toMatchObject({ status: 'ABORTED', exports: [] });
    expect(await searchAttributes(abortRun)).toEqual({ runStatus: 'ABORTED', gateStatus: 'FAILED' });

    const id = abortRun.workflowId;
    expect(existsSync(join(pipeline.outbox, pipeline.name, id))).toBe(false);
    // The gate judges the published records (fidelity-gate-after-publish): they are stored, but no
    // destination saw any of them.
    expect(await rows("SELECT count(*)::int AS n FROM ledger_event WHERE run_id = $1 AND destination <> ''", [id])).toEqual([{ n: 0 }]);
    expect(await rows('SELECT count(*)::int AS n FROM destination_export WHERE run_id = $1', [id])).toEqual([{ n: 0 }]);
    expect(await rows('SELECT status FROM activation_run WHERE run_id = $1', [id])).toEqual([{ status: 'ABORTED' }]);
    const audit = await rows('SELECT action, operator, reason FROM operator_audit WHERE run_id = $1 ORDER BY id', [id]);
    expect(audit).toEqual([{ action: 'abort', operator: 'bob', reason: 'tracking bug inflated the cart events' }]);
  }, 120_000);
});
