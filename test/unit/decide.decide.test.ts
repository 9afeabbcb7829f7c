import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { assignSegment, confidenceOf, decide, parseConsent, rationaleFrom, recommendCategories } from '../../activities/scoring/decide.ts';

const rules = [
  { id: 'high_intent', minScore: 0.5 },
  { id: 'warm', minScore: 0.2 },
  { id: 'cold', minScore: 0 },
];

describe('assignSegment', () => {
  it('takes the highest threshold the score reaches', () => {
    expect(assignSegment(0.5, rules)).toEqual({ id: 'high_intent', rule: 'score >= 0.5' });
    expect(assignSegment(0.4999, rules).id).toBe('warm');
    expect(assignSegment(0.2, rules).id).toBe('warm');
    expect(assignSegment(0.01, rules).id).toBe('cold');
  });
  it('is monotone in the score', () => {
    const rank = { cold: 0, warm: 1, high_intent: 2 } as Record<string, number>;
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(rank[assignSegment(lo, rules).id]!).toBeLessThanOrEqual(rank[assignSegment(hi, rules).id]!);
      }),
    );
  });
});

describe('confidenceOf', () => {
  it('is 1 − binary entropy', () => {
    expect(confidenceOf(0.5)).toBe(0);
    expect(confidenceOf(1)).toBe(1);
    // p = 0.9: H = −(0.9 log2 0.9 + 0.1 log2 0.1) = 0.468996; 1 − H = 0.531004
    expect(confidenceOf(0.9)).toBeCloseTo(0.531004, 6);
    expect(confidenceOf(0.1)).toBeCloseTo(confidenceOf(0.9), 9);
  });
});

describe('parseConsent', () => {
  it('reads granted purposes and treats absence as refusal', () => {
    expect(parseConsent('analytics|Personalization')).toEqual({ analytics: true, personalization: true, advertising: false, email: false });
    expect(parseConsent('')).toEqual({ analytics: false, personalization: false, advertising: false, email: false });
    expect(parseConsent(null).advertising).toBe(false);
  });
});

describe('rationaleFrom / recommendCategories', () => {
  it('names the strongest contributions with their direction', () => {
    const r = rationaleFrom([
      { feature: 'cart_adds', contribution: 1.2 },
      { feature: 'recency_days', contribution: -2 },
      { feature: 'page_views', contribution: 0.1 },
      { feature: 'orders', contribution: 0 },
    ], 2);
    expect(r.codes).toEqual(['recency_days_down', 'cart_adds_up']);
  });
  it('ranks categories by affinity and caps at N', () => {
    const recs = recommendCategories({ shoes: 0.5, bags: 0.3, hats: 0.2, socks: 0 }, 0.6, 2);
    expect(recs.map((r) => r.item_id)).toEqual(['shoes', 'bags']);
    expect(recs[0]!.score).toBeCloseTo(0.5 * 0.8, 9);
  });
});

describe('decide', () => {
  const cfg = { segments: rules, eligibility: { minScore: 0.05, requireConsent: 'personalization' as const }, topN: 3 };
  it('marks an unconsented visitor ineligible with the reason', () => {
    const d = decide(0.7, [], { shoes: 1 }, parseConsent('analytics'), cfg);
    expect(d.eligible).toBe(false);
    expect(d.ineligibleReasons).toEqual(['no_consent_personalization']);
    expect(d.segment.id).toBe('high_intent');
  });
  it('marks a low score ineligible and a consented, scoring visitor eligible', () => {
    expect(decide(0.01, [], {}, parseConsent('personalization'), cfg).ineligibleReasons).toEqual(['below_min_score']);
    expect(decide(0.3, [], {}, parseConsent('personalization'), cfg).eligible).toBe(true);
  });
});
