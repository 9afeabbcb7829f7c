import { describe, expect, it } from 'vitest';
import { CONSUMERS, defineConsumers } from '../../contracts/consumers.ts';

const entry = { consumer: 'toy-dest', contract: 'activation_record', versionRange: '^1.0.0', fieldsRead: ['score.value'] };

describe('defineConsumers', () => {
  it('registers every destination mapping against the canonical record', () => {
    expect(CONSUMERS.map((c) => c.consumer).sort()).toEqual([
      'file-export', 'google-customer-match', 'meta-custom-audiences', 'nats-decisions', 'target-bulk-profile', 'webhook-offers',
    ]);
    const target = CONSUMERS.find((c) => c.consumer === 'target-bulk-profile')!;
    expect(target.semanticsAssumed.score).toMatchObject({ kind: 'probability', horizon_days: 7 });
    expect(target.semanticsAssumed.clear_sentinel).toBe('__sf_cleared__');
    expect(CONSUMERS.find((c) => c.consumer === 'google-customer-match')!.fieldsRead).toContain('compliance.consent.advertising');
  });

  it('fills defaults', () => {
    expect(defineConsumers([entry])[0]).toMatchObject({ mappingVersion: '1', semanticsAssumed: {} });
  });

  it('refuses a version range that is not semver', () => {
    expect(() => defineConsumers([{ ...entry, versionRange: 'latest' }])).toThrow(/toy-dest.*versionRange: a semver range/);
  });

  it('refuses a consumer registered twice for one contract', () => {
    expect(() => defineConsumers([entry, entry])).toThrow(/toy-dest is registered twice for activation_record/);
  });

  it('refuses an assumption about a score kind that does not exist', () => {
    expect(() => defineConsumers([{ ...entry, semanticsAssumed: { score: { kind: 'logit' as never } } }])).toThrow(/semanticsAssumed\.score\.kind/);
  });
});
