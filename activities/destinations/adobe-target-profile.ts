/**
 * Adobe Target single profile update, for the real-time path (docs/destinations/adobe-target.md):
 *   `${baseUrl}/m2/${client}/profile/update?mbox3rdPartyId=<id>&profile.<attr>=<v>`
 * GET while the whole URL fits in 8 KB, else POST with the profile parameters as a form body up to
 * 60 KB; larger updates are refused before sending. It updates existing profiles only (Target
 * creates none) and allows 1M updates per rolling 24 h per account.
 *
 * The same row rules as the bulk adapter apply (adobe-target-rules.ts): ids without "+" or "/",
 * names up to 128 characters, values up to 256 (reject or truncate), and `null` clears an attribute
 * by writing TARGET_CLEAR_SENTINEL, because an empty value never clears one.
 */
import { DestinationRejectedError, DestinationThrottledError } from './adapter.ts';
import {
  attributeNameProblem,
  encodeTargetField,
  readTargetXml,
  targetCell,
  thirdPartyIdProblem,
  type ValueOverflowRule,
} from './adobe-target-rules.ts';
import { retryAfterMs } from './retry-after.ts';

export const TARGET_PROFILE_KIND = 'adobe-target-profile';
export const TARGET_PROFILE_GET_MAX_BYTES = 8 * 1024;
export const TARGET_PROFILE_POST_MAX_BYTES = 60 * 1024;

export type ProfileValue = string | number | boolean | null | undefined;

/** The update could not be built: bad id, name or value, or too large. Not retryable; the message names no identifier. */
export class TargetProfileInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetProfileInputError';
  }
}

export interface SingleProfileUpdateInput {
  baseUrl: string;
  client: string;
  thirdPartyId: string;
  /** Attribute name (without "profile.") → value. `null` clears (sentinel); `undefined` is skipped. */
  attributes: Record<string, ProfileValue>;
  valueOverflow?: ValueOverflowRule;
}

export type SingleProfileRequest =
  | { method: 'GET'; url: string; bytes: number }
  | { method: 'POST'; url: string; body: string; bytes: number };

/** Pure: the request for one profile update, GET when the URL fits in 8 KB, else POST. */
export function buildSingleProfileUpdate(input: SingleProfileUpdateInput): SingleProfileRequest {
  const idProblem = thirdPartyIdProblem(input.thirdPartyId, 'thirdPartyId');
  if (idProblem) throw new TargetProfileInputError(idProblem);
  const params: string[] = [];
  for (const [name, value] of Object.entries(input.attributes)) {
    if (value === undefined) continue;
    const nameProblem = attributeNameProblem(name);
    if (nameProblem) throw new TargetProfileInputError(nameProblem);
    const cell = targetCell(name, value, input.valueOverflow ?? 'reject');
    if (!cell.ok) throw new TargetProfileInputError(cell.reason);
    params.push(`profile.${encodeTargetField(name)}=${encodeTargetField(cell.value)}`);
  }
  if (params.length === 0) throw new TargetProfileInputError('the update carries no attribute value (Target ignores empty values)');
  const base = `${input.baseUrl.replace(/\/+$/, '')}/m2/${encodeURIComponent(input.client)}/profile/update?mbox3rdPartyId=${encodeTargetField(input.thirdPartyId)}`;
  const getUrl = `${base}&${params.join('&')}`;
  const getBytes = Buffer.byteLength(getUrl, 'utf8');
  if (getBytes <= TARGET_PROFILE_GET_MAX_BYTES) return { method: 'GET', url: getUrl, bytes: getBytes };
  const body = params.join('&');
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > TARGET_PROFILE_POST_MAX_BYTES) {
    throw new TargetProfileInputError(`the update is ${bytes} bytes, over Target's ${TARGET_PROFILE_POST_MAX_BYTES}-byte POST limit; send fewer or shorter attributes`);
  }
  return { method: 'POST', url: base, body, bytes };
}

export interface SingleProfileUpdateResult {
  method: 'GET' | 'POST';
  status: number;
  bytes: number;
  message: string;
}

/**
 * Sends one profile update. Resolves when Target accepted it for processing; throws
 * TargetProfileInputError (bad input), DestinationThrottledError (429/503, honouring Retry-After),
 * DestinationRejectedError (other 4xx, or success=false), or a plain Error (5xx, network: retryable).
 */
export async function sendSingleProfileUpdate(
  input: SingleProfileUpdateInput & { token?: string; signal?: AbortSignal; fetch?: typeof fetch; timeoutMs?: number },
): Promise<SingleProfileUpdateResult> {
  const req = buildSingleProfileUpdate(input);
  const headers: Record<string, string> = input.token ? { authorization: `Bearer ${input.token}` } : {};
  if (req.method === 'POST') headers['content-type'] = 'application/x-www-form-urlencoded';
  const timeout = AbortSignal.timeout(input.timeoutMs ?? 10_000);
  const res = await (input.fetch ?? fetch)(req.url, {
    method: req.method,
    headers,
    body: req.method === 'POST' ? req.body : undefined,
    signal: input.signal ? AbortSignal.any([input.signal, timeout]) : timeout,
  });
  const text = await res.text();
  const xml = readTargetXml(text);
  const message = xml.message ?? text.slice(0, 200);
  if (res.status === 429 || res.status === 503) throw new DestinationThrottledError(TARGET_PROFILE_KIND, res.status, retryAfterMs(res.headers.get('retry-after'), 60_000));
  if (res.status >= 400 && res.status < 500) throw new DestinationRejectedError(TARGET_PROFILE_KIND, res.status, `Target rejected the profile update (HTTP ${res.status}): ${message}`);
  if (res.status >= 500) throw new Error(`Target answered HTTP ${res.status} to a profile update: ${message}; retrying is safe`);
  // Target's answer is <success>true</success><message>Request successfully submitted</message>.
  const success = xml.success ?? (text.trim().startsWith('true') ? 'true' : 'false');
  if (success !== 'true') throw new DestinationRejectedError(TARGET_PROFILE_KIND, res.status, `Target did not accept the profile update: ${message}`);
  return { method: req.method, status: res.status, bytes: req.bytes, message };
}
