/**
 * No PII in logs. One activationRun end to end (ingest → features → score → gate → publish → export to
 * a file outbox and every contract server: Target, Google, Meta, a signed webhook, NATS → outcome
 * measurement) with a real worker in this process, every pino line written to a file and every
 * Temporal SDK line (worker, workflow `log`) to another. Then every line is scanned for the visitor
 * ids, customer ids and IPs of the generated feed, the emails, phones and names of its CRM extract,
 * and the SHA-256 hashes the ad destinations send.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// Before anything creates the logger (it reads these once, on first use): all levels, to a file.
const LOGS = vi.hoisted(() => {
  const dir = process.env.TMPDIR ?? '/tmp';
  const stamp = `${process.pid}-${Date.now()}`;
  const files = { pino: `${dir}/scoreflow-nopii-${stamp}.log`, temporal: `${dir}/scoreflow-nopii-temporal-${stamp}.log` };
  process.env.SCOREFLOW_LOG_FILE = files.pino;
  process.env.LOG_LEVEL = 'debug';
  return files;
});

import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { generateFeed, generateFollowUp, type GenerateResult } from '../../tools/feed-generator/generator.ts';
import { normalizeIdentifier, sha256Hex, type IdentifierType, type Platform } from '../../activities/identity/normalize.ts';
import { assignArm } from '../../activities/measurement/holdout.ts';
import { logger } from '../../activities/observability/logger.ts';
import { closePools } from '../../activities/store/db.ts';
import { startContractServers, type ContractServers } from '../../tools/contract-servers/start-all.ts';
import { recentStartDate, result as runResult, startActivationWorker, type ActivationWorker } from '../helpers/activation-run.ts';
import { hitsAsObjects, readCsv, readDataFile, readTarEntries } from '../helpers/generated-feed-reader.ts';
import { writeTestPipeline, type TestPipeline } from '../helpers/pipeline.ts';

const VISITORS = 800;
const SEED = 9173;
const DAYS = 2;

let w: ActivationWorker;
let servers: ContractServers;
let pipeline: TestPipeline;
let feed: GenerateResult;

type Kind = 'visitor id' | 'visitor id half' | 'mcvisid' | 'customer id' | 'ip' | 'email' | 'phone' | 'name' | 'sha256';
interface Needle {
  kind: Kind;
  value: string;
}

/** Whether the line holds the value as a whole token: no letter or digit (for ids and IPs, no dot either) touches it. */
function occursIn(line: string, n: Needle): boolean {
  const joins = n.kind === 'ip' || n.kind.startsWith('visitor') || n.kind === 'mcvisid' ? /[A-Za-z0-9.]/ : /[\p{L}\p{N}]/u;
  for (let i = line.indexOf(n.value); i >= 0; i = line.indexOf(n.value, i + 1)) {
    const before = line[i - 1] ?? ' ';
    const after = line[i + n.value.length] ?? ' ';
    const edgeStarts = joins.test(n.value[0]!);
    const edgeEnds = joins.test(n.value[n.value.length - 1]!);
    if ((!edgeStarts || !joins.test(before)) && (!edgeEnds || !joins.test(after))) return true;
  }
  return false;
}

/** Everything identifying in the generated delivery and its CRM extract, read independently of the ingest code. */
async function personalData(dir: string, g: GenerateResult): Promise<Needle[]> {
  const out = new Map<string, Needle>();
  const add = (kind: Kind, raw: string | undefined) => {
    const value = (raw ?? '').trim();
    if (value.length >= 3 && !out.has(value)) out.set(value, { kind, value });
  };
  for (const d of g.deliveries) {
    const tar = await readTarEntries(join(dir, d.lookupFile));
    const columns = tar.get('column_headers.tsv')!.toString('latin1').trim().split('\t');
    for (const f of d.dataFiles) {
      for (const h of hitsAsObjects(columns, readDataFile(dir, f).records)) {
        add('visitor id', `${h.post_visid_high}_${h.post_visid_low}`);
        if ((h.post_visid_high ?? '').length >= 10) add('visitor id half', h.post_visid_high);
        if ((h.post_visid_low ?? '').length >= 10) add('visitor id half', h.post_visid_low);
        add('mcvisid', h.mcvisid);
        add('customer id', h.post_evar3);
        add('customer id', h.evar3);
        add('ip', h.ip);
      }
    }
  }
  const hashes = new Set<string>();
  const hashed = (type: IdentifierType, value: string, country: string) => {
    for (const platform of ['google', 'meta'] as Platform[]) {
      const r = normalizeIdentifier(platform, type, value, { country });
      if (r.ok) hashes.add(sha256Hex(r.value));
    }
  };
  for (const c of readCsv(join(dir, 'crm_extract.csv'))) {
    add('customer id', c.customer_id);
    for (const email of [c.email, c.email?.trim().toLowerCase()]) add('email', email);
    if (c.email) hashes.add(sha256Hex(c.email.trim().toLowerCase())).add(sha256Hex(c.email.replace(/\s+/g, '').toLowerCase()));
    add('phone', c.phone);
    const digits = (c.phone ?? '').replace(/\D/g, '');
    if (digits.length >= 9) add('phone', digits);
    for (const name of [c.first_name, c.last_name]) add('name', name);
    if (c.first_name?.trim() && c.last_name?.trim()) add('name', `${c.first_name.trim()} ${c.last_name.trim()}`);
    for (const [type, value] of [['email', c.email], ['phone', c.phone], ['fn', c.first_name], ['ln', c.last_name]] as const) {
      if (value) hashed(type, value, c.country ?? 'US');
    }
  }
  for (const h of hashes) add('sha256', h);
  return [...out.values()];
}

const parse = (file: string): Record<string, unknown>[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

beforeAll(async () => {
  // Temporal's own lines (worker, workflow `log.*` through the sink) as JSON, to the second file.
  Runtime.install({
    logger: new DefaultLogger('DEBUG', (entry) => {
      const line = JSON.stringify({ level: entry.level, message: entry.message, ...entry.meta }, (_k, v: unknown) =>
        v instanceof Error ? { name: v.name, message: v.message, stack: v.stack, cause: v.cause } : v,
      );
      appendFileSync(LOGS.temporal, `${line}\n`);
    }),
  });
  process.env.SCOREFLOW_REPORT_DIR = mkdtempSync(join(tmpdir(), 'scoreflow-nopii-reports-'));
  servers = await startContractServers();
  Object.assign(process.env, servers.env);
  const outbox = mkdtempSync(join(tmpdir(), 'scoreflow-nopii-outbox-'));
  pipeline = writeTestPipeline(
    {
      destinations: [
        { name: 'outbox', kind: 'file', outbox, formats: ['csv', 'jsonl'], filter: { consentPurpose: 'personalization', requireEligible: true }, holdout: 'exclude_control' },
        ...servers.destinations(),
      ],
    },
    `nopii-${Math.random().toString(36).slice(2, 8)}`,
  );
  w = await startActivationWorker('nopii');
}, 180_000);

afterAll(async () => {
  await w?.close();
  await servers?.close();
  await closePools();
  for (const f of [LOGS.pino, LOGS.temporal]) if (existsSync(f)) rmSync(f);
});

describe('logs of an end-to-end run', () => {
  it('carry run and destination ids, and none of the visitor ids, customer ids, IPs, emails, phones, names or their hashes', async () => {
    const startDate = recentStartDate(DAYS);
    const feedDir = join(pipeline.dir, 'feed');
    const outcomes = join(pipeline.dir, 'outcomes');
    feed = await generateFeed({ visitors: VISITORS, days: DAYS, seed: SEED, out: feedDir, rsid: 'nopii', startDate });
    await generateFollowUp({
      seed: SEED,
      visitors: VISITORS,
      days: DAYS,
      startDate,
      rsid: 'nopii',
      out: outcomes,
      date: new Date().toISOString().slice(0, 10),
      treatmentEffect: 0.05,
      assignments: (entityId) => assignArm(entityId, `${pipeline.name}-exp`, 0.1),
    });

    // The unhappy paths log too: the webhook throttles its next 15 requests. The sync engine waits
    // in-process three times, then gives the attempt up (each try consumes 1 to 3 of the 15), so the
    // activity fails at least once, Temporal retries it, and the sync resumes at its checkpoint.
    servers.webhook.injectFailures(15, 429, 0);

    const workflowId = `${pipeline.name}.e2e`;
    const h = await w.start(workflowId, { pipelinePath: pipeline.path, feedDir, attributionWindow: '200ms', outcomeFeedDir: outcomes, outcomeWindowDays: 1 }, pipeline.name);
    const result = await runResult(h);
    expect(result.status).toBe('COMPLETED');
    const destinations = ['outbox', ...servers.destinations().map((d) => d.name)];
    expect(result.exports.map((e) => e.destination).sort()).toEqual([...destinations].sort());
    for (const e of result.exports) expect(e.rows, e.destination).toBeGreaterThan(0);
    await w.client.workflow.getHandle(`${workflowId}.measure`).result();

    await new Promise<void>((resolve, reject) => logger().flush((err) => (err ? reject(err) : resolve())));
    const pinoLines = parse(LOGS.pino);
    const temporalLines = parse(LOGS.temporal);
    const rawLines = [...readFileSync(LOGS.pino, 'utf8').split('\n'), ...readFileSync(LOGS.temporal, 'utf8').split('\n')].filter((l) => l !== '');

    // The logs are there: every stage of this run wrote structured lines with its run id.
    expect(pinoLines.length).toBeGreaterThanOrEqual(25);
    const ofRun = pinoLines.filter((l) => l.runId === workflowId);
    const messages = new Set(ofRun.map((l) => l.msg));
    for (const m of ['run status', 'gates evaluated', 'canonical records published', 'file export written', 'destination throttled; waiting', 'destination synced', 'chunk delivered', 'run report written', 'outcomes measured']) {
      expect(messages, m).toContain(m);
    }
    expect(pinoLines.some((l) => l.msg === 'delivery loaded' && typeof l.deliveryId === 'string')).toBe(true);
    expect(temporalLines.some((l) => l.message === 'Activity failed' && l.workflowId === `${workflowId}.export.offers-webhook`)).toBe(true);

    // Every line was logged inside an activity of this run (or of its export and measure children),
    // and says which: code that knows no run id (a destination adapter) is still attributable.
    const temporal = (l: Record<string, unknown>) => (l.temporal ?? {}) as { workflowId?: string; activity?: string };
    for (const l of pinoLines) expect(temporal(l).workflowId ?? '', JSON.stringify(l)).toMatch(new RegExp(`^${workflowId.replace(/\./g, '\\.')}(\\.(export\\.[a-z0-9-]+|measure))?$`));

    // Destination lines name the run and the destination they are about.
    for (const msg of ['file export written', 'destination synced', 'chunk delivered', 'destination throttled; waiting']) {
      const lines = pinoLines.filter((l) => l.msg === msg);
      expect(lines.length, msg).toBeGreaterThan(0);
      for (const l of lines) {
        expect(l.runId, msg).toBe(workflowId);
        expect(destinations, msg).toContain(l.destination);
        expect(temporal(l).workflowId, msg).toBe(`${workflowId}.export.${String(l.destination)}`);
      }
    }
    expect(new Set(pinoLines.filter((l) => l.msg === 'destination synced').map((l) => l.destination))).toEqual(new Set(destinations.filter((d) => d !== 'outbox')));
    // The adapters' own lines (they know their kind, not the run) carry the export child's workflow id.
    for (const msg of ['webhook chunk interrupted; the retry re-sends the same webhook-ids', 'webhook chunk delivered', 'target bulk chunk delivered', 'jetstream chunk delivered']) {
      const lines = pinoLines.filter((l) => l.msg === msg);
      expect(lines.length, msg).toBeGreaterThan(0);
      for (const l of lines) expect(destinations.map((d) => `${workflowId}.export.${d}`), msg).toContain(temporal(l).workflowId);
    }

    // And no personal data, in the clear or hashed, anywhere.
    const needles = await personalData(feedDir, feed);
    const count = (k: Kind) => needles.filter((n) => n.kind === k).length;
    expect(count('visitor id')).toBeGreaterThanOrEqual(VISITORS * 0.9);
    expect(count('mcvisid')).toBeGreaterThanOrEqual(VISITORS * 0.9);
    expect(count('ip')).toBeGreaterThan(VISITORS * 0.5);
    expect(count('customer id')).toBeGreaterThan(100);
    expect(count('email')).toBeGreaterThan(100);
    expect(count('phone')).toBeGreaterThan(100);
    expect(count('name')).toBeGreaterThan(50);
    expect(count('sha256')).toBeGreaterThan(400);

    // The scan finds a value wherever a log line would carry it.
    for (const kind of new Set(needles.map((n) => n.kind))) {
      const n = needles.find((x) => x.kind === kind)!;
      expect(occursIn(JSON.stringify({ level: 30, [kind]: n.value, msg: 'x' }), n), kind).toBe(true);
    }

    const leaks: string[] = [];
    for (const line of rawLines) {
      for (const n of needles) if (occursIn(line, n)) leaks.push(`${n.kind} ${JSON.stringify(n.value)} in: ${line.slice(0, 400)}`);
    }
    expect(leaks.slice(0, 20)).toEqual([]);
  }, 300_000);
});
