/** Destination dry run: share of rows a destination's transform + validate refused, per destination. */
import type { GateConfig } from '../../contracts/gate-config.ts';
import type { GateResult } from '../../contracts/gate-report.ts';
import { measuredGate } from './judge-threshold.ts';

export interface DryRunOutcome {
  destination: string;
  rows: number;
  invalid: number;
  /** Invalid rows by reason, for the sentence. */
  reasons?: Record<string, number>;
}

export function destinationDryRunGates(outcomes: readonly DryRunOutcome[], t: GateConfig['destinationDryRun']): GateResult[] {
  return outcomes.map((o) => {
    const reasons = Object.entries(o.reasons ?? {})
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([r, n]) => `${r} ${n}`)
      .join(', ');
    return measuredGate({
      gate: 'destinationDryRun',
      subject: o.destination,
      what: `Share of rows refused in the ${o.destination} dry run`,
      value: o.rows === 0 ? 0 : o.invalid / o.rows,
      threshold: t,
      context: `(${o.invalid} of ${o.rows}${reasons ? `; ${reasons}` : ''}.)`,
    });
  });
}
