/**
 * docs/ops/prometheus-alerts.yml: a Prometheus rule file (groups[].rules[] with alert, expr, for,
 * labels.severity, annotations.summary), every expression valid PromQL as far as a small checker can
 * tell (promtool is not available), and every metric it reads one the code registers.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { createOnlineMetrics } from '../../activities/online/online-metrics.ts';
import { createWorkerMetrics } from '../../workers/metrics.ts';
import { checkPromql } from '../helpers/promql-check.ts';

const FILE = new URL('../../docs/ops/prometheus-alerts.yml', import.meta.url);

interface Rule {
  alert?: string;
  record?: string;
  expr: unknown;
  for?: unknown;
  labels?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
}

/** Every series name the code registers: worker and decision-API registries, histograms with their _bucket/_sum/_count series. */
async function registeredSeries(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const registry of [createWorkerMetrics().registry, createOnlineMetrics().registry]) {
    for (const m of await registry.getMetricsAsJSON()) {
      names.add(m.name);
      if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(`${m.name}${s}`);
      if (String(m.type) === 'summary') for (const s of ['_sum', '_count']) names.add(`${m.name}${s}`);
    }
  }
  return names;
}

const doc = YAML.parse(readFileSync(FILE, 'utf8')) as { groups: { name: string; rules: Rule[] }[] };
const rules = doc.groups.flatMap((g) => g.rules);

describe('docs/ops/prometheus-alerts.yml', () => {
  it('is a Prometheus rule file: named groups of alerts with expr, for, labels.severity and annotations.summary', () => {
    expect(Object.keys(doc)).toEqual(['groups']);
    expect(doc.groups.length).toBeGreaterThan(0);
    const groupNames = doc.groups.map((g) => g.name);
    expect(new Set(groupNames).size).toBe(groupNames.length);
    for (const g of doc.groups) {
      expect(g.name, 'group name').toMatch(/^[a-z][a-z0-9-]*$/);
      expect(Array.isArray(g.rules) && g.rules.length > 0, `${g.name} has rules`).toBe(true);
      for (const r of g.rules) {
        const where = `${g.name}/${r.alert ?? '?'}`;
        expect(Object.keys(r).every((k) => ['alert', 'expr', 'for', 'labels', 'annotations', 'keep_firing_for'].includes(k)), `${where}: only rule keys`).toBe(true);
        expect(r.alert, where).toMatch(/^[A-Z][A-Za-z0-9]*$/);
        expect(typeof r.expr, `${where}: expr`).toBe('string');
        expect(String(r.for), `${where}: for`).toMatch(/^\d+(ms|s|m|h|d)$/);
        expect(['critical', 'warning', 'info'], `${where}: labels.severity`).toContain(r.labels?.severity);
        expect(typeof r.annotations?.summary === 'string' && (r.annotations.summary as string).length > 10, `${where}: annotations.summary`).toBe(true);
      }
    }
    const alerts = rules.map((r) => r.alert);
    expect(new Set(alerts).size, 'alert names are unique').toBe(alerts.length);
  });

  it('alerts on a stalled pipeline, failed gates and a match-rate decline', () => {
    const expr = (alert: string) => rules.find((r) => r.alert === alert)?.expr as string;
    expect(expr('ScoreflowPipelineStalled')).toMatch(/^time\(\) - max by \(pipeline\) \(scoreflow_last_success_timestamp_seconds\) > /);
    expect(expr('ScoreflowRunGateFailed')).toContain('scoreflow_gate_outcomes_total{gate="overall", status="fail"}');
    expect(expr('ScoreflowMatchRateDecline')).toContain('scoreflow_gate_outcomes_total{gate="matchRateDecline"');
  });

  it('every expression passes the PromQL checker and reads only metrics the code registers', async () => {
    const known = await registeredSeries();
    expect(known.has('scoreflow_last_success_timestamp_seconds')).toBe(true);
    expect(known.has('scoreflow_delivery_latency_seconds_bucket')).toBe(true);
    for (const r of rules) {
      const { problems, metrics } = checkPromql(r.expr as string);
      expect(problems, `${r.alert}: ${String(r.expr)}`).toEqual([]);
      expect(metrics.length, `${r.alert} reads a metric`).toBeGreaterThan(0);
      for (const m of metrics) expect(known.has(m), `${r.alert} reads ${m}, which no registry in the code registers`).toBe(true);
    }
  });

  it('labels it groups or filters by are labels those metrics have', async () => {
    const labelsOf = new Map<string, Set<string>>();
    for (const registry of [createWorkerMetrics().registry, createOnlineMetrics().registry]) {
      for (const m of await registry.getMetricsAsJSON()) {
        const labels = new Set<string>((registry.getSingleMetric(m.name) as unknown as { labelNames?: string[] }).labelNames ?? []);
        if (String(m.type) === 'histogram') labels.add('le');
        for (const n of [m.name, `${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`]) labelsOf.set(n, labels);
      }
    }
    for (const r of rules) {
      const expr = r.expr as string;
      for (const sel of expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}/g)) {
        const have = labelsOf.get(sel[1]!)!;
        for (const l of sel[2]!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)) expect(have.has(l[1]!), `${r.alert}: ${sel[1]} has no label ${l[1]}`).toBe(true);
      }
      const used = new Set<string>(checkPromql(expr).metrics.flatMap((m) => [...(labelsOf.get(m) ?? [])]));
      for (const by of expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)) {
        for (const l of by[1]!.split(',').map((x) => x.trim()).filter(Boolean)) expect(used.has(l), `${r.alert}: grouped by ${l}, which its metrics do not carry`).toBe(true);
      }
    }
  });
});

describe('checkPromql', () => {
  it('accepts valid PromQL', () => {
    for (const ok of [
      'up',
      'time() - max by (pipeline) (x_seconds) > 2 * 3600',
      'sum by (a, b) (increase(x_total{a="1", b!~"x|y"}[30m])) > 0',
      'histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m]))) > 0.05',
      'sum(rate(x_total{source="fallback"}[10m])) / clamp_min(sum(rate(x_total[10m])), 1e-9) > 0.2',
      'max_over_time(x[1h:5m]) >= -1',
      'a > bool 1',
    ]) {
      expect(checkPromql(ok).problems, ok).toEqual([]);
    }
    expect(checkPromql('sum(rate(a_total{x="1"}[5m])) / sum(b_total)').metrics).toEqual(['a_total', 'b_total']);
  });

  it('names what is wrong with invalid PromQL', () => {
    const first = (e: string) => checkPromql(e).problems[0] ?? '';
    expect(first('sum(rate(x[5m])')).toMatch(/unclosed "\("/);
    expect(first('sum(rate(x[5m])))')).toMatch(/unbalanced "\)"/);
    expect(first('rate(x{a="1"]')).toMatch(/unbalanced "\]"|unclosed/);
    expect(first('x{1a="b"}')).toMatch(/invalid label name/);
    expect(first('x{a=b}')).toMatch(/quoted value/);
    expect(first('x{a~"b"}')).toMatch(/unexpected character "~"|needs =/);
    expect(first('rate(x[5 minutes])')).toMatch(/range needs a duration|missing operator/);
    expect(first('rates(x[5m])')).toBe('unknown function "rates"');
    expect(first('x > > 1')).toMatch(/no (left|right) operand/);
    expect(first('x >')).toMatch(/no right operand/);
    expect(first('sum by pipeline (x)')).toMatch(/parenthesized label list/);
    expect(first('x{a=~"("}')).toMatch(/invalid regular expression/);
    expect(first('x 1')).toMatch(/missing operator|unexpected/);
    expect(first('')).toBe('empty expression');
  });
});
