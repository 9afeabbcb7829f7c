/**
 * Round-trip verification end to end: a full activation run exports to the Target, Meta and Google
 * contract servers with `verify` on each destination; the verify stage reads back what landed and
 * records 0% mismatch (Google through the Ads API's user list size). Then a profile is tampered with
 * and another deleted at the Target server, and `scoreflow verify` (its in-process entry point, and
 * once the real CLI) detects both, records the failure in the ledger, alerts, and exits 1; members
 * dropped from the Google list behind Scoreflow's back are detected as a size out of range, and a
 * list whose size Google has not determined yet is recorded as undetermined, not as a pass.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getPool } from '../../activities/store/db.ts';
import { loadVerifications } from '../../activities/destinations/verify-destination.ts';
import { startContractServers, type ContractServers } from '../../tools/contract-servers/start-all.ts';
import type { Destination } from '../../contracts/pipeline-config.ts';
import { verifyReport } from '../../cli/commands/verify.ts';
import { generateRecentFeed, startActivationWorker, uid, type ActivationWorker } from '../helpers/activation-run.ts';
import { writeTestPipeline, type TestPipeline } from '../helpers/pipeline.ts';
import { runCli } from '../helpers/run-cli.ts';

let servers: ContractServers;
let w: ActivationWorker;
let pipeline: TestPipeline;
let runId: string;
let alerts: { text: string }[] = [];
let alertServer: Server;

const GATES_OFF = { feedFreshness: { enabled: false }, volumeChange: { enabled: false }, scorePsi: { enabled: false }, featurePsi: { enabled: false } };

beforeAll(async () => {
  alertServer = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      alerts.push(JSON.parse(body) as { text: string });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => alertServer.listen(0, '127.0.0.1', r));
  process.env.SCOREFLOW_ALERT_WEBHOOK_URL = `http://127.0.0.1:${(alertServer.address() as AddressInfo).port}/hook`;

  const tag = uid('vrf').replace(/-/g, '');
  servers = await startContractServers({ tag });
  Object.assign(process.env, servers.env);
  const destinations = servers
    .destinations()
    .filter((d) => d.kind === 'adobe-target-bulk' || d.kind === 'meta-custom-audiences' || d.kind === 'google-customer-match')
    .map((d) => ({ ...d, verify: { sample: 500, maxMismatchRate: 0.01 } }) as Destination);
  pipeline = writeTestPipeline({ destinations, gates: GATES_OFF, online: { enabled: false } }, `verify-${tag}`);
  await generateRecentFeed({ out: pipeline.inbox, rsid: `vrf${tag}`, seed: 4242, visitors: 400 });
  w = await startActivationWorker('verify');
  runId = uid('verify-run');
  const h = await w.start(runId, { pipelinePath: pipeline.path, feedDir: pipeline.inbox });
  const result = (await h.result()) as { status: string };
  expect(result.status).toBe('COMPLETED');
}, 300_000);

afterAll(async () => {
  await w?.close();
  await servers?.close();
  await new Promise((r) => alertServer?.close(r));
});

describe('round-trip verification', () => {
  it('the verify stage after export reads back a sample and records 0% mismatch for Target, Meta and Google', async () => {
    const v = await loadVerifications(runId);
    const target = v.find((r) => r.kind === 'adobe-target-bulk')!;
    const meta = v.find((r) => r.kind === 'meta-custom-audiences')!;
    const google = v.find((r) => r.kind === 'google-customer-match')!;
    expect(servers.target.profiles.size).toBeGreaterThan(20);
    expect(target).toMatchObject({ status: 'pass', method: 'profile_fetch', mismatched: 0, missing: 0, mismatchRate: 0 });
    // Every member held as delivered was read back (the sample exceeds the population here).
    expect(target.sampled).toBe(target.members);
    expect(target.sampled).toBe(servers.target.profiles.size);
    expect(servers.target.counts.profileFetches).toBe(target.sampled);
    expect(meta).toMatchObject({ status: 'pass', method: 'audience_size', mismatched: 0 });
    expect(meta.reportedSize).toEqual({ lower: servers.meta.membership(servers.metaAudienceId), upper: servers.meta.membership(servers.metaAudienceId) });
    expect(meta.members).toBe(servers.meta.membership(servers.metaAudienceId));
    // Google: the list's size through the Google Ads API (googleAds:search), exactly what was delivered.
    const held = servers.google.membership(servers.googleAudienceId);
    expect(held).toBeGreaterThan(5);
    expect(google).toMatchObject({ status: 'pass', method: 'audience_size', mismatched: 0, mismatchRate: 0, members: held });
    expect(google.reportedSize).toEqual({ lower: held, upper: held });
    expect(google.acceptedMembers).toEqual({ lower: held, upper: held });
    expect(servers.google.counts.searches).toBeGreaterThanOrEqual(1);
    expect(alerts).toHaveLength(0);
  });

  it('detects members dropped from the Google list (size out of range), records it and alerts; an undetermined size is said so', async () => {
    const destination = (await loadVerifications(runId)).find((r) => r.kind === 'google-customer-match')!.destination;
    const held = servers.google.membership(servers.googleAudienceId);
    const dropped = servers.google.dropMembers(servers.googleAudienceId, 3);
    expect(dropped).toBe(3);
    const google = await verifyReport({ run: runId, destination });
    expect(google).toMatchObject({ ok: false, status: 'fail', method: 'audience_size', members: held, mismatched: 3, missing: 3 });
    expect(google.reportedSize).toEqual({ lower: held - 3, upper: held - 3 });
    expect(google.mismatchRate).toBeCloseTo(3 / held, 10);
    expect(google.examples).toEqual([{ member: '(audience)', problem: 'size_out_of_range', expected: String(held), actual: String(held - 3) }]);
    const { rows } = await getPool().query<{ status: string; mismatched: number }>('SELECT status, mismatched FROM destination_verification WHERE run_id = $1 AND destination = $2', [runId, destination]);
    expect(rows).toEqual([{ status: 'fail', mismatched: 3 }]);
    expect(alerts.some((a) => a.text.includes(destination) && a.text.includes('does not hold what was delivered'))).toBe(true);

    servers.google.setSizeReporting(servers.googleAudienceId, 'undetermined');
    try {
      const pending = await verifyReport({ run: runId, destination });
      expect(pending).toMatchObject({ ok: true, status: 'undetermined', method: 'audience_size', mismatched: 0 });
      expect(pending.detail).toMatch(/has not determined the audience size yet/);
      const { rows: after } = await getPool().query<{ status: string }>('SELECT status FROM destination_verification WHERE run_id = $1 AND destination = $2', [runId, destination]);
      expect(after).toEqual([{ status: 'undetermined' }]);
    } finally {
      servers.google.setSizeReporting(servers.googleAudienceId, 'exact');
    }
  });

  it('detects a tampered and a deleted profile, records the failure, and alerts', async () => {
    const ids = [...servers.target.profiles.keys()].sort();
    const tampered = ids[0]!;
    const deleted = ids[1]!;
    const attr = Object.keys(servers.target.profiles.get(tampered)!).find((k) => k !== 'expires_at') ?? 'segment';
    servers.target.profiles.set(tampered, { ...servers.target.profiles.get(tampered)!, [attr]: 'tampered-value' });
    servers.target.profiles.delete(deleted);

    const target = await verifyReport({ run: runId, destination: await targetName(), sample: 10_000 });
    expect(target).toMatchObject({ ok: false, status: 'fail', mismatched: 2, missing: 1 });
    expect(target.mismatchRate).toBeCloseTo(2 / target.sampled, 10);
    expect(target.examples).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ problem: 'attribute_differs', attribute: attr, actual: 'tampered-value' }),
        expect.objectContaining({ problem: 'missing_profile' }),
      ]),
    );
    // Members are named by a hash only, never the third-party id.
    expect(JSON.stringify(target.examples)).not.toContain(tampered);
    const { rows } = await getPool().query<{ status: string; mismatched: number }>(
      'SELECT status, mismatched FROM destination_verification WHERE run_id = $1 AND destination = $2',
      [runId, target.destination],
    );
    expect(rows).toEqual([{ status: 'fail', mismatched: 2 }]);
    expect(alerts.some((a) => a.text.includes(target.destination) && a.text.includes('does not hold what was delivered'))).toBe(true);
  });

  it('the CLI prints the finding and exits 1; a usage error names the valid destinations', async () => {
    const name = await targetName();
    const res = await runCli(['verify', '--run', runId, '--destination', name, '--sample', '10000', '--json'], { env: servers.env });
    expect(res.code).toBe(1);
    const out = JSON.parse(res.stdout.trim().split('\n').at(-1)!) as { ok: boolean; status: string; mismatched: number };
    expect(out).toMatchObject({ ok: false, status: 'fail', mismatched: 2 });
    const bad = await runCli(['verify', '--run', runId, '--destination', 'nope'], { env: servers.env });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--destination "nope": pipeline verify-.* has no such destination; valid destinations: /);
  });
});

async function targetName(): Promise<string> {
  const v = await loadVerifications(runId);
  return v.find((r) => r.kind === 'adobe-target-bulk')!.destination;
}
