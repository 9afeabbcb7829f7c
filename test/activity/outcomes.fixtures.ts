/**
 * Fixtures for the outcome-measurement tests: a generated follow-up delivery ingested into the
 * database, and a published run whose activation records and ledger cover the same visitors, with
 * arms from assignArm, as publishing assigns them. Ids are unique per call (the test database is
 * shared by suites running in parallel).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { generateFollowUp, type FollowUpResult } from '../../tools/feed-generator/generator.ts';
import { visitorProfile } from '../../tools/feed-generator/visitor-profile.ts';
import { ingestDelivery } from '../../activities/feed/ingest-delivery.ts';
import { assignArm } from '../../activities/measurement/holdout.ts';
import { loadPipelineConfig } from '../../activities/run/pipeline.ts';
import { getPool } from '../../activities/store/db.ts';
import { createRandom } from '../../tools/feed-generator/seeded-random.ts';
import { uniqueId } from '../helpers/gate-fixtures.ts';

export const FOLLOW_UP_DATE = '2026-11-10';
/** The snapshot's as-of: the outcome window opens here (midnight before the follow-up day). */
export const WINDOW_START = '2026-11-10T00:00:00Z';
const GENERATOR_START_EPOCH = Date.UTC(2026, 10, 1) / 1000; // generator default startDate 2026-11-01

export interface MeasuredRunFixture {
  runId: string;
  pipeline: string;
  pipelinePath: string;
  experimentKey: string;
  controlShare: number;
  followUp: FollowUpResult;
  dir: string;
  entities: string[];
}

/** A pipeline file: the demo pipeline under a unique name and experiment key. */
export function writePipeline(root: string, overrides: { name: string; experimentKey: string; controlShare: number | null }): string {
  const base = loadPipelineConfig(resolve(import.meta.dirname, '..', '..', 'pipelines', 'demo.yaml'));
  const { holdout: _h, ...rest } = base;
  const cfg = {
    ...rest,
    name: overrides.name,
    ...(overrides.controlShare === null ? {} : { holdout: { experimentKey: overrides.experimentKey, controlShare: overrides.controlShare, controlTreatment: 'suppress' } }),
  };
  const path = join(root, `${overrides.name}.yaml`);
  writeFileSync(path, stringify(cfg));
  return path;
}

/** Generates a follow-up delivery into a folder of its own under a unique report suite id. */
export async function generateOutcomeDelivery(o: {
  seed: number;
  visitors: number;
  experimentKey: string;
  controlShare: number;
  brokenSplit?: boolean;
  date?: string;
  treatmentEffect?: number;
  /** Write into this folder (e.g. beside another delivery) instead of a new one. */
  dir?: string;
}): Promise<{ dir: string; followUp: FollowUpResult }> {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'scoreflow-outcomes-'));
  const followUp = await generateFollowUp({
    seed: o.seed,
    visitors: o.visitors,
    out: dir,
    rsid: `lift${uniqueId('r').slice(2).replace(/[^a-z0-9]/gi, '')}`,
    date: o.date ?? FOLLOW_UP_DATE,
    treatmentEffect: o.treatmentEffect ?? 0.06,
    brokenSplit: o.brokenSplit ?? false,
    assignments: (id) => assignArm(id, o.experimentKey, o.controlShare),
  });
  return { dir, followUp };
}

export async function ingest(dir: string, followUp: FollowUpResult): Promise<void> {
  await ingestDelivery({ dir, manifestFile: followUp.delivery.manifest, customerIdColumn: 'post_evar3', consentColumn: 'post_evar5', maxQuarantineShare: 0.01 });
}

/**
 * A completed run over the generator's visitors (seed, visitors): a snapshot as of WINDOW_START,
 * one activation record per visitor with its arm, two model versions, three segments by score, and
 * ledger rows routing everyone to `outbox` and every other visitor to `google-ads` too (control
 * entities suppressed with reason holdout_control, as the destinations record them).
 */
export async function seedPublishedRun(o: { seed: number; visitors: number; pipeline: string; experimentKey: string; controlShare: number }): Promise<{ runId: string; entities: string[] }> {
  const pool = getPool();
  const runId = uniqueId(`${o.pipeline}.run`);
  const snapshotId = uniqueId('snap-lift');
  await pool.query(
    `INSERT INTO feature_snapshot (snapshot_id, feature_set, feature_set_version, delivery_ids, as_of, lookback_days, entities)
     VALUES ($1, 'visitor_behaviour', '1.0.0', '{}', $2, 30, $3)`,
    [snapshotId, WINDOW_START, o.visitors],
  );
  await pool.query(
    `INSERT INTO activation_run (run_id, pipeline, status, stage, snapshot_id, model_name, model_version, decision_policy)
     VALUES ($1, $2, 'COMPLETED', 'done', $3, 'purchase-propensity', '1.1.0', 'model')`,
    [runId, o.pipeline, snapshotId],
  );
  const rnd = createRandom(o.seed);
  const records = Array.from({ length: o.visitors }, (_, i) => {
    const v = visitorProfile({ seed: o.seed, days: 3, startEpoch: GENERATOR_START_EPOCH, drift: 'none' }, i);
    // A noisy score that tracks the true propensity, so the deciles differ in base rate.
    const score = Math.min(1, Math.max(0, v.propensity + (rnd.next() - 0.5) * 0.1));
    return {
      entity_id: v.entityId,
      model_version: i % 2 ? '1.1.0' : '1.0.0',
      score,
      segment: score >= 0.5 ? 'high_intent' : score >= 0.2 ? 'warm' : 'cold',
      holdout_arm: assignArm(v.entityId, o.experimentKey, o.controlShare),
    };
  });
  await pool.query(
    `INSERT INTO activation_record (run_id, entity_id, pipeline, model_version, score, segment, eligible, holdout_arm, expires_at, contract_version, record)
     SELECT $1, x.entity_id, $2, x.model_version, x.score, x.segment, true, x.holdout_arm, now() + interval '7 days', '1.0.0', '{}'::jsonb
     FROM jsonb_to_recordset($3::jsonb) AS x(entity_id text, model_version text, score float8, segment text, holdout_arm text)`,
    [runId, o.pipeline, JSON.stringify(records)],
  );
  const ledger = records.flatMap((r, i) => {
    const stage = r.holdout_arm === 'control' ? 'suppressed' : 'delivered';
    const detail = r.holdout_arm === 'control' ? { reason: 'holdout_control' } : {};
    const rows = [{ entity_id: r.entity_id, destination: 'outbox', stage, detail }];
    if (i % 2 === 0) rows.push({ entity_id: r.entity_id, destination: 'google-ads', stage, detail });
    return rows;
  });
  await pool.query(
    `INSERT INTO ledger_event (run_id, entity_id, destination, stage, detail)
     SELECT $1, x.entity_id, x.destination, x.stage, x.detail FROM jsonb_to_recordset($2::jsonb) AS x(entity_id text, destination text, stage text, detail jsonb)`,
    [runId, JSON.stringify(ledger)],
  );
  return { runId, entities: records.map((r) => r.entity_id) };
}
