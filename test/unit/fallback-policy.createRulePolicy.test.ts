import { describe, expect, it } from 'vitest';
import { createRulePolicy, loadRulePolicy } from '../../activities/online/fallback-policy.ts';

const policy = loadRulePolicy();

describe('createRulePolicy (shared rules artifact)', () => {
  it('falls to the default when nothing is known (store unavailable)', () => {
    const d = policy.decide({ destination: 'target', reason: 'store_unavailable', features: {} });
    expect(d).toMatchObject({ segment: 'cold', rule: 'default', policy: 'rules-fallback@1.0.0' });
    expect(d.decision_token).toMatch(/^dt_[A-Za-z0-9_-]{22}$/);
  });

  it('first matching rule wins on real-time counters, deterministically', () => {
    const f = { checkouts: 1, cart_adds: 1, recency_days: 0.1 };
    const a = policy.decide({ destination: 'target', reason: 'missing', features: f });
    const b = policy.decide({ destination: 'target', reason: 'expired', features: f });
    expect(a).toMatchObject({ segment: 'high_intent', rule: 'recent_checkout' });
    expect(b).toEqual(a);
    expect(policy.decide({ destination: 'target', reason: 'missing', features: { cart_adds: 2, recency_days: 1, checkouts: 0 } })).toMatchObject({ rule: 'cart_and_recent', segment: 'warm' });
    // a comparison on a missing feature is false
    expect(policy.decide({ destination: 'target', reason: 'missing', features: { cart_adds: 2 } }).rule).toBe('default');
  });

  it('refuses a policy that is not a rules artifact', () => {
    expect(() => createRulePolicy(new TextEncoder().encode('{"format":"rules"}'))).toThrow(/rules artifact/);
  });
});
