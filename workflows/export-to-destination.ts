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
import { attemptsWithin, DEFAULT_EXPORT_RETRY_FOR, RETRY_BACKOFF } from './export-retry.ts';

export { attemptsWithin, DEFAULT_EXPORT_RETRY_FOR } from './export-retry.ts';

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
