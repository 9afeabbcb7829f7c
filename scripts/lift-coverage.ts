/**
 * Coverage simulation for the lift intervals: how often the 95% intervals of lift.ts contain the
 * true effect. Usage: node --import tsx scripts/lift-coverage.ts [--runs 400] [--seed N] [--json]
 *
 * Each run is one experiment with fresh visitors:
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
 * Runs cycle through a few scenarios (holdout 10–50%, base rates 2–30%, a null effect), each run
 * with its own seed, so the figure covers small-control holdouts as well as balanced splits.
 * Exit code 1 when a coverage figure falls outside 93–97%.
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { assignArm } from '../activities/measurement/holdout.ts';
import { liftFromCounts } from '../activities/measurement/lift.ts';
import { createRandom, deriveSeed } from './seeded-random.ts';

export interface CoverageScenario {
  name: string;
  visitors: number;
  controlShare: number;
  /** Beta(a, b) propensities. */
  a: number;
  b: number;
  /** Treatment moves p to p + effect·(1 − p). */
  effect: number;
}

export const SCENARIOS: readonly CoverageScenario[] = [
  { name: '10% holdout, 5% base rate', visitors: 20_000, controlShare: 0.1, a: 2, b: 38, effect: 0.01 },
  { name: '20% holdout, 10% base rate', visitors: 10_000, controlShare: 0.2, a: 1, b: 9, effect: 0.02 },
  { name: '10% holdout, 2% base rate', visitors: 30_000, controlShare: 0.1, a: 0.5, b: 24.5, effect: 0.005 },
  { name: '50/50, 30% base rate, no effect', visitors: 6_000, controlShare: 0.5, a: 3, b: 7, effect: 0 },
];

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
    const rng = createRandom(deriveSeed(options.seed, run));
    const experimentKey = `coverage-${options.seed}-${run}`;
    const counts = { control: { n: 0, conversions: 0 }, treatment: { n: 0, conversions: 0 } };
    for (let i = 0; i < scenario.visitors; i++) {
      const p = rng.beta(scenario.a, scenario.b);
      const arm = assignArm(`visitor-${run}-${i}`, experimentKey, scenario.controlShare);
      const propensity = arm === 'treatment' ? p + scenario.effect * (1 - p) : p;
      const armCounts = counts[arm];
      armCounts.n += 1;
      if (rng.bernoulli(propensity)) armCounts.conversions += 1;
    }

    const result = liftFromCounts({ ...counts, confidence });
    if (result.status !== 'ok') {
      insufficientRuns += 1;
      continue;
    }
    const truth = trueEffects(scenario);
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
      runs: { type: 'string', default: '400' },
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
    console.log(JSON.stringify({ runs: report.runs, coverageAbsolute: report.coverageAbsolute, coverageRelative: report.coverageRelative }));
  }
  if (!inTarget(report.coverageAbsolute) || !inTarget(report.coverageRelative)) {
    console.error('Coverage is outside the 93–97% target.');
    process.exitCode = 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main();
}
