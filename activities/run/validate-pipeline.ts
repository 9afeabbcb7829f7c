/**
 * `scoreflow pipeline validate`, and the check `run` and `schedule create|apply` make before anything
 * starts: every problem of a pipeline file at once, each with its key path and what to do.
 *
 * - the schema, strictly (contracts/pipeline-config.ts): an unknown key is named with the closest
 *   known key ("did you mean holdout?"); an unknown destination kind lists the valid kinds;
 * - destination names are unique;
 * - `gates:` and `rulesGates:` are GateConfig blocks (contracts/gate-config.ts), unknown keys included;
 * - each destination's `config` against its adapter's own schema, unknown keys included, with no
 *   literal credential, and every `...Env` variable it names set (its value is never printed);
 * - files it names exist (model artifact, fallback policy), the inbox exists (a warning: it may be
 *   created later, but a run over a missing inbox fails);
 * - the model is known in the registry when the registry is reachable (a warning when it is not).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { DESTINATION_KINDS, PipelineConfig } from '../../contracts/pipeline-config.ts';
import { GateConfig, mergeGateBlocks, RULES_GATE_DEFAULTS } from '../../contracts/gate-config.ts';
import { pipelineJsonSchema } from '../../contracts/pipeline-schema.ts';
import { closest, describeIssues, formatPath, unknownKeys, type PipelineProblem } from '../../contracts/pipeline-issues.ts';
import { TargetBulkConfig } from '../destinations/adobe-target-bulk.ts';
import { GoogleCustomerMatchConfig } from '../destinations/google-customer-match.ts';
import { MetaCustomAudiencesConfig } from '../destinations/meta-custom-audiences.ts';
import { WebhookConfig } from '../destinations/webhook.ts';
import { NatsJetStreamConfig } from '../destinations/nats-jetstream.ts';
import { literalSecretKeys } from '../destinations/adapter-factory.ts';
import { getPool } from '../store/db.ts';

export type { PipelineProblem };

export interface PipelineValidation {
  file: string;
  ok: boolean;
  /** Every problem; the file is refused when there is one. */
  problems: PipelineProblem[];
  /** Worth knowing, not refused. */
  warnings: PipelineProblem[];
  /** The pipeline's name when the file parsed far enough to have one. */
  name?: string;
  registry: { reachable: boolean; model?: string; versions?: string[] };
}

/** Each stateful destination kind's own config schema (its adapter's). */
export const DESTINATION_CONFIG_SCHEMAS: Record<Exclude<(typeof DESTINATION_KINDS)[number], 'file'>, z.ZodType> = {
  'adobe-target-bulk': TargetBulkConfig,
  'google-customer-match': GoogleCustomerMatchConfig,
  'meta-custom-audiences': MetaCustomAudiencesConfig,
  webhook: WebhookConfig,
  nats: NatsJetStreamConfig,
  'nats-jetstream': NatsJetStreamConfig,
};

const jsonSchemaOf = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;

/** The `...Env` keys of a config (any depth) with the variable names they hold. */
function envRefs(config: unknown, path: PropertyKey[] = []): { path: PropertyKey[]; name: string }[] {
  if (!config || typeof config !== 'object') return [];
  return Object.entries(config as Record<string, unknown>).flatMap(([k, v]) =>
    /Env$/.test(k) && typeof v === 'string' ? [{ path: [...path, k], name: v }] : v && typeof v === 'object' ? envRefs(v, [...path, k]) : [],
  );
}

function checkGates(block: unknown, key: 'gates' | 'rulesGates', merged: unknown): PipelineProblem[] {
  if (block === undefined) return [];
  if (!block || typeof block !== 'object' || Array.isArray(block)) return [{ path: key, message: 'must be a mapping of gate names to thresholds (see docs/pipeline-config.md#gates)' }];
  const problems = unknownKeys(jsonSchemaOf(GateConfig), block, [key]);
  const parsed = GateConfig.safeParse(merged);
  if (!parsed.success) problems.push(...describeIssues(parsed.error.issues.filter((i) => i.code !== 'unrecognized_keys'), merged, jsonSchemaOf(GateConfig), [key]));
  return problems;
}

async function registryVersions(modelName: string): Promise<{ reachable: boolean; names: string[]; versions: string[]; error?: string }> {
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer within 5s')), 5000).unref());
  try {
    const { rows } = await Promise.race([getPool().query<{ model_name: string; version: string }>('SELECT model_name, version FROM model_version ORDER BY registered_at, version'), timeout]);
    return { reachable: true, names: [...new Set(rows.map((r) => r.model_name))], versions: rows.filter((r) => r.model_name === modelName).map((r) => r.version) };
  } catch (err) {
    return { reachable: false, names: [], versions: [], error: (err as Error).message };
  }
}

export interface ValidateOptions {
  /** Where `...Env` variables are looked up (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Check the model against the registry (default true). */
  registry?: boolean;
}

export async function validatePipelineFile(path: string, opts: ValidateOptions = {}): Promise<PipelineValidation> {
  const file = resolve(path);
  const env = opts.env ?? process.env;
  const problems: PipelineProblem[] = [];
  const warnings: PipelineProblem[] = [];
  const out = (): PipelineValidation => ({ file, ok: problems.length === 0, problems, warnings, registry });
  let registry: PipelineValidation['registry'] = { reachable: false };

  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    problems.push({ path: '(file)', message: `cannot read the pipeline file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); pass an existing file, e.g. pipelines/demo.yaml` });
    return out();
  }
  let raw: unknown;
  try {
    raw = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { uniqueKeys: true });
  } catch (err) {
    problems.push({ path: '(file)', message: `not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}` });
    return out();
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push({ path: '(root)', message: 'a pipeline file is a mapping of keys (name, inbox, consent, model, scoring, destinations, ...); see docs/pipeline-config.md' });
    return out();
  }
  const r = raw as Record<string, unknown>;
  const name = typeof r.name === 'string' ? r.name : undefined;

  // 1. The schema, strictly, with suggestions for unknown keys and kinds.
  const parsed = PipelineConfig.safeParse(raw);
  if (!parsed.success) problems.push(...describeIssues(parsed.error.issues, raw, pipelineJsonSchema()));
  // Blocks shared with the record contracts (scoring.semantics) are not strict zod objects: the
  // JSON Schema names their unknown keys too.
  for (const u of unknownKeys(pipelineJsonSchema(), raw)) if (!problems.some((x) => x.path === u.path)) problems.push(u);

  // 2. Destinations: unique names; each kind's config.
  const dests = Array.isArray(r.destinations) ? (r.destinations as unknown[]) : [];
  const seen = new Map<string, number>();
  dests.forEach((d, i) => {
    if (!d || typeof d !== 'object') return;
    const dest = d as Record<string, unknown>;
    if (typeof dest.name === 'string') {
      const first = seen.get(dest.name);
      if (first !== undefined) problems.push({ path: `destinations[${i}].name`, message: `duplicate destination name "${dest.name}" (also destinations[${first}]); give each destination its own name: sync state and exports are keyed by it` });
      else seen.set(dest.name, i);
    }
    const kind = dest.kind;
    if (typeof kind !== 'string' || kind === 'file' || !(DESTINATION_KINDS as readonly string[]).includes(kind)) return;
    const schema = DESTINATION_CONFIG_SCHEMAS[kind as keyof typeof DESTINATION_CONFIG_SCHEMAS];
    const config = dest.config ?? {};
    const at: PropertyKey[] = ['destinations', i, 'config'];
    if (typeof config !== 'object' || Array.isArray(config) || config === null) return;
    problems.push(...unknownKeys(jsonSchemaOf(schema), config, at));
    for (const s of literalSecretKeys(config as Record<string, unknown>, formatPath(at))) {
      problems.push({ path: s, message: 'holds a literal credential; put it in an environment variable and name the variable instead (e.g. tokenEnv: GOOGLE_ADS_TOKEN)' });
    }
    const cp = schema.safeParse(config);
    if (!cp.success) problems.push(...describeIssues(cp.error.issues.filter((x) => x.code !== 'unrecognized_keys'), config, jsonSchemaOf(schema), at));
    for (const ref of envRefs(config)) {
      if (!env[ref.name]) problems.push({ path: formatPath([...at, ...ref.path]), message: `environment variable ${ref.name} is not set (destination ${String(dest.name)}); export it where the worker runs before starting a run` });
    }
  });

  // 3. Gate blocks.
  problems.push(...checkGates(r.gates, 'gates', mergeGateBlocks(r.gates)));
  problems.push(...checkGates(r.rulesGates, 'rulesGates', mergeGateBlocks(r.gates, RULES_GATE_DEFAULTS, r.rulesGates)));

  // 4. Files it names, relative to the pipeline file.
  const base = dirname(file);
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const model = (r.model ?? {}) as Record<string, unknown>;
  if (typeof model.defaultArtifact === 'string' && !existsSync(abs(model.defaultArtifact))) {
    problems.push({ path: 'model.defaultArtifact', message: `no file ${abs(model.defaultArtifact)}; name an existing model artifact (relative to the pipeline file)` });
  }
  if (typeof r.fallbackPolicy === 'string' && !existsSync(abs(r.fallbackPolicy))) {
    problems.push({ path: 'fallbackPolicy', message: `no file ${abs(r.fallbackPolicy)}; name an existing rules policy (relative to the pipeline file)` });
  }
  if (typeof r.inbox === 'string' && !existsSync(abs(r.inbox))) {
    warnings.push({ path: 'inbox', message: `folder ${abs(r.inbox)} does not exist yet; a run fails until deliveries arrive there (or pass --feed)` });
  }

  // 5. The model in the registry, when it is reachable.
  if (opts.registry !== false && typeof model.name === 'string') {
    const reg = await registryVersions(model.name);
    registry = { reachable: reg.reachable, model: model.name, versions: reg.versions };
    if (!reg.reachable) {
      warnings.push({ path: 'model.name', message: `model registry not reachable (${reg.error}); the model was not checked` });
    } else if (reg.versions.length === 0 && typeof model.defaultArtifact !== 'string') {
      const hint = closest(model.name, reg.names);
      problems.push({
        path: 'model.name',
        message: `no model "${model.name}" in the registry${hint ? `; did you mean "${hint}"?` : ''} (registered: ${reg.names.join(', ') || 'none'}); register it with "scoreflow models register FILE --name ${model.name} --version V" or set model.defaultArtifact`,
      });
    } else if (typeof model.defaultVersion === 'string' && typeof model.defaultArtifact !== 'string' && !reg.versions.includes(model.defaultVersion)) {
      problems.push({ path: 'model.defaultVersion', message: `model "${model.name}" has no version ${model.defaultVersion} in the registry (registered: ${reg.versions.join(', ')})` });
    }
  }

  return { ...out(), name };
}

/** The lines a refusal prints: the file, then one line per problem. */
export function formatValidation(v: PipelineValidation): string {
  const lines = [v.ok ? `${v.file}: valid pipeline${v.name ? ` "${v.name}"` : ''}` : `${v.file}: ${v.problems.length} problem(s)`];
  for (const p of v.problems) lines.push(`  error   ${p.path}: ${p.message}`);
  for (const w of v.warnings) lines.push(`  warning ${w.path}: ${w.message}`);
  return lines.join('\n');
}
