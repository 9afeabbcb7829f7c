/**
 * Pure: one CRM customer of the sample shop, derived from (seed, customer number) alone, written as
 * the CRM extract does it: `customer_id,email,phone,first_name,last_name,country,zip`, UTF-8, with the
 * mess real extracts carry: upper-case emails with stray spaces, gmail addresses with dots and
 * +tags, phones such as `(650) 555-1212` or `+49 30 1234567`, accented names (`Valéry`), missing
 * fields, a few emails without `@`, and a few households sharing one email across two customer ids.
 */
import { csvField } from '../../activities/run/csv-line.ts';
import { digits, int, pick, streamFor, unitHash, weightedIndex, type SeededRandom } from './random-draws.ts';
import type { Geo } from './generated-lookups.ts';

export const CRM_HEADER = 'customer_id,email,phone,first_name,last_name,country,zip';

const SALT_CONTACT = 0x43524d31;
const SALT_HOUSEHOLD = 0x43524d32;

export const customerIdOf = (n: number): string => `C${String(n).padStart(7, '0')}`;

const COUNTRIES: readonly Geo['country'][] = ['US', 'CA', 'GB', 'DE', 'FR'];
const COUNTRY_WEIGHTS = [70, 8, 8, 8, 6];

const FIRST_NAMES = [
  'Mary', 'John', 'Valéry', 'Zoë', 'José', 'Ana', 'Chloé', 'François', 'Jürgen', 'Søren', 'Łukasz', 'Renée', 'Mehmet',
  'Aoife', 'Noah', 'Emma', 'Liam', 'Olivia', 'Sophia', 'Lucas', 'Mia', 'Hélène', 'Björn', 'Siobhán', 'Inès', 'James',
  'Linda', 'David', 'Sarah', 'Michael', 'Laura', 'Daniel', 'Julia', 'Thomas', 'Anna', 'Pierre', 'Camille', 'Lena',
];
const LAST_NAMES = [
  'Smith', 'Johnson', 'García', 'Müller', 'Dubois', 'Lefèvre', "O'Brien", 'Nguyen', 'Kowalski', 'Schmidt', 'Martin',
  'Brown', 'Williams', 'Rossi', 'Çelik', 'Søndergaard', 'Núñez', 'Fischer', 'Taylor', 'Bernard', 'Jones', 'Miller',
  'Davis', 'Wilson', 'Moore', 'Anderson', 'Thomas', 'Jackson', 'White', 'Harris', 'Weber', 'Wagner', 'Petit', 'Roux',
];

const DOMAINS: Record<Geo['country'], readonly string[]> = {
  US: ['gmail.com', 'gmail.com', 'gmail.com', 'yahoo.com', 'outlook.com', 'icloud.com', 'hotmail.com', 'aol.com', 'googlemail.com'],
  CA: ['gmail.com', 'gmail.com', 'rogers.com', 'outlook.com', 'videotron.ca'],
  GB: ['gmail.com', 'gmail.com', 'btinternet.com', 'outlook.com', 'googlemail.com'],
  DE: ['gmail.com', 'web.de', 'gmx.de', 't-online.de', 'googlemail.com'],
  FR: ['gmail.com', 'orange.fr', 'free.fr', 'laposte.net'],
};

const US_AREA = ['650', '415', '212', '312', '206', '512', '617', '303', '404', '713'];
const CA_AREA = ['416', '514', '604', '613'];

function asciiFold(s: string): string {
  return s
    .replace(/Ł/g, 'L').replace(/ł/g, 'l').replace(/[Øø]/g, 'o').replace(/ß/g, 'ss')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z]/g, '')
    .toLowerCase();
}

/** The country a customer lives in: the first draw of its contact stream (the visitor's geo follows it). */
export function contactCountry(seed: number, n: number): Geo['country'] {
  return COUNTRIES[weightedIndex(streamFor(seed, n, SALT_CONTACT), COUNTRY_WEIGHTS)]!;
}

interface Contact {
  country: Geo['country'];
  first: string;
  last: string;
  email: string;
  r: SeededRandom;
}

function contact(seed: number, n: number): Contact {
  const r = streamFor(seed, n, SALT_CONTACT);
  const country = COUNTRIES[weightedIndex(r, COUNTRY_WEIGHTS)]!;
  const first = pick(r, FIRST_NAMES);
  const last = pick(r, LAST_NAMES);
  const f = asciiFold(first);
  const l = asciiFold(last);
  const style = int(r, 5);
  const local = style === 0 ? `${f}.${l}` : style === 1 ? `${f}${l}` : style === 2 ? `${f[0]}.${l}` : style === 3 ? `${f}_${l}` : `${f}.${l}${String(int(r, 100)).padStart(2, '0')}`;
  const domain = pick(r, DOMAINS[country]);
  const tag = (domain === 'gmail.com' || domain === 'googlemail.com') && r.next() < 0.15 ? pick(r, ['+shop', '+news', '+2026']) : '';
  return { country, first, last, email: `${local}${tag}@${domain}`, r };
}

function phone(r: SeededRandom, country: Geo['country']): string {
  const d7 = `${2 + int(r, 8)}${digits(r, 6)}`;
  switch (country) {
    case 'US':
    case 'CA': {
      const area = pick(r, country === 'US' ? US_AREA : CA_AREA);
      const [a, b] = [d7.slice(0, 3), d7.slice(3)];
      return [`(${area}) ${a}-${b}`, `${area}-${a}-${b}`, `${area}.${a}.${b}`, `+1 ${area} ${a} ${b}`, `${area}${a}${b}`, `1-${area}-${a}-${b}`][int(r, 6)]!;
    }
    case 'GB':
      return r.next() < 0.5 ? `+44 20 7946 ${d7.slice(0, 4)}` : `07700 9${d7.slice(0, 5)}`;
    case 'DE':
      return r.next() < 0.5 ? `+49 30 ${d7}` : `030 ${d7}`;
    case 'FR': {
      const p = `6${d7.slice(0, 7)}${int(r, 10)}`;
      return r.next() < 0.5 ? `0${p.slice(0, 1)} ${p.slice(1, 3)} ${p.slice(3, 5)} ${p.slice(5, 7)} ${p.slice(7, 9)}` : `+33 ${p}`;
    }
  }
}

function zip(r: SeededRandom, country: Geo['country']): string {
  const L = 'ABCEGHJKLMNPRSTVWXYZ';
  const letter = () => L[int(r, L.length)]!;
  switch (country) {
    case 'US':
      return r.next() < 0.06 ? `${digits(r, 5)}-${digits(r, 4)}` : digits(r, 5);
    case 'CA':
      return `${letter()}${int(r, 10)}${letter()} ${int(r, 10)}${letter()}${int(r, 10)}`;
    case 'GB':
      return pick(r, ['SW1A 1AA', 'EC1A 1BB', 'W1A 0AX', 'M1 1AE', 'B33 8TH', 'CR2 6XH']);
    case 'DE':
    case 'FR':
      return digits(r, 5);
  }
}

const messyName = (r: SeededRandom, name: string): string => {
  const u = r.next();
  return u < 0.02 ? '' : u < 0.05 ? name.toUpperCase() : u < 0.08 ? `${name} ` : name;
};

/** The CRM fields of customer number `n`, in CRM_HEADER order, before CSV quoting. */
export function crmFields(seed: number, n: number): string[] {
  const c = contact(seed, n);
  const r = c.r;
  let email = c.email;
  if (n > 1 && unitHash(seed, n, SALT_HOUSEHOLD) < 0.006) email = contact(seed, n - 1).email.toUpperCase(); // a household: same address, other customer id
  const e = r.next();
  if (e < 0.04) email = '';
  else if (e < 0.05) email = email.replace('@', r.next() < 0.5 ? '.' : ' at ');
  else if (e < 0.1) email = `  ${email.toUpperCase()} `;
  else if (e < 0.14) email = email.charAt(0).toUpperCase() + email.slice(1);
  const tel = r.next() < 0.25 ? '' : phone(r, c.country);
  const first = messyName(r, c.first);
  const last = r.next() < 0.004 ? `${c.last}, Jr.` : messyName(r, c.last);
  const k = r.next();
  const country = k < 0.02 ? '' : k < 0.05 ? c.country.toLowerCase() : c.country;
  const z = r.next() < 0.03 ? '' : zip(r, c.country);
  return [customerIdOf(n), email, tel, first, last, country, z];
}

/** One CSV line (no newline) of customer `n`. */
export function crmLine(seed: number, n: number): string {
  return crmFields(seed, n).map(csvField).join(',');
}
