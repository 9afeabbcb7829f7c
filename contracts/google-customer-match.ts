/**
 * The Google Customer Match contract, as the Data Manager API takes it (docs/destinations/google-customer-match.md):
 * POST {base}/audienceMembers:ingest and POST {base}/audienceMembers:remove, identifiers SHA-256 hex
 * (encoding HEX), country and postal code in clear, consent required on adds, at most 10,000 members
 * per request and 10 identifiers per member. Pure: no I/O. The adapter validates what it sends with
 * these schemas and the local contract server validates what it receives with the same ones.
 */
import { z } from 'zod';

export const GOOGLE_MAX_MEMBERS_PER_REQUEST = 10_000;
export const GOOGLE_MAX_IDENTIFIERS_PER_MEMBER = 10;

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a hex-encoded SHA-256 hash (64 lower-case hex characters) of the normalized value');

export const GoogleAddressInfo = z.strictObject({
  givenName: Sha256Hex,
  familyName: Sha256Hex,
  regionCode: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code in upper case, not hashed'),
  postalCode: z.string().min(1).max(20).regex(/^[0-9A-Z][0-9A-Z -]*$/, 'must be a postal code in clear, not hashed'),
});

export const GoogleUserIdentifier = z.union([
  z.strictObject({ emailAddress: Sha256Hex }),
  z.strictObject({ phoneNumber: Sha256Hex }),
  z.strictObject({ address: GoogleAddressInfo }),
]);
export type GoogleUserIdentifier = z.infer<typeof GoogleUserIdentifier>;

export const GoogleConsentStatus = z.enum(['CONSENT_GRANTED', 'CONSENT_DENIED', 'CONSENT_STATUS_UNSPECIFIED']);
export const GoogleConsent = z.strictObject({ adUserData: GoogleConsentStatus.optional(), adPersonalization: GoogleConsentStatus.optional() });
export type GoogleConsent = z.infer<typeof GoogleConsent>;

export const GoogleAudienceMember = z.strictObject({
  userData: z.strictObject({
    userIdentifiers: z
      .array(GoogleUserIdentifier)
      .min(1, 'a member needs at least one identifier')
      .max(GOOGLE_MAX_IDENTIFIERS_PER_MEMBER, `a member carries at most ${GOOGLE_MAX_IDENTIFIERS_PER_MEMBER} identifiers`),
  }),
  consent: GoogleConsent.optional(),
});
export type GoogleAudienceMember = z.infer<typeof GoogleAudienceMember>;

export const GoogleProductAccount = z.strictObject({
  accountType: z.enum(['GOOGLE_ADS', 'DISPLAY_VIDEO_PARTNER', 'DISPLAY_VIDEO_ADVERTISER', 'DATA_PARTNER']),
  accountId: z.string().regex(/^\d+$/, 'account ids are digits without dashes'),
});

export const GoogleDestination = z.strictObject({
  reference: z.string().optional(),
  loginAccount: GoogleProductAccount.optional(),
  linkedAccount: GoogleProductAccount.optional(),
  operatingAccount: GoogleProductAccount,
  productDestinationId: z.string().min(1),
});
export type GoogleDestination = z.infer<typeof GoogleDestination>;

const requestBase = {
  destinations: z.array(GoogleDestination).min(1),
  // The member-count limit is checked separately (HTTP 413), so the schema only bounds it loosely.
  audienceMembers: z.array(GoogleAudienceMember).min(1),
  encoding: z.literal('HEX'),
  validateOnly: z.boolean().optional(),
};

export const GoogleIngestRequest = z.strictObject({ ...requestBase, consent: GoogleConsent.optional(), termsOfService: z.unknown().optional() });
export type GoogleIngestRequest = z.infer<typeof GoogleIngestRequest>;

export const GoogleRemoveRequest = z.strictObject(requestBase);
export type GoogleRemoveRequest = z.infer<typeof GoogleRemoveRequest>;

export const GoogleIngestResponse = z.object({ requestId: z.string().min(1) });

/** google.rpc.Status as the API returns it. */
export const GoogleErrorBody = z.object({
  error: z.object({
    code: z.number().int(),
    message: z.string(),
    status: z.string(),
    details: z.array(z.record(z.string(), z.unknown())).optional(),
  }),
});
export type GoogleErrorBody = z.infer<typeof GoogleErrorBody>;

/**
 * Reading a list's size back (`scoreflow verify`) goes through the Google Ads API, not the Data
 * Manager API (which has no read of ingested members): GoogleAdsService.Search,
 * POST {adsBase}/{version}/customers/{customerId}/googleAds:search with a GAQL query over user_list.
 * https://developers.google.com/google-ads/api/rest/common/search
 * https://developers.google.com/google-ads/api/fields/latest/user_list
 */
export const GOOGLE_USER_LIST_SIZE_FIELDS = ['user_list.id', 'user_list.size_for_search', 'user_list.size_for_display', 'user_list.size_range_for_search', 'user_list.size_range_for_display'] as const;

/**
 * UserListSizeRange and the member counts each value stands for, as its descriptions state them
 * ("less than 500 users", "in range of 500 to 1000", ...). Bounds are inclusive; an over-50-million
 * list has no upper bound. UNSPECIFIED and UNKNOWN stand for no size.
 * https://developers.google.com/google-ads/api/reference/rpc/latest/UserListSizeRangeEnum.UserListSizeRange
 */
export const GOOGLE_USER_LIST_SIZE_RANGE_BOUNDS: Readonly<Record<string, readonly [number, number]>> = {
  LESS_THAN_FIVE_HUNDRED: [0, 500],
  LESS_THAN_ONE_THOUSAND: [500, 1_000],
  ONE_THOUSAND_TO_TEN_THOUSAND: [1_000, 10_000],
  TEN_THOUSAND_TO_FIFTY_THOUSAND: [10_000, 50_000],
  FIFTY_THOUSAND_TO_ONE_HUNDRED_THOUSAND: [50_000, 100_000],
  ONE_HUNDRED_THOUSAND_TO_THREE_HUNDRED_THOUSAND: [100_000, 300_000],
  THREE_HUNDRED_THOUSAND_TO_FIVE_HUNDRED_THOUSAND: [300_000, 500_000],
  FIVE_HUNDRED_THOUSAND_TO_ONE_MILLION: [500_000, 1_000_000],
  ONE_MILLION_TO_TWO_MILLION: [1_000_000, 2_000_000],
  TWO_MILLION_TO_THREE_MILLION: [2_000_000, 3_000_000],
  THREE_MILLION_TO_FIVE_MILLION: [3_000_000, 5_000_000],
  FIVE_MILLION_TO_TEN_MILLION: [5_000_000, 10_000_000],
  TEN_MILLION_TO_TWENTY_MILLION: [10_000_000, 20_000_000],
  TWENTY_MILLION_TO_THIRTY_MILLION: [20_000_000, 30_000_000],
  THIRTY_MILLION_TO_FIFTY_MILLION: [30_000_000, 50_000_000],
  OVER_FIFTY_MILLION: [50_000_000, Number.MAX_SAFE_INTEGER],
};

/** int64 in the REST JSON mapping: a decimal string (a number is tolerated). */
const Int64 = z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]).transform(Number);

/** The one row a user list size query returns (unset fields are omitted, as proto3 JSON does). */
export const GoogleAdsUserListRow = z.object({
  userList: z.object({
    resourceName: z.string().optional(),
    id: Int64.optional(),
    sizeForSearch: Int64.nullish(),
    sizeForDisplay: Int64.nullish(),
    sizeRangeForSearch: z.string().nullish(),
    sizeRangeForDisplay: z.string().nullish(),
  }),
});

/** SearchGoogleAdsResponse, as far as a size read needs it. */
export const GoogleAdsSearchResponse = z.object({
  results: z.array(GoogleAdsUserListRow).optional(),
  fieldMask: z.string().optional(),
});
export type GoogleAdsSearchResponse = z.infer<typeof GoogleAdsSearchResponse>;
