import { describe, expect, it } from 'vitest';
import { GateConfig } from '../../contracts/gate-config.ts';
import { FEATURE_NAMES } from '../../contracts/feature-set.ts';
import { requiredColumnsGate } from '../../activities/gates/required-columns.ts';

const cfg = GateConfig.parse({}).requiredColumns;

describe('requiredColumnsGate', () => {
  it('fails when a required column is missing and names it', () => {
    const r = requiredColumnsGate(FEATURE_NAMES.filter((f) => f !== 'monetary'), cfg);
    expect(r).toMatchObject({ gate: 'requiredColumns', status: 'fail', value: 1, failAt: 0 });
    expect(r.detail).toContain('Missing: monetary');
  });
  it('passes when every required column is present (extra columns are fine)', () => {
    const r = requiredColumnsGate([...FEATURE_NAMES, 'extra'], cfg);
    expect(r).toMatchObject({ status: 'pass', value: 0 });
  });
});
