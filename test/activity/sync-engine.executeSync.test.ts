import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryRow, DestinationAdapter, SendContext } from '../../activities/destinations/adapter.ts';
import { createGoogleCustomerMatchAdapter } from '../../activities/destinations/google-customer-match.ts';
import {
  desiredRow,
  executeSync,
  idempotencyKey,
  loadOrCreatePlan,
  loadSyncState,
  planSync,
  runSync,
  type DesiredRow,
  type SyncCheckpoint,
} from '../../activities/destinations/sync-engine.ts';
import { sha256Hex } from '../../activities/identity/normalize.ts';
import { getPool } from '../../activities/store/db.ts';
import { startGoogleServer, type RunningGoogleServer } from '../../tools/contract-servers/google.ts';

const tag = randomUUID().slice(0, 8);
const TOKEN_ENV = `H4A_SYNC_TOKEN_${tag}`;
let server: RunningGoogleServer;
const now = new Date();
const later = new Date(now.getTime() + 86_400_000).toISOString();
const past = new Date(now.getTime() - 1000).toISOString();

function want(i: number, over: Partial<Omit<DesiredRow, 'digest'>> = {}): DesiredRow {
  return desiredRow({
    entityId: `${i}_3`,
    payload: { segment: 'high' },
    identifiers: { emailAddress: sha256Hex(`p${i}-${tag}@example.com`) },
    expiresAt: later,
    modelVersion: '1.0.0',
    consented: true,
    eligible: true,
    ...over,
  });
}
const google = (audienceId: string) =>
  createGoogleCustomerMatchAdapter({ baseUrl: server.url, tokenEnv: TOKEN_ENV, operatingAccount: { accountType: 'GOOGLE_ADS', accountId: '42' }, audienceId });

async function ledger(runId: string, destination: string): Promise<Record<string, number>> {
  const { rows } = await getPool().query<{ stage: string; n: number }>('SELECT stage, count(*)::int AS n FROM ledger_event WHERE run_id = $1 AND destination = $2 GROUP BY stage', [runId, destination]);
  return Object.fromEntries(rows.map((r) => [r.stage, r.n]));
}

beforeAll(async () => {
  server = await startGoogleServer();
  process.env[TOKEN_ENV] = server.token;
});
afterAll(async () => {
  await server.close();
});

describe('executeSync', () => {
  it('resumes after a crash between the destination accepting a chunk and the commit, without duplicates', async () => {
    const destination = `sync-${tag}-crash`;
    const runId = `run-${tag}-crash`;
    const desired = Array.from({ length: 7 }, (_, i) => want(i));
    const real = google('crash');
    const plan = await loadOrCreatePlan(runId, destination, async () => planSync(desired, await loadSyncState(destination), now));

    // Attempt 1: chunk 2 reaches the destination, then the worker dies before committing it.
    const crashing: DestinationAdapter = {
      ...real,
      send: async (rows: DeliveryRow[], ctx: SendContext) => {
        const r = await real.send(rows, ctx);
        if (ctx.chunkIndex === 2) throw new Error('simulated worker crash after the send');
        return r;
      },
    };
    const beats: SyncCheckpoint[] = [];
    await expect(executeSync({ runId, destination, adapter: crashing, plan, chunkRows: 2, heartbeat: (c) => beats.push(c) })).rejects.toThrow(/simulated worker crash/);
    expect(beats.at(-1)).toEqual({ nextChunk: 2, totalChunks: 4 });
    expect((await loadSyncState(destination)).filter((s) => s.member)).toHaveLength(4);

    // Attempt 2 (Temporal retry): the state moved on, but the stored plan is replayed from the checkpoint.
    const again = await loadOrCreatePlan(runId, destination, () => {
      throw new Error('a stored plan must not be recomputed');
    });
    expect(again).toEqual(JSON.parse(JSON.stringify(plan)));
    const r = await executeSync({ runId, destination, adapter: real, plan: again, chunkRows: 2, resumeFrom: beats.at(-1) });
    expect(r).toMatchObject({ totalChunks: 4, skippedChunks: 2, sentChunks: 2, accepted: 3 });

    // Chunk 2 reached Google twice (Google dedupes nothing); the second time changed no membership.
    const keys = server.received().filter((d) => d.audienceIds.includes('crash')).map((d) => d.idempotencyKey);
    expect(keys).toEqual([0, 1, 2, 2, 3].map((i) => idempotencyKey(runId, destination, 'upsert', i)));
    expect(server.counts.duplicates).toBe(1);
    expect(server.membership('crash')).toBe(7);
    expect((await loadSyncState(destination)).filter((s) => s.member)).toHaveLength(7);
    expect(await ledger(runId, destination)).toEqual({ exported: 7, accepted: 7, delivered: 7 });

    // A third attempt whose heartbeat was lost sends nothing: committed chunks are skipped.
    const before = server.counts.requests;
    expect(await executeSync({ runId, destination, adapter: real, plan: again, chunkRows: 2 })).toMatchObject({ skippedChunks: 4, sentChunks: 0 });
    expect(server.counts.requests).toBe(before);
  });

  it('across cycles sends only deltas: updates, expiry and revoked consent become removes, and no re-add without consent', async () => {
    const destination = `sync-${tag}-cycle`;
    const adapter = google('cycle');
    const base = [0, 1, 2, 3, 4].map((i) => want(i));
    const run1 = await runSync({ runId: `run-${tag}-c1`, destination, adapter, desired: base, now });
    expect(run1.plan).toMatchObject({ adds: 5, updates: 0, removes: 0 });
    expect(server.membership('cycle')).toBe(5);

    const cycle2 = [
      base[0]!,
      want(1, { payload: { segment: 'warm' } }), // changed → update
      want(2, { consented: false }), // consent revoked → remove
      want(3, { expiresAt: past }), // expired → remove
      // 4 no longer qualifies → remove
      want(5), // new → add
    ];
    const run2 = await runSync({ runId: `run-${tag}-c2`, destination, adapter, desired: cycle2, now });
    expect(run2.plan).toMatchObject({ adds: 1, updates: 1, removes: 3, unchanged: 1, retries: 0 });
    expect(run2.result).toMatchObject({ adds: 1, updates: 1, removes: 3 });
    expect(server.membership('cycle')).toBe(3);
    expect(server.hasEmail('cycle', want(2).identifiers.emailAddress!)).toBe(false);
    expect(await ledger(`run-${tag}-c2`, destination)).toEqual({ exported: 5, accepted: 5, delivered: 2, removed: 3 });
    const state = Object.fromEntries((await loadSyncState(destination)).map((s) => [s.entityId, s]));
    expect(state['2_3']).toBeUndefined(); // removed: no longer a member, nothing pending

    const { rows } = await getPool().query<{ consented: boolean; consent_revoked_at: Date | null }>('SELECT consented, consent_revoked_at FROM destination_sync_state WHERE destination = $1 AND entity_id = $2', [destination, '2_3']);
    expect(rows[0]).toMatchObject({ consented: false, consent_revoked_at: expect.any(Date) });

    // Cycle 3: same desired rows; consent still absent for 2. Nothing to send.
    const requests = server.counts.requests;
    const run3 = await runSync({ runId: `run-${tag}-c3`, destination, adapter, desired: cycle2.filter((d) => d.entityId !== '3_3'), now });
    expect(run3.plan).toMatchObject({ adds: 0, updates: 0, removes: 0, unchanged: 3, held: 1 });
    expect(server.counts.requests).toBe(requests);
  });

  it('records refused rows with their reason and retries only those next cycle', async () => {
    const destination = `sync-${tag}-retry`;
    const seen: string[][] = [];
    let refuse = new Set(['1_3', '3_3']);
    const flaky: DestinationAdapter = {
      kind: 'fake',
      maxChunkRows: 100,
      send: async (rows) => {
        seen.push(rows.map((r) => r.entityId));
        return {
          accepted: rows.filter((r) => !refuse.has(r.entityId)).map((r) => r.entityId),
          rejected: rows.filter((r) => refuse.has(r.entityId)).map((r) => ({ entityId: r.entityId, reason: 'TEMPORARILY_UNAVAILABLE', retryable: true })),
          receipt: { batch: seen.length },
        };
      },
    };
    const desired = [0, 1, 2, 3].map((i) => want(i));
    const r1 = await runSync({ runId: `run-${tag}-r1`, destination, adapter: flaky, desired, now });
    expect(r1.result).toMatchObject({ accepted: 2, rejected: 2, rejections: { TEMPORARILY_UNAVAILABLE: 2 } });
    expect(await ledger(`run-${tag}-r1`, destination)).toEqual({ exported: 4, accepted: 2, delivered: 2, rejected: 2 });
    const pending = (await loadSyncState(destination)).filter((s) => s.pending);
    expect(pending.map((s) => [s.entityId, s.pending?.reason, s.pending?.attempts])).toEqual([
      ['1_3', 'TEMPORARILY_UNAVAILABLE', 1],
      ['3_3', 'TEMPORARILY_UNAVAILABLE', 1],
    ]);

    refuse = new Set(['3_3']);
    const r2 = await runSync({ runId: `run-${tag}-r2`, destination, adapter: flaky, desired, now });
    expect(r2.plan).toMatchObject({ adds: 0, updates: 0, retries: 2, unchanged: 2 });
    expect(seen.at(-1)).toEqual(['1_3', '3_3']);
    expect(r2.result).toMatchObject({ retries: 1, rejected: 1 });
    const after = Object.fromEntries((await loadSyncState(destination)).map((s) => [s.entityId, s]));
    expect(after['1_3']).toMatchObject({ member: true, pending: null });
    expect(after['3_3']?.pending).toMatchObject({ op: 'upsert', attempts: 2 });
  });
});
