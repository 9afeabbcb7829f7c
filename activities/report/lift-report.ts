/**
 * renderLiftReport: one self-contained HTML page per measured run, in the style of the run report
 * (inline CSS and SVG; no scripts, fonts or network). It shows:
 *  - a prominent banner when the lift is untrustworthy (sample-ratio mismatch) or not computable;
 *  - per arm: users, users seen in the outcome data, conversions, rate, revenue per visitor;
 *  - the lift: absolute and relative with intervals, z-test, Welch's t-test, both sample-ratio checks;
 *  - charts: lift with intervals (overall and by model version, segment and destination), uplift by
 *    score decile, and cumulative conversions by arm over the window;
 *  - a table per breakdown dimension.
 * Pure: the caller passes the report and the time to print. Every text goes through escapeXml.
 */
import { liftHeadline } from './lift-headline.ts';
import { NOT_ROUTED, NOT_ROUTED_NOTE } from './not-routed.ts';
import type { LiftReport } from '../measurement/lift.ts';
import type { BreakdownGroup, LiftResult, LiftOk, SrmResult } from '../measurement/lift.ts';
import { ARM_COLOURS, STATUS_COLOURS, barsWithIntervalsSvg, escapeXml, intervalChartSvg, stepLinesSvg, type IntervalItem } from './svg-charts.ts';

const CSS = `
*{box-sizing:border-box}
body{margin:0;padding:24px 32px;font:14px/1.45 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1f2328;background:#f6f8fa}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:17px;margin:0 0 10px}
h3{font-size:13px;margin:14px 0 4px;color:#57606a;font-weight:600}
section{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:16px 20px;margin-bottom:16px}
section.alert{border:2px solid ${STATUS_COLOURS.fail};background:#ffebe9}
section.alert h2{color:${STATUS_COLOURS.fail}}
section.notice{border:2px solid ${STATUS_COLOURS.warn};background:#fff8c5}
.meta{color:#57606a;margin:0 0 12px}
.headline{font-size:1.15em;font-weight:600;margin:0 0 12px}
.meta code{background:#eff1f3;padding:1px 5px;border-radius:4px}
.badge{display:inline-block;padding:2px 10px;border-radius:12px;color:#fff;font-weight:600;text-transform:uppercase;font-size:12px;letter-spacing:.04em}
.badge.ok{background:${STATUS_COLOURS.pass}}.badge.untrustworthy{background:${STATUS_COLOURS.fail}}.badge.insufficient{background:${STATUS_COLOURS.warn}}
table{border-collapse:collapse;width:100%;font-size:13px;margin-bottom:6px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #d8dee4;vertical-align:top}
th{background:#f6f8fa;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.untrustworthy td:first-child{border-left:4px solid ${STATUS_COLOURS.fail}}
tr.insufficient td{color:#57606a}
.flag{font-weight:600;color:${STATUS_COLOURS.fail}}
.good{font-weight:600;color:${STATUS_COLOURS.pass}}
.chart{max-width:100%;height:auto;display:block}
.chart .tick{font-size:11px;fill:#57606a}
.chart .axis{font-size:12px;fill:#1f2328}
.chart .muted{font-style:italic}
.empty{color:#57606a;font-style:italic}
.footnote{color:#57606a;font-size:12px}
`;

const DIMENSIONS = [
  ['modelVersion', 'Model version'],
  ['segment', 'Segment'],
  ['destination', 'Destination'],
  ['scoreDecile', 'Score decile'],
] as const;

function pp(x: number): string {
  return `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)} pp`;
}

function ppAxis(x: number): string {
  const v = Number((x * 100).toPrecision(3));
  return `${v > 0 ? '+' : ''}${v === 0 ? 0 : v} pp`;
}

function pct(x: number, digits = 2): string {
  return `${(x * 100).toFixed(digits)}%`;
}

function signedPct(x: number): string {
  return `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
}

function pValue(p: number): string {
  if (p < 1e-12) return '&lt; 1e-12';
  if (p < 0.0001) return p.toExponential(2);
  return p.toFixed(4);
}

function money(x: number): string {
  return x.toFixed(2);
}

function ci(lower: number, upper: number, f: (v: number) => string): string {
  return `[${f(lower)}, ${f(upper)}]`;
}

function status(r: LiftResult): 'ok' | 'untrustworthy' | 'insufficient' {
  if (r.status === 'insufficient_data') return 'insufficient';
  return r.trustworthy ? 'ok' : 'untrustworthy';
}

function srmCell(srm: SrmResult | null | undefined): string {
  if (!srm) return '<span class="empty">not checked</span>';
  const text = `control ${pct(srm.observedControlShare)} vs ${pct(srm.expectedControlShare)}, χ² ${srm.chiSquare.toFixed(2)}, p ${pValue(srm.pValue)}`;
  return srm.mismatch ? `<span class="flag">MISMATCH</span> ${text}` : `<span class="good">ok</span> ${text}`;
}

function intervalItem(label: string, r: LiftResult): IntervalItem {
  if (r.status !== 'ok') return { label, estimate: null, lower: null, upper: null, note: `not enough data: ${r.reason}` };
  return {
    label,
    estimate: r.absoluteLift.estimate,
    lower: r.absoluteLift.ci.lower,
    upper: r.absoluteLift.ci.upper,
    ...(r.trustworthy ? {} : { untrustworthy: true, note: 'sample-ratio mismatch' }),
  };
}

function groupLabel(dimension: (typeof DIMENSIONS)[number][0], value: string | number): string {
  return dimension === 'scoreDecile' ? `D${value}` : String(value);
}

function headerBanner(r: LiftReport): string {
  const o = r.overall;
  if (o.status === 'insufficient_data') {
    return `<section class="notice" id="verdict"><h2>Not enough data</h2><p>${escapeXml(o.reason)}</p><p>No lift, interval or p-value is shown: none could be computed honestly from these outcomes.</p></section>`;
  }
  if (!o.trustworthy) {
    return (
      `<section class="alert" id="verdict"><h2>Sample-ratio mismatch: this lift is untrustworthy</h2><p>${escapeXml(o.reason ?? '')}</p>` +
      '<p><strong>Do not act on the figures below.</strong> They are shown only to help find the cause.</p></section>'
    );
  }
  return '';
}

function armsTable(o: LiftOk): string {
  const row = (arm: 'control' | 'treatment') => {
    const a = o[arm];
    const rpv = a.revenuePerVisitor;
    return (
      `<tr class="arm-${arm}"><td><span style="color:${ARM_COLOURS[arm]}">■</span> ${arm}</td><td class="num">${a.n}</td>` +
      `<td class="num">${a.observed ?? '—'}</td><td class="num">${a.conversions}</td><td class="num">${pct(a.conversionRate, 3)}</td>` +
      `<td class="num">${rpv ? money(rpv.mean) : '—'}</td></tr>`
    );
  };
  return (
    '<table id="arms"><thead><tr><th>Arm</th><th>Users</th><th>Seen in outcome data</th><th>Conversions</th><th>Conversion rate</th><th>Revenue per visitor</th></tr></thead>' +
    `<tbody>${row('control')}${row('treatment')}</tbody></table>`
  );
}

function liftTable(o: LiftOk): string {
  const level = `${+(o.confidence * 100).toFixed(4)}%`;
  const rows: string[] = [
    `<tr><td>Absolute lift (conversion rate)</td><td class="num">${pp(o.absoluteLift.estimate)}</td><td class="num">${ci(o.absoluteLift.ci.lower, o.absoluteLift.ci.upper, pp)}</td><td class="num">${pValue(o.zTest.pValue)}</td><td>unpooled Wald interval; pooled two-proportion z-test, z = ${o.zTest.z.toFixed(3)}</td></tr>`,
    `<tr><td>Relative lift (conversion rate)</td><td class="num">${signedPct(o.relativeLift.estimate)}</td><td class="num">${ci(o.relativeLift.ci.lower, o.relativeLift.ci.upper, signedPct)}</td><td class="num">${pValue(o.zTest.pValue)}</td><td>delta method on ln(p<sub>T</sub>/p<sub>C</sub>)</td></tr>`,
  ];
  const rev = o.revenuePerVisitor;
  if (rev?.status === 'ok') {
    rows.push(
      `<tr><td>Revenue per visitor, treatment − control</td><td class="num">${money(rev.difference)}</td><td class="num">${ci(rev.ci.lower, rev.ci.upper, money)}</td><td class="num">${pValue(rev.pValue)}</td><td>Welch's t-test, t = ${rev.t.toFixed(3)}, df = ${rev.df.toFixed(1)}</td></tr>`,
    );
  } else if (rev?.status === 'insufficient_data') {
    rows.push(`<tr class="insufficient"><td>Revenue per visitor</td><td colspan="4">not enough data: ${escapeXml(rev.reason)}</td></tr>`);
  }
  return (
    `<table id="lift-table"><thead><tr><th>Measure</th><th>Estimate</th><th>${escapeXml(level)} interval</th><th>p-value</th><th>Method</th></tr></thead><tbody>${rows.join('')}</tbody></table>` +
    '<table id="srm-table"><thead><tr><th>Sample-ratio check (flagged at p &lt; 0.001)</th><th>Result</th></tr></thead><tbody>' +
    `<tr class="${o.srm?.mismatch ? 'untrustworthy' : ''}"><td>Assigned users per arm</td><td>${srmCell(o.srm)}</td></tr>` +
    `<tr class="${o.observationSrm?.mismatch ? 'untrustworthy' : ''}"><td>Users seen in the outcome data per arm</td><td>${srmCell(o.observationSrm)}</td></tr>` +
    '</tbody></table>'
  );
}

function liftCharts(r: LiftReport): string {
  const items: IntervalItem[] = [intervalItem('Overall', r.overall)];
  for (const [dimension, title] of DIMENSIONS) {
    if (dimension === 'scoreDecile') continue;
    for (const g of r.breakdowns[dimension] ?? []) items.push(intervalItem(`${title}: ${g.value}`, g.result));
  }
  const forest = intervalChartSvg({
    title: 'Absolute lift in conversion rate with intervals, overall and by group',
    items,
    xLabel: 'treatment − control conversion rate (percentage points); dashed line = no effect',
    format: ppAxis,
  });
  const deciles = r.breakdowns.scoreDecile ?? [];
  const decileChart = deciles.length
    ? barsWithIntervalsSvg({
        title: 'Uplift by score decile (absolute lift with intervals)',
        items: deciles.map((g) => intervalItem(groupLabel('scoreDecile', g.value), g.result)),
        xLabel: 'score decile (D1 lowest scores, D10 highest)',
        format: ppAxis,
      })
    : '<p class="empty">No score deciles: no entities were measured.</p>';
  const cumulative = r.cumulative ?? [];
  // A series with no conversion in either arm draws two flat lines at 0: leave the section out.
  const anyConversion = cumulative.some((c) => c.control > 0 || c.treatment > 0);
  const cumulativeChart = anyConversion
    ? stepLinesSvg({
        title: 'Cumulative conversions by arm over the outcome window (share of the arm)',
        series: (['control', 'treatment'] as const).map((arm) => ({
          name: arm,
          colour: ARM_COLOURS[arm],
          points: cumulative.map((c) => {
            const total = arm === 'control' ? c.controlN : c.treatmentN;
            const converted = c[arm];
            return { x: c.day, y: total > 0 ? converted / total : 0, tip: `${arm}, day ${c.day}: ${converted} of ${total} converted` };
          }),
        })),
        xLabel: 'day of the outcome window',
        yFormat: (v) => pct(v, v >= 0.1 ? 0 : 1),
      })
    : '';
  return (
    `<section id="lift-chart"><h2>Lift with intervals</h2>${forest}<p class="footnote">Each group is analysed on its own; intervals are not adjusted for multiple comparisons. Red: that group's sample-ratio check failed.</p></section>` +
    `<section id="decile-chart"><h2>Uplift by score decile</h2>${decileChart}</section>` +
    (cumulativeChart ? `<section id="cumulative-chart"><h2>Cumulative conversions by arm</h2>${cumulativeChart}</section>` : '')
  );
}

function breakdownTable(dimension: (typeof DIMENSIONS)[number][0], title: string, groups: BreakdownGroup[]): string {
  if (groups.length === 0) return '';
  const rows = groups.map((g) => {
    const res = g.result;
    const label = escapeXml(groupLabel(dimension, g.value));
    if (res.status !== 'ok') {
      return `<tr class="insufficient"><td>${label}</td><td class="num">${res.control.n}</td><td class="num">—</td><td class="num">${res.treatment.n}</td><td class="num">—</td><td colspan="4">not enough data: ${escapeXml(res.reason)}</td></tr>`;
    }
    const flag = res.trustworthy ? '<span class="good">ok</span>' : '<span class="flag">MISMATCH</span>';
    return (
      `<tr class="${res.trustworthy ? '' : 'untrustworthy'}"><td>${label}</td><td class="num">${res.control.n}</td><td class="num">${pct(res.control.conversionRate)}</td>` +
      `<td class="num">${res.treatment.n}</td><td class="num">${pct(res.treatment.conversionRate)}</td>` +
      `<td class="num">${pp(res.absoluteLift.estimate)} ${ci(res.absoluteLift.ci.lower, res.absoluteLift.ci.upper, pp)}</td>` +
      `<td class="num">${signedPct(res.relativeLift.estimate)} ${ci(res.relativeLift.ci.lower, res.relativeLift.ci.upper, signedPct)}</td>` +
      `<td class="num">${pValue(res.zTest.pValue)}</td><td>${flag}</td></tr>`
    );
  });
  return (
    `<h3>${escapeXml(title)}</h3><table class="breakdown" data-dimension="${dimension}"><thead><tr><th>${escapeXml(title)}</th><th>Control users</th><th>Control rate</th><th>Treatment users</th><th>Treatment rate</th>` +
    `<th>Absolute lift [interval]</th><th>Relative lift [interval]</th><th>p (z-test)</th><th>Sample ratio</th></tr></thead><tbody>${rows.join('')}</tbody></table>` +
    (groups.some((g) => g.value === NOT_ROUTED) ? `<p class="footnote" id="not-routed-note">${escapeXml(NOT_ROUTED_NOTE)}</p>` : '')
  );
}

export function renderLiftReport(r: LiftReport, generatedAt: string): string {
  const o = r.overall;
  const verdict = status(o);
  const badgeText = verdict === 'ok' ? 'lift ok' : verdict === 'untrustworthy' ? 'untrustworthy' : 'not enough data';
  const meta = [
    ['pipeline', r.pipeline],
    ['run', r.runId],
    ['cycle', r.cycleRunId],
    ['outcome window', `${r.window.start} → ${r.window.end} (${r.window.days} days)`],
    ['data observed through', r.observedThrough ?? 'n/a'],
    ['entities', String(r.entities)],
    ...(r.expectedControlShare !== undefined ? [['configured control share', pct(r.expectedControlShare)]] : []),
    ['generated', generatedAt],
  ]
    .map(([k, v]) => `${k} <code>${escapeXml(v!)}</code>`)
    .join(' · ');
  const body =
    o.status === 'ok'
      ? `<section id="summary"><h2>Arms and lift</h2>${armsTable(o)}${liftTable(o)}</section>${liftCharts(r)}`
      : `<section id="summary"><h2>Arms</h2><table id="arms"><thead><tr><th>Arm</th><th>Users</th><th>Conversions</th></tr></thead><tbody>` +
        `<tr><td>control</td><td class="num">${o.control.n}</td><td class="num">${o.control.conversions}</td></tr>` +
        `<tr><td>treatment</td><td class="num">${o.treatment.n}</td><td class="num">${o.treatment.conversions}</td></tr></tbody></table></section>`;
  const breakdowns = DIMENSIONS.map(([d, title]) => breakdownTable(d, title, r.breakdowns[d] ?? [])).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Scoreflow lift ${escapeXml(r.runId)}</title><style>${CSS}</style></head>
<body>
<header><h1>Lift for run ${escapeXml(r.runId)} <span class="badge ${verdict}" id="verdict-badge">${badgeText}</span></h1>
<p class="meta">${meta}</p>
${liftHeadline(o) ? `<p class="headline" id="headline">${escapeXml(liftHeadline(o)!)}</p>` : ''}</header>
${headerBanner(r)}
${body}
<section id="breakdowns"><h2>Breakdowns</h2>${breakdowns}</section>
<section id="methods"><h2>Methods</h2><p class="footnote">Intent to treat: every entity published in the run counts in its holdout arm; a conversion is a purchase by the visitor in a later feed delivery within the outcome window. Absolute lift: unpooled Wald interval. Relative lift: delta method on the log of the rate ratio. Conversion p-value: pooled two-proportion z-test. Revenue per visitor: Welch's t-test with Welch–Satterthwaite degrees of freedom. Sample-ratio checks: chi-squared goodness of fit (1 df) against the configured control share, flagged at p &lt; 0.001, once for the assigned entities and once for the entities the outcome data shows during the window. Groups with too few users, or with no (or only) conversions in an arm, say "not enough data" instead of showing an estimate.</p></section>
</body></html>
`;
}
