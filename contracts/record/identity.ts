/** The identity export object: the visitor key and the identifiers destinations need. Pure. */
import { z } from 'zod';
import { defineContract } from '../contract.ts';
import { ACTIVATION_OWNER, FIRST_RELEASE_DATE } from './owner.ts';

/** A visitor key: post_visid_high and post_visid_low, two unsigned 64-bit decimals, joined by '_'. */
export const EntityId = z.string().regex(/^\d{1,20}_\d{1,20}$/, 'entity id must be "<visid_high>_<visid_low>" (two unsigned 64-bit decimals)');

export const Identity = z.object({
  visitor_id: EntityId,
  customer_id: z.string().min(1).nullable(),
});
export type Identity = z.infer<typeof Identity>;

export const identityContract = defineContract({
  name: 'identity',
  version: '1.0.0',
  owner: ACTIVATION_OWNER,
  description:
    'Who the record is about: visitor_id is the Adobe visitor key "<post_visid_high>_<post_visid_low>"; customer_id is ' +
    'the CRM id when known, else null. Destinations that need hashed identifiers hash at mapping time.',
  freshness: { cadence: 'PT15M', maxAgeHours: 24 },
  changelog: [{ version: '1.0.0', date: FIRST_RELEASE_DATE, changes: ['First release.'] }],
  schema: Identity,
});
