/**
 * The one interface every scorer implements, whatever the artifact format, and the error a scorer
 * raises when an artifact cannot be loaded. Types only, plus that error.
 */
import type { FeatureName, FeatureVector } from '../../contracts/feature-set.ts';
import type { ArtifactFormat } from '../../contracts/model-artifact.ts';

export interface FeatureContribution {
  feature: FeatureName;
  /** On the log-odds scale (logreg, xgboost); see each scorer for what it means. */
  contribution: number;
}

export interface ScoreOutput {
  probability: number;
  contributions?: FeatureContribution[];
  /** Rules policies only: the rule that matched and its segment. */
  ruleId?: string;
  segment?: string;
}

export interface Scorer {
  modelId: string;
  version: string;
  sha256: string;
  format: ArtifactFormat;
  featureSetVersion: string;
  /** One output per input vector, in order. */
  score(batch: FeatureVector[]): Promise<ScoreOutput[]>;
}

/** An artifact that cannot be scored: malformed, off-schema, or not fitting its feature set. Not retryable. */
export class InvalidArtifactError extends Error {
  override readonly name = 'InvalidArtifactError';
  constructor(
    readonly format: string,
    message: string,
  ) {
    super(`${format} artifact: ${message}`);
  }
}

/** Zod issues as "path: message; ..." (never values). */
export function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[], max = 5): string {
  const shown = issues.slice(0, max).map((i) => `${i.path.length ? i.path.map(String).join('.') : '(root)'}: ${i.message}`);
  return shown.join('; ') + (issues.length > max ? `; and ${issues.length - max} more` : '');
}

/** Parses artifact bytes as JSON, or explains where the JSON breaks. */
export function parseArtifactJson(bytes: Uint8Array, format: string): unknown {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InvalidArtifactError(format, `malformed JSON (${(err as Error).message}); re-export the artifact`);
  }
}

/** Checks a declared feature list against the feature set version's names, in order. */
export function checkFeatureOrder(format: string, featureSetVersion: string, declared: readonly string[], expected: readonly string[] | undefined): void {
  if (!expected) {
    throw new InvalidArtifactError(format, `feature set version ${featureSetVersion} is unknown to this build; known feature sets are listed in contracts/model-artifact.ts`);
  }
  if (declared.length !== expected.length || declared.some((f, i) => f !== expected[i])) {
    const firstDiff = declared.findIndex((f, i) => f !== expected[i]);
    throw new InvalidArtifactError(
      format,
      `declares ${declared.length} features, feature set ${featureSetVersion} has ${expected.length} (${expected.join(', ')}); ` +
        `first difference at position ${firstDiff === -1 ? declared.length : firstDiff}. Retrain on the feature set, in its order.`,
    );
  }
}
