/**
 * Operator identity in the audit: who sent an action is the Temporal client identity recorded on the
 * signal or update in the run's history, not only the operator the payload names. Real dev server,
 * real worker and activities; two runs paused on a stale feed's failed gate:
 * - signals from a client with identity X naming operator Y are audited with identity X and flagged;
 *   a refused signal before them does not shift which event is read;
 * - the CLI's client (connectClient, envconfig profile from a TOML file) sends an update with its
 *   identity scoreflow-cli:<SCOREFLOW_OPERATOR>@<host>, audited as such, no mismatch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, type WorkflowHandle } from '@temporalio/client';
import { generateFeed } from '../../tools/feed-generator/generator.ts';
import { closePools, getPool } from '../../activities/store/db.ts';
import { connectClient } from '../../workers/client.ts';
import { temporalAddress } from '../../workers/config.ts';
import { abortUpdate, statusQuery } from '../../workflows/messages.ts';
import { eventually, result, startActivationWorker, uid, waitForStatus, type ActivationWorker } from '../helpers/activation-run.ts';
import { writeTestPipeline } from '../helpers/pipeline.ts';

const STALE_START = '2026-01-05';
let w: ActivationWorker;

async function stalePausedRun(tag: string): Promise<WorkflowHandle> {
  const p = writeTestPipeline({ online: { enabled: false } }, `aid-${tag}-${randomBytes(3).toString('hex')}`);
  await generateFeed({ visitors: 200, days: 2, seed: 2024, out: p.inbox, rsid: `aid${tag}${randomBytes(3).toString('hex')}`, startDate: STALE_START });
  const h = await w.start(uid(`aid-${tag}`), { pipelinePath: p.path, feedDir: p.inbox }, p.name);
  const paused = await waitForStatus(h, (s) => s.status !== 'RUNNING', 180_000);
  expect(paused).toMatchObject({ status: 'PAUSED', awaiting: { kind: 'gate' } });
  return h;
}

const auditOf = (runId: string) =>
  eventually(`audit rows of ${runId}`, async () => {
    const { rows } = await getPool().query('SELECT action, operator, identity, via, identity_mismatch FROM operator_audit WHERE run_id = $1 ORDER BY id', [runId]);
    return rows.length > 0 ? rows : undefined;
  });

beforeAll(async () => {
  w = await startActivationWorker('wfa-aid');
}, 120_000);

afterAll(async () => {
  await w?.close();
  await closePools();
});

describe('the operator audit records who sent each action', () => {
  it('a signal sent with client identity X and payload operator Y is audited with identity X, flagged as a mismatch', async () => {
    const h = await stalePausedRun('sig');
    const X = 'scoreflow-cli:ana@ops-laptop';
    const asX = new Client({ connection: w.client.connection, identity: X });
    const asZ = new Client({ connection: w.client.connection, identity: 'temporal-ui:zoe@example.com' });
    // Refused (no reason): in the history, never audited; the next approve is the 2nd Signaled "approve".
    await asZ.workflow.getHandle(h.workflowId).signal('approve', { operator: 'zoe' });
    await eventually('the refused signal', async () => ((await h.query(statusQuery)).rejectedSignals.length === 1 ? true : undefined));
    await asX.workflow.getHandle(h.workflowId).signal('approve', { operator: 'mallory', reason: 'claims to be someone else' });
    expect((await result(h)).status).toBe('COMPLETED');

    expect(await auditOf(h.workflowId)).toEqual([{ action: 'approve', operator: 'mallory', identity: X, via: 'signal', identity_mismatch: true }]);
    const history = await h.fetchHistory();
    const approves = (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'approve');
    expect(approves.map((e) => e.workflowExecutionSignaledEventAttributes!.identity)).toEqual(['temporal-ui:zoe@example.com', X]);
  }, 300_000);

  it('the CLI client (connectClient with an envconfig profile) sends an update audited with its identity', async () => {
    const h = await stalePausedRun('upd');
    const dir = mkdtempSync(join(tmpdir(), 'sf-envconfig-'));
    writeFileSync(join(dir, 'temporal.toml'), `[profile.ops]\naddress = "${temporalAddress()}"\nnamespace = "default"\n`);
    const env = { TEMPORAL_CONFIG_FILE: join(dir, 'temporal.toml'), TEMPORAL_PROFILE: 'ops', SCOREFLOW_OPERATOR: 'oncall-ana' };
    const cli = await connectClient(undefined, { env });
    try {
      expect(cli.identity).toBe(`scoreflow-cli:oncall-ana@${hostname()}`);
      expect(cli.namespace).toBe('default');
      const answer = await cli.client.workflow.getHandle(h.workflowId).executeUpdate(abortUpdate, { args: [{ operator: 'oncall-ana', reason: 'stale feed, not worth overriding' }] });
      expect(answer).toMatchObject({ accepted: true, action: 'abort' });
    } finally {
      await cli.close();
    }
    expect((await result(h)).status).toBe('ABORTED');
    expect(await auditOf(h.workflowId)).toEqual([{ action: 'abort', operator: 'oncall-ana', identity: `scoreflow-cli:oncall-ana@${hostname()}`, via: 'update', identity_mismatch: false }]);
  }, 300_000);
});
