import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DIAL_PLANS,
  normalizeForCli,
  normalizeGoogleEmail,
  normalizeGoogleName,
  normalizeGooglePhone,
  normalizeGoogleZip,
  normalizeIdentifier,
  normalizeMetaCity,
  normalizeMetaCountry,
  normalizeMetaEmail,
  normalizeMetaName,
  normalizeMetaPhone,
  normalizeMetaZip,
  normalizePhoneE164,
  sha256Hex,
  type IdentifierType,
  type Normalized,
  type Platform,
} from '../../activities/identity/normalize.ts';

const value = (r: Normalized) => (r.ok ? r.value : `!${r.reason}`);

describe('vendor test vectors (docs/destinations/google-customer-match.md, docs/destinations/meta-custom-audiences.md)', () => {
  it('Meta: John_Smith@gmail.com', () => {
    expect(normalizeForCli('meta', 'email', 'John_Smith@gmail.com')).toEqual({
      normalized: 'john_smith@gmail.com',
      sha256: '62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f',
    });
  });
  it('Meta: (650)555-1212 → 16505551212', () => {
    expect(normalizeForCli('meta', 'phone', '(650)555-1212')).toEqual({
      normalized: '16505551212',
      sha256: 'e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176',
    });
  });
  it('Meta: Mary', () => {
    expect(normalizeForCli('meta', 'fn', 'Mary')).toEqual({ normalized: 'mary', sha256: '6915771be1c5aa0c886870b6951b03d7eafc121fea0e80a5ea83beb7c449f4ec' });
  });
  it('Google: (800)555-0100 in the US → +18005550100', () => {
    expect(value(normalizeGooglePhone('(800)555-0100', 'US'))).toBe('+18005550100');
  });
});

describe('Google email', () => {
  it('trims, lower-cases, drops all whitespace', () => {
    expect(value(normalizeGoogleEmail('  Dana M@Example.COM '))).toBe('danam@example.com');
  });
  it('drops dots and +tag only for gmail.com and googlemail.com', () => {
    expect(value(normalizeGoogleEmail('John.Smith+promo@Gmail.com'))).toBe('johnsmith@gmail.com');
    expect(value(normalizeGoogleEmail('j.o.h.n+x+y@googlemail.com'))).toBe('john@googlemail.com');
    expect(value(normalizeGoogleEmail('john.smith+promo@example.com'))).toBe('john.smith+promo@example.com');
  });
  it('Meta keeps gmail dots and tags', () => {
    expect(value(normalizeMetaEmail(' John.Smith+promo@Gmail.com'))).toBe('john.smith+promo@gmail.com');
  });
  it('reports malformed emails by reason, without the value', () => {
    expect(normalizeGoogleEmail('john.smith.example.com')).toEqual({ ok: false, reason: 'email_missing_at' });
    expect(normalizeGoogleEmail('a@b@c.com')).toEqual({ ok: false, reason: 'email_invalid' });
    expect(normalizeGoogleEmail('+tag@gmail.com')).toEqual({ ok: false, reason: 'email_invalid' });
    expect(normalizeMetaEmail('nobody@localhost')).toEqual({ ok: false, reason: 'email_invalid' });
    expect(normalizeMetaEmail('   ')).toEqual({ ok: false, reason: 'empty' });
    expect(JSON.stringify(normalizeForCli('google', 'email', 'secret.person.example.com'))).not.toContain('secret');
  });
});

describe('normalizePhoneE164', () => {
  it.each([
    ['(650) 555-1212', 'US', '+16505551212'],
    ['1-650-555-1212', 'US', '+16505551212'],
    ['+1 (650) 555 1212', 'DE', '+16505551212'],
    ['416.555.0199', 'CA', '+14165550199'],
    ['020 7946 0958', 'GB', '+442079460958'],
    ['+44 (0)20 7946 0958', 'US', '+442079460958'],
    ['0044 20 7946 0958', 'FR', '+442079460958'],
    ['442079460958', 'GB', '+442079460958'],
    ['030 1234567', 'DE', '+49301234567'],
    ['0170 1234567', 'DE', '+491701234567'],
    ['01 23 45 67 89', 'FR', '+33123456789'],
    ['06 12 34 56 78', 'France', '+33612345678'],
    ['+81 3-1234-5678', 'US', '+81312345678'],
  ])('%s in %s → %s', (input, country, expected) => {
    expect(value(normalizePhoneE164(input, country))).toBe(expected);
  });
  it('rejects what cannot be E.164, by reason', () => {
    expect(normalizePhoneE164('555-1212', 'US')).toEqual({ ok: false, reason: 'phone_not_e164' });
    expect(normalizePhoneE164('(150) 555-1212', 'US')).toEqual({ ok: false, reason: 'phone_not_e164' });
    expect(normalizePhoneE164('call me', 'US')).toEqual({ ok: false, reason: 'phone_invalid_characters' });
    expect(normalizePhoneE164('650 555 1212 ext 4', 'US')).toEqual({ ok: false, reason: 'phone_invalid_characters' });
    expect(normalizePhoneE164('6505551212')).toEqual({ ok: false, reason: 'phone_no_country' });
    expect(normalizePhoneE164('+44 20 79', 'GB')).toEqual({ ok: false, reason: 'phone_not_e164' });
    expect(normalizePhoneE164('+1234567890123456', 'US')).toEqual({ ok: false, reason: 'phone_not_e164' });
  });
  it('Meta form: digits with country code, no + and no leading zeros', () => {
    expect(value(normalizeMetaPhone('020 7946 0958', 'GB'))).toBe('442079460958');
    expect(value(normalizeMetaPhone('0044 20 7946 0958', 'GB'))).toBe('442079460958');
  });
});

describe('names, city, zip, country', () => {
  it('Meta FN/LN keep UTF-8 letters and drop punctuation', () => {
    expect(value(normalizeMetaName('Valéry'))).toBe('valéry');
    expect(value(normalizeMetaName('Vale\u0301ry'))).toBe('valéry'); // decomposed input composes to the same bytes
    expect(value(normalizeMetaName("O'Brien-Smith"))).toBe('obriensmith');
    expect(value(normalizeMetaName('ÅSA'))).toBe('åsa');
    expect(normalizeMetaName('...')).toEqual({ ok: false, reason: 'name_empty' });
  });
  it('Google names: lower case, trimmed, without prefixes or suffixes', () => {
    expect(value(normalizeGoogleName('  Mr. John  '))).toBe('john');
    expect(value(normalizeGoogleName('Smith, Jr.'))).toBe('smith');
    expect(value(normalizeGoogleName('Dr Mary Ann  Lee III'))).toBe('mary ann lee');
    expect(value(normalizeGoogleName('Valéry'))).toBe('valéry');
    expect(value(normalizeGoogleName('Ms'))).toBe('ms');
  });
  it('Meta CT: lower case, no spaces', () => {
    expect(value(normalizeMetaCity('  San Francisco '))).toBe('sanfrancisco');
    expect(value(normalizeMetaCity('Saint-Étienne'))).toBe('saintétienne');
  });
  it('ZIP: first 5 digits in the US; Google keeps other postal codes readable', () => {
    expect(value(normalizeMetaZip('94025-1234', 'US'))).toBe('94025');
    expect(value(normalizeGoogleZip(' 94025 1234', 'US'))).toBe('94025');
    expect(value(normalizeMetaZip('SW1A 1AA', 'GB'))).toBe('sw1a1aa');
    expect(value(normalizeGoogleZip('sw1a  1aa', 'GB'))).toBe('SW1A 1AA');
    expect(normalizeMetaZip('9402', 'US')).toEqual({ ok: false, reason: 'zip_invalid' });
  });
  it('country: alpha-2, upper for Google, lower for Meta', () => {
    expect(value(normalizeIdentifier('google', 'country', ' us '))).toBe('US');
    expect(value(normalizeMetaCountry('UK'))).toBe('gb');
    expect(value(normalizeMetaCountry('U.S.A.'))).toBe('us');
    expect(normalizeMetaCountry('Narnia')).toEqual({ ok: false, reason: 'country_invalid' });
  });
});

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

const platforms: Platform[] = ['google', 'meta'];
const textTypes: IdentifierType[] = ['email', 'fn', 'ln', 'ct', 'zip', 'country'];

const localPart = fc.stringMatching(/^[A-Za-z0-9._+\-]{1,20}$/);
const domain = fc.oneof(fc.constantFrom('gmail.com', 'googlemail.com', 'GMail.com', 'example.com', 'mail.example.co.uk'), fc.stringMatching(/^[a-z]{1,10}\.[a-z]{2,4}$/));
const email = fc.tuple(localPart, domain).map(([l, d]) => `${l}@${d}`);
const name = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('Mr. John', 'Smith, Jr.', 'Valéry', 'ÅSA', 'Dr Mary Ann Lee III', 'x jr ,'));
const anyText = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: 'grapheme', maxLength: 20 }), email, name);
const whitespace = fc.stringMatching(/^[ \t\n]{0,3}$/);

/** National numbers of a plan's country (with and without trunk prefix and formatting), and international ones. */
const countries = Object.keys(DIAL_PLANS);
const phoneCase = fc.constantFrom(...countries).chain((country) => {
  const plan = DIAL_PLANS[country]!;
  const nsn =
    plan.cc === '1'
      ? fc.stringMatching(/^[2-9]\d{2}[2-9]\d{6}$/)
      : fc.integer({ min: plan.nsn[0], max: plan.nsn[1] }).chain((n) => fc.stringMatching(new RegExp(`^[1-9]\\d{${n - 1}}$`))).filter((d) => plan.pattern?.test(d) ?? true);
  return nsn.chain((digits) =>
    fc
      .constantFrom(
        digits,
        `${plan.trunk ?? ''}${digits}`,
        `+${plan.cc} ${digits}`,
        `00${plan.cc}${digits}`,
        `(${digits.slice(0, 3)}) ${digits.slice(3, 6)}-${digits.slice(6)}`,
      )
      .map((raw) => ({ raw, country, expected: `+${plan.cc}${digits}` })),
  );
});

describe('properties', () => {
  it('normalization is idempotent for every platform and text identifier', () => {
    fc.assert(
      fc.property(fc.constantFrom(...platforms), fc.constantFrom(...textTypes), anyText, fc.constantFrom('US', 'GB', 'FR'), (p, t, x, country) => {
        const once = normalizeIdentifier(p, t, x, { country });
        if (!once.ok) return;
        expect(normalizeIdentifier(p, t, once.value, { country })).toEqual(once);
      }),
      { numRuns: 3000 },
    );
  });

  it('phones normalize to E.164 of the number, idempotently, for Google and Meta', () => {
    fc.assert(
      fc.property(phoneCase, ({ raw, country, expected }) => {
        const g = normalizeGooglePhone(raw, country);
        if (!g.ok) throw new Error(`${country} ${raw}: ${g.reason}`);
        // Where digits alone read both ways, either reading is E.164; the plain case is exact.
        if (raw.startsWith('+') || raw.startsWith('00')) expect(g.value).toBe(expected);
        expect(g.value).toMatch(/^\+[1-9]\d{7,14}$/);
        expect(normalizeGooglePhone(g.value, country)).toEqual(g);
        expect(normalizeGooglePhone(g.value, 'US')).toEqual(g);
        const m = normalizeMetaPhone(raw, country);
        expect(m).toEqual({ ok: true, value: g.value.slice(1) });
        expect(normalizeMetaPhone(m.ok ? m.value : '', country)).toEqual(m);
      }),
      { numRuns: 2000 },
    );
  });

  it('is invariant to surrounding whitespace and to letter case', () => {
    fc.assert(
      fc.property(fc.constantFrom(...platforms), fc.constantFrom(...textTypes), anyText, whitespace, whitespace, (p, t, x, pre, post) => {
        const base = normalizeIdentifier(p, t, x, { country: 'US' });
        expect(normalizeIdentifier(p, t, `${pre}${x}${post}`, { country: 'US' })).toEqual(base);
        // Case folding is only an invariant where upper-casing round-trips (ß → SS does not).
        if (x.toUpperCase().toLowerCase() === x.toLowerCase() && x.toLowerCase().toUpperCase() === x.toUpperCase()) {
          expect(normalizeIdentifier(p, t, x.toUpperCase(), { country: 'US' })).toEqual(base);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('hashes are 64 lower-case hex characters', () => {
    fc.assert(
      fc.property(fc.constantFrom(...platforms), fc.constantFrom<IdentifierType>('email', 'fn', 'ln', 'ct', 'zip'), fc.oneof(email, name), (p, t, x) => {
        const r = normalizeForCli(p, t, x);
        if ('error' in r) return;
        expect(r.sha256).toMatch(/^[0-9a-f]{64}$/);
        expect(r.sha256).toBe(sha256Hex(r.normalized));
      }),
    );
  });

  it('a malformed result never carries the value', () => {
    fc.assert(
      fc.property(fc.constantFrom(...platforms), fc.constantFrom<IdentifierType>('email', 'phone', 'fn', 'ln', 'ct', 'zip', 'country'), anyText, (p, t, x) => {
        const r = normalizeIdentifier(p, t, x, { country: 'US' });
        if (r.ok) return;
        expect(Object.keys(r).sort()).toEqual(['ok', 'reason']);
        expect(r.reason).toMatch(/^[a-z0-9_]+$/);
      }),
    );
  });
});
