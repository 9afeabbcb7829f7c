/**
 * The sample feed generator: synthetic Adobe Analytics data feed deliveries in the real format
 * (docs/formats/adobe-data-feed.md), plus the files a shop keeps beside them, for demos, tests, gates and lift checks.
 *
 * `generateFeed` writes into one folder, as Adobe's FTP delivers, one delivery per day:
 *   `01-<rsid>_<date>.tsv.gz`            hit data (no header, ISO-8859-1, backslash escapes), then
 *   `<rsid>_<date>-lookup_data.tar.gz`  column_headers.tsv, event.tsv, browser.tsv, … , and last
 *   `<rsid>_<date>.txt`                  the manifest (MD5-Digest, File-Size, Record-Count),
 * and beside them (names that are not manifests):
 *   `crm_extract.csv`   customer_id,email,phone,first_name,last_name,country,zip (messy, UTF-8);
 *   `cmp_consent.csv`   entity_id,purpose,granted,recorded_at: the consent of post_evar5, per purpose;
 *   `ground_truth.csv`  the hidden truth per visitor (see GROUND_TRUTH_HEADER).
 *
 * `generateFollowUp` writes one later delivery of the same visitors in which each visitor purchases
 * when its fixed draw < p (+ treatmentEffect for the treatment arm, absolute), and
 * `ground_truth_followup_<date>.csv`. With `brokenSplit`, ~30% of control visitors lose all their
 * hits, a sample ratio mismatch a lift check must catch.
 *
 * Visitors are derived from (seed, index), never held in memory: one pass over the indexes writes
 * every day's data file (each a gzip stream with backpressure) and the CSVs. The same options give
 * the same bytes (no clock, fixed gzip levels, deterministic tar).
 *
 * Column conventions and drift modes: see generated-columns.ts, visitor-profile.ts and
 * visit-simulator.ts.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { csvField } from '../../activities/run/csv-line.ts';
import { CRM_HEADER, crmLine } from './crm-record.ts';
import { DataFileWriter } from './data-file-writer.ts';
import { writeLookupArchive } from './lookup-archive.ts';
import { formatManifest, writeManifest } from './manifest-writer.ts';
import { LineFileWriter } from './line-file-writer.ts';
import { clamp, int, streamFor, unitHash, weightedIndex } from './random-draws.ts';
import { simulateVisitor, type VisitInput } from './visit-simulator.ts';
import { CONSENT_PURPOSES, customerNumberOf, inCrm, visitorProfile, type Drift, type ProfileOptions } from './visitor-profile.ts';

export type { Drift };
export type Arm = 'treatment' | 'control';

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD')
  .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), 'a real calendar date');

const CommonOptions = z.object({
  visitors: z.number().int().min(1).max(100_000_000),
  seed: z.number().int().min(0).max(2 ** 32 - 1),
  out: z.string().min(1),
  rsid: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.-]*$/, 'a report suite id (letters, digits, dots, dashes)').default('scoreflowdemo'),
  startDate: isoDate.default('2026-11-01'),
  days: z.number().int().min(1).max(366),
  drift: z.enum(['none', 'collapse_feature', 'shift_score', 'null_column']).default('none'),
  treatmentEffect: z.number().min(-1).max(1).default(0),
  brokenSplit: z.boolean().default(false),
  maxFileBytes: z.number().int().min(1024).optional(),
});

export const GenerateFeedOptionsSchema = CommonOptions;

export const GenerateFollowUpOptionsSchema = CommonOptions.extend({
  days: z.number().int().min(1).max(366).default(3),
  date: isoDate,
  treatmentEffect: z.number().min(-1).max(1),
});

export interface GenerateFeedOptions {
  visitors: number;
  days: number;
  seed: number;
  out: string;
  rsid?: string;
  startDate?: string;
  drift?: Drift;
  /** Absolute lift of purchase probability under treatment; fills the *_if_treated ground-truth columns. */
  treatmentEffect?: number;
  /** Only meaningful for generateFollowUp (the feed has no arms); accepted so one options object serves both. */
  brokenSplit?: boolean;
  /** Uncompressed bytes after which a day's data continues in the next file (`02-…`); default 2 GiB. */
  maxFileBytes?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface FollowUpOptions {
  seed: number;
  visitors: number;
  out: string;
  /** The follow-up delivery's date (YYYY-MM-DD), after the feed's last day. */
  date: string;
  assignments: (entityId: string) => Arm | null | undefined;
  treatmentEffect: number;
  brokenSplit?: boolean;
  /** The original feed's options, so visitors (ids, propensities, visit numbers) match it. */
  rsid?: string;
  startDate?: string;
  days?: number;
  drift?: Drift;
  maxFileBytes?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface GeneratedDelivery {
  deliveryId: string;
  date: string;
  manifest: string;
  lookupFile: string;
  dataFiles: string[];
  records: number;
}

export interface GenerateResult {
  out: string;
  deliveries: GeneratedDelivery[];
  /** Records over all data files (dropped rows included, as Total-Records counts them). */
  records: number;
  visitors: number;
  /** Distinct customer ids on hits. */
  customers: number;
  crmCustomers: number;
  /** Every file written, relative to `out`. */
  files: string[];
}

export interface ArmSummary {
  assigned: number;
  /** Visitors with at least one kept hit in the follow-up delivery. */
  observed: number;
  converted: number;
  revenueCents: number;
}

export interface FollowUpResult {
  out: string;
  delivery: GeneratedDelivery;
  records: number;
  groundTruth: string;
  arms: Record<Arm, ArmSummary>;
  unassigned: number;
  /** Control visitors whose hits brokenSplit dropped. */
  droppedControl: number;
  files: string[];
}

export const GROUND_TRUTH_HEADER =
  'entity_id,true_propensity,purchased_in_horizon,treatment_effect,propensity_if_treated,purchased_if_treated,customer_id,logged_in,consent,visits,hits,page_views,orders,revenue';

export const FOLLOW_UP_GROUND_TRUTH_HEADER = 'entity_id,arm,true_propensity,treatment_effect,propensity_applied,converted,orders,revenue,visited,hits_dropped';

const SALT_BEHAVIOUR = 2;
const SALT_FOLLOW_UP = 3;
const SALT_DROP = 4;
const BROKEN_SPLIT_DROP = 0.3;
const PROGRESS_EVERY = 1000;

const epochOf = (date: string): number => Date.parse(`${date}T00:00:00Z`) / 1000;
const dateOf = (epoch: number): string => new Date(epoch * 1000).toISOString().slice(0, 10);
const isoTime = (epoch: number): string => `${new Date(epoch * 1000).toISOString().slice(0, 19)}Z`;
const money = (cents: number): string => (cents / 100).toFixed(2);
const dataFileName = (rsid: string, date: string) => (part: number) => `${String(part).padStart(2, '0')}-${rsid}_${date}.tsv.gz`;

async function finishDelivery(out: string, rsid: string, date: string, writer: DataFileWriter): Promise<GeneratedDelivery> {
  const data = await writer.close();
  const lookup = await writeLookupArchive(out, `${rsid}_${date}-lookup_data.tar.gz`, date);
  const manifest = `${rsid}_${date}.txt`;
  await writeManifest(out, manifest, formatManifest([lookup], data));
  return {
    deliveryId: `${rsid}_${date}`,
    date,
    manifest,
    lookupFile: lookup.name,
    dataFiles: data.map((d) => d.name),
    records: data.reduce((s, d) => s + d.records, 0),
  };
}

/** Writes `days` daily deliveries of `visitors` visitors, plus crm_extract.csv, cmp_consent.csv and ground_truth.csv. */
export async function generateFeed(options: GenerateFeedOptions): Promise<GenerateResult> {
  const o = GenerateFeedOptionsSchema.parse(options);
  await mkdir(o.out, { recursive: true });
  const startEpoch = epochOf(o.startDate);
  const dates = Array.from({ length: o.days }, (_, d) => dateOf(startEpoch + d * 86400));
  const writers = dates.map((date) => new DataFileWriter(o.out, dataFileName(o.rsid, date), o.maxFileBytes));
  const crm = new LineFileWriter(join(o.out, 'crm_extract.csv'), CRM_HEADER);
  const cmp = new LineFileWriter(join(o.out, 'cmp_consent.csv'), 'entity_id,purpose,granted,recorded_at');
  const truth = new LineFileWriter(join(o.out, 'ground_truth.csv'), GROUND_TRUTH_HEADER);
  const profileOptions: ProfileOptions = { seed: o.seed, days: o.days, startEpoch, drift: o.drift };
  const emit = (day: number, line: string) => writers[day]!.push(line);
  let customers = 0;

  for (let i = 0; i < o.visitors; i++) {
    const v = visitorProfile(profileOptions, i);
    const visits: VisitInput[] = v.visits.map((s) => ({ day: s.day, start: s.start, purchase: 'natural' }));
    const outcome = simulateVisitor(v, visits, streamFor(o.seed, i, SALT_BEHAVIOUR), { drift: o.drift, firstVisitNum: 1, firstVisitIndex: 0, lastHitTime: 0 }, emit);
    if (v.loggedIn && customerNumberOf(o.seed, i) === i + 1) customers++;
    if (inCrm(o.seed, i)) crm.push(crmLine(o.seed, i + 1));
    const recordedAt = isoTime(v.visits[0]!.start);
    for (const purpose of CONSENT_PURPOSES) cmp.push(`${v.entityId},${purpose},${v.consentGranted[purpose]},${recordedAt}`);
    const treated = clamp(v.propensity + o.treatmentEffect, 0, 1);
    truth.push(
      [
        v.entityId,
        v.propensity.toFixed(6),
        v.horizonDraw < v.propensity ? 1 : 0,
        o.treatmentEffect,
        treated.toFixed(6),
        v.horizonDraw < treated ? 1 : 0,
        v.customerId ?? '',
        v.loggedIn ? 1 : 0,
        v.consent,
        outcome.visits,
        outcome.hits,
        outcome.pageViews,
        outcome.orders,
        money(outcome.revenueCents),
      ].join(','),
    );
    for (const w of writers) if (w.needsFlush) await w.flush();
    await crm.flushIfNeeded();
    await cmp.flushIfNeeded();
    await truth.flushIfNeeded();
    if (options.onProgress && ((i + 1) % PROGRESS_EVERY === 0 || i + 1 === o.visitors)) options.onProgress(i + 1, o.visitors);
  }
  await Promise.all([crm.close(), cmp.close(), truth.close()]);

  const deliveries: GeneratedDelivery[] = [];
  for (let d = 0; d < o.days; d++) deliveries.push(await finishDelivery(o.out, o.rsid, dates[d]!, writers[d]!));
  return {
    out: o.out,
    deliveries,
    records: deliveries.reduce((s, d) => s + d.records, 0),
    visitors: o.visitors,
    customers,
    crmCustomers: crm.lines,
    files: [...deliveries.flatMap((d) => [...d.dataFiles, d.lookupFile, d.manifest]), 'crm_extract.csv', 'cmp_consent.csv', 'ground_truth.csv'],
  };
}

/** Visit start hours of the follow-up day. */
const FOLLOW_UP_HOURS = [1, 1, 1, 1, 1, 2, 3, 5, 6, 6, 6, 7, 8, 7, 6, 6, 6, 7, 9, 10, 10, 9, 6, 4];

/**
 * Writes one later delivery (`<rsid>_<date>`) of the same visitors, with outcomes driven by the
 * assignment: a visitor converts when its horizon draw < p + (treatmentEffect if treated), the same
 * draw as ground_truth.csv, so control outcomes equal `purchased_in_horizon` and treatment outcomes
 * `purchased_if_treated` (for the same effect). Every visitor visits once that day; converted
 * visitors buy, the others browse (and may fill a cart) without buying.
 */
export async function generateFollowUp(options: FollowUpOptions): Promise<FollowUpResult> {
  const { assignments, onProgress, ...data } = options;
  const o = GenerateFollowUpOptionsSchema.parse(data);
  await mkdir(o.out, { recursive: true });
  const startEpoch = epochOf(o.startDate);
  const dayEpoch = epochOf(o.date);
  const dayNumber = Math.round((dayEpoch - startEpoch) / 86400);
  if (dayNumber < o.days) {
    throw new RangeError(`generateFollowUp: date ${o.date} falls inside the feed (${o.startDate} + ${o.days} days); pass a later date, e.g. the day after the feed's last day.`);
  }
  const writer = new DataFileWriter(o.out, dataFileName(o.rsid, o.date), o.maxFileBytes);
  const truthName = `ground_truth_followup_${o.date}.csv`;
  const truth = new LineFileWriter(join(o.out, truthName), FOLLOW_UP_GROUND_TRUTH_HEADER);
  const profileOptions: ProfileOptions = { seed: o.seed, days: o.days, startEpoch, drift: o.drift };
  const arms: Record<Arm, ArmSummary> = {
    treatment: { assigned: 0, observed: 0, converted: 0, revenueCents: 0 },
    control: { assigned: 0, observed: 0, converted: 0, revenueCents: 0 },
  };
  let unassigned = 0;
  let droppedControl = 0;

  for (let i = 0; i < o.visitors; i++) {
    const v = visitorProfile(profileOptions, i);
    const arm = assignments(v.entityId) ?? null;
    const effect = arm === 'treatment' ? o.treatmentEffect : 0;
    const applied = clamp(v.propensity + effect, 0, 1);
    const converted = v.horizonDraw < applied;
    const dropped = o.brokenSplit && arm === 'control' && unitHash(o.seed, i, SALT_DROP) < BROKEN_SPLIT_DROP;
    const r = streamFor(o.seed, i, SALT_FOLLOW_UP, dayNumber);
    // Every visitor visits once, whether it converts or not, so observed visitors per arm follow the
    // assignment and only brokenSplit makes the ratio mismatch.
    const start = dayEpoch + weightedIndex(r, FOLLOW_UP_HOURS) * 3600 + int(r, 3600);
    const visits: VisitInput[] = [{ day: 0, start, purchase: converted ? 'force' : 'never' }];
    const last = v.visits[v.visits.length - 1]!;
    const outcome = simulateVisitor(
      v,
      visits,
      r,
      { drift: o.drift, firstVisitNum: v.visits.length + 1, firstVisitIndex: v.visits.length, lastHitTime: last.start },
      dropped ? () => undefined : (_day, line) => writer.push(line),
    );
    const observed = !dropped && outcome.hits > 0;
    if (arm) {
      const a = arms[arm];
      a.assigned++;
      if (observed) a.observed++;
      if (converted) a.converted++;
      a.revenueCents += outcome.revenueCents;
    } else unassigned++;
    if (dropped) droppedControl++;
    truth.push(
      [v.entityId, arm ?? '', v.propensity.toFixed(6), effect, applied.toFixed(6), converted ? 1 : 0, outcome.orders, money(outcome.revenueCents), observed ? 1 : 0, dropped ? 1 : 0]
        .map((x) => csvField(String(x)))
        .join(','),
    );
    if (writer.needsFlush) await writer.flush();
    await truth.flushIfNeeded();
    if (onProgress && ((i + 1) % PROGRESS_EVERY === 0 || i + 1 === o.visitors)) onProgress(i + 1, o.visitors);
  }
  await truth.close();
  const delivery = await finishDelivery(o.out, o.rsid, o.date, writer);
  return {
    out: o.out,
    delivery,
    records: delivery.records,
    groundTruth: truthName,
    arms,
    unassigned,
    droppedControl,
    files: [...delivery.dataFiles, delivery.lookupFile, delivery.manifest, truthName],
  };
}
