/**
 * Pure: one visitor of the sample feed, derived from (seed, visitor index) alone, so a visitor can be
 * rebuilt anywhere (every day's delivery, the follow-up delivery, ground truth) without holding the
 * population in memory.
 *
 * The hidden truth: latent intent and engagement give a true purchase propensity
 * p = sigmoid(-2.7 + 1.1·intent + 0.5·engagement + 0.4·logged_in [+ 2.2 under drift 'shift_score']),
 * the probability of purchasing within the horizon after the feed. `horizonDraw` is the visitor's
 * fixed uniform: it purchases in the horizon when horizonDraw < p (+ the treatment effect when
 * treated), the same draw in ground_truth.csv and in the follow-up delivery (common random numbers).
 * Engagement drives visit count and depth; p drives product views, cart adds, checkouts, purchases.
 *
 * Identity: ~40% of visitors log in and carry customer id `C<index+1, 7 digits>`; ~1.2% of those
 * reuse the id of the nearest earlier logged-in visitor, so that id is shared by two visitors.
 * Consent: granted purposes joined by `|` (empty = none), ~85% grant advertising.
 */
import { contactCountry, customerIdOf } from './crm-record.ts';
import { DEVICES, GEOS, type Device, type Geo } from './generated-lookups.ts';
import { CATEGORIES } from './product-catalog.ts';
import { geometric, int, pick, poisson, sigmoid, streamFor, uint64, digits, unitHash, weightedIndex } from './random-draws.ts';

export type Drift = 'none' | 'collapse_feature' | 'shift_score' | 'null_column';

export const CONSENT_PURPOSES = ['analytics', 'personalization', 'advertising', 'email'] as const;

export interface ScheduledVisit {
  /** Day index of the delivery the visit belongs to (0-based from the start date). */
  day: number;
  /** Scheduled start, Unix seconds (the simulator may push it later to avoid overlapping visits). */
  start: number;
}

export interface VisitorProfile {
  index: number;
  high: string;
  low: string;
  /** `${post_visid_high}_${post_visid_low}`: the entity id downstream. */
  entityId: string;
  mcvisid: string;
  intent: number;
  engagement: number;
  propensity: number;
  horizonDraw: number;
  categoryWeights: number[];
  device: Device;
  geo: Geo;
  ip: string;
  loggedIn: boolean;
  customerId: string | null;
  /** Index of the first visit the visitor is logged in on (its customer id appears from then on). */
  loginVisit: number;
  /** Granted purposes joined by `|`; '' when none granted. */
  consent: string;
  consentGranted: Record<(typeof CONSENT_PURPOSES)[number], boolean>;
  experience: string;
  visits: ScheduledVisit[];
}

const SALT_TRAITS = 1;
const SALT_LOGIN = 11;
const SALT_SHARE = 12;
const SALT_CRM_MISSING = 13;
const SALT_CRM_ONLY = 14;

export const LOGIN_SHARE = 0.4;
const SHARED_ID_SHARE = 0.012;

export const isLoggedIn = (seed: number, i: number): boolean => unitHash(seed, i, SALT_LOGIN) < LOGIN_SHARE;
const isSharer = (seed: number, i: number): boolean => isLoggedIn(seed, i) && unitHash(seed, i, SALT_SHARE) < SHARED_ID_SHARE;

/** Customer number of visitor i (null when it never logs in). A sharer takes its nearest earlier owner's number. */
export function customerNumberOf(seed: number, i: number): number | null {
  if (!isLoggedIn(seed, i)) return null;
  if (isSharer(seed, i)) {
    for (let j = i - 1; j >= 0 && j >= i - 64; j--) if (isLoggedIn(seed, j) && !isSharer(seed, j)) return j + 1;
  }
  return i + 1;
}

/**
 * Whether customer number i+1 has a row in the CRM extract: logged-in owners do, except ~2% (a
 * customer id the CRM does not know); ~8% of visitors who never log in are CRM-only customers.
 */
export function inCrm(seed: number, i: number): boolean {
  if (customerNumberOf(seed, i) === i + 1) return unitHash(seed, i, SALT_CRM_MISSING) >= 0.02;
  if (!isLoggedIn(seed, i)) return unitHash(seed, i, SALT_CRM_ONLY) < 0.08;
  return false;
}

/** Visit start hour weights (report suite time, UTC): low at night, peaks at lunch and evening. */
const HOUR_WEIGHTS = [2, 1, 1, 1, 1, 2, 3, 5, 6, 6, 6, 7, 8, 7, 6, 6, 6, 7, 9, 10, 10, 9, 6, 4];

export interface ProfileOptions {
  seed: number;
  days: number;
  /** Unix seconds of the first day's midnight (UTC). */
  startEpoch: number;
  drift: Drift;
}

export function visitorProfile(o: ProfileOptions, index: number): VisitorProfile {
  const r = streamFor(o.seed, index, SALT_TRAITS);
  const intent = r.normal();
  const engagement = r.normal();
  const categoryWeights = CATEGORIES.map(() => r.gamma(0.6));
  const device = DEVICES[weightedIndex(r, DEVICES.map((d) => d.weight))]!;
  const geo = pick(r, GEOS[contactCountry(o.seed, index + 1)]);
  const ip = `${11 + int(r, 200)}.${int(r, 256)}.${int(r, 256)}.${1 + int(r, 254)}`;
  const high = uint64(r);
  const low = uint64(r);
  const mcvisid = `${digits(r, 19)}${digits(r, 19)}`;

  const none = r.next() < 0.03;
  const consentGranted = {
    analytics: !none && r.next() < 0.97,
    personalization: !none && r.next() < 0.82,
    advertising: !none && r.next() < 0.88,
    email: !none && r.next() < 0.45,
  };
  const consent = CONSENT_PURPOSES.filter((p) => consentGranted[p]).join('|');
  const horizonDraw = r.next();
  const experience = r.next() < 0.5 ? 'hp-hero:A' : 'hp-hero:B';

  const customerNumber = customerNumberOf(o.seed, index);
  const loggedIn = customerNumber !== null;
  const logit = -2.7 + 1.1 * intent + 0.5 * engagement + (loggedIn ? 0.4 : 0) + (o.drift === 'shift_score' ? 2.2 : 0);
  const propensity = sigmoid(logit);

  const lambda = Math.min(40, o.days * 0.3 * Math.exp(0.45 * engagement + 0.25 * intent));
  const count = 1 + poisson(r, lambda, 60);
  const visits: ScheduledVisit[] = [];
  for (let k = 0; k < count; k++) {
    const day = int(r, o.days);
    const second = weightedIndex(r, HOUR_WEIGHTS) * 3600 + int(r, 3600);
    visits.push({ day, start: o.startEpoch + day * 86400 + second });
  }
  visits.sort((a, b) => a.start - b.start);
  const loginVisit = loggedIn ? Math.min(count - 1, geometric(r, 0.5)) : count;

  return {
    index,
    high,
    low,
    entityId: `${high}_${low}`,
    mcvisid,
    intent,
    engagement,
    propensity,
    horizonDraw,
    categoryWeights,
    device,
    geo,
    ip,
    loggedIn,
    customerId: customerNumber === null ? null : customerIdOf(customerNumber),
    loginVisit,
    consent,
    consentGranted,
    experience,
    visits,
  };
}
