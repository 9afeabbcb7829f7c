/** Required columns: every declared column is present in the staged rows. Value = number missing. */
import type { GateConfig } from '../../contracts/gate-config.ts';
import type { GateResult } from '../../contracts/gate-report.ts';
import { measuredGate } from './judge-threshold.ts';

export function missingColumns(present: Iterable<string>, required: readonly string[]): string[] {
  const have = new Set(present);
  return required.filter((c) => !have.has(c));
}

export function requiredColumnsGate(present: Iterable<string>, cfg: GateConfig['requiredColumns']): GateResult {
  const missing = missingColumns(present, cfg.columns);
  return measuredGate({
    gate: 'requiredColumns',
    subject: '',
    what: `Number of required columns missing (of ${cfg.columns.length})`,
    value: missing.length,
    threshold: cfg,
    context: missing.length ? `Missing: ${missing.join(', ')}; re-extract features with the current feature set.` : undefined,
  });
}
