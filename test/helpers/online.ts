/**
 * Shared helpers of the real-time path tests: canonical records built the way publish builds them,
 * a cycle written to PostgreSQL, XDM events, a small logistic scorer, and a private redis-server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { freePort } from '../../cli/services/dev-server.ts';
import type pg from 'pg';
import { FEATURE_NAMES, type FeatureVector } from '../../contracts/feature-set.ts';
import type { CanonicalRecord, ConsentPurpose } from '../../contracts/canonical-record.ts';
import { buildCanonicalRecord, type RecordContext } from '../../activities/publish/build-record.ts';
import { decide, type DecisionConfig } from '../../activities/scoring/decide.ts';
import type { OnlineScorer } from '../../activities/online/online-scorer.ts';

export const DECISION_CONFIG: DecisionConfig = {
  segments: [
    { id: 'high_intent', minScore: 0.5 },
    { id: 'warm', minScore: 0.2 },
    { id: 'cold', minScore: 0 },
  ],
  eligibility: { minScore: 0.05, requireConsent: 'personalization' },
  topN: 3,
};

export const ALL_CONSENT: Record<ConsentPurpose, boolean> = { analytics: true, personalization: true, advertising: true, email: true };
export const NO_CONSENT: Record<ConsentPurpose, boolean> = { analytics: false, personalization: false, advertising: false, email: false };

export function uid(prefix = 't'): string {
  return `${prefix}${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

/** A random entity id "<high>_<low>". */
export function entityId(): string {
  const n = () => BigInt(`0x${randomBytes(8).toString('hex')}`).toString();
  return `${n()}_${n()}`;
}

/** A random 38-digit ECID. */
export function ecid(): string {
  let s = '';
  while (s.length < 38) s += randomBytes(8).readBigUInt64BE().toString().padStart(20, '0');
  return s.slice(0, 38);
}

export function features(over: Partial<FeatureVector> = {}): FeatureVector {
  const base = Object.fromEntries(FEATURE_NAMES.map((n) => [n, 0])) as FeatureVector;
  return { ...base, recency_days: 10, frequency: 1, session_depth: 2, ...over };
}

/**
 * A scorer whose probability is logistic(intercept + cartWeight·cart_adds + orderWeight·orders):
 * with the defaults, 0 cart adds → ~0.12 (cold), 1 → ~0.31 (warm), 2 → ~0.62 (high_intent).
 */
export function cartScorer(opts: { intercept?: number; cartWeight?: number; version?: string } = {}): OnlineScorer {
  const intercept = opts.intercept ?? -2;
  const w = opts.cartWeight ?? 1.2;
  return {
    modelId: 'purchase-propensity',
    version: opts.version ?? '9.9.9-test',
    policy: 'model',
    score: async (batch) =>
      batch.map((v) => {
        const c = w * (v.cart_adds ?? 0);
        return { probability: 1 / (1 + Math.exp(-(intercept + c))), contributions: [{ feature: 'cart_adds', contribution: c }] };
      }),
  };
}

export interface RecordSpec {
  entityId: string;
  probability: number;
  consent?: Record<ConsentPurpose, boolean>;
  arm?: 'treatment' | 'control';
  scoredAt?: string;
  maxAgeHours?: number;
  customerId?: string | null;
  runId: string;
}

export function record(spec: RecordSpec): CanonicalRecord {
  const consent = spec.consent ?? ALL_CONSENT;
  const d = decide(spec.probability, [{ feature: 'cart_adds', contribution: 0.4 }], { shoes: 1 }, consent, DECISION_CONFIG);
  const ctx: RecordContext = {
    pipeline: 'demo',
    runId: spec.runId,
    modelId: 'purchase-propensity',
    modelVersion: '1.0.0',
    modelDigest: 'a'.repeat(64),
    decisionPolicy: 'model',
    featureSnapshot: 'snap-test',
    featureSetVersion: '1.0.0',
    semantics: { kind: 'probability', outcome: 'purchase', horizon_days: 7 },
    calibration: 'calibrated',
    maxAgeHours: spec.maxAgeHours ?? 24,
    recommendationValidityHours: 24,
    consentSource: 'feed_column',
    experimentKey: 'exp-test',
  };
  return buildCanonicalRecord(
    spec.entityId,
    spec.customerId ?? null,
    { ...d, probability: spec.probability, scoredAt: spec.scoredAt ?? new Date().toISOString() },
    consent,
    spec.arm ?? 'treatment',
    ctx,
  );
}

/** Writes a published cycle: activation_run, activation_record (and scored_entity features) rows. */
export async function writeCycle(pool: pg.Pool, runId: string, rows: { record: CanonicalRecord; features?: FeatureVector | null; rawRecord?: unknown }[]): Promise<void> {
  await pool.query(`INSERT INTO activation_run (run_id, pipeline, status, stage) VALUES ($1, 'demo', 'RUNNING', 'publish') ON CONFLICT DO NOTHING`, [runId]);
  for (const r of rows) {
    const rec = r.record;
    await pool.query(
      `INSERT INTO activation_record (run_id, entity_id, pipeline, model_version, score, segment, eligible, holdout_arm, expires_at, contract_version, record)
       VALUES ($1, $2, 'demo', $3, $4, $5, $6, $7, $8, $9, $10)`,
      [runId, rec.entity_id, rec.metadata.model_version, rec.score.value, rec.segments[0]!.id, rec.eligibility.activation_eligible, rec.measurement.holdout_arm, rec.metadata.expires_at, rec.metadata.contract_version, JSON.stringify(r.rawRecord ?? rec)],
    );
    if (r.features !== null) {
      await pool.query(
        `INSERT INTO scored_entity (run_id, entity_id, score, segment, eligible, features, decision) VALUES ($1, $2, $3, $4, $5, $6, '{}')`,
        [runId, rec.entity_id, rec.score.value, rec.segments[0]!.id, rec.eligibility.activation_eligible, JSON.stringify(r.features ?? features())],
      );
    }
  }
}

export function xdmEvent(over: Record<string, unknown> & { ecid: string; eventType?: string }): Record<string, unknown> {
  const { ecid: id, eventType, ...rest } = over;
  return {
    _id: uid('evt-'),
    timestamp: new Date().toISOString(),
    eventType: eventType ?? 'commerce.productListAdds',
    identityMap: { ECID: [{ id, primary: true }] },
    productListItems: [{ SKU: 'SKU-1', name: 'Runner', quantity: 1, priceTotal: 89.5 }],
    ...rest,
  };
}

/** A redis-server of the test's own (so a test may stop it without touching the shared one). */
export interface PrivateRedis {
  port: number;
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** SIGSTOP / SIGCONT: the server keeps its connections but answers nothing (a hung dependency). */
  pause(): void;
  resume(): void;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let proc: ChildProcess | undefined;
  const start = async () => {
    proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      const up = await new Promise<boolean>((resolve) => {
        const c = connect(port, '127.0.0.1');
        c.once('connect', () => {
          c.destroy();
          resolve(true);
        });
        c.once('error', () => resolve(false));
      });
      if (up) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`private redis-server on ${port} did not start`);
  };
  const stop = async () => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGKILL');
    });
  };
  await start();
  return { port, url: `redis://127.0.0.1:${port}`, start, stop, pause: () => proc?.kill('SIGSTOP'), resume: () => proc?.kill('SIGCONT') };
}
