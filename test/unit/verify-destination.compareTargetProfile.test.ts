import { describe, expect, it } from 'vitest';
import { compareTargetProfile, expectedTargetAttributes } from '../../activities/destinations/verify-destination.ts';
import { TARGET_CLEAR_SENTINEL } from '../../activities/destinations/adobe-target-rules.ts';
import { readFetchedProfile } from '../../activities/destinations/adobe-target-bulk.ts';

describe('expectedTargetAttributes', () => {
  it('renders every delivered value as the bulk file wrote it: numbers as text, null as the clear sentinel', () => {
    expect(expectedTargetAttributes({ score: 0.8125, segment: 'high_intent', eligible: true, gone: null, skipped: undefined })).toEqual({
      score: '0.8125',
      segment: 'high_intent',
      eligible: 'true',
      gone: TARGET_CLEAR_SENTINEL,
    });
  });
  it('keeps only the declared attributes when the destination declares them', () => {
    expect(expectedTargetAttributes({ score: 0.5, segment: 'warm' }, ['segment'])).toEqual({ segment: 'warm' });
  });
});

describe('compareTargetProfile', () => {
  const expected = { score: '0.81', segment: 'warm', old: TARGET_CLEAR_SENTINEL };
  it('matches a profile holding every value (a cleared attribute Target never had counts as cleared)', () => {
    expect(compareTargetProfile('m1', expected, { score: '0.81', segment: 'warm', visits: '3' })).toEqual([]);
  });
  it('names a missing profile, a differing and a missing attribute', () => {
    expect(compareTargetProfile('m1', expected, null)).toEqual([{ member: 'm1', problem: 'missing_profile' }]);
    expect(compareTargetProfile('m1', expected, { score: '0.10', old: TARGET_CLEAR_SENTINEL })).toEqual([
      { member: 'm1', problem: 'attribute_differs', attribute: 'score', expected: '0.81', actual: '0.10' },
      { member: 'm1', problem: 'attribute_missing', attribute: 'segment', expected: 'warm' },
    ]);
  });
});

describe('readFetchedProfile', () => {
  it('reads the profile object of a fetch answer, with or without the profile. prefix, skipping nested objects', () => {
    expect(readFetchedProfile(JSON.stringify({ thirdPartyId: 'C1', profile: { segment: 'warm', 'profile.score': 0.5, mbox: { a: 1 } } }))).toEqual({ segment: 'warm', score: '0.5' });
  });
  it('says what is wrong with an answer it cannot read', () => {
    expect(() => readFetchedProfile('<html>')).toThrow(/not JSON/);
    expect(() => readFetchedProfile('{"status":200}')).toThrow(/no "profile" object/);
  });
});
