/** Where workers and clients meet: Temporal address, namespace and the versioned task queue. */
export const QUEUE_VERSION = 1;
export const TASK_QUEUE = process.env.SCOREFLOW_TASK_QUEUE ?? `scoreflow-activation-v${QUEUE_VERSION}`;
/**
 * Real-time workflows (per-visitor cart abandonment, a 30-second offer) poll a queue of their own,
 * served by a worker tuned for many short tasks, so they never wait behind a 10-minute export.
 */
export const REALTIME_TASK_QUEUE = process.env.SCOREFLOW_REALTIME_TASK_QUEUE ?? `scoreflow-realtime-v${QUEUE_VERSION}`;
export const TEMPORAL_NAMESPACE = process.env.TEMPORAL_NAMESPACE ?? 'default';
export function temporalAddress(): string {
  return process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
}
export function webUiUrl(): string {
  return process.env.TEMPORAL_UI_URL ?? 'http://127.0.0.1:8233';
}
export function runLink(workflowId: string, runId?: string): string {
  const base = `${webUiUrl()}/namespaces/${TEMPORAL_NAMESPACE}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${runId}/history` : base;
}
