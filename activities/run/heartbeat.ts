/** Heartbeats with a checkpoint when running inside a Temporal activity; a no-op elsewhere (CLI, tests). */
import { Context } from '@temporalio/activity';

export function heartbeat(details?: unknown): void {
  let ctx: Context | undefined;
  try {
    ctx = Context.current();
  } catch {
    return;
  }
  ctx.heartbeat(details);
}

/** The checkpoint the previous attempt heartbeated, if this is a retry. */
export function lastHeartbeat<T>(): T | undefined {
  try {
    return Context.current().info.heartbeatDetails as T | undefined;
  } catch {
    return undefined;
  }
}
