/**
 * The body of a pipeline over a generated feed (scripts/bench-feed.ts, activities/feed/generator.ts):
 * the generator's CRM and consent columns, the committed 1.0.0 model and rules policy, and the demo's
 * segments. Test pipelines (test/helpers/pipeline.ts) and the cycle bench build on it, so both score
 * the same way; each adds its own name, inbox, gates and destinations.
 */
import { join, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '..');

export function generatedFeedPipelineBase() {
  return {
    feed: { customerIdColumn: 'post_evar3', crmExtract: 'crm_extract.csv', maxQuarantineShare: 0.01 },
    consent: { source: 'feed_column', column: 'post_evar5', separator: '|' },
    features: { lookbackDays: 30 },
    model: { name: 'purchase-propensity', defaultArtifact: join(REPO, 'models/purchase-propensity/1.0.0-logreg.json'), defaultVersion: '1.0.0' },
    fallbackPolicy: join(REPO, 'models/rules/fallback-1.0.0.json'),
    scoring: {
      semantics: { kind: 'probability', outcome: 'purchase', horizon_days: 7 },
      segments: [
        { id: 'high_intent', minScore: 0.5 },
        { id: 'warm', minScore: 0.2 },
        { id: 'cold', minScore: 0 },
      ],
      eligibility: { minScore: 0.05, requireConsent: 'personalization' },
      topN: 3,
    },
  };
}
