/**
 * The sender of an operator action, read back from the run's history: workflow code cannot see who
 * sent a signal or update, but Temporal stores the client's identity on the event that carried it
 * (WorkflowExecutionSignaled.identity, WorkflowExecutionUpdateAccepted.acceptedRequest.meta.identity).
 * The workflow tags each action with its origin (run-state.ts AuditOrigin); this finds the event.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { AuditOrigin } from '../../workflows/run-state.ts';
import { operatorOfIdentity } from '../../workers/temporal-connection.ts';

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

export interface ResolvedIdentity {
  /** The client identity on the event; null when the event is not (yet) in the history. */
  identity: string | null;
  /** Whether a Scoreflow CLI identity names another operator than the payload; null when not comparable. */
  mismatch: boolean | null;
}

/** The identity of the event an origin points at, compared with the operator the payload named. */
export function identityFromHistory(events: readonly HistoryEvent[], via: AuditOrigin, operator: string): ResolvedIdentity {
  let identity: string | null = null;
  if (via.kind === 'signal') {
    const signaled = events.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === via.name);
    identity = signaled[via.ordinal - 1]?.workflowExecutionSignaledEventAttributes?.identity ?? null;
  } else {
    const accepted = events.find((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.meta?.updateId === via.updateId);
    identity = accepted?.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.meta?.identity ?? null;
  }
  if (identity === '') identity = null;
  const named = identity === null ? null : operatorOfIdentity(identity);
  return { identity, mismatch: named === null ? null : named !== operator };
}
