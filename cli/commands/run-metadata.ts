/**
 * The static summary and details a run is started with (Temporal "User Metadata"): one line an
 * operator scans in the Web UI's run list ("demo · model 1.0.0 · 2026-12-04 feed") and a short
 * Markdown card of what the run will do. The run's current details (workflows/run-details.ts) then
 * follow it stage by stage. Both are read at start: the model is what the next run will use when it
 * starts (a rollback during the run shows in the current details and the ModelVersion attribute).
 */
import { readdirSync } from 'node:fs';
import type { PipelineConfig } from '../../contracts/pipeline-config.ts';
import { parseDeliveryName } from '../../activities/feed/delivery-name.ts';

/** The newest feed date among the delivery manifests in a folder, or undefined when it holds none (or cannot be read). */
export function newestFeedDate(dir: string): string | undefined {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  const dates = names.map((n) => parseDeliveryName(n)?.feedDate).filter((d): d is string => d !== undefined);
  return dates.sort().at(-1)?.slice(0, 10);
}

export interface RunMetadataInput {
  cfg: PipelineConfig;
  /** `policy:version` as resolved before the start, e.g. `model:1.0.0` or `rules:1.0.0`; undefined when unknown. */
  model?: { policy: 'model' | 'rules'; name: string; version: string | null };
  feedDir: string;
  feedDate?: string;
  rollbackOf?: string;
  explicitModel?: string;
}

const STAGES = ['load-pipeline', 'discover', 'ingest', 'identity-sources', 'features', 'resolve-model', 'score', 'gate', 'publish', 'publish-online', 'export', 'activation-drift', 'verify', 'report'];

export function runUserMetadata(i: RunMetadataInput): { staticSummary: string; staticDetails: string } {
  const model = i.explicitModel
    ? i.explicitModel
    : i.model
      ? i.model.policy === 'rules'
        ? `rules ${i.model.version ?? ''}`.trim()
        : `model ${i.model.version ?? '(default artifact)'}`
      : 'model resolved at run';
  const feed = i.rollbackOf ? `rollback of ${i.rollbackOf}` : i.feedDate ? `${i.feedDate} feed` : 'no delivery yet';
  const staticSummary = `${i.cfg.name} · ${model} · ${feed}`;
  // As the workflow runs them: publish-online when online is on, verify when a destination asks for
  // read-back, no feed stages in a rollback, and the lift measurement after the attribution window.
  const verifies = i.cfg.destinations.some((d) => d.kind !== 'file' && 'verify' in d && d.verify);
  const stages = STAGES.filter((s) => s !== 'publish-online' || i.cfg.online.enabled)
    .filter((s) => s !== 'verify' || verifies)
    .filter((s) => !i.rollbackOf || !['discover', 'ingest', 'identity-sources', 'features'].includes(s));
  const window = i.cfg.measurement?.attributionWindow;
  if (window && !i.rollbackOf) stages.push(`measure lift (after ${window})`);
  const staticDetails = [
    `**Pipeline** ${i.cfg.name} · model ${i.cfg.model.name} (${model})`,
    i.rollbackOf ? `**Rollback of** ${i.rollbackOf}` : `**Feed** ${i.feedDir}${i.feedDate ? ` (newest delivery ${i.feedDate})` : ''}`,
    `**Destinations** ${i.cfg.destinations.map((d) => `${d.name} (${d.kind})`).join(', ')}`,
    `**Stages** ${stages.join(' → ')}`,
    'Counts per stage are in the current details; `scoreflow status --run <id>` prints the full report.',
  ].join('\n\n');
  return { staticSummary, staticDetails };
}
