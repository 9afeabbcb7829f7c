/**
 * `scoreflow approve|resume|abort|pause --run ID --reason TEXT`: operator actions with an answer.
 * Each sends the run's Temporal Update (workflows/messages.ts) and prints what the run answered.
 * The update's validator refuses a bad payload or an action with nothing to act on; a refusal never
 * enters the run's history or the audit table, and the command exits non-zero with the run's reason.
 * The signals of the same names remain for the Temporal Web UI.
 */
import type { Command } from 'commander';
import { userInfo } from 'node:os';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, type Client } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import type { z } from 'zod';
import { Duration, durationMs } from '../../contracts/pipeline-config.ts';
import { emit } from '../output.ts';
import { connectClient } from '../../workers/client.ts';
import { configuredOperator } from '../../workers/temporal-connection.ts';
import { TEMPORAL_NAMESPACE, runLink, temporalAddress, webUiUrl } from '../../workers/config.ts';
import { abortUpdate, approveUpdate, OperatorAction, pauseUpdate, resumeUpdate, type OperatorActionName, type OperatorAnswer } from '../../workflows/messages.ts';
import { RunStatusKey } from '../../workflows/search-attributes.ts';
import { UsageError } from './flag-values.ts';

/** A usage error that exits 2. (Older commands' UsageErrors exit 1.) */
export class InputError extends UsageError {}

/** An operator command that did not take effect; `exitCode` is what the CLI exits with. */
export class OperatorCommandError extends Error {
  constructor(
    override readonly name: 'ActionRefused' | 'RunNotFound' | 'RunEnded' | 'NoAnswer',
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}

/** How long a command waits for the run's worker to answer unless --timeout says otherwise. */
export const DEFAULT_ANSWER_TIMEOUT = '30s';

/** `$SCOREFLOW_OPERATOR`, else the OS user name ('' when the OS has none: the run then refuses, asking who acts). */
export function defaultOperator(): string {
  return configuredOperator(process.env, () => userInfo().username);
}

/** A flag's duration in ms, or an InputError naming the flag and the expected form. */
export function durationFlag(flag: string, value: string): number {
  const parsed = Duration.safeParse(value);
  if (!parsed.success) throw new InputError(`--${flag} "${value}": ${parsed.error.issues[0]?.message ?? 'not a duration'}, e.g. --${flag} 30s.`);
  return durationMs(parsed.data);
}

/** The innermost message of an error's cause chain: what the run's validator said, not "Workflow Update failed". */
export function rootMessage(err: unknown): string {
  let message = err instanceof Error ? err.message : String(err);
  const seen = new Set<unknown>();
  let cur: unknown = err;
  while (cur instanceof Error && !seen.has(cur)) {
    seen.add(cur);
    if (cur.message) message = cur.message;
    cur = cur.cause;
  }
  return message;
}

const howToList = () => `list runs with "temporal workflow list --address ${temporalAddress()} --namespace ${TEMPORAL_NAMESPACE}" or in the Web UI (${webUiUrl()}/namespaces/${TEMPORAL_NAMESPACE}/workflows), and pass the workflow id "scoreflow run" printed`;

const NOTHING_TO: Record<OperatorActionName, string> = {
  approve: 'nothing to approve',
  resume: 'nothing to resume',
  pause: 'nothing to pause',
  abort: 'nothing to abort',
  rollback: 'to roll its pipeline back, start a rollback run with "scoreflow rollback --pipeline <file> --to <version|rules> --reason <why>"',
};

/** Why an update found no open run: the id is unknown, or the run has ended (with its RunStatus). */
async function explainNoOpenRun(client: Client, workflowId: string, action: OperatorActionName, original: unknown): Promise<never> {
  let description;
  try {
    description = await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new OperatorCommandError('RunNotFound', `no run "${workflowId}" on Temporal at ${temporalAddress()} (namespace ${TEMPORAL_NAMESPACE}); ${howToList()}.`);
    throw err;
  }
  if (description.status.name !== 'RUNNING') {
    const runStatus = description.typedSearchAttributes.get(RunStatusKey);
    const status = description.status.name === 'COMPLETED' && runStatus ? runStatus : description.status.name;
    throw new OperatorCommandError('RunEnded', `run ${workflowId} has ended (${status}); ${NOTHING_TO[action]}.`);
  }
  throw original;
}

/**
 * Sends `action`'s update to the run and returns its answer. A refusal becomes an
 * OperatorCommandError carrying the validator's reason: exit 2 when the payload itself is invalid
 * (judged by `schema`, the validator's own), 1 when the run has nothing to act on.
 */
export async function sendOperatorUpdate(
  client: Client,
  o: { workflowId: string; action: OperatorActionName; update: UpdateDefinition<OperatorAnswer, [unknown]>; payload: Record<string, unknown>; schema: z.ZodType; timeoutMs: number },
): Promise<OperatorAnswer> {
  const handle = client.workflow.getHandle(o.workflowId);
  try {
    return await client.withDeadline(Date.now() + o.timeoutMs, () => handle.executeUpdate(o.update, { args: [o.payload] }));
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const invalidPayload = !o.schema.safeParse(o.payload).success;
      throw new OperatorCommandError('ActionRefused', `run ${o.workflowId} refused ${o.action}: ${rootMessage(err)}`, invalidPayload ? 2 : 1);
    }
    if (err instanceof WorkflowNotFoundError) return explainNoOpenRun(client, o.workflowId, o.action, err);
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
      throw new OperatorCommandError(
        'NoAnswer',
        `run ${o.workflowId} did not answer ${o.action} within ${o.timeoutMs / 1000}s: no worker is processing it. Start one with "scoreflow worker" (same TEMPORAL_ADDRESS and task queue). ` +
          `The ${o.action} may still be applied when a worker picks the run up; check with "scoreflow status --run ${o.workflowId}" before sending it again.`,
      );
    }
    throw err;
  }
}

/** The human lines of an answer. */
export function formatAnswer(a: OperatorAnswer): string {
  return `${a.action} accepted by run ${a.runId} (it was ${a.status} at stage ${a.stage})\n  ${a.detail}\n  ${runLink(a.runId)}`;
}

const UPDATES = {
  approve: { update: approveUpdate, summary: 'Override the failed gate (or retry the failed stage or export) of a paused run and continue.' },
  resume: { update: resumeUpdate, summary: 'Continue a paused run: lifts an operator pause; after a failure, re-runs only what failed.' },
  abort: { update: abortUpdate, summary: 'End a run: nothing (more) is exported and the champion does not move.' },
  pause: { update: pauseUpdate, summary: 'Pause a running run at its next stage boundary (resume continues it).' },
} as const satisfies Partial<Record<OperatorActionName, { update: UpdateDefinition<OperatorAnswer, [unknown]>; summary: string }>>;

export interface OperateFlags {
  run?: string;
  reason?: string;
  operator?: string;
  timeout: string;
  json?: boolean;
}

export async function operate(action: keyof typeof UPDATES, o: OperateFlags): Promise<OperatorAnswer> {
  if (!o.run?.trim()) throw new InputError(`--run is required: the workflow id of the run to ${action}; ${howToList()}.`);
  if (o.reason === undefined) throw new InputError(`--reason is required: say why you ${action} run ${o.run} (at least 3 characters); it is audited.`);
  const timeoutMs = durationFlag('timeout', o.timeout);
  const payload = { operator: o.operator ?? defaultOperator(), reason: o.reason };
  const { client, close } = await connectClient();
  try {
    return await sendOperatorUpdate(client, { workflowId: o.run, action, update: UPDATES[action].update, payload, schema: OperatorAction, timeoutMs });
  } finally {
    await close();
  }
}

export function registerOperateCommands(program: Command): void {
  for (const action of Object.keys(UPDATES) as (keyof typeof UPDATES)[]) {
    program
      .command(action)
      .description(`${UPDATES[action].summary} Answered by the run at once; a refusal exits non-zero with the reason.`)
      .option('--run <workflowId>', 'the run (workflow id, as "scoreflow run" printed it); required')
      .option('--reason <text>', 'why, at least 3 characters (audited); required')
      .option('--operator <name>', 'who acts (audited); default $SCOREFLOW_OPERATOR, else your OS user name')
      .option('--timeout <duration>', "how long to wait for the run's worker to answer", DEFAULT_ANSWER_TIMEOUT)
      .option('--json', 'print one JSON object')
      .addHelpText(
        'after',
        `\nExample:\n  $ scoreflow ${action} --run demo.run.2026-05-01T10-00-00-000Z --reason "${EXAMPLE_REASON[action]}"\n` +
          `\nExit codes: 0 accepted, 1 refused by the run (or no such open run), 2 bad flags or payload.\n`,
      )
      .action(async (o: OperateFlags) => {
        const answer = await operate(action, o);
        emit(o, { ok: true, ...answer, link: runLink(answer.runId) }, () => formatAnswer(answer));
      });
  }
}

const EXAMPLE_REASON: Record<keyof typeof UPDATES, string> = {
  approve: 'promo week: the score shift is expected',
  resume: 'consumer rotated its key',
  abort: 'tracking bug inflated the cart events',
  pause: 'checking the feed with the analytics team',
};
