/** The metadata export object: which model, features and policy produced a record, and until when it holds. Pure. */
import { z } from 'zod';
import { defineContract } from '../contract.ts';
import { ACTIVATION_OWNER, FIRST_RELEASE_DATE } from './owner.ts';

export const RecordMetadata = z.object({
  pipeline: z.string().min(1),
  run_id: z.string().min(1),
  model_id: z.string().min(1),
  model_version: z.string().min(1),
  model_digest: z.string().regex(/^[0-9a-f]{64}$/),
  feature_snapshot: z.string().min(1),
  feature_set_version: z.string().min(1),
  scored_at: z.iso.datetime(),
  expires_at: z.iso.datetime(),
  confidence: z.number().min(0).max(1),
  decision_policy: z.enum(['model', 'rules']),
  contract_version: z.string().regex(/^\d+\.\d+\.\d+$/),
});
export type RecordMetadata = z.infer<typeof RecordMetadata>;

export const metadataContract = defineContract({
  name: 'metadata',
  version: '1.0.0',
  owner: ACTIVATION_OWNER,
  description:
    'Lineage and validity of one record: pipeline and run, model id/version/sha256 digest, feature snapshot and feature ' +
    'set version, scored_at and expires_at (scored_at + the contract\'s maxAgeHours, UTC), confidence in [0, 1], the ' +
    'decision policy (model, or the rules fallback) and the contract version the record was published under.',
  freshness: { cadence: 'PT15M', maxAgeHours: 24 },
  changelog: [{ version: '1.0.0', date: FIRST_RELEASE_DATE, changes: ['First release.'] }],
  semantics: { fields: { expires_at: 'After expires_at a destination must remove the record; nothing stale stays activated.' } },
  schema: RecordMetadata,
});
