/**
 * renderRunReport: one self-contained HTML page per run — inline CSS and inline SVG, no scripts,
 * fonts or network. Score distribution vs baseline, PSI per feature against the thresholds, the
 * funnel per destination, and every gate result.
 */
import type { GateResult, GateStatus } from '../../contracts/gate-report.ts';
import type { DestinationOwnership } from '../../contracts/pipeline-config.ts';
import type { VerificationResult } from '../destinations/verify-destination.ts';
import type { PsiResult } from '../gates/psi.ts';
import { STATUS_COLOURS, compareBarsSvg, escapeXml, funnelSvg, thresholdBarsSvg } from './svg-charts.ts';

export interface FunnelCounts {
  destination: string;
  generated: number;
  exported: number;
  accepted: number;
  rejected: number;
  delivered: number;
  suppressed: number;
  removed: number;
}

export interface RunReportData {
  runId: string;
  pipeline: string;
  generatedAt: string;
  runStatus: string | null;
  model: string | null;
  snapshotId: string | null;
  baselineRunId: string | null;
  gate: { status: GateStatus | 'not_run'; results: GateResult[] };
  /** Equal-width score bins: edges has one more entry than the count arrays. */
  scoreHistogram: { edges: number[]; current: number[]; baseline: number[] | null };
  /** The score PSI bins (baseline deciles), when the gate measured them. */
  scoreDeciles: PsiResult | null;
  featurePsi: { feature: string; value: number | null; status: GateStatus }[];
  psiThresholds: { warnAt: number; failAt: number };
  funnel: FunnelCounts[];
  exports: { destination: string; kind: string; rows: number; location: string | null }[];
  /** Round-trip read-backs of this run's exports (the verify stage or `scoreflow verify`). */
  verification?: VerificationResult[];
  /** Who each destination got, per segment: delivered, and held out as control (suppressed). Absent in reports stored before it existed. */
  audiences?: { segment: string; published: number; destinations: Record<string, { delivered: number; heldOut: number }> }[];
  /** Each destination's decision point, owner and latency budget, from the run's pipeline snapshot. */
  ownership?: DestinationOwnership[];
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;padding:24px 32px;font:14px/1.45 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1f2328;background:#f6f8fa}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:17px;margin:0 0 10px}
h3{font-size:13px;margin:12px 0 2px;color:#57606a;font-weight:600}
section{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:16px 20px;margin-bottom:16px}
.meta{color:#57606a;margin:0 0 12px}
.meta code{background:#eff1f3;padding:1px 5px;border-radius:4px}
.muted{color:#57606a}
tr.total td{font-weight:600}
.badge{display:inline-block;padding:2px 10px;border-radius:12px;color:#fff;font-weight:600;text-transform:uppercase;font-size:12px;letter-spacing:.04em}
.badge.pass{background:${STATUS_COLOURS.pass}}.badge.warn{background:${STATUS_COLOURS.warn}}.badge.fail{background:${STATUS_COLOURS.fail}}.badge.not_run{background:${STATUS_COLOURS.none}}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #d8dee4;vertical-align:top}
th{background:#f6f8fa;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.fail td:first-child{border-left:4px solid ${STATUS_COLOURS.fail}}
tr.warn td:first-child{border-left:4px solid ${STATUS_COLOURS.warn}}
tr.pass td:first-child{border-left:4px solid ${STATUS_COLOURS.pass}}
.status{font-weight:600;text-transform:uppercase;font-size:12px}
.status.pass{color:${STATUS_COLOURS.pass}}.status.warn{color:${STATUS_COLOURS.warn}}.status.fail{color:${STATUS_COLOURS.fail}}.status.skip{color:#6b7280}
.chart{max-width:100%;height:auto;display:block}
.chart .tick{font-size:11px;fill:#57606a}
.chart .axis{font-size:12px;fill:#1f2328}
.chart .muted{font-style:italic}
.funnels{display:flex;flex-wrap:wrap;gap:16px}
.funnels figure{margin:0;flex:1 1 460px}
figcaption{font-weight:600;margin-bottom:4px}
.empty{color:#57606a;font-style:italic}
`;

const RANK: Record<GateStatus, number> = { fail: 0, warn: 1, pass: 2 };

function num(v: number | null): string {
  if (v === null) return '—';
  if (!Number.isFinite(v)) return String(v);
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}

function scoreSection(d: RunReportData): string {
  const h = d.scoreHistogram;
  const share = (xs: number[]) => {
    const t = xs.reduce((a, x) => a + x, 0);
    return xs.map((x) => (t ? x / t : 0));
  };
  const labels = h.current.map((_, i) => num(h.edges[i] ?? 0));
  const total = h.current.reduce((a, x) => a + x, 0);
  let out =
    total === 0 && !h.baseline
      ? '<p class="empty">No scores for this run.</p>'
      : '<h3>Histogram, 20 equal-width bins (share of entities)</h3>' +
        compareBarsSvg({
          title: 'Score distribution, this run vs baseline',
          labels,
          current: share(h.current),
          baseline: h.baseline ? share(h.baseline) : null,
          xLabel: 'score (bin lower edge)',
        });
  if (d.scoreDeciles) {
    const bins = d.scoreDeciles.bins;
    out += `<h3>By the baseline's score deciles (the PSI bins): PSI ${d.scoreDeciles.value.toFixed(4)}</h3>`;
    out += compareBarsSvg({
      title: `Score by baseline decile (PSI ${d.scoreDeciles.value.toFixed(4)})`,
      labels: bins.map((b, i) => (b.missing ? 'missing' : `D${i + 1}`)),
      current: bins.map((b) => b.currentShare),
      baseline: bins.map((b) => b.baselineShare),
      xLabel: 'baseline decile bin',
      height: 220,
    });
  }
  return `<section id="scores"><h2>Score distribution vs baseline</h2>${out}</section>`;
}

function psiSection(d: RunReportData): string {
  const body = d.featurePsi.length
    ? thresholdBarsSvg({
        title: 'PSI per feature',
        items: d.featurePsi.map((f) => ({ label: f.feature, value: f.value, status: f.status })),
        warnAt: d.psiThresholds.warnAt,
        failAt: d.psiThresholds.failAt,
      })
    : '<p class="empty">Feature PSI was not measured for this run.</p>';
  return `<section id="psi"><h2>Feature stability (PSI vs baseline)</h2>${body}</section>`;
}

function funnelSection(d: RunReportData): string {
  if (d.funnel.length === 0) return '<section id="funnel"><h2>Funnel per destination</h2><p class="empty">No destination deliveries recorded for this run.</p></section>';
  const figures = d.funnel.map((f) => {
    const steps = [
      { label: 'generated', count: f.generated, colour: '#6e7781' },
      { label: 'exported', count: f.exported, colour: '#0969da' },
      { label: 'accepted', count: f.accepted, colour: STATUS_COLOURS.pass },
      { label: 'rejected', count: f.rejected, colour: STATUS_COLOURS.fail },
      { label: 'delivered', count: f.delivered, colour: '#8250df' },
    ];
    if (f.suppressed) steps.push({ label: 'suppressed', count: f.suppressed, colour: '#bf8700' });
    if (f.removed) steps.push({ label: 'removed', count: f.removed, colour: '#953800' });
    return `<figure><figcaption>${escapeXml(f.destination)}</figcaption>${funnelSvg({ title: `Funnel for ${f.destination}`, steps })}</figure>`;
  });
  const exports = d.exports.length
    ? `<table><thead><tr><th>Destination</th><th>Kind</th><th>Rows</th><th>Location</th></tr></thead><tbody>${d.exports
        .map((e) => `<tr><td>${escapeXml(e.destination)}</td><td>${escapeXml(e.kind)}</td><td class="num">${e.rows}</td><td>${escapeXml(e.location ?? '')}</td></tr>`)
        .join('')}</tbody></table>`
    : '';
  return `<section id="funnel"><h2>Funnel per destination</h2><div class="funnels">${figures.join('')}</div>${exports}</section>`;
}

/** Who owns each destination's decision (pipeline `destinations[].decision`). */
function ownershipSection(d: RunReportData): string {
  const rows = d.ownership ?? [];
  if (rows.length === 0) return '';
  const cell = (v: string | null) => (v === null ? '<td class="muted">not declared</td>' : `<td>${escapeXml(v)}</td>`);
  const body = rows.map((r) => `<tr><td>${escapeXml(r.destination)}</td><td>${escapeXml(r.kind)}</td>${cell(r.point)}${cell(r.owner)}${cell(r.latencyBudget)}</tr>`).join('');
  return `<section id="ownership"><h2>Decision ownership</h2><table id="ownership-table"><thead><tr><th>Destination</th><th>Kind</th><th>Decision point</th><th>Owner</th><th>Latency budget</th></tr></thead><tbody>${body}</tbody></table></section>`;
}

/** A gate that passed without a value could not measure (no baseline, no rows): shown as skip, as `scoreflow status` does. */
function shownStatus(r: GateResult): GateStatus | 'skip' {
  return r.status === 'pass' && r.value === null ? 'skip' : r.status;
}

function gateSection(d: RunReportData): string {
  if (d.gate.results.length === 0) return '<section id="gates"><h2>Gate results</h2><p class="empty">The gates did not run for this run.</p></section>';
  const rows = [...d.gate.results]
    .sort((a, b) => RANK[a.status] - RANK[b.status] || a.gate.localeCompare(b.gate) || a.subject.localeCompare(b.subject))
    .map(
      (r) =>
        `<tr class="${shownStatus(r)}"><td><span class="status ${shownStatus(r)}">${shownStatus(r)}</span></td><td>${escapeXml(r.gate)}</td><td>${escapeXml(r.subject)}</td>` +
        `<td class="num">${num(r.value)}</td><td class="num">${num(r.warnAt)}</td><td class="num">${num(r.failAt)}</td><td>${escapeXml(r.detail)}</td></tr>`,
    );
  return `<section id="gates"><h2>Gate results</h2><table><thead><tr><th>Status</th><th>Gate</th><th>Subject</th><th>Value</th><th>Warn at</th><th>Fail at</th><th>Detail</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

function verificationSection(d: RunReportData): string {
  const v = d.verification ?? [];
  if (v.length === 0) return '';
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const rows = v.map((r) => {
    const cls = r.status === 'fail' ? 'fail' : r.status === 'pass' ? 'pass' : '';
    return `<tr class="${cls}"><td><span class="status ${cls}">${escapeXml(r.status.replace('_', ' '))}</span></td><td>${escapeXml(r.destination)}</td><td>${escapeXml(r.method.replace('_', ' '))}</td><td class="num">${r.sampled}</td><td class="num">${r.mismatched}</td><td class="num">${pct(r.mismatchRate)}</td><td class="num">${pct(r.maxMismatchRate)}</td><td>${escapeXml(r.detail)}</td></tr>`;
  });
  return `<section id="verification"><h2>What landed (read back from the destinations)</h2><table><thead><tr><th>Status</th><th>Destination</th><th>Method</th><th>Checked</th><th>Mismatched</th><th>Rate</th><th>Alert above</th><th>Detail</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

/** Audience sizes: one row per segment, one column per destination (delivered, and control held out). */
function audienceSection(d: RunReportData): string {
  const rows = d.audiences ?? [];
  if (rows.length === 0) return '';
  const dests = [...new Set(rows.flatMap((r) => Object.keys(r.destinations)))].sort();
  const n = (x: number) => x.toLocaleString('en-US');
  const cell = (a: { delivered: number; heldOut: number } | undefined) =>
    a ? `<td class="num">${n(a.delivered)}${a.heldOut ? ` <span class="muted">+${n(a.heldOut)} held out</span>` : ''}</td>` : '<td class="num">0</td>';
  const body = rows.map((r) => `<tr><td>${escapeXml(r.segment)}</td><td class="num">${n(r.published)}</td>${dests.map((dst) => cell(r.destinations[dst])).join('')}</tr>`).join('');
  const total = `<tr class="total"><td>all segments</td><td class="num">${n(rows.reduce((s, r) => s + r.published, 0))}</td>${dests
    .map((dst) => cell(rows.reduce((acc, r) => ({ delivered: acc.delivered + (r.destinations[dst]?.delivered ?? 0), heldOut: acc.heldOut + (r.destinations[dst]?.heldOut ?? 0) }), { delivered: 0, heldOut: 0 })))
    .join('')}</tr>`;
  return (
    `<section id="audiences"><h2>Audience sizes by segment and destination</h2><table id="audience-table"><thead><tr><th>Segment</th><th>Published</th>${dests.map((dst) => `<th>${escapeXml(dst)}</th>`).join('')}</tr></thead>` +
    `<tbody>${body}${total}</tbody></table><p class="footnote">People each destination received in this run, per segment; "held out" are control-group people the destination did not receive, so lift can be measured.</p></section>`
  );
}

export function renderRunReport(d: RunReportData): string {
  const counts = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const r of d.gate.results) counts[shownStatus(r)]++;
  const meta = [
    ['pipeline', d.pipeline],
    ['run status', d.runStatus ?? 'unknown'],
    ['model', d.model ?? 'unknown'],
    ['snapshot', d.snapshotId ?? '—'],
    ['baseline run', d.baselineRunId ?? 'none'],
    ['generated', d.generatedAt],
  ]
    .map(([k, v]) => `${k} <code>${escapeXml(v!)}</code>`)
    .join(' · ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Scoreflow run ${escapeXml(d.runId)}</title><style>${CSS}</style></head>
<body>
<header><h1>Run ${escapeXml(d.runId)} <span class="badge ${d.gate.status}">gate ${escapeXml(d.gate.status.replace('_', ' '))}</span></h1>
<p class="meta">${meta}</p>
<p class="meta">${d.gate.results.length} gate results: ${counts.fail} fail, ${counts.warn} warn, ${counts.pass} pass, ${counts.skip} skipped (nothing to compare with yet).</p></header>
${scoreSection(d)}
${psiSection(d)}
${audienceSection(d)}
${ownershipSection(d)}
${funnelSection(d)}
${verificationSection(d)}
${gateSection(d)}
</body></html>
`;
}
