/**
 * The Google Ads API's `googleAds:search` rules for the one query Scoreflow sends (a Customer Match
 * list's size), written for the contract server straight from Google's pages — deliberately NOT from
 * contracts/ (the adapter parses answers with those; checking them with the same code would let one
 * misreading pass on both sides). Each rule names its source:
 *
 * - request: POST /v{N}/customers/{customerId}/googleAds:search, JSON body {query, pageToken,
 *   pageSize (refused since v17: PAGE_SIZE_NOT_SUPPORTED), validateOnly, searchSettings}; response
 *   {results[] (GoogleAdsRow), nextPageToken, totalResultsCount, fieldMask, summaryRow,
 *   queryResourceConsumption}, int64 as JSON strings, lowerCamelCase names in the response while
 *   the query keeps snake_case:
 *   https://developers.google.com/google-ads/api/reference/rpc/latest/GoogleAdsService/Search
 *   https://developers.google.com/google-ads/api/rest/common/search
 * - headers: `Authorization: Bearer`, `developer-token` (until the sunset of 9 September 2026: optional
 *   and ignored since), `login-customer-id` when calling through a manager account:
 *   https://developers.google.com/google-ads/api/rest/auth
 *   https://developers.google.com/google-ads/api/docs/api-policy/developer-token
 * - the UserList fields: size_for_display / size_for_search (int64, "null if the number of users has
 *   not yet been determined"), size_range_for_display / size_range_for_search (UserListSizeRange):
 *   https://developers.google.com/google-ads/api/fields/latest/user_list
 *   https://developers.google.com/google-ads/api/reference/rpc/latest/UserListSizeRangeEnum.UserListSizeRange
 * - errors: google.rpc.Status whose details carry a GoogleAdsFailure {errors[{errorCode, message}],
 *   requestId}; QueryError (EXPECTED_SELECT, EXPECTED_FROM, BAD_FIELD_NAME, UNRECOGNIZED_FIELD,
 *   BAD_RESOURCE_TYPE_IN_FROM_CLAUSE, BAD_NUMBER, QUERY_ERROR), RequestError
 *   (DEVELOPER_TOKEN_PARAMETER_MISSING, REQUIRED_FIELD_MISSING, PAGE_SIZE_NOT_SUPPORTED):
 *   https://developers.google.com/google-ads/api/docs/best-practices/understand-api-errors
 *   https://developers.google.com/google-ads/api/reference/rpc/latest/GoogleAdsFailure
 *   https://developers.google.com/google-ads/api/reference/rpc/latest/QueryErrorEnum.QueryError
 *   https://developers.google.com/google-ads/api/reference/rpc/latest/RequestErrorEnum.RequestError
 *
 * Narrower than Google on purpose: it answers `SELECT <user_list fields> FROM user_list WHERE
 * user_list.id = <digits>` and nothing else (another resource, another condition, ORDER BY, LIMIT:
 * QUERY_ERROR or the specific QueryError). Pure: no I/O. The golden fixtures under
 * test/fixtures/vendors/google/ are its acceptance tests.
 */
import { randomUUID } from 'node:crypto';

/** The user_list fields this server answers; any other `user_list.*` name is UNRECOGNIZED_FIELD. */
export const USER_LIST_FIELDS = ['user_list.resource_name', 'user_list.id', 'user_list.size_for_display', 'user_list.size_for_search', 'user_list.size_range_for_display', 'user_list.size_range_for_search'] as const;
export type UserListField = (typeof USER_LIST_FIELDS)[number];

/** UserListSizeRange, each value with the bounds its description states (upper bound inclusive). */
export const USER_LIST_SIZE_RANGES: readonly { name: string; lower: number; upper: number }[] = [
  { name: 'LESS_THAN_FIVE_HUNDRED', lower: 0, upper: 499 },
  { name: 'LESS_THAN_ONE_THOUSAND', lower: 500, upper: 999 },
  { name: 'ONE_THOUSAND_TO_TEN_THOUSAND', lower: 1_000, upper: 9_999 },
  { name: 'TEN_THOUSAND_TO_FIFTY_THOUSAND', lower: 10_000, upper: 49_999 },
  { name: 'FIFTY_THOUSAND_TO_ONE_HUNDRED_THOUSAND', lower: 50_000, upper: 99_999 },
  { name: 'ONE_HUNDRED_THOUSAND_TO_THREE_HUNDRED_THOUSAND', lower: 100_000, upper: 299_999 },
  { name: 'THREE_HUNDRED_THOUSAND_TO_FIVE_HUNDRED_THOUSAND', lower: 300_000, upper: 499_999 },
  { name: 'FIVE_HUNDRED_THOUSAND_TO_ONE_MILLION', lower: 500_000, upper: 999_999 },
  { name: 'ONE_MILLION_TO_TWO_MILLION', lower: 1_000_000, upper: 1_999_999 },
  { name: 'TWO_MILLION_TO_THREE_MILLION', lower: 2_000_000, upper: 2_999_999 },
  { name: 'THREE_MILLION_TO_FIVE_MILLION', lower: 3_000_000, upper: 4_999_999 },
  { name: 'FIVE_MILLION_TO_TEN_MILLION', lower: 5_000_000, upper: 9_999_999 },
  { name: 'TEN_MILLION_TO_TWENTY_MILLION', lower: 10_000_000, upper: 19_999_999 },
  { name: 'TWENTY_MILLION_TO_THIRTY_MILLION', lower: 20_000_000, upper: 29_999_999 },
  { name: 'THIRTY_MILLION_TO_FIFTY_MILLION', lower: 30_000_000, upper: 49_999_999 },
  { name: 'OVER_FIFTY_MILLION', lower: 50_000_000, upper: Number.MAX_SAFE_INTEGER },
];

/** The UserListSizeRange a member count falls in. */
export function sizeRangeOf(n: number): string {
  return USER_LIST_SIZE_RANGES.find((r) => n >= r.lower && n <= r.upper)!.name;
}

export interface GoogleAdsErrorEntry {
  errorCode: Record<string, string>;
  message: string;
}

export interface GoogleAdsFailureBody {
  error: { code: number; message: string; status: string; details: Record<string, unknown>[] };
}

/** google.rpc.Status with a GoogleAdsFailure in its details (the shape of every Ads API refusal). */
export function adsFailure(version: string, code: number, status: string, errors: GoogleAdsErrorEntry[], requestId = randomUUID().replace(/-/g, '').slice(0, 22)): GoogleAdsFailureBody {
  const message = code === 400 ? 'Request contains an invalid argument.' : code === 401 ? 'Request is missing required authentication credential.' : 'The request failed.';
  return {
    error: {
      code,
      message,
      status,
      details: [{ '@type': `type.googleapis.com/google.ads.googleads.${version}.errors.GoogleAdsFailure`, errors, requestId }],
    },
  };
}

const queryError = (code: string, message: string): GoogleAdsErrorEntry => ({ errorCode: { queryError: code }, message });
const requestError = (code: string, message: string): GoogleAdsErrorEntry => ({ errorCode: { requestError: code }, message });

export type CheckedSearch = { ok: true; listId: string; fields: UserListField[]; validateOnly: boolean } | { ok: false; status: number; errors: GoogleAdsErrorEntry[]; plain?: string };

const BODY_KEYS = new Set(['query', 'pageToken', 'pageSize', 'validateOnly', 'searchSettings']);

/** The request body and its GAQL query, checked; the user list id and fields it asks for. */
export function checkSearchRequest(body: unknown): CheckedSearch {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, status: 400, errors: [], plain: 'Invalid JSON payload received. Expected an object.' };
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).find((k) => !BODY_KEYS.has(k));
  if (unknown) return { ok: false, status: 400, errors: [], plain: `Invalid JSON payload received. Unknown name "${unknown}": Cannot find field.` };
  if (b.pageSize !== undefined) return { ok: false, status: 400, errors: [requestError('PAGE_SIZE_NOT_SUPPORTED', 'Setting the page size is not supported.')] };
  if (typeof b.query !== 'string' || b.query.trim() === '') return { ok: false, status: 400, errors: [requestError('REQUIRED_FIELD_MISSING', 'The query is required.')] };
  const q = parseUserListQuery(b.query);
  if (!q.ok) return { ok: false, status: 400, errors: [q.error] };
  return { ok: true, listId: q.listId, fields: q.fields, validateOnly: b.validateOnly === true };
}

/** GAQL, as far as this server speaks it: `SELECT f[, f...] FROM user_list WHERE user_list.id = N`. */
export function parseUserListQuery(query: string): { ok: true; listId: string; fields: UserListField[] } | { ok: false; error: GoogleAdsErrorEntry } {
  const text = query.trim().replace(/\s+/g, ' ');
  if (!/^select /i.test(text)) return { ok: false, error: queryError('EXPECTED_SELECT', 'SELECT is missing at the beginning of query.') };
  const m = /^select (.+?) from ([^ ]+)(?: where (.+))?$/i.exec(text);
  if (!m) return { ok: false, error: queryError('EXPECTED_FROM', 'Missing FROM clause.') };
  const [, select, resource, where] = m;
  const fields = select!.split(',').map((f) => f.trim());
  for (const f of fields) {
    if (!/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/.test(f)) return { ok: false, error: queryError('BAD_FIELD_NAME', `Field name is invalid: '${f.slice(0, 80)}'.`) };
  }
  if (resource !== 'user_list') {
    return { ok: false, error: queryError('BAD_RESOURCE_TYPE_IN_FROM_CLAUSE', `This server answers queries FROM user_list only, not '${resource!.slice(0, 80)}'.`) };
  }
  for (const f of fields) {
    if (!(USER_LIST_FIELDS as readonly string[]).includes(f)) return { ok: false, error: queryError('UNRECOGNIZED_FIELD', `Unrecognized field in the query: '${f}'.`) };
  }
  if (!where) return { ok: false, error: queryError('QUERY_ERROR', 'This server answers one user list at a time: WHERE user_list.id = <id>.') };
  const cond = /^user_list\.id ?= ?(.+)$/.exec(where.trim());
  if (!cond) return { ok: false, error: queryError('QUERY_ERROR', 'This server answers only the condition user_list.id = <id> (no other condition, ORDER BY or LIMIT).') };
  const id = cond[1]!.trim();
  if (!/^\d{1,19}$/.test(id)) return { ok: false, error: queryError('BAD_NUMBER', `Encountered number can not be parsed: '${id.slice(0, 40)}'.`) };
  return { ok: true, listId: id, fields: [...new Set(fields)] as UserListField[] };
}

/** snake_case field path → the lowerCamelCase path the REST response and fieldMask use. */
export const camelPath = (field: string) => field.split('.').map((p) => p.replace(/_([a-z0-9])/g, (_s, c: string) => c.toUpperCase())).join('.');
