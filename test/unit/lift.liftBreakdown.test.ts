import { describe, expect, it } from 'vitest';
import { liftBreakdown, liftFromRows, type BreakdownRow, type RowLiftOptions } from '../../activities/measurement/lift.ts';

const OPTIONS: RowLiftOptions = {
  outcomeWindow: { start: new Date('2025-03-01T00:00:00Z'), end: new Date('2025-03-08T00:00:00Z') },
  asOf: new Date('2025-03-10T00:00:00Z'),
  expectedControlShare: 0.1,
};

/** `n` users of one arm in one group, the first `conversions` of them converting with revenue 20. */
function users(arm: BreakdownRow['arm'], n: number, conversions: number, group: Partial<BreakdownRow>): BreakdownRow[] {
  return Array.from({ length: n }, (_, i) => ({
    arm,
    converted: i < conversions,
    revenue: i < conversions ? 20 : 0,
    modelVersion: 'v1',
    segment: 'all',
    destination: 'email',
    scoreDecile: 1,
    ...group,
  }));
}

describe('liftBreakdown', () => {
  // Decile 10: control 10/100, treatment 180/900 → lift +10 pp. Decile 2: control 5/100, treatment 54/900 → +1 pp.
  // Decile 1: only 10 control users → insufficient.
  const rows = [
    ...users('control', 100, 10, { scoreDecile: 10, segment: 'b' }),
    ...users('treatment', 900, 180, { scoreDecile: 10, segment: 'b' }),
    ...users('control', 100, 5, { scoreDecile: 2, segment: 'a' }),
    ...users('treatment', 900, 54, { scoreDecile: 2, segment: 'a' }),
    ...users('control', 10, 1, { scoreDecile: 1, segment: 'a' }),
    ...users('treatment', 90, 9, { scoreDecile: 1, segment: 'a' }),
  ];

  it('computes uplift per score decile, in decile order', () => {
    const groups = liftBreakdown(rows, 'scoreDecile', OPTIONS);
    expect(groups.map((g) => g.value)).toEqual([1, 2, 10]);
    const [d1, d2, d10] = groups;
    expect(d1?.result).toMatchObject({ status: 'insufficient_data', reason: expect.stringMatching(/^control arm has 10 users/) });
    if (d2?.result.status !== 'ok' || d10?.result.status !== 'ok') throw new Error('expected results for deciles 2 and 10');
    expect(d2.result.absoluteLift.estimate).toBeCloseTo(0.06 - 0.05, 12);
    expect(d10.result.absoluteLift.estimate).toBeCloseTo(0.2 - 0.1, 12);
    // Each group is the same analysis as running liftFromRows on that group's rows alone.
    expect(d10.result).toEqual(liftFromRows(rows.filter((r) => r.scoreDecile === 10), OPTIONS));
  });

  it('groups by a string dimension, sorted by name', () => {
    const groups = liftBreakdown(rows, 'segment', OPTIONS);
    expect(groups.map((g) => g.value)).toEqual(['a', 'b']);
    const a = groups[0]?.result;
    if (a?.status !== 'ok') throw new Error('expected a result for segment a');
    // segment a = deciles 1 and 2: control 6/110, treatment 63/990
    expect(a.control).toMatchObject({ n: 110, conversions: 6 });
    expect(a.treatment).toMatchObject({ n: 990, conversions: 63 });
  });

  it('returns no groups for no rows', () => {
    expect(liftBreakdown([], 'destination', OPTIONS)).toEqual([]);
  });
});
