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
