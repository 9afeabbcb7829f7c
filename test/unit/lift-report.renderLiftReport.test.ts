import { describe, expect, it } from 'vitest';
import { liftBreakdown, liftFromRows, type BreakdownRow, type RowLiftOptions } from '../../activities/measurement/lift.ts';
import type { LiftReport } from '../../activities/measurement/lift.ts';
import { renderLiftReport } from '../../activities/report/lift-report.ts';
import { barsWithIntervalsSvg, intervalChartSvg, niceAxis, niceRange, stepLinesSvg } from '../../activities/report/svg-charts.ts';

const OPTIONS: RowLiftOptions = {
  outcomeWindow: { start: new Date('2026-11-04T00:00:00Z'), end: new Date('2026-11-11T00:00:00Z') },
  asOf: new Date('2026-11-12T00:00:00Z'),
  expectedControlShare: 0.1,
};

/** n users of one arm and group; the first `conversions` convert with revenue 40; `seen` of them are observed. */
function users(arm: BreakdownRow['arm'], n: number, conversions: number, group: Partial<BreakdownRow>, seen = n): BreakdownRow[] {
  return Array.from({ length: n }, (_, i) => ({
    arm,
    converted: i < conversions,
    revenue: i < conversions ? 40 + (i % 7) : 0,
    observed: i < seen,
    modelVersion: '1.0.0',
    segment: 'warm',
    destination: 'outbox',
    scoreDecile: 1,
    ...group,
  }));
}

function rowsFor(controlSeen: (n: number) => number): BreakdownRow[] {
  const rows: BreakdownRow[] = [];
  for (let d = 1; d <= 10; d++) {
    const group = { scoreDecile: d, segment: d > 7 ? 'high_intent' : d > 3 ? 'warm' : 'cold <b>&</b>', destination: d % 2 ? 'outbox' : 'google-ads', modelVersion: d > 5 ? '1.1.0' : '1.0.0' };
    // Deciles 1–2 are small (20 control users): not enough data there. Every decile is split 10/90.
    const controlN = d <= 2 ? 20 : 100;
    rows.push(...users('control', controlN, Math.round(controlN * 0.02 * d), group, controlSeen(controlN)));
    rows.push(...users('treatment', controlN * 9, Math.round(controlN * 9 * 0.025 * d), group));
  }
  return rows;
}

function report(rows: BreakdownRow[]): LiftReport {
  const dims = ['modelVersion', 'segment', 'destination', 'scoreDecile'] as const;
  const breakdowns = Object.fromEntries(dims.map((d) => [d, liftBreakdown(rows, d, OPTIONS)])) as LiftReport['breakdowns'];
  const controlN = rows.filter((r) => r.arm === 'control').length;
  return {
    runId: 'demo.run.1/<x>',
    pipeline: 'demo',
    cycleRunId: 'demo.run.1/<x>',
    window: { start: '2026-11-04T00:00:00.000Z', end: '2026-11-11T00:00:00.000Z', days: 7 },
    observedThrough: '2026-11-12T00:00:00.000Z',
    entities: rows.length,
    overall: liftFromRows(rows, OPTIONS),
    breakdowns,
    cumulative: Array.from({ length: 7 }, (_, i) => ({ day: i + 1, control: 10 * (i + 1), treatment: 120 * (i + 1), controlN, treatmentN: rows.length - controlN })),
    expectedControlShare: 0.1,
  };
}

const count = (html: string, re: RegExp) => (html.match(re) ?? []).length;

describe('renderLiftReport', () => {
  it('renders arms, lift table, the three charts and every breakdown, with no NaN and nothing external', () => {
    const r = report(rowsFor((n) => n));
    if (r.overall.status !== 'ok') throw new Error(r.overall.reason);
    expect(r.overall.trustworthy).toBe(true);
    const html = renderLiftReport(r, '2026-11-12T01:00:00.000Z');
    expect(html).not.toMatch(/NaN|Infinity|undefined|<script|https?:\/\//);
    expect(html).toContain('<span class="badge ok" id="verdict-badge">lift ok</span>');
    expect(html).not.toContain('class="alert"');
    for (const id of ['summary', 'arms', 'lift-table', 'srm-table', 'lift-chart', 'decile-chart', 'cumulative-chart', 'breakdowns', 'methods']) expect(html).toContain(`id="${id}"`);
    // Lift with intervals: overall + 2 model versions + 3 segments + 2 destinations, all with estimates.
    const forest = html.slice(html.indexOf('id="lift-chart"'), html.indexOf('id="decile-chart"'));
    expect(count(forest, /<g class="interval/g)).toBe(8);
    // Uplift by decile: deciles 3–10 have bars, 1–2 say not enough data.
    const deciles = html.slice(html.indexOf('id="decile-chart"'), html.indexOf('id="cumulative-chart"'));
    expect(count(deciles, /<g class="bar-uplift/g)).toBe(8);
    expect(count(deciles, /<g class="no-estimate">/g)).toBe(2);
    expect(deciles).toContain('D1: not enough data: control arm has 20 users');
    // Cumulative conversions: one line per arm, a point per day.
    const cumulative = html.slice(html.indexOf('id="cumulative-chart"'), html.indexOf('id="breakdowns"'));
    expect(count(cumulative, /<path class="series/g)).toBe(2);
    expect(count(cumulative, /<circle class="point"/g)).toBe(14);
    expect(cumulative).toContain('treatment, day 7: 840 of');
    for (const d of ['modelVersion', 'segment', 'destination', 'scoreDecile']) expect(html).toContain(`data-dimension="${d}"`);
    // Group names and run ids are escaped.
    expect(html).toContain('cold &lt;b&gt;&amp;&lt;/b&gt;');
    expect(html).not.toContain('cold <b>');
    expect(html).toContain('Lift for run demo.run.1/&lt;x&gt;');
    // The numbers in the lift table are the statistics module's.
    expect(html).toContain(`${(r.overall.absoluteLift.estimate * 100).toFixed(2)} pp`);
    expect(html).toContain("Welch's t-test");
  });

  it('leads with a red banner and marks groups when a sample-ratio check fails', () => {
    // 40% of every control arm is missing from the outcome data.
    const r = report(rowsFor((n) => Math.round(n * 0.6)));
    if (r.overall.status !== 'ok') throw new Error(r.overall.reason);
    expect(r.overall.trustworthy).toBe(false);
    const html = renderLiftReport(r, 'now');
    expect(html).toContain('<span class="badge untrustworthy" id="verdict-badge">untrustworthy</span>');
    const alert = html.indexOf('<section class="alert" id="verdict">');
    expect(alert).toBeGreaterThan(0);
    expect(alert).toBeLessThan(html.indexOf('id="summary"'));
    expect(html).toContain('Sample-ratio mismatch: this lift is untrustworthy');
    expect(html).toContain('Do not act on the figures below.');
    expect(html).toMatch(/<tr class="untrustworthy"><td>Users seen in the outcome data per arm<\/td><td><span class="flag">MISMATCH<\/span>/);
    expect(count(html, /<g class="interval untrustworthy">/g)).toBeGreaterThan(0);
  });

  it('shows "not enough data" and no estimate or chart when the window is still open', () => {
    const rows = rowsFor((n) => n);
    const r = { ...report(rows), overall: liftFromRows(rows, { ...OPTIONS, asOf: new Date('2026-11-05T00:00:00Z') }) };
    const html = renderLiftReport(r, 'now');
    expect(html).toContain('<section class="notice" id="verdict"><h2>Not enough data</h2><p>outcome window is still open until 2026-11-11T00:00:00.000Z');
    expect(html).toContain('badge insufficient');
    expect(html).not.toContain('id="lift-chart"');
    expect(html).not.toMatch(/NaN|Infinity/);
  });

  it('renders a report stored before the observation check and control share were recorded', () => {
    const r = report(rowsFor((n) => n));
    if (r.overall.status !== 'ok') throw new Error(r.overall.reason);
    const { observationSrm: _o, ...overall } = r.overall;
    const { expectedControlShare: _s, ...old } = r;
    const html = renderLiftReport({ ...old, overall: { ...overall } }, 'now');
    expect(html).toContain('<td>Users seen in the outcome data per arm</td><td><span class="empty">not checked</span>');
    expect(html).not.toMatch(/NaN|undefined/);
  });
});

describe('lift chart helpers', () => {
  it('niceAxis always includes zero, with ends and ticks on a tidy step', () => {
    expect(niceRange(-0.013, 0.031)).toEqual([-0.02, 0.04]);
    expect(niceAxis(-0.2664, 0.202)).toEqual({ min: -0.3, max: 0.3, ticks: [-0.3, -0.2, -0.1, 0, 0.1, 0.2, 0.3] });
    expect(niceAxis(0.004, 0.02)).toEqual({ min: 0, max: 0.02, ticks: [0, 0.005, 0.01, 0.015, 0.02] });
    expect(niceRange(-0.3, -0.1)).toEqual([-0.3, 0]);
    expect(niceRange(-0.2, 0.3)).toEqual([-0.2, 0.3]);
    expect(niceRange(0, 0)).toEqual([-1, 1]);
  });

  it('draws interval whiskers at the right places on a forest plot', () => {
    // Axis [−0.02, 0.04] over x = 170 … 696 (width 720, margins 170/24): x(v) = 170 + (v + 0.02) / 0.06 × 526.
    const svg = intervalChartSvg({ title: 't', items: [{ label: 'a', estimate: 0.01, lower: -0.013, upper: 0.031 }], xLabel: 'x', format: String });
    const x = (v: number) => String(Math.round((170 + ((v + 0.02) / 0.06) * 526) * 100) / 100);
    expect(svg).toContain(`<line x1="${x(-0.013)}" x2="${x(0.031)}"`);
    expect(svg).toContain(`<circle class="estimate" cx="${x(0.01)}"`);
    expect(svg).toContain(`<line class="zero" x1="${x(0)}" x2="${x(0)}"`);
  });

  it('draws bars below zero for negative uplift and says n/a without an estimate', () => {
    const svg = barsWithIntervalsSvg({
      title: 't',
      items: [
        { label: 'D1', estimate: -0.01, lower: -0.03, upper: 0.01 },
        { label: 'D2', estimate: null, lower: null, upper: null, note: 'too few users' },
      ],
      xLabel: 'x',
      format: String,
    });
    // Axis [−0.03, 0.01] over y = 16 … 234: y(0) = 16 + 0.01/0.04 × 218 = 70.5; the bar starts at zero and goes
    // down by 0.01/0.04 × 218 = 54.5.
    expect(svg).toMatch(/<rect x="[\d.]+" y="70\.5" width="[\d.]+" height="54\.5"/);
    expect(svg).toContain('<title>D2: too few users</title>');
  });

  it('draws cumulative step lines that start at zero', () => {
    const svg = stepLinesSvg({ title: 't', series: [{ name: 'control', colour: '#000', points: [{ x: 1, y: 0.1 }, { x: 2, y: 0.2 }] }], xLabel: 'day', yFormat: String });
    expect(svg).toMatch(/<path class="series series-0" d="M56 214 H/);
  });
});
