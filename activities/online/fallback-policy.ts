/**
 * The deterministic rule-based fallback of the decision API: what to answer when the online store
 * has no usable decision (missing, expired, unreadable) or cannot be reached. It evaluates the shared
 * rules policy artifact (models/rules/fallback-<version>.json, format `rules` in
 * contracts/model-artifact.ts) with the scoring registry's rules scorer: ordered rules, first match
 * wins, a condition on a missing feature is false (except `missing`). Inputs are only the real-time
 * counters at hand: counters since the last cycle (0 when never incremented) and recency from the
 * latest event; the other features are missing, and everything is missing when Redis is
 * unavailable, so the policy's default applies.
 *
 * A fallback decision never activates: without a stored blob there is no consent state.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../store/paths.ts';
import { FEATURE_NAMES, type FeatureName, type FeatureVector } from '../../contracts/feature-set.ts';
import { parseRulesPolicy, scoreRules } from '../scoring/scorer-rules.ts';
import { decisionToken } from './online-blob.ts';

export const DEFAULT_FALLBACK_POLICY_PATH = join(REPO_ROOT, 'models', 'rules', 'fallback-1.0.0.json');

export type FallbackReason = 'missing' | 'expired' | 'unreadable' | 'store_unavailable' | 'no_destination_decision';

export interface FallbackInput {
  destination: string;
  reason: FallbackReason;
  /** Features at hand; a name that is absent or null is missing. */
  features: Partial<Record<FeatureName, number | null>>;
}

export interface FallbackDecision {
  segment: string;
  /** The score the policy declares for the rule. */
  score: number;
  /** The rule that matched, or the default's id. */
  rule: string;
  /** `${model_id}@${version}` of the policy. */
  policy: string;
  decision_token: string;
}

export interface FallbackPolicy {
  readonly name: string;
  readonly version: string;
  decide(input: FallbackInput): FallbackDecision;
}

/** A fallback policy from a rules artifact's bytes (format `rules`); throws InvalidArtifactError when it is not one. */
export function createRulePolicy(bytes: Uint8Array): FallbackPolicy {
  const p = parseRulesPolicy(bytes);
  const label = `${p.model_id}@${p.version}`;
  const empty = Object.fromEntries(FEATURE_NAMES.map((n) => [n, null])) as FeatureVector;
  return {
    name: p.model_id,
    version: p.version,
    decide(input) {
      const v: FeatureVector = { ...empty };
      for (const [k, x] of Object.entries(input.features) as [FeatureName, number | null | undefined][]) if (k in v) v[k] = x ?? null;
      const out = scoreRules(p, v);
      const rule = out.ruleId ?? p.default.id;
      return { segment: out.segment ?? p.default.segment, score: out.probability, rule, policy: label, decision_token: decisionToken(['fallback', label, input.destination, rule]) };
    },
  };
}

export function loadRulePolicy(path = DEFAULT_FALLBACK_POLICY_PATH): FallbackPolicy {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new Error(`cannot read the fallback rules policy ${path}: ${(err as Error).message}; pass --fallback-policy or restore the file`);
  }
  return createRulePolicy(bytes);
}
