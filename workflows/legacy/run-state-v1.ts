/**
 * FROZEN with activation-run-v1.ts. The state of one activation run and the rules of its operator messages, as a plain class that
 * unit tests drive without Temporal (the pattern of the safe-message-handlers sample).
 */
import type { z } from 'zod';
import {
  AbortPayload,
  ApprovePayload,
  PausePayload,
  ResumePayload,
  RollbackPayload,
  type GateResultView,
  type RunStatusView,
} from './messages-v1.ts';

export type Decision = { kind: 'approve'; operator: string; reason: string } | { kind: 'abort'; operator: string; reason: string } | { kind: 'rollback'; payload: RollbackPayload };

export class RunState {
  view: RunStatusView;
  pauseRequested = false;
  aborted: { operator: string; reason: string } | null = null;
  /** Set when a failed gate or stage waits for an operator decision. */
  awaitingDecision = false;
  decision: Decision | null = null;
  pendingRollback: RollbackPayload | null = null;
  /** Operator actions not yet written to the audit table (drained by the workflow through an activity). */
  unaudited: { action: string; operator: string; reason: string; payload: unknown; key: string }[] = [];
  private seq = 0;

  constructor(runId: string, pipeline: string, private readonly now: () => string) {
    this.view = {
      runId,
      pipeline,
      stage: 'starting',
      status: 'RUNNING',
      pausedReason: null,
      gate: { status: 'not_run', results: [] },
      counts: {},
      model: null,
      cycles: [],
      exports: [],
      rejectedSignals: [],
      operatorActions: [],
    };
  }

  private parse<S extends z.ZodType>(signal: string, schema: S, payload: unknown): z.infer<S> | undefined {
    const parsed = schema.safeParse(payload);
    if (!parsed.success) {
      const error = parsed.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ');
      this.view.rejectedSignals.push({ signal, error, at: this.now() });
      return undefined;
    }
    return parsed.data;
  }

  private record(action: string, operator: string, reason: string, payload: unknown): void {
    const at = this.now();
    this.view.operatorActions.push({ action, operator, reason, at });
    this.unaudited.push({ action, operator, reason, payload, key: `${this.view.runId}:${action}:${++this.seq}` });
  }

  rejectSignal(signal: string, error: string): void {
    this.view.rejectedSignals.push({ signal, error, at: this.now() });
  }

  onPause(payload: unknown): void {
    const p = this.parse('pause', PausePayload, payload);
    if (p === undefined && payload !== undefined) return;
    if (this.isFinished()) return this.rejectSignal('pause', `run is ${this.view.status}; nothing to pause`);
    this.pauseRequested = true;
    this.record('pause', p?.operator ?? 'unknown', p?.reason ?? 'operator pause', p ?? {});
  }

  onResume(payload: unknown): void {
    const p = this.parse('resume', ResumePayload, payload);
    if (p === undefined && payload !== undefined) return;
    if (this.awaitingDecision) {
      this.decision = { kind: 'approve', operator: p?.operator ?? 'unknown', reason: p?.reason ?? 'resumed by operator' };
      this.record('resume', this.decision.operator, this.decision.reason, p ?? {});
      return;
    }
    if (!this.pauseRequested) return this.rejectSignal('resume', 'run is not paused');
    this.pauseRequested = false;
    this.record('resume', p?.operator ?? 'unknown', p?.reason ?? 'resumed by operator', p ?? {});
  }

  onApprove(payload: unknown): void {
    const p = this.parse('approve', ApprovePayload, payload);
    if (!p) return;
    if (!this.awaitingDecision) return this.rejectSignal('approve', 'no failed gate or stage is waiting for approval');
    this.decision = { kind: 'approve', operator: p.operator, reason: p.reason };
    this.record('approve', p.operator, p.reason, p);
  }

  onAbort(payload: unknown): void {
    const p = this.parse('abort', AbortPayload, payload);
    if (!p) return;
    if (this.isFinished()) return this.rejectSignal('abort', `run is already ${this.view.status}`);
    this.aborted = { operator: p.operator, reason: p.reason };
    if (this.awaitingDecision) this.decision = { kind: 'abort', operator: p.operator, reason: p.reason };
    this.record('abort', p.operator, p.reason, p);
  }

  onRollback(payload: unknown): void {
    const p = this.parse('rollback', RollbackPayload, payload);
    if (!p) return;
    if (this.isFinished()) return this.rejectSignal('rollback', `run is ${this.view.status}; use "scoreflow rollback --pipeline ${this.view.pipeline}"`);
    if (this.awaitingDecision) this.decision = { kind: 'rollback', payload: p };
    else this.pendingRollback = p;
    this.record('rollback', p.operator, p.reason, p);
  }

  isFinished(): boolean {
    return ['COMPLETED', 'ABORTED', 'NO_DATA', 'FAILED'].includes(this.view.status) && !this.acceptingRollback;
  }

  /** True while a completed run stays open for its rollback window. */
  acceptingRollback = false;

  setGate(status: 'pass' | 'warn' | 'fail', results: GateResultView[]): void {
    this.view.gate = { status, results };
  }

  addCounts(counts: Record<string, number>): void {
    for (const [k, v] of Object.entries(counts)) this.view.counts[k] = (this.view.counts[k] ?? 0) + v;
  }

  setCounts(counts: Record<string, number>): void {
    Object.assign(this.view.counts, counts);
  }
}
