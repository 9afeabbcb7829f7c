import { describe, expect, it } from 'vitest';
import { liftFromRows, type OutcomeRow, type RowLiftOptions } from '../../activities/measurement/lift.ts';
import { refTQuantile, refTwoSidedTP } from '../helpers/reference-distributions.ts';

const WINDOW = { start: new Date('2025-03-01T00:00:00Z'), end: new Date('2025-03-08T00:00:00Z') };
const OPTIONS: RowLiftOptions = { outcomeWindow: WINDOW, asOf: new Date('2025-03-09T00:00:00Z'), expectedControlShare: 0.2 };

// 40 control users: 8 converted with revenue 10, 20, …, 80; 160 treatment users: 40 converted with revenue 5, 10, …, 200.
function rows(): OutcomeRow[] {
  const out: OutcomeRow[] = [];
  for (let i = 0; i < 40; i++) out.push({ arm: 'control', converted: i < 8, revenue: i < 8 ? 10 * (i + 1) : 0 });
  for (let i = 0; i < 160; i++) out.push({ arm: 'treatment', converted: i < 40, revenue: i < 40 ? 5 * (i + 1) : 0 });
  return out;
}

/** Two-pass mean and sample variance, written out independently of the code under test. */
function meanAndVariance(values: number[]): { mean: number; variance: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return { mean, variance: values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1) };
}

describe('liftFromRows', () => {
  it('summarizes both arms and compares revenue per visitor with Welch', () => {
    const result = liftFromRows(rows(), OPTIONS);
    if (result.status !== 'ok') throw new Error(result.reason);
    expect(result.control.conversionRate).toBe(0.2);
    expect(result.treatment.conversionRate).toBe(0.25);
    // control revenue sum = 10 × (1 + … + 8) = 360 → mean 9; treatment sum = 5 × (1 + … + 40) = 4100 → mean 25.625
    const c = meanAndVariance(rows().filter((r) => r.arm === 'control').map((r) => r.revenue));
    const t = meanAndVariance(rows().filter((r) => r.arm === 'treatment').map((r) => r.revenue));
    expect(c.mean).toBe(9);
    expect(t.mean).toBe(25.625);
    expect(result.control.revenuePerVisitor?.mean).toBeCloseTo(9, 12);
    expect(result.control.revenuePerVisitor?.variance).toBeCloseTo(c.variance, 9);
    expect(result.treatment.revenuePerVisitor?.variance).toBeCloseTo(t.variance, 9);

    const vc = c.variance / 40;
    const vt = t.variance / 160;
    const se = Math.sqrt(vc + vt);
    const df = (vc + vt) ** 2 / (vt ** 2 / 159 + vc ** 2 / 39);
    const revenue = result.revenuePerVisitor;
    if (revenue?.status !== 'ok') throw new Error('expected a revenue comparison');
    expect(revenue.difference).toBeCloseTo(16.625, 12);
    expect(revenue.df).toBeCloseTo(df, 8);
    expect(revenue.t).toBeCloseTo(16.625 / se, 10);
    expect(revenue.pValue).toBeCloseTo(refTwoSidedTP(16.625 / se, df), 8);
    expect(revenue.ci.upper).toBeCloseTo(16.625 + refTQuantile(0.975, df) * se, 5);

    // 40 of 200 = 20% control, as configured.
    expect(result.srm).toMatchObject({ chiSquare: 0, mismatch: false });
  });

  it('is insufficient without an outcome window', () => {
    for (const outcomeWindow of [null, undefined]) {
      const result = liftFromRows(rows(), { ...OPTIONS, outcomeWindow });
      expect(result).toMatchObject({ status: 'insufficient_data', reason: expect.stringMatching(/^no outcome window/), control: { n: 40, conversions: 8 } });
    }
  });

  it('is insufficient while the outcome window is still open', () => {
    const result = liftFromRows(rows(), { ...OPTIONS, asOf: new Date('2025-03-07T12:00:00Z') });
    expect(result).toMatchObject({ status: 'insufficient_data', reason: expect.stringContaining('still open until 2025-03-08T00:00:00.000Z') });
  });

  it('rejects a window that ends before it starts', () => {
    expect(() => liftFromRows(rows(), { ...OPTIONS, outcomeWindow: { start: WINDOW.end, end: WINDOW.start } })).toThrow(/start before end/);
  });

  it('is insufficient when one arm has no rows', () => {
    const result = liftFromRows(rows().filter((r) => r.arm === 'treatment'), OPTIONS);
    expect(result).toMatchObject({ status: 'insufficient_data', reason: expect.stringMatching(/^control arm has 0 users/) });
  });

  it('reports revenue as insufficient when nobody spent anything', () => {
    const flat = rows().map((r) => ({ ...r, revenue: 0 }));
    const result = liftFromRows(flat, OPTIONS);
    if (result.status !== 'ok') throw new Error(result.reason);
    expect(result.revenuePerVisitor).toMatchObject({ status: 'insufficient_data' });
  });
});
