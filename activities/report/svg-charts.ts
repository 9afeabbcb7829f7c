/**
 * Inline SVG charts for the run report: plain strings, no scripts, no fonts, no network.
 * Every text that reaches the markup goes through escapeXml.
 */

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function n(x: number): string {
  return String(Math.round(x * 100) / 100);
}

function pct(x: number): string {
  const v = x * 100;
  return `${v === 0 ? 0 : Number(v.toPrecision(v >= 10 ? 3 : 2))}%`;
}

/** A tidy axis maximum at or above x: 1, 2, 2.5 or 5 times a power of ten. */
export function niceMax(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

export const STATUS_COLOURS = { pass: '#1a7f37', warn: '#bf8700', fail: '#cf222e', none: '#8c959f' } as const;

export interface CompareBarsOptions {
  title: string;
  labels: string[];
  /** Shares (0..1) per bin. */
  current: number[];
  baseline: number[] | null;
  xLabel: string;
  width?: number;
  height?: number;
}

/** Baseline (grey, full width) overlaid with the current run (blue, narrower) per bin. */
export function compareBarsSvg(o: CompareBarsOptions): string {
  const width = o.width ?? 720;
  const height = o.height ?? 260;
  const m = { l: 48, r: 16, t: 30, b: 46 };
  const plotW = width - m.l - m.r;
  const plotH = height - m.t - m.b;
  const k = o.labels.length;
  const bw = k ? plotW / k : plotW;
  const top = niceMax(Math.max(0, ...o.current, ...(o.baseline ?? [])) * 1.05);
  const y = (v: number) => m.t + plotH - (v / top) * plotH;
  const parts: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const v = (top * i) / 4;
    parts.push(`<line x1="${m.l}" x2="${width - m.r}" y1="${n(y(v))}" y2="${n(y(v))}" stroke="#d0d7de" stroke-width="1"/>`);
    parts.push(`<text x="${m.l - 6}" y="${n(y(v) + 4)}" text-anchor="end" class="tick">${pct(v)}</text>`);
  }
  const step = k > 12 ? Math.ceil(k / 10) : 1;
  o.labels.forEach((label, i) => {
    const x = m.l + i * bw;
    const b = o.baseline?.[i];
    if (b !== undefined) parts.push(`<rect class="bar-baseline" x="${n(x + 1)}" y="${n(y(b))}" width="${n(Math.max(bw - 2, 1))}" height="${n(m.t + plotH - y(b))}" fill="#c9ced6"><title>${escapeXml(`${label}: baseline ${pct(b)}`)}</title></rect>`);
    const c = o.current[i] ?? 0;
    parts.push(`<rect class="bar-current" x="${n(x + bw * 0.2)}" y="${n(y(c))}" width="${n(Math.max(bw * 0.6, 1))}" height="${n(m.t + plotH - y(c))}" fill="#0969da" fill-opacity="0.8"><title>${escapeXml(`${label}: this run ${pct(c)}`)}</title></rect>`);
    if (i % step === 0) parts.push(`<text x="${n(x + bw / 2)}" y="${m.t + plotH + 14}" text-anchor="middle" class="tick">${escapeXml(label)}</text>`);
  });
  parts.push(`<line x1="${m.l}" x2="${width - m.r}" y1="${m.t + plotH}" y2="${m.t + plotH}" stroke="#57606a"/>`);
  parts.push(`<text x="${m.l + plotW / 2}" y="${height - 8}" text-anchor="middle" class="axis">${escapeXml(o.xLabel)}</text>`);
  const legendX = width - m.r - 220;
  parts.push(`<rect x="${legendX}" y="8" width="12" height="12" fill="#0969da" fill-opacity="0.8"/><text x="${legendX + 16}" y="18" class="tick">this run</text>`);
  if (o.baseline) parts.push(`<rect x="${legendX + 90}" y="8" width="12" height="12" fill="#c9ced6"/><text x="${legendX + 106}" y="18" class="tick">baseline</text>`);
  else parts.push(`<text x="${legendX + 90}" y="18" class="tick">(no baseline)</text>`);
  return `<svg class="chart" role="img" aria-label="${escapeXml(o.title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"><title>${escapeXml(o.title)}</title>${parts.join('')}</svg>`;
}

export interface BarItem {
  label: string;
  value: number | null;
  status: 'pass' | 'warn' | 'fail';
}

/** Horizontal bars (PSI per feature) with dashed warn and fail lines. */
export function thresholdBarsSvg(o: { title: string; items: BarItem[]; warnAt: number; failAt: number; width?: number }): string {
  const width = o.width ?? 720;
  const row = 22;
  const m = { l: 140, r: 64, t: 28, b: 24 };
  const height = m.t + m.b + Math.max(o.items.length, 1) * row;
  const plotW = width - m.l - m.r;
  // The axis stops at 2.5× the fail threshold so the threshold lines stay readable; longer bars are clipped with an arrow.
  const max = niceMax(Math.min(Math.max(o.failAt * 1.4, ...o.items.map((i) => i.value ?? 0)) * 1.05, o.failAt * 2.5));
  const x = (v: number) => m.l + (Math.min(v, max) / max) * plotW;
  const parts: string[] = [];
  o.items.forEach((it, i) => {
    const yy = m.t + i * row;
    parts.push(`<text x="${m.l - 8}" y="${yy + 15}" text-anchor="end" class="tick">${escapeXml(it.label)}</text>`);
    if (it.value === null) {
      parts.push(`<text x="${m.l + 4}" y="${yy + 15}" class="tick muted">not measured</text>`);
      return;
    }
    const w = Math.max(x(it.value) - m.l, 1);
    const clipped = it.value > max;
    parts.push(`<rect class="bar-psi" x="${m.l}" y="${yy + 4}" width="${n(w)}" height="${row - 8}" fill="${STATUS_COLOURS[it.status]}"><title>${escapeXml(`${it.label}: PSI ${it.value.toFixed(4)} (${it.status})`)}</title></rect>`);
    if (clipped) parts.push(`<path d="M${n(m.l + w)} ${yy + 2} l8 ${row / 2 - 2} l-8 ${row / 2 - 2} z" fill="${STATUS_COLOURS[it.status]}"/>`);
    parts.push(`<text x="${n(m.l + w + (clipped ? 12 : 4))}" y="${yy + 15}" class="tick">${it.value.toFixed(3)}</text>`);
  });
  const bottom = height - m.b;
  for (const [v, colour, label, anchor, dx] of [
    [o.warnAt, STATUS_COLOURS.warn, `warn ${o.warnAt}`, 'end', -3],
    [o.failAt, STATUS_COLOURS.fail, `fail ${o.failAt}`, 'start', 3],
  ] as const) {
    parts.push(`<line class="threshold" x1="${n(x(v))}" x2="${n(x(v))}" y1="${m.t - 6}" y2="${bottom}" stroke="${colour}" stroke-width="1.5" stroke-dasharray="5 3"/>`);
    parts.push(`<text x="${n(x(v) + dx)}" y="${m.t - 10}" text-anchor="${anchor}" class="tick" style="fill:${colour}">${escapeXml(label)}</text>`);
  }
  parts.push(`<line x1="${m.l}" x2="${m.l + plotW}" y1="${bottom}" y2="${bottom}" stroke="#57606a"/>`);
  parts.push(`<text x="${m.l}" y="${bottom + 16}" class="tick">0</text><text x="${m.l + plotW}" y="${bottom + 16}" text-anchor="end" class="tick">${max}</text>`);
  return `<svg class="chart" role="img" aria-label="${escapeXml(o.title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"><title>${escapeXml(o.title)}</title>${parts.join('')}</svg>`;
}

export interface FunnelStep {
  label: string;
  count: number;
  colour: string;
}

/** One destination's funnel: a bar per stage, widths relative to the largest stage. */
export function funnelSvg(o: { title: string; steps: FunnelStep[]; width?: number }): string {
  const width = o.width ?? 520;
  const row = 24;
  const m = { l: 90, r: 70, t: 8, b: 8 };
  const height = m.t + m.b + o.steps.length * row;
  const plotW = width - m.l - m.r;
  const max = Math.max(1, ...o.steps.map((s) => s.count));
  const parts = o.steps.map((s, i) => {
    const yy = m.t + i * row;
    const w = s.count === 0 ? 0 : Math.max((s.count / max) * plotW, 2);
    const first = o.steps[0]?.count ?? 0;
    const share = first > 0 && i > 0 ? ` (${pct(s.count / first)})` : '';
    return (
      `<text x="${m.l - 8}" y="${yy + 16}" text-anchor="end" class="tick">${escapeXml(s.label)}</text>` +
      `<rect class="bar-funnel" x="${m.l}" y="${yy + 4}" width="${n(w)}" height="${row - 8}" fill="${s.colour}"><title>${escapeXml(`${s.label}: ${s.count}`)}</title></rect>` +
      `<text x="${n(m.l + w + 4)}" y="${yy + 16}" class="tick">${s.count}${share}</text>`
    );
  });
  return `<svg class="chart" role="img" aria-label="${escapeXml(o.title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"><title>${escapeXml(o.title)}</title>${parts.join('')}</svg>`;
}

/** Colours of the two holdout arms, shared by every lift chart. */
export const ARM_COLOURS = { control: '#6e7781', treatment: '#0969da' } as const;

/** A tidy step near span / target: 1, 2, 2.5 or 5 times a power of ten. */
function niceStep(span: number, target: number): number {
  const raw = span / target;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5]) if (m * p >= raw) return m * p;
  return 10 * p;
}

/**
 * An axis covering lo..hi and 0, with ends and ticks on multiples of a tidy step (about 4–6
 * intervals). Tick values are rounded to the step's precision, so they print cleanly.
 */
export function niceAxis(lo: number, hi: number): { min: number; max: number; ticks: number[] } {
  const a = Math.min(0, lo);
  const b = Math.max(0, hi);
  if (!(b > a)) return { min: -1, max: 1, ticks: [-1, -0.5, 0, 0.5, 1] };
  const step = niceStep(b - a, 5);
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 2);
  const round = (v: number) => Number(v.toFixed(digits)) + 0; // + 0 turns −0 into 0
  const min = round(Math.floor(a / step + 1e-9) * step);
  const max = round(Math.ceil(b / step - 1e-9) * step);
  const ticks: number[] = [];
  for (let v = min, i = 0; v <= max + step / 2 && i < 50; i++, v = min + i * step) ticks.push(round(v));
  return { min, max, ticks };
}

/** The ends of `niceAxis`. */
export function niceRange(lo: number, hi: number): [number, number] {
  const { min, max } = niceAxis(lo, hi);
  return [min, max];
}

export interface IntervalItem {
  label: string;
  /** null when the group has no estimate (not enough data); `note` says why. */
  estimate: number | null;
  lower: number | null;
  upper: number | null;
  /** Drawn in the fail colour, with the note, when the estimate must not be trusted. */
  untrustworthy?: boolean;
  note?: string;
}

/**
 * A forest plot: one row per item, a whisker from the interval's lower to upper end, a dot at the
 * estimate, and a dashed line at zero (no effect). Rows without an estimate say why instead.
 */
export function intervalChartSvg(o: { title: string; items: IntervalItem[]; xLabel: string; format: (v: number) => string; width?: number }): string {
  const width = o.width ?? 720;
  const row = 26;
  const m = { l: 170, r: 24, t: 16, b: 40 };
  const height = m.t + m.b + Math.max(o.items.length, 1) * row;
  const plotW = width - m.l - m.r;
  const finite = o.items.flatMap((i) => (i.estimate === null ? [] : [i.lower ?? i.estimate, i.upper ?? i.estimate, i.estimate]));
  const { min: lo, max: hi, ticks } = niceAxis(Math.min(0, ...finite), Math.max(0, ...finite));
  const x = (v: number) => m.l + ((v - lo) / (hi - lo)) * plotW;
  const bottom = height - m.b;
  const parts: string[] = [];
  for (const v of ticks) {
    parts.push(`<line x1="${n(x(v))}" x2="${n(x(v))}" y1="${m.t}" y2="${bottom}" stroke="#eaeef2" stroke-width="1"/>`);
    parts.push(`<text x="${n(x(v))}" y="${bottom + 14}" text-anchor="middle" class="tick">${escapeXml(o.format(v))}</text>`);
  }
  parts.push(`<line class="zero" x1="${n(x(0))}" x2="${n(x(0))}" y1="${m.t - 4}" y2="${bottom}" stroke="#57606a" stroke-width="1.2" stroke-dasharray="4 3"/>`);
  o.items.forEach((it, i) => {
    const yy = m.t + i * row + row / 2;
    parts.push(`<text x="${m.l - 8}" y="${yy + 4}" text-anchor="end" class="tick">${escapeXml(it.label)}</text>`);
    if (it.estimate === null || it.lower === null || it.upper === null) {
      parts.push(`<text class="tick muted no-estimate" x="${m.l + 4}" y="${yy + 4}">${escapeXml(it.note ?? 'not enough data')}</text>`);
      return;
    }
    const colour = it.untrustworthy ? STATUS_COLOURS.fail : ARM_COLOURS.treatment;
    const tip = `${it.label}: ${o.format(it.estimate)} [${o.format(it.lower)}, ${o.format(it.upper)}]${it.untrustworthy ? ' (untrustworthy)' : ''}`;
    parts.push(
      `<g class="interval${it.untrustworthy ? ' untrustworthy' : ''}"><title>${escapeXml(tip)}</title>` +
        `<line x1="${n(x(it.lower))}" x2="${n(x(it.upper))}" y1="${yy}" y2="${yy}" stroke="${colour}" stroke-width="2"/>` +
        `<line x1="${n(x(it.lower))}" x2="${n(x(it.lower))}" y1="${yy - 5}" y2="${yy + 5}" stroke="${colour}" stroke-width="2"/>` +
        `<line x1="${n(x(it.upper))}" x2="${n(x(it.upper))}" y1="${yy - 5}" y2="${yy + 5}" stroke="${colour}" stroke-width="2"/>` +
        `<circle class="estimate" cx="${n(x(it.estimate))}" cy="${yy}" r="4.5" fill="${colour}"/></g>`,
    );
    if (it.untrustworthy) parts.push(`<text x="${n(Math.min(x(it.upper) + 8, width - m.r))}" y="${yy + 4}" class="tick" style="fill:${STATUS_COLOURS.fail}">${escapeXml(it.note ?? 'untrustworthy')}</text>`);
  });
  parts.push(`<line x1="${m.l}" x2="${m.l + plotW}" y1="${bottom}" y2="${bottom}" stroke="#57606a"/>`);
  parts.push(`<text x="${m.l + plotW / 2}" y="${height - 6}" text-anchor="middle" class="axis">${escapeXml(o.xLabel)}</text>`);
  return `<svg class="chart" role="img" aria-label="${escapeXml(o.title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"><title>${escapeXml(o.title)}</title>${parts.join('')}</svg>`;
}

/**
 * Vertical bars from zero (negative values go down) with an interval whisker on each bar: uplift
 * by score decile. Bins without an estimate get a grey marker and their note in the tooltip.
 */
export function barsWithIntervalsSvg(o: { title: string; items: IntervalItem[]; xLabel: string; format: (v: number) => string; width?: number; height?: number }): string {
  const width = o.width ?? 720;
  const height = o.height ?? 280;
  const m = { l: 64, r: 16, t: 16, b: 46 };
  const plotW = width - m.l - m.r;
  const plotH = height - m.t - m.b;
  const k = Math.max(o.items.length, 1);
  const bw = plotW / k;
  const finite = o.items.flatMap((i) => (i.estimate === null ? [] : [i.lower ?? i.estimate, i.upper ?? i.estimate, i.estimate]));
  const { min: lo, max: hi, ticks } = niceAxis(Math.min(0, ...finite), Math.max(0, ...finite));
  const y = (v: number) => m.t + ((hi - v) / (hi - lo)) * plotH;
  const parts: string[] = [];
  for (const v of ticks) {
    parts.push(`<line x1="${m.l}" x2="${width - m.r}" y1="${n(y(v))}" y2="${n(y(v))}" stroke="#eaeef2" stroke-width="1"/>`);
    parts.push(`<text x="${m.l - 6}" y="${n(y(v) + 4)}" text-anchor="end" class="tick">${escapeXml(o.format(v))}</text>`);
  }
  o.items.forEach((it, i) => {
    const cx = m.l + i * bw + bw / 2;
    parts.push(`<text x="${n(cx)}" y="${m.t + plotH + 14}" text-anchor="middle" class="tick">${escapeXml(it.label)}</text>`);
    if (it.estimate === null || it.lower === null || it.upper === null) {
      parts.push(`<g class="no-estimate"><title>${escapeXml(`${it.label}: ${it.note ?? 'not enough data'}`)}</title><text x="${n(cx)}" y="${n(y(0) - 6)}" text-anchor="middle" class="tick muted">n/a</text></g>`);
      return;
    }
    const colour = it.untrustworthy ? STATUS_COLOURS.fail : ARM_COLOURS.treatment;
    const top = Math.min(y(it.estimate), y(0));
    const tip = `${it.label}: ${o.format(it.estimate)} [${o.format(it.lower)}, ${o.format(it.upper)}]${it.untrustworthy ? ' (untrustworthy)' : ''}`;
    parts.push(
      `<g class="bar-uplift${it.untrustworthy ? ' untrustworthy' : ''}"><title>${escapeXml(tip)}</title>` +
        `<rect x="${n(cx - bw * 0.3)}" y="${n(top)}" width="${n(Math.max(bw * 0.6, 1))}" height="${n(Math.max(Math.abs(y(it.estimate) - y(0)), 1))}" fill="${colour}" fill-opacity="0.55"/>` +
        `<line x1="${n(cx)}" x2="${n(cx)}" y1="${n(y(it.upper))}" y2="${n(y(it.lower))}" stroke="#1f2328" stroke-width="1.5"/>` +
        `<line x1="${n(cx - 5)}" x2="${n(cx + 5)}" y1="${n(y(it.upper))}" y2="${n(y(it.upper))}" stroke="#1f2328" stroke-width="1.5"/>` +
        `<line x1="${n(cx - 5)}" x2="${n(cx + 5)}" y1="${n(y(it.lower))}" y2="${n(y(it.lower))}" stroke="#1f2328" stroke-width="1.5"/></g>`,
    );
  });
  parts.push(`<line class="zero" x1="${m.l}" x2="${width - m.r}" y1="${n(y(0))}" y2="${n(y(0))}" stroke="#57606a" stroke-width="1.2"/>`);
  parts.push(`<text x="${m.l + plotW / 2}" y="${height - 8}" text-anchor="middle" class="axis">${escapeXml(o.xLabel)}</text>`);
  return `<svg class="chart" role="img" aria-label="${escapeXml(o.title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"><title>${escapeXml(o.title)}</title>${parts.join('')}</svg>`;
}

export interface LineSeries {
  name: string;
  colour: string;
  /** y per x, x ascending. */
  points: { x: number; y: number; tip?: string }[];
}

/** Step lines (cumulative series) with a marker per point and a legend. Values are shares (0..1). */
export function stepLinesSvg(o: { title: string; series: LineSeries[]; xLabel: string; yFormat: (v: number) => string; width?: number; height?: number }): string {
  const width = o.width ?? 720;
  const height = o.height ?? 260;
  const m = { l: 56, r: 16, t: 30, b: 46 };
  const plotW = width - m.l - m.r;
  const plotH = height - m.t - m.b;
  const xs = o.series.flatMap((s) => s.points.map((p) => p.x));
  const xMin = Math.min(0, ...xs);
  const xMax = Math.max(xMin + 1, ...xs);
  const top = niceMax(Math.max(0, ...o.series.flatMap((s) => s.points.map((p) => p.y))) * 1.05);
  const x = (v: number) => m.l + ((v - xMin) / (xMax - xMin)) * plotW;
  const y = (v: number) => m.t + plotH - (v / top) * plotH;
  const parts: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const v = (top * i) / 4;
    parts.push(`<line x1="${m.l}" x2="${width - m.r}" y1="${n(y(v))}" y2="${n(y(v))}" stroke="#eaeef2" stroke-width="1"/>`);
    parts.push(`<text x="${m.l - 6}" y="${n(y(v) + 4)}" text-anchor="end" class="tick">${escapeXml(o.yFormat(v))}</text>`);
  }
  const ticks = [...new Set(xs)].sort((a, b) => a - b);
  const every = ticks.length > 14 ? Math.ceil(ticks.length / 10) : 1;
  ticks.forEach((t, i) => {
    if (i % every === 0) parts.push(`<text x="${n(x(t))}" y="${m.t + plotH + 14}" text-anchor="middle" class="tick">${escapeXml(String(t))}</text>`);
  });
  o.series.forEach((s, si) => {
    if (s.points.length === 0) return;
    // Start at (xMin, 0): nothing has converted before the window opens.
    let d = `M${n(x(xMin))} ${n(y(0))}`;
    for (const p of s.points) d += ` H${n(x(p.x))} V${n(y(p.y))}`;
    parts.push(`<path class="series series-${si}" d="${d}" fill="none" stroke="${s.colour}" stroke-width="2"/>`);
    for (const p of s.points) parts.push(`<circle class="point" cx="${n(x(p.x))}" cy="${n(y(p.y))}" r="3" fill="${s.colour}"><title>${escapeXml(p.tip ?? `${s.name}: ${o.yFormat(p.y)}`)}</title></circle>`);
  });
  parts.push(`<line x1="${m.l}" x2="${width - m.r}" y1="${m.t + plotH}" y2="${m.t + plotH}" stroke="#57606a"/>`);
  parts.push(`<text x="${m.l + plotW / 2}" y="${height - 8}" text-anchor="middle" class="axis">${escapeXml(o.xLabel)}</text>`);
  o.series.forEach((s, si) => {
    const lx = width - m.r - 240 + si * 120;
    parts.push(`<rect x="${lx}" y="8" width="12" height="12" fill="${s.colour}"/><text x="${lx + 16}" y="18" class="tick">${escapeXml(s.name)}</text>`);
  });
  return `<svg class="chart" role="img" aria-label="${escapeXml(o.title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"><title>${escapeXml(o.title)}</title>${parts.join('')}</svg>`;
}
