/**
 * The scalar score export object and its contract. The contract pins the meaning of `value`
 * (probability of purchase within 7 days for 1.x) and the Target clear-sentinel convention. Pure.
 */
import { z } from 'zod';
import { defineContract, type DeclaredScoreSemantics } from '../contract.ts';
import { ScoreSemantics } from './score-semantics.ts';
import { ACTIVATION_OWNER, FIRST_RELEASE_DATE } from './owner.ts';

/** Adobe Target never clears a profile attribute on an empty value; a removal sends this instead. */
export const TARGET_CLEAR_SENTINEL = '__sf_cleared__';

export const Score = z.object({
  value: z.number().finite(),
  semantics: ScoreSemantics,
  range: z.tuple([z.number(), z.number()]),
  calibration: z.enum(['calibrated', 'uncalibrated']).describe('Whether the value was calibrated against observed outcomes.'),
});
export type Score = z.infer<typeof Score>;

/** The score semantics contract version 1.x promises, relative to where the score object sits. */
export function declaredScoreSemantics(path: string): DeclaredScoreSemantics {
  return {
    path,
    meaning: { kind: 'probability', outcome: 'purchase', horizon_days: 7 },
    range: [0, 1],
    calibration: 'any',
    clear_sentinel: {
      value: TARGET_CLEAR_SENTINEL,
      rule: `An empty value never clears a Target attribute; removals send the sentinel ${TARGET_CLEAR_SENTINEL}.`,
    },
  };
}

export const scoreContract = defineContract({
  name: 'score',
  version: '1.0.0',
  owner: ACTIVATION_OWNER,
  description:
    'The scalar score of one entity. value is the probability that the entity purchases within 7 days ' +
    '(semantics.kind = probability, outcome = purchase, horizon_days = 7), inside range [0, 1]. semantics repeats the ' +
    'meaning on every record; calibration says whether value was calibrated against observed outcomes. ' +
    `An empty value never clears a Target attribute; removals send the sentinel ${TARGET_CLEAR_SENTINEL}.`,
  freshness: { cadence: 'PT15M', maxAgeHours: 24 },
  changelog: [{ version: '1.0.0', date: FIRST_RELEASE_DATE, changes: ['First release.'] }],
  semantics: {
    score: declaredScoreSemantics(''),
    fields: { value: 'Probability of the declared outcome within horizon_days; compare against thresholds as a probability.' },
  },
  schema: Score,
});
