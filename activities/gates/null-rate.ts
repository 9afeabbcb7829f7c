/** Null rate per feature: the share of rows where a feature is null, undefined or NaN. */
import type { GateConfig } from '../../contracts/gate-config.ts';
import type { GateResult } from '../../contracts/gate-report.ts';
import { measuredGate, unmeasuredGate } from './judge-threshold.ts';

export interface NullCount {
  nulls: number;
  total: number;
}

export function nullRates(rows: ReadonlyArray<Record<string, unknown>>, features: readonly string[]): Record<string, NullCount> {
  const out: Record<string, NullCount> = {};
  for (const f of features) {
    let nulls = 0;
    for (const r of rows) {
      const v = r[f];
      if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) nulls++;
    }
    out[f] = { nulls, total: rows.length };
  }
  return out;
}

export function featureNullRateGates(counts: Record<string, NullCount>, cfg: GateConfig['featureNullRate']): GateResult[] {
  return cfg.features.map((f) => {
    const t = cfg.perFeature[f] ?? cfg;
    const c = counts[f];
    if (!c) return unmeasuredGate('featureNullRate', f, t, `Feature ${f} is not in the snapshot, so its null rate was not measured; the requiredColumns gate reports missing columns.`);
    if (c.total === 0) return unmeasuredGate('featureNullRate', f, t, `No rows in the snapshot; null rate of ${f} not measured.`);
    return measuredGate({ gate: 'featureNullRate', subject: f, what: `Null rate of feature ${f}`, value: c.nulls / c.total, threshold: t, context: `(${c.nulls} of ${c.total} rows.)` });
  });
}
