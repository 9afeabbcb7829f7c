/**
 * `scoreflow models register|list|promote|evaluate`: the model registry from the terminal.
 * Register is idempotent for the same bytes and refuses different bytes under an existing version
 * (versions are immutable); promote is audited; evaluate scores a feed with known outcomes.
 */
import type { Command } from 'commander';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { ArtifactFormat } from '../../contracts/model-artifact.ts';
import { listModels, promoteModel, registerModelFile } from '../../activities/scoring/model-operations.ts';
import { evaluateOnFeed, type EvaluateOnFeedResult, DEFAULT_LABEL_COLUMN } from '../../activities/scoring/evaluate-on-feed.ts';
import type { ModelVersionRecord } from '../../activities/scoring/registry.ts';
import { loadPipelineConfig } from '../../activities/run/pipeline.ts';
import { emit } from '../output.ts';
import { databaseReady } from './database-ready.ts';
import { UsageError, wholeNumber } from './flag-values.ts';
import { ingestOptionsFrom } from './ingest.ts';
import { defaultPipelinePath } from './run.ts';

/** Short format names (logreg, xgboost) as well as the registry's own (logreg-json, xgboost-json, onnx, rules). */
const FORMAT_ALIASES: Record<string, ArtifactFormat> = { logreg: 'logreg-json', xgboost: 'xgboost-json' };

export function parseFormat(value: string): ArtifactFormat {
  const format = FORMAT_ALIASES[value] ?? value;
  const parsed = ArtifactFormat.safeParse(format);
  if (!parsed.success) throw new UsageError(`--format "${value}": expected logreg, xgboost, onnx or rules (or ${ArtifactFormat.options.join(', ')}).`);
  return parsed.data;
}

const short = (sha: string) => sha.slice(0, 12);

function modelLine(m: ModelVersionRecord): string {
  const auc = typeof m.metrics.auc === 'number' ? `  auc ${m.metrics.auc.toFixed(3)}` : '';
  return `${`${m.name}@${m.version}`.padEnd(32)} ${m.status.padEnd(9)} ${m.format.padEnd(12)} feature set ${m.featureSetVersion}  sha256 ${short(m.sha256)}…${auc}${m.owner ? `  owner ${m.owner}` : ''}`;
}

function formatEvaluation(r: EvaluateOnFeedResult): string {
  const m = r.metrics;
  const reg = r.registeredMetrics;
  const registered = (y: unknown) => (typeof y === 'number' ? `  (at registration: ${y.toFixed(4)})` : '');
  return [
    `${r.model.name}@${r.model.version} (${r.model.format}, ${r.model.status}) on ${r.feed.dir}`,
    `  feed: ${r.feed.deliveries.length} deliveries, ${r.feed.records.toLocaleString('en-US')} records; features as of ${r.feed.asOf}, ${r.feed.lookbackDays}-day lookback`,
    `  labels: ${r.labels.column} from ${r.labels.file}: ${r.labels.rows} visitors, ${r.labels.positives} positive`,
    `  evaluated ${m.n} visitors (prevalence ${(m.prevalence * 100).toFixed(2)}%); ${r.withoutFeatures} labelled visitors had no features, ${r.withoutLabel} featured visitors no label`,
    `  AUC       ${m.auc.toFixed(4)}${registered(reg.auc)}`,
    `  log loss  ${m.logLoss.toFixed(4)}${registered(reg.log_loss)}`,
    `  calibration slope ${m.calibration.slope.toFixed(3)}, intercept ${m.calibration.intercept.toFixed(3)}, ECE ${m.calibration.ece.toFixed(4)}`,
  ].join('\n');
}

export function registerModelCommands(program: Command): void {
  const models = program.command('models').description('The model registry: register, list, promote and evaluate model versions.');

  models
    .command('register')
    .description('Register an artifact file as a model version (immutable: different bytes under an existing version are refused).')
    .argument('<file>', 'artifact: logreg/xgboost JSON, rules JSON, or .onnx with its .meta.json sidecar beside it')
    .option('--name <name>', 'model name (default: the id the artifact declares)')
    .option('--version <version>', 'version (default: the version the artifact declares)')
    .option('--format <format>', 'logreg, xgboost, onnx or rules (default: inferred from the file)')
    .option('--feature-set <version>', 'feature set version (default: what the artifact declares)')
    .option('--owner <owner>', "owner (default: the training metadata's)")
    .option('--sidecar <file>', 'ONNX sidecar (default: <file>.meta.json)')
    .option('--metadata <file>', 'training metadata (default: <version>.metadata.json beside the file)')
    .option('--sha256 <digest>', 'expected sha256 of the bytes; refused when they differ')
    .option('--json', 'print one JSON object')
    .action(
      async (
        file: string,
        o: { name?: string; version?: string; format?: string; featureSet?: string; owner?: string; sidecar?: string; metadata?: string; sha256?: string; json?: boolean },
      ) => {
        const format = o.format ? parseFormat(o.format) : undefined;
        await databaseReady();
        const res = await registerModelFile(resolve(file), {
          name: o.name,
          version: o.version,
          format,
          featureSetVersion: o.featureSet,
          owner: o.owner,
          sidecarPath: o.sidecar ? resolve(o.sidecar) : undefined,
          metadataPath: o.metadata ? resolve(o.metadata) : undefined,
          expectedSha256: o.sha256,
        });
        emit(o, { ok: true, ...res }, () =>
          res.created
            ? `registered ${res.model.name}@${res.model.version} (${res.model.format}, feature set ${res.model.featureSetVersion}) from ${res.file}, sha256 ${res.model.sha256}, status ${res.model.status}`
            : `${res.model.name}@${res.model.version} is already registered with these bytes (sha256 ${res.model.sha256}); nothing changed`,
        );
      },
    );

  models
    .command('list')
    .description('Registered model versions, oldest first.')
    .option('--name <name>', 'only this model')
    .option('--json', 'print one JSON object')
    .action(async (o: { name?: string; json?: boolean }) => {
      await databaseReady();
      const all = await listModels(o.name);
      emit(o, { models: all }, () => (all.length ? all.map(modelLine).join('\n') : `no registered versions${o.name ? ` of ${o.name}` : ''}; register one with scoreflow models register FILE`));
    });

  models
    .command('promote')
    .description("Make a version its model's champion (the previous champion becomes a candidate, still a rollback target). Audited.")
    .argument('<name>', 'model name')
    .argument('<version>', 'version')
    .requiredOption('--reason <text>', 'why (audited)')
    .option('--operator <name>', 'who (audited)', userInfo().username)
    .option('--json', 'print one JSON object')
    .action(async (name: string, version: string, o: { reason: string; operator: string; json?: boolean }) => {
      await databaseReady();
      const res = await promoteModel(name, version, o.reason, o.operator);
      emit(o, { ok: true, ...res }, () =>
        res.changed
          ? `${name}@${version} is now the champion${res.previousChampion ? ` (was ${res.previousChampion}, now a candidate)` : ''}`
          : `${name}@${version} already is the champion; nothing changed`,
      );
    });

  models
    .command('evaluate')
    .description("AUC, log loss and calibration of a registered version on a feed with known outcomes (the generator's ground_truth.csv), in a scratch database.")
    .argument('<name>', 'model name')
    .argument('<version>', 'version')
    .requiredOption('--feed <dir>', 'folder of deliveries, e.g. written by scoreflow feed generate')
    .option('--labels <file>', 'CSV with entity_id and a 0/1 outcome column (default: <feed>/ground_truth.csv)')
    .option('--label-column <name>', 'the outcome column', DEFAULT_LABEL_COLUMN)
    .option('--pipeline <file>', 'pipeline whose feed columns and feature lookback to use', defaultPipelinePath())
    .option('--lookback-days <n>', "feature lookback window (default: the pipeline's)")
    .option('--json', 'print one JSON object')
    .action(async (name: string, version: string, o: { feed: string; labels?: string; labelColumn: string; pipeline: string; lookbackDays?: string; json?: boolean }) => {
      const cfg = loadPipelineConfig(o.pipeline);
      const lookbackDays = o.lookbackDays !== undefined ? wholeNumber('lookback-days', o.lookbackDays, 1, 3650) : cfg.features.lookbackDays;
      await databaseReady();
      const log = (stage: string) => {
        if (process.stderr.isTTY) process.stderr.write(`[scoreflow] evaluate: ${stage}\n`);
      };
      const res = await evaluateOnFeed({
        name,
        version,
        feedDir: resolve(o.feed),
        labelsFile: o.labels ? resolve(o.labels) : undefined,
        labelColumn: o.labelColumn,
        lookbackDays,
        ingest: ingestOptionsFrom({ pipeline: o.pipeline }),
        onStage: log,
      });
      emit(o, { ok: true, ...res }, () => formatEvaluation(res));
    });
}
