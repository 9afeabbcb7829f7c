import { describe, expect, it } from 'vitest';
import { GateConfig } from '../../contracts/gate-config.ts';
import { contractViolationsGate } from '../../activities/gates/contract-violations.ts';

const t = GateConfig.parse({}).contractViolations;

describe('contractViolationsGate', () => {
  it('fails when more than 1% of entities violate a contract', () => {
    expect(contractViolationsGate({ violations: 25, total: 1000 }, t)).toMatchObject({ gate: 'contractViolations', status: 'fail', value: 0.025 });
  });
  it('passes with no violations and warns on a trickle', () => {
    expect(contractViolationsGate({ violations: 0, total: 1000 }, t)).toMatchObject({ status: 'pass', value: 0 });
    expect(contractViolationsGate({ violations: 5, total: 1000 }, t).status).toBe('warn');
  });
});
