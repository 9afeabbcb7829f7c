import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { renderRunReport, type RunReportData } from '../../activities/report/run-report.ts';
import { psi } from '../../activities/gates/psi.ts';
import { visitInChromium } from '../helpers/headless-chromium.ts';

const baselineScores = Array.from({ length: 500 }, (_, i) => (i + 0.5) / 500);
const currentScores = baselineScores.map((s) => Math.min(0.999, s * 0.8 + 0.15));
const hist = (xs: number[]) => {
  const c = new Array<number>(20).fill(0);
  for (const x of xs) c[Math.min(19, Math.floor(x * 20))]!++;
  return c;
};

const data: RunReportData = {
  runId: 'demo-2026-03-10T12:00:00Z',
  pipeline: 'demo',
  generatedAt: '2026-03-10T12:05:00.000Z',
  runStatus: 'COMPLETED',
  model: 'purchase-propensity@1.0.0',
  snapshotId: 'snap-1',
  baselineRunId: 'demo-2026-03-10T11:45:00Z',
  gate: {
    status: 'fail',
    results: [
      { gate: 'scorePsi', subject: 'score', status: 'warn', value: 0.14, warnAt: 0.1, failAt: 0.25, detail: 'PSI of the score distribution is 0.14, above the warn threshold 0.1 (fails above 0.25).' },
      { gate: 'featurePsi', subject: 'monetary', status: 'fail', value: 0.41, warnAt: 0.1, failAt: 0.25, detail: 'PSI of feature monetary is 0.41 <script>alert(1)</script>.' },
      { gate: 'featurePsi', subject: 'frequency', status: 'pass', value: 0.02, warnAt: 0.1, failAt: 0.25, detail: 'PSI of feature frequency is 0.02.' },
      { gate: 'featurePsi', subject: 'recency_days', status: 'pass', value: null, warnAt: 0.1, failAt: 0.25, detail: 'No baseline.' },
      { gate: 'volumeChange', subject: 'scored', status: 'pass', value: 0.02, warnAt: 0.3, failAt: 0.6, detail: 'Relative change is 0.02.' },
    ],
  },
  scoreHistogram: { edges: Array.from({ length: 21 }, (_, i) => i / 20), current: hist(currentScores), baseline: hist(baselineScores) },
  scoreDeciles: psi(baselineScores, currentScores),
  featurePsi: [
    { feature: 'monetary', value: 0.41, status: 'fail' },
    { feature: 'frequency', value: 0.02, status: 'pass' },
    { feature: 'recency_days', value: null, status: 'pass' },
  ],
  psiThresholds: { warnAt: 0.1, failAt: 0.25 },
  funnel: [
    { destination: 'outbox', generated: 500, exported: 450, accepted: 450, rejected: 0, delivered: 450, suppressed: 50, removed: 0 },
    { destination: 'google-ads', generated: 500, exported: 400, accepted: 320, rejected: 80, delivered: 320, suppressed: 0, removed: 12 },
  ],
  exports: [{ destination: 'outbox', kind: 'file', rows: 450, location: '/outbox/demo/run/outbox.csv' }],
};

describe('renderRunReport', () => {
  it('is self-contained: no scripts, no external references, text escaped', () => {
    const html = renderRunReport(data);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)\s*=/i);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain("default-src 'none'");
  });

  it('counts a gate that could not measure as skipped, not passed, as `scoreflow status` does', () => {
    const html = renderRunReport(data);
    expect(html).toContain('5 gate results: 1 fail, 1 warn, 2 pass, 1 skipped (nothing to compare with yet).');
    expect(html).toMatch(/<tr class="skip"><td><span class="status skip">skip<\/span><\/td><td>featurePsi<\/td><td>recency_days<\/td>/);
    expect(html).toMatch(/<tr class="pass"><td><span class="status pass">pass<\/span><\/td><td>featurePsi<\/td><td>frequency<\/td>/);
  });

  it("shows each destination's decision point, owner and latency budget, and which destinations declare none", () => {
    const html = renderRunReport({
      ...data,
      ownership: [
        { destination: 'outbox', kind: 'file', point: 'onsite.hero-banner', owner: 'growth-team <ops>', latencyBudget: '6h' },
        { destination: 'google-ads', kind: 'google-customer-match', point: null, owner: null, latencyBudget: null },
      ],
    });
    const section = /<section id="ownership">.*?<\/section>/s.exec(html)?.[0] ?? '';
    expect(section).toContain('<h2>Decision ownership</h2>');
    expect(section).toContain('<tr><td>outbox</td><td>file</td><td>onsite.hero-banner</td><td>growth-team &lt;ops&gt;</td><td>6h</td></tr>');
    expect(section).toContain('<tr><td>google-ads</td><td>google-customer-match</td><td class="muted">not declared</td><td class="muted">not declared</td><td class="muted">not declared</td></tr>');
    expect(renderRunReport(data)).not.toContain('id="ownership"');
  });

  it('renders in headless Chromium without errors, with its SVG charts and the gate table', async () => {
    const visit = await visitInChromium({ html: renderRunReport(data) }, 'run-report.renderRunReport.png', async (page) => ({
      svgs: await page.locator('svg.chart').count(),
      scoreBars: await page.locator('#scores svg').first().locator('rect.bar-current').count(),
      baselineBars: await page.locator('#scores svg').first().locator('rect.bar-baseline').count(),
      psiBars: await page.locator('#psi rect.bar-psi').count(),
      psiLines: await page.locator('#psi line.threshold').count(),
      funnels: await page.locator('#funnel svg').count(),
      gateRows: await page.locator('#gates tbody tr').count(),
      firstRowClass: await page.locator('#gates tbody tr').first().getAttribute('class'),
      psiWidth: (await page.locator('#psi svg').boundingBox())?.width ?? 0,
      badge: await page.locator('.badge').textContent(),
    }));
    expect(visit.consoleErrors).toEqual([]);
    expect(visit.pageErrors).toEqual([]);
    expect(visit.requests).toEqual([]);
    expect(visit.result).toMatchObject({ svgs: 5, scoreBars: 20, baselineBars: 20, psiBars: 2, psiLines: 2, funnels: 2, gateRows: 5, firstRowClass: 'fail', badge: 'gate fail' });
    expect(visit.result.psiWidth).toBeGreaterThan(300);
    expect(existsSync(visit.screenshot)).toBe(true);
  });
});
