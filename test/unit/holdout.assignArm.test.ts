import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { assignArm, armHash, normalizeEntityId } from '../../activities/measurement/holdout.ts';

// The worked examples of docs/holdout-assignment.md. Digests were computed outside this code base
// (`printf '<message>' | sha256sum`, and Python's hashlib), so they check the recipe, not the implementation against itself.
const ENTITY = '  Visitor-0042@Example.COM ';
const T_FOR_10_PERCENT = 1844674407370955264n; // ceil(double(0.1) × 2^64)

describe('assignArm', () => {
  it('reproduces the documented treatment example', () => {
    // sha256("visitor-0042@example.com:spring-upsell-2025") = 37b0e08632c2ac49173e6703592195111d9cada3e7f778bb51370de731d3a6b5
    expect(normalizeEntityId(ENTITY)).toBe('visitor-0042@example.com');
    expect(armHash(ENTITY, 'spring-upsell-2025')).toBe(0x37b0e08632c2ac49n);
    expect(armHash(ENTITY, 'spring-upsell-2025')).toBe(4012954134968970313n);
    expect(4012954134968970313n >= T_FOR_10_PERCENT).toBe(true);
    expect(assignArm(ENTITY, 'spring-upsell-2025')).toBe('treatment');
    expect(assignArm(ENTITY, 'spring-upsell-2025', 0.1)).toBe('treatment');
  });

  it('reproduces the documented control example, just under the threshold', () => {
    // sha256("visitor-0042@example.com:spring-upsell-2025-45") = 199700b238b8bff0abde56086f5934188a0e048981334b59bb3762aa75d06a08
    expect(armHash(ENTITY, 'spring-upsell-2025-45')).toBe(1843943337887318000n);
    expect(1843943337887318000n < T_FOR_10_PERCENT).toBe(true);
    expect(assignArm(ENTITY, 'spring-upsell-2025-45')).toBe('control');
    // h / 2^64 ≈ 0.09996: a share of 0.0999 puts the same entity in treatment.
    expect(assignArm(ENTITY, 'spring-upsell-2025-45', 0.0999)).toBe('treatment');
  });

  it('uses the exact threshold ceil(c × 2^64) for the documented shares', () => {
    // From the table in docs/holdout-assignment.md (Python: math.ceil(c * 2**64)).
    expect(BigInt(Math.ceil(0.05 * 2 ** 64))).toBe(922337203685477632n);
    expect(BigInt(Math.ceil(0.1 * 2 ** 64))).toBe(T_FOR_10_PERCENT);
    expect(BigInt(Math.ceil(0.5 * 2 ** 64))).toBe(9223372036854775808n);
  });

  it('gives the same arm on every call for the same input', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }).filter((s) => s.trim().length > 0), fc.string({ minLength: 1 }), fc.double({ min: 0, max: 1, noNaN: true }), (id, key, share) => {
        const first = assignArm(id, key, share);
        for (let i = 0; i < 3; i++) expect(assignArm(id, key, share)).toBe(first);
      }),
    );
  });

  it('ignores case and surrounding whitespace of the entity id, but not of the experiment key', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9@._-]{1,24}$/), fc.constantFrom('', ' ', '\t', '\n ', '\u00a0'), (id, pad) => {
        expect(armHash(`${pad}${id.toUpperCase()}${pad}`, 'exp')).toBe(armHash(id, 'exp'));
      }),
    );
    expect(armHash('visitor-1', 'Exp')).not.toBe(armHash('visitor-1', 'exp'));
    expect(armHash('visitor-1', ' exp')).not.toBe(armHash('visitor-1', 'exp'));
  });

  it('puts close to controlShare of 100,000 ids in control', () => {
    for (const share of [0.1, 0.25]) {
      let control = 0;
      const n = 100_000;
      for (let i = 0; i < n; i++) if (assignArm(`visitor-${i}`, 'share-check', share) === 'control') control += 1;
      // Binomial sd = sqrt(c(1−c)/n): 0.00095 for 0.1, 0.00137 for 0.25. Allow 5 sd.
      const sd = Math.sqrt((share * (1 - share)) / n);
      expect(Math.abs(control / n - share)).toBeLessThan(5 * sd);
    }
  });

  it('reshuffles arms across experiment keys (independent holdouts)', () => {
    const n = 50_000;
    let both = 0;
    for (let i = 0; i < n; i++) {
      if (assignArm(`visitor-${i}`, 'exp-a') === 'control' && assignArm(`visitor-${i}`, 'exp-b') === 'control') both += 1;
    }
    // Independent 10% holdouts overlap on 1%: sd = sqrt(0.01·0.99/n) ≈ 0.00045.
    expect(Math.abs(both / n - 0.01)).toBeLessThan(0.0025);
  });

  it('is monotone in the share: raising it only moves entities into control', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }).filter((s) => s.trim().length > 0), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (id, a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        if (assignArm(id, 'monotone', low) === 'control') expect(assignArm(id, 'monotone', high)).toBe('control');
      }),
    );
  });

  it('puts everyone in treatment at share 0 and in control at share 1', () => {
    for (let i = 0; i < 200; i++) {
      expect(assignArm(`visitor-${i}`, 'edges', 0)).toBe('treatment');
      expect(assignArm(`visitor-${i}`, 'edges', 1)).toBe('control');
    }
  });

  it('rejects an empty id, an empty key and a share outside [0, 1]', () => {
    expect(() => assignArm('   ', 'exp')).toThrow(/entity id is empty/);
    expect(() => assignArm('visitor-1', '')).toThrow(/experiment key is empty/);
    expect(() => assignArm('visitor-1', 'exp', 1.5)).toThrow(/controlShare/);
    expect(() => assignArm('visitor-1', 'exp', -0.1)).toThrow(/controlShare/);
    expect(() => assignArm('visitor-1', 'exp', Number.NaN)).toThrow(/controlShare/);
  });
});
