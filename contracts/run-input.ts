/**
 * The input of one activationRun, validated twice: by the client before it starts a workflow (so a
 * bad duration is refused at the terminal) and by the workflow at its first task (so anything that
 * slips through, e.g. a schedule created by an older client, ends the run with a non-retryable
 * failure that names the field instead of failing its workflow task forever). Pure: no I/O.
 */
import { z } from 'zod';
import { Duration } from './pipeline-config.ts';

export const Operator = z.string().trim().min(1, 'operator is required: who is acting');
export const Reason = z.string().trim().min(3, 'reason is required: say why (at least 3 characters)');

/** A model version of the pipeline's model, or the rules fallback policy. */
export const RollbackTarget = z.union([
  z.object({ modelVersion: z.string().trim().min(1, 'modelVersion is empty') }).strict(),
  z.object({ policy: z.literal('rules') }).strict(),
]);
export type RollbackTarget = z.infer<typeof RollbackTarget>;

export const ActivationRunInput = z
  .object({
    /** Pipeline config file (YAML or JSON). Read once, by the run's first activity, and snapshotted. */
    pipelinePath: z.string().min(1, 'pipelinePath is empty: name a pipeline file'),
    /** Ingest complete deliveries from this folder instead of the pipeline's inbox. */
    feedDir: z.string().min(1).optional(),
    /** Score this run with a given version or the rules policy instead of the pipeline's champion. */
    model: RollbackTarget.optional(),
    /** Roll back the named earlier run: re-score its feature snapshot with `model`, publish, and send deltas. */
    rollbackOf: z.string().min(1).optional(),
    /** Operator and reason of a rollback run started from the terminal (`scoreflow rollback`); audited. */
    rollbackReason: z.object({ operator: Operator, reason: Reason }).strict().optional(),
    /** How long a run paused for an operator waits before it ends as ABORTED by `system` ("0s" or absent = indefinitely). */
    pauseTimeout: Duration.optional(),
    /** How long a completed run stays open for a `rollback` after exporting. Default "0s". */
    rollbackWindow: Duration.optional(),
    /** Start measureOutcomes for this run with this attribution window (e.g. "7d"; tests use "200ms"). */
    attributionWindow: Duration.optional(),
    /** Extra inbox for outcome deliveries (defaults to the feed folder). */
    outcomeFeedDir: z.string().min(1).optional(),
    /** Data-time outcome window in days for measureOutcomes (default: the score's horizon). */
    outcomeWindowDays: z.number().positive().optional(),
    /** How long one destination's export keeps retrying (Temporal retry policy, with backoff) before the run pauses. Default "15m". */
    exportRetryFor: Duration.optional(),
  })
  .strict()
  .refine((i) => !i.rollbackReason || (i.rollbackOf && i.model), { message: 'rollbackReason goes with rollbackOf and model', path: ['rollbackReason'] });
export type ActivationRunInput = z.infer<typeof ActivationRunInput>;

/** One line per problem: `field: what is wrong`. */
export function describeRunInputIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ');
}
