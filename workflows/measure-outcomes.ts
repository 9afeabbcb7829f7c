/**
 * measureOutcomes: waits out the attribution window with a durable timer (an input, so tests pass
 * milliseconds), ingests the deliveries that arrived meanwhile, and computes outcomes and lift.
 */
import { proxyActivities, sleep } from '@temporalio/workflow';
import type * as activities from '../activities/index.ts';
import type { PipelineConfig } from '../contracts/pipeline-config.ts';
import { durationMs } from '../contracts/pipeline-config.ts';

const acts = proxyActivities<typeof activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '2 minutes',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: ['InvalidFeed', 'InvalidPipelineConfig'] },
});

export interface MeasureOutcomesInput {
  runId: string;
  /** The parent run's pipeline snapshot. */
  pipeline?: PipelineConfig;
  /** Previous release: the pipeline file, read after the window. */
  pipelinePath?: string;
  attributionWindow: string;
  feedDir: string;
  /** Data-time outcome window in days (default: the score's horizon). */
  windowDays?: number;
}

export async function measureOutcomes(input: MeasureOutcomesInput) {
  await sleep(durationMs(input.attributionWindow));
  // Executions of the previous release carry a path and load the pipeline here, as they did.
  const cfg = input.pipeline ?? (await acts.loadPipelineActivity({ pipelinePath: input.pipelinePath! }));
  const found = await acts.discoverDeliveriesActivity({ dir: input.feedDir });
  for (const d of found.deliveries) {
    await acts.ingestFeedActivity({
      dir: input.feedDir,
      manifestFile: d.manifestFile,
      customerIdColumn: cfg.feed.customerIdColumn,
      consentColumn: cfg.consent.source === 'feed_column' ? cfg.consent.column : undefined,
      maxQuarantineShare: cfg.feed.maxQuarantineShare,
    });
  }
  const result = await acts.computeOutcomesActivity({ runId: input.runId, pipeline: cfg, windowDays: input.windowDays });
  return { ...result, deliveriesIngested: found.deliveries.length };
}
