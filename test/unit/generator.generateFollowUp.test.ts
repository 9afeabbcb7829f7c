import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFeed, generateFollowUp, type Arm, type FollowUpResult } from '../../tools/feed-generator/generator.ts';
import { hitsAsObjects, md5, readCsv, readDataFile, readManifest, readTarEntries, size } from '../helpers/generated-feed-reader.ts';

const VISITORS = 4000;
const SEED = 11;
const EFFECT = 0.15;
const root = mkdtempSync(join(tmpdir(), 'scoreflow-followup-'));
const feedDir = join(root, 'feed');
const okDir = join(root, 'ok');
const brokenDir = join(root, 'broken');

/** 50/50 by a hash of the entity id; every 20th entity is left out of the experiment. */
const assignments = (entityId: string): Arm | null => {
  const b = createHash('sha256').update(entityId).digest()[0]!;
  if (b % 20 === 0) return null;
  return b % 2 === 0 ? 'treatment' : 'control';
};

let ok: FollowUpResult;
let broken: FollowUpResult;
let feedTruth: Map<string, Record<string, string>>;

const kept = (h: Record<string, string>) => h.exclude_hit === '0' && !['5', '7', '8', '9'].includes(h.hit_source!) && h.customer_perspective === '0';

async function hitsOf(dir: string, r: FollowUpResult): Promise<Record<string, string>[]> {
  const columns = (await readTarEntries(join(dir, r.delivery.lookupFile))).get('column_headers.tsv')!.toString('latin1').trim().split('\t');
  return r.delivery.dataFiles.flatMap((f) => hitsAsObjects(columns, readDataFile(dir, f).records));
}

beforeAll(async () => {
  await generateFeed({ visitors: VISITORS, days: 3, seed: SEED, out: feedDir, treatmentEffect: EFFECT });
  feedTruth = new Map(readCsv(join(feedDir, 'ground_truth.csv')).map((t) => [t.entity_id!, t]));
  ok = await generateFollowUp({ seed: SEED, visitors: VISITORS, out: okDir, date: '2026-11-10', assignments, treatmentEffect: EFFECT });
  broken = await generateFollowUp({ seed: SEED, visitors: VISITORS, out: brokenDir, date: '2026-11-10', assignments, treatmentEffect: EFFECT, brokenSplit: true });
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('generateFollowUp', () => {
  it('writes a later delivery in the same format, manifest last and consistent', async () => {
    expect(ok.delivery.deliveryId).toBe('scoreflowdemo_2026-11-10');
    expect(ok.files).toEqual(['01-scoreflowdemo_2026-11-10.tsv.gz', 'scoreflowdemo_2026-11-10-lookup_data.tar.gz', 'scoreflowdemo_2026-11-10.txt', 'ground_truth_followup_2026-11-10.csv']);
    const m = readManifest(readFileSync(join(okDir, ok.delivery.manifest), 'latin1'));
    for (const f of [...m.lookups, ...m.data]) {
      expect(md5(join(okDir, f.name))).toBe(f.md5);
      expect(size(join(okDir, f.name))).toBe(f.size);
    }
    const { records } = readDataFile(okDir, m.data[0]!.name);
    expect(records.length).toBe(m.data[0]!.records);
    expect(Number(m.header['Total-Records'])).toBe(ok.records);
    const columns = (await readTarEntries(join(okDir, ok.delivery.lookupFile))).get('column_headers.tsv')!.toString('latin1').trim().split('\t');
    expect(records.every((r) => r.length === columns.length)).toBe(true);
  });

  it('converts exactly the visitors whose ground truth says so, visible as purchases in the hits', async () => {
    const truth = readCsv(join(okDir, ok.groundTruth));
    expect(truth).toHaveLength(VISITORS);
    const bought = new Map<string, number>();
    for (const h of (await hitsOf(okDir, ok)).filter(kept)) {
      const e = `${h.post_visid_high}_${h.post_visid_low}`;
      const events = h.post_event_list!.split(',').map((x) => x.split('=')[0]);
      if (events.includes('1') && h.duplicate_purchase === '0') bought.set(e, (bought.get(e) ?? 0) + 1);
      expect(h.date_time!.startsWith('2026-11-10') || h.date_time!.startsWith('2026-11-11')).toBe(true);
      expect(Number(h.visit_num)).toBeGreaterThan(Number(feedTruth.get(e)!.visits)); // continues the visitor's history
    }
    for (const t of truth) {
      expect(t.converted === '1', t.entity_id).toBe(bought.has(t.entity_id!));
      if (t.converted === '1') expect(Number(t.revenue)).toBeGreaterThan(0);
      expect(t.hits_dropped).toBe('0');
    }
  });

  it('uses the horizon draw of ground_truth.csv: control converts as purchased_in_horizon, treatment as purchased_if_treated', () => {
    let checked = 0;
    for (const t of readCsv(join(okDir, ok.groundTruth))) {
      const f = feedTruth.get(t.entity_id!)!;
      expect(t.true_propensity).toBe(f.true_propensity);
      if (t.arm === 'control' || t.arm === '') expect(t.converted).toBe(f.purchased_in_horizon);
      if (t.arm === 'treatment') expect(t.converted).toBe(f.purchased_if_treated);
      checked++;
    }
    expect(checked).toBe(VISITORS);
  });

  it('produces a measurable lift near the treatment effect, and summarises each arm', () => {
    const { treatment, control } = ok.arms;
    expect(ok.unassigned).toBeGreaterThan(0);
    expect(treatment.assigned + control.assigned + ok.unassigned).toBe(VISITORS);
    const lift = treatment.converted / treatment.assigned - control.converted / control.assigned;
    expect(lift).toBeGreaterThan(EFFECT - 0.05);
    expect(lift).toBeLessThan(EFFECT + 0.05);
    expect(treatment.revenueCents / treatment.assigned).toBeGreaterThan(control.revenueCents / control.assigned);
    // Without a broken split both arms are observed alike.
    expect(Math.abs(treatment.observed / treatment.assigned - control.observed / control.assigned)).toBeLessThan(0.05);
  });

  it('with brokenSplit drops all hits of ~30% of control visitors, and only those', async () => {
    expect(broken.droppedControl / broken.arms.control.assigned).toBeGreaterThan(0.25);
    expect(broken.droppedControl / broken.arms.control.assigned).toBeLessThan(0.35);
    const truth = readCsv(join(brokenDir, broken.groundTruth));
    const seen = new Set((await hitsOf(brokenDir, broken)).map((h) => `${h.post_visid_high}_${h.post_visid_low}`));
    for (const t of truth) {
      if (t.hits_dropped === '1') {
        expect(t.arm).toBe('control');
        expect(seen.has(t.entity_id!)).toBe(false);
      }
    }
    // Treatment is untouched, control loses about 30% of its observed visitors: a sample ratio mismatch.
    expect(broken.arms.treatment).toEqual(ok.arms.treatment);
    const ratio = broken.arms.control.observed / ok.arms.control.observed;
    expect(ratio).toBeGreaterThan(0.62);
    expect(ratio).toBeLessThan(0.78);
    // True conversions are unchanged; only what the feed shows is broken.
    expect(broken.arms.control.converted).toBe(ok.arms.control.converted);
  });

  it('refuses a follow-up date inside the feed days', async () => {
    await expect(generateFollowUp({ seed: SEED, visitors: 10, out: join(root, 'early'), date: '2026-11-02', assignments, treatmentEffect: EFFECT })).rejects.toThrow(/inside the feed/);
  });
});
