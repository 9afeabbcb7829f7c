/** The eligibility flags export object. Pure. */
import { z } from 'zod';
import { defineContract } from '../contract.ts';
import { ACTIVATION_OWNER, FIRST_RELEASE_DATE } from './owner.ts';

export const EligibilityFlags = z.object({
  activation_eligible: z.boolean(),
  reasons: z.array(z.string()).describe('Codes that made the entity ineligible; empty when eligible.'),
});
export type EligibilityFlags = z.infer<typeof EligibilityFlags>;

export const eligibilityContract = defineContract({
  name: 'eligibility',
  version: '1.0.0',
  owner: ACTIVATION_OWNER,
  description:
    'Whether the entity may be activated at all this cycle. activation_eligible is false when any reason applies ' +
    '(e.g. below_min_score, no_consent); reasons lists those codes and is empty when eligible.',
  freshness: { cadence: 'PT15M', maxAgeHours: 24 },
  changelog: [{ version: '1.0.0', date: FIRST_RELEASE_DATE, changes: ['First release.'] }],
  schema: EligibilityFlags,
});
