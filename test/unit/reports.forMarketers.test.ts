/**
 * The lift and run reports as a marketer reads them, rendered in headless Chromium: the lift
 * headline sentence, no empty sections, "(not routed)" explained, and audience sizes per segment and
 * destination. The screenshots are the ones docs/img shows (docs/img/lift-report.png, run-report.png).
 */
import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { liftBreakdown, liftFromRows, type BreakdownRow, type RowLiftOptions } from '../../activities/measurement/lift.ts';
import type { LiftReport } from '../../activities/measurement/lift.ts';
import { renderLiftReport } from '../../activities/report/lift-report.ts';
import { liftHeadline } from '../../activities/report/lift-headline.ts';
import { renderRunReport, type RunReportData } from '../../activities/report/run-report.ts';
import { visitInChromium } from '../helpers/headless-chromium.ts';
import { REPO_ROOT } from '../helpers/run-cli.ts';

const OPTIONS: RowLiftOptions = {
  outcomeWindow: { start: new Date('2026-11-04T00:00:00Z'), end: new Date('2026-11-11T00:00:00Z') },
  asOf: new Date('2026-11-12T00:00:00Z'),
  expectedControlShare: 0.3,
};

/** n users; the first `conversions` convert with revenue 50 each. */
function users(arm: BreakdownRow['arm'], n: number, conversions: number, destination: string, segment: string): BreakdownRow[] {
  return Array.from({ length: n }, (_, i) => ({ arm, converted: i < conversions, revenue: i < conversions ? 50 : 0, observed: true, modelVersion: '1.0.0', segment, destination, scoreDecile: (i % 10) + 1 }));
}

// 1,500 control at 10%, 3,500 treatment at 15%: +5 pp, about 175 incremental conversions and 8,750.00 revenue.
const rows = [
  ...users('control', 1200, 120, 'google-audience', 'high_intent'),
  ...users('treatment', 2800, 420, 'google-audience', 'high_intent'),
  ...users('control', 300, 30, '(not routed)', 'low_intent'),
  ...users('treatment', 700, 105, '(not routed)', 'low_intent'),
];

function liftReport(cumulativeConversions: boolean): LiftReport {
  const dims = ['modelVersion', 'segment', 'destination', 'scoreDecile'] as const;
  return {
    runId: 'demo.run.2026-11-03',
    pipeline: 'demo',
    cycleRunId: 'demo.run.2026-11-03',
    window: { start: '2026-11-04T00:00:00.000Z', end: '2026-11-11T00:00:00.000Z', days: 7 },
    observedThrough: '2026-11-12T00:00:00.000Z',
    entities: rows.length,
    overall: liftFromRows(rows, OPTIONS),
    breakdowns: Object.fromEntries(dims.map((d) => [d, liftBreakdown(rows, d, OPTIONS)])) as LiftReport['breakdowns'],
    cumulative: Array.from({ length: 7 }, (_, i) => ({ day: i + 1, control: cumulativeConversions ? 20 * (i + 1) : 0, treatment: cumulativeConversions ? 75 * (i + 1) : 0, controlN: 1500, treatmentN: 3500 })),
    expectedControlShare: 0.3,
  };
}

const runData: RunReportData = {
  runId: 'demo.run.2026-11-03',
  pipeline: 'demo',
  generatedAt: '2026-11-03T12:05:00.000Z',
  runStatus: 'COMPLETED',
  model: 'purchase-propensity@1.0.0',
  snapshotId: 'snap-1',
  baselineRunId: null,
  gate: { status: 'pass', results: [] },
  scoreHistogram: { edges: Array.from({ length: 21 }, (_, i) => i / 20), current: new Array<number>(20).fill(250), baseline: null },
  scoreDeciles: null,
  featurePsi: [],
  psiThresholds: { warnAt: 0.1, failAt: 0.25 },
  funnel: [{ destination: 'google-audience', generated: 4000, exported: 2800, accepted: 2800, rejected: 0, delivered: 2800, suppressed: 1200, removed: 0 }],
  exports: [{ destination: 'google-audience', kind: 'google-customer-match', rows: 2800, location: null }],
  audiences: [
    { segment: 'high_intent', published: 4000, destinations: { 'google-audience': { delivered: 2800, heldOut: 1200 }, 'offers-webhook': { delivered: 2750, heldOut: 1180 } } },
    { segment: 'low_intent', published: 1000, destinations: {} },
  ],
};

function toDocs(screenshot: string, name: string): void {
  mkdirSync(join(REPO_ROOT, 'docs', 'img'), { recursive: true });
  copyFileSync(screenshot, join(REPO_ROOT, 'docs', 'img', name));
}

describe('the lift report for marketers', () => {
  it('says the result in one sentence: rates, lift with its interval, incremental conversions and revenue', () => {
    const h = liftHeadline(liftReport(true).overall);
    expect(h).toMatch(/^Treatment converted 15\.0% vs 10\.0%: \+5\.0 pp \(95% CI \d\.\d to \d\.\d pp\), about 175 incremental conversions and 8,750\.00 revenue\.$/);
  });

  it('renders the headline, explains "(not routed)" and leaves out an empty cumulative section (Chromium)', async () => {
    const visit = await visitInChromium({ html: renderLiftReport(liftReport(false), '2026-11-12T00:00:00.000Z') }, 'lift-report.forMarketers.png', async (page) => ({
      headline: await page.locator('#headline').innerText(),
      note: await page.locator('#not-routed-note').innerText(),
      cumulative: await page.locator('#cumulative-chart').count(),
      headings: await page.locator('h2, h3').allInnerTexts(),
      text: await page.locator('body').innerText(),
    }));
    expect(visit.pageErrors).toEqual([]);
    expect(visit.requests).toEqual([]);
    expect(visit.result.headline).toContain('Treatment converted 15.0% vs 10.0%: +5.0 pp');
    expect(visit.result.note).toMatch(/^\(not routed\): people published in this run whom no destination received/);
    expect(visit.result.cumulative).toBe(0);
    expect(visit.result.text).not.toMatch(/No groups\.|No cumulative series/);
    expect(visit.result.headings).toContain('Arms and lift');
    toDocs(visit.screenshot, 'lift-report.png');
  });

  it('keeps the cumulative section when there are conversions to draw', () => {
    expect(renderLiftReport(liftReport(true), '2026-11-12T00:00:00.000Z')).toContain('id="cumulative-chart"');
  });
});

describe('the run report for marketers', () => {
  it('shows audience sizes per segment and destination, with totals (Chromium)', async () => {
    const visit = await visitInChromium({ html: renderRunReport(runData) }, 'run-report.forMarketers.png', async (page) => ({
      heading: await page.locator('#audiences h2').innerText(),
      header: await page.locator('#audience-table thead th').allInnerTexts(),
      rows: await page.locator('#audience-table tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => (td as unknown as { innerText: string }).innerText))),
    }));
    expect(visit.pageErrors).toEqual([]);
    expect(visit.result.heading).toBe('Audience sizes by segment and destination');
    expect(visit.result.header).toEqual(['Segment', 'Published', 'google-audience', 'offers-webhook']);
    expect(visit.result.rows).toEqual([
      ['high_intent', '4,000', '2,800 +1,200 held out', '2,750 +1,180 held out'],
      ['low_intent', '1,000', '0', '0'],
      ['all segments', '5,000', '2,800 +1,200 held out', '2,750 +1,180 held out'],
    ]);
    toDocs(visit.screenshot, 'run-report.png');
  });
});
