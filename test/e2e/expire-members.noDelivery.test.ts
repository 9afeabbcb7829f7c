/**
 * A cycle with no new delivery still takes expired members off every stateful destination: here a
 * member set in Google Customer Match (the contract server, tools/contract-servers/google.ts)
 * whose records expire (freshness.maxAgeHours of 90 seconds) is emptied by the next run, which finds
 * nothing new in the inbox (NO_DATA). The removals are recorded in the ledger under that run, and a
 * further empty cycle removes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closePools, getPool } from '../../activities/store/db.ts';
import { syncStateKey } from '../../activities/destinations/sync-engine.ts';
import type { Destination } from '../../contracts/pipeline-config.ts';
import { startContractServers, type ContractServers } from '../../tools/contract-servers/start-all.ts';
import { generateRecentFeed, result, startActivationWorker, uid, type ActivationWorker } from '../helpers/activation-run.ts';
import { writeTestPipeline, type TestPipeline } from '../helpers/pipeline.ts';

const MAX_AGE_SECONDS = 90;
let w: ActivationWorker;
let servers: ContractServers;
let p: TestPipeline;
let google: Destination;

beforeAll(async () => {
  servers = await startContractServers({ tag: uid('exp').replace(/-/g, '') });
  Object.assign(process.env, servers.env);
  google = servers.destinations().find((d) => d.kind === 'google-customer-match')!;
  p = writeTestPipeline(
    {
      destinations: [google],
      freshness: { maxAgeHours: MAX_AGE_SECONDS / 3600 },
      online: { enabled: false },
      gates: { matchRateDecline: { enabled: false }, acceptanceDecline: { enabled: false } },
    },
    uid('expire'),
  );
  await generateRecentFeed({ out: p.inbox, rsid: uid('expire').replace(/-/g, ''), seed: 777, visitors: 300 });
  w = await startActivationWorker('wfa-expire');
}, 120_000);

afterAll(async () => {
  await w?.close();
  await servers?.close();
  await closePools();
});

describe('expiry with no new delivery', () => {
  it('an expired member is removed from the Google audience by a cycle that had no new delivery, and recorded', async () => {
    const first = await result(await w.start(uid('expire-1'), { pipelinePath: p.path }, p.name));
    expect(first.status).toBe('COMPLETED');
    const members = servers.google.membership(servers.googleAudienceId);
    expect(members).toBeGreaterThan(0);

    const key = syncStateKey(p.name, google.name);
    const { rows } = await getPool().query<{ n: number; last: Date }>('SELECT count(*)::int AS n, max(expires_at) AS last FROM destination_sync_state WHERE destination = $1 AND member', [key]);
    expect(rows[0]!.n).toBe(members);
    // Wait until every member has expired.
    await new Promise((r) => setTimeout(r, Math.max(0, rows[0]!.last.getTime() - Date.now()) + 1000));

    const secondId = uid('expire-2');
    const second = await result(await w.start(secondId, { pipelinePath: p.path }, p.name));
    expect(second).toMatchObject({ status: 'NO_DATA', counts: { deliveries: 0, alreadyLoaded: 2, expiredRemoved: members } });
    expect(servers.google.membership(servers.googleAudienceId)).toBe(0);
    const removed = await getPool().query<{ n: number }>(
      "SELECT count(*)::int AS n FROM ledger_event WHERE run_id = $1 AND destination = $2 AND stage = 'removed' AND detail->>'reason' = 'expired'",
      [secondId, google.name],
    );
    expect(removed.rows[0]!.n).toBe(members);
    const left = await getPool().query<{ n: number }>('SELECT count(*)::int AS n FROM destination_sync_state WHERE destination = $1 AND member', [key]);
    expect(left.rows[0]!.n).toBe(0);

    // Nothing left to expire: the next empty cycle removes nothing.
    const third = await result(await w.start(uid('expire-3'), { pipelinePath: p.path }, p.name));
    expect(third).toMatchObject({ status: 'NO_DATA', counts: { expiredRemoved: 0 } });
  }, 400_000);
});
