/**
 * `scoreflow models register|list|promote|evaluate`: the model registry from the terminal.
 * Register is idempotent for the same bytes and refuses different bytes under an existing version
 * (versions are immutable); promote is audited; evaluate scores a feed with known outcomes.
 * `status --pipeline` is the one truthful view of what a pipeline scores with: a rollback pins a
 * pipeline (pipeline_champion) and the pin outranks the registry champion, so `promote` warns about
 * pins and `unpin` (audited) hands the decision back to the registry champion.
 */
import type { Command } from 'commander';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { ArtifactFormat } from '../../contracts/model-artifact.ts';
import { listModels, promoteModel, registerModelFile } from '../../activities/scoring/model-operations.ts';
import { evaluateOnFeed, type EvaluateOnFeedResult, DEFAULT_LABEL_COLUMN } from '../../activities/scoring/evaluate-on-feed.ts';
import { getPipelinePin, listPipelinePins, unpinPipelineChampion, type ModelVersionRecord, type PipelinePin } from '../../activities/scoring/registry.ts';
import { nextModel, type NextModel } from '../../activities/scoring/resolve-model.ts';
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

function pinText(p: PipelinePin): string {
  const what = p.policy === 'rules' ? 'the rules policy' : `${p.modelName}@${p.version}`;
  const who = p.setBy ? ` by ${p.setBy}` : '';
  const when = ` at ${p.setAt ?? p.updatedAt}`;
  const why = p.reason ? ` (reason: ${p.reason})` : '';
  const run = p.runId ? ` from run ${p.runId}` : '';
  return `pinned to ${what}${who}${when}${why}${run}`;
}

function nextText(n: NextModel): string {
  if (n.source === 'none') return `nothing: no pin, no champion of ${n.modelName} and no defaultArtifact; register and promote a version`;
  const what = n.policy === 'rules' ? `the rules policy${n.version ? ` (${n.modelName}@${n.version})` : ' (the fallbackPolicy file, registered on first use)'}` : `${n.modelName}@${n.version ?? '(default artifact, registered on first use)'}`;
  const why = { pin: 'the pipeline pin', 'registry-champion': 'the registry champion', 'default-artifact': "the pipeline's defaultArtifact" }[n.source];
  return `${what}, from ${why}`;
}

/** Pins that override `name`@`version` after it is promoted: rules pins and pins to another version. */
function overriding(pins: PipelinePin[], version: string): PipelinePin[] {
  return pins.filter((p) => p.policy === 'rules' || p.version !== version);
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
      const pins = await listPipelinePins(o.name);
      emit(o, { models: all, pins }, () => {
        const versions = all.length ? all.map(modelLine).join('\n') : `no registered versions${o.name ? ` of ${o.name}` : ''}; register one with scoreflow models register FILE`;
        if (!pins.length) return versions;
        const section = pins.map((p) => `  ${p.pipeline.padEnd(30)} ${pinText(p)}`).join('\n');
        return `${versions}\n\npipeline pins (they outrank the champion for batch runs and serve; scoreflow models status --pipeline FILE):\n${section}`;
      });
    });

  models
    .command('promote')
    .description("Make a version its model's champion (the previous champion becomes a candidate, still a rollback target). Audited.")
    .argument('<name>', 'model name')
    .argument('<version>', 'version')
    .requiredOption('--reason <text>', 'why (audited)')
    .option('--operator <name>', 'who (audited)', userInfo().username)
    .option('--unpin', 'also remove the pins (from rollbacks) of the pipelines on this model, so they use the new champion (audited)')
    .option('--json', 'print one JSON object')
    .action(async (name: string, version: string, o: { reason: string; operator: string; unpin?: boolean; json?: boolean }) => {
      await databaseReady();
      const res = await promoteModel(name, version, o.reason, o.operator);
      const pinned = overriding(await listPipelinePins(name), version);
      const unpinned: string[] = [];
      if (o.unpin) {
        for (const p of pinned) {
          if ((await unpinPipelineChampion(p.pipeline, { operator: o.operator, reason: o.reason })).changed) unpinned.push(p.pipeline);
        }
      }
      const stillPinned = pinned.filter((p) => !unpinned.includes(p.pipeline));
      const warnings = stillPinned.map(
        (p) => `pipeline ${p.pipeline} is ${pinText(p)}; its batch runs and serve keep using that, not ${name}@${version}. Unpin it: scoreflow models unpin --pipeline FILE --reason R, or promote with --unpin.`,
      );
      for (const w of warnings) process.stderr.write(`scoreflow: warning: ${w}\n`);
      emit(o, { ok: true, ...res, pinnedPipelines: stillPinned, unpinned, warnings }, () =>
        [
          res.changed ? `${name}@${version} is now the registry champion${res.previousChampion ? ` (was ${res.previousChampion}, now a candidate)` : ''}` : `${name}@${version} already is the champion; nothing changed`,
          ...unpinned.map((p) => `unpinned pipeline ${p}: it now uses ${name}@${version}`),
          ...stillPinned.map((p) => `warning: pipeline ${p.pipeline} does NOT use it: ${pinText(p)} (run again with --unpin)`),
        ].join('\n'),
      );
    });

  models
    .command('status')
    .description("What a pipeline scores with: the registry champion, any pin a rollback set (who, when, why, which run), and what the next batch run and serve will use.")
    .option('--pipeline <file>', 'pipeline file', defaultPipelinePath())
    .option('--json', 'print one JSON object')
    .action(async (o: { pipeline: string; json?: boolean }) => {
      const cfg = loadPipelineConfig(o.pipeline);
      await databaseReady();
      const champion = (await listModels(cfg.model.name)).find((m) => m.status === 'champion') ?? null;
      const pin = (await getPipelinePin(cfg.name)) ?? null;
      const next = await nextModel({ pipeline: cfg });
      emit(o, { pipeline: cfg.name, model: cfg.model.name, registryChampion: champion, pin, next: { batch: next, serve: next } }, () =>
        [
          `pipeline ${cfg.name} (model ${cfg.model.name})`,
          `  registry champion: ${champion ? `${champion.name}@${champion.version}` : 'none'}`,
          `  pin:               ${pin ? pinText(pin) : 'none (the registry champion decides)'}`,
          `  next batch run:    ${nextText(next)}`,
          `  serve:             ${nextText(next)} (same resolution as batch; a running serve loads it at start)`,
          ...(pin ? [`  to follow the registry champion again: scoreflow models unpin --pipeline ${o.pipeline} --reason R`] : []),
        ].join('\n'),
      );
    });

  models
    .command('unpin')
    .description('Remove a pipeline pin (set by a rollback) so batch runs and serve use the registry champion. Audited.')
    .option('--pipeline <file>', 'pipeline file', defaultPipelinePath())
    .requiredOption('--reason <text>', 'why (audited)')
    .option('--operator <name>', 'who (audited)', userInfo().username)
    .option('--json', 'print one JSON object')
    .action(async (o: { pipeline: string; reason: string; operator: string; json?: boolean }) => {
      const cfg = loadPipelineConfig(o.pipeline);
      await databaseReady();
      const res = await unpinPipelineChampion(cfg.name, { operator: o.operator, reason: o.reason });
      const next = await nextModel({ pipeline: cfg });
      emit(o, { ok: true, pipeline: cfg.name, ...res, next }, () =>
        res.changed ? `pipeline ${cfg.name} unpinned; batch runs and serve now use ${nextText(next)}` : `pipeline ${cfg.name} has no pin; nothing changed (it uses ${nextText(next)})`,
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
