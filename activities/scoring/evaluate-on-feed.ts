/**
 * `scoreflow models evaluate NAME VERSION --feed DIR`: how a registered model does on a feed whose
 * outcomes are known (the generator's ground_truth.csv).
 *
 *   labels (ground_truth.csv: entity_id → purchased_in_horizon)
 *   → a scratch database: the feed's deliveries ingested exactly as a run ingests them, features
 *     extracted by the same SQL over the lookback window ending at the feed's last hit
 *   → the registered artifact (loaded from the registry by digest) scores every visitor
 *   → AUC, log loss and calibration (metrics.ts) over the visitors that have both features and a label.
 *
 * The scratch database keeps the evaluation honest and harmless: feature extraction reads every hit
 * in the window, so in the working database other deliveries of the same days would leak in, and
 * the evaluation must not leave feed rows behind that a later run would read.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { IngestOptions } from '../../contracts/feed-ingest.ts';
import { FEATURE_NAMES, FEATURE_SET_VERSION, type FeatureVector } from '../../contracts/feature-set.ts';
import type { ModelMetrics } from '../../contracts/model-artifact.ts';
import { ingestDirectory } from '../feed/ingest-delivery.ts';
import { extractFeatures } from '../features/extract-features.ts';
import { readCsvRecords } from '../run/csv-line.ts';
import { createScratchDatabase } from '../store/scratch-database.ts';
import { loadScorerBySha } from './load-scorer.ts';
import { classificationMetrics, type EvaluationMetrics } from './metrics.ts';
import { ModelRegistryError, get, list, type ModelVersionRecord } from './registry.ts';

export const DEFAULT_LABELS_FILE = 'ground_truth.csv';
export const DEFAULT_LABEL_COLUMN = 'purchased_in_horizon';

export interface EvaluateOnFeedInput {
  name: string;
  version: string;
  feedDir: string;
  /** Default: `<feedDir>/ground_truth.csv`. */
  labelsFile?: string;
  /** 0/1 column of the labels file. Default: purchased_in_horizon. */
  labelColumn?: string;
  lookbackDays: number;
  /** Feed columns, as the pipeline ingests them. */
  ingest?: IngestOptions;
  onStage?: (stage: 'labels' | 'ingest' | 'features' | 'score', detail?: string) => void;
}

export interface EvaluateOnFeedResult {
  model: Pick<ModelVersionRecord, 'name' | 'version' | 'sha256' | 'format' | 'featureSetVersion' | 'status'>;
  feed: { dir: string; deliveries: string[]; records: number; loaded: number; asOf: string; lookbackDays: number };
  labels: { file: string; column: string; rows: number; positives: number };
  /** Visitors with features and a label (the evaluated rows). */
  matched: number;
  /** Labelled visitors without a kept hit in the window. */
  withoutFeatures: number;
  /** Visitors with features but no label row. */
  withoutLabel: number;
  metrics: EvaluationMetrics & { prevalence: number };
  /** The metrics recorded at registration (training hold-out), for comparison. */
  registeredMetrics: ModelMetrics;
}

const PAGE = 5000;

/** entity id → 0/1 label. Errors name the file, line and column, never the id. */
export async function readLabels(file: string, column: string): Promise<Map<string, 0 | 1>> {
  try {
    await access(file);
  } catch {
    throw new Error(`${file}: no labels file. Evaluation needs the outcomes per visitor: the generator writes ${DEFAULT_LABELS_FILE} beside the feed; pass --labels FILE otherwise.`);
  }
  const labels = new Map<string, 0 | 1>();
  let header: string[] | undefined;
  let idAt = -1;
  let labelAt = -1;
  for await (const { lineNo, fields } of readCsvRecords(file)) {
    if (!header) {
      header = fields;
      idAt = header.indexOf('entity_id');
      labelAt = header.indexOf(column);
      if (idAt < 0 || labelAt < 0) {
        throw new Error(`${file}: the header needs entity_id and ${column} columns, it has ${header.join(', ')}. Pass --label-column to pick another 0/1 column.`);
      }
      continue;
    }
    const value = fields[labelAt];
    if (value !== '0' && value !== '1') throw new Error(`${file} line ${lineNo}: ${column} is "${value ?? ''}", expected 0 or 1.`);
    labels.set(fields[idAt]!, value === '1' ? 1 : 0);
  }
  if (labels.size === 0) throw new Error(`${file}: no label rows.`);
  return labels;
}

async function registeredVersion(name: string, version: string): Promise<ModelVersionRecord> {
  const model = await get(name, version);
  if (model) return model;
  const versions = (await list(name)).map((m) => `${m.version} (${m.status})`);
  throw new ModelRegistryError(
    'NOT_FOUND',
    `model ${name} has no version ${version}; registered versions: ${versions.length ? versions.join(', ') : 'none'}. Register it with scoreflow models register.`,
  );
}

export async function evaluateOnFeed(input: EvaluateOnFeedInput): Promise<EvaluateOnFeedResult> {
  const model = await registeredVersion(input.name, input.version);
  if (model.featureSetVersion !== FEATURE_SET_VERSION) {
    throw new ModelRegistryError(
      'INVALID_TARGET',
      `${model.name}@${model.version} was trained on feature set ${model.featureSetVersion}; this build extracts feature set ${FEATURE_SET_VERSION}, so it cannot be evaluated here.`,
    );
  }
  const labelsFile = input.labelsFile ?? join(input.feedDir, DEFAULT_LABELS_FILE);
  const labelColumn = input.labelColumn ?? DEFAULT_LABEL_COLUMN;
  input.onStage?.('labels', labelsFile);
  const labels = await readLabels(labelsFile, labelColumn);
  const scorer = await loadScorerBySha(model.sha256, model.format);

  const scratch = await createScratchDatabase();
  try {
    input.onStage?.('ingest', input.feedDir);
    const ingested = await ingestDirectory(input.feedDir, input.ingest ?? {}, { pool: scratch.pool });
    const rejected = ingested.rejected[0];
    if (rejected) {
      throw new Error(`${rejected.manifestFile}: delivery rejected (${rejected.reason}); an evaluation needs the whole feed. Fix or re-deliver it first.`);
    }
    if (ingested.results.length === 0) throw new Error(`${input.feedDir}: no complete delivery (no manifest <rsid>_<date>.txt) to evaluate on.`);
    const deliveryIds = ingested.results.map((r) => r.deliveryId);

    input.onStage?.('features');
    const snapshot = await extractFeatures({ deliveryIds, lookbackDays: input.lookbackDays }, scratch.pool);

    input.onStage?.('score');
    const p: number[] = [];
    const y: number[] = [];
    let withoutLabel = 0;
    let after = '';
    for (;;) {
      const { rows } = await scratch.pool.query<Record<string, unknown> & { visitor_id: string }>(
        `SELECT visitor_id, ${FEATURE_NAMES.join(', ')} FROM feature_value WHERE snapshot_id = $1 AND visitor_id > $2 ORDER BY visitor_id LIMIT ${PAGE}`,
        [snapshot.snapshotId, after],
      );
      if (rows.length === 0) break;
      after = rows[rows.length - 1]!.visitor_id;
      const labelled = rows.filter((r) => labels.has(r.visitor_id));
      withoutLabel += rows.length - labelled.length;
      const vectors = labelled.map((r) => Object.fromEntries(FEATURE_NAMES.map((n) => [n, r[n] === null ? null : Number(r[n])])) as FeatureVector);
      const scores = await scorer.score(vectors);
      labelled.forEach((r, i) => {
        p.push(scores[i]!.probability);
        y.push(labels.get(r.visitor_id)!);
      });
    }
    if (p.length === 0) throw new Error(`${labelsFile}: none of its ${labels.size} visitors has features in ${input.feedDir}; the labels belong to another feed.`);
    const positives = y.reduce((s, v) => s + v, 0);
    if (positives === 0 || positives === y.length) {
      throw new Error(`the ${y.length} evaluated visitors are all ${positives === 0 ? 'negative' : 'positive'} for ${labelColumn}; AUC and calibration need both outcomes. Generate more visitors.`);
    }
    const metrics = classificationMetrics(p, y);
    let labelPositives = 0;
    for (const v of labels.values()) labelPositives += v;
    return {
      model: { name: model.name, version: model.version, sha256: model.sha256, format: model.format, featureSetVersion: model.featureSetVersion, status: model.status },
      feed: {
        dir: input.feedDir,
        deliveries: deliveryIds,
        records: ingested.results.reduce((s, r) => s + r.records, 0),
        loaded: ingested.results.reduce((s, r) => s + r.loaded, 0),
        asOf: snapshot.asOf,
        lookbackDays: input.lookbackDays,
      },
      labels: { file: labelsFile, column: labelColumn, rows: labels.size, positives: labelPositives },
      matched: p.length,
      withoutFeatures: labels.size - p.length,
      withoutLabel,
      metrics: { ...metrics, prevalence: positives / y.length },
      registeredMetrics: model.metrics,
    };
  } finally {
    await scratch.drop();
  }
}
