/**
 * Meta Custom Audiences (docs/destinations/meta-custom-audiences.md). Thin: maps resolved
 * identifiers to the multi-key schema, validates against contracts/meta-custom-audiences.ts, sends.
 *
 * - upsert chunk → POST {baseUrl}/{audience_id}/users; remove chunk → DELETE {baseUrl}/{audience_id}/users;
 * - body {payload:{schema, data}, session:{session_id, batch_seq, last_batch_flag, estimated_num_total}};
 *   the schema is the keys present in the chunk, in META_SCHEMA_ORDER; a missing value is "";
 * - one session per chunk: session_id is derived from the chunk's idempotency key (the first 52 bits
 *   of its SHA-256, a safe integer), batch_seq 1, last_batch_flag true. A resent chunk reuses the
 *   session and batch, which Meta (and the contract server) treat as the same batch;
 * - at most 10,000 records per request; the access token comes from the environment variable the
 *   config names and is sent as a Bearer header (never in the URL);
 * - HTTP 429/503, or a Graph error code of the rate-limit family (4, 17, 32, 613, 80003) or
 *   is_transient → DestinationThrottledError; other 4xx → DestinationRejectedError; 5xx → Error.
 * Meta answers per request with counts (num_received, num_invalid_entries), not per record, so an
 * accepted request accepts every record sent; the counts go to the receipt.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  META_MAX_RECORDS_PER_REQUEST,
  META_SCHEMA_ORDER,
  META_THROTTLE_CODES,
  META_VALUE_KEY,
  MetaErrorBody,
  MetaUsersRequest,
  MetaUsersResponse,
  type MetaSchemaKey,
} from '../../contracts/meta-custom-audiences.ts';
import {
  DestinationRejectedError,
  DestinationThrottledError,
  type ChunkResult,
  type DeliveryRow,
  type DestinationAdapter,
  type RowRejection,
  type SendContext,
} from './adapter.ts';
import { retryAfterMs } from './retry-after.ts';
import { CredentialError, MetaLongLivedCredentials, createTokenProvider } from './credentials.ts';

export const META_CUSTOM_AUDIENCES_KIND = 'meta-custom-audiences';

export const MetaCustomAudiencesConfig = z.object({
  /** e.g. https://graph.facebook.com/v21.0 */
  baseUrl: z.url(),
  /** Name of the environment variable that holds the access token (no validity check; prefer `credentials`). */
  tokenEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name').optional(),
  /** A long-lived (system-user) token named by environment variable, checked with /debug_token. */
  credentials: MetaLongLivedCredentials.optional(),
  audienceId: z.string().regex(/^\d+$/, 'a Custom Audience id (digits)'),
  maxChunkRows: z.number().int().min(1).max(META_MAX_RECORDS_PER_REQUEST).default(META_MAX_RECORDS_PER_REQUEST),
  timeoutMs: z.number().int().positive().default(60_000),
  /** Wait when a throttling answer has no Retry-After (Meta sends none for code 80003). */
  defaultRetryAfterMs: z.number().int().nonnegative().default(60_000),
}).refine((c) => Boolean(c.tokenEnv) !== Boolean(c.credentials), { message: 'set exactly one of credentials (meta-long-lived, checked before use) or tokenEnv', path: ['credentials'] });
export type MetaCustomAudiencesConfig = z.input<typeof MetaCustomAudiencesConfig>;

/** A positive int64 that fits a JSON number exactly: the first 52 bits of sha256(idempotency key), plus 1. */
export function metaSessionId(idempotencyKey: string): number {
  const hex = createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 13);
  return Number.parseInt(hex, 16) + 1;
}

/** A row's lookalike value (payload.lookalike_value, set for a value-based seed audience), or undefined. */
function lookalikeValue(r: DeliveryRow): number | undefined {
  const v = r.payload.lookalike_value;
  return typeof v === 'number' ? v : undefined;
}

/**
 * Pure: the request body for a chunk, and the rows that could not be mapped. Rows of a lookalike seed
 * carry a value: the schema then ends with LOOKALIKE_VALUE (a value-based custom audience requires it
 * on every call; a row without a value is rejected rather than sent without one).
 */
export function buildMetaUsersRequest(rows: readonly DeliveryRow[], idempotencyKey: string): { body?: MetaUsersRequest; sent: string[]; rejected: RowRejection[] } {
  const present = new Set<MetaSchemaKey>();
  for (const r of rows) for (const k of META_SCHEMA_ORDER) if (r.identifiers[k]) present.add(k);
  const valueBased = rows.some((r) => lookalikeValue(r) !== undefined);
  const keys = META_SCHEMA_ORDER.filter((k) => present.has(k));
  const schema: MetaSchemaKey[] = valueBased ? [...keys, META_VALUE_KEY] : keys;
  const rejected: RowRejection[] = [];
  const sent: string[] = [];
  const data: (string | number)[][] = [];
  for (const r of rows) {
    const values: (string | number)[] = keys.map((k) => r.identifiers[k] ?? '');
    if (values.every((v) => v === '')) {
      rejected.push({ entityId: r.entityId, reason: 'no identifier Meta can match on (EMAIL, PHONE, FN, LN, CT, ZIP, COUNTRY)', retryable: false });
      continue;
    }
    if (valueBased) {
      const value = lookalikeValue(r);
      if (value === undefined || !(value >= 0)) {
        rejected.push({ entityId: r.entityId, reason: 'no LOOKALIKE_VALUE for a value-based seed audience (a non-negative number)', retryable: false });
        continue;
      }
      values.push(value);
    }
    data.push(values);
    sent.push(r.entityId);
  }
  if (data.length === 0) return { sent, rejected };
  const body: MetaUsersRequest = {
    payload: { schema, data },
    session: { session_id: metaSessionId(idempotencyKey), batch_seq: 1, last_batch_flag: true, estimated_num_total: data.length },
  };
  return { body, sent, rejected };
}

export function createMetaCustomAudiencesAdapter(config: MetaCustomAudiencesConfig, deps: { fetch?: typeof fetch } = {}): DestinationAdapter {
  const cfg = MetaCustomAudiencesConfig.parse(config);
  const doFetch = deps.fetch ?? fetch;
  const url = `${cfg.baseUrl.replace(/\/+$/, '')}/${cfg.audienceId}/users`;
  const provider = cfg.credentials ? createTokenProvider(cfg.credentials, { fetch: doFetch, baseUrl: cfg.baseUrl }) : undefined;
  async function accessToken(): Promise<string> {
    if (provider) {
      try {
        return await provider.getToken();
      } catch (err) {
        if (err instanceof CredentialError) throw new DestinationRejectedError(META_CUSTOM_AUDIENCES_KIND, 401, err.message);
        throw err;
      }
    }
    const token = process.env[cfg.tokenEnv!];
    if (!token) throw new DestinationRejectedError(META_CUSTOM_AUDIENCES_KIND, 401, `environment variable ${cfg.tokenEnv} holds no access token; set it to a token with ads_management permission`);
    return token;
  }

  async function send(rows: DeliveryRow[], ctx: SendContext): Promise<ChunkResult> {
    const op = rows[0]?.op;
    if (!op) return { accepted: [], rejected: [], receipt: { records: 0 } };
    if (rows.some((r) => r.op !== op)) throw new Error('meta-custom-audiences: a chunk mixes upserts and removes; the sync engine sends one operation per chunk');
    if (rows.length > cfg.maxChunkRows) throw new Error(`meta-custom-audiences: chunk of ${rows.length} rows exceeds ${cfg.maxChunkRows} records per request`);

    const built = buildMetaUsersRequest(rows, ctx.idempotencyKey);
    if (!built.body) return { accepted: [], rejected: built.rejected, receipt: { records: 0 } };
    const valid = MetaUsersRequest.safeParse(built.body);
    if (!valid.success) {
      const issue = valid.error.issues[0];
      throw new DestinationRejectedError(META_CUSTOM_AUDIENCES_KIND, 0, `request does not satisfy the Meta Custom Audiences contract at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
    }
    const call = async (token: string) => {
      const timeout = AbortSignal.timeout(cfg.timeoutMs);
      return doFetch(url, {
        method: op === 'upsert' ? 'POST' : 'DELETE',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(valid.data),
        signal: ctx.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout,
      });
    };
    let res = await call(await accessToken());
    if (res.status === 401 && provider) {
      // Re-check the token (it may have been renewed in the environment) and retry once.
      await res.body?.cancel();
      provider.invalidate();
      res = await call(await accessToken());
    }
    const text = await res.text();
    const json = safeJson(text);
    if (res.ok) {
      const r = MetaUsersResponse.safeParse(json);
      const receipt = r.success
        ? { sessionId: valid.data.session.session_id, numReceived: r.data.num_received, numInvalidEntries: r.data.num_invalid_entries, operation: op }
        : { sessionId: valid.data.session.session_id, records: built.sent.length, operation: op };
      return { accepted: built.sent, rejected: built.rejected, receipt };
    }
    const err = MetaErrorBody.safeParse(json);
    const e = err.success ? err.data.error : undefined;
    const message = e ? `${e.type} code ${e.code}${e.error_subcode ? `/${e.error_subcode}` : ''}: ${e.message}` : `HTTP ${res.status}`;
    if (res.status === 429 || res.status === 503 || (e && (META_THROTTLE_CODES.has(e.code) || e.is_transient === true))) {
      throw new DestinationThrottledError(META_CUSTOM_AUDIENCES_KIND, res.status, retryAfterMs(res.headers.get('retry-after'), cfg.defaultRetryAfterMs));
    }
    if (res.status >= 500) throw new Error(`Meta answered HTTP ${res.status} (${message}) to chunk ${ctx.chunkIndex}; retrying is safe`);
    throw new DestinationRejectedError(META_CUSTOM_AUDIENCES_KIND, res.status, message);
  }

  /**
   * The audience's size as Meta reports it: `GET /{audience_id}?fields=approximate_count_lower_bound,
   * approximate_count_upper_bound`. Meta gives a range, never the members, so verification compares
   * the number of members we hold against it.
   */
  async function audienceSize(signal?: AbortSignal): Promise<{ lower: number; upper: number }> {
    const token = await accessToken();
    const timeout = AbortSignal.timeout(cfg.timeoutMs);
    const res = await doFetch(`${cfg.baseUrl.replace(/\/+$/, '')}/${cfg.audienceId}?fields=approximate_count_lower_bound,approximate_count_upper_bound`, {
      method: 'GET',
      headers: { authorization: `Bearer ${token}` },
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    const json = safeJson(await res.text()) as { approximate_count_lower_bound?: unknown; approximate_count_upper_bound?: unknown } | undefined;
    if (!res.ok) {
      const err = MetaErrorBody.safeParse(json);
      throw new DestinationRejectedError(META_CUSTOM_AUDIENCES_KIND, res.status, `Meta refused the audience size read (HTTP ${res.status}${err.success ? `: ${err.data.error.message}` : ''})`);
    }
    const lower = Number(json?.approximate_count_lower_bound);
    const upper = Number(json?.approximate_count_upper_bound);
    if (!Number.isFinite(lower) || !Number.isFinite(upper)) throw new Error('Meta\'s audience answer lacks approximate_count_lower_bound / approximate_count_upper_bound');
    return { lower, upper };
  }

  return { kind: META_CUSTOM_AUDIENCES_KIND, maxChunkRows: cfg.maxChunkRows, send, audienceSize };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
