import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ContractDefinitionError, defineContract, expiresAtFor, reviseContract } from '../../contracts/contract.ts';
import { activationRecordContract, CANONICAL_CONTRACT_NAME, CANONICAL_CONTRACT_VERSION } from '../../contracts/canonical-record.ts';
import { ALL_CONTRACTS, getContract } from '../../contracts/registry.ts';

const ok = {
  name: 'toy',
  version: '1.0.0',
  owner: 'team-toy',
  description: 'A toy.',
  freshness: { cadence: 'PT15M', maxAgeHours: 24 },
  changelog: [{ version: '1.0.0', date: '2026-11-28', changes: ['First.'] }],
  schema: z.object({ id: z.string() }),
};

describe('defineContract', () => {
  it('returns a frozen contract with defaults filled in', () => {
    const c = defineContract(ok);
    expect(c).toMatchObject({ name: 'toy', version: '1.0.0', status: 'active', domain: 'activation', deprecations: [] });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it.each([
    ['a non-semver version', { version: '1.0' }, /version must be semver/],
    ['a cadence that is not an ISO duration', { freshness: { cadence: '15m', maxAgeHours: 24 } }, /ISO 8601 duration/],
    ['a non-positive maxAgeHours', { freshness: { cadence: 'PT15M', maxAgeHours: 0 } }, /maxAgeHours/],
    ['no changelog entry for the version', { version: '1.1.0' }, /no entry for 1\.1\.0/],
    ['a changelog entry newer than the version', { changelog: [...ok.changelog, { version: '2.0.0', date: '2026-12-01', changes: ['x'] }] }, /mentions 2\.0\.0/],
    ['two changelog entries for one version', { changelog: [...ok.changelog, ...ok.changelog] }, /two entries for 1\.0\.0/],
    ['a bad removal date', { deprecations: [{ field: 'id', removal_date: 'soon' }] }, /removal_date is YYYY-MM-DD/],
    ['a camelCase name', { name: 'activationRecord' }, /snake_case/],
  ])('refuses %s', (_label, patch, message) => {
    expect(() => defineContract({ ...ok, ...patch })).toThrow(ContractDefinitionError);
    expect(() => defineContract({ ...ok, ...patch })).toThrow(message);
  });

  it('refuses declared score semantics whose range does not fit the kind', () => {
    const score = activationRecordContract.semantics.score!;
    expect(() => defineContract({ ...ok, semantics: { score: { ...score, meaning: { kind: 'percentile', population: 'all' } } } })).toThrow(/a percentile score ranges over \[1, 100\]/);
  });

  it('revises a contract into its next version with a changelog entry', () => {
    const next = reviseContract(defineContract(ok), { version: '1.1.0', date: '2026-12-01', changes: ['More.'], description: 'A bigger toy.' });
    expect(next.version).toBe('1.1.0');
    expect(next.description).toBe('A bigger toy.');
    expect(next.changelog.map((e) => e.version)).toEqual(['1.0.0', '1.1.0']);
  });
});

describe('the contract registry', () => {
  it('holds one contract per export object and the canonical record', () => {
    expect(ALL_CONTRACTS.map((c) => c.name).sort()).toEqual([
      'activation_record', 'compliance', 'decision_rationale', 'eligibility', 'identity', 'measurement', 'metadata', 'recommendations', 'score', 'segments',
    ]);
    expect(getContract(CANONICAL_CONTRACT_NAME).version).toBe(CANONICAL_CONTRACT_VERSION);
    expect(() => getContract('nope')).toThrow(/no contract named "nope"/);
  });

  it('declares the activation record score as a 7-day purchase probability with the Target clear sentinel', () => {
    expect(activationRecordContract.semantics.score).toMatchObject({
      path: 'score', meaning: { kind: 'probability', outcome: 'purchase', horizon_days: 7 }, range: [0, 1],
      clear_sentinel: { value: '__sf_cleared__' },
    });
    expect(getContract('score').semantics.score?.clear_sentinel.rule).toBe('An empty value never clears a Target attribute; removals send the sentinel __sf_cleared__.');
  });
});

describe('expiresAtFor', () => {
  it('adds maxAgeHours to scored_at, in UTC', () => {
    expect(expiresAtFor(activationRecordContract, '2026-11-28T10:00:00Z')).toBe('2026-11-29T10:00:00.000Z');
    expect(expiresAtFor({ freshness: { cadence: 'PT1H', maxAgeHours: 1.5 } }, new Date('2026-11-28T23:00:00+02:00'))).toBe('2026-11-28T22:30:00.000Z');
  });

  it('refuses a scored_at that is not a timestamp', () => {
    expect(() => expiresAtFor(activationRecordContract, 'yesterday')).toThrow(RangeError);
  });
});
