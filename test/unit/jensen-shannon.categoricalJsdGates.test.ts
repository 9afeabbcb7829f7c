import { describe, expect, it } from 'vitest';
import { GateConfig } from '../../contracts/gate-config.ts';
import { categoricalJsdGates } from '../../activities/gates/jensen-shannon.ts';

const t = GateConfig.parse({}).categoricalJsd;

describe('categoricalJsdGates', () => {
  it('fails when the segment mix changed a lot', () => {
    const [r] = categoricalJsdGates({ segment: { baseline: { high_intent: 100, warm: 300, cold: 600 }, current: { high_intent: 700, warm: 200, cold: 100 } } }, t, 'run-a');
    expect(r).toMatchObject({ gate: 'categoricalJsd', subject: 'segment', status: 'fail', failAt: 0.2 });
    expect(r!.value!).toBeGreaterThan(0.2);
    expect(r!.detail).toMatch(/Baseline: cold 60%, high_intent 10%, warm 30%; now: cold 10%, high_intent 70%, warm 20%/);
  });
  it('passes when the mix is stable, and reports no baseline as not measured', () => {
    const results = categoricalJsdGates(
      { segment: { baseline: { warm: 300, cold: 700 }, current: { warm: 310, cold: 690 } }, eligible: null },
      t,
    );
    expect(results.find((r) => r.subject === 'segment')!.status).toBe('pass');
    expect(results.find((r) => r.subject === 'eligible')).toMatchObject({ status: 'pass', value: null });
  });
});
