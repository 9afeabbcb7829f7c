/**
 * XGBoost scorer for `xgboost-json` artifacts (the Booster's own save_model JSON; gbtree,
 * binary:logistic). Pure, and faithful to XGBoost's CPU predictor:
 * - inputs are float32 (XGBoost's DMatrix stores float32): x = Math.fround(value);
 * - a missing value (null) follows the node's default_left; otherwise `x < split_condition` goes left,
 *   both sides as float32;
 * - margin starts at logit(base_score) (learner_model_param.base_score is stored as a probability for
 *   binary:logistic) and adds each tree's leaf value in tree order, in float32;
 * - probability = 1 / (1 + e^−margin), rounded to float32 like XGBoost's sigmoid.
 *
 * Contributions are XGBoost's approximate ones (`pred_contribs=True, approx_contribs=True`, Saabas'
 * path attribution): each split on the visitor's path credits its feature with the change in the
 * hessian-weighted mean leaf value from parent to child. They are log-odds, and sum with the bias
 * (logit(base_score) + Σ root means, not reported) to the margin. Omitted when the JSON has no sum_hessian.
 */
import type { FeatureName, FeatureVector } from '../../contracts/feature-set.ts';
import { XgboostArtifact, featureNamesFor } from '../../contracts/model-artifact.ts';
import { InvalidArtifactError, checkFeatureOrder, describeIssues, parseArtifactJson, type ScoreOutput, type Scorer } from './scorer.ts';

const f32 = Math.fround;

export interface CompiledTree {
  left: Int32Array;
  right: Int32Array;
  feature: Int32Array;
  /** Split threshold (internal nodes) or leaf value (leaves), as float32. */
  value: Float32Array;
  defaultLeft: Uint8Array;
  /** Hessian-weighted mean leaf value below each node (XGBoost's FillNodeMeanValues), when sum_hessian is present. */
  mean?: Float32Array;
}

export interface XgboostModel {
  modelId: string;
  version: string;
  featureSetVersion: string;
  features: readonly string[];
  baseScore: number;
  /** logit(base_score) in float32, the starting margin. */
  baseMargin: number;
  trees: CompiledTree[];
}

export interface XgboostIdentity {
  modelId?: string;
  version?: string;
  featureSetVersion?: string;
}

function fillMeans(t: CompiledTree, hess: number[], nid: number, out: Float32Array): number {
  let r: number;
  if (t.left[nid] === -1) {
    r = t.value[nid]!;
  } else {
    const l = t.left[nid]!;
    const rr = t.right[nid]!;
    r = f32(fillMeans(t, hess, l, out) * f32(hess[l]!));
    r = f32(r + f32(fillMeans(t, hess, rr, out) * f32(hess[rr]!)));
    r = f32(r / f32(hess[nid]!));
  }
  out[nid] = r;
  return r;
}

/** Validates and compiles an XGBoost JSON model. Identity comes from the Booster's attributes (set_attr), else `fallback`. */
export function parseXgboostArtifact(bytes: Uint8Array, fallback: XgboostIdentity = {}): XgboostModel {
  const parsed = XgboostArtifact.safeParse(parseArtifactJson(bytes, 'xgboost-json'));
  if (!parsed.success) throw new InvalidArtifactError('xgboost-json', `does not match XGBoost's JSON model schema: ${describeIssues(parsed.error.issues)}`);
  const { learner } = parsed.data;
  const attrs = learner.attributes;
  const modelId = attrs.model_id ?? fallback.modelId;
  const version = attrs.version ?? fallback.version;
  const featureSetVersion = attrs.feature_set_version ?? fallback.featureSetVersion;
  if (!modelId || !version || !featureSetVersion) {
    throw new InvalidArtifactError('xgboost-json', 'declares no model_id, version or feature_set_version; set them with Booster.set_attr(...) or pass them when loading');
  }
  const expected = featureNamesFor(featureSetVersion);
  if (learner.feature_names.length > 0) checkFeatureOrder('xgboost-json', featureSetVersion, learner.feature_names, expected);
  else checkFeatureOrder('xgboost-json', featureSetVersion, expected ?? [], expected);
  const features = expected!;
  const numFeature = learner.learner_model_param.num_feature;
  if (numFeature !== features.length) {
    throw new InvalidArtifactError('xgboost-json', `was trained on ${numFeature} features, feature set ${featureSetVersion} has ${features.length}`);
  }
  if ((learner.learner_model_param.num_class ?? 0) > 1) throw new InvalidArtifactError('xgboost-json', 'is a multi-class model; only binary:logistic is supported');
  const baseScore = learner.learner_model_param.base_score;
  if (!(baseScore > 0 && baseScore < 1)) throw new InvalidArtifactError('xgboost-json', `base_score ${baseScore} is not a probability in (0, 1)`);
  const bs = f32(baseScore);
  const baseMargin = f32(-Math.log(f32(f32(1 / bs) - 1)));
  const trees = learner.gradient_booster.model.trees.map((t, ti) => {
    const n = t.left_children.length;
    t.split_indices.forEach((s, i) => {
      if (t.left_children[i] !== -1 && s >= features.length) {
        throw new InvalidArtifactError('xgboost-json', `tree ${ti} node ${i} splits on feature index ${s}, beyond the ${features.length} features`);
      }
    });
    const compiled: CompiledTree = {
      left: Int32Array.from(t.left_children),
      right: Int32Array.from(t.right_children),
      feature: Int32Array.from(t.split_indices),
      value: Float32Array.from(t.split_conditions),
      defaultLeft: Uint8Array.from(t.default_left, (d) => (d ? 1 : 0)),
    };
    if (t.sum_hessian) {
      compiled.mean = new Float32Array(n);
      fillMeans(compiled, t.sum_hessian, 0, compiled.mean);
    }
    return compiled;
  });
  return { modelId, version, featureSetVersion, features, baseScore, baseMargin, trees };
}

/** float32 inputs in feature order; NaN marks a missing value. */
export function toFloat32Row(m: XgboostModel, v: FeatureVector): Float32Array {
  return Float32Array.from(m.features, (f) => {
    const x = v[f as FeatureName];
    return x === null || x === undefined ? Number.NaN : x;
  });
}

/** The leaf a row reaches in one tree. */
export function leafIndex(t: CompiledTree, row: Float32Array): number {
  let nid = 0;
  while (t.left[nid] !== -1) {
    const x = row[t.feature[nid]!]!;
    const goLeft = Number.isNaN(x) ? t.defaultLeft[nid] === 1 : x < t.value[nid]!;
    nid = goLeft ? t.left[nid]! : t.right[nid]!;
  }
  return nid;
}

/** The raw margin (log-odds), accumulated in float32 in tree order like XGBoost. */
export function xgboostMargin(m: XgboostModel, row: Float32Array): number {
  let margin = m.baseMargin;
  for (const t of m.trees) margin = f32(margin + t.value[leafIndex(t, row)]!);
  return margin;
}

/** XGBoost's approximate contributions per feature index (float32), plus the bias. */
export function xgboostApproxContributions(m: XgboostModel, row: Float32Array): { perFeature: number[]; bias: number } | undefined {
  const contribs = new Array<number>(m.features.length).fill(0);
  let bias = 0;
  for (const t of m.trees) {
    if (!t.mean) return undefined;
    const tree = new Array<number>(m.features.length).fill(0);
    let nodeValue = t.mean[0]!;
    bias = f32(bias + nodeValue);
    let nid = 0;
    let split = 0;
    if (t.left[0] === -1) continue;
    while (t.left[nid] !== -1) {
      split = t.feature[nid]!;
      const x = row[split]!;
      nid = (Number.isNaN(x) ? t.defaultLeft[nid] === 1 : x < t.value[nid]!) ? t.left[nid]! : t.right[nid]!;
      const next = t.mean[nid]!;
      tree[split] = f32(tree[split]! + f32(next - nodeValue));
      nodeValue = next;
    }
    tree[split] = f32(tree[split]! + f32(t.value[nid]! - nodeValue));
    for (let j = 0; j < tree.length; j++) contribs[j] = f32(contribs[j]! + tree[j]!);
  }
  return { perFeature: contribs, bias: f32(bias + m.baseMargin) };
}

/** XGBoost's float32 sigmoid. */
export function sigmoid32(margin: number): number {
  return f32(1 / f32(1 + f32(Math.exp(-margin))));
}

export function scoreXgboost(m: XgboostModel, v: FeatureVector): ScoreOutput {
  const row = toFloat32Row(m, v);
  const probability = sigmoid32(xgboostMargin(m, row));
  const c = xgboostApproxContributions(m, row);
  if (!c) return { probability };
  return { probability, contributions: c.perFeature.map((contribution, j) => ({ feature: m.features[j] as FeatureName, contribution })) };
}

export function createXgboostScorer(m: XgboostModel, sha256: string): Scorer {
  return {
    modelId: m.modelId,
    version: m.version,
    sha256,
    format: 'xgboost-json',
    featureSetVersion: m.featureSetVersion,
    score: async (batch) => batch.map((v) => scoreXgboost(m, v)),
  };
}
