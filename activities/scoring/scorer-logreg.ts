/**
 * Logistic regression scorer for `logreg-json` artifacts. Pure.
 * x_j = the feature, or the declared imputation when null (0 when none is declared);
 * z_j = (x_j − mean_j) / std_j when the artifact declares standardisation, else x_j;
 * logit = intercept + Σ coef_j · z_j; probability = 1 / (1 + e^−logit).
 * Contributions are coef_j · z_j (log-odds, on the model's input scale): they sum to logit − intercept.
 */
import { FEATURE_NAMES, type FeatureName, type FeatureVector } from '../../contracts/feature-set.ts';
import { LogregArtifact, featureNamesFor } from '../../contracts/model-artifact.ts';
import { InvalidArtifactError, checkFeatureOrder, describeIssues, parseArtifactJson, type ScoreOutput, type Scorer } from './scorer.ts';

export function parseLogregArtifact(bytes: Uint8Array): LogregArtifact {
  const parsed = LogregArtifact.safeParse(parseArtifactJson(bytes, 'logreg-json'));
  if (!parsed.success) throw new InvalidArtifactError('logreg-json', `does not match the schema: ${describeIssues(parsed.error.issues)}`);
  const a = parsed.data;
  checkFeatureOrder('logreg-json', a.feature_set_version, a.features, featureNamesFor(a.feature_set_version));
  return a;
}

/** 1 / (1 + e^−z), as scipy's expit computes it (e^−z overflowing to Infinity gives 0, never NaN). */
export function logistic(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

export function scoreLogreg(a: LogregArtifact, v: FeatureVector): ScoreOutput {
  let logit = a.intercept;
  const contributions = a.features.map((f, j) => {
    const raw = v[f as FeatureName];
    const x = raw ?? a.imputation?.[f] ?? 0;
    const z = a.standardization ? (x - a.standardization.mean[j]!) / a.standardization.std[j]! : x;
    const c = a.coefficients[j]! * z;
    logit += c;
    return { feature: f as FeatureName, contribution: c };
  });
  return { probability: logistic(logit), contributions };
}

export function createLogregScorer(a: LogregArtifact, sha256: string): Scorer {
  if (a.features.some((f) => !(FEATURE_NAMES as readonly string[]).includes(f))) {
    throw new InvalidArtifactError('logreg-json', 'names features outside the feature set');
  }
  return {
    modelId: a.model_id,
    version: a.version,
    sha256,
    format: 'logreg-json',
    featureSetVersion: a.feature_set_version,
    score: async (batch) => batch.map((v) => scoreLogreg(a, v)),
  };
}
