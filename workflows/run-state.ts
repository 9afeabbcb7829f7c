/**
 * The state of one activation run and the rules of its operator messages, as a plain class that
 * unit tests drive without Temporal (the pattern of the safe-message-handlers sample).
 *
 * Each action goes through `check` (pure: payload schema plus "is there anything to act on") and
 * then `apply`. Update validators call `check` and throw its reason; signal handlers call `check` and
 * list a refusal in `rejectedSignals`. Only applied actions are audited.
 */
import type { z } from 'zod';
import {
  OperatorAction,
  RollbackPayload,
  type GateResultView,
  type OperatorActionName,
  type OperatorAnswer,
  type RollbackTargetsView,
  type RunStatusView,
} from './messages.ts';

/** `continue`: approve or resume; re-runs only what failed, or overrides a failed gate. */
export type Decision = { kind: 'continue'; action: 'approve' | 'resume'; operator: string; reason: string } | { kind: 'abort'; operator: string; reason: string } | { kind: 'rollback'; payload: RollbackPayload };

export type Checked = { ok: true; value: OperatorAction | RollbackPayload } | { ok: false; error: string };

type Awaiting = NonNullable<RunStatusView['awaiting']>;

/**
 * Which history event carried an operator action, so the audit activity can read the sender's
 * Temporal client identity from it (workflow code cannot see identities): the n-th
 * WorkflowExecutionSignaled of that signal name in this run, or the update accepted with that id.
 */
export type AuditOrigin = { kind: 'signal'; name: string; ordinal: number } | { kind: 'update'; updateId: string };

export interface UnauditedAction {
  action: string;
  operator: string;
  reason: string;
  payload: unknown;
  key: string;
  via?: AuditOrigin;
}

export class RunState {
  view: RunStatusView;
  pauseRequested = false;
  aborted: { operator: string; reason: string } | null = null;
  decision: Decision | null = null;
  pendingRollback: RollbackPayload | null = null;
  /** True while a completed cycle stays open for its rollback window. */
  acceptingRollback = false;
  /** Operator actions not yet written to the audit table (drained by the workflow through an activity). */
  unaudited: UnauditedAction[] = [];
  private seq = 0;

  constructor(runId: string, pipeline: string, private readonly now: () => string) {
    this.view = {
      runId,
      pipeline,
      stage: 'starting',
      status: 'RUNNING',
      pausedReason: null,
      awaiting: null,
      gate: { status: 'not_run', results: [] },
      counts: {},
      model: null,
      cycles: [],
      exports: [],
      exportStatus: {},
      rollbackTargets: null,
      rejectedSignals: [],
      operatorActions: [],
    };
  }

  /** A failed gate, stage or export waits for a decision (approve/resume, abort, rollback). */
  get awaitingDecision(): boolean {
    return this.view.awaiting !== null && this.view.awaiting.kind !== 'operator-pause';
  }

  awaitDecision(kind: Exclude<Awaiting['kind'], 'operator-pause'>, reason: string): void {
    this.decision = null;
    this.view.awaiting = { kind, since: this.now(), reason, actions: ['approve', 'resume', 'abort', 'rollback'] };
    this.view.pausedReason = reason;
    this.view.status = 'PAUSED';
  }

  /** The run stopped at a stage boundary because an operator asked it to pause. */
  awaitResume(): void {
    this.view.awaiting = { kind: 'operator-pause', since: this.now(), reason: 'paused by operator', actions: ['resume', 'abort'] };
    this.view.pausedReason = 'paused by operator';
    this.view.status = 'PAUSED';
  }

  endAwait(): void {
    this.view.awaiting = null;
    this.view.pausedReason = null;
  }

  isFinished(): boolean {
    return ['COMPLETED', 'ABORTED', 'NO_DATA', 'FAILED', 'CANCELLED'].includes(this.view.status) && !this.acceptingRollback;
  }

  private parse<S extends z.ZodType>(schema: S, payload: unknown): { ok: true; value: z.infer<S> } | { ok: false; error: string } {
    const parsed = schema.safeParse(payload ?? {});
    if (parsed.success) return { ok: true, value: parsed.data };
    return { ok: false, error: `invalid payload: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ')}` };
  }

  private where(): string {
    return `run ${this.view.runId} is ${this.view.status} at stage ${this.view.stage}`;
  }

  /** Whether `action` with `payload` would be applied now; the reason when not. Pure. */
  check(action: OperatorActionName, payload: unknown): Checked {
    const parsed = action === 'rollback' ? this.parse(RollbackPayload, payload) : this.parse(OperatorAction, payload);
    if (!parsed.ok) return parsed;
    const finished = this.isFinished();
    switch (action) {
      case 'pause':
        if (finished || this.acceptingRollback) return { ok: false, error: `${this.where()}; nothing to pause` };
        if (this.pauseRequested || this.view.awaiting) return { ok: false, error: `${this.where()}; it is already paused (${this.view.pausedReason ?? 'pause requested'})` };
        return parsed;
      case 'resume':
        if (!this.view.awaiting && !this.pauseRequested) return { ok: false, error: `${this.where()}; nothing is paused, so there is nothing to resume` };
        return parsed;
      case 'approve':
        if (!this.awaitingDecision) {
          return { ok: false, error: `${this.where()}; no failed gate, stage or export is waiting for approval${this.pauseRequested || this.view.awaiting ? ' (an operator pause is lifted with resume)' : ''}` };
        }
        return parsed;
      case 'abort':
        if (finished) return { ok: false, error: `${this.where()}; it has already ended` };
        if (this.aborted) return { ok: false, error: `${this.where()}; it is already being aborted` };
        return parsed;
      case 'rollback': {
        if (finished) return { ok: false, error: `${this.where()}; start a rollback run with "scoreflow rollback --pipeline ${this.view.pipeline}"` };
        if (this.pendingRollback || this.decision?.kind === 'rollback') return { ok: false, error: `${this.where()}; a rollback is already pending` };
        const targets = this.view.rollbackTargets;
        if (!targets) return { ok: false, error: `${this.where()}; it has no feature snapshot yet, so nothing can be re-scored. Send the rollback once it is scoring or paused` };
        const to = (parsed.value as RollbackPayload).to;
        if ('policy' in to) {
          if (!targets.rules) return { ok: false, error: `no rules policy fits feature set ${targets.featureSetVersion}; valid targets: ${validTargets(targets)}` };
        } else if (!targets.versions.includes(to.modelVersion)) {
          return { ok: false, error: `${targets.modelName} has no version ${to.modelVersion} that can score feature set ${targets.featureSetVersion}; valid targets: ${validTargets(targets)}` };
        }
        return parsed;
      }
    }
  }

  /** Applies a checked action; returns the answer an update gives. */
  apply(action: OperatorActionName, value: OperatorAction | RollbackPayload, via?: AuditOrigin): OperatorAnswer {
    const { operator, reason } = value;
    let detail: string;
    switch (action) {
      case 'pause':
        this.pauseRequested = true;
        detail = 'the run pauses at the next stage boundary; resume continues it';
        break;
      case 'resume':
        if (this.awaitingDecision) {
          this.decision = { kind: 'continue', action: 'resume', operator, reason };
          detail = this.view.awaiting!.kind === 'gate' ? 'the failed gate is overridden; the run publishes and exports' : `only what failed is run again (${this.view.awaiting!.kind})`;
        } else {
          this.pauseRequested = false;
          detail = 'the run continues';
        }
        break;
      case 'approve':
        this.decision = { kind: 'continue', action: 'approve', operator, reason };
        detail = this.view.awaiting!.kind === 'gate' ? 'the failed gate is overridden; the run publishes and exports' : `only what failed is run again (${this.view.awaiting!.kind})`;
        break;
      case 'abort':
        this.aborted = { operator, reason };
        if (this.awaitingDecision) this.decision = { kind: 'abort', operator, reason };
        detail = this.acceptingRollback ? 'the rollback window closes; the delivered cycle stands' : 'the run ends ABORTED at the next stage boundary; nothing more is exported';
        break;
      case 'rollback': {
        const payload = value as RollbackPayload;
        if (this.awaitingDecision) this.decision = { kind: 'rollback', payload };
        else this.pendingRollback = payload;
        detail = `a rollback cycle re-scores the snapshot with ${'policy' in payload.to ? 'the rules policy' : payload.to.modelVersion}; the champion moves once it passes its gates or is approved`;
        break;
      }
    }
    this.record(action, operator, reason, value, via);
    return { accepted: true, action, runId: this.view.runId, status: this.view.status, stage: this.view.stage, detail };
  }

  /** A signal: checked, then applied or listed as rejected. */
  onSignal(action: OperatorActionName, payload: unknown, via?: AuditOrigin): void {
    const c = this.check(action, payload);
    if (c.ok) this.apply(action, c.value, via);
    else this.rejectSignal(action, c.error);
  }

  /** An update validator: throws the reason when the action would be refused. */
  validate(action: OperatorActionName, payload: unknown): void {
    const c = this.check(action, payload);
    if (!c.ok) throw new Error(c.error);
  }

  /** An update handler, after its validator passed. */
  onUpdate(action: OperatorActionName, payload: unknown, via?: AuditOrigin): OperatorAnswer {
    const c = this.check(action, payload);
    if (!c.ok) throw new Error(c.error); // the state changed between validator and handler
    return this.apply(action, c.value, via);
  }

  rejectSignal(signal: string, error: string): void {
    this.view.rejectedSignals.push({ signal, error, at: this.now() });
  }

  private record(action: string, operator: string, reason: string, payload: unknown, via?: AuditOrigin): void {
    this.view.operatorActions.push({ action, operator, reason, at: this.now() });
    this.unaudited.push({ action, operator, reason, payload, key: `${this.view.runId}:${action}:${++this.seq}`, ...(via ? { via } : {}) });
  }

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

function validTargets(t: RollbackTargetsView): string {
  const all = [...t.versions, ...(t.rules ? ['rules'] : [])];
  return all.length ? all.join(', ') : 'none';
}
