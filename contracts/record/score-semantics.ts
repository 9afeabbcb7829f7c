/** What a score value means: a probability of an outcome over a horizon, a percentile, or a relative 0–100 score. Pure. */
import { z } from 'zod';

export const ScoreSemantics = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('probability'),
    outcome: z.string().min(1).describe('The event whose chance is scored, e.g. "purchase".'),
    horizon_days: z.number().int().positive().describe('The window the probability refers to.'),
  }),
  z.object({ kind: z.literal('percentile'), population: z.string().min(1) }),
  z.object({ kind: z.literal('relative_score_0_100') }),
]);
export type ScoreSemantics = z.infer<typeof ScoreSemantics>;
