import { describe, expect, it } from 'vitest';
import { validateAgainstContract, dottedPath } from '../../contracts/validate-record.ts';
import { ALL_CONTRACTS } from '../../contracts/registry.ts';
import { activationRecordContract } from '../../contracts/canonical-record.ts';
import { loadFixtures } from './contracts.fixtures.ts';

describe('validateAgainstContract on the golden fixtures', () => {
  for (const contract of ALL_CONTRACTS) {
    const fx = loadFixtures(contract.name, contract.version);

    it(`${contract.name} ${contract.version}: has valid and invalid fixtures, each invalid one with an expected path`, () => {
      expect(fx.valid.length).toBeGreaterThanOrEqual(2);
      expect(fx.invalid.length).toBeGreaterThanOrEqual(1);
      for (const f of [...fx.invalid, ...fx.quarantine]) expect(f.expectedPath, f.file).toBeTypeOf('string');
    });

    it(`${contract.name} ${contract.version}: zod accepts the valid fixtures and the contract passes them`, () => {
      for (const f of fx.valid) {
        expect(contract.schema.safeParse(f.data).success, f.file).toBe(true);
        expect(validateAgainstContract(contract, f.data), f.file).toEqual({ ok: true });
      }
    });

    it(`${contract.name} ${contract.version}: rejects the invalid fixtures at the expected path`, () => {
      for (const f of fx.invalid) {
        expect(contract.schema.safeParse(f.data).success, f.file).toBe(false);
        const r = validateAgainstContract(contract, f.data);
        expect(r.ok, f.file).toBe(false);
        if (r.ok) continue;
        expect(r.issues.map((i) => i.path), f.file).toContain(f.expectedPath);
        for (const i of r.issues) expect(i.reason.length, f.file).toBeGreaterThan(0);
      }
    });

    it(`${contract.name} ${contract.version}: quarantines schema-valid records that break the declared score semantics`, () => {
      for (const f of fx.quarantine) {
        expect(contract.schema.safeParse(f.data).success, `${f.file} is schema-valid`).toBe(true);
        const r = validateAgainstContract(contract, f.data);
        expect(r.ok, f.file).toBe(false);
        if (!r.ok) expect(r.issues.map((i) => i.path), f.file).toContain(f.expectedPath);
      }
    });
  }

  it('names the declared and the found semantics without echoing identifiers', () => {
    const { quarantine } = loadFixtures('activation_record', '1.0.0');
    const percentile = quarantine.find((f) => f.file === 'quarantine-score-percentile.json')!;
    const r = validateAgainstContract(activationRecordContract, percentile.data);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const kind = r.issues.find((i) => i.path === 'score.semantics.kind')!;
    expect(kind.reason).toContain('"probability"');
    expect(kind.reason).toContain('"percentile"');
    expect(r.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['score.range']));
    expect(JSON.stringify(r.issues)).not.toContain('3145729871023344512');
  });

  it('rejects a non-object with a root path', () => {
    const r = validateAgainstContract(activationRecordContract, 'not a record');
    expect(r).toEqual({ ok: false, issues: [{ path: '(root)', reason: expect.any(String) }] });
  });
});

describe('dottedPath', () => {
  it('joins keys with dots and indices with brackets', () => {
    expect(dottedPath(['recommendations', 'items', 0, 'score'])).toBe('recommendations.items[0].score');
    expect(dottedPath([0, 'rule'])).toBe('[0].rule');
    expect(dottedPath([])).toBe('(root)');
  });
});
