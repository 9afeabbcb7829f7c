/**
 * Bad-input corpus: operator updates and signals sent to a paused activation run. Updates are refused
 * by their synchronous validator (the caller gets the reason, nothing enters history or the audit);
 * a refused signal is listed in status().rejectedSignals. Each case names the field or the state
 * that is wrong.
 */
export type OperatorMessage = 'pause' | 'resume' | 'approve' | 'abort' | 'rollback';

export interface OperatorCase {
  name: string;
  kind: 'update' | 'signal';
  action: OperatorMessage;
  payload: unknown;
  /** Pattern on the refusal (update) or the rejectedSignals entry (signal). */
  reason: RegExp;
}

const who = { operator: 'oncall-corpus', reason: 'corpus case, must be refused' };

const update = (name: string, action: OperatorMessage, payload: unknown, reason: RegExp): OperatorCase => ({ name: `update ${action}: ${name}`, kind: 'update', action, payload, reason });
const signal = (name: string, action: OperatorMessage, payload: unknown, reason: RegExp): OperatorCase => ({ name: `signal ${action}: ${name}`, kind: 'signal', action, payload, reason });

export const OPERATOR_CASES: OperatorCase[] = [
  update('no payload', 'approve', undefined, /invalid payload: .*operator: .*required|invalid payload: .*reason/),
  update('empty object', 'approve', {}, /invalid payload: operator: .*; reason: /),
  update('reason too short', 'approve', { operator: 'ana', reason: 'ok' }, /invalid payload: reason: reason is required: say why \(at least 3 characters\)/),
  update('reason only spaces', 'resume', { operator: 'ana', reason: '      ' }, /invalid payload: reason: reason is required/),
  update('operator empty', 'abort', { operator: '', reason: 'a fine reason' }, /invalid payload: operator: operator is required: who is acting/),
  update('reason a number', 'abort', { operator: 'ana', reason: 42 }, /invalid payload: reason: .*string/i),
  update('an unknown key', 'approve', { ...who, force: true }, /invalid payload: .*(force|[Uu]nrecognized)/),
  update('payload is a string', 'resume', 'please resume', /invalid payload: \(payload\): .*object/i),
  update('pause a run that is already paused', 'pause', who, /is PAUSED at stage discover; it is already paused/),
  update('rollback without a target', 'rollback', who, /invalid payload: to: /),
  update('rollback to an empty model version', 'rollback', { ...who, to: { modelVersion: '' } }, /invalid payload: to(\.modelVersion)?: .*(modelVersion is empty|Invalid)/),
  update('rollback to an unknown policy', 'rollback', { ...who, to: { policy: 'magic' } }, /invalid payload: to/),
  update('rollback with both a version and a policy', 'rollback', { ...who, to: { modelVersion: '1.0.0', policy: 'rules' } }, /invalid payload: to/),
  update('rollback without a reason', 'rollback', { operator: 'ana', to: { policy: 'rules' } }, /invalid payload: reason: /),
  signal('no payload', 'approve', undefined, /invalid payload: /),
  signal('reason too short', 'approve', { operator: 'ana', reason: 'no' }, /invalid payload: reason: reason is required/),
  signal('operator missing', 'abort', { reason: 'a fine reason' }, /invalid payload: operator: /),
  signal('an unknown key', 'resume', { ...who, extra: 1 }, /invalid payload: .*(extra|[Uu]nrecognized)/),
  signal('pause when already paused', 'pause', who, /already paused/),
  signal('rollback to an empty version', 'rollback', { ...who, to: { modelVersion: '  ' } }, /invalid payload: to/),
];
