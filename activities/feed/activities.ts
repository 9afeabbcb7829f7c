/**
 * Temporal activities of the feed concern. Thin shells: validate the input, call ingest, return a
 * small result (rows stay in Postgres). Inside an activity the ingest heartbeats with its
 * position (file, records) and stops when the activity is cancelled; outside one (CLI, tests)
 * it simply runs.
 */
import { Context, activityInfo } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { IngestDeliveryInput, IngestResult } from '../../contracts/feed-ingest.ts';
import { ingestDelivery, type IngestProgress } from './ingest-delivery.ts';
import { InvalidFeedError } from './invalid-feed-error.ts';
import { heartbeat } from '../run/heartbeat.ts';

/** The current activity context, or null when not running inside a Temporal activity. */
function activityContext(): Context | null {
  try {
    activityInfo();
    return Context.current();
  } catch {
    return null;
  }
}

export async function ingestFeedActivity(input: IngestDeliveryInput): Promise<IngestResult> {
  const parsed = IngestDeliveryInput.safeParse(input);
  if (!parsed.success) {
    throw ApplicationFailure.nonRetryable(`ingestFeedActivity input is invalid: ${z.prettifyError(parsed.error)}. Fix the pipeline's feed settings.`, 'ContractViolation');
  }
  const ctx = activityContext();
  heartbeat({ stage: 'verify', manifestFile: parsed.data.manifestFile });
  try {
    const result = await ingestDelivery(parsed.data, {
      onProgress: (p: IngestProgress) => heartbeat({ stage: 'load', ...p }),
      signal: ctx?.cancellationSignal,
    });
    return IngestResult.parse(result);
  } catch (err) {
    if (err instanceof InvalidFeedError) throw ApplicationFailure.nonRetryable(err.message, 'InvalidFeed');
    throw err;
  }
}
