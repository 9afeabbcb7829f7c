import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkContracts } from '../../activities/contracts/check.ts';
import { activationRecordContract, CanonicalRecord, DecisionRationale, Identity, RecordMetadata } from '../../contracts/canonical-record.ts';
import { CONSUMERS, type ConsumerRegistration } from '../../contracts/consumers.ts';
import { defineContract, reviseContract, type DataContract } from '../../contracts/contract.ts';
import { ALL_CONTRACTS } from '../../contracts/registry.ts';
import { RELEASED_DIR } from './contracts.fixtures.ts';

const TODAY = '2026-11-28';

/** The repository's contracts with the activation record swapped for an in-memory revision. */
function withRecord(record: DataContract): DataContract[] {
  return ALL_CONTRACTS.map((c) => (c.name === record.name ? record : c));
}

function consumersAccepting(range: string): ConsumerRegistration[] {
  return CONSUMERS.map((c) => ({ ...c, versionRange: range }));
}

function check(record: DataContract, consumers: readonly ConsumerRegistration[] = CONSUMERS) {
  return checkContracts({ workingContracts: withRecord(record), releasedDir: RELEASED_DIR, consumers, today: TODAY });
}

const withoutCustomerId = CanonicalRecord.extend({ identity: Identity.omit({ customer_id: true }) });

describe('checkContracts', () => {
  it('passes on the tree: every working contract equals its released snapshot and every consumer is satisfied', async () => {
    const r = await checkContracts({ workingContracts: ALL_CONTRACTS, releasedDir: RELEASED_DIR, consumers: CONSUMERS, today: TODAY });
    expect(r.failures).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.changes).toEqual([]);
    expect(r.contracts.map((c) => c.contract)).toContain('activation_record');
    expect(r.contracts.every((c) => c.released === c.working && c.requiredBump === 'none')).toBe(true);
    expect(r.changelog).toContain('No changes');
  });

  it('fails when a field a consumer reads is removed, naming the consumer, the field and what to do', async () => {
    const r = await check(reviseContract(activationRecordContract, { version: '1.1.0', date: TODAY, changes: ['Drop identity.customer_id'], schema: withoutCustomerId }));
    expect(r.ok).toBe(false);
    expect(r.changes).toContainEqual(expect.objectContaining({ contract: 'activation_record', path: 'identity.customer_id', kind: 'breaking', change: 'field_removed' }));
    const gcm = r.failures.find((f) => f.includes('google-customer-match'));
    expect(gcm).toBeDefined();
    expect(gcm).toContain('identity.customer_id');
    expect(gcm).toContain('removes');
    expect(gcm).toMatch(/deprecate it|stop reading it/);
    for (const consumer of ['meta-custom-audiences', 'file-export']) expect(r.failures.some((f) => f.includes(consumer) && f.includes('identity.customer_id'))).toBe(true);
    expect(r.failures.some((f) => f.includes('target-bulk-profile'))).toBe(false);
    // and the bump is too small for a breaking change
    expect(r.failures.some((f) => f.includes('1.0.0 → 1.1.0') && f.includes('2.0.0'))).toBe(true);
  });

  it('passes an optional field added with a minor bump, reports it as minor and puts it in the changelog', async () => {
    const schema = CanonicalRecord.extend({ metadata: RecordMetadata.extend({ region: z.string().min(1).optional().describe('Serving region') }) });
    const r = await check(reviseContract(activationRecordContract, { version: '1.1.0', date: TODAY, changes: ['Add optional metadata.region'], schema }));
    expect(r.failures).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.changes).toEqual([expect.objectContaining({ path: 'metadata.region', kind: 'non-breaking', change: 'field_added_optional', level: 'minor' })]);
    expect(r.contracts.find((c) => c.contract === 'activation_record')).toMatchObject({ released: '1.0.0', working: '1.1.0', requiredBump: 'minor' });
    expect(r.changelog).toContain('activation_record 1.0.0 → 1.1.0');
    expect(r.changelog).toContain('`metadata.region` field added optional');
    expect(r.warnings.some((w) => w.includes('activation_record 1.1.0 is not released yet'))).toBe(true);
  });

  it('fails the same optional addition without a bump, and with only a patch bump', async () => {
    const schema = CanonicalRecord.extend({ metadata: RecordMetadata.extend({ region: z.string().optional() }) });
    const same = defineContract({ ...activationRecordContract, deprecations: [], changelog: [...activationRecordContract.changelog], schema });
    const r1 = await check(same);
    expect(r1.ok).toBe(false);
    expect(r1.failures.join('\n')).toMatch(/activation_record 1\.0\.0 differs from its released snapshot .*bump to 1\.1\.0/);
    const r2 = await check(reviseContract(activationRecordContract, { version: '1.0.1', date: TODAY, changes: ['Add region'], schema }));
    expect(r2.ok).toBe(false);
    expect(r2.failures.join('\n')).toContain('need at least 1.1.0');
  });

  it('fails a probability → percentile change for the consumer that thresholds a probability, even with a major bump', async () => {
    const base = activationRecordContract.semantics.score!;
    const percentile = reviseContract(activationRecordContract, {
      version: '2.0.0', date: TODAY, changes: ['score.value becomes a percentile'],
      semantics: { ...activationRecordContract.semantics, score: { ...base, meaning: { kind: 'percentile', population: 'active_visitors_30d' }, range: [1, 100] } },
    });
    const r = await check(percentile, consumersAccepting('^1.0.0 || ^2.0.0'));
    expect(r.ok).toBe(false);
    expect(r.changes).toContainEqual(expect.objectContaining({ path: 'score.semantics.kind', kind: 'breaking', change: 'semantics_changed' }));
    expect(r.changes).toContainEqual(expect.objectContaining({ path: 'score.range', kind: 'breaking' }));
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]).toContain('consumer target-bulk-profile assumes score.semantics kind = "probability"');
    expect(r.failures[0]).toContain('percentile within active_visitors_30d');
    expect(r.failures[0]).toContain('contracts/consumers.ts');
  });

  it('fails a breaking change without a major bump even when no consumer reads the field', async () => {
    const schema = CanonicalRecord.extend({ rationale: DecisionRationale.extend({ top_features: DecisionRationale.shape.top_features.max(5) }) });
    const r = await check(reviseContract(activationRecordContract, { version: '1.1.0', date: TODAY, changes: ['At most 5 top features'], schema }));
    expect(r.changes).toEqual([expect.objectContaining({ path: 'rationale.top_features', kind: 'breaking', change: 'range_narrowed' })]);
    expect(r.ok).toBe(false);
    expect(r.failures).toEqual([expect.stringContaining('has breaking changes (rationale.top_features range_narrowed) but goes 1.0.0 → 1.1.0 (minor): major changes need at least 2.0.0')]);
  });

  it('passes that breaking change with a major bump once consumers accept the new major, and fails while they do not', async () => {
    const schema = CanonicalRecord.extend({ rationale: DecisionRationale.extend({ top_features: DecisionRationale.shape.top_features.max(5) }) });
    const major = reviseContract(activationRecordContract, { version: '2.0.0', date: TODAY, changes: ['At most 5 top features'], schema });
    const accepted = await check(major, consumersAccepting('^1.0.0 || ^2.0.0'));
    expect(accepted.failures).toEqual([]);
    expect(accepted.ok).toBe(true);
    const pinned = await check(major);
    expect(pinned.ok).toBe(false);
    expect(pinned.failures).toHaveLength(CONSUMERS.length);
    expect(pinned.failures[0]).toMatch(/accepts activation_record \^1\.0\.0, but the working contract is 2\.0\.0/);
  });

  it('still fails a removed field with a major bump while a consumer reads it', async () => {
    const r = await check(
      reviseContract(activationRecordContract, { version: '2.0.0', date: TODAY, changes: ['Drop identity.customer_id'], schema: withoutCustomerId }),
      consumersAccepting('^1.0.0 || ^2.0.0'),
    );
    expect(r.ok).toBe(false);
    expect(r.failures.some((f) => f.includes('bump') || f.includes('need at least'))).toBe(false);
    expect(r.failures.filter((f) => f.includes('identity.customer_id')).map((f) => /consumer (\S+)/.exec(f)?.[1]).sort()).toEqual(['file-export', 'google-customer-match', 'meta-custom-audiences']);
  });

  it('reports a rename as removed + added, breaking', async () => {
    const { confidence, ...restShape } = RecordMetadata.shape;
    const schema = CanonicalRecord.extend({ metadata: z.object({ ...restShape, certainty: confidence }) });
    const r = await check(reviseContract(activationRecordContract, { version: '2.0.0', date: TODAY, changes: ['confidence → certainty'], schema }), consumersAccepting('^2.0.0'));
    expect(r.changes).toContainEqual(expect.objectContaining({ path: 'metadata.confidence', kind: 'breaking', change: 'field_renamed', detail: expect.stringContaining('metadata.certainty') }));
    expect(r.changes.some((c) => c.path === 'metadata.certainty')).toBe(false);
    expect(r.ok).toBe(true);
  });

  it('fails a consumer registered for a field the contract never had, or for an unknown contract', async () => {
    const typo: ConsumerRegistration = { ...CONSUMERS[0]!, consumer: 'typo-dest', fieldsRead: ['score.valeu'] };
    const stray: ConsumerRegistration = { ...CONSUMERS[0]!, consumer: 'stray-dest', contract: 'no_such_contract' };
    const r = await checkContracts({ workingContracts: ALL_CONTRACTS, releasedDir: RELEASED_DIR, consumers: [...CONSUMERS, typo, stray], today: TODAY });
    expect(r.ok).toBe(false);
    expect(r.failures).toEqual(expect.arrayContaining([
      expect.stringContaining('consumer typo-dest reads score.valeu, which activation_record 1.0.0 does not have'),
      expect.stringContaining('consumer stray-dest is registered for contract no_such_contract'),
    ]));
  });

  it('warns consumers reading a deprecated field and accepts the deprecation as a minor change', async () => {
    const r = await check(reviseContract(activationRecordContract, {
      version: '1.1.0', date: TODAY, changes: ['Deprecate identity.customer_id'],
      deprecations: [{ field: 'identity.customer_id', removal_date: '2027-06-01', replacement: 'identity.hashed_email' }],
    }));
    expect(r.ok).toBe(true);
    expect(r.changes).toEqual([expect.objectContaining({ path: 'identity.customer_id', change: 'deprecation_added', level: 'minor' })]);
    expect(r.warnings.some((w) => w.includes('consumer google-customer-match reads identity.customer_id, deprecated') && w.includes('2027-06-01'))).toBe(true);
  });
});
