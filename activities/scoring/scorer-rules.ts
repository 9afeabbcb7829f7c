/**
 * Rules policy scorer: ordered rules, the first whose conditions all hold gives the score and segment,
 * else the policy's default. Pure and deterministic. A comparison on a missing (null) feature is false;
 * `missing` / `present` test for null. Contributions are omitted; `ruleId` says which rule decided.
 */
import type { FeatureName, FeatureVector } from '../../contracts/feature-set.ts';
import { RulesPolicy, featureNamesFor, type RuleOp } from '../../contracts/model-artifact.ts';
import { InvalidArtifactError, describeIssues, parseArtifactJson, type ScoreOutput, type Scorer } from './scorer.ts';

export function parseRulesPolicy(bytes: Uint8Array): RulesPolicy {
  const parsed = RulesPolicy.safeParse(parseArtifactJson(bytes, 'rules'));
  if (!parsed.success) throw new InvalidArtifactError('rules', `does not match the schema: ${describeIssues(parsed.error.issues)}`);
  const p = parsed.data;
  const names = featureNamesFor(p.feature_set_version);
  if (!names) throw new InvalidArtifactError('rules', `feature set version ${p.feature_set_version} is unknown to this build`);
  p.rules.forEach((r, i) =>
    r.when.forEach((c, k) => {
      if (!names.includes(c.feature)) {
        throw new InvalidArtifactError('rules', `rules.${i}.when.${k}: "${c.feature}" is not a feature of feature set ${p.feature_set_version}`);
      }
    }),
  );
  return p;
}

export function conditionHolds(op: RuleOp, x: number | null, value: number | undefined): boolean {
  if (op === 'missing') return x === null;
  if (op === 'present') return x !== null;
  if (x === null || value === undefined) return false;
  switch (op) {
    case '<':
      return x < value;
    case '<=':
      return x <= value;
    case '>':
      return x > value;
    case '>=':
      return x >= value;
    case '==':
      return x === value;
    case '!=':
      return x !== value;
  }
}

export function scoreRules(p: RulesPolicy, v: FeatureVector): ScoreOutput {
  const hit = p.rules.find((r) => r.when.every((c) => conditionHolds(c.op, v[c.feature as FeatureName] ?? null, c.value))) ?? p.default;
  return { probability: hit.score, ruleId: hit.id, segment: hit.segment };
}

export function createRulesScorer(p: RulesPolicy, sha256: string): Scorer {
  return {
    modelId: p.model_id,
    version: p.version,
    sha256,
    format: 'rules',
    featureSetVersion: p.feature_set_version,
    score: async (batch) => batch.map((v) => scoreRules(p, v)),
  };
}
