/**
 * Pure decision logic: from a visitor's probability and features to segment, eligibility,
 * top-N recommendations, rationale codes and confidence. Deterministic, unit-tested, no I/O.
 */
import type { FeatureName } from '../../contracts/feature-set.ts';
import type { ConsentPurpose } from '../../contracts/canonical-record.ts';

export interface SegmentRule {
  id: string;
  minScore: number;
}

export interface DecisionConfig {
  segments: SegmentRule[];
  eligibility: { minScore: number; requireConsent: ConsentPurpose };
  topN: number;
}

export interface Contribution {
  feature: FeatureName | string;
  contribution: number;
}

export interface Decision {
  segment: { id: string; rule: string };
  eligible: boolean;
  ineligibleReasons: string[];
  recommendations: { item_id: string; kind: 'category'; score: number; rationale_codes: string[] }[];
  rationaleCodes: string[];
  topFeatures: Contribution[];
  confidence: number;
}

/** The highest threshold the score reaches wins; rules are evaluated from the highest minScore down. */
export function assignSegment(score: number, rules: SegmentRule[]): { id: string; rule: string } {
  const ordered = [...rules].sort((a, b) => b.minScore - a.minScore);
  for (const r of ordered) {
    if (score >= r.minScore) return { id: r.id, rule: `score >= ${r.minScore}` };
  }
  const lowest = ordered[ordered.length - 1];
  if (!lowest) throw new Error('no segment rules declared');
  return { id: lowest.id, rule: `score >= ${lowest.minScore}` };
}

/**
 * Confidence: how decisive the probability is, 1 − H(p) with H the binary entropy in bits.
 * 0.5 gives 0; 0 or 1 gives 1.
 */
export function confidenceOf(p: number): number {
  if (p <= 0 || p >= 1) return 1;
  const h = -(p * Math.log2(p) + (1 - p) * Math.log2(1 - p));
  return Math.round((1 - h) * 1e6) / 1e6;
}

/** Parses a consent column value such as "analytics|personalization" into per-purpose flags. */
export function parseConsent(value: string | null, separator = '|'): Record<ConsentPurpose, boolean> {
  const granted = new Set((value ?? '').split(separator).map((s) => s.trim().toLowerCase()).filter(Boolean));
  return {
    analytics: granted.has('analytics'),
    personalization: granted.has('personalization'),
    advertising: granted.has('advertising'),
    email: granted.has('email'),
  };
}

/** Rationale codes name the strongest contributions and their direction, e.g. "cart_adds_up". */
export function rationaleFrom(contributions: Contribution[], max = 3): { codes: string[]; top: Contribution[] } {
  const top = [...contributions]
    .filter((c) => Number.isFinite(c.contribution) && c.contribution !== 0)
    .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution) || String(a.feature).localeCompare(String(b.feature)))
    .slice(0, max)
    .map((c) => ({ feature: c.feature, contribution: Math.round(c.contribution * 1e6) / 1e6 }));
  return { codes: top.map((c) => `${c.feature}_${c.contribution > 0 ? 'up' : 'down'}`), top };
}

export function recommendCategories(affinity: Record<string, number>, probability: number, topN: number): Decision['recommendations'] {
  return Object.entries(affinity)
    .filter(([, share]) => share > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, topN)
    .map(([category, share], i) => ({
      item_id: category,
      kind: 'category' as const,
      score: Math.round(Math.min(1, share * (0.5 + probability / 2)) * 1e6) / 1e6,
      rationale_codes: [i === 0 ? 'top_category_affinity' : 'category_affinity'],
    }));
}

export function decide(
  probability: number,
  contributions: Contribution[],
  affinity: Record<string, number>,
  consent: Record<ConsentPurpose, boolean>,
  config: DecisionConfig,
): Decision {
  const segment = assignSegment(probability, config.segments);
  const reasons: string[] = [];
  if (probability < config.eligibility.minScore) reasons.push('below_min_score');
  if (!consent[config.eligibility.requireConsent]) reasons.push(`no_consent_${config.eligibility.requireConsent}`);
  const { codes, top } = rationaleFrom(contributions);
  return {
    segment,
    eligible: reasons.length === 0,
    ineligibleReasons: reasons,
    recommendations: recommendCategories(affinity, probability, config.topN),
    rationaleCodes: codes,
    topFeatures: top,
    confidence: confidenceOf(probability),
  };
}
