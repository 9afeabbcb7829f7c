/** The top-N recommendations export object: items with scores and rationale codes, valid in a window. Pure. */
import { z } from 'zod';
import { defineContract } from '../contract.ts';
import { ACTIVATION_OWNER, FIRST_RELEASE_DATE } from './owner.ts';

export const Recommendation = z.object({
  item_id: z.string().min(1),
  kind: z.enum(['category', 'product']),
  score: z.number().min(0).max(1),
  rationale_codes: z.array(z.string()),
});
export type Recommendation = z.infer<typeof Recommendation>;

export const Recommendations = z.object({
  items: z.array(Recommendation).max(10),
  valid_from: z.iso.datetime(),
  valid_until: z.iso.datetime(),
});
export type Recommendations = z.infer<typeof Recommendations>;

export const recommendationsContract = defineContract({
  name: 'recommendations',
  version: '1.0.0',
  owner: ACTIVATION_OWNER,
  description:
    'Top-N recommendations (at most 10), best first. Each item is a category or product with an affinity score in [0, 1] ' +
    'and the rationale codes that produced it. The list is valid from valid_from until valid_until (UTC); after that a ' +
    'destination must not show it.',
  freshness: { cadence: 'PT15M', maxAgeHours: 24 },
  changelog: [{ version: '1.0.0', date: FIRST_RELEASE_DATE, changes: ['First release.'] }],
  semantics: { fields: { 'items[].score': 'Affinity in [0, 1]; comparable within one list only.' } },
  schema: Recommendations,
});
