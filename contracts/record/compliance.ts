/** The compliance export object: consent per purpose and channel eligibility. Pure. */
import { z } from 'zod';
import { defineContract } from '../contract.ts';
import { ACTIVATION_OWNER, FIRST_RELEASE_DATE } from './owner.ts';

export const ConsentPurpose = z.enum(['analytics', 'personalization', 'advertising', 'email']);
export type ConsentPurpose = z.infer<typeof ConsentPurpose>;
export const Channel = z.enum(['onsite', 'paid_media', 'email', 'backend']);
export type Channel = z.infer<typeof Channel>;

export const Compliance = z.object({
  consent: z.record(ConsentPurpose, z.boolean()),
  consent_source: z.enum(['feed_column', 'cmp_file', 'none']),
  channels: z.record(Channel, z.boolean()),
});
export type Compliance = z.infer<typeof Compliance>;

export const complianceContract = defineContract({
  name: 'compliance',
  version: '1.0.0',
  owner: ACTIVATION_OWNER,
  description:
    'Consent state for every purpose (analytics, personalization, advertising, email; true only when granted) with ' +
    'where it came from, and per-channel eligibility derived from consent (onsite needs personalization, paid_media ' +
    'needs advertising, email needs email). A destination never sends a record whose purpose is not consented.',
  freshness: { cadence: 'PT15M', maxAgeHours: 24 },
  changelog: [{ version: '1.0.0', date: FIRST_RELEASE_DATE, changes: ['First release.'] }],
  schema: Compliance,
});
