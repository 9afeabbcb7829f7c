/**
 * Gate thresholds for one pipeline: the `gates:` block of a pipeline file. Every gate has a warn and
 * a fail threshold and can be switched off. Omitted gates and fields take the defaults below, so
 * `GateConfig.parse({})` is a complete, sane config.
 *
 * Direction: most gates fail when the measured value rises ABOVE the threshold (PSI, null rate,
 * share of bad rows). `collapse.minStdDev` and `collapse.minDistinct` fail when the value falls
 * BELOW it. Comparisons are strict: a value equal to a threshold does not cross it.
 */
import { z } from 'zod';
import { FEATURE_NAMES } from './feature-set.ts';

export type ThresholdDirection = 'above' | 'below';

function threshold(warnAt: number, failAt: number, direction: ThresholdDirection = 'above') {
  return z
    .object({
      enabled: z.boolean().default(true),
      warnAt: z.number().finite().default(warnAt),
      failAt: z.number().finite().default(failAt),
    })
    .refine((t) => (direction === 'above' ? t.warnAt <= t.failAt : t.warnAt >= t.failAt), {
      message:
        direction === 'above'
          ? 'warnAt must not exceed failAt (this gate fails when the value rises above failAt)'
          : 'warnAt must not be below failAt (this gate fails when the value falls below failAt)',
    })
    .prefault({});
}

const Share = z.number().min(0).max(1);

export const PsiOptions = z.object({
  /** Quantile bins fixed from the baseline (10 = deciles). */
  bins: z.number().int().min(2).max(100).default(10),
  /** Floor for an empty bin's share, so the log term stays finite. */
  epsilon: z.number().positive().max(0.01).default(1e-4),
});

export const GateConfig = z.object({
  /** Columns the scored rows must carry (feature names; present in at least one staged row). */
  requiredColumns: z
    .object({
      enabled: z.boolean().default(true),
      columns: z.array(z.string().min(1)).default([...FEATURE_NAMES]),
      /** Number of missing required columns that warns / fails. */
      warnAt: z.number().int().min(0).default(0),
      failAt: z.number().int().min(0).default(0),
    })
    .prefault({}),
  /** Share of null (or NaN) values per feature. `perFeature` overrides the default per feature name. */
  featureNullRate: z
    .object({
      enabled: z.boolean().default(true),
      features: z.array(z.string().min(1)).default([...FEATURE_NAMES]),
      warnAt: Share.default(0.2),
      failAt: Share.default(0.5),
      perFeature: z.record(z.string(), z.object({ warnAt: Share, failAt: Share })).default({}),
    })
    .prefault({}),
  /** Share of scores outside [min, max] or not finite. */
  scoreRange: z
    .object({
      enabled: z.boolean().default(true),
      min: z.number().default(0),
      max: z.number().default(1),
      warnAt: Share.default(0),
      failAt: Share.default(0),
    })
    .refine((s) => s.min < s.max, { message: 'scoreRange.min must be below scoreRange.max' })
    .prefault({}),
  /** A model that collapsed gives (nearly) the same score to everyone. */
  collapse: z
    .object({
      /** Share of the single most common score (rounded to 6 decimals). */
      topValueShare: threshold(0.8, 0.95),
      /** Population standard deviation of the scores. */
      minStdDev: threshold(0.02, 0.005, 'below'),
      /** Number of distinct scores (rounded to 6 decimals). */
      minDistinct: threshold(20, 5, 'below'),
      /** Share of scores sitting at exactly 0 or 1 (within 1e-9). */
      massAtBounds: threshold(0.2, 0.5),
    })
    .prefault({}),
  /** Population stability of the score distribution vs the baseline run. */
  scorePsi: threshold(0.1, 0.25),
  /** Population stability of each numeric feature vs the baseline run's snapshot. */
  featurePsi: z
    .object({
      enabled: z.boolean().default(true),
      features: z.array(z.string().min(1)).default([...FEATURE_NAMES]),
      warnAt: z.number().min(0).default(0.1),
      failAt: z.number().min(0).default(0.25),
    })
    .prefault({}),
  psi: PsiOptions.prefault({}),
  /** Jensen–Shannon distance (base 2, in [0, 1]) of categorical outputs (segment, eligibility) vs baseline. */
  categoricalJsd: threshold(0.1, 0.2),
  /** |current - previous| / previous of the number of scored entities. */
  volumeChange: threshold(0.3, 0.6),
  /** Hours since the latest hit in the feed the run was built from. */
  feedFreshness: threshold(24, 48),
  /** Share of rows a destination's dry run (transform + validate) refused. */
  destinationDryRun: threshold(0, 0.01),
  /** Share of entities quarantined at a contract boundary in this run. */
  contractViolations: threshold(0.001, 0.01),
  /** Relative decline of a destination's match rate vs its trailing average: (avg - current) / avg. */
  matchRateDecline: threshold(0.1, 0.25),
  /** Relative decline of a destination's acceptance rate vs its trailing average. */
  acceptanceDecline: threshold(0.1, 0.25),
  /** How many earlier runs form the trailing average for activation drift. */
  driftWindow: z.number().int().min(1).max(100).default(5),
});
export type GateConfig = z.infer<typeof GateConfig>;
export type GateConfigInput = z.input<typeof GateConfig>;


/**
 * What changes for a cycle scored by the rules fallback: a rules policy maps a few conditions to a
 * few scores (the shipped one gives 4), so "few distinct scores" and "low spread" are its nature, not
 * a collapse. It still fails when it gives everyone the same score. Everything else (freshness,
 * nulls, range, PSI against the last rules cycle, volume, contracts) is judged as for a model.
 */
export const RULES_GATE_DEFAULTS = {
  collapse: {
    minDistinct: { warnAt: 2, failAt: 2 },
    minStdDev: { warnAt: 0.005, failAt: 0.001 },
    topValueShare: { warnAt: 0.9, failAt: 0.99 },
  },
} as const;

type Plain = Record<string, unknown>;
const isPlain = (x: unknown): x is Plain => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Deep merge of gate blocks, later wins; arrays and scalars replace. */
export function mergeGateBlocks(...blocks: unknown[]): Plain {
  const out: Plain = {};
  for (const b of blocks) {
    if (!isPlain(b)) continue;
    for (const [k, v] of Object.entries(b)) out[k] = isPlain(v) && isPlain(out[k]) ? mergeGateBlocks(out[k], v) : v;
  }
  return out;
}

/** The gate block a cycle is judged by: the pipeline's `gates:`, and for the rules policy the rules defaults and `rulesGates:` over it. */
export function gateBlockFor(policy: 'model' | 'rules', gates: unknown, rulesGates: unknown): Plain {
  return policy === 'rules' ? mergeGateBlocks(gates, RULES_GATE_DEFAULTS, rulesGates) : mergeGateBlocks(gates);
}
