import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { entityFromEcidHalves } from '../../activities/online/event-ingest.ts';

describe('entityFromEcidHalves', () => {
  it('reads the two 19-digit halves as visid high and low without leading zeros', () => {
    expect(entityFromEcidHalves('0000000000000001234' + '0000000000000005678')).toBe('1234_5678');
    expect(entityFromEcidHalves('123')).toBeNull();
    expect(entityFromEcidHalves('x'.repeat(38))).toBeNull();
  });

  it('property: round-trips any pair of values that fit 19 digits', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 19n - 1n }), fc.bigInt({ min: 0n, max: 10n ** 19n - 1n }), (h, l) => {
        const ecid = `${h.toString().padStart(19, '0')}${l.toString().padStart(19, '0')}`;
        return entityFromEcidHalves(ecid) === (h < 1n << 64n && l < 1n << 64n ? `${h}_${l}` : null);
      }),
    );
  });
});
