import { describe, expect, it } from 'vitest';
import { customerNumberOf, visitorProfile, type ProfileOptions } from '../../tools/feed-generator/visitor-profile.ts';

const base: ProfileOptions = { seed: 5, days: 3, startEpoch: Date.parse('2026-11-01T00:00:00Z') / 1000, drift: 'none' };

describe('visitorProfile', () => {
  it('derives the same visitor from (seed, index) alone, and another one for another seed', () => {
    expect(visitorProfile(base, 123)).toEqual(visitorProfile(base, 123));
    expect(visitorProfile({ ...base, seed: 6 }, 123).entityId).not.toBe(visitorProfile(base, 123).entityId);
    expect(visitorProfile(base, 124).entityId).not.toBe(visitorProfile(base, 123).entityId);
  });

  it('schedules 1+ visits inside the feed days, in time order', () => {
    for (let i = 0; i < 500; i++) {
      const v = visitorProfile(base, i);
      expect(v.visits.length).toBeGreaterThanOrEqual(1);
      for (const [k, s] of v.visits.entries()) {
        expect(s.day).toBeGreaterThanOrEqual(0);
        expect(s.day).toBeLessThan(3);
        expect(s.start - base.startEpoch - s.day * 86400).toBeLessThan(86400);
        if (k > 0) expect(s.start).toBeGreaterThanOrEqual(v.visits[k - 1]!.start);
      }
    }
  });

  it('keeps identity, consent and visits under shift_score and moves only the propensity up', () => {
    for (let i = 0; i < 200; i++) {
      const a = visitorProfile(base, i);
      const b = visitorProfile({ ...base, drift: 'shift_score' }, i);
      expect(b.entityId).toBe(a.entityId);
      expect(b.consent).toBe(a.consent);
      expect(b.visits).toEqual(a.visits);
      expect(b.propensity).toBeGreaterThan(a.propensity);
    }
  });

  it('gives a shared customer id only to a logged-in visitor, pointing at an earlier owner', () => {
    let shared = 0;
    for (let i = 0; i < 5000; i++) {
      const n = customerNumberOf(5, i);
      if (n === null || n === i + 1) continue;
      shared++;
      expect(n).toBeLessThan(i + 1);
      expect(customerNumberOf(5, n - 1)).toBe(n);
      expect(visitorProfile(base, i).customerId).toBe(`C${String(n).padStart(7, '0')}`);
    }
    expect(shared).toBeGreaterThan(5);
  });
});
