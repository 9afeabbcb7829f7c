/**
 * Loads and validates a pipeline config file (YAML or JSON). Relative paths inside it resolve
 * against the file's own folder, so a pipeline means the same thing from any working directory.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { PipelineConfig, type Destination } from '../../contracts/pipeline-config.ts';
import { getPool } from '../store/db.ts';
import { describeIssues } from '../../contracts/pipeline-issues.ts';
import { pipelineJsonSchema } from '../../contracts/pipeline-schema.ts';

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
  return readPipelineFile(path).config;
}

/** The validated config and the sha256 of the file's bytes (what `activation_run.pipeline_sha256` records). */
export function readPipelineFile(path: string): { config: PipelineConfig; sha256: string } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new InvalidPipelineConfigError(`${path}: cannot read the pipeline config (${(err as Error).message}). Pass an existing file, e.g. pipelines/demo.yaml.`);
  }
  return { config: parsePipelineText(path, bytes.toString('utf8')), sha256: createHash('sha256').update(bytes).digest('hex') };
}

function parsePipelineText(path: string, text: string): PipelineConfig {
  let raw: unknown;
  try {
    raw = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new InvalidPipelineConfigError(`${path}: not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
  }
  const parsed = PipelineConfig.safeParse(raw);
  if (!parsed.success) {
    const issues = describeIssues(parsed.error.issues, raw, pipelineJsonSchema()).map((p) => `${p.path}: ${p.message}`).join('; ');
    throw new InvalidPipelineConfigError(`${path}: invalid pipeline config: ${issues}. Fix the named fields (scoreflow pipeline validate lists every problem).`);
  }
  return resolvePaths(parsed.data, dirname(resolve(path)));
}

/** Previous release only (legacy/activation-run-v1.ts, measureOutcomes of that release): reads the file. */
export async function loadPipelineActivity(input: { pipelinePath: string }): Promise<PipelineConfig> {
  return loadPipelineConfig(input.pipelinePath);
}

/**
 * How an activity gets its pipeline: the run's snapshot (loaded once by snapshotPipelineActivity and
 * passed along), or, for executions of the previous release, a file path read now.
 */
export interface PipelineRef {
  pipeline?: PipelineConfig;
  pipelinePath?: string;
}

export function pipelineOf(ref: PipelineRef): PipelineConfig {
  if (ref.pipeline) return ref.pipeline;
  if (ref.pipelinePath) return loadPipelineConfig(ref.pipelinePath);
  throw new InvalidPipelineConfigError('the activity input names no pipeline (neither a snapshot nor a file); this is a bug in the caller');
}

/**
 * Loads and validates the pipeline once per run and stores it, with the sha256 of its file, on the
 * run's activation_run row: the run then gates, publishes and exports under that one config even if
 * the file changes meanwhile, and workers need no shared filesystem for it. Idempotent per run; a
 * retry after the file changed keeps the first snapshot.
 */
export async function snapshotPipelineActivity(input: { runId: string; pipelinePath: string }): Promise<{ config: PipelineConfig; sha256: string }> {
  const read = readPipelineFile(input.pipelinePath);
  const { rows } = await getPool().query<{ pipeline_config: PipelineConfig; pipeline_sha256: string }>(
    `INSERT INTO activation_run (run_id, pipeline, status, stage, pipeline_config, pipeline_sha256, pipeline_path)
     VALUES ($1, $2, 'RUNNING', 'load-pipeline', $3, $4, $5)
     ON CONFLICT (run_id) DO UPDATE SET pipeline_config = COALESCE(activation_run.pipeline_config, EXCLUDED.pipeline_config),
       pipeline_sha256 = COALESCE(activation_run.pipeline_sha256, EXCLUDED.pipeline_sha256),
       pipeline_path = COALESCE(activation_run.pipeline_path, EXCLUDED.pipeline_path), updated_at = now()
     RETURNING pipeline_config, pipeline_sha256`,
    [input.runId, read.config.name, JSON.stringify(read.config), read.sha256, input.pipelinePath],
  );
  return { config: rows[0]!.pipeline_config, sha256: rows[0]!.pipeline_sha256 };
}
