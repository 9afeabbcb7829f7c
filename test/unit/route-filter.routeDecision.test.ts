import { describe, expect, it } from 'vitest';
import { routeDecision } from '../../activities/destinations/route-filter.ts';
import { buildCanonicalRecord } from '../../activities/publish/build-record.ts';
import { CanonicalRecord } from '../../contracts/canonical-record.ts';
import { parseConsent } from '../../activities/scoring/decide.ts';

const ctx = {
  pipeline: 'demo', runId: 'demo.run.1', modelId: 'purchase-propensity', modelVersion: '1.0.0', modelDigest: 'a'.repeat(64),
  decisionPolicy: 'model' as const, featureSnapshot: 'fs_1', featureSetVersion: '1.0.0',
  semantics: { kind: 'probability' as const, outcome: 'purchase', horizon_days: 7 }, calibration: 'calibrated' as const,
  maxAgeHours: 24, recommendationValidityHours: 24, consentSource: 'feed_column' as const, experimentKey: 'exp',
};
const decision = {
  segment: { id: 'high_intent', rule: 'score >= 0.5' }, eligible: true, ineligibleReasons: [], recommendations: [],
  rationaleCodes: ['cart_adds_up'], topFeatures: [{ feature: 'cart_adds', contribution: 1 }], confidence: 0.4,
  scoredAt: '2026-11-01T00:00:00.000Z', probability: 0.7,
};
const record = (consent: string, arm: 'treatment' | 'control' = 'treatment', eligible = true) =>
  buildCanonicalRecord('123_456', 'C1', { ...decision, eligible }, parseConsent(consent), arm, ctx);
const dest = { filter: { consentPurpose: 'personalization' as const, requireEligible: true }, holdout: 'exclude_control' as const };
const now = new Date('2026-11-01T01:00:00Z');

describe('buildCanonicalRecord', () => {
  it('builds a record that satisfies the contract, with expiry from freshness', () => {
    const r = record('personalization|advertising');
    expect(CanonicalRecord.parse(r)).toEqual(r);
    expect(r.metadata.expires_at).toBe('2026-11-02T00:00:00.000Z');
    expect(r.compliance.channels).toEqual({ onsite: true, paid_media: true, email: false, backend: true });
  });
});

describe('routeDecision', () => {
  it('includes a consented, eligible treatment record', () => {
    expect(routeDecision(record('personalization'), dest, now)).toEqual({ include: true });
  });
  it('never routes without consent, when ineligible, for control, or once expired', () => {
    expect(routeDecision(record('analytics'), dest, now)).toEqual({ include: false, reason: 'no_consent' });
    expect(routeDecision(record('personalization', 'treatment', false), dest, now)).toEqual({ include: false, reason: 'ineligible' });
    expect(routeDecision(record('personalization', 'control'), dest, now)).toEqual({ include: false, reason: 'holdout_control' });
    expect(routeDecision(record('personalization'), dest, new Date('2026-11-02T00:00:00Z'))).toEqual({ include: false, reason: 'expired' });
  });
  it('filters by routed segments', () => {
    expect(routeDecision(record('personalization'), { ...dest, filter: { ...dest.filter, segments: ['warm'] } }, now)).toEqual({ include: false, reason: 'segment_not_routed' });
  });
});
