/**
 * Time per stage of a finished run, read from its Temporal history: for each activity type (and
 * each child workflow type), the wall-clock span from the first scheduling to the last close, the
 * busy time summed over its executions (parallel shards and destinations add up), and how many
 * executions there were. The demo prints it under its summary.
 */
import type { Client } from '@temporalio/client';

export interface StageTime {
  stage: string;
  /** First scheduled to last closed, in seconds. */
  seconds: number;
  /** Sum over executions, in seconds (≥ seconds when they ran in parallel). */
  busySeconds: number;
  executions: number;
}

const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): number =>
  t ? Number(t.seconds ?? 0) * 1000 + Math.round((t.nanos ?? 0) / 1e6) : 0;

const round = (x: number) => Math.round(x * 10) / 10;

export async function stageTimes(client: Client, workflowId: string): Promise<StageTime[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const open = new Map<string, { stage: string; start: number }>();
  const spans = new Map<string, { first: number; last: number; busy: number; n: number }>();
  const close = (key: string, end: number) => {
    const o = open.get(key);
    if (!o) return;
    open.delete(key);
    const s = spans.get(o.stage) ?? { first: o.start, last: end, busy: 0, n: 0 };
    s.first = Math.min(s.first, o.start);
    s.last = Math.max(s.last, end);
    s.busy += end - o.start;
    s.n++;
    spans.set(o.stage, s);
  };
  for (const e of history.events ?? []) {
    const at = ms(e.eventTime);
    const id = String(e.eventId);
    if (e.activityTaskScheduledEventAttributes) open.set(`a${id}`, { stage: e.activityTaskScheduledEventAttributes.activityType?.name ?? 'activity', start: at });
    const a =
      e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes ?? e.activityTaskCanceledEventAttributes;
    if (a?.scheduledEventId != null) close(`a${String(a.scheduledEventId)}`, at);
    if (e.startChildWorkflowExecutionInitiatedEventAttributes) open.set(`c${id}`, { stage: e.startChildWorkflowExecutionInitiatedEventAttributes.workflowType?.name ?? 'child', start: at });
    const c =
      e.childWorkflowExecutionCompletedEventAttributes ??
      e.childWorkflowExecutionFailedEventAttributes ??
      e.childWorkflowExecutionTimedOutEventAttributes ??
      e.childWorkflowExecutionCanceledEventAttributes ??
      e.childWorkflowExecutionTerminatedEventAttributes;
    if (c?.initiatedEventId != null) close(`c${String(c.initiatedEventId)}`, at);
  }
  return [...spans.entries()]
    .sort((x, y) => x[1].first - y[1].first)
    .map(([stage, s]) => ({ stage: stage.replace(/Activity$/, ''), seconds: round((s.last - s.first) / 1000), busySeconds: round(s.busy / 1000), executions: s.n }));
}

export function formatStageTimes(times: readonly StageTime[]): string {
  return times
    .map((t) => `    ${t.stage.padEnd(26)} ${t.seconds.toFixed(1).padStart(7)} s${t.executions > 1 ? `  (${t.executions} executions, ${t.busySeconds.toFixed(1)} s busy)` : ''}`)
    .join('\n');
}
