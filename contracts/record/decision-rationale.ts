/** The decision rationale export object: why the entity got this decision. Pure. */
import { z } from 'zod';
import { defineContract } from '../contract.ts';
import { ACTIVATION_OWNER, FIRST_RELEASE_DATE } from './owner.ts';

export const DecisionRationale = z.object({
  codes: z.array(z.string()),
  top_features: z.array(z.object({ feature: z.string(), contribution: z.number() })).max(10),
});
export type DecisionRationale = z.infer<typeof DecisionRationale>;

export const decisionRationaleContract = defineContract({
  name: 'decision_rationale',
  version: '1.0.0',
  owner: ACTIVATION_OWNER,
  description:
    'Why the entity received its decision: rationale codes (stable, machine-readable) and up to 10 features with their ' +
    'signed contribution to the score, largest absolute contribution first.',
  freshness: { cadence: 'PT15M', maxAgeHours: 24 },
  changelog: [{ version: '1.0.0', date: FIRST_RELEASE_DATE, changes: ['First release.'] }],
  schema: DecisionRationale,
});
