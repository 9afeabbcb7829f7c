/**
 * Lookalike seed and suppression audiences, declared in the pipeline file, land at the Google and
 * Meta contract servers (which check requests with their own vendor rules, tested on golden fixtures
 * transcribed from the vendors' docs) with the right members, and Meta's value-based seed carries
 * LOOKALIKE_VALUE. A real cycle on the dev server with the real activities:
 *
 * 1. cycle 1: each audience holds exactly its members (computed here from the run's records and
 *    hits, independently of the product's selection code), every member has advertising consent,
 *    Meta's seed holds each member's score as its value;
 * 2. cycle 2, the same day delivered again: 0 rows to every audience, membership unchanged (no
 *    duplicates);
 * 3. cycle 3, the Google seed shrunk in the pipeline file: only the members that left the top are
 *    removed from it, nothing else is sent anywhere.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFeed } from '../../tools/feed-generator/generator.ts';
import { getPool } from '../../activities/store/db.ts';
import { startContractServers, type ContractServers } from '../../tools/contract-servers/start-all.ts';
import type { ActivationRunResult } from '../../workflows/activation-run.ts';
import type { Destination } from '../../contracts/pipeline-config.ts';
import { startActivationWorker, type ActivationWorker } from '../helpers/activation-run.ts';
import { rewriteDelivery } from '../helpers/delivery-rewrite.ts';
import { writeTestPipeline, type TestPipeline } from '../helpers/pipeline.ts';

const VISITORS = 800;
const SEED = 15_072_026;
const GOOGLE_SEED_N = 12;
const META_SEED_FRACTION = 0.2;
const PURCHASED_WITHIN_DAYS = 30;
const AUD = { googleSeed: '8800101', googleSuppress: '8800102', metaSeed: '23850000000101', metaSuppress: '23850000000102' } as const;
type Aud = keyof typeof AUD;

const GATES_OFF = {
  feedFreshness: { enabled: false },
  scorePsi: { enabled: false },
  featurePsi: { enabled: false },
  categoricalJsd: { enabled: false },
  volumeChange: { enabled: false },
  featureNullRate: { enabled: false },
  collapse: { topValueShare: { enabled: false }, minStdDev: { enabled: false }, minDistinct: { enabled: false }, massAtBounds: { enabled: false } },
  matchRateDecline: { enabled: false },
  acceptanceDecline: { enabled: false },
};

const pool = () => getPool();
const tmp = mkdtempSync(join(tmpdir(), 'scoreflow-audiences-'));
let servers: ContractServers;
let worker: ActivationWorker;
let pipeline: TestPipeline;
let names: Record<Aud, string>;
let rsid: string;
let firstDir: string;
let manifest: string;

async function runCycle(n: number, feedDir: string): Promise<string> {
  const runId = `${pipeline.name}.run-${n}`;
  const r = (await (await worker.start(runId, { pipelinePath: pipeline.path, feedDir })).result()) as ActivationRunResult;
  expect(r.status, `run ${runId}: ${JSON.stringify(r.counts)}`).toBe('COMPLETED');
  return runId;
}

/** The sync state's members of one audience, with the identifiers they were sent with. */
async function stateMembers(a: Aud): Promise<Map<string, Record<string, string>>> {
  const { rows } = await pool().query<{ entity_id: string; identifiers: Record<string, string> }>(
    'SELECT entity_id, identifiers FROM destination_sync_state WHERE destination = $1 AND member ORDER BY entity_id',
    [`${pipeline.name}/${names[a]}`],
  );
  return new Map(rows.map((r) => [r.entity_id, r.identifiers]));
}

/** Entities of the run the audience could not take for want of a usable identifier (never sent). */
async function unmatched(runId: string, a: Aud): Promise<Set<string>> {
  const { rows } = await pool().query<{ entity_id: string }>(
    `SELECT entity_id FROM destination_sync_suppressed WHERE run_id = $1 AND destination = $2 AND reason LIKE '%:%' AND reason NOT LIKE 'no_channel_consent:%'`,
    [runId, names[a]],
  );
  return new Set(rows.map((r) => r.entity_id));
}

const CONSENTED = `(record->'compliance'->'consent'->>'advertising') = 'true' AND (record->'compliance'->'channels'->>'paid_media') = 'true'`;

/** The seed, computed here: qualifying (advertising consent, eligible, not control) records by score, highest first. */
async function expectedSeed(runId: string, limit: number): Promise<{ entity_id: string; score: number }[]> {
  const { rows } = await pool().query<{ entity_id: string; score: number }>(
    `SELECT entity_id, score FROM activation_record WHERE run_id = $1 AND ${CONSENTED} AND eligible AND holdout_arm <> 'control'
      ORDER BY score DESC, entity_id LIMIT $2`,
    [runId, limit],
  );
  return rows;
}

async function qualifyingCount(runId: string): Promise<number> {
  const { rows } = await pool().query<{ n: number }>(`SELECT count(*)::int AS n FROM activation_record WHERE run_id = $1 AND ${CONSENTED} AND eligible AND holdout_arm <> 'control'`, [runId]);
  return rows[0]!.n;
}

/** Suppression members, computed here: consented control members and consented purchasers of the 30 days up to the feature snapshot's as-of time. */
async function expectedSuppression(runId: string): Promise<{ control: Set<string>; purchasers: Set<string>; unconsented: Set<string> }> {
  const { rows } = await pool().query<{ entity_id: string; control: boolean; purchaser: boolean; consented: boolean }>(
    `WITH asof AS (SELECT extract(epoch FROM s.as_of) AS t FROM activation_run ar JOIN feature_snapshot s ON s.snapshot_id = ar.snapshot_id WHERE ar.run_id = $1)
     SELECT a.entity_id, a.holdout_arm = 'control' AS control,
            EXISTS (SELECT 1 FROM feed_hit h, asof WHERE h.visitor_id = a.entity_id AND h.is_purchase AND h.hit_time_gmt > asof.t - $2 AND h.hit_time_gmt <= asof.t) AS purchaser,
            COALESCE(${CONSENTED}, false) AS consented
       FROM activation_record a WHERE a.run_id = $1`,
    [runId, PURCHASED_WITHIN_DAYS * 86_400],
  );
  const control = new Set(rows.filter((r) => r.control && r.consented).map((r) => r.entity_id));
  const purchasers = new Set(rows.filter((r) => r.purchaser && r.consented).map((r) => r.entity_id));
  const unconsented = new Set(rows.filter((r) => (r.control || r.purchaser) && !r.consented).map((r) => r.entity_id));
  return { control, purchasers, unconsented };
}

function audienceSize(a: Aud): number {
  return a.startsWith('google') ? servers.google.membership(AUD[a]) : servers.meta.membership(AUD[a]);
}

/** Every held member that has an email hash is at the server under it (members matched by phone or name only are counted by size). */
function expectEmailsAtServer(a: Aud, held: Map<string, Record<string, string>>): void {
  const emails = [...held.values()].map((ids) => (a.startsWith('google') ? ids.emailAddress : ids.EMAIL)).filter((e): e is string => Boolean(e));
  expect(emails.length, a).toBeGreaterThan(0);
  for (const e of emails) expect(a.startsWith('google') ? servers.google.hasEmail(AUD[a], e) : servers.meta.hasEmail(AUD[a], e), a).toBe(true);
}

beforeAll(async () => {
  const tag = randomBytes(3).toString('hex');
  rsid = `sfaud${tag}`;
  servers = await startContractServers({ tag, meta: { valueBasedAudiences: [AUD.metaSeed] } });
  names = { googleSeed: `google-seed-${tag}`, googleSuppress: `google-suppress-${tag}`, metaSeed: `meta-seed-${tag}`, metaSuppress: `meta-suppress-${tag}` };
  const base = servers.destinations();
  const google = base.find((d) => d.kind === 'google-customer-match') as Exclude<Destination, { kind: 'file' }>;
  const meta = base.find((d) => d.kind === 'meta-custom-audiences') as Exclude<Destination, { kind: 'file' }>;
  const filter = { consentPurpose: 'advertising', requireEligible: true };
  const suppression = { purpose: 'suppression', include: ['purchasers', 'holdout'], purchasedWithin: `${PURCHASED_WITHIN_DAYS}d` };
  const destinations = [
    { ...google, name: names.googleSeed, filter, config: { ...google.config, audienceId: AUD.googleSeed }, audience: { purpose: 'lookalike-seed', valueColumn: 'score', topN: GOOGLE_SEED_N } },
    { ...google, name: names.googleSuppress, filter, config: { ...google.config, audienceId: AUD.googleSuppress }, audience: suppression },
    { ...meta, name: names.metaSeed, filter, config: { ...meta.config, audienceId: AUD.metaSeed }, audience: { purpose: 'lookalike-seed', valueColumn: 'score', topFraction: META_SEED_FRACTION } },
    { ...meta, name: names.metaSuppress, filter, config: { ...meta.config, audienceId: AUD.metaSuppress }, audience: suppression },
  ];
  pipeline = writeTestPipeline(
    { destinations, gates: GATES_OFF, features: { lookbackDays: 1 }, freshness: {}, online: { enabled: false }, holdout: { experimentKey: `aud-${tag}`, controlShare: 0.2 } },
    `audiences-${tag}`,
  );
  Object.assign(process.env, servers.env);
  firstDir = join(tmp, 'run-1');
  await generateFeed({ visitors: VISITORS, days: 1, seed: SEED, out: firstDir, rsid, startDate: '2026-04-06' });
  manifest = readdirSync(firstDir).find((f) => f.startsWith(`${rsid}_`) && f.endsWith('.txt'))!;
  worker = await startActivationWorker('audiences');
}, 120_000);

afterAll(async () => {
  await worker?.close();
  await servers?.close();
});

describe('lookalike seed and suppression audiences at the Google and Meta contract servers', () => {
  let run1 = '';

  it('cycle 1: each audience holds exactly its members, all with advertising consent', { timeout: 300_000 }, async () => {
    run1 = await runCycle(1, firstDir);
    const qualifying = await qualifyingCount(run1);
    expect(qualifying).toBeGreaterThan(GOOGLE_SEED_N);

    // Lookalike seeds: the top-value qualifying members (minus those with no usable identifier).
    const seeds: [Aud, number][] = [['googleSeed', GOOGLE_SEED_N], ['metaSeed', Math.ceil(META_SEED_FRACTION * qualifying)]];
    for (const [a, n] of seeds) {
      const top = await expectedSeed(run1, n);
      expect(top.length, a).toBe(n);
      const noId = await unmatched(run1, a);
      const want = top.map((r) => r.entity_id).filter((e) => !noId.has(e)).sort();
      const held = await stateMembers(a);
      expect([...held.keys()].sort(), a).toEqual(want);
      expect(want.length, a).toBeGreaterThan(3);
      expect(audienceSize(a), a).toBe(want.length);
      expectEmailsAtServer(a, held);
    }
    // Meta's value-based seed carries each member's score as LOOKALIKE_VALUE.
    const scores = new Map((await expectedSeed(run1, 10_000)).map((r) => [r.entity_id, r.score]));
    const valued = [...(await stateMembers('metaSeed'))].filter(([, ids]) => ids.EMAIL);
    expect(valued.length).toBeGreaterThan(0);
    for (const [entity, ids] of valued) expect(servers.meta.lookalikeValue(AUD.metaSeed, ids.EMAIL!)).toBeCloseTo(scores.get(entity)!, 6);
    expect(servers.meta.received().filter((d) => d.audienceId === AUD.metaSeed).every((d) => d.schema.at(-1) === 'LOOKALIKE_VALUE')).toBe(true);
    expect(servers.meta.received().filter((d) => d.audienceId === AUD.metaSuppress).every((d) => !d.schema.includes('LOOKALIKE_VALUE'))).toBe(true);

    // Suppression lists: consented control members and consented recent purchasers; never an unconsented one.
    const s = await expectedSuppression(run1);
    expect(s.control.size).toBeGreaterThan(0);
    expect(s.purchasers.size).toBeGreaterThan(0);
    expect(s.unconsented.size, 'the run has unconsented control members or purchasers, who must not be sent').toBeGreaterThan(0);
    for (const a of ['googleSuppress', 'metaSuppress'] as const) {
      const noId = await unmatched(run1, a);
      const want = [...new Set([...s.control, ...s.purchasers])].filter((e) => !noId.has(e)).sort();
      const held = await stateMembers(a);
      expect([...held.keys()].sort(), a).toEqual(want);
      expect(audienceSize(a), a).toBe(want.length);
      expectEmailsAtServer(a, held);
      for (const e of s.unconsented) expect(held.has(e), `${a} holds unconsented ${e}`).toBe(false);
    }
  });

  it('cycle 2 of the same population sends 0 rows to every audience and duplicates no member', { timeout: 300_000 }, async () => {
    const sizes = Object.fromEntries((Object.keys(AUD) as Aud[]).map((a) => [a, audienceSize(a)]));
    const googleBefore = servers.google.received().length;
    const metaBefore = servers.meta.received().length;
    const dir = join(tmp, 'run-2');
    await rewriteDelivery({ from: firstDir, manifest, to: dir, gzipLevel: 2 });
    for (const f of ['crm_extract.csv', 'cmp_consent.csv']) copyFileSync(join(firstDir, f), join(dir, f));
    const run2 = await runCycle(2, dir);
    expect(servers.google.received().length - googleBefore).toBe(0);
    expect(servers.meta.received().length - metaBefore).toBe(0);
    expect(Object.fromEntries((Object.keys(AUD) as Aud[]).map((a) => [a, audienceSize(a)]))).toEqual(sizes);
    const { rows } = await pool().query<{ list: string; n: number }>(
      `SELECT list, count(*)::int AS n FROM destination_sync_plan_row WHERE run_id = $1 AND destination = ANY($2) GROUP BY list`,
      [run2, Object.values(names)],
    );
    expect(rows.filter((p) => p.list !== 'unchanged' && p.list !== 'held')).toEqual([]);
    expect(rows.find((p) => p.list === 'unchanged')!.n).toBeGreaterThan(0);
  });

  it('cycle 3 with a smaller Google seed removes only the members that left the top', { timeout: 300_000 }, async () => {
    const SMALLER = 5;
    const cfg = parse(readFileSync(pipeline.path, 'utf8')) as { destinations: { name: string; mappingVersion?: string; audience?: { topN?: number } }[] };
    const seedDest = cfg.destinations.find((d) => d.name === names.googleSeed)!;
    seedDest.audience!.topN = SMALLER;
    // An audience is routing config: changing it needs a new mappingVersion (the export refuses otherwise).
    seedDest.mappingVersion = '2';
    writeFileSync(pipeline.path, stringify(cfg));
    const before = await stateMembers('googleSeed');
    const metaBefore = servers.meta.received().length;
    const googleBefore = servers.google.received().length;
    const dir = join(tmp, 'run-3');
    await rewriteDelivery({ from: firstDir, manifest, to: dir, gzipLevel: 3 });
    for (const f of ['crm_extract.csv', 'cmp_consent.csv']) copyFileSync(join(firstDir, f), join(dir, f));
    const run3 = await runCycle(3, dir);
    const top = await expectedSeed(run3, SMALLER);
    const noId = await unmatched(run3, 'googleSeed');
    const want = top.map((r) => r.entity_id).filter((e) => !noId.has(e)).sort();
    const after = await stateMembers('googleSeed');
    expect([...after.keys()].sort()).toEqual(want);
    expect(audienceSize('googleSeed')).toBe(want.length);
    const gone = [...before.keys()].filter((e) => !after.has(e));
    expect(gone.length).toBe(before.size - want.length);
    const sent = servers.google.received().slice(googleBefore);
    expect(sent.every((d) => d.operation === 'remove')).toBe(true);
    expect(sent.reduce((n, d) => n + d.members, 0)).toBe(gone.length);
    expect(servers.meta.received().length - metaBefore).toBe(0);
  });
});
