/** Volume change: |current - previous| / previous of the entities scored, vs the previous cycle. */
import type { GateConfig } from '../../contracts/gate-config.ts';
import type { GateResult } from '../../contracts/gate-report.ts';
import { measuredGate, unmeasuredGate } from './judge-threshold.ts';

export function relativeChange(current: number, previous: number): number {
  if (previous === 0) return current === 0 ? 0 : Number.POSITIVE_INFINITY;
  return Math.abs(current - previous) / previous;
}

export function volumeChangeGate(volume: { current: number; previous: number | null; previousRunId?: string | null }, t: GateConfig['volumeChange']): GateResult {
  if (volume.previous === null) return unmeasuredGate('volumeChange', 'scored', t, `No previous cycle to compare volume against; ${volume.current} entities scored.`);
  const of = volume.previousRunId ? ` (run ${volume.previousRunId})` : '';
  return measuredGate({
    gate: 'volumeChange',
    subject: 'scored',
    what: 'Relative change in entities scored vs the previous cycle',
    value: relativeChange(volume.current, volume.previous),
    threshold: t,
    context: `(${volume.previous}${of} → ${volume.current}.)`,
  });
}
