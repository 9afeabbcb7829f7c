import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFollowUp, type FollowUpResult } from '../../tools/feed-generator/generator.ts';
import { assignArm } from '../../activities/measurement/holdout.ts';
import { formatLiftText, liftFromArmStats, liftFromRows, type OutcomeRow, type RowLiftOptions } from '../../activities/measurement/lift.ts';
import { hitsAsObjects, readCsv, readDataFile, readTarEntries } from '../helpers/generated-feed-reader.ts';
import { refTwoSidedNormalP } from '../helpers/reference-distributions.ts';

const WINDOW: Pick<RowLiftOptions, 'outcomeWindow' | 'asOf'> = {
  outcomeWindow: { start: new Date('2026-11-04T00:00:00Z'), end: new Date('2026-11-11T00:00:00Z') },
  asOf: new Date('2026-11-12T00:00:00Z'),
};

describe('observation sample-ratio check', () => {
  it('is chi-squared of the users seen per arm, worked by hand', () => {
    // 10,000 assigned at 10%: 1000 control, 9000 treatment. Seen in the outcome data: 700 control,
    // 9000 treatment (30% of control lost). Expected control among 9700 seen: 970.
    // χ² = 270²/970 + 270²/8730 = 75.1546… + 8.3505… = 83.5052…; p = 2(1 − Φ(√χ²)) ≈ 6e−20 → flagged.
    const result = liftFromArmStats(
      { control: { n: 1000, conversions: 50, observed: 700 }, treatment: { n: 9000, conversions: 540, observed: 9000 } },
      { expectedControlShare: 0.1 },
    );
    if (result.status !== 'ok') throw new Error(result.reason);
    expect(result.srm?.mismatch).toBe(false); // the assignment itself is exact
    expect(result.observationSrm?.chiSquare).toBeCloseTo(72900 / 970 + 72900 / 8730, 9);
    expect(result.observationSrm?.observedControlShare).toBeCloseTo(700 / 9700, 12);
    expect(result.observationSrm?.mismatch).toBe(true);
    expect(result.trustworthy).toBe(false);
    expect(result.reason).toMatch(/^sample-ratio mismatch in the outcome data: control is 7\.22% of 9700 users seen during the window, expected 10\.00%/);
    expect(result.control.observed).toBe(700);
  });

  it('passes, with the hand p-value, when both arms are seen in the configured ratio', () => {
    // seen 480 of 1000 control, 4390 of 9000 treatment: 4870 seen, expected control 487.
    // χ² = 7²/487 + 7²/4383 = 0.100616… + 0.011180… = 0.111796…
    const result = liftFromArmStats(
      { control: { n: 1000, conversions: 50, observed: 480 }, treatment: { n: 9000, conversions: 540, observed: 4390 } },
      { expectedControlShare: 0.1 },
    );
    if (result.status !== 'ok') throw new Error(result.reason);
    const chi = 49 / 487 + 49 / 4383;
    expect(result.observationSrm?.chiSquare).toBeCloseTo(chi, 10);
    expect(result.observationSrm?.pValue).toBeCloseTo(refTwoSidedNormalP(Math.sqrt(chi)), 8);
    expect(result.observationSrm?.mismatch).toBe(false);
    expect(result.trustworthy).toBe(true);
    expect(formatLiftText(result)).toMatch(/seen in outcome data {2}control 480\/1000, treatment 4390\/9000; control 9\.86% vs expected 10\.00%/);
  });

  it('is not run without observed counts, and says not enough data when nobody was seen', () => {
    const unknown = liftFromArmStats({ control: { n: 1000, conversions: 50 }, treatment: { n: 9000, conversions: 540 } }, { expectedControlShare: 0.1 });
    expect(unknown).toMatchObject({ status: 'ok', observationSrm: null });
    const none = liftFromArmStats(
      { control: { n: 1000, conversions: 0, observed: 0 }, treatment: { n: 9000, conversions: 0, observed: 0 } },
      { expectedControlShare: 0.1 },
    );
    expect(none).toMatchObject({ status: 'insufficient_data', reason: expect.stringMatching(/outcome data shows none of the 10000 users/) });
  });

  it('rejects observed counts above the arm size', () => {
    expect(() => liftFromArmStats({ control: { n: 100, conversions: 5, observed: 101 }, treatment: { n: 900, conversions: 50, observed: 10 } })).toThrow(
      /control arm observed users must be an integer with 0 ≤ observed ≤ n/,
    );
  });

  it('leads the text with the warning when the result is untrustworthy', () => {
    const text = formatLiftText(
      liftFromArmStats({ control: { n: 1000, conversions: 50, observed: 700 }, treatment: { n: 9000, conversions: 540, observed: 9000 } }, { expectedControlShare: 0.1 }),
    );
    expect(text.split('\n')[0]).toMatch(/^!! UNTRUSTWORTHY LIFT: sample-ratio mismatch in the outcome data/);
    expect(text).toContain('MISMATCH');
  });
});

describe('a deliberately broken split from the generator (brokenSplit)', () => {
  const VISITORS = 4000;
  const SEED = 4242;
  const KEY = 'broken-split-check';
  const SHARE = 0.1;
  const root = mkdtempSync(join(tmpdir(), 'scoreflow-srm-'));
  let ok: FollowUpResult;
  let broken: FollowUpResult;
  const assignments = (entityId: string) => assignArm(entityId, KEY, SHARE);

  /** One outcome row per assigned visitor, from the delivery's hits alone: seen at all, and purchased. */
  async function rowsFromDelivery(dir: string, r: FollowUpResult): Promise<OutcomeRow[]> {
    const columns = (await readTarEntries(join(dir, r.delivery.lookupFile))).get('column_headers.tsv')!.toString('latin1').trim().split('\t');
    const hits = r.delivery.dataFiles.flatMap((f) => hitsAsObjects(columns, readDataFile(dir, f).records));
    const seen = new Set<string>();
    const bought = new Set<string>();
    for (const h of hits) {
      const id = `${h.post_visid_high}_${h.post_visid_low}`;
      seen.add(id);
      if (h.post_event_list!.split(',').some((e) => e.split('=')[0] === '1') && h.duplicate_purchase === '0') bought.add(id);
    }
    // The generator's visitors are the ones the ground truth lists; every one of them is assigned.
    return readCsv(join(dir, r.groundTruth)).map((t) => ({
      arm: assignments(t.entity_id!),
      converted: bought.has(t.entity_id!),
      revenue: 0,
      observed: seen.has(t.entity_id!),
    }));
  }

  beforeAll(async () => {
    ok = await generateFollowUp({ seed: SEED, visitors: VISITORS, out: join(root, 'ok'), date: '2026-11-10', assignments, treatmentEffect: 0.05 });
    broken = await generateFollowUp({ seed: SEED, visitors: VISITORS, out: join(root, 'broken'), date: '2026-11-10', assignments, treatmentEffect: 0.05, brokenSplit: true });
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('passes the sample-ratio checks for the intact split', async () => {
    const result = liftFromRows(await rowsFromDelivery(join(root, 'ok'), ok), { ...WINDOW, expectedControlShare: SHARE });
    if (result.status !== 'ok') throw new Error(result.reason);
    expect(result.control.observed).toBe(ok.arms.control.observed);
    expect(result.observationSrm?.pValue).toBeGreaterThan(0.001);
    expect(result.trustworthy).toBe(true);
  });

  it('is flagged by the sample-ratio check at p < 0.001 and marked untrustworthy', async () => {
    const result = liftFromRows(await rowsFromDelivery(join(root, 'broken'), broken), { ...WINDOW, expectedControlShare: SHARE });
    if (result.status !== 'ok') throw new Error(result.reason);
    // The assignment is intact (same arms as the intact split); the outcome data lost ~30% of control.
    expect(result.control.n).toBe(ok.arms.control.assigned);
    expect(result.srm?.mismatch).toBe(false);
    expect(result.control.observed).toBe(broken.arms.control.observed);
    expect(broken.droppedControl).toBeGreaterThan(0);
    expect(result.observationSrm?.pValue).toBeLessThan(0.001);
    expect(result.observationSrm?.mismatch).toBe(true);
    expect(result.trustworthy).toBe(false);
    expect(result.reason).toMatch(/sample-ratio mismatch in the outcome data/);
    // Lost control outcomes inflate the lift: exactly the failure the flag protects against.
    const intact = liftFromRows(await rowsFromDelivery(join(root, 'ok'), ok), { ...WINDOW, expectedControlShare: SHARE });
    if (intact.status !== 'ok') throw new Error(intact.reason);
    expect(result.absoluteLift.estimate).toBeGreaterThan(intact.absoluteLift.estimate);
  });
});
