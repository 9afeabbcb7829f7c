/**
 * Coverage simulation for the lift intervals: how often the 95% intervals of lift.ts contain the
 * true effect. Usage: node --import tsx tools/lift-coverage.ts [--runs 600] [--seed N] [--json]
 *
 * Two kinds of run, cycled so every kind gets the same share of the runs:
 *
 * 1. Generator runs use the sample feed generator's own visitors (tools/feed-generator/visitor-profile.ts,
 *    a fresh population per run from a derived generator seed) and its own outcome rule, the one
 *    generateFollowUp writes into the follow-up delivery: a visitor converts when its fixed horizon
 *    draw < clamp(true propensity + effect if treated, 0, 1). The arm comes from assignArm with a
 *    per-run experiment key. The truth is known exactly for the run's population: with
 *    qᵢ = clamp(pᵢ + δ, 0, 1), absolute = mean(qᵢ − pᵢ) and relative = Σqᵢ / Σpᵢ − 1 (the expected
 *    treatment and control rates of these visitors). The Wald variance targets this finite-population
 *    effect up to the variance of the individual effects over N, which is negligible here.
 *
 * 2. Beta runs, with every visitor's propensity drawn from a Beta population:
 *  - every visitor's conversion propensity is drawn from Beta(a, b), mean μ = a / (a + b);
 *  - the arm comes from assignArm(visitorId, per-run experiment key, control share);
 *  - treatment raises a visitor's propensity p to p + δ(1 − p) (never above 1); control keeps p;
 *  - conversion is Bernoulli(propensity); then liftFromCounts gives the intervals.
 *
 * The estimand. Visitors are independent draws from the Beta population and assignment depends
 * only on the id hash, so a control visitor converts with probability πC = E[p] = μ and a treatment
 * visitor with πT = E[p + δ(1 − p)] = μ + δ(1 − μ), independently. Arm counts are therefore
 * Binomial(n, π) and E[p̂T − p̂C] = πT − πC: the interval's target is
 *   absolute: πT − πC = δ(1 − μ),    relative: πT / πC − 1 = δ(1 − μ) / μ,
 * which is what coverage is measured against (not the effect on the particular visitors drawn).
 *
 * Runs cycle through the scenarios (Beta: holdout 10–50%, base rates 2–30%, a null effect;
 * generator: a 10% holdout with +2 pp and a null 50/50 split), each run with its own seed, so the
 * figure covers small-control holdouts as well as balanced splits.
 * Exit code 1 when a coverage figure falls outside 93–97%.
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { assignArm, type Arm } from '../activities/measurement/holdout.ts';
import { visitorProfile } from './feed-generator/visitor-profile.ts';
import { liftFromCounts } from '../activities/measurement/lift.ts';
import { createRandom, deriveSeed } from './feed-generator/seeded-random.ts';

export interface CoverageScenario {
  kind?: 'beta';
  name: string;
  visitors: number;
  controlShare: number;
  /** Beta(a, b) propensities. */
  a: number;
  b: number;
  /** Treatment moves p to p + effect·(1 − p). */
  effect: number;
}

/** A run on the generator's visitors: `visitors` profiles from a fresh generator seed. */
export interface GeneratorScenario {
  kind: 'generator';
  name: string;
  visitors: number;
  controlShare: number;
  /** Absolute treatment effect on the purchase probability, as generateFeed/generateFollowUp's treatmentEffect. */
  effect: number;
}

export const GENERATOR_SCENARIOS: readonly GeneratorScenario[] = [
  { kind: 'generator', name: 'generator visitors, 10% holdout, +2 pp', visitors: 20_000, controlShare: 0.1, effect: 0.02 },
  { kind: 'generator', name: 'generator visitors, 50/50, no effect', visitors: 6_000, controlShare: 0.5, effect: 0 },
];

export const BETA_SCENARIOS: readonly CoverageScenario[] = [
  { name: '10% holdout, 5% base rate', visitors: 20_000, controlShare: 0.1, a: 2, b: 38, effect: 0.01 },
  { name: '20% holdout, 10% base rate', visitors: 10_000, controlShare: 0.2, a: 1, b: 9, effect: 0.02 },
  { name: '10% holdout, 2% base rate', visitors: 30_000, controlShare: 0.1, a: 0.5, b: 24.5, effect: 0.005 },
  { name: '50/50, 30% base rate, no effect', visitors: 6_000, controlShare: 0.5, a: 3, b: 7, effect: 0 },
];

export const SCENARIOS: readonly (CoverageScenario | GeneratorScenario)[] = [...BETA_SCENARIOS, ...GENERATOR_SCENARIOS];

/** The generator's outcome rule (generateFollowUp): converts when the fixed draw < clamp(p + effect). */
export function generatorConverts(visitor: { propensity: number; horizonDraw: number }, arm: Arm, effect: number): boolean {
  const applied = Math.min(1, Math.max(0, visitor.propensity + (arm === 'treatment' ? effect : 0)));
  return visitor.horizonDraw < applied;
}

/** The exact effect for a population of true propensities under an absolute effect δ (see the header). */
export function generatorTrueEffects(propensities: readonly number[], effect: number): { absolute: number; relative: number } {
  let sumP = 0;
  let sumQ = 0;
  for (const p of propensities) {
    sumP += p;
    sumQ += Math.min(1, Math.max(0, p + effect));
  }
  return { absolute: (sumQ - sumP) / propensities.length, relative: sumQ / sumP - 1 };
}

const GENERATOR_PROFILE = { days: 3, startEpoch: Date.UTC(2026, 10, 1) / 1000, drift: 'none' as const };

/** One generator run: counts per arm and the run's true effects. */
export function generatorRun(scenario: GeneratorScenario, generatorSeed: number, experimentKey: string) {
  const counts = { control: { n: 0, conversions: 0 }, treatment: { n: 0, conversions: 0 } };
  const propensities: number[] = [];
  for (let i = 0; i < scenario.visitors; i++) {
    const v = visitorProfile({ seed: generatorSeed, ...GENERATOR_PROFILE }, i);
    propensities.push(v.propensity);
    const arm = assignArm(v.entityId, experimentKey, scenario.controlShare);
    counts[arm].n += 1;
    if (generatorConverts(v, arm, scenario.effect)) counts[arm].conversions += 1;
  }
  return { counts, truth: generatorTrueEffects(propensities, scenario.effect) };
}

/** One Beta run: counts per arm (the truth is `trueEffects(scenario)`). */
function betaRun(scenario: CoverageScenario, runSeed: number, run: number, experimentKey: string) {
  const rng = createRandom(runSeed);
  const counts = { control: { n: 0, conversions: 0 }, treatment: { n: 0, conversions: 0 } };
  for (let i = 0; i < scenario.visitors; i++) {
    const p = rng.beta(scenario.a, scenario.b);
    const arm = assignArm(`visitor-${run}-${i}`, experimentKey, scenario.controlShare);
    const propensity = arm === 'treatment' ? p + scenario.effect * (1 - p) : p;
    const armCounts = counts[arm];
    armCounts.n += 1;
    if (rng.bernoulli(propensity)) armCounts.conversions += 1;
  }
  return { counts, truth: trueEffects(scenario) };
}

/** The estimand of run with this scenario: πT − πC and πT / πC − 1 (see the header). */
export function trueEffects(scenario: CoverageScenario): { absolute: number; relative: number } {
  const mu = scenario.a / (scenario.a + scenario.b);
  const absolute = scenario.effect * (1 - mu);
  return { absolute, relative: absolute / mu };
}

export interface CoverageReport {
  runs: number;
  /** Runs that produced intervals (the rest were insufficient_data and are not counted). */
  evaluatedRuns: number;
  insufficientRuns: number;
  coverageAbsolute: number;
  coverageRelative: number;
  perScenario: { name: string; runs: number; coverageAbsolute: number; coverageRelative: number }[];
}

export function simulateLiftCoverage(options: { runs: number; seed: number; confidence?: number }): CoverageReport {
  const confidence = options.confidence ?? 0.95;
  const tallies = SCENARIOS.map((s) => ({ name: s.name, runs: 0, absolute: 0, relative: 0 }));
  let insufficientRuns = 0;

  for (let run = 0; run < options.runs; run++) {
    const scenarioIndex = run % SCENARIOS.length;
    const scenario = SCENARIOS[scenarioIndex]!;
    const tally = tallies[scenarioIndex]!;
    const runSeed = deriveSeed(options.seed, run);
    const experimentKey = `coverage-${options.seed}-${run}`;
    const { counts, truth } = scenario.kind === 'generator' ? generatorRun(scenario, runSeed, experimentKey) : betaRun(scenario, runSeed, run, experimentKey);

    const result = liftFromCounts({ ...counts, confidence });
    if (result.status !== 'ok') {
      insufficientRuns += 1;
      continue;
    }
    tally.runs += 1;
    if (result.absoluteLift.ci.lower <= truth.absolute && truth.absolute <= result.absoluteLift.ci.upper) tally.absolute += 1;
    if (result.relativeLift.ci.lower <= truth.relative && truth.relative <= result.relativeLift.ci.upper) tally.relative += 1;
  }

  const evaluatedRuns = tallies.reduce((sum, t) => sum + t.runs, 0);
  const covered = (key: 'absolute' | 'relative'): number =>
    evaluatedRuns === 0 ? 0 : tallies.reduce((sum, t) => sum + t[key], 0) / evaluatedRuns;
  return {
    runs: options.runs,
    evaluatedRuns,
    insufficientRuns,
    coverageAbsolute: covered('absolute'),
    coverageRelative: covered('relative'),
    perScenario: tallies.map((t) => ({
      name: t.name,
      runs: t.runs,
      coverageAbsolute: t.runs === 0 ? 0 : t.absolute / t.runs,
      coverageRelative: t.runs === 0 ? 0 : t.relative / t.runs,
    })),
  };
}

/** Wilson 95% interval for a coverage proportion: the Monte Carlo uncertainty of the figure. */
function wilson(proportion: number, n: number): [number, number] {
  const z = 1.959963984540054;
  const centre = (proportion + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = (z / (1 + (z * z) / n)) * Math.sqrt((proportion * (1 - proportion)) / n + (z * z) / (4 * n * n));
  return [centre - half, centre + half];
}

function main(): void {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '600' },
      seed: { type: 'string', default: '20240601' },
      json: { type: 'boolean', default: false },
    },
  });
  const runs = Number(values.runs);
  const seed = Number(values.seed);
  if (!Number.isSafeInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got "${values.runs}".`);
  if (!Number.isSafeInteger(seed)) throw new Error(`--seed must be an integer, got "${values.seed}".`);

  const started = Date.now();
  const report = simulateLiftCoverage({ runs, seed });
  const seconds = (Date.now() - started) / 1000;
  const pctText = (x: number) => `${(x * 100).toFixed(1)}%`;
  const line = (label: string, value: number) => {
    const [lo, hi] = wilson(value, report.evaluatedRuns);
    return `${label} ${pctText(value)} (Monte Carlo 95% interval ${pctText(lo)}–${pctText(hi)})`;
  };
  console.log(`Lift interval coverage, nominal 95%: ${report.runs} runs (${report.evaluatedRuns} evaluated, ${report.insufficientRuns} insufficient_data), seed ${seed}, ${seconds.toFixed(1)} s`);
  console.log(`  ${line('absolute lift (unpooled Wald):          ', report.coverageAbsolute)}`);
  console.log(`  ${line('relative lift (delta method, log ratio):', report.coverageRelative)}`);
  for (const s of report.perScenario) {
    console.log(`    ${s.name}: ${s.runs} runs, absolute ${pctText(s.coverageAbsolute)}, relative ${pctText(s.coverageRelative)}`);
  }
  const inTarget = (x: number) => x >= 0.93 && x <= 0.97;
  if (values.json) {
    console.log(JSON.stringify({ runs: report.runs, evaluatedRuns: report.evaluatedRuns, coverageAbsolute: report.coverageAbsolute, coverageRelative: report.coverageRelative, perScenario: report.perScenario }));
  }
  if (!inTarget(report.coverageAbsolute) || !inTarget(report.coverageRelative)) {
    console.error('Coverage is outside the 93–97% target.');
    process.exitCode = 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main();
}
