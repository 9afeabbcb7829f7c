/**
 * Pure: normalizes customer identifiers the way Google Customer Match (Data Manager API) and Meta
 * Custom Audiences require before hashing (docs/destinations/google-customer-match.md,
 * docs/destinations/meta-custom-audiences.md), and hashes them (SHA-256, hex).
 *
 * Every normalizer returns a typed result and never throws. A failure carries a reason code only,
 * never the value, so it is safe to count, log and report.
 */
import { createHash } from 'node:crypto';

export type Platform = 'google' | 'meta';
export type IdentifierType = 'email' | 'phone' | 'fn' | 'ln' | 'ct' | 'zip' | 'country';

export type MalformedReason =
  | 'empty'
  | 'email_missing_at'
  | 'email_invalid'
  | 'phone_invalid_characters'
  | 'phone_not_e164'
  | 'phone_no_country'
  | 'name_empty'
  | 'city_empty'
  | 'zip_invalid'
  | 'country_invalid';

export type Normalized = { ok: true; value: string } | { ok: false; reason: MalformedReason };

/** Unicode-composed (NFC) lower case, stable when applied again. */
const lower = (s: string) => s.normalize('NFC').toLowerCase().normalize('NFC');
const ok = (value: string): Normalized => ({ ok: true, value });
const bad = (reason: MalformedReason): Normalized => ({ ok: false, reason });

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

export const SHA256_HEX = /^[0-9a-f]{64}$/;

// ---------------------------------------------------------------------------------------------
// Email
// ---------------------------------------------------------------------------------------------

const GMAIL_DOMAINS = new Set(['gmail.com', 'googlemail.com']);
const EMAIL_SHAPE = /^[^@\s]+@[^@\s.][^@\s]*\.[^@\s.]+$/;

function baseEmail(raw: string): Normalized {
  const s = lower(raw).replace(/\s+/gu, '');
  if (s === '') return bad('empty');
  if (!s.includes('@')) return bad('email_missing_at');
  if (!EMAIL_SHAPE.test(s)) return bad('email_invalid');
  return ok(s);
}

/** Google: trim, lowercase, drop all whitespace; for gmail.com/googlemail.com drop dots and a +tag in the local part. */
export function normalizeGoogleEmail(raw: string): Normalized {
  const base = baseEmail(raw);
  if (!base.ok) return base;
  const at = base.value.lastIndexOf('@');
  let local = base.value.slice(0, at);
  const domain = base.value.slice(at + 1);
  if (GMAIL_DOMAINS.has(domain)) {
    const plus = local.indexOf('+');
    if (plus >= 0) local = local.slice(0, plus);
    local = local.replace(/\./g, '');
    if (local === '') return bad('email_invalid');
  }
  return ok(`${local}@${domain}`);
}

/** Meta: trim and lowercase (whitespace inside an address is dropped too); no gmail rules. */
export function normalizeMetaEmail(raw: string): Normalized {
  return baseEmail(raw);
}

// ---------------------------------------------------------------------------------------------
// Country
// ---------------------------------------------------------------------------------------------

const COUNTRY_ALIASES: Record<string, string> = {
  USA: 'US', 'UNITED STATES': 'US', 'UNITED STATES OF AMERICA': 'US',
  UK: 'GB', GBR: 'GB', 'UNITED KINGDOM': 'GB', 'GREAT BRITAIN': 'GB',
  CAN: 'CA', CANADA: 'CA', DEU: 'DE', GERMANY: 'DE', DEUTSCHLAND: 'DE', FRA: 'FR', FRANCE: 'FR',
  ESP: 'ES', SPAIN: 'ES', ITA: 'IT', ITALY: 'IT', NLD: 'NL', NETHERLANDS: 'NL', BEL: 'BE', BELGIUM: 'BE',
  CHE: 'CH', SWITZERLAND: 'CH', AUT: 'AT', AUSTRIA: 'AT', IRL: 'IE', IRELAND: 'IE', AUS: 'AU', AUSTRALIA: 'AU',
};

/** ISO 3166-1 alpha-2, upper case. Accepts a few common alpha-3 codes and English names; "UK" maps to GB. */
export function normalizeCountryCode(raw: string): Normalized {
  const s = raw.trim().replace(/\./g, '').replace(/\s+/g, ' ').toUpperCase();
  if (s === '') return bad('empty');
  const code = COUNTRY_ALIASES[s] ?? s;
  return /^[A-Z]{2}$/.test(code) ? ok(code) : bad('country_invalid');
}

/** Google: country is sent unhashed as ISO alpha-2, upper case (e.g. US). */
export const normalizeGoogleCountry = normalizeCountryCode;

/** Meta: COUNTRY is lower-case alpha-2 (then hashed). */
export function normalizeMetaCountry(raw: string): Normalized {
  const r = normalizeCountryCode(raw);
  return r.ok ? ok(r.value.toLowerCase()) : r;
}

// ---------------------------------------------------------------------------------------------
// Phone: a small E.164 normalizer with a default country for national numbers.
// ---------------------------------------------------------------------------------------------

export interface DialPlan {
  cc: string;
  /** National trunk prefix dropped after the country code (0 in most of Europe, 1 in NANP). */
  trunk?: string;
  /** Allowed length of the national significant number. */
  nsn: [number, number];
  pattern?: RegExp;
}

const NANP: DialPlan = { cc: '1', trunk: '1', nsn: [10, 10], pattern: /^[2-9]\d{2}[2-9]\d{6}$/ };

/** Dial plans for default-country parsing and for checking numbers of these countries. */
export const DIAL_PLANS: Readonly<Record<string, DialPlan>> = {
  US: NANP,
  CA: NANP,
  GB: { cc: '44', trunk: '0', nsn: [9, 10], pattern: /^[1-9]/ },
  DE: { cc: '49', trunk: '0', nsn: [6, 13], pattern: /^[1-9]/ },
  FR: { cc: '33', trunk: '0', nsn: [9, 9], pattern: /^[1-9]/ },
  ES: { cc: '34', nsn: [9, 9], pattern: /^[5-9]/ },
  IT: { cc: '39', nsn: [6, 11] },
  NL: { cc: '31', trunk: '0', nsn: [9, 9], pattern: /^[1-9]/ },
  BE: { cc: '32', trunk: '0', nsn: [8, 9], pattern: /^[1-9]/ },
  CH: { cc: '41', trunk: '0', nsn: [9, 9], pattern: /^[1-9]/ },
  AT: { cc: '43', trunk: '0', nsn: [6, 13], pattern: /^[1-9]/ },
  IE: { cc: '353', trunk: '0', nsn: [7, 9], pattern: /^[1-9]/ },
  AU: { cc: '61', trunk: '0', nsn: [9, 9], pattern: /^[1-9]/ },
};

const PLANS_BY_CC = new Map<string, DialPlan>(Object.values(DIAL_PLANS).map((p) => [p.cc, p]));

function nsnFits(plan: DialPlan, nsn: string): boolean {
  return nsn.length >= plan.nsn[0] && nsn.length <= plan.nsn[1] && (plan.pattern?.test(nsn) ?? true);
}

/** Digits after + or 00: a known country code is checked against its plan; others need 8 to 15 digits. */
function parseInternational(digits: string): Normalized {
  for (const len of [1, 2, 3]) {
    const plan = PLANS_BY_CC.get(digits.slice(0, len));
    if (!plan) continue;
    let nsn = digits.slice(len);
    // "+44 (0)20 ..." written as "+44020...": the trunk prefix never follows the country code.
    if (plan.trunk === '0' && nsn.startsWith('0') && nsnFits(plan, nsn.slice(1))) nsn = nsn.slice(1);
    return nsnFits(plan, nsn) ? ok(`+${plan.cc}${nsn}`) : bad('phone_not_e164');
  }
  if (/^[1-9]\d{7,14}$/.test(digits)) return ok(`+${digits}`);
  return bad('phone_not_e164');
}

/**
 * E.164 with the leading +. Numbers written with + or 00 are international; others are read in the
 * default country (the record's country), with its trunk prefix dropped, or with its country code
 * already in front (so a Meta-normalized number reads back to itself).
 */
export function normalizePhoneE164(raw: string, defaultCountry?: string): Normalized {
  let s = raw.normalize('NFKC').trim();
  if (s === '') return bad('empty');
  if (!/^\+?[\d\s().\-/]+$/.test(s)) return bad('phone_invalid_characters');
  s = s.replace(/\(0\)/g, '');
  const digits = s.replace(/\D/g, '');
  if (digits === '') return bad('phone_not_e164');
  if (s.startsWith('+')) return parseInternational(digits);
  if (digits.startsWith('00')) return parseInternational(digits.slice(2));

  const country = defaultCountry ? normalizeCountryCode(defaultCountry) : undefined;
  const plan = country?.ok ? DIAL_PLANS[country.value] : undefined;
  if (!plan) return bad('phone_no_country');
  if (plan.trunk && digits.startsWith(plan.trunk) && nsnFits(plan, digits.slice(plan.trunk.length))) return ok(`+${plan.cc}${digits.slice(plan.trunk.length)}`);
  if (digits.startsWith(plan.cc) && nsnFits(plan, digits.slice(plan.cc.length))) return ok(`+${digits}`);
  if (nsnFits(plan, digits)) return ok(`+${plan.cc}${digits}`);
  return bad('phone_not_e164');
}

/** Google: E.164 with the leading + (e.g. (800)555-0100 in the US becomes +18005550100). */
export const normalizeGooglePhone = normalizePhoneE164;

/** Meta: digits only with the country code, no +, no leading zeros (e.g. (650)555-1212 becomes 16505551212). */
export function normalizeMetaPhone(raw: string, defaultCountry?: string): Normalized {
  const r = normalizePhoneE164(raw, defaultCountry);
  return r.ok ? ok(r.value.slice(1)) : r;
}

// ---------------------------------------------------------------------------------------------
// Names and city
// ---------------------------------------------------------------------------------------------

const NAME_PREFIXES = new Set(['mr', 'mrs', 'ms', 'miss', 'mx', 'dr', 'prof', 'sir', 'dame', 'herr', 'frau', 'mme', 'mlle']);
const NAME_SUFFIXES = new Set(['jr', 'sr', 'ii', 'iii', 'iv', 'phd', 'md', 'esq', 'dds']);
const bareToken = (t: string) => t.replace(/[.,]+$/u, '');

/** Google: lower case and trimmed, honorific prefixes and generational/degree suffixes removed, inner spaces collapsed. */
export function normalizeGoogleName(raw: string): Normalized {
  const tokens = lower(raw).split(/\s+/u).filter((t) => t !== '');
  if (tokens.length === 0) return bad('empty');
  // Commas left at the end ("smith, jr" once "jr" is gone) are punctuation of the dropped suffix.
  const trimTail = () => {
    while (tokens.length > 0) {
      const t = tokens[tokens.length - 1]!.replace(/,+$/u, '');
      if (t !== '') {
        tokens[tokens.length - 1] = t;
        return;
      }
      tokens.pop();
    }
  };
  while (tokens.length > 1 && NAME_PREFIXES.has(bareToken(tokens[0]!))) tokens.shift();
  trimTail();
  while (tokens.length > 1 && NAME_SUFFIXES.has(bareToken(tokens[tokens.length - 1]!))) {
    tokens.pop();
    trimTail();
  }
  return tokens.length === 0 ? bad('name_empty') : ok(tokens.join(' '));
}

/** Keeps letters (any script, with their combining marks); drops punctuation, symbols, digits and spaces. */
function lettersOnly(raw: string): string {
  return lower(raw).replace(/[^\p{L}\p{M}]+/gu, '');
}

/** Meta FN/LN: lower case, no punctuation; UTF-8 letters are kept (Valéry → valéry). */
export function normalizeMetaName(raw: string): Normalized {
  if (raw.trim() === '') return bad('empty');
  const s = lettersOnly(raw);
  return s === '' ? bad('name_empty') : ok(s);
}

/** Meta CT: lower case, no spaces or punctuation; accented letters kept. */
export function normalizeMetaCity(raw: string): Normalized {
  if (raw.trim() === '') return bad('empty');
  const s = lettersOnly(raw);
  return s === '' ? bad('city_empty') : ok(s);
}

/** Google takes no city identifier; a city is normalized like a name (lower case, trimmed) if one is asked for. */
export function normalizeGoogleCity(raw: string): Normalized {
  const s = lower(raw).split(/\s+/u).filter((t) => t !== '').join(' ');
  return s === '' ? bad('empty') : ok(s);
}

// ---------------------------------------------------------------------------------------------
// Postal code
// ---------------------------------------------------------------------------------------------

const US_ZIP = /^(\d{5})(?:-?\d{4})?$/;

function isUs(country: string | undefined, compact: string): boolean {
  if (country) {
    const c = normalizeCountryCode(country);
    if (c.ok) return c.value === 'US';
  }
  return US_ZIP.test(compact);
}

/** Google: sent unhashed. US: the 5-digit ZIP; elsewhere trimmed, upper case, single spaces. */
export function normalizeGoogleZip(raw: string, country?: string): Normalized {
  const trimmed = raw.trim().replace(/\s+/g, ' ').toUpperCase();
  if (trimmed === '') return bad('empty');
  const compact = trimmed.replace(/\s/g, '');
  if (isUs(country, compact)) {
    const m = US_ZIP.exec(compact);
    return m ? ok(m[1]!) : bad('zip_invalid');
  }
  return /^[0-9A-Z][0-9A-Z -]*$/.test(trimmed) ? ok(trimmed) : bad('zip_invalid');
}

/** Meta ZIP: lower case with no spaces or dashes; US: first 5 digits. */
export function normalizeMetaZip(raw: string, country?: string): Normalized {
  const compact = raw.trim().replace(/\s+/g, '').toLowerCase();
  if (compact === '') return bad('empty');
  if (isUs(country, compact)) {
    const m = US_ZIP.exec(compact);
    return m ? ok(m[1]!) : bad('zip_invalid');
  }
  const s = compact.replace(/-/g, '');
  return /^[0-9a-z]+$/.test(s) ? ok(s) : bad('zip_invalid');
}

// ---------------------------------------------------------------------------------------------
// Dispatch
// ---------------------------------------------------------------------------------------------

export interface NormalizeOptions {
  /** The record's country (alpha-2 or a common alias): the default for national phone numbers and the ZIP rule. */
  country?: string;
}

export function normalizeIdentifier(platform: Platform, type: IdentifierType, value: string, opts: NormalizeOptions = {}): Normalized {
  const google = platform === 'google';
  switch (type) {
    case 'email':
      return google ? normalizeGoogleEmail(value) : normalizeMetaEmail(value);
    case 'phone':
      return google ? normalizeGooglePhone(value, opts.country) : normalizeMetaPhone(value, opts.country);
    case 'fn':
    case 'ln':
      return google ? normalizeGoogleName(value) : normalizeMetaName(value);
    case 'ct':
      return google ? normalizeGoogleCity(value) : normalizeMetaCity(value);
    case 'zip':
      return google ? normalizeGoogleZip(value, opts.country) : normalizeMetaZip(value, opts.country);
    case 'country':
      return google ? normalizeGoogleCountry(value) : normalizeMetaCountry(value);
  }
}

/** Whether the destination sends this identifier hashed: Google sends country and postal code in clear. */
export function isHashed(platform: Platform, type: IdentifierType): boolean {
  return !(platform === 'google' && (type === 'country' || type === 'zip'));
}

export type CliNormalizeResult = { normalized: string; sha256: string } | { error: MalformedReason };

/**
 * For `scoreflow identity normalize`: the normalized value and its SHA-256 hex (also printed for
 * Google's unhashed country and postal code, for comparison). Phones without + read as `country`, US by default.
 */
export function normalizeForCli(platform: Platform, type: IdentifierType, value: string, country = 'US'): CliNormalizeResult {
  const r = normalizeIdentifier(platform, type, value, { country });
  return r.ok ? { normalized: r.value, sha256: sha256Hex(r.value) } : { error: r.reason };
}
