/**
 * exportToDestination: one child workflow per destination and cycle. The activity transforms,
 * validates, diffs against the last sync, delivers and records receipts; it heartbeats a chunk
 * checkpoint, so a retried attempt resumes where the last one stopped.
 */
import { proxyActivities } from '@temporalio/workflow';
import type * as activities from '../activities/index.ts';

const acts = proxyActivities<typeof activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 10, initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: ['DestinationRejected', 'ContractViolation', 'InvalidPipelineConfig'] },
});

export interface ExportToDestinationInput {
  runId: string;
  pipelinePath: string;
  destination: string;
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
  return acts.exportDestinationActivity(input);
}
