/** Consent per purpose for one entity, from the pipeline's configured source. Absent means not granted. */
import type { ConsentPurpose } from '../../contracts/canonical-record.ts';
import type { PipelineConfig } from '../../contracts/pipeline-config.ts';
import { parseConsent } from './decide.ts';

export const PURPOSES: ConsentPurpose[] = ['analytics', 'personalization', 'advertising', 'email'];

/** SQL expression giving the CMP consent of `entityColumn` as a jsonb object purpose → granted. */
export const cmpConsentSql = (entityColumn: string) =>
  `(SELECT jsonb_object_agg(c.purpose, c.granted) FROM consent_record c WHERE c.entity_id = ${entityColumn})`;

export function consentFor(cfg: PipelineConfig, feedValue: string | null, cmp: Record<string, boolean> | null): Record<ConsentPurpose, boolean> {
  if (cfg.consent.source === 'feed_column') return parseConsent(feedValue, cfg.consent.separator);
  return Object.fromEntries(PURPOSES.map((p) => [p, cmp?.[p] === true])) as Record<ConsentPurpose, boolean>;
}
