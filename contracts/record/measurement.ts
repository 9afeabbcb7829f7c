/** The measurement export object: holdout arm and experiment key. Pure. */
import { z } from 'zod';
import { defineContract } from '../contract.ts';
import { ACTIVATION_OWNER, FIRST_RELEASE_DATE } from './owner.ts';

export const Measurement = z.object({
  holdout_arm: z.enum(['treatment', 'control']),
  experiment_key: z.string().min(1),
});
export type Measurement = z.infer<typeof Measurement>;

export const measurementContract = defineContract({
  name: 'measurement',
  version: '1.0.0',
  owner: ACTIVATION_OWNER,
  description:
    'The holdout arm the entity is assigned to for experiment_key. Control entities are scored and recorded but, by ' +
    'default, not activated, so lift can be measured.',
  freshness: { cadence: 'PT15M', maxAgeHours: 24 },
  changelog: [{ version: '1.0.0', date: FIRST_RELEASE_DATE, changes: ['First release.'] }],
  schema: Measurement,
});
