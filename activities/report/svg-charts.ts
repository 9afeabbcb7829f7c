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
