/**
 * Round-trip verification: read back from a destination what a cycle's export left there, and
 * compare it with what Scoreflow holds as delivered (destination_sync_state: the payload and
 * identifiers each member was last accepted with, built from its canonical record).
 *
 * - Adobe Target: a deterministic sample of members is fetched through the profile fetch API and
 *   every delivered attribute is compared as text; a missing profile or a differing attribute is a
 *   mismatch (docs/destinations/adobe-target.md).
 * - Meta Custom Audiences: members cannot be read, only the audience's approximate size, so the
 *   number of members we hold is compared with the reported range.
 * - Google Customer Match (with `adsApi` configured): members cannot be read either; the list's size
 *   comes from the Google Ads API (user_list size_for_display / size_for_search, else their
 *   UserListSizeRange). Google counts only the members it matched to active Google users, so the
 *   members we hold pass when they lie in [reported lower, reported upper / minMatchRate]: Google
 *   can never count more than it was sent, and it counts at least the matched share of it. A size
 *   Google has not determined yet is `undetermined`, never a pass.
 * - Google without `adsApi`, webhooks and NATS offer no read-back of what they were given; their
 *   result says so (`not_supported`) instead of passing silently.
 *
 * The result is recorded per (run, destination) in destination_verification (a re-run replaces it:
 * verification is an observation, not an effect), and a mismatch rate above the threshold alerts.
 * Member ids never leave this module unhashed: examples name a member by a short sha256.
 */
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { PipelineConfig } from '../../contracts/pipeline-config.ts';
import { getPool } from '../store/db.ts';
import { logger } from '../observability/logger.ts';
import { sendAlert } from '../observability/send-alert.ts';
import { pipelineOf, type PipelineRef } from '../run/pipeline.ts';
import { TARGET_CLEAR_SENTINEL, targetCell } from './adobe-target-rules.ts';
import { createAdapter, type StatefulDestination } from './adapter-factory.ts';
import type { AudienceSize, ResolvedIdentifiers } from './adapter.ts';
import { syncStateKey } from './sync-engine.ts';

export const DEFAULT_VERIFY_SAMPLE = 100;
export const DEFAULT_MAX_MISMATCH_RATE = 0.01;
/** Profile fetches in flight at once: a sample check, not a load test of the destination. */
const FETCH_CONCURRENCY = 4;

/**
 * pass / fail: compared; not_supported: the destination offers no read-back; empty: nothing held to
 * compare; undetermined: the destination reads back but has not determined the figure yet (a Google
 * list size that is still null) — verify again later.
 */
export type VerificationStatus = 'pass' | 'fail' | 'not_supported' | 'empty' | 'undetermined';

export interface VerificationExample {
  /** sha256(entity id), first 12 hex characters. */
  member: string;
  problem: 'missing_profile' | 'attribute_differs' | 'attribute_missing' | 'size_out_of_range';
  attribute?: string;
  expected?: string;
  actual?: string;
}

export interface VerificationResult {
  runId: string;
  destination: string;
  kind: string;
  status: VerificationStatus;
  method: 'profile_fetch' | 'audience_size' | 'none';
  /** Members held as delivered when the check ran. */
  members: number;
  sampled: number;
  matched: number;
  mismatched: number;
  /** Of the mismatched: members the destination does not hold at all. */
  missing: number;
  mismatchRate: number;
  maxMismatchRate: number;
  /** Meta, Google: the size range the platform reported. */
  reportedSize?: { lower: number; upper: number };
  /** Google: the member counts the reported size allows for, given the platform's match rate ([lower, upper / minMatchRate]). */
  acceptedMembers?: { lower: number; upper: number };
  examples: VerificationExample[];
  detail: string;
  verifiedAt: string;
}

export interface VerifyDestinationInput extends PipelineRef {
  runId: string;
  destination: string;
  sample?: number;
  maxMismatchRate?: number;
}

const short = (entityId: string) => createHash('sha256').update(entityId).digest('hex').slice(0, 12);
const clip = (s: string) => (s.length > 80 ? `${s.slice(0, 77)}...` : s);

/** What Target should hold for one delivered payload: every attribute as the bulk file wrote it. */
export function expectedTargetAttributes(payload: Record<string, unknown>, attributes?: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload)) {
    if (value === undefined) continue;
    if (attributes && !attributes.includes(name)) continue;
    const cell = targetCell(name, value, 'truncate');
    if (cell.ok) out[name] = cell.value;
  }
  return out;
}

/** The differences between what Target should hold and what it returned (null: no profile). */
export function compareTargetProfile(member: string, expected: Record<string, string>, actual: Record<string, string> | null): VerificationExample[] {
  if (actual === null) return [{ member, problem: 'missing_profile' }];
  const out: VerificationExample[] = [];
  for (const [name, want] of Object.entries(expected)) {
    const got = actual[name];
    if (got === undefined) {
      // A cleared attribute Target never held is as good as cleared.
      if (want !== TARGET_CLEAR_SENTINEL) out.push({ member, problem: 'attribute_missing', attribute: name, expected: clip(want) });
    } else if (got !== want) out.push({ member, problem: 'attribute_differs', attribute: name, expected: clip(want), actual: clip(got) });
  }
  return out;
}

const shownRange = (r: { lower: number; upper: number }) => (r.lower === r.upper ? String(r.lower) : r.upper >= Number.MAX_SAFE_INTEGER ? `${r.lower}+` : `${r.lower}..${r.upper}`);

/**
 * Pure: the members held as delivered against the audience size a destination reports. They pass
 * when they lie in [lower, upper] — or, for a destination that counts only the members it matched
 * (Google: minMatchRate), in [lower, upper / minMatchRate]: it never counts more than it was sent and
 * at least the matched share of it. The distance outside, over the members held, is the mismatch rate.
 */
export function compareAudienceSize(
  members: number,
  size: AudienceSize,
  maxMismatchRate: number,
): Pick<VerificationResult, 'method' | 'status' | 'sampled' | 'matched' | 'mismatched' | 'missing' | 'mismatchRate' | 'reportedSize' | 'acceptedMembers' | 'examples' | 'detail'> {
  const accepted = { lower: size.lower, upper: size.minMatchRate ? Math.min(Number.MAX_SAFE_INTEGER, Math.floor(size.upper / size.minMatchRate)) : size.upper };
  const outside = members < accepted.lower ? accepted.lower - members : members > accepted.upper ? members - accepted.upper : 0;
  const rate = members ? outside / members : size.upper > 0 ? 1 : 0;
  return {
    method: 'audience_size',
    status: rate > maxMismatchRate ? 'fail' : 'pass',
    sampled: members,
    matched: members - Math.min(members, outside),
    mismatched: Math.min(members, outside),
    // Above the window the destination holds fewer than it should: those are missing.
    missing: members < accepted.lower ? 0 : Math.min(members, outside),
    mismatchRate: rate,
    reportedSize: { lower: size.lower, upper: size.upper },
    ...(size.minMatchRate ? { acceptedMembers: accepted } : {}),
    examples: outside ? [{ member: '(audience)', problem: 'size_out_of_range', expected: String(members), actual: shownRange(size.minMatchRate ? accepted : size) }] : [],
    detail: size.minMatchRate
      ? `${members} members held as delivered; the platform reports ${shownRange(size)} (${size.basis ?? 'its estimate'}), which allows ${shownRange(accepted)} held members at a match rate of at least ${size.minMatchRate}`
      : `${members} members held as delivered; the platform reports ${shownRange(size)}`,
  };
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

function statefulDestination(cfg: PipelineConfig, name: string): StatefulDestination {
  const dest = cfg.destinations.find((d) => d.name === name);
  if (!dest) {
    throw ApplicationFailure.nonRetryable(
      `pipeline ${cfg.name} has no destination "${name}"; its destinations: ${cfg.destinations.map((d) => d.name).join(', ')}`,
      'InvalidInput',
    );
  }
  if (dest.kind === 'file') {
    throw ApplicationFailure.nonRetryable(`destination "${name}" is a file export: its files are the delivery, there is nothing to read back`, 'InvalidInput');
  }
  return dest;
}

/** Reads back one destination and records the result. */
export async function verifyDestination(input: VerifyDestinationInput): Promise<VerificationResult> {
  const cfg = pipelineOf(input);
  const dest = statefulDestination(cfg, input.destination);
  const verifyCfg = dest.verify;
  const sample = input.sample ?? verifyCfg?.sample ?? DEFAULT_VERIFY_SAMPLE;
  const maxMismatchRate = input.maxMismatchRate ?? verifyCfg?.maxMismatchRate ?? DEFAULT_MAX_MISMATCH_RATE;
  const key = syncStateKey(cfg.name, dest.name);
  const pool = getPool();
  const { rows: countRows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM destination_sync_state WHERE destination = $1 AND member', [key]);
  const members = Number(countRows[0]!.n);
  const base = { runId: input.runId, destination: dest.name, kind: dest.kind, members, maxMismatchRate, verifiedAt: new Date().toISOString() };

  const { adapter, close } = createAdapter(dest);
  let result: VerificationResult;
  try {
    if (adapter.fetchProfile) {
      // A deterministic sample per run: the same run verified twice reads the same members.
      const { rows } = await pool.query<{ entity_id: string; identifiers: ResolvedIdentifiers; payload: Record<string, unknown> }>(
        `SELECT entity_id, identifiers, payload FROM destination_sync_state
          WHERE destination = $1 AND member ORDER BY md5(entity_id || $2) LIMIT $3`,
        [key, input.runId, sample],
      );
      const attributes = (adapter as { config?: { attributes?: string[] } }).config?.attributes;
      const fetchProfile = adapter.fetchProfile.bind(adapter);
      const findings = await mapLimit(rows, FETCH_CONCURRENCY, async (r) => {
        const actual = await fetchProfile(r.identifiers);
        return compareTargetProfile(short(r.entity_id), expectedTargetAttributes(r.payload, attributes), actual);
      });
      const mismatched = findings.filter((f) => f.length > 0).length;
      const missing = findings.filter((f) => f[0]?.problem === 'missing_profile').length;
      const rate = rows.length ? mismatched / rows.length : 0;
      result = {
        ...base,
        method: 'profile_fetch',
        status: rows.length === 0 ? 'empty' : rate > maxMismatchRate ? 'fail' : 'pass',
        sampled: rows.length,
        matched: rows.length - mismatched,
        mismatched,
        missing,
        mismatchRate: rate,
        examples: findings.flat().slice(0, 10),
        detail: rows.length === 0 ? 'no members are held as delivered; nothing to compare' : `${mismatched} of ${rows.length} sampled profiles differ from what was delivered (${missing} missing)`,
      };
    } else if (adapter.audienceSize) {
      const size = await adapter.audienceSize();
      if (size.undetermined) {
        result = {
          ...base,
          method: 'audience_size',
          status: 'undetermined',
          sampled: 0,
          matched: 0,
          mismatched: 0,
          missing: 0,
          mismatchRate: 0,
          examples: [],
          detail: `${members} members held as delivered; the platform has not determined the audience size yet (${size.basis ?? 'no size reported'}): nothing to compare, verify again later`,
        };
      } else {
        result = { ...base, ...compareAudienceSize(members, size, maxMismatchRate) };
      }
    } else {
      result = {
        ...base,
        method: 'none',
        status: 'not_supported',
        sampled: 0,
        matched: 0,
        mismatched: 0,
        missing: 0,
        mismatchRate: 0,
        examples: [],
        detail: `${dest.kind} offers no API to read back what it was given; its receipts are the record`,
      };
    }
  } finally {
    await close();
  }

  await pool.query(
    `INSERT INTO destination_verification (run_id, destination, kind, status, method, members, sampled, mismatched, missing, mismatch_rate, max_mismatch_rate, result, verified_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
     ON CONFLICT (run_id, destination) DO UPDATE SET kind = EXCLUDED.kind, status = EXCLUDED.status, method = EXCLUDED.method, members = EXCLUDED.members,
       sampled = EXCLUDED.sampled, mismatched = EXCLUDED.mismatched, missing = EXCLUDED.missing, mismatch_rate = EXCLUDED.mismatch_rate,
       max_mismatch_rate = EXCLUDED.max_mismatch_rate, result = EXCLUDED.result, verified_at = EXCLUDED.verified_at`,
    [result.runId, result.destination, result.kind, result.status, result.method, result.members, result.sampled, result.mismatched, result.missing, result.mismatchRate, result.maxMismatchRate, result, result.verifiedAt],
  );
  logger().info(
    { runId: result.runId, destination: result.destination, status: result.status, sampled: result.sampled, mismatched: result.mismatched, mismatchRate: result.mismatchRate },
    'destination verified',
  );
  if (result.status === 'fail') {
    await sendAlert({
      webhookUrl: process.env.SCOREFLOW_ALERT_WEBHOOK_URL,
      text: `Scoreflow run ${result.runId}: ${result.destination} does not hold what was delivered: ${(result.mismatchRate * 100).toFixed(1)}% mismatched (threshold ${(maxMismatchRate * 100).toFixed(1)}%). ${result.detail}.`,
      fields: { runId: result.runId, pipeline: cfg.name, kind: 'verification_mismatch', destination: result.destination, mismatched: result.mismatched, sampled: result.sampled },
    });
  }
  return result;
}

export interface VerifyCycleResult {
  alert: boolean;
  results: VerificationResult[];
}

/** The optional stage after export: every destination whose pipeline entry asks for `verify`. */
export async function verifyCycleActivity(input: PipelineRef & { runId: string }): Promise<VerifyCycleResult> {
  const cfg = pipelineOf(input);
  const results: VerificationResult[] = [];
  for (const d of cfg.destinations) {
    if (d.kind === 'file' || !d.verify) continue;
    results.push(await verifyDestination({ ...input, destination: d.name }));
  }
  return { alert: results.some((r) => r.status === 'fail'), results };
}

/** The recorded verifications of a run, for reports and `status`. */
export async function loadVerifications(runId: string): Promise<VerificationResult[]> {
  const { rows } = await getPool().query<{ result: VerificationResult }>('SELECT result FROM destination_verification WHERE run_id = $1 ORDER BY destination', [runId]);
  return rows.map((r) => r.result);
}
