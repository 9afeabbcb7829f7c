/**
 * The Google Data Manager API's request rules for audienceMembers:ingest and :remove, written for the
 * contract server straight from Google's pages — deliberately NOT from contracts/ (the adapter builds
 * its requests with those; checking them with the same code would let one misreading pass on both
 * sides). Each rule names its source:
 *
 * - request fields, JSON names, 10,000 members per request:
 *   https://developers.google.com/data-manager/api/reference/rest/v1/audienceMembers/ingest
 *   https://developers.google.com/data-manager/api/reference/rest/v1/audienceMembers/remove
 * - the error reasons (INVALID_HEX_ENCODING, INVALID_SHA256_FORMAT, TOO_MANY_USER_IDENTIFIERS (10),
 *   TOO_MANY_AUDIENCE_MEMBERS, TOO_MANY_DESTINATIONS (10), REQUIRED_FIELD_MISSING, ...):
 *   https://developers.google.com/data-manager/api/reference/rest/v1/ErrorReason
 * - the error body (google.rpc.Status with an ErrorInfo and a BadRequest whose fieldViolations use
 *   proto field paths, e.g. `audience_members.audience_members[0].user_data.user_identifiers`), the
 *   fast-fail model (one bad member fails the whole request):
 *   https://developers.google.com/data-manager/api/get-started/quickstart/send-audience-members
 *   https://developers.google.com/data-manager/api/devguides/concepts/understand-errors
 * - hashing: SHA-256, hex or Base64 as `encoding` says; region code and postal code are not hashed:
 *   https://developers.google.com/data-manager/api/devguides/concepts/formatting
 *
 * Pure: no I/O. The golden fixtures under test/fixtures/vendors/google/ are its acceptance tests.
 */

export const DATA_MANAGER_MAX_MEMBERS = 10_000;
export const DATA_MANAGER_MAX_IDENTIFIERS = 10;
export const DATA_MANAGER_MAX_DESTINATIONS = 10;

export interface FieldViolation {
  field: string;
  description?: string;
  reason: string;
}

export interface GoogleRpcStatusBody {
  error: { code: number; message: string; status: string; details: Record<string, unknown>[] };
}

/** The 400 body Google documents for a request that fails validation. */
export function invalidArgument(violations: FieldViolation[]): GoogleRpcStatusBody {
  return {
    error: {
      code: 400,
      message: 'There was a problem with the request.',
      status: 'INVALID_ARGUMENT',
      details: [
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'INVALID_ARGUMENT', domain: 'datamanager.googleapis.com' },
        { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: violations },
      ],
    },
  };
}

/** A Google API error without details (auth, quota, availability). */
export function rpcStatus(code: number, status: string, message: string): GoogleRpcStatusBody {
  return { error: { code, message, status, details: [] } };
}

/** One identifier as the server keeps it: its kind and a canonical (lower-case hex) hash or clear value. */
export type CheckedIdentifier = { kind: 'email' | 'phone'; sha256: string } | { kind: 'address'; key: string };

export interface CheckedMember {
  identifiers: CheckedIdentifier[];
  consent: { adUserData?: string; adPersonalization?: string };
}

export interface CheckedRequest {
  productDestinationIds: string[];
  members: CheckedMember[];
  requestConsent: { adUserData?: string; adPersonalization?: string };
  validateOnly: boolean;
}

const INGEST_FIELDS = new Set(['destinations', 'audienceMembers', 'consent', 'validateOnly', 'encoding', 'encryptionInfo', 'termsOfService']);
const REMOVE_FIELDS = new Set(['destinations', 'audienceMembers', 'validateOnly', 'encoding', 'encryptionInfo']);
const ACCOUNT_TYPES = new Set(['GOOGLE_ADS', 'DISPLAY_VIDEO_PARTNER', 'DISPLAY_VIDEO_ADVERTISER', 'DATA_PARTNER']);
const CONSENT_VALUES = new Set(['CONSENT_STATUS_UNSPECIFIED', 'CONSENT_GRANTED', 'CONSENT_DENIED']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Decode a hashed identifier as `encoding` says; undefined + reason when it is not an encoded SHA-256.
 * Hex is case-insensitive (Google decodes it), Base64 must decode to the 32 bytes of a SHA-256.
 */
function decodeHash(value: unknown, encoding: string): { sha256: string } | { reason: 'INVALID_HEX_ENCODING' | 'INVALID_BASE64_ENCODING' | 'INVALID_SHA256_FORMAT' } {
  if (typeof value !== 'string' || value === '') return { reason: encoding === 'BASE64' ? 'INVALID_BASE64_ENCODING' : 'INVALID_HEX_ENCODING' };
  if (encoding === 'BASE64') {
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) return { reason: 'INVALID_BASE64_ENCODING' };
    const bytes = Buffer.from(value, 'base64');
    return bytes.length === 32 ? { sha256: bytes.toString('hex') } : { reason: 'INVALID_SHA256_FORMAT' };
  }
  if (!/^[0-9a-fA-F]+$/.test(value) || value.length % 2 !== 0) return { reason: 'INVALID_HEX_ENCODING' };
  return value.length === 64 ? { sha256: value.toLowerCase() } : { reason: 'INVALID_SHA256_FORMAT' };
}

const KIND_LABEL = { emailAddress: 'Email', phoneNumber: 'Phone number', givenName: 'Given name', familyName: 'Family name' } as const;

function checkMember(raw: unknown, i: number, encoding: string, operation: 'ingest' | 'remove', out: FieldViolation[]): CheckedMember | undefined {
  const at = `audience_members.audience_members[${i}]`;
  if (!isObject(raw)) {
    out.push({ field: at, description: 'An audience member must be an object.', reason: 'INVALID_AUDIENCE_MEMBER' });
    return undefined;
  }
  for (const k of Object.keys(raw)) {
    if (k !== 'userData' && k !== 'consent') out.push({ field: `${at}.${k}`, description: `Unknown or unsupported field "${k}" for a Customer Match contact-information member.`, reason: 'INVALID_AUDIENCE_MEMBER' });
  }
  if (operation === 'remove' && raw.consent !== undefined) out.push({ field: `${at}.consent`, description: 'Consent is not part of a remove request.', reason: 'INVALID_AUDIENCE_MEMBER' });
  const userData = raw.userData;
  const ids = isObject(userData) ? userData.userIdentifiers : undefined;
  if (!Array.isArray(ids) || ids.length === 0) {
    out.push({ field: `${at}.user_data.user_identifiers`, description: 'At least one user identifier is required.', reason: 'REQUIRED_FIELD_MISSING' });
    return undefined;
  }
  if (ids.length > DATA_MANAGER_MAX_IDENTIFIERS) {
    out.push({ field: `${at}.user_data.user_identifiers`, reason: 'TOO_MANY_USER_IDENTIFIERS' });
    return undefined;
  }
  const identifiers: CheckedIdentifier[] = [];
  const before = out.length;
  for (const id of ids) {
    if (!isObject(id) || Object.keys(id).length !== 1) {
      out.push({ field: `${at}.user_data.user_identifiers`, description: 'Each user identifier sets exactly one of emailAddress, phoneNumber, address.', reason: 'INVALID_FORMAT' });
      continue;
    }
    const [name, value] = Object.entries(id)[0]!;
    if (name === 'emailAddress' || name === 'phoneNumber') {
      const d = decodeHash(value, encoding);
      if ('reason' in d) {
        // Google's documented answers: a plain-text email fails the hex check on the identifiers list;
        // hex that is not a SHA-256 fails on the member itself.
        out.push(d.reason === 'INVALID_SHA256_FORMAT' ? { field: at, reason: d.reason } : { field: `${at}.user_data.user_identifiers`, description: `${KIND_LABEL[name]} is not ${encoding === 'BASE64' ? 'base64' : 'hex'} encoded.`, reason: d.reason });
        continue;
      }
      identifiers.push({ kind: name === 'emailAddress' ? 'email' : 'phone', sha256: d.sha256 });
    } else if (name === 'address') {
      if (!isObject(value)) {
        out.push({ field: `${at}.user_data.user_identifiers`, description: 'address must be an AddressInfo object.', reason: 'INVALID_FORMAT' });
        continue;
      }
      const parts: string[] = [];
      for (const part of ['givenName', 'familyName'] as const) {
        const d = decodeHash(value[part], encoding);
        if ('reason' in d) out.push(d.reason === 'INVALID_SHA256_FORMAT' ? { field: at, reason: d.reason } : { field: `${at}.user_data.user_identifiers`, description: `${KIND_LABEL[part]} is not ${encoding === 'BASE64' ? 'base64' : 'hex'} encoded.`, reason: d.reason });
        else parts.push(d.sha256);
      }
      // Region and postal code travel in clear (formatting guide): a hash in their place is a mistake.
      const region = value.regionCode;
      if (typeof region !== 'string' || !/^[A-Za-z]{2}$/.test(region)) out.push({ field: `${at}.user_data.user_identifiers.address.region_code`, description: 'regionCode is a two-letter ISO-3166-1 alpha-2 code, not hashed.', reason: 'INVALID_FORMAT' });
      const postal = value.postalCode;
      if (typeof postal !== 'string' || postal.trim() === '' || /^[0-9a-fA-F]{64}$/.test(postal)) out.push({ field: `${at}.user_data.user_identifiers.address.postal_code`, reason: 'INVALID_POSTAL_CODE' });
      const extra = Object.keys(value).filter((k) => !['givenName', 'familyName', 'regionCode', 'postalCode'].includes(k));
      if (extra.length) out.push({ field: `${at}.user_data.user_identifiers.address`, description: `Unknown field(s) ${extra.join(', ')}.`, reason: 'INVALID_FORMAT' });
      if (parts.length === 2 && typeof region === 'string' && typeof postal === 'string') identifiers.push({ kind: 'address', key: `${parts[0]}:${parts[1]}:${region.toUpperCase()}:${postal.trim().toUpperCase()}` });
    } else {
      out.push({ field: `${at}.user_data.user_identifiers`, description: `Unknown identifier "${name}".`, reason: 'INVALID_FORMAT' });
    }
  }
  const consent = isObject(raw.consent) ? raw.consent : {};
  for (const [k, v] of Object.entries(consent)) {
    if ((k !== 'adUserData' && k !== 'adPersonalization') || typeof v !== 'string' || !CONSENT_VALUES.has(v)) out.push({ field: `${at}.consent.${k}`, reason: 'INVALID_ENUM_VALUE' });
  }
  if (out.length > before) return undefined;
  return { identifiers, consent: consent as CheckedMember['consent'] };
}

/**
 * Check one request body. Fast-fail, as Google documents: any violation fails the whole request,
 * and nothing of it is applied.
 */
export function checkDataManagerRequest(operation: 'ingest' | 'remove', body: unknown): { ok: true; request: CheckedRequest } | { ok: false; status: number; body: GoogleRpcStatusBody } {
  const v: FieldViolation[] = [];
  if (!isObject(body)) return { ok: false, status: 400, body: invalidArgument([{ field: '', description: 'The request body must be a JSON object.', reason: 'INVALID_FORMAT' }]) };
  const allowed = operation === 'ingest' ? INGEST_FIELDS : REMOVE_FIELDS;
  for (const k of Object.keys(body)) if (!allowed.has(k)) v.push({ field: k, description: `Invalid JSON payload received. Unknown name "${k}": Cannot find field.`, reason: 'INVALID_ARGUMENT' });

  const destinations = body.destinations;
  const productDestinationIds: string[] = [];
  if (!Array.isArray(destinations) || destinations.length === 0) v.push({ field: 'destinations', reason: 'REQUIRED_FIELD_MISSING' });
  else if (destinations.length > DATA_MANAGER_MAX_DESTINATIONS) v.push({ field: 'destinations', reason: 'TOO_MANY_DESTINATIONS' });
  else {
    destinations.forEach((d, i) => {
      const at = `destinations[${i}]`;
      if (!isObject(d)) return void v.push({ field: at, reason: 'INVALID_DESTINATION' });
      for (const acc of ['operatingAccount', 'loginAccount', 'linkedAccount'] as const) {
        const a = d[acc];
        if (a === undefined && acc !== 'operatingAccount') continue;
        if (!isObject(a) || typeof a.accountType !== 'string' || !ACCOUNT_TYPES.has(a.accountType) || typeof a.accountId !== 'string' || !/^\d+$/.test(a.accountId)) {
          v.push({ field: `${at}.${acc === 'operatingAccount' ? 'operating_account' : acc === 'loginAccount' ? 'login_account' : 'linked_account'}`, description: 'An account needs an accountType and an accountId of digits (no dashes).', reason: 'INVALID_DESTINATION' });
        }
      }
      if (typeof d.productDestinationId !== 'string' || d.productDestinationId === '') v.push({ field: `${at}.product_destination_id`, reason: 'REQUIRED_FIELD_MISSING' });
      else productDestinationIds.push(d.productDestinationId);
    });
  }

  const encoding = body.encoding;
  if (encoding === undefined) v.push({ field: 'encoding', description: 'encoding is required for UserData uploads.', reason: 'REQUIRED_FIELD_MISSING' });
  else if (encoding !== 'HEX' && encoding !== 'BASE64') v.push({ field: 'encoding', reason: 'INVALID_ENUM_VALUE' });

  const members = body.audienceMembers;
  const checked: CheckedMember[] = [];
  if (!Array.isArray(members) || members.length === 0) v.push({ field: 'audience_members', reason: 'REQUIRED_FIELD_MISSING' });
  else if (members.length > DATA_MANAGER_MAX_MEMBERS) v.push({ field: 'audience_members', reason: 'TOO_MANY_AUDIENCE_MEMBERS' });
  else if (encoding === 'HEX' || encoding === 'BASE64') {
    members.forEach((m, i) => {
      const c = checkMember(m, i, encoding, operation, v);
      if (c) checked.push(c);
    });
  }
  const requestConsent = isObject(body.consent) ? (body.consent as CheckedRequest['requestConsent']) : {};
  if (v.length) return { ok: false, status: 400, body: invalidArgument(v.slice(0, 20)) };
  return { ok: true, request: { productDestinationIds, members: checked, requestConsent, validateOnly: body.validateOnly === true } };
}

/** The keys a member is known by in an audience: each hash alone, and a full address as one key. */
export function dataManagerMemberKeys(member: CheckedMember): string[] {
  return member.identifiers.map((id) => (id.kind === 'address' ? `address:${id.key}` : `${id.kind}:${id.sha256}`));
}
