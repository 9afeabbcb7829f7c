/**
 * The audience-size rule of `scoreflow verify`: Meta's range must contain the members held; Google
 * (minMatchRate) counts only matched members, so the members held must lie in
 * [reported lower, reported upper / minMatchRate].
 */
import { describe, expect, it } from 'vitest';
import { compareAudienceSize } from '../../activities/destinations/verify-destination.ts';

describe('compareAudienceSize', () => {
  it('Meta: the members held inside the reported range pass; outside, the distance is the mismatch', () => {
    expect(compareAudienceSize(1000, { lower: 990, upper: 1010 }, 0.01)).toMatchObject({ status: 'pass', mismatched: 0, mismatchRate: 0, reportedSize: { lower: 990, upper: 1010 } });
    const r = compareAudienceSize(1000, { lower: 900, upper: 950 }, 0.01);
    expect(r).toMatchObject({ status: 'fail', mismatched: 50, missing: 50, mismatchRate: 0.05 });
    expect(r.acceptedMembers).toBeUndefined();
    expect(r.examples).toEqual([{ member: '(audience)', problem: 'size_out_of_range', expected: '1000', actual: '900..950' }]);
  });

  it('Google: a list counting only a matched share passes down to minMatchRate', () => {
    // 1000 delivered, Google counts 400 matched users: fine at a 30% floor, not at 50%.
    expect(compareAudienceSize(1000, { lower: 400, upper: 400, minMatchRate: 0.3 }, 0.01)).toMatchObject({ status: 'pass', acceptedMembers: { lower: 400, upper: 1333 } });
    expect(compareAudienceSize(1000, { lower: 400, upper: 400, minMatchRate: 0.5 }, 0.01)).toMatchObject({ status: 'fail', mismatched: 200, missing: 200, mismatchRate: 0.2, acceptedMembers: { lower: 400, upper: 800 } });
    // The documented floor (1%) catches an emptied list.
    expect(compareAudienceSize(1000, { lower: 0, upper: 0, minMatchRate: 0.01 }, 0.01)).toMatchObject({ status: 'fail', mismatched: 1000, mismatchRate: 1 });
  });

  it('Google: more people on the list than were delivered is a mismatch, never missing members', () => {
    expect(compareAudienceSize(100, { lower: 120, upper: 120, minMatchRate: 1 }, 0.01)).toMatchObject({ status: 'fail', mismatched: 20, missing: 0, mismatchRate: 0.2 });
  });

  it('Google: a size range is taken at its bounds (LESS_THAN_FIVE_HUNDRED holds 0..500)', () => {
    expect(compareAudienceSize(300, { lower: 0, upper: 500, minMatchRate: 1 }, 0)).toMatchObject({ status: 'pass', mismatched: 0 });
    expect(compareAudienceSize(600, { lower: 0, upper: 500, minMatchRate: 1 }, 0.01)).toMatchObject({ status: 'fail', mismatched: 100 });
    const over = compareAudienceSize(60_000_000, { lower: 50_000_000, upper: Number.MAX_SAFE_INTEGER, minMatchRate: 0.5 }, 0.01);
    expect(over).toMatchObject({ status: 'pass', acceptedMembers: { lower: 50_000_000, upper: Number.MAX_SAFE_INTEGER } });
  });

  it('nothing held while the destination reports members: a full mismatch', () => {
    expect(compareAudienceSize(0, { lower: 5, upper: 5 }, 0.01)).toMatchObject({ status: 'fail', mismatchRate: 1 });
    expect(compareAudienceSize(0, { lower: 0, upper: 0 }, 0.01)).toMatchObject({ status: 'pass', mismatchRate: 0 });
  });
});
