/**
 * The activity boundary: one interceptor around every activity the worker runs.
 * - Bad input fails once: errors of the classes below become non-retryable ApplicationFailures of
 *   the named type, so no activity has to remember to convert them, and none is retried 5-10 times.
 * - Long work stays visibly alive: while an activity runs, it heartbeats every HEARTBEAT_EVERY_MS with
 *   its last checkpoint (activities/run/heartbeat.ts), which is also how Temporal delivers cancellation.
 * - Cancellation reaches PostgreSQL: statements the activity is running are cancelled with
 *   pg_cancel_backend, so a cancelled run leaves no query behind.
 */
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, ActivityInterceptorsFactory, Next } from '@temporalio/worker';
import { ZodError } from 'zod';
import { cancelScopeQueries, runInQueryScope, type QueryScope } from '../activities/store/db.ts';
import { lastCheckpoint } from '../activities/run/heartbeat.ts';
import { InvalidPipelineConfigError } from '../activities/run/pipeline.ts';
import { InvalidFeedError } from '../activities/feed/invalid-feed-error.ts';
import { FieldFormatError } from '../activities/feed/field-format-error.ts';
import { ModelRegistryError } from '../activities/scoring/registry.ts';
import { InvalidArtifactError } from '../activities/scoring/scorer.ts';
import { DestinationRejectedError } from '../activities/destinations/adapter.ts';
import { TargetProfileInputError } from '../activities/destinations/adobe-target-profile.ts';

export const HEARTBEAT_EVERY_MS = 10_000;

/** Error class → non-retryable failure type. The workflows list these types as non-retryable too. */
const BAD_INPUT: [new (...args: never[]) => Error, string][] = [
  [InvalidPipelineConfigError, 'InvalidPipelineConfig'],
  [InvalidFeedError, 'InvalidFeed'],
  [FieldFormatError, 'InvalidFeed'],
  [ModelRegistryError, 'InvalidModel'],
  [InvalidArtifactError, 'InvalidModel'],
  [DestinationRejectedError, 'DestinationRejected'],
  [TargetProfileInputError, 'InvalidInput'],
  [ZodError, 'InvalidInput'],
];

/** The non-retryable failure for a bad-input error; anything else unchanged. */
export function toActivityFailure(err: unknown, activity: string): unknown {
  if (err instanceof ApplicationFailure) return err;
  for (const [cls, type] of BAD_INPUT) {
    if (err instanceof cls) {
      const message = err instanceof ZodError ? `${activity}: invalid input: ${err.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ')}` : err.message;
      return ApplicationFailure.create({ message, type, nonRetryable: true, cause: err });
    }
  }
  return err;
}

class ActivityBoundary implements ActivityInboundCallsInterceptor {
  constructor(private readonly ctx: Context) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const ctx = this.ctx;
    const scope: QueryScope = new Set();
    const beat = setInterval(() => ctx.heartbeat(lastCheckpoint(ctx)), HEARTBEAT_EVERY_MS);
    beat.unref();
    const onCancel = () => void cancelScopeQueries(scope).catch(() => {});
    ctx.cancellationSignal.addEventListener('abort', onCancel, { once: true });
    try {
      return await runInQueryScope(scope, () => next(input));
    } catch (err) {
      throw toActivityFailure(err, ctx.info.activityType);
    } finally {
      clearInterval(beat);
      ctx.cancellationSignal.removeEventListener('abort', onCancel);
    }
  }
}

export const activityBoundaryInterceptor: ActivityInterceptorsFactory = (ctx) => ({ inbound: new ActivityBoundary(ctx) });
