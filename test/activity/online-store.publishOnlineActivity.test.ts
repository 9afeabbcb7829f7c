import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { getPool, closePools } from '../../activities/store/db.ts';
import { publishOnlineActivity, closeActivityRedis } from '../../activities/online/online-store.ts';
import { createOnlineRedis, redisReady } from '../../activities/online/redis-connection.ts';
import { onlineKeys } from '../../activities/online/online-keys.ts';
import { readOnlineBlob } from '../../activities/online/online-blob.ts';
import { ecid, entityId, features, record, uid, writeCycle } from '../helpers/online.ts';

let redis: Redis;
const ns = uid('h7pub');
const keys = onlineKeys(ns);

beforeAll(async () => {
  redis = createOnlineRedis('redis://127.0.0.1:6379', { offlineQueue: true, commandTimeoutMs: 2_000 });
  await redisReady(redis);
});
afterAll(async () => {
  const stale = await redis.keys(`${ns}:*`);
  if (stale.length) await redis.del(...stale);
  await redis.quit();
  await closeActivityRedis();
  await closePools();
});

async function blobOf(e: string) {
  const raw = await redis.get(keys.decision(e));
  if (!raw) return null;
  const r = readOnlineBlob(raw);
  if (!r.ok) throw new Error(`unreadable blob: ${r.path} ${r.reason}`);
  return r.blob;
}

describe('publishOnlineActivity', () => {
  it('writes one blob per entity with TTL at expires_at, maps ECIDs, and is idempotent', async () => {
    const pool = getPool();
    const run = uid('run-');
    const [a, b, c] = [entityId(), entityId(), entityId()];
    const ecidA = ecid();
    await pool.query(`INSERT INTO online_identity_map (ecid, entity_id, source) VALUES ($1, $2, 'test')`, [ecidA, a]);
    await writeCycle(pool, run, [
      { record: record({ entityId: a, probability: 0.7, runId: run }), features: features({ cart_adds: 2 }) },
      { record: record({ entityId: b, probability: 0.1, runId: run }), features: null },
      { record: record({ entityId: c, probability: 0.3, runId: run, scoredAt: new Date(Date.now() - 25 * 3_600_000).toISOString() }) },
    ]);

    const first = await publishOnlineActivity({ runId: run, namespace: ns, pageSize: 2 }, { redis });
    expect(first).toMatchObject({ records: 3, written: 2, expired: 1, quarantined: 0, unchanged: 0, skippedNewer: 0, ecidsMapped: 1 });

    const blobA = await blobOf(a);
    expect(blobA).toMatchObject({ source_cycle: run, origin: 'cycle', features: { cart_adds: 2 } });
    expect(Object.keys(blobA!.decisions)).toEqual(['target', 'webhook', 'nats']);
    expect(blobA!.decisions.target!.segment).toBe('high_intent');
    expect((await blobOf(b))!.features).toBeNull();
    expect(await redis.get(keys.decision(c))).toBeNull();
    const pexpireAt = await redis.pexpiretime(keys.decision(a));
    expect(pexpireAt).toBe(Date.parse(blobA!.expires_at));
    expect(await redis.get(keys.ecid(ecidA))).toBe(a);

    const before = await redis.get(keys.decision(a));
    const again = await publishOnlineActivity({ runId: run, namespace: ns }, { redis });
    expect(again).toMatchObject({ written: 0, unchanged: 2, expired: 1 });
    expect(await redis.get(keys.decision(a))).toBe(before);
    const receipt = await pool.query('SELECT records, unchanged FROM online_publish WHERE run_id = $1', [run]);
    expect(receipt.rows[0]).toEqual({ records: 3, unchanged: 2 });
  });

  it('a later cycle replaces every destination at once and drops real-time counters; an older one never overwrites it', async () => {
    const pool = getPool();
    const e = entityId();
    const older = uid('run-old-');
    const newer = uid('run-new-');
    await writeCycle(pool, older, [{ record: record({ entityId: e, probability: 0.1, runId: older }) }]);
    await writeCycle(pool, newer, [{ record: record({ entityId: e, probability: 0.7, runId: newer }) }]);

    await publishOnlineActivity({ runId: newer, namespace: ns }, { redis });
    await redis.hset(keys.features(e), 'cart_adds', '3');
    const stale = await publishOnlineActivity({ runId: older, namespace: ns }, { redis });
    expect(stale).toMatchObject({ written: 0, skippedNewer: 1 });
    const blob = await blobOf(e);
    expect(blob!.source_cycle).toBe(newer);
    expect(new Set(Object.values(blob!.decisions).map((d) => d.segment))).toEqual(new Set(['high_intent']));
    expect(await redis.hget(keys.features(e), 'cart_adds')).toBe('3');

    // A third, later cycle: written atomically with the counters of the previous cycle dropped.
    const third = uid('run-3-');
    await new Promise((r) => setTimeout(r, 5));
    await writeCycle(pool, third, [{ record: record({ entityId: e, probability: 0.25, runId: third }) }]);
    await publishOnlineActivity({ runId: third, namespace: ns }, { redis });
    const after = await blobOf(e);
    expect(after!.source_cycle).toBe(third);
    expect(Object.values(after!.decisions).every((d) => d.segment === 'warm')).toBe(true);
    expect(await redis.exists(keys.features(e))).toBe(0);
  });

  it('quarantines a record whose blob violates the online contract and writes nothing for it', async () => {
    const pool = getPool();
    const run = uid('run-q-');
    const good = entityId();
    const bad = entityId();
    const badRecord = record({ entityId: bad, probability: 0.4, runId: run });
    const broken = { ...badRecord, metadata: { ...badRecord.metadata, expires_at: badRecord.metadata.scored_at } };
    await writeCycle(pool, run, [{ record: record({ entityId: good, probability: 0.4, runId: run }) }, { record: badRecord, rawRecord: broken }]);
    const r = await publishOnlineActivity({ runId: run, namespace: ns }, { redis });
    expect(r).toMatchObject({ written: 1, quarantined: 1 });
    expect(await redis.get(keys.decision(bad))).toBeNull();
    const q = await pool.query("SELECT path, reason FROM contract_quarantine WHERE run_id = $1 AND boundary = 'online' AND entity_id = $2", [run, bad]);
    expect(q.rows[0]).toMatchObject({ path: 'expires_at', reason: expect.stringContaining('after scored_at') });
    // Re-running keeps one quarantine row, not two.
    await publishOnlineActivity({ runId: run, namespace: ns }, { redis });
    const n = await pool.query("SELECT count(*)::int AS n FROM contract_quarantine WHERE run_id = $1 AND boundary = 'online'", [run]);
    expect(n.rows[0].n).toBe(1);
  });
});
