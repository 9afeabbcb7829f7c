/**
 * FROZEN with activation-run-v1.ts. Operator messages of `activationRun` v1, defined at module scope so clients, the Web UI and tests
 * share them. Payloads are validated with zod inside the handlers; an invalid payload is recorded
 * (visible in `status` and in the logs) and otherwise ignored, so it never crashes or wedges a run.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import { z } from 'zod';

export const Operator = z.string().trim().min(1, 'operator is required: who is acting');
export const Reason = z.string().trim().min(3, 'reason is required: say why (at least 3 characters)');

export const PausePayload = z.object({ operator: Operator.optional(), reason: z.string().optional() }).strict().optional();
export const ResumePayload = z.object({ operator: Operator.optional(), reason: z.string().optional() }).strict().optional();
export const ApprovePayload = z.object({ operator: Operator, reason: Reason }).strict();
export const AbortPayload = z.object({ operator: Operator, reason: Reason }).strict();
export const RollbackTarget = z.union([
  z.object({ modelVersion: z.string().trim().min(1) }).strict(),
  z.object({ policy: z.literal('rules') }).strict(),
]);
export const RollbackPayload = z.object({ to: RollbackTarget, reason: Reason, operator: Operator }).strict();
export type RollbackPayload = z.infer<typeof RollbackPayload>;
export type RollbackTarget = z.infer<typeof RollbackTarget>;

// Signals take `unknown`: the Web UI sends whatever JSON the operator typed; the handler validates.
export const pauseSignal = defineSignal<[unknown?]>('pause');
export const resumeSignal = defineSignal<[unknown?]>('resume');
export const approveSignal = defineSignal<[unknown]>('approve');
export const abortSignal = defineSignal<[unknown]>('abort');
export const rollbackSignal = defineSignal<[unknown]>('rollback');

export const SIGNAL_DESCRIPTIONS = {
  pause: 'Pause the run at the next stage boundary. Payload (optional): {"operator":"you","reason":"why"}.',
  resume: 'Resume a paused run; after a failed gate this overrides the gate like approve. Payload (optional): {"operator":"you","reason":"why"}.',
  approve: 'Override a failed gate and continue to publish and export. Payload: {"operator":"you","reason":"why"}.',
  abort: 'End the run now; nothing (more) is exported. Payload: {"operator":"you","reason":"why"}.',
  rollback:
    'Roll back to an earlier model version or to the rules fallback: re-score the same feature snapshot, publish it as a new cycle and send every destination the deltas. Payload: {"to":{"modelVersion":"1.0.0"},"reason":"why","operator":"you"} or {"to":{"policy":"rules"},...}.',
} as const;

export interface GateResultView {
  gate: string;
  subject: string;
  status: 'pass' | 'warn' | 'fail';
  value: number | null;
  detail: string;
}

export interface RunStatusView {
  runId: string;
  pipeline: string;
  stage: string;
  status: 'RUNNING' | 'PAUSED' | 'COMPLETED' | 'ABORTED' | 'NO_DATA' | 'FAILED';
  pausedReason: string | null;
  gate: { status: 'pass' | 'warn' | 'fail' | 'not_run'; results: GateResultView[]; overriddenBy?: { operator: string; reason: string } };
  counts: Record<string, number>;
  model: { name: string; version: string | null; policy: 'model' | 'rules'; sha256?: string } | null;
  cycles: { runId: string; rollbackOf: string | null; model: string }[];
  exports: { destination: string; cycleRunId: string; rows: number; location?: string }[];
  rejectedSignals: { signal: string; error: string; at: string }[];
  operatorActions: { action: string; operator: string; reason: string; at: string }[];
}

export const statusQuery = defineQuery<RunStatusView>('status');
export const QUERY_DESCRIPTIONS = { status: 'Stage, counts, gate report, paused reason, cycles, exports and rejected signals of this run.' } as const;

