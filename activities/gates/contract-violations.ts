/** Contract violations: share of the run's entities quarantined at a contract boundary. */
import type { GateConfig } from '../../contracts/gate-config.ts';
import type { GateResult } from '../../contracts/gate-report.ts';
import { measuredGate } from './judge-threshold.ts';

export function contractViolationsGate(c: { violations: number; total: number }, t: GateConfig['contractViolations']): GateResult {
  return measuredGate({
    gate: 'contractViolations',
    subject: '',
    what: 'Share of entities violating a contract',
    value: c.total === 0 ? (c.violations > 0 ? 1 : 0) : c.violations / c.total,
    threshold: t,
    context: `(${c.violations} of ${c.total}; see contract_quarantine for paths and reasons.)`,
  });
}
