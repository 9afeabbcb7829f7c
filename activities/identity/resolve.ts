/**
 * Identity resolution: from the canonical records' customer ids, through the CRM extract
 * (crm_customer, in the pipeline's namespace: feed.crmNamespace, or the shared customer master), to the identifiers a destination takes, normalized and hashed as it requires.
 *
 * - Target: thirdPartyId = the customer id (it may not contain + or /).
 * - Google: emailAddress, phoneNumber, givenName, familyName hashed; regionCode and postalCode in clear
 *   (the address goes only when all four parts are usable).
 * - Meta: EMAIL, PHONE, FN, LN, CT, ZIP, COUNTRY, all hashed.
 *
 * Ambiguity is never sent: a customer id that more than one visitor of the batch maps to excludes
 * all of them; a normalized email or phone that belongs to more than one customer id is dropped (and
 * the entity is excluded when nothing else identifies it). Everything is counted, never logged.
 */
import type pg from 'pg';
import type { ResolvedIdentifiers } from '../destinations/adapter.ts';
import { getPool } from '../store/db.ts';
import {
  normalizeIdentifier,
  sha256Hex,
  type IdentifierType,
  type MalformedReason,
  type Normalized,
  type Platform,
} from './normalize.ts';

export type IdentityTarget = 'target' | 'google' | 'meta';

/** Which identity a destination kind (pipeline config) takes; undefined for kinds that take none (file, webhook, nats). */
export function identityTargetFor(destinationKind: string): IdentityTarget | undefined {
  switch (destinationKind) {
    case 'adobe-target-bulk':
    case 'target':
      return 'target';
    case 'google-customer-match':
    case 'google':
      return 'google';
    case 'meta-custom-audiences':
    case 'meta':
      return 'meta';
    default:
      return undefined;
  }
}

export interface CrmCustomer {
  customer_id: string;
  email: string | null;
  phone: string | null;
  first_name: string | null;
  last_name: string | null;
  country: string | null;
  zip: string | null;
  city?: string | null;
}

export interface IdentityInput {
  entityId: string;
  customerId: string | null;
}

export type UnmatchedReason = 'no_customer_id' | 'customer_not_in_crm' | 'no_usable_identifier';
export type AmbiguousReason = 'customer_id_shared_by_visitors' | 'identifiers_shared_by_customers';
export type ResolutionMalformed = MalformedReason | 'third_party_id_forbidden_character' | 'address_incomplete';

export interface ResolvedEntity {
  entityId: string;
  customerId: string;
  identifiers: ResolvedIdentifiers;
}

export interface ExcludedEntity {
  entityId: string;
  status: 'unmatched' | 'ambiguous';
  reason: UnmatchedReason | AmbiguousReason;
}

export interface ResolutionCounts {
  total: number;
  matched: number;
  unmatched: number;
  ambiguous: number;
  /** Per reason, the identifier values that could not be normalized (entities may still match on others). */
  malformed: Partial<Record<ResolutionMalformed, number>>;
  /** Identifier values dropped because another customer id has the same normalized value. */
  ambiguousIdentifiers: { email: number; phone: number };
  unmatchedBy: Partial<Record<UnmatchedReason, number>>;
  ambiguousBy: Partial<Record<AmbiguousReason, number>>;
}

export interface ResolutionResult {
  target: IdentityTarget;
  resolved: ResolvedEntity[];
  excluded: ExcludedEntity[];
  counts: ResolutionCounts;
  /** matched / total (0 for an empty batch). */
  matchRate: number;
}

export interface ResolveOptions {
  /** Country for national phone numbers and the ZIP rule when the CRM row has none. */
  defaultCountry?: string;
  /**
   * Customer ids more than one visitor of the whole run maps to. A run resolved page by page passes
   * them (computed in SQL over the run), since one page cannot see visitors of other pages.
   */
  sharedCustomerIds?: ReadonlySet<string>;
}

const THIRD_PARTY_FORBIDDEN = /[+/]/;

type Norm = (type: IdentifierType, value: string | null | undefined, country: string | undefined) => Normalized | undefined;

function normalizer(platform: Platform): Norm {
  return (type, value, country) => (value == null || value.trim() === '' ? undefined : normalizeIdentifier(platform, type, value, { country }));
}

/** Normalized email and phone per customer, and which customers share each value. */
function ownership(crm: readonly CrmCustomer[], platform: Platform, defaultCountry: string | undefined) {
  const norm = normalizer(platform);
  const owners = { email: new Map<string, Set<string>>(), phone: new Map<string, Set<string>>() };
  for (const c of crm) {
    const country = c.country ?? defaultCountry;
    for (const type of ['email', 'phone'] as const) {
      const n = norm(type, c[type], country);
      if (!n?.ok) continue;
      let set = owners[type].get(n.value);
      if (!set) owners[type].set(n.value, (set = new Set()));
      set.add(c.customer_id);
    }
  }
  return owners;
}

/**
 * Pure core. `crm` must hold the batch's customers and every other customer that could share a
 * normalized email or phone with them (resolveIdentities fetches exactly that superset).
 */
export function resolveIdentifiers(inputs: readonly IdentityInput[], crm: readonly CrmCustomer[], target: IdentityTarget, opts: ResolveOptions = {}): ResolutionResult {
  const counts: ResolutionCounts = { total: inputs.length, matched: 0, unmatched: 0, ambiguous: 0, malformed: {}, ambiguousIdentifiers: { email: 0, phone: 0 }, unmatchedBy: {}, ambiguousBy: {} };
  const resolved: ResolvedEntity[] = [];
  const excluded: ExcludedEntity[] = [];
  const malformed = (reason: ResolutionMalformed) => (counts.malformed[reason] = (counts.malformed[reason] ?? 0) + 1);
  const exclude = (entityId: string, status: 'unmatched' | 'ambiguous', reason: UnmatchedReason | AmbiguousReason) => {
    excluded.push({ entityId, status, reason });
    counts[status]++;
    if (status === 'unmatched') counts.unmatchedBy[reason as UnmatchedReason] = (counts.unmatchedBy[reason as UnmatchedReason] ?? 0) + 1;
    else counts.ambiguousBy[reason as AmbiguousReason] = (counts.ambiguousBy[reason as AmbiguousReason] ?? 0) + 1;
  };

  const visitorsPerCustomer = new Map<string, Set<string>>();
  for (const i of inputs) {
    if (!i.customerId) continue;
    let set = visitorsPerCustomer.get(i.customerId);
    if (!set) visitorsPerCustomer.set(i.customerId, (set = new Set()));
    set.add(i.entityId);
  }
  const byId = new Map(crm.map((c) => [c.customer_id, c]));
  const platform: Platform | undefined = target === 'target' ? undefined : target;
  const owners = platform ? ownership(crm, platform, opts.defaultCountry) : undefined;
  const norm = platform ? normalizer(platform) : undefined;

  for (const input of inputs) {
    const cid = input.customerId;
    if (!cid) {
      exclude(input.entityId, 'unmatched', 'no_customer_id');
      continue;
    }
    if ((visitorsPerCustomer.get(cid)?.size ?? 0) > 1 || opts.sharedCustomerIds?.has(cid)) {
      exclude(input.entityId, 'ambiguous', 'customer_id_shared_by_visitors');
      continue;
    }
    if (target === 'target') {
      if (THIRD_PARTY_FORBIDDEN.test(cid)) {
        malformed('third_party_id_forbidden_character');
        exclude(input.entityId, 'unmatched', 'no_usable_identifier');
        continue;
      }
      resolved.push({ entityId: input.entityId, customerId: cid, identifiers: { thirdPartyId: cid } });
      counts.matched++;
      continue;
    }

    const c = byId.get(cid);
    if (!c) {
      exclude(input.entityId, 'unmatched', 'customer_not_in_crm');
      continue;
    }
    const country = c.country ?? opts.defaultCountry;
    const value = (type: IdentifierType, raw: string | null | undefined): string | undefined => {
      const n = norm!(type, raw, country ?? undefined);
      if (!n) return undefined;
      if (!n.ok) {
        malformed(n.reason);
        return undefined;
      }
      return n.value;
    };
    let droppedAmbiguous = false;
    const unambiguous = (type: 'email' | 'phone'): string | undefined => {
      const v = value(type, c[type]);
      if (v === undefined) return undefined;
      if ((owners![type].get(v)?.size ?? 0) > 1) {
        counts.ambiguousIdentifiers[type]++;
        droppedAmbiguous = true;
        return undefined;
      }
      return v;
    };
    const email = unambiguous('email');
    const phone = unambiguous('phone');
    const fn = value('fn', c.first_name);
    const ln = value('ln', c.last_name);
    const zip = value('zip', c.zip);
    const ctry = value('country', c.country ?? opts.defaultCountry);
    const ct = value('ct', c.city);

    const ids: ResolvedIdentifiers = {};
    let usable: boolean;
    if (target === 'google') {
      if (email) ids.emailAddress = sha256Hex(email);
      if (phone) ids.phoneNumber = sha256Hex(phone);
      const address = [fn, ln, ctry, zip];
      if (address.every((x) => x !== undefined)) {
        ids.givenName = sha256Hex(fn!);
        ids.familyName = sha256Hex(ln!);
        ids.regionCode = ctry;
        ids.postalCode = zip;
      } else if ([fn, ln, zip].some((x) => x !== undefined)) {
        malformed('address_incomplete');
      }
      usable = Boolean(email || phone || ids.givenName);
    } else {
      if (email) ids.EMAIL = sha256Hex(email);
      if (phone) ids.PHONE = sha256Hex(phone);
      if (fn) ids.FN = sha256Hex(fn);
      if (ln) ids.LN = sha256Hex(ln);
      if (ct) ids.CT = sha256Hex(ct);
      if (zip) ids.ZIP = sha256Hex(zip);
      if (ctry) ids.COUNTRY = sha256Hex(ctry);
      usable = Boolean(email || phone || (fn && ln && (zip || ct)));
    }
    if (!usable) {
      exclude(input.entityId, droppedAmbiguous ? 'ambiguous' : 'unmatched', droppedAmbiguous ? 'identifiers_shared_by_customers' : 'no_usable_identifier');
      continue;
    }
    resolved.push({ entityId: input.entityId, customerId: cid, identifiers: ids });
    counts.matched++;
  }
  return { target, resolved, excluded, counts, matchRate: inputs.length ? counts.matched / inputs.length : 0 };
}

// Coarse keys, stored by crm_customer's generated columns email_key and phone_key (migration
// 1700000013000): every pair of rows whose normalized emails (or phones) are equal has equal coarse
// keys, so the query returns a superset of the possible collisions and the pure code decides.

/** The batch's customers plus any customer that may share a normalized email or phone with one of them. */
export async function loadCrmCandidates(customerIds: readonly string[], pool: pg.Pool = getPool(), namespace = ''): Promise<CrmCustomer[]> {
  if (customerIds.length === 0) return [];
  const { rows } = await pool.query<CrmCustomer>(
    `WITH b AS (SELECT email_key, phone_key FROM crm_customer WHERE namespace = $2 AND customer_id = ANY($1::text[]))
     SELECT customer_id, email, phone, first_name, last_name, country, zip FROM crm_customer
      WHERE namespace = $2
        AND (customer_id = ANY($1::text[])
         OR email_key IN (SELECT email_key FROM b WHERE email_key IS NOT NULL)
         OR phone_key IN (SELECT phone_key FROM b WHERE phone_key IS NOT NULL))
      ORDER BY customer_id`,
    [[...new Set(customerIds)], namespace],
  );
  return rows;
}

export interface ResolveIdentitiesInput {
  /** Canonical records (or their identity part). */
  records: readonly { entity_id: string; identity: { customer_id: string | null } }[];
  /** A pipeline destination kind (adobe-target-bulk, google-customer-match, meta-custom-audiences) or target/google/meta. */
  destinationKind: string;
  defaultCountry?: string;
  sharedCustomerIds?: ReadonlySet<string>;
  /** The customer master to read (pipeline feed.crmNamespace); absent: the shared one. */
  crmNamespace?: string;
}

/** Reads the CRM for a batch of records and resolves each record's identifiers for one destination kind. */
export async function resolveIdentities(input: ResolveIdentitiesInput, pool: pg.Pool = getPool()): Promise<ResolutionResult> {
  const target = identityTargetFor(input.destinationKind);
  if (!target) throw new Error(`resolveIdentities: destination kind "${input.destinationKind}" takes no customer identifiers; expected adobe-target-bulk, google-customer-match or meta-custom-audiences.`);
  const inputs = input.records.map((r) => ({ entityId: r.entity_id, customerId: r.identity.customer_id }));
  const ids = inputs.map((i) => i.customerId).filter((x): x is string => Boolean(x));
  const crm = target === 'target' ? [] : await loadCrmCandidates(ids, pool, input.crmNamespace ?? '');
  return resolveIdentifiers(inputs, crm, target, { defaultCountry: input.defaultCountry, sharedCustomerIds: input.sharedCustomerIds });
}
