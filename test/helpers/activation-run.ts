/**
 * What the activationRun workflow tests share: a real worker (workers/worker.ts, real activities,
 * the workflows bundle) on a task queue of its own, a client, feeds generated with recent dates (so
 * the freshness gate judges them as fresh), the file destination's outbox read back, and the
 * `temporal` CLI for signals (the same API the Web UI uses).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import type { CanonicalRecord } from '../../contracts/canonical-record.ts';
import { generateFeed, type GenerateResult } from '../../tools/feed-generator/generator.ts';
import { ensureTemporalCli } from '../../cli/services/temporal-cli.ts';
import { createWorker } from '../../workers/worker.ts';
import { statusQuery, type RunStatusView } from '../../workflows/messages.ts';
import type { ActivationRunInput, ActivationRunResult } from '../../workflows/activation-run.ts';
import { PipelineKey, RunStatusKey } from '../../workflows/search-attributes.ts';
import { readCsv } from './generated-feed-reader.ts';
import { temporalAddress } from './temporal.ts';

export const uid = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

export interface ActivationWorker {
  client: Client;
  taskQueue: string;
  /** Starts activationRun; with `pipelineName`, sets the Pipeline and RunStatus search attributes at start as `scoreflow run` does. */
  start(workflowId: string, input: ActivationRunInput, pipelineName?: string): Promise<WorkflowHandle>;
  close(): Promise<void>;
}

/** A worker with the real activities and workflows on its own task queue, and a client. */
export async function startActivationWorker(prefix: string): Promise<ActivationWorker> {
  // Run reports go to a temporary folder, not the repository's .data/.
  process.env.SCOREFLOW_REPORT_DIR ??= mkdtempSync(join(tmpdir(), 'scoreflow-reports-'));
  const taskQueue = uid(prefix);
  const { worker, connection: workerConnection } = await createWorker({ address: temporalAddress(), taskQueue, metricsPort: null, shutdownGraceTime: '2s' });
  const running = worker.run();
  const connection = await Connection.connect({ address: temporalAddress() });
  const client = new Client({ connection });
  return {
    client,
    taskQueue,
    start: (workflowId, input, pipelineName) =>
      client.workflow.start('activationRun', {
        taskQueue,
        workflowId,
        args: [input],
        ...(pipelineName && {
          typedSearchAttributes: new TypedSearchAttributes([
            { key: PipelineKey, value: pipelineName },
            { key: RunStatusKey, value: 'RUNNING' },
          ]),
        }),
      }),
    async close() {
      worker.shutdown();
      await running;
      await workerConnection.close();
      await connection.close();
    },
  };
}

/** YYYY-MM-DD of `days` days before today (UTC): a feed of `days` days from there ends at last midnight, so it is fresh. */
export function recentStartDate(days: number): string {
  return new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * A generated feed whose days end yesterday (as `scoreflow demo` does), so its latest hit is less
 * than 48 hours old and the freshness gate does not fail. `rsid` names the deliveries: deliveries
 * are keyed by `<rsid>_<date>`, so every feed of a suite takes its own.
 */
export function generateRecentFeed(o: { out: string; rsid: string; seed: number; visitors?: number; days?: number }): Promise<GenerateResult> {
  const days = o.days ?? 2;
  return generateFeed({ visitors: o.visitors ?? 300, days, seed: o.seed, out: o.out, rsid: o.rsid, startDate: recentStartDate(days) });
}

/** Polls the `status` query until `ok` holds. */
export async function waitForStatus(handle: WorkflowHandle, ok: (s: RunStatusView) => boolean, timeoutMs = 120_000): Promise<RunStatusView> {
  const deadline = Date.now() + timeoutMs;
  let last: RunStatusView | undefined;
  while (Date.now() < deadline) {
    try {
      last = await handle.query(statusQuery);
      if (ok(last)) return last;
    } catch {
      // the first workflow task may not have run yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`status of ${handle.workflowId} did not reach the expected state within ${timeoutMs} ms; last: ${JSON.stringify(last && { status: last.status, stage: last.stage, pausedReason: last.pausedReason, rejectedSignals: last.rejectedSignals })}`);
}

export const result = (handle: WorkflowHandle) => handle.result() as Promise<ActivationRunResult>;

/** Polls until `probe` returns a value other than undefined. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** `temporal workflow signal` against the run's dev server; resolves with the CLI's exit code and output. */
export function signalWithCli(workflowId: string, name: string, input: unknown): Promise<{ code: number; stdout: string; stderr: string }> {
  const args = ['workflow', 'signal', '--address', temporalAddress(), '--namespace', 'default', '--workflow-id', workflowId, '--name', name, '--input', JSON.stringify(input)];
  return new Promise((resolve, reject) => {
    execFile(ensureTemporalCli().path, args, { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(new Error(`temporal ${args.join(' ')}: ${err.message}\n${stderr}`));
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

/** The rows the file destination wrote for one cycle (records.csv and records.jsonl of its export). */
export function readFileExport(location: string): { csv: Record<string, string>[]; jsonl: CanonicalRecord[]; manifest: { runId: string; rows: number } } {
  const jsonl = readFileSync(join(location, 'records.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as CanonicalRecord);
  return { csv: readCsv(join(location, 'records.csv')), jsonl, manifest: JSON.parse(readFileSync(join(location, 'manifest.json'), 'utf8')) };
}

/** Segment memberships with their eligibility flags, one string per entity, for set comparisons. */
export function memberships(records: CanonicalRecord[]): Set<string> {
  return new Set(
    records.map((r) =>
      JSON.stringify([r.entity_id, r.segments.map((s) => s.id), r.eligibility.activation_eligible, [...r.eligibility.reasons].sort()]),
    ),
  );
}
