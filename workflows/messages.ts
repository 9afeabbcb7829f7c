/**
 * Operator messages of `activationRun`, defined at module scope so clients, the Web UI and tests
 * share them. Every operator action exists twice:
 * - as a signal, for the Temporal Web UI (fire and forget). The handler runs the same checks as the
 *   update validator; a refused signal is listed in `status().rejectedSignals` and never audited.
 * - as an update, for `scoreflow approve|resume|abort|pause|rollback --run ID`. Its synchronous
 *   validator refuses a bad payload or an action with nothing to act on, so the caller gets the
 *   reason at once and the refusal never enters history or the audit table.
 * The rules live in RunState (run-state.ts), a plain class unit tests drive without Temporal.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import { Operator, Reason, RollbackTarget } from '../contracts/run-input.ts';

export { Operator, Reason, RollbackTarget };

/** Who acts and why: every operator action carries both, and both are audited. */
export const OperatorAction = z.object({ operator: Operator, reason: Reason }).strict();
export type OperatorAction = z.infer<typeof OperatorAction>;
export const RollbackPayload = z.object({ to: RollbackTarget, reason: Reason, operator: Operator }).strict();
export type RollbackPayload = z.infer<typeof RollbackPayload>;

export const OPERATOR_ACTIONS = ['pause', 'resume', 'approve', 'abort', 'rollback'] as const;
export type OperatorActionName = (typeof OPERATOR_ACTIONS)[number];

// Signals take `unknown`: the Web UI sends whatever JSON the operator typed; the handler validates.
export const pauseSignal = defineSignal<[unknown?]>('pause');
export const resumeSignal = defineSignal<[unknown?]>('resume');
export const approveSignal = defineSignal<[unknown]>('approve');
export const abortSignal = defineSignal<[unknown]>('abort');
export const rollbackSignal = defineSignal<[unknown]>('rollback');

/** What an accepted update answers. */
export interface OperatorAnswer {
  accepted: true;
  action: OperatorActionName;
  runId: string;
  /** The run's status and stage when the action was accepted. */
  status: RunStatusView['status'];
  stage: string;
  /** What happens next, in words. */
  detail: string;
}

export const pauseUpdate = defineUpdate<OperatorAnswer, [unknown]>('pauseUpdate');
export const resumeUpdate = defineUpdate<OperatorAnswer, [unknown]>('resumeUpdate');
export const approveUpdate = defineUpdate<OperatorAnswer, [unknown]>('approveUpdate');
export const abortUpdate = defineUpdate<OperatorAnswer, [unknown]>('abortUpdate');
export const rollbackUpdate = defineUpdate<OperatorAnswer, [unknown]>('rollbackUpdate');

const WHO = '{"operator":"you","reason":"why, at least 3 characters"}';
export const SIGNAL_DESCRIPTIONS = {
  pause: `Pause the run at the next stage boundary. Payload: ${WHO}.`,
  resume: `Continue a paused run: after a failed stage or export, re-run only what failed; after a failed gate, continue like approve. Payload: ${WHO}.`,
  approve: `Override a failed gate (or retry a failed stage) and continue to publish and export. Payload: ${WHO}.`,
  abort: `End the run now; nothing (more) is exported and the champion does not move. Payload: ${WHO}.`,
  rollback:
    'Roll back to an earlier model version or to the rules fallback: re-score the same feature snapshot as a new cycle; once it passes its gates (or is approved) the champion moves and every destination gets the deltas. Payload: {"to":{"modelVersion":"1.0.0"},"reason":"why","operator":"you"} or {"to":{"policy":"rules"},...}.',
} as const;
export const UPDATE_DESCRIPTIONS = {
  pauseUpdate: `pause, answered: refused at once with the reason when the run cannot pause. Payload: ${WHO}.`,
  resumeUpdate: `resume, answered: refused at once when nothing is paused. Payload: ${WHO}.`,
  approveUpdate: `approve, answered: refused at once when nothing awaits a decision. Payload: ${WHO}.`,
  abortUpdate: `abort, answered: refused at once when the run has ended. Payload: ${WHO}.`,
  rollbackUpdate: 'rollback, answered: refused at once, listing the valid targets, when the target is unknown. Payload: {"to":{"modelVersion":"1.0.0"}|{"policy":"rules"},"reason":"why","operator":"you"}.',
} as const;

export interface GateResultView {
  gate: string;
  subject: string;
  status: 'pass' | 'warn' | 'fail';
  value: number | null;
  detail: string;
}

/** Targets a rollback of this run may name: fetched from the registry once the feature snapshot is known. */
export interface RollbackTargetsView {
  modelName: string;
  featureSetVersion: string;
  versions: string[];
  rules: boolean;
}

export interface DestinationExportView {
  status: 'pending' | 'completed' | 'failed';
  attempts: number;
  rows?: number;
  error?: string;
}

export interface RunStatusView {
  runId: string;
  pipeline: string;
  /** sha256 of the pipeline config this run loaded once and uses throughout. */
  pipelineSha256?: string;
  stage: string;
  status: 'RUNNING' | 'PAUSED' | 'COMPLETED' | 'ABORTED' | 'NO_DATA' | 'FAILED' | 'CANCELLED';
  pausedReason: string | null;
  /** While paused: what the run waits for and which actions it takes. */
  awaiting: { kind: 'gate' | 'stage' | 'export' | 'operator-pause'; since: string; reason: string; actions: OperatorActionName[] } | null;
  gate: { status: 'pass' | 'warn' | 'fail' | 'not_run'; results: GateResultView[]; overriddenBy?: { operator: string; reason: string } };
  counts: Record<string, number>;
  model: { name: string; version: string | null; policy: 'model' | 'rules'; sha256?: string } | null;
  cycles: { runId: string; rollbackOf: string | null; model: string }[];
  exports: { destination: string; cycleRunId: string; rows: number; location?: string }[];
  /** Per destination of the current cycle: completed destinations are never exported again on resume. */
  exportStatus?: Record<string, DestinationExportView>;
  rollbackTargets?: RollbackTargetsView | null;
  rejectedSignals: { signal: string; error: string; at: string }[];
  operatorActions: { action: string; operator: string; reason: string; at: string }[];
}

export const statusQuery = defineQuery<RunStatusView>('status');
export const QUERY_DESCRIPTIONS = { status: 'Stage, counts, gate report, what a paused run awaits, per-destination export status, rollback targets and rejected signals.' } as const;
