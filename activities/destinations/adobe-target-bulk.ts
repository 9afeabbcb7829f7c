/**
 * Adobe Target Bulk Profile Update API v2 (docs/destinations/adobe-target.md).
 *
 * The pure part, `buildBatchFiles`, turns delivery rows into batch files:
 *   batch=thirdPartyId,attr1,attr2      names and values URL-encoded UTF-8, comma-separated
 *   C123,0.82,high_intent
 * at most 500,000 rows and under 50 MB per file (split otherwise; every file repeats the header).
 *
 * Row rules, declared here and in the destination contract:
 * - the id comes from `identifiers.thirdPartyId` (or `pcId`); a missing id, or one holding "+" or "/",
 *   rejects the row with a reason;
 * - attribute names are at most 128 characters, without the "profile." prefix; with declared
 *   `attributes`, a payload key outside them rejects the row;
 * - a value over 256 characters rejects the row (`valueOverflow: 'reject'`, the default) or is cut
 *   to 256 code points (`'truncate'`); objects and arrays reject the row;
 * - an empty value never clears an attribute in Target. A removal therefore writes
 *   TARGET_CLEAR_SENTINEL ('__sf_cleared__') into every attribute it clears: the payload's keys, or
 *   all the file's attributes when the payload is empty. On an upsert, a `null` value also writes the
 *   sentinel; an `undefined` (absent) value leaves Target's value as it is.
 *
 * The HTTP part, `createTargetBulkAdapter`, POSTs each file raw to
 * `${baseUrl}/m2/${client}/v2/profile/batchUpdate`, reads the XML answer (<success>, <batchStatus>,
 * <message>), then polls batchStatus with showDetails=true until complete or stuck. Every call
 * (uploads and polls) first takes a slot from a client-side limiter of 50 calls/min per account.
 * HTTP 503 (Target's over-the-limit answer) and 429 become DestinationThrottledError, honouring
 * Retry-After. Each file carries `Idempotency-Key: <chunk key>/<file index>`; Target ignores the
 * header (re-sending a file sets the same values again, which is harmless), the contract server uses
 * it to recognise a redelivered file.
 *
 * A stuck batch rejects its rows as retryable. A batch still incomplete when polling gives up
 * (`pollTimeoutMs`) counts as accepted, since Target took the file; the receipt keeps its status URL.
 * Target reports only counts per batch (successfulUpdates, failedUpdates, profilesNotFound), so they
 * go to the receipt, not to single rows.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { logger } from '../observability/logger.ts';
import {
  DestinationRejectedError,
  DestinationThrottledError,
  type ChunkResult,
  type DeliveryRow,
  type DestinationAdapter,
  type ResolvedIdentifiers,
  type RowRejection,
  type SendContext,
} from './adapter.ts';
import {
  TARGET_CLEAR_SENTINEL,
  attributeNameProblem,
  encodeTargetField,
  readTargetXml,
  targetCell,
  thirdPartyIdProblem,
  type TargetIdColumn,
  type ValueOverflowRule,
} from './adobe-target-rules.ts';
import { retryAfterMs } from './retry-after.ts';
import { AdobeImsCredentials, CredentialError, createTokenProvider } from './credentials.ts';
import { sharedLimiter, type SlidingWindowLimiter } from './sliding-window-limiter.ts';

export { TARGET_CLEAR_SENTINEL } from './adobe-target-rules.ts';

export const TARGET_BULK_KIND = 'adobe-target-bulk';
export const TARGET_BULK_MAX_ROWS = 500_000;
/** Files stay strictly under this many bytes: 50 MB read as decimal megabytes, under 50 MiB either way. */
export const TARGET_BULK_MAX_BYTES = 50_000_000;
export const TARGET_BULK_CALLS_PER_MINUTE = 50;
/** Target's 503 carries no documented Retry-After; without one, wait a full rate window. */
const DEFAULT_THROTTLE_WAIT_MS = 60_000;

// ---------------------------------------------------------------------------------------------
// Pure: batch file builder

export interface BatchFileOptions {
  idColumn?: TargetIdColumn;
  /** Declared attribute columns, in header order. Without them the header is the sorted union of payload keys. */
  attributes?: readonly string[];
  valueOverflow?: ValueOverflowRule;
  maxRows?: number;
  /** Exclusive: every file is smaller than this many bytes. */
  maxBytes?: number;
}

export interface BatchFile {
  body: string;
  bytes: number;
  /** Entity ids of the rows in this file, in file order. */
  entityIds: string[];
}

export interface BatchBuild {
  idColumn: TargetIdColumn;
  attributes: string[];
  files: BatchFile[];
  rejected: RowRejection[];
  /** Values cut to 256 characters under the `truncate` rule. */
  truncatedValues: number;
  /** Attribute cells that carry the clear sentinel. */
  clearedValues: number;
}

/** The header line of a batch file. */
export function batchHeaderLine(idColumn: TargetIdColumn, attributes: readonly string[]): string {
  return `batch=${[idColumn, ...attributes].map(encodeTargetField).join(',')}`;
}

export function buildBatchFiles(rows: readonly DeliveryRow[], options: BatchFileOptions = {}): BatchBuild {
  const idColumn = options.idColumn ?? 'thirdPartyId';
  const overflow = options.valueOverflow ?? 'reject';
  const maxRows = options.maxRows ?? TARGET_BULK_MAX_ROWS;
  const maxBytes = options.maxBytes ?? TARGET_BULK_MAX_BYTES;
  if (maxRows < 1 || maxRows > TARGET_BULK_MAX_ROWS) throw new RangeError(`maxRows must be 1..${TARGET_BULK_MAX_ROWS}, got ${maxRows}`);
  if (maxBytes > TARGET_BULK_MAX_BYTES) throw new RangeError(`maxBytes must be at most ${TARGET_BULK_MAX_BYTES}, got ${maxBytes}`);

  const declared = options.attributes !== undefined;
  let attributes: string[];
  if (declared) {
    attributes = [...options.attributes!];
    const seen = new Set<string>();
    for (const a of attributes) {
      const problem = attributeNameProblem(a, idColumn);
      if (problem) throw new RangeError(`declared Target attribute: ${problem}; fix the destination mapping`);
      if (seen.has(a)) throw new RangeError(`declared Target attribute "${a}" appears twice; fix the destination mapping`);
      seen.add(a);
    }
  } else {
    const names = new Set<string>();
    for (const r of rows) for (const k of Object.keys(r.payload)) if (!attributeNameProblem(k, idColumn)) names.add(k);
    attributes = [...names].sort();
  }
  const column = new Map(attributes.map((a, i) => [a, i]));

  const rejected: RowRejection[] = [];
  const lines: { entityId: string; line: string; bytes: number }[] = [];
  let truncatedValues = 0;
  let clearedValues = 0;

  for (const row of rows) {
    const reject = (reason: string) => rejected.push({ entityId: row.entityId, reason, retryable: false });
    const id = row.identifiers[idColumn];
    const idProblem = thirdPartyIdProblem(id, idColumn);
    if (idProblem) {
      reject(idProblem);
      continue;
    }
    const cells: string[] = new Array<string>(attributes.length).fill('');
    let problem: string | undefined;
    let filled = 0;
    let truncated = 0;
    let cleared = 0;
    const keys = Object.keys(row.payload);
    for (const k of keys) {
      const nameProblem = attributeNameProblem(k, idColumn);
      if (nameProblem) {
        problem = nameProblem;
        break;
      }
      if (!column.has(k)) {
        problem = `attribute "${k}" is not declared in the destination mapping`;
        break;
      }
    }
    if (!problem && row.op === 'remove') {
      for (const k of keys.length > 0 ? keys : attributes) {
        cells[column.get(k)!] = encodeTargetField(TARGET_CLEAR_SENTINEL);
        filled++;
        cleared++;
      }
    } else if (!problem) {
      for (const k of keys) {
        const v = row.payload[k];
        if (v === undefined) continue;
        const cell = targetCell(k, v, overflow);
        if (!cell.ok) {
          problem = cell.reason;
          break;
        }
        cells[column.get(k)!] = encodeTargetField(cell.value);
        filled++;
        if (cell.truncated) truncated++;
        if (v === null) cleared++;
      }
    }
    if (!problem && filled === 0) problem = 'row carries no attribute value (Target ignores empty values)';
    if (problem) {
      reject(problem);
      continue;
    }
    truncatedValues += truncated;
    clearedValues += cleared;
    const line = `${encodeTargetField(id!)},${cells.join(',')}`;
    lines.push({ entityId: row.entityId, line, bytes: Buffer.byteLength(line, 'utf8') + 1 });
  }

  const header = batchHeaderLine(idColumn, attributes);
  const headerBytes = Buffer.byteLength(header, 'utf8') + 1;
  if (headerBytes >= maxBytes) throw new RangeError(`the batch header alone (${headerBytes} bytes) reaches the file limit of ${maxBytes} bytes; declare fewer attributes`);

  const files: BatchFile[] = [];
  let cur: { lines: string[]; entityIds: string[]; bytes: number } | undefined;
  const flush = () => {
    if (cur && cur.lines.length > 0) files.push({ body: `${header}\n${cur.lines.join('\n')}\n`, bytes: cur.bytes, entityIds: cur.entityIds });
    cur = undefined;
  };
  for (const l of lines) {
    if (headerBytes + l.bytes >= maxBytes) {
      rejected.push({ entityId: l.entityId, reason: `row is ${l.bytes} bytes, too large for a batch file under ${maxBytes} bytes`, retryable: false });
      continue;
    }
    if (cur && (cur.entityIds.length >= maxRows || cur.bytes + l.bytes >= maxBytes)) flush();
    cur ??= { lines: [], entityIds: [], bytes: headerBytes };
    cur.lines.push(l.line);
    cur.entityIds.push(l.entityId);
    cur.bytes += l.bytes;
  }
  flush();
  return { idColumn, attributes, files, rejected, truncatedValues, clearedValues };
}

// ---------------------------------------------------------------------------------------------
// HTTP: the adapter

/**
 * The attributes of a profile fetch answer (JSON with a `profile` object). Profile attributes set
 * through the profile APIs are read under their plain name or with the `profile.` prefix; values are
 * compared as text, the way the bulk API stores them.
 */
export function readFetchedProfile(text: string): Record<string, string> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`Target's profile fetch answer is not JSON: ${text.slice(0, 120)}`);
  }
  const profile = body && typeof body === 'object' ? (body as { profile?: unknown }).profile : undefined;
  if (!profile || typeof profile !== 'object') throw new Error('Target\'s profile fetch answer has no "profile" object');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(profile as Record<string, unknown>)) {
    if (v === null || typeof v === 'object') continue;
    out[k.startsWith('profile.') ? k.slice('profile.'.length) : k] = String(v);
  }
  return out;
}

const EnvVarName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name');

export const TargetBulkConfig = z.object({
  /** e.g. https://<client>.tt.omtrdc.net */
  baseUrl: z.url(),
  client: z.string().regex(/^[A-Za-z0-9_-]+$/, 'a Target client code'),
  idColumn: z.enum(['thirdPartyId', 'pcId']).default('thirdPartyId'),
  /** Name of the environment variable holding the bearer token; no Authorization header when unset. */
  tokenEnv: EnvVarName.optional(),
  /** Adobe IMS OAuth server-to-server (client credentials) instead of a ready token in tokenEnv. */
  credentials: AdobeImsCredentials.optional(),
  attributes: z
    .array(z.string())
    .min(1)
    .optional()
    .superRefine((names, ctx) => {
      for (const n of names ?? []) {
        const p = attributeNameProblem(n);
        if (p) ctx.addIssue({ code: 'custom', message: p });
      }
      if (names && new Set(names).size !== names.length) ctx.addIssue({ code: 'custom', message: 'attribute names repeat' });
    }),
  valueOverflow: z.enum(['reject', 'truncate']).default('reject'),
  maxFileRows: z.int().min(1).max(TARGET_BULK_MAX_ROWS).default(TARGET_BULK_MAX_ROWS),
  maxFileBytes: z.int().min(1024).max(TARGET_BULK_MAX_BYTES).default(TARGET_BULK_MAX_BYTES),
  callsPerMinute: z.int().min(1).max(TARGET_BULK_CALLS_PER_MINUTE).default(TARGET_BULK_CALLS_PER_MINUTE),
  /** The limiter's window; 60 s in production, shorter in tests. */
  rateWindowMs: z.int().positive().default(60_000),
  pollIntervalMs: z.int().positive().default(30_000),
  /** Polling stops after this long; a still-incomplete batch is reported as such in the receipt. */
  pollTimeoutMs: z.int().positive().default(15 * 60_000),
  requestTimeoutMs: z.int().positive().default(120_000),
});
export type TargetBulkConfig = z.infer<typeof TargetBulkConfig>;

export type TargetBatchStatus = 'complete' | 'incomplete' | 'stuck' | 'unknown';

export interface TargetFileReceipt {
  file: number;
  rows: number;
  bytes: number;
  batchId?: string;
  batchStatusUrl: string;
  message: string;
  status: TargetBatchStatus;
  polls: number;
  batchSize?: number;
  consumedCount?: number;
  successfulUpdates?: number;
  failedUpdates?: number;
  profilesNotFound?: number;
}

export interface TargetBulkReceipt {
  destination: typeof TARGET_BULK_KIND;
  idColumn: TargetIdColumn;
  attributes: string[];
  clearSentinel: string;
  files: TargetFileReceipt[];
  totals: { rows: number; successfulUpdates: number; failedUpdates: number; profilesNotFound: number; truncatedValues: number; clearedValues: number };
}

export interface TargetBulkProgress {
  stage: 'uploaded' | 'polled';
  file: number;
  files: number;
  status?: TargetBatchStatus;
}

export interface TargetBulkDeps {
  fetch?: typeof fetch;
  env?: Record<string, string | undefined>;
  /** Defaults to the process-wide limiter of this account. */
  limiter?: SlidingWindowLimiter;
  /** Called after each upload and poll; the activity heartbeats here. */
  onProgress?: (p: TargetBulkProgress) => void;
}

export interface TargetBulkAdapter extends DestinationAdapter {
  readonly kind: typeof TARGET_BULK_KIND;
  readonly config: TargetBulkConfig;
  send(rows: DeliveryRow[], ctx: SendContext): Promise<ChunkResult & { receipt: TargetBulkReceipt & Record<string, unknown> }>;
}

export function createTargetBulkAdapter(config: z.input<typeof TargetBulkConfig>, deps: TargetBulkDeps = {}): TargetBulkAdapter {
  const cfg = TargetBulkConfig.parse(config);
  const doFetch = deps.fetch ?? fetch;
  const env = deps.env ?? process.env;
  const limiter = deps.limiter ?? sharedLimiter(`${TARGET_BULK_KIND}:${cfg.baseUrl}:${cfg.client}`, cfg.callsPerMinute, cfg.rateWindowMs);
  const endpoint = `${cfg.baseUrl.replace(/\/+$/, '')}/m2/${encodeURIComponent(cfg.client)}/v2/profile/batchUpdate`;
  const log = logger().child({ destination: TARGET_BULK_KIND });

  const provider = cfg.credentials ? createTokenProvider(cfg.credentials, { fetch: doFetch, env }) : undefined;
  async function authHeaders(): Promise<Record<string, string>> {
    if (provider) {
      try {
        return { authorization: `Bearer ${await provider.getToken()}` };
      } catch (err) {
        if (err instanceof CredentialError) throw new DestinationRejectedError(TARGET_BULK_KIND, 401, err.message);
        throw err;
      }
    }
    if (!cfg.tokenEnv) return {};
    const token = env[cfg.tokenEnv];
    if (!token) throw new DestinationRejectedError(TARGET_BULK_KIND, 0, `environment variable ${cfg.tokenEnv} (the Target bearer token) is not set; set it or drop tokenEnv from the destination config`);
    return { authorization: `Bearer ${token}` };
  }

  async function call(url: string, init: RequestInit, signal?: AbortSignal): Promise<{ status: number; headers: Headers; text: string }> {
    return limiter.run(async () => {
      const timeout = AbortSignal.timeout(cfg.requestTimeoutMs);
      const res = await doFetch(url, { ...init, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
      return { status: res.status, headers: res.headers, text: await res.text() };
    }, signal);
  }

  function throttled(status: number, headers: Headers): DestinationThrottledError {
    const wait = retryAfterMs(headers.get('retry-after'), DEFAULT_THROTTLE_WAIT_MS);
    limiter.pause(wait);
    return new DestinationThrottledError(TARGET_BULK_KIND, status, wait);
  }

  async function upload(file: BatchFile, index: number, ctx: SendContext): Promise<{ batchStatusUrl: string; message: string }> {
    const post = async () =>
      call(
        endpoint,
        {
          method: 'POST',
          body: file.body,
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'idempotency-key': `${ctx.idempotencyKey}/${index}`, ...(await authHeaders()) },
        },
        ctx.signal,
      );
    let res = await post();
    // An IMS token can be revoked or expire early: fetch a fresh one and retry once.
    if (res.status === 401 && provider) {
      provider.invalidate();
      res = await post();
    }
    const xml = readTargetXml(res.text);
    const message = xml.message ?? res.text.slice(0, 200);
    if (res.status === 503 || res.status === 429) throw throttled(res.status, res.headers);
    if (res.status === 401 || res.status === 403) {
      throw new DestinationRejectedError(TARGET_BULK_KIND, res.status, `Target refused the credentials (HTTP ${res.status}: ${message}); check ${cfg.credentials ? 'the IMS credentials' : `the token in ${cfg.tokenEnv ?? '(no tokenEnv configured)'}`}`);
    }
    if (res.status >= 400 && res.status < 500) {
      throw new DestinationRejectedError(TARGET_BULK_KIND, res.status, `Target rejected batch file ${index + 1} (HTTP ${res.status}): ${message}`);
    }
    if (res.status >= 500) throw new Error(`Target answered HTTP ${res.status} to batch file ${index + 1}: ${message}; retrying is safe`);
    if (xml.success !== 'true' || !xml.batchStatus) {
      throw new DestinationRejectedError(TARGET_BULK_KIND, res.status, `Target did not accept batch file ${index + 1}: ${message}`);
    }
    return { batchStatusUrl: xml.batchStatus, message };
  }

  async function poll(receipt: TargetFileReceipt, files: number, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + cfg.pollTimeoutMs;
    const url = new URL(receipt.batchStatusUrl);
    url.searchParams.set('showDetails', 'true');
    for (;;) {
      let wait = cfg.pollIntervalMs;
      try {
        let res = await call(url.toString(), { method: 'GET', headers: await authHeaders() }, signal);
        if (res.status === 401 && provider) {
          provider.invalidate();
          res = await call(url.toString(), { method: 'GET', headers: await authHeaders() }, signal);
        }
        receipt.polls++;
        if (res.status === 503 || res.status === 429) {
          wait = retryAfterMs(res.headers.get('retry-after'), DEFAULT_THROTTLE_WAIT_MS);
          limiter.pause(wait);
        } else if (res.status >= 400 && res.status < 500) {
          receipt.status = 'unknown';
          receipt.message = `batchStatus answered HTTP ${res.status}: ${readTargetXml(res.text).message ?? res.text.slice(0, 200)}`;
          return;
        } else if (res.status < 400) {
          const xml = readTargetXml(res.text);
          const status = xml.status;
          receipt.status = status === 'complete' || status === 'incomplete' || status === 'stuck' ? status : 'unknown';
          if (xml.batchId) receipt.batchId = xml.batchId;
          for (const k of ['batchSize', 'consumedCount', 'successfulUpdates', 'failedUpdates', 'profilesNotFound'] as const) {
            if (xml[k] !== undefined && /^\d+$/.test(xml[k])) receipt[k] = Number(xml[k]);
          }
          deps.onProgress?.({ stage: 'polled', file: receipt.file, files, status: receipt.status });
          if (receipt.status !== 'incomplete') return;
        }
      } catch (err) {
        if (signal?.aborted) throw err;
        // A failed poll is not a failed upload: keep polling until the deadline.
      }
      if (Date.now() + wait > deadline) {
        if (receipt.status === 'unknown') receipt.status = 'incomplete';
        return;
      }
      await sleep(wait, undefined, { signal });
    }
  }

  /**
   * Target's profile fetch API (`GET /rest/v1/profiles/thirdPartyId/<id>?client=<client>`, or
   * `/rest/v1/profiles/<tntId>` for pcId): the profile's attributes, or null on its documented 404.
   * Fetches do not count against the bulk API's call limit, so they skip its limiter.
   */
  async function fetchProfile(identifiers: ResolvedIdentifiers, signal?: AbortSignal): Promise<Record<string, string> | null> {
    const id = cfg.idColumn === 'thirdPartyId' ? identifiers.thirdPartyId : identifiers.pcId;
    if (!id) throw new DestinationRejectedError(TARGET_BULK_KIND, 0, `this member has no ${cfg.idColumn}; nothing to fetch`);
    const path = cfg.idColumn === 'thirdPartyId' ? `thirdPartyId/${encodeURIComponent(id)}` : encodeURIComponent(id);
    const url = `${cfg.baseUrl.replace(/\/+$/, '')}/rest/v1/profiles/${path}?client=${encodeURIComponent(cfg.client)}`;
    const timeout = AbortSignal.timeout(cfg.requestTimeoutMs);
    const res = await doFetch(url, { method: 'GET', headers: { accept: 'application/json', ...(await authHeaders()) }, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    const text = await res.text();
    if (res.status === 404) return null;
    if (res.status === 503 || res.status === 429) throw new DestinationThrottledError(TARGET_BULK_KIND, res.status, retryAfterMs(res.headers.get('retry-after'), 1000));
    if (res.status === 401 || res.status === 403) {
      throw new DestinationRejectedError(TARGET_BULK_KIND, res.status, `Target refused the profile fetch credentials (HTTP ${res.status}); check the token in ${cfg.tokenEnv ?? '(no tokenEnv configured)'}`);
    }
    if (res.status !== 200) throw new Error(`Target answered HTTP ${res.status} to a profile fetch: ${text.slice(0, 200)}`);
    return readFetchedProfile(text);
  }

  return {
    kind: TARGET_BULK_KIND,
    maxChunkRows: cfg.maxFileRows,
    config: cfg,
    fetchProfile,
    async send(rows, ctx) {
      const build = buildBatchFiles(rows, {
        idColumn: cfg.idColumn,
        attributes: cfg.attributes,
        valueOverflow: cfg.valueOverflow,
        maxRows: cfg.maxFileRows,
        maxBytes: cfg.maxFileBytes,
      });
      const receipts: TargetFileReceipt[] = [];
      for (const [i, file] of build.files.entries()) {
        const up = await upload(file, i, ctx);
        receipts.push({ file: i, rows: file.entityIds.length, bytes: file.bytes, batchStatusUrl: up.batchStatusUrl, message: up.message, status: 'unknown', polls: 0 });
        deps.onProgress?.({ stage: 'uploaded', file: i, files: build.files.length });
      }
      for (const r of receipts) await poll(r, receipts.length, ctx.signal);

      const accepted: string[] = [];
      const rejected: RowRejection[] = [...build.rejected];
      for (const [i, file] of build.files.entries()) {
        const r = receipts[i]!;
        if (r.status === 'stuck') for (const e of file.entityIds) rejected.push({ entityId: e, reason: `Target reported batch ${r.batchId ?? i + 1} stuck`, retryable: true });
        else accepted.push(...file.entityIds);
      }
      const sum = (k: 'successfulUpdates' | 'failedUpdates' | 'profilesNotFound') => receipts.reduce((n, r) => n + (r[k] ?? 0), 0);
      const receipt: TargetBulkReceipt = {
        destination: TARGET_BULK_KIND,
        idColumn: build.idColumn,
        attributes: build.attributes,
        clearSentinel: TARGET_CLEAR_SENTINEL,
        files: receipts,
        totals: {
          rows: accepted.length,
          successfulUpdates: sum('successfulUpdates'),
          failedUpdates: sum('failedUpdates'),
          profilesNotFound: sum('profilesNotFound'),
          truncatedValues: build.truncatedValues,
          clearedValues: build.clearedValues,
        },
      };
      log.info(
        { chunk: ctx.chunkIndex, files: receipts.length, accepted: accepted.length, rejected: rejected.length, statuses: receipts.map((r) => r.status), ...receipt.totals },
        'target bulk chunk delivered',
      );
      return { accepted, rejected, receipt: receipt as TargetBulkReceipt & Record<string, unknown> };
    },
  };
}
