/**
 * The cycle is gated after publish (patch fidelity-gate-after-publish), before the online store and
 * any export, so the two gates that judge built records see them:
 *
 * - destinationDryRun: a pipeline whose Target mapping cannot be sent (a segment id longer than the
 *   256 characters a Target profile attribute holds) fails its dry run, the run pauses at the gate,
 *   and the Target contract server receives nothing;
 * - contractViolations: records publish quarantines in contract_quarantine are counted; a cycle
 *   whose stored decisions break the canonical contract (what a faulty scorer would leave: a
 *   recommendation score above 1) fails the gate.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateCycleActivity } from '../../activities/run/gates-and-report.ts';
import { publishCanonicalActivity } from '../../activities/publish/publish-canonical.ts';
import { getPool } from '../../activities/store/db.ts';
import { resolveModelActivity } from '../../activities/scoring/resolve-model.ts';
import type { Destination } from '../../contracts/pipeline-config.ts';
import { startContractServers, type ContractServers } from '../../tools/contract-servers/start-all.ts';
import { generatedFeedPipelineBase } from '../../tools/pipeline-base.ts';
import { abortSignal } from '../../workflows/messages.ts';
import { generateRecentFeed, result as runResult, startActivationWorker, waitForStatus, type ActivationWorker } from '../helpers/activation-run.ts';
import { writeTestPipeline, type TestPipeline } from '../helpers/pipeline.ts';

const GATES_OFF = {
  // A single first cycle: drift has no baseline; what is under test is the dry run and the contract.
  scorePsi: { enabled: false },
  featurePsi: { enabled: false },
  categoricalJsd: { enabled: false },
  volumeChange: { enabled: false },
  featureNullRate: { enabled: false },
  collapse: { topValueShare: { enabled: false }, minStdDev: { enabled: false }, minDistinct: { enabled: false }, massAtBounds: { enabled: false } },
  matchRateDecline: { enabled: false },
  acceptanceDecline: { enabled: false },
};
const LONG_SEGMENT = `cold_${'x'.repeat(300)}`;

let servers: ContractServers;
let w: ActivationWorker;
let pipeline: TestPipeline;
let handle: WorkflowHandle;
const pool = () => getPool();

beforeAll(async () => {
  process.env.SCOREFLOW_REPORT_DIR ??= mkdtempSync(join(tmpdir(), 'scoreflow-gates-after-publish-'));
  const tag = randomBytes(3).toString('hex');
  servers = await startContractServers({ tag, target: { windowMs: 1000 } });
  Object.assign(process.env, servers.env);
  const target = servers.destinations().find((d) => d.name === 'target-profiles')! as Destination & { config: Record<string, unknown> };
  const base = generatedFeedPipelineBase();
  pipeline = writeTestPipeline(
    {
      destinations: [{ ...target, name: `target-${tag}`, config: { ...target.config, rateWindowMs: 1000 } }],
      gates: GATES_OFF,
      online: { enabled: false },
      // Every visitor lands in the last segment, whose id no Target attribute can hold.
      scoring: { ...base.scoring, segments: [{ id: 'high_intent', minScore: 0.99 }, { id: LONG_SEGMENT, minScore: 0 }], eligibility: { minScore: 0, requireConsent: 'personalization' } },
    },
    `gap-${tag}`,
  );
  const dir = join(pipeline.dir, 'feed');
  await generateRecentFeed({ out: dir, rsid: `gap${tag}`, seed: 7_771, visitors: 300, days: 3 });
  w = await startActivationWorker('gates-after-publish');
  handle = await w.start(`${pipeline.name}.run-1`, { pipelinePath: pipeline.path, feedDir: dir }, pipeline.name);
}, 180_000);

afterAll(async () => {
  await w?.close();
  await servers?.close();
});

describe('gates judge the built records', () => {
  it('a destination whose mapping Target refuses fails its dry run: the run pauses before anything is sent', { timeout: 240_000 }, async () => {
    const status = await waitForStatus(handle, (v) => v.status === 'PAUSED', 200_000);
    expect(status).toMatchObject({ status: 'PAUSED', stage: 'gate', gate: { status: 'fail' } });
    const dry = status.gate.results.find((r) => r.gate === 'destinationDryRun');
    expect(dry).toMatchObject({ status: 'fail', subject: pipeline.name.replace('gap-', 'target-') });
    expect(dry!.value!).toBeGreaterThan(0.5);
    expect(dry!.detail).toMatch(/longer than 256/);
    // Published (the gate judged the records), yet nothing reached Target.
    const { rows } = await pool().query<{ n: number }>('SELECT count(*)::int AS n FROM activation_record WHERE run_id = $1', [handle.workflowId]);
    expect(rows[0]!.n).toBeGreaterThan(0);
    expect(servers.target.batches.size).toBe(0);
    expect(status.exports).toEqual([]);
  });

  it('the contract-violation gate counts what publish quarantined', { timeout: 120_000 }, async () => {
    // A second cycle over the paused run's scores, with five stored decisions as a faulty scorer would
    // leave them: a recommendation scored 1.7, which the canonical contract (score in [0, 1]) refuses.
    const runId = `${handle.workflowId}.faulty`;
    const { rows: run } = await pool().query<{ snapshot_id: string }>('SELECT snapshot_id FROM activation_run WHERE run_id = $1', [handle.workflowId]);
    const snapshotId = run[0]!.snapshot_id;
    await pool().query(
      `INSERT INTO scored_entity (run_id, entity_id, score, segment, eligible, features, decision)
       SELECT $2, entity_id, score, segment, eligible, features, decision FROM scored_entity WHERE run_id = $1`,
      [handle.workflowId, runId],
    );
    const { rows: faulty } = await pool().query<{ entity_id: string }>(
      `UPDATE scored_entity SET decision = jsonb_set(decision, '{recommendations,0,score}', '1.7')
        WHERE run_id = $1 AND entity_id IN (SELECT entity_id FROM scored_entity WHERE run_id = $1 AND jsonb_array_length(decision->'recommendations') > 0 ORDER BY entity_id LIMIT 5)
       RETURNING entity_id`,
      [runId],
    );
    expect(faulty).toHaveLength(5);
    const model = await resolveModelActivity({ pipelinePath: pipeline.path });
    const published = await publishCanonicalActivity({ runId, parentRunId: handle.workflowId, pipelinePath: pipeline.path, snapshotId, model, rollbackOf: null });
    expect(published.quarantined).toBe(5);
    const gate = await gateCycleActivity({ runId, pipelinePath: pipeline.path, snapshotId });
    const cv = gate.results.find((r) => r.gate === 'contractViolations');
    expect(cv).toMatchObject({ status: 'fail' });
    expect(cv!.detail).toMatch(/\(5 of \d+;/);
  });

  it('an operator abort ends the paused run with nothing exported', { timeout: 120_000 }, async () => {
    await handle.signal(abortSignal, { operator: 'test', reason: 'mapping refused by Target' });
    const r = await runResult(handle);
    expect(r.status).toBe('ABORTED');
    expect(servers.target.batches.size).toBe(0);
  });
});
