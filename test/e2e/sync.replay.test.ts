/**
 * `scoreflow sync replay`: a cycle delivers to the Target contract server, which then loses
 * everything it held. `--dry-run` prints the plan and sends nothing; the replay sends the cycle's
 * state again, and afterwards the server's profiles are exactly the cycle's desired rows (set
 * equality, with their attributes). A second replay under the same --replay-id sends nothing new.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TARGET_CLEAR_SENTINEL } from '../../activities/destinations/adobe-target-rules.ts';
import { buildDesiredRows } from '../../activities/destinations/desired-rows.ts';
import { loadRunRecords } from '../../activities/destinations/run-records.ts';
import type { StatefulDestination } from '../../activities/destinations/adapter-factory.ts';
import { getPool } from '../../activities/store/db.ts';
import type { Destination } from '../../contracts/pipeline-config.ts';
import { startContractServers, type ContractServers } from '../../tools/contract-servers/start-all.ts';
import type { ActivationRunResult } from '../../workflows/activation-run.ts';
import { generateRecentFeed, startActivationWorker, type ActivationWorker } from '../helpers/activation-run.ts';
import { writeTestPipeline, type TestPipeline } from '../helpers/pipeline.ts';
import { runCli } from '../helpers/run-cli.ts';
import { targetAttrs } from '../helpers/sync-receivers.ts';

const GATES_OFF = {
  scorePsi: { enabled: false },
  featurePsi: { enabled: false },
  categoricalJsd: { enabled: false },
  volumeChange: { enabled: false },
  featureNullRate: { enabled: false },
  collapse: { topValueShare: { enabled: false }, minStdDev: { enabled: false }, minDistinct: { enabled: false }, massAtBounds: { enabled: false } },
  matchRateDecline: { enabled: false },
  acceptanceDecline: { enabled: false },
};

let servers: ContractServers;
let w: ActivationWorker;
let pipeline: TestPipeline;
let dest: StatefulDestination;
let runId: string;

/** What the Target server holds as members: profiles with at least one attribute that is not the clear sentinel. */
const heldProfiles = () => new Map([...servers.target.profiles].filter(([, attrs]) => Object.values(attrs).some((v) => v !== TARGET_CLEAR_SENTINEL)));

async function desiredOfCycle(): Promise<Map<string, Record<string, string>>> {
  const { desired } = await buildDesiredRows(await loadRunRecords(runId), dest);
  const now = Date.now();
  return new Map(desired.filter((d) => d.consented && d.eligible && Date.parse(d.expiresAt) > now).map((d) => [d.identifiers.thirdPartyId!, targetAttrs(d.payload, 'upsert')]));
}

beforeAll(async () => {
  process.env.SCOREFLOW_REPORT_DIR ??= mkdtempSync(join(tmpdir(), 'scoreflow-replay-'));
  const tag = randomBytes(3).toString('hex');
  servers = await startContractServers({ tag, target: { windowMs: 1000 } });
  Object.assign(process.env, servers.env);
  const target = servers.destinations().find((d) => d.name === 'target-profiles')! as Destination & { config: Record<string, unknown> };
  dest = { ...target, name: `target-${tag}`, config: { ...target.config, rateWindowMs: 1000 } } as StatefulDestination;
  pipeline = writeTestPipeline({ destinations: [dest], gates: GATES_OFF, online: { enabled: false } }, `replay-${tag}`);
  const dir = join(pipeline.dir, 'feed');
  await generateRecentFeed({ out: dir, rsid: `rp${tag}`, seed: 9_113, visitors: 300, days: 2 });
  w = await startActivationWorker('sync-replay');
  runId = `${pipeline.name}.run-1`;
  const r = (await (await w.start(runId, { pipelinePath: pipeline.path, feedDir: dir }, pipeline.name)).result()) as ActivationRunResult;
  expect(r.status).toBe('COMPLETED');
}, 300_000);

afterAll(async () => {
  await w?.close();
  await servers?.close();
});

describe('scoreflow sync replay', () => {
  it('the cycle delivered its desired rows; then the destination loses everything', async () => {
    const desired = await desiredOfCycle();
    expect(desired.size).toBeGreaterThan(10);
    expect(heldProfiles()).toEqual(desired);
    servers.target.profiles.clear();
    expect(heldProfiles().size).toBe(0);
  });

  it('--dry-run prints the plan and sends nothing', { timeout: 300_000 }, async () => {
    const batches = servers.target.batches.size;
    const out = await runCli(['sync', 'replay', '--pipeline', pipeline.path, '--run', runId, '--destination', dest.name, '--dry-run', '--json']);
    expect(out.code, out.stderr).toBe(0);
    const report = out.json as { dryRun: boolean; desiredMembers: number; counts: { adds: number; removes: number }; sent: null; totalRows: number };
    expect(report).toMatchObject({ dryRun: true, sent: null, counts: { adds: (await desiredOfCycle()).size, removes: 0 } });
    expect(report.desiredMembers).toBe((await desiredOfCycle()).size);
    const text = await runCli(['sync', 'replay', '--pipeline', pipeline.path, '--run', runId, '--destination', dest.name, '--dry-run', '--limit', '3']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/dry run, the plan only/);
    expect(text.stdout).toMatch(/nothing was sent/);
    expect(servers.target.batches.size).toBe(batches);
    expect(heldProfiles().size).toBe(0);
  });

  it('the replay converges: the server holds exactly the cycle\'s desired rows, audited; the same replay id sends nothing twice', { timeout: 300_000 }, async () => {
    const replayId = `${runId}.replay-test`;
    const out = await runCli(['sync', 'replay', '--pipeline', pipeline.path, '--run', runId, '--destination', dest.name, '--replay-id', replayId, '--reason', 'target lost its profiles', '--json']);
    expect(out.code, out.stderr).toBe(0);
    const desired = await desiredOfCycle();
    expect(heldProfiles()).toEqual(desired);
    const report = out.json as { sent: { accepted: number; rejected: number } };
    expect(report.sent).toMatchObject({ accepted: desired.size, rejected: 0 });
    console.info(`replay: desired ${desired.size}, held after replay ${heldProfiles().size}, accepted ${report.sent.accepted}`);

    const { rows: ledger } = await getPool().query<{ n: number }>("SELECT count(*)::int AS n FROM ledger_event WHERE run_id = $1 AND destination = $2 AND stage = 'delivered'", [replayId, dest.name]);
    expect(ledger[0]!.n).toBe(desired.size);
    const { rows: audit } = await getPool().query<{ action: string; reason: string }>('SELECT action, reason FROM operator_audit WHERE idempotency_key = $1', [`${replayId}:${dest.name}`]);
    expect(audit).toEqual([{ action: 'sync_replay', reason: 'target lost its profiles' }]);

    const batches = servers.target.batches.size;
    const again = await runCli(['sync', 'replay', '--pipeline', pipeline.path, '--run', runId, '--destination', dest.name, '--replay-id', replayId, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect((again.json as { sent: { chunks: number } }).sent.chunks).toBe(0);
    expect(servers.target.batches.size).toBe(batches);
    expect(heldProfiles()).toEqual(desired);
  });
});
