/**
 * The static details list the stages the run will go through, as the workflow runs them: verify
 * only when a destination asks for read-back, the lift measurement only when the pipeline names an
 * attribution window, and no feed stages in a rollback.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPipelineConfig } from '../../activities/run/pipeline.ts';
import { runUserMetadata } from '../../cli/commands/run-metadata.ts';
import type { PipelineConfig } from '../../contracts/pipeline-config.ts';

const demo = loadPipelineConfig(join(import.meta.dirname, '..', '..', 'pipelines', 'demo.yaml'));
const stagesOf = (cfg: PipelineConfig, rollbackOf?: string) => /\*\*Stages\*\* (.*)/.exec(runUserMetadata({ cfg, feedDir: '/in', rollbackOf }).staticDetails)![1]!.split(' → ');

describe('runUserMetadata stages', () => {
  it('has verify only when a destination asks for read-back, and the lift measurement with its window', () => {
    const plain: PipelineConfig = { ...demo, measurement: undefined, destinations: demo.destinations.map((d) => ({ ...d, verify: undefined }) as typeof d) };
    expect(stagesOf(plain)).not.toContain('verify');
    expect(stagesOf(plain).at(-1)).toBe('report');

    const verified: PipelineConfig = {
      ...plain,
      measurement: { attributionWindow: '7d' },
      // runUserMetadata reads a destination's name, kind and verify only.
      destinations: [...plain.destinations, { name: 'target-profiles', kind: 'adobe-target-bulk', verify: { sample: 50, maxMismatchRate: 0.01 } }] as PipelineConfig['destinations'],
    };
    expect(stagesOf(verified).slice(-4)).toEqual(['activation-drift', 'verify', 'report', 'measure lift (after 7d)']);
  });

  it('leaves out the feed stages and the measurement in a rollback', () => {
    const cfg: PipelineConfig = { ...demo, measurement: { attributionWindow: '7d' } };
    const stages = stagesOf(cfg, 'demo.run-1');
    expect(stages).not.toContain('ingest');
    expect(stages).not.toContain('discover');
    expect(stages.at(-1)).toBe('report');
  });
});
