/**
 * Heartbeats with a checkpoint when running inside a Temporal activity; a no-op elsewhere (CLI, tests).
 * The last checkpoint an activity gave is kept, so the interval heartbeat of the activity boundary
 * (workers/activity-boundary.ts) re-sends it instead of wiping it.
 */
import { Context } from '@temporalio/activity';

const checkpoints = new WeakMap<Context, unknown>();

function current(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

export function heartbeat(details?: unknown): void {
  const ctx = current();
  if (!ctx) return;
  checkpoints.set(ctx, details);
  ctx.heartbeat(details);
}

/** The checkpoint this attempt last heartbeated, else the one the previous attempt left (a retry resumes from it). */
export function lastCheckpoint(ctx: Context): unknown {
  return checkpoints.has(ctx) ? checkpoints.get(ctx) : ctx.info.heartbeatDetails;
}

/** The checkpoint the previous attempt heartbeated, if this is a retry. */
export function lastHeartbeat<T>(): T | undefined {
  return current()?.info.heartbeatDetails as T | undefined;
}
