/**
 * exportToDestination: one child workflow per destination and cycle. The activity transforms,
 * validates, diffs against the last sync, delivers and records receipts; it heartbeats a chunk
 * checkpoint, so a retried attempt resumes where the last one stopped.
 */
import { proxyActivities } from '@temporalio/workflow';
import type * as activities from '../activities/index.ts';
import { fanOut, sumExports } from './shard-fanout.ts';

const acts = proxyActivities<typeof activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 10, initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: ['DestinationRejected', 'ContractViolation', 'InvalidPipelineConfig'] },
});

export interface ExportToDestinationInput {
  runId: string;
  pipelinePath: string;
  destination: string;
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
  if (!input.shards || input.shards <= 1) return acts.exportDestinationActivity(input);
  const { shards, ...rest } = input;
  return sumExports(await fanOut(shards, (shard) => acts.exportDestinationActivity({ ...rest, ...(shard && { shard }) })));
}
