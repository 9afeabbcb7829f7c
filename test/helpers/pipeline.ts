/** Writes a pipeline config for a test into a temporary folder, with its own inbox and outbox. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { generatedFeedPipelineBase } from '../../scripts/pipeline-base.ts';

export const REPO = resolve(import.meta.dirname, '..', '..');

export interface TestPipeline {
  path: string;
  name: string;
  dir: string;
  inbox: string;
  outbox: string;
}

export function writeTestPipeline(overrides: Record<string, unknown> = {}, name = `t-${Math.random().toString(36).slice(2, 8)}`): TestPipeline {
  const dir = mkdtempSync(join(tmpdir(), `scoreflow-${name}-`));
  const inbox = join(dir, 'inbox');
  const outbox = join(dir, 'outbox');
  mkdirSync(inbox, { recursive: true });
  const cfg = {
    name,
    inbox,
    ...generatedFeedPipelineBase(),
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
