/**
 * Model artifact formats the registry accepts, and the registration metadata around them. Pure: no I/O.
 *
 * - `logreg-json`: logistic regression as plain JSON (coefficients on the model's input scale, after
 *   the declared imputation and optional standardisation).
 * - `xgboost-json`: XGBoost's own `Booster.save_model("model.json")` output, gbtree + binary:logistic.
 * - `onnx`: the ONNX protobuf, plus a sidecar JSON ({@link OnnxSidecar}) naming the input, output and
 *   feature order. The artifact digest covers the ONNX bytes; the sidecar is stored beside it.
 * - `rules`: a declarative rule policy, ordered thresholds on features to a score and segment.
 *
 * Missing feature values (null): logreg and onnx use the artifact's declared `imputation` for that
 * feature, 0 when none is declared; xgboost follows each split's `default_left`; in rules a condition
 * on a missing feature is false (except `missing`, which is true).
 */
import { z } from 'zod';
import { FEATURE_NAMES, FEATURE_SET_VERSION } from './feature-set.ts';

export const ARTIFACT_FORMATS = ['logreg-json', 'xgboost-json', 'onnx', 'rules'] as const;
export const ArtifactFormat = z.enum(ARTIFACT_FORMATS);
export type ArtifactFormat = z.infer<typeof ArtifactFormat>;

/** Feature names (in model input order) per feature set version this build knows. */
export const KNOWN_FEATURE_SETS: Readonly<Record<string, readonly string[]>> = { [FEATURE_SET_VERSION]: FEATURE_NAMES };

export function featureNamesFor(featureSetVersion: string): readonly string[] | undefined {
  return KNOWN_FEATURE_SETS[featureSetVersion];
}

const ModelId = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,99}$/, 'lower-case letters, digits, ".", "_" or "-", at most 100');
const Version = z.string().regex(/^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/, 'a semantic version such as 1.2.0');
const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, '64 lower-case hex digits');

/** Per-feature value substituted for null, keyed by feature name. */
const Imputation = z.record(z.string(), z.number().finite());

export const LogregArtifact = z
  .object({
    format: z.literal('logreg-json'),
    model_id: ModelId,
    version: Version,
    feature_set_version: z.string().min(1),
    features: z.array(z.string()).min(1),
    coefficients: z.array(z.number().finite()),
    intercept: z.number().finite(),
    imputation: Imputation.optional(),
    standardization: z.object({ mean: z.array(z.number().finite()), std: z.array(z.number().finite().positive()) }).optional(),
  })
  .superRefine((a, ctx) => {
    const n = a.features.length;
    if (a.coefficients.length !== n) ctx.addIssue({ code: 'custom', path: ['coefficients'], message: `has ${a.coefficients.length} values for ${n} features` });
    if (a.standardization && (a.standardization.mean.length !== n || a.standardization.std.length !== n)) {
      ctx.addIssue({ code: 'custom', path: ['standardization'], message: `mean and std need ${n} values each` });
    }
    for (const k of Object.keys(a.imputation ?? {})) {
      if (!a.features.includes(k)) ctx.addIssue({ code: 'custom', path: ['imputation', k], message: 'is not one of the artifact features' });
    }
  });
export type LogregArtifact = z.infer<typeof LogregArtifact>;

/** XGBoost stores numbers in learner_model_param as strings ("1.203E-1"; from 2.x also "[1.203E-1]"). */
const XgbNumberString = z.string().transform((s, ctx) => {
  const v = Number(s.replace(/^\[|\]$/g, ''));
  if (!Number.isFinite(v)) {
    ctx.addIssue({ code: 'custom', message: `"${s}" is not a number` });
    return z.NEVER;
  }
  return v;
});

const XgbFlag = z.union([z.number().int().min(0).max(1), z.boolean()]).transform((v) => v === true || v === 1);

export const XgboostTree = z
  .object({
    left_children: z.array(z.number().int()),
    right_children: z.array(z.number().int()),
    split_indices: z.array(z.number().int().nonnegative()),
    split_conditions: z.array(z.number()),
    default_left: z.array(XgbFlag),
    base_weights: z.array(z.number()),
    sum_hessian: z.array(z.number()).optional(),
    split_type: z.array(z.number().int()).optional(),
  })
  .superRefine((t, ctx) => {
    const n = t.left_children.length;
    for (const k of ['right_children', 'split_indices', 'split_conditions', 'default_left', 'base_weights'] as const) {
      if (t[k].length !== n) ctx.addIssue({ code: 'custom', path: [k], message: `has ${t[k].length} entries for ${n} nodes` });
    }
    if (t.sum_hessian && t.sum_hessian.length !== n) ctx.addIssue({ code: 'custom', path: ['sum_hessian'], message: `has ${t.sum_hessian.length} entries for ${n} nodes` });
    if (n === 0) ctx.addIssue({ code: 'custom', path: ['left_children'], message: 'a tree needs at least one node' });
    if (t.split_type?.some((s) => s !== 0)) ctx.addIssue({ code: 'custom', path: ['split_type'], message: 'categorical splits are not supported; train with numeric features' });
    t.left_children.forEach((l, i) => {
      const r = t.right_children[i]!;
      const leaf = l === -1;
      if (leaf !== (r === -1) || (!leaf && (l <= i || r <= i || l >= n || r >= n))) {
        ctx.addIssue({ code: 'custom', path: ['left_children', i], message: `node ${i} has children ${l}/${r}; expected both -1 or both later nodes` });
      }
    });
  });
export type XgboostTree = z.infer<typeof XgboostTree>;

export const XgboostArtifact = z.object({
  version: z.array(z.number().int()).optional(),
  learner: z.object({
    attributes: z.record(z.string(), z.string()).default({}),
    feature_names: z.array(z.string()).default([]),
    learner_model_param: z.object({ base_score: XgbNumberString, num_feature: XgbNumberString, num_class: XgbNumberString.optional() }),
    objective: z.object({ name: z.literal('binary:logistic', { error: 'only objective binary:logistic is supported' }) }),
    gradient_booster: z.object({
      name: z.literal('gbtree', { error: 'only the gbtree booster is supported (not dart or gblinear)' }),
      model: z.object({ trees: z.array(XgboostTree).min(1), tree_info: z.array(z.number().int()).optional() }),
    }),
  }),
});
export type XgboostArtifact = z.infer<typeof XgboostArtifact>;

/** The sidecar of an ONNX artifact (`<file>.onnx.meta.json`). */
export const OnnxSidecar = z.object({
  format: z.literal('onnx').default('onnx'),
  model_id: ModelId,
  version: Version,
  feature_set_version: z.string().min(1),
  /** Feature names in the column order of the input tensor. */
  features: z.array(z.string()).min(1),
  input_name: z.string().min(1),
  input_type: z.enum(['float32', 'float64']).default('float32'),
  /** Output tensor: [N], [N, 1], or [N, 2] (class probabilities; column 1 is the positive class). */
  output_name: z.string().min(1),
  imputation: Imputation.optional(),
});
export type OnnxSidecar = z.infer<typeof OnnxSidecar>;

export const RuleOp = z.enum(['<', '<=', '>', '>=', '==', '!=', 'missing', 'present']);
export type RuleOp = z.infer<typeof RuleOp>;

export const RuleCondition = z
  .object({ feature: z.string(), op: RuleOp, value: z.number().finite().optional() })
  .refine((c) => c.op === 'missing' || c.op === 'present' || c.value !== undefined, { message: 'a comparison needs a value', path: ['value'] });

const RuleOutcome = z.object({ id: z.string().min(1), score: z.number().min(0).max(1), segment: z.string().min(1) });

/** Ordered rules: the first rule whose conditions all hold gives the score and segment; else `default`. */
export const RulesPolicy = z
  .object({
    format: z.literal('rules'),
    model_id: ModelId,
    version: Version,
    feature_set_version: z.string().min(1),
    description: z.string().optional(),
    rules: z.array(RuleOutcome.extend({ when: z.array(RuleCondition).min(1) })),
    default: RuleOutcome,
  })
  .superRefine((p, ctx) => {
    const ids = new Set<string>();
    for (const [i, r] of [...p.rules, p.default].entries()) {
      if (ids.has(r.id)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'id'], message: `duplicate rule id "${r.id}"` });
      ids.add(r.id);
    }
  });
export type RulesPolicy = z.infer<typeof RulesPolicy>;

export const ModelMetrics = z
  .object({
    auc: z.number().min(0).max(1).optional(),
    log_loss: z.number().nonnegative().optional(),
    calibration: z.object({ slope: z.number(), intercept: z.number(), ece: z.number().nonnegative() }).partial().optional(),
    n: z.number().int().nonnegative().optional(),
  })
  .catchall(z.unknown());
export type ModelMetrics = z.infer<typeof ModelMetrics>;

/** What `register` needs besides the bytes. */
export const RegisterOptions = z.object({
  name: ModelId,
  version: Version,
  format: ArtifactFormat,
  featureSetVersion: z.string().min(1),
  metrics: ModelMetrics.default({}),
  trainedAt: z.coerce.date().optional(),
  owner: z.string().min(1).optional(),
  /** The digest the caller expects (from a manifest or the training metadata); refused when the bytes differ. */
  expectedSha256: Sha256.optional(),
  /** Required for `onnx`: the sidecar. */
  sidecar: OnnxSidecar.optional(),
});
export type RegisterOptions = z.input<typeof RegisterOptions>;

/** The training script's `<version>.metadata.json` next to each artifact. */
export const TrainingMetadata = z.object({
  model_id: ModelId,
  version: Version,
  format: ArtifactFormat,
  feature_set_version: z.string().min(1),
  sha256: Sha256,
  trained_at: z.string().optional(),
  owner: z.string().optional(),
  metrics: ModelMetrics.default({}),
});
export type TrainingMetadata = z.infer<typeof TrainingMetadata>;

export const VersionStatus = z.enum(['candidate', 'champion', 'retired']);
export type VersionStatus = z.infer<typeof VersionStatus>;

/** A pipeline's scoring target: a registered model version, or the rules fallback policy. */
export const ChampionTarget = z.union([
  z.object({ modelName: ModelId, version: Version }).strict(),
  // modelName: the pipeline's model the rules policy stands in for (so `promote` of that model finds the pin).
  z.object({ policy: z.literal('rules'), modelName: ModelId.optional() }).strict(),
]);
export type ChampionTarget = z.infer<typeof ChampionTarget>;

/** A rollback target as the `rollback` signal carries it; the model name defaults to the pipeline's. */
export const RollbackTarget = z.union([
  z.object({ modelVersion: Version, modelName: ModelId.optional() }).strict(),
  z.object({ policy: z.literal('rules') }).strict(),
]);
export type RollbackTarget = z.infer<typeof RollbackTarget>;

export const OperatorAction = z.object({ operator: z.string().min(1), reason: z.string().min(1) });
export type OperatorAction = z.infer<typeof OperatorAction>;
