/**
 * exportToDestination: one child workflow per destination and cycle. The activity transforms,
 * validates, diffs against the last sync, delivers and records receipts; it heartbeats a chunk
 * checkpoint, so a retried attempt resumes where the last one stopped.
 *
 * A destination outage is ridden out here, by Temporal's retry policy with exponential backoff, for
 * up to `retryFor` (default 15 minutes) of waiting; only then does the export fail and the parent run
 * pause for an operator, whose resume starts this child again for the failed destination only.
 */
import { proxyActivities } from '@temporalio/workflow';
import type * as activities from '../activities/index.ts';
import type { PipelineConfig } from '../contracts/pipeline-config.ts';
import { durationMs } from '../contracts/pipeline-config.ts';
import { fanOut, sumExports } from './shard-fanout.ts';

export const DEFAULT_EXPORT_RETRY_FOR = '15m';
const RETRY_BACKOFF = { initialInterval: 1000, backoffCoefficient: 2, maximumInterval: 60_000 } as const;

/**
 * How many attempts the backoff above fits into `ms` of waiting between attempts (the attempts' own
 * run time comes on top, so a long healthy export is never cut short by a total deadline). 15 minutes
 * gives 20 attempts: waits of 1, 2, 4, ... 32 s, then 60 s each.
 */
export function attemptsWithin(ms: number): number {
  let waited = 0;
  let wait: number = RETRY_BACKOFF.initialInterval;
  let attempts = 1;
  while (waited + wait <= ms) {
    waited += wait;
    attempts++;
    wait = Math.min(wait * RETRY_BACKOFF.backoffCoefficient, RETRY_BACKOFF.maximumInterval);
  }
  return attempts;
}

export interface ExportToDestinationInput {
  runId: string;
  /** The run's pipeline snapshot. */
  pipeline?: PipelineConfig;
  /** Previous release: a pipeline file path (read by the activity). */
  pipelinePath?: string;
  destination: string;
  /** Total time the export keeps retrying, e.g. "15m". */
  retryFor?: string;
  /** Entity-hash shards to export in parallel (pipeline scale.shards; stateful destinations only). */
  shards?: number;
}

export interface ExportToDestinationResult {
  destination: string;
  kind: string;
  rows: number;
  location?: string;
  adds?: number;
  updates?: number;
  removes?: number;
  rejected?: number;
}

export async function exportToDestination(input: ExportToDestinationInput): Promise<ExportToDestinationResult> {
  const acts = proxyActivities<typeof activities>({
    startToCloseTimeout: '2 hours',
    heartbeatTimeout: '1 minute',
    retry: {
      ...RETRY_BACKOFF,
      maximumAttempts: attemptsWithin(durationMs(input.retryFor ?? DEFAULT_EXPORT_RETRY_FOR)),
      nonRetryableErrorTypes: ['DestinationRejected', 'ContractViolation', 'InvalidPipelineConfig'],
    },
  });
  if (!input.shards || input.shards <= 1) return acts.exportDestinationActivity(input);
  const { shards, ...rest } = input;
  return sumExports(await fanOut(shards, (shard) => acts.exportDestinationActivity({ ...rest, ...(shard && { shard }) })));
}
