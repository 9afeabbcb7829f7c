/**
 * Loads and validates a pipeline config file (YAML or JSON). Relative paths inside it resolve
 * against the file's own folder, so a pipeline means the same thing from any working directory.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { parse as parseYaml } from 'yaml';
import { PipelineConfig, type Destination } from '../../contracts/pipeline-config.ts';

export class InvalidPipelineConfigError extends Error {
  override name = 'InvalidPipelineConfig';
}

function resolvePaths(cfg: PipelineConfig, base: string): PipelineConfig {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  return {
    ...cfg,
    inbox: abs(cfg.inbox),
    model: { ...cfg.model, defaultArtifact: cfg.model.defaultArtifact ? abs(cfg.model.defaultArtifact) : undefined },
    fallbackPolicy: cfg.fallbackPolicy ? abs(cfg.fallbackPolicy) : undefined,
    destinations: cfg.destinations.map((d): Destination => (d.kind === 'file' ? { ...d, outbox: abs((d as { outbox: string }).outbox) } : d)) as Destination[],
  };
}

export function loadPipelineConfig(path: string): PipelineConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InvalidPipelineConfigError(`${path}: cannot read the pipeline config (${(err as Error).message}). Pass an existing file, e.g. pipelines/demo.yaml.`);
  }
  let raw: unknown;
  try {
    raw = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new InvalidPipelineConfigError(`${path}: not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
  }
  const parsed = PipelineConfig.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new InvalidPipelineConfigError(`${path}: invalid pipeline config: ${issues}. Fix the named fields.`);
  }
  return resolvePaths(parsed.data, dirname(resolve(path)));
}

export async function loadPipelineActivity(input: { pipelinePath: string }): Promise<PipelineConfig> {
  try {
    return loadPipelineConfig(input.pipelinePath);
  } catch (err) {
    if (err instanceof InvalidPipelineConfigError) throw ApplicationFailure.nonRetryable(err.message, 'InvalidPipelineConfig');
    throw err;
  }
}
