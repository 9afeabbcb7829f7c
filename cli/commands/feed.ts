/**
 * `scoreflow feed generate`: synthetic Adobe data feed deliveries in the real format, with the CRM
 * extract, CMP consent and the hidden ground truth beside them (tools/feed-generator/generator.ts).
 * `scoreflow feed follow-up`: one later delivery of the same visitors whose purchases follow the
 * holdout arms, for measuring lift (ground_truth_followup_<date>.csv beside it).
 */
import { Option, type Command } from 'commander';
import { resolve } from 'node:path';
import { generateFeed, generateFollowUp, type Drift, type GenerateResult, type FollowUpResult } from '../../tools/feed-generator/generator.ts';
import { assignArm } from '../../activities/measurement/holdout.ts';
import { loadPipelineConfig } from '../../activities/run/pipeline.ts';
import { emit, progress } from '../output.ts';
import { UsageError, decimal, isoDate, oneOf, wholeNumber } from './flag-values.ts';
import { defaultPipelinePath } from './run.ts';

const DRIFTS = ['none', 'collapse_feature', 'shift_score', 'null_column'] as const satisfies readonly Drift[];
const DEFAULT_START_DATE = '2026-11-01';
const DEFAULT_RSID = 'scoreflowdemo';

interface CommonFlags {
  visitors: string;
  seed: string;
  out: string;
  days: string;
  rsid: string;
  startDate: string;
  drift: string;
  maxFileBytes?: string;
  json?: boolean;
}

function common(o: CommonFlags) {
  if (!/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(o.rsid)) throw new UsageError(`--rsid "${o.rsid}": a report suite id is letters, digits, dots and dashes, e.g. --rsid scoreflowdemo.`);
  return {
    visitors: wholeNumber('visitors', o.visitors, 1, 100_000_000),
    seed: wholeNumber('seed', o.seed, 0, 2 ** 32 - 1),
    out: resolve(o.out),
    days: wholeNumber('days', o.days, 1, 366),
    rsid: o.rsid,
    startDate: isoDate('start-date', o.startDate),
    drift: oneOf('drift', o.drift, DRIFTS),
    ...(o.maxFileBytes !== undefined ? { maxFileBytes: wholeNumber('max-file-bytes', o.maxFileBytes, 1024) } : {}),
  };
}

function summary(g: GenerateResult) {
  return {
    ok: true,
    out: g.out,
    deliveries: g.deliveries,
    records: g.records,
    visitors: g.visitors,
    customers: g.customers,
    crmCustomers: g.crmCustomers,
    files: g.files,
  };
}

function formatGenerate(g: GenerateResult): string {
  return [
    `generated ${g.deliveries.length} deliver${g.deliveries.length === 1 ? 'y' : 'ies'} of ${g.visitors.toLocaleString('en-US')} visitors into ${g.out}`,
    ...g.deliveries.map((d) => `  ${d.deliveryId}: ${d.records.toLocaleString('en-US')} records in ${d.dataFiles.join(', ')} (manifest ${d.manifest})`),
    `  ${g.customers.toLocaleString('en-US')} customers on hits, ${g.crmCustomers.toLocaleString('en-US')} in crm_extract.csv; cmp_consent.csv, ground_truth.csv`,
    `  ingest it with: scoreflow ingest ${g.out}`,
  ].join('\n');
}

function formatFollowUp(f: FollowUpResult): string {
  const arm = (name: 'treatment' | 'control') => {
    const a = f.arms[name];
    return `  ${name.padEnd(9)} ${a.assigned} assigned, ${a.observed} observed, ${a.converted} converted`;
  };
  return [
    `generated follow-up delivery ${f.delivery.deliveryId}: ${f.records.toLocaleString('en-US')} records into ${f.out}`,
    arm('treatment'),
    arm('control'),
    `  ${f.unassigned} unassigned${f.droppedControl ? `, ${f.droppedControl} control visitors dropped (broken split)` : ''}; ground truth ${f.groundTruth}`,
  ].join('\n');
}

const dayAfter = (startDate: string, days: number) => new Date(Date.parse(`${startDate}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

export function registerFeedCommands(program: Command): void {
  const feed = program.command('feed').description('Synthetic Adobe data feeds for demos, tests and model evaluation.');

  feed
    .command('generate')
    .description('Write daily deliveries in Adobe\'s real format (data files, lookups, manifest) plus crm_extract.csv, cmp_consent.csv and ground_truth.csv.')
    .requiredOption('--visitors <n>', 'visitors')
    .requiredOption('--days <n>', 'days, one delivery each')
    .requiredOption('--seed <n>', 'seed: the same options give the same bytes')
    .requiredOption('--out <dir>', 'folder to write into (created)')
    .option('--start-date <YYYY-MM-DD>', 'first day', DEFAULT_START_DATE)
    .addOption(new Option('--drift <mode>', 'drift to inject').choices(DRIFTS).default('none'))
    .option('--treatment-effect <x>', 'absolute lift of the purchase probability under treatment (ground truth *_if_treated columns)', '0')
    .option('--rsid <rsid>', 'report suite id (the delivery ids are <rsid>_<date>)', DEFAULT_RSID)
    .option('--max-file-bytes <n>', "uncompressed bytes after which a day's data continues in the next file")
    .option('--json', 'print one JSON object')
    .action(async (o: CommonFlags & { treatmentEffect: string }) => {
      const options = { ...common(o), treatmentEffect: decimal('treatment-effect', o.treatmentEffect, -1, 1) };
      const bar = progress('generate', 'visitors');
      const g = await generateFeed({ ...options, onProgress: (done, total) => bar.update(done, total) });
      bar.done(`${g.records.toLocaleString('en-US')} records`);
      emit(o, summary(g), () => formatGenerate(g));
    });

  feed
    .command('follow-up')
    .description("Write one later delivery of a generated feed's visitors whose purchases follow their holdout arm (for lift measurement).")
    .requiredOption('--visitors <n>', 'visitors, as the feed was generated')
    .requiredOption('--seed <n>', 'seed, as the feed was generated')
    .requiredOption('--out <dir>', 'folder to write into (keep it apart from the feed: it is the outcome delivery)')
    .option('--days <n>', 'days of the original feed', '3')
    .option('--start-date <YYYY-MM-DD>', 'first day of the original feed', DEFAULT_START_DATE)
    .option('--date <YYYY-MM-DD>', "the follow-up day (default: the day after the feed's last day)")
    .addOption(new Option('--drift <mode>', 'drift of the original feed').choices(DRIFTS).default('none'))
    .option('--rsid <rsid>', 'report suite id of the original feed', DEFAULT_RSID)
    .requiredOption('--treatment-effect <x>', 'absolute lift of the purchase probability for the treatment arm')
    .option('--pipeline <file>', 'pipeline whose holdout (experiment key, control share) assigns the arms', defaultPipelinePath())
    .option('--experiment-key <key>', "holdout experiment key (default: the pipeline's)")
    .option('--control-share <share>', "holdout control share (default: the pipeline's)")
    .option('--broken-split', 'drop ~30% of control visitors: a sample ratio mismatch the lift check must catch')
    .option('--max-file-bytes <n>', "uncompressed bytes after which the day's data continues in the next file")
    .option('--json', 'print one JSON object')
    .action(async (o: CommonFlags & { date?: string; treatmentEffect: string; pipeline: string; experimentKey?: string; controlShare?: string; brokenSplit?: boolean }) => {
      const c = common(o);
      const date = o.date ? isoDate('date', o.date) : dayAfter(c.startDate, c.days);
      const treatmentEffect = decimal('treatment-effect', o.treatmentEffect, -1, 1);
      let experimentKey = o.experimentKey;
      let controlShare = o.controlShare !== undefined ? decimal('control-share', o.controlShare, 0, 1) : undefined;
      if (experimentKey === undefined || controlShare === undefined) {
        const holdout = loadPipelineConfig(o.pipeline).holdout;
        if (!holdout) throw new Error(`${o.pipeline}: the pipeline has no holdout; pass --experiment-key and --control-share.`);
        experimentKey ??= holdout.experimentKey;
        controlShare ??= holdout.controlShare;
      }
      const key = experimentKey;
      const share = controlShare;
      const bar = progress('follow-up', 'visitors');
      const f = await generateFollowUp({
        ...c,
        date,
        treatmentEffect,
        brokenSplit: o.brokenSplit ?? false,
        assignments: (entityId) => assignArm(entityId, key, share),
        onProgress: (done, total) => bar.update(done, total),
      });
      bar.done(`${f.records.toLocaleString('en-US')} records`);
      emit(o, { ok: true, ...f, experimentKey: key, controlShare: share }, () => formatFollowUp(f));
    });
}
