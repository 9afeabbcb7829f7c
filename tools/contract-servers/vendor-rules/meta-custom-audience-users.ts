/**
 * The Meta Marketing API's rules for `POST|DELETE /{custom_audience_id}/users`, written for the
 * contract server from Meta's pages — deliberately NOT from contracts/ (the adapter builds its
 * requests with those). Sources:
 *
 * - the endpoint, `payload` {schema, data}, `session` {session_id, batch_seq, last_batch_flag,
 *   estimated_num_total}, 10,000 records per call, LOOKALIKE_VALUE for value-based audiences, the
 *   response (audience_id, session_id, num_received, num_invalid_entries, invalid_entry_samples), the
 *   "Audience Upload Blocked" error (code 100, subcode 1713230):
 *   https://developers.facebook.com/docs/marketing-api/reference/custom-audience/users
 * - the schema keys and hashing rules (SHA-256 of the normalized value for every key except
 *   EXTERN_ID, MADID and LOOKALIKE_VALUE):
 *   https://developers.facebook.com/docs/marketing-api/audiences/guides/custom-audiences
 * - rate limiting (code 17 subcode 2446079; 613 subcode 1487742; 4; the custom_audience business use
 *   case 80003): https://developers.facebook.com/docs/marketing-api/overview/rate-limiting
 * - the error envelope {error:{message,type,code,error_subcode,fbtrace_id}} and OAuth errors (190):
 *   https://developers.facebook.com/docs/graph-api/guides/error-handling
 *
 * Graph takes parameters as JSON strings in a form body, or as JSON; `payload` and `session` are
 * accepted either as objects or as JSON-encoded strings. Pure: no I/O. The golden fixtures under
 * test/fixtures/vendors/meta/ are its acceptance tests.
 */

export const META_USERS_MAX_RECORDS = 10_000;

/** Keys of the multi-key schema. */
export const META_HASHED_KEYS = new Set(['EMAIL', 'PHONE', 'GEN', 'DOBY', 'DOBM', 'DOBD', 'LN', 'FN', 'FI', 'CT', 'ST', 'ZIP', 'COUNTRY']);
export const META_CLEAR_KEYS = new Set(['EXTERN_ID', 'MADID']);
export const META_VALUE_KEY = 'LOOKALIKE_VALUE';
/** Single-key schemas may name the hash explicitly. */
const SINGLE_KEY_ALIASES: Record<string, string> = { EMAIL_SHA256: 'EMAIL', PHONE_SHA256: 'PHONE', MOBILE_ADVERTISER_ID: 'MADID' };

export interface MetaGraphError {
  error: { message: string; type: string; code: number; error_subcode?: number; is_transient?: boolean; error_user_title?: string; error_user_msg?: string; fbtrace_id: string };
}

let trace = 0;
export function graphError(message: string, code: number, extra: Omit<MetaGraphError['error'], 'message' | 'code' | 'fbtrace_id' | 'type'> & { type?: string } = {}): MetaGraphError {
  const { type, ...rest } = extra;
  return { error: { message, type: type ?? 'OAuthException', code, ...rest, fbtrace_id: `A${(++trace).toString(36).padStart(10, '0')}` } };
}

export interface CheckedUsersRequest {
  schema: string[];
  /** Rows as sent, one array per record. */
  rows: (string | number)[][];
  /** Indexes of records Meta cannot use (a value that is not what the key needs); counted, not refused. */
  invalid: { index: number; reason: string }[];
  session?: { session_id: number; batch_seq: number; last_batch_flag: boolean; estimated_num_total?: number };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const parseMaybeJson = (v: unknown): unknown => {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return Symbol.for('unparseable');
  }
};

/**
 * Check a /users body. Structural problems refuse the call (HTTP 400, code 100); a record whose
 * value cannot be used (an unhashed email, a negative LOOKALIKE_VALUE) is received but counted in
 * num_invalid_entries, as the response fields describe.
 */
export function checkUsersRequest(body: unknown, audience: { valueBased: boolean }): { ok: true; request: CheckedUsersRequest } | { ok: false; status: number; body: MetaGraphError } {
  const bad = (msg: string, subcode?: number) => ({ ok: false as const, status: 400, body: graphError(`(#100) ${msg}`, 100, subcode ? { error_subcode: subcode } : {}) });
  if (!isObject(body)) return bad('The parameter payload is required');
  const payload = parseMaybeJson(body.payload);
  if (payload === undefined) return bad('The parameter payload is required');
  if (!isObject(payload)) return bad('Param payload must be a JSON object');
  const rawSchema = payload.schema;
  const schema = (typeof rawSchema === 'string' ? [rawSchema] : Array.isArray(rawSchema) ? rawSchema : []).map((k) => (typeof k === 'string' ? (SINGLE_KEY_ALIASES[k] ?? k) : k));
  if (schema.length === 0) return bad('Param payload[schema] is required');
  for (const k of schema) {
    if (typeof k !== 'string' || !(META_HASHED_KEYS.has(k) || META_CLEAR_KEYS.has(k) || k === META_VALUE_KEY)) return bad(`Invalid schema key: ${String(k)}`);
  }
  if (new Set(schema).size !== schema.length) return bad('Duplicate schema keys');
  const valueAt = schema.indexOf(META_VALUE_KEY);
  if (valueAt >= 0 && !audience.valueBased) return bad('LOOKALIKE_VALUE can only be sent to a value-based custom audience (is_value_based)');
  if (valueAt < 0 && audience.valueBased) return bad('A value-based custom audience needs LOOKALIKE_VALUE in the schema');
  if (valueAt >= 0 && schema.length < 2) return bad('LOOKALIKE_VALUE needs at least one identifier key beside it');
  const data = typeof rawSchema === 'string' && Array.isArray(payload.data) ? payload.data.map((v) => (Array.isArray(v) ? v : [v])) : payload.data;
  if (!Array.isArray(data) || data.length === 0) return bad('Param payload[data] is required');
  if (data.length > META_USERS_MAX_RECORDS) return bad(`Too many records in one call: at most ${META_USERS_MAX_RECORDS}`);

  const rows: (string | number)[][] = [];
  const invalid: CheckedUsersRequest['invalid'] = [];
  for (let i = 0; i < data.length; i++) {
    const row = data[i];
    if (!Array.isArray(row) || row.length !== schema.length) return bad(`Record ${i} does not have one value per schema key (${schema.length})`);
    rows.push(row as (string | number)[]);
    let reason: string | undefined;
    let any = false;
    row.forEach((v, j) => {
      const key = schema[j] as string;
      if (key === META_VALUE_KEY) {
        if (typeof v !== 'number' && !(typeof v === 'string' && /^\d+(\.\d+)?$/.test(v))) reason ??= 'LOOKALIKE_VALUE must be a non-negative number';
        return;
      }
      if (v === '' || v === null) return;
      if (typeof v !== 'string') reason ??= `${key} must be a string`;
      else if (META_HASHED_KEYS.has(key) && !/^[0-9a-f]{64}$/.test(v)) reason ??= `${key} is not a SHA-256 hex hash of the normalized value`;
      any = true;
    });
    if (!any) reason ??= 'record has no identifier';
    if (reason) invalid.push({ index: i, reason });
  }

  let session: CheckedUsersRequest['session'];
  if (body.session !== undefined) {
    const s = parseMaybeJson(body.session);
    if (!isObject(s)) return bad('Param session must be a JSON object');
    const id = s.session_id;
    const seq = s.batch_seq;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) return bad('Param session[session_id] must be a positive 64-bit integer');
    if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 1) return bad('Param session[batch_seq] must be a positive integer');
    if (typeof s.last_batch_flag !== 'boolean') return bad('Param session[last_batch_flag] must be a boolean');
    if (s.estimated_num_total !== undefined && (typeof s.estimated_num_total !== 'number' || s.estimated_num_total < 0)) return bad('Param session[estimated_num_total] must be a non-negative integer');
    session = { session_id: id, batch_seq: seq, last_batch_flag: s.last_batch_flag, ...(typeof s.estimated_num_total === 'number' ? { estimated_num_total: s.estimated_num_total } : {}) };
  }
  for (const k of Object.keys(body)) {
    if (!['payload', 'session', 'access_token', 'appsecret_proof'].includes(k)) return bad(`Unknown parameter ${k}`);
  }
  return { ok: true, request: { schema: schema as string[], rows, invalid, session } };
}

/** The keys a record is known by in an audience: each identifier alone, and name-and-place together. */
export function usersRecordKeys(schema: readonly string[], row: readonly (string | number)[]): string[] {
  const v = (k: string) => {
    const i = schema.indexOf(k);
    return i >= 0 ? String(row[i] ?? '') : '';
  };
  const keys: string[] = [];
  for (const k of ['EMAIL', 'PHONE', 'EXTERN_ID', 'MADID']) if (v(k)) keys.push(`${k}:${v(k)}`);
  if (v('FN') && v('LN')) keys.push(`NAME:${v('FN')}:${v('LN')}:${v('ZIP')}:${v('CT')}:${v('COUNTRY')}`);
  return keys;
}
