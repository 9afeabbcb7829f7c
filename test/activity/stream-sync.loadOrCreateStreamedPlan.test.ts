/**
 * The streaming planner plans exactly what the in-memory planner (buildDesiredRows + planSync over
 * the whole run) plans: same entities in the same lists with the same reasons, operations and
 * digests, whatever the page size and however the run is split into shards; the shards partition
 * the run; a customer id shared by visitors on different pages is still ambiguous; and the chunks
 * read back in send order (removes first) hold every row to send exactly once.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCanonicalRecord, type StoredDecision } from '../../activities/publish/build-record.ts';
import { buildDesiredRows } from '../../activities/destinations/desired-rows.ts';
import { loadOrCreateStreamedPlan, readChunk, totalChunks } from '../../activities/destinations/stream-sync.ts';
import { loadSyncState, planCounts, planSync, rowDigest, type SyncPlan } from '../../activities/destinations/sync-engine.ts';
import type { StatefulDestination } from '../../activities/destinations/adapter-factory.ts';
import { getPool } from '../../activities/store/db.ts';
import { copyRows } from '../../activities/store/copy-rows.ts';
import { shardKey, shardParams, shardPredicate, shardsOf } from '../../activities/store/shard.ts';
import type { CanonicalRecord } from '../../contracts/canonical-record.ts';

const tag = randomUUID().slice(0, 8);
const runId = `stream-plan-${tag}`;
const N = 60;
const now = new Date();
const scoredAt = new Date(now.getTime() - 60_000).toISOString();

const webhook: StatefulDestination = { name: `wh-${tag}`, kind: 'webhook', mappingVersion: '1', config: {}, filter: { requireEligible: true, consentPurpose: 'personalization' }, holdout: 'exclude_control' } as StatefulDestination;
const target: StatefulDestination = { name: `tg-${tag}`, kind: 'adobe-target-bulk', mappingVersion: '1', config: {}, filter: { requireEligible: true, consentPurpose: 'personalization' }, holdout: 'exclude_control' } as StatefulDestination;
const stateKey = (d: StatefulDestination) => `p-${tag}/${d.name}`;

function record(i: number): CanonicalRecord {
  const p = (i * 37) % 100 / 100;
  const decision: StoredDecision = {
    segment: { id: p >= 0.5 ? 'high_intent' : p >= 0.2 ? 'warm' : 'cold', rule: 'test' },
    eligible: i % 7 !== 0,
    ineligibleReasons: i % 7 !== 0 ? [] : ['score_below_minimum'],
    recommendations: [],
    rationaleCodes: [],
    topFeatures: [],
    confidence: 0.5,
    scoredAt,
    probability: p,
  };
  const consent = { personalization: i % 5 !== 0, advertising: true, email: false, analytics: true } as Record<'personalization' | 'advertising' | 'email' | 'analytics', boolean>;
  // Customers 0..4 are each shared by two visitors (i and i + 30): on different pages of any small page size.
  const customer = i % 11 === 0 ? null : `C${i < 5 ? i : i >= 30 && i < 35 ? i - 30 : i}`;
  return buildCanonicalRecord(`${String(i).padStart(3, '0')}_${tag}`, customer, decision, consent as never, i % 10 === 3 ? 'control' : 'treatment', {
    pipeline: `p-${tag}`, runId, modelId: 'm', modelVersion: '1.0.0', modelDigest: 'd', decisionPolicy: 'model', featureSnapshot: 's', featureSetVersion: '1.0.0',
    semantics: { kind: 'probability', outcome: 'purchase', horizon_days: 7 }, calibration: 'uncalibrated', maxAgeHours: 24, recommendationValidityHours: 24,
    consentSource: 'feed_column', experimentKey: 'x',
  });
}

const records = Array.from({ length: N }, (_, i) => record(i));

/** Some state: members with the current and with an older digest, a refused upsert, and members the run no longer has. */
async function seedState(d: StatefulDestination): Promise<void> {
  const built = await buildDesiredRows(records, d);
  const rows: unknown[][] = [];
  built.desired.forEach((x, j) => {
    if (j % 4 === 0) rows.push([stateKey(d), x.entityId, true, x.digest, '1.0.0', x.expiresAt, x.identifiers, x.payload, null, null, 0]);
    else if (j % 4 === 1) rows.push([stateKey(d), x.entityId, true, 'old-digest', '0.9.0', x.expiresAt, { thirdPartyId: 'OLD' }, {}, null, null, 0]);
    else if (j % 9 === 2) rows.push([stateKey(d), x.entityId, false, null, null, null, {}, {}, 'upsert', x.digest, 1]);
  });
  for (let g = 0; g < 7; g++) {
    const expires = new Date(now.getTime() + (g % 2 ? -1000 : 86_400_000)).toISOString();
    rows.push([stateKey(d), `gone${g}_${tag}`, true, rowDigest({}, {}), '1.0.0', expires, {}, {}, null, null, 0]);
  }
  const client = await getPool().connect();
  try {
    await copyRows(
      client,
      'destination_sync_state',
      ['destination', 'entity_id', 'member', 'digest', 'model_version', 'expires_at', 'identifiers', 'payload', 'pending_op', 'pending_digest', 'pending_attempts'],
      rows as never,
    );
  } finally {
    client.release();
  }
}

type Entry = { list: string; entityId: string; op?: string; reason?: string; digest?: string };
const norm = (xs: Entry[]) => xs.map((x) => JSON.stringify([x.list, x.entityId, x.op ?? null, x.reason ?? null, x.digest ?? null])).sort();

function entriesOf(plan: SyncPlan): Entry[] {
  const out: Entry[] = [];
  for (const [list, rows] of Object.entries(plan)) for (const r of rows as Record<string, string>[]) out.push({ list, entityId: r.entityId!, op: r.op, reason: r.reason, digest: r.digest });
  return out;
}

async function storedEntries(planKey: string): Promise<Entry[]> {
  const { rows } = await getPool().query<{ list: string; entity_id: string; row: Record<string, string> }>(
    'SELECT list, entity_id, row FROM destination_sync_plan_row WHERE run_id = $1 AND destination = $2',
    [runId, planKey],
  );
  return rows.map((r) => ({ list: r.list, entityId: r.entity_id, op: r.row.op, reason: r.row.reason, digest: r.row.digest }));
}

beforeAll(async () => {
  const pool = getPool();
  await pool.query(`INSERT INTO activation_run (run_id, pipeline, status, stage) VALUES ($1, $2, 'RUNNING', 'export')`, [runId, `p-${tag}`]);
  const client = await pool.connect();
  try {
    await copyRows(
      client,
      'activation_record',
      ['run_id', 'entity_id', 'pipeline', 'model_version', 'score', 'segment', 'eligible', 'holdout_arm', 'expires_at', 'contract_version', 'record'],
      records.map((r) => [runId, r.entity_id, `p-${tag}`, '1.0.0', r.score.value, r.segments[0]!.id, r.eligibility.activation_eligible, r.measurement.holdout_arm, r.metadata.expires_at, r.metadata.contract_version, r]),
    );
  } finally {
    client.release();
  }
  await seedState(webhook);
  await seedState(target);
});

describe('loadOrCreateStreamedPlan', () => {
  for (const dest of [webhook, target]) {
    it(`${dest.kind}: pages of 7 plan what planSync plans over the whole run, and the plan is stored once`, async () => {
      const built = await buildDesiredRows(records, dest);
      const expected = planSync(built.desired, await loadSyncState(stateKey(dest)), now);
      expect(expected.removes.length + expected.updates.length + expected.adds.length).toBeGreaterThan(0);

      const input = { runId, planKey: dest.name, stateKey: stateKey(dest), dest, pageSize: 7, chunkRows: 4, now };
      const info = await loadOrCreateStreamedPlan(input);
      expect(info.counts).toEqual(planCounts(expected));
      expect(norm(await storedEntries(dest.name))).toEqual(norm(entriesOf(expected)));
      if (built.identity) {
        expect(info.identity).toEqual(built.identity);
        // C1, C2 and C4 are shared by two visitors each, 30 entities apart (C0 and C3 lose one visitor to a missing id).
        expect(info.identity!.ambiguousBy.customer_id_shared_by_visitors).toBe(6);
      }

      // Chunks: removes first, each a slice of its operation in send order, together every row to send exactly once.
      const seen: string[] = [];
      for (let k = 0; k < totalChunks(info); k++) {
        const chunk = await readChunk(getPool(), runId, dest.name, info, k);
        expect(chunk.rows.length).toBeGreaterThan(0);
        expect(chunk.rows.length).toBeLessThanOrEqual(4);
        for (const r of chunk.rows) expect(r.op).toBe(chunk.op);
        seen.push(...chunk.rows.map((r) => `${r.op}:${r.entityId}`));
      }
      const toSend = [...expected.removes, ...expected.adds, ...expected.updates, ...expected.retries].map((r) => `${r.op}:${r.entityId}`);
      expect(seen.sort()).toEqual(toSend.sort());

      // A second attempt reads the stored plan; it never plans again.
      const again = await loadOrCreateStreamedPlan({ ...input, pageSize: 1000, now: new Date(now.getTime() + 10 * 86_400_000) });
      expect(again).toEqual(info);
    });
  }

  it('three shards partition the run, and their plans together are the whole plan', async () => {
    const dest = target;
    const whole = await storedEntries(dest.name);
    const parts: Entry[] = [];
    for (const shard of shardsOf(3)) {
      const planKey = shardKey(dest.name, shard);
      expect(planKey).toBe(`${dest.name}#${shard!.index}/3`);
      await loadOrCreateStreamedPlan({ runId, planKey, stateKey: stateKey(dest), dest, shard, pageSize: 5, chunkRows: 4, now });
      const mine = await storedEntries(planKey);
      const { rows } = await getPool().query<{ n: number }>(
        `SELECT count(*)::int AS n FROM activation_record WHERE run_id = $1 AND ${shardPredicate('entity_id', shard, 2)}`,
        [runId, ...shardParams(shard)],
      );
      expect(rows[0]!.n).toBeGreaterThan(0);
      expect(rows[0]!.n).toBeLessThan(N);
      parts.push(...mine);
    }
    expect(norm(parts)).toEqual(norm(whole));
  });
});
