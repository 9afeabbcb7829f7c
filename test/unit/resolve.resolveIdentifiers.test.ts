import { describe, expect, it } from 'vitest';
import { identityTargetFor, resolveIdentifiers, type CrmCustomer } from '../../activities/identity/resolve.ts';
import { sha256Hex } from '../../activities/identity/normalize.ts';

const crm = (customer_id: string, over: Partial<CrmCustomer> = {}): CrmCustomer => ({
  customer_id, email: null, phone: null, first_name: null, last_name: null, country: 'US', zip: null, ...over,
});

describe('resolveIdentifiers', () => {
  const customers = [
    crm('C1', { email: ' John.Smith+promo@Gmail.com ', phone: '(650) 555-1212', first_name: 'John', last_name: 'Smith', zip: '94025-1234' }),
    crm('C2', { email: 'shared@example.com', first_name: 'Ann' }),
    crm('C3', { email: 'SHARED@example.com ', phone: '020 7946 0958', country: 'GB' }),
    crm('C4', { email: 'not-an-email', phone: 'call me' }),
    crm('C5', { email: 'five@example.com' }),
    crm('C6', { first_name: 'Valéry', last_name: 'Dupont', zip: '75001', country: 'FR' }),
  ];
  const inputs = [
    { entityId: '1_1', customerId: 'C1' },
    { entityId: '1_2', customerId: 'C2' },
    { entityId: '1_3', customerId: 'C3' },
    { entityId: '1_4', customerId: 'C4' },
    { entityId: '1_5', customerId: 'C5' },
    { entityId: '1_6', customerId: 'C5' },
    { entityId: '1_7', customerId: null },
    { entityId: '1_8', customerId: 'C404' },
    { entityId: '1_9', customerId: 'C6' },
  ];

  it('Google: hashed email/phone/names, region and postal code in clear; ambiguity and malformed values counted', () => {
    const r = resolveIdentifiers(inputs, customers, 'google');
    const by = Object.fromEntries(r.resolved.map((e) => [e.entityId, e.identifiers]));
    expect(by['1_1']).toEqual({
      emailAddress: sha256Hex('johnsmith@gmail.com'),
      phoneNumber: sha256Hex('+16505551212'),
      givenName: sha256Hex('john'),
      familyName: sha256Hex('smith'),
      regionCode: 'US',
      postalCode: '94025',
    });
    // C3's email is shared with C2 (dropped), its phone is its own.
    expect(by['1_3']).toEqual({ phoneNumber: sha256Hex('+442079460958') });
    expect(by['1_9']).toEqual({ givenName: sha256Hex('valéry'), familyName: sha256Hex('dupont'), regionCode: 'FR', postalCode: '75001' });
    expect(r.excluded).toEqual([
      { entityId: '1_2', status: 'ambiguous', reason: 'identifiers_shared_by_customers' },
      { entityId: '1_4', status: 'unmatched', reason: 'no_usable_identifier' },
      { entityId: '1_5', status: 'ambiguous', reason: 'customer_id_shared_by_visitors' },
      { entityId: '1_6', status: 'ambiguous', reason: 'customer_id_shared_by_visitors' },
      { entityId: '1_7', status: 'unmatched', reason: 'no_customer_id' },
      { entityId: '1_8', status: 'unmatched', reason: 'customer_not_in_crm' },
    ]);
    expect(r.counts).toMatchObject({ total: 9, matched: 3, unmatched: 3, ambiguous: 3, ambiguousIdentifiers: { email: 2, phone: 0 } });
    expect(r.counts.malformed).toEqual({ email_missing_at: 1, phone_invalid_characters: 1, address_incomplete: 1 });
    expect(r.matchRate).toBeCloseTo(3 / 9);
  });

  it('Meta: schema keys hashed, lower-case country, gmail dots kept', () => {
    const r = resolveIdentifiers(inputs.slice(0, 1), customers, 'meta');
    expect(r.resolved[0]?.identifiers).toEqual({
      EMAIL: sha256Hex('john.smith+promo@gmail.com'),
      PHONE: sha256Hex('16505551212'),
      FN: sha256Hex('john'),
      LN: sha256Hex('smith'),
      ZIP: sha256Hex('94025'),
      COUNTRY: sha256Hex('us'),
    });
    expect(Object.values(r.resolved[0]!.identifiers).every((v) => /^[0-9a-f]{64}$/.test(v ?? ''))).toBe(true);
  });

  it('the same normalized email in two spellings is ambiguous only under the rules that equate them', () => {
    const twins = [crm('A', { email: 'jane.doe@gmail.com' }), crm('B', { email: 'JaneDoe+x@gmail.com' })];
    const ins = [{ entityId: '2_1', customerId: 'A' }];
    expect(resolveIdentifiers(ins, twins, 'google').counts).toMatchObject({ matched: 0, ambiguous: 1 });
    expect(resolveIdentifiers(ins, twins, 'meta').counts).toMatchObject({ matched: 1, ambiguous: 0 });
  });

  it('Target: thirdPartyId is the customer id, never one with + or /', () => {
    const r = resolveIdentifiers(
      [{ entityId: '3_1', customerId: 'C-1' }, { entityId: '3_2', customerId: 'C+2' }, { entityId: '3_3', customerId: 'a/b' }],
      [],
      'target',
    );
    expect(r.resolved).toEqual([{ entityId: '3_1', customerId: 'C-1', identifiers: { thirdPartyId: 'C-1' } }]);
    expect(r.counts).toMatchObject({ matched: 1, unmatched: 2, malformed: { third_party_id_forbidden_character: 2 } });
  });

  it('reports counts, never identifier values', () => {
    const r = resolveIdentifiers(inputs, customers, 'google');
    const text = JSON.stringify({ excluded: r.excluded, counts: r.counts });
    for (const c of customers) for (const v of [c.email, c.phone, c.first_name]) if (v) expect(text).not.toContain(v.trim());
  });

  it('maps pipeline destination kinds', () => {
    expect(identityTargetFor('adobe-target-bulk')).toBe('target');
    expect(identityTargetFor('google-customer-match')).toBe('google');
    expect(identityTargetFor('meta-custom-audiences')).toBe('meta');
    expect(identityTargetFor('webhook')).toBeUndefined();
  });
});
