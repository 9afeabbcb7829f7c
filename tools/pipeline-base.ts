/**
 * The body of a pipeline over a generated feed (tools/bench/bench-feed.ts, tools/feed-generator/generator.ts):
 * the generator's CRM and consent columns, the committed 1.0.0 model and rules policy, and the demo's
 * segments. Test pipelines (writeGeneratedFeedPipeline, re-exported by test/helpers/pipeline.ts as
 * writeTestPipeline), the chaos suite and the cycle bench build on it, so all score the same way; each
 * adds its own name, inbox, gates and destinations.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';

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

export interface GeneratedFeedPipeline {
  path: string;
  name: string;
  dir: string;
  inbox: string;
  outbox: string;
}

/** Writes a pipeline over a generated feed into a new temporary folder, with its own inbox and file outbox; overrides replace top-level keys. */
export function writeGeneratedFeedPipeline(overrides: Record<string, unknown> = {}, name = `t-${Math.random().toString(36).slice(2, 8)}`): GeneratedFeedPipeline {
  const dir = mkdtempSync(join(tmpdir(), `scoreflow-${name}-`));
  const inbox = join(dir, 'inbox');
  const outbox = join(dir, 'outbox');
  mkdirSync(inbox, { recursive: true });
  const base = generatedFeedPipelineBase();
  const cfg = {
    name,
    inbox,
    ...base,
    // Its own customer master: generated feeds of other seeds reuse the customer ids C0000001… for
    // other people, and pipelines sharing a database must not resolve each other's customers.
    feed: { ...base.feed, crmNamespace: name },
    freshness: { maxAgeHours: 24 },
    holdout: { experimentKey: `${name}-exp`, controlShare: 0.1 },
    gates: {},
    destinations: [{ name: 'outbox', kind: 'file', outbox, formats: ['csv', 'jsonl'], filter: { consentPurpose: 'personalization', requireEligible: true }, holdout: 'exclude_control' }],
    ...overrides,
  };
  const path = join(dir, 'pipeline.yaml');
  writeFileSync(path, stringify(cfg));
  return { path, name, dir, inbox, outbox };
}
