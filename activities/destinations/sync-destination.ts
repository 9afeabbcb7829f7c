/** Stateful destinations go through the shared sync engine. */
import { ApplicationFailure } from '@temporalio/common';
import type { Destination, PipelineConfig } from '../../contracts/pipeline-config.ts';
import type { ExportResult } from './export-activity.ts';

export async function syncDestination(input: { runId: string; pipeline: PipelineConfig; destination: Destination }): Promise<ExportResult> {
  throw ApplicationFailure.nonRetryable(`destination kind ${input.destination.kind} is not wired to the sync engine yet`, 'InvalidPipelineConfig');
}
