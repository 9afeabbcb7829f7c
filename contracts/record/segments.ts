/** The segments export object: which segments an entity is in, each with the rule that assigned it. Pure. */
import { z } from 'zod';
import { defineContract } from '../contract.ts';
import { ACTIVATION_OWNER, FIRST_RELEASE_DATE } from './owner.ts';

export const Segment = z.object({
  id: z.string().min(1),
  rule: z.string().min(1).describe('The declared rule that assigned the segment, e.g. "score >= 0.5".'),
});
export type Segment = z.infer<typeof Segment>;

export const Segments = z.array(Segment).min(1);

export const segmentsContract = defineContract({
  name: 'segments',
  version: '1.0.0',
  owner: ACTIVATION_OWNER,
  description:
    'The segments an entity belongs to in one scoring cycle, at least one. Each carries its id and the declared rule ' +
    'that assigned it (e.g. "score >= 0.5"), taken from the pipeline configuration; the highest threshold the score reaches wins.',
  freshness: { cadence: 'PT15M', maxAgeHours: 24 },
  changelog: [{ version: '1.0.0', date: FIRST_RELEASE_DATE, changes: ['First release.'] }],
  semantics: { fields: { '[].rule': 'The assigning rule, evaluated on score.value.' } },
  schema: Segments,
});
