/**
 * Bench section `cli`: how long `scoreflow --help` takes from a shell, wall clock, as a user runs it
 * (the bin over the JavaScript build in dist/). Baselines measured in the same run:
 * - `node -e 0`: the floor, Node's own start-up;
 * - the same `--help` through tsx on the TypeScript sources, as the CLI started before it shipped
 *   JavaScript.
 * Each command runs BENCH_CLI_RUNS times (default 15), alternating, after one warm-up each; the
 * figures are medians and p90s in ms. Target: median `--help` < 500 ms.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext, BenchSection } from './section.ts';

const REPO_ROOT = join(import.meta.dirname, '..', '..');

interface Cmd {
  name: string;
  args: string[];
}

function timeOnce(cmd: Cmd): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, cmd.args, { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd.name} exited with ${r.status}: ${r.stderr.toString().slice(0, 500)}`);
  return ms;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

export const cliSection: BenchSection = {
  name: 'cli',
  description: '`scoreflow --help` wall time vs bare Node start-up and vs the tsx sources',
  async run(ctx: BenchContext) {
    if (!existsSync(join(REPO_ROOT, 'dist', 'cli', 'main.js'))) throw new Error('no JavaScript build in dist/: run `npm run build` first');
    const runs = Number(process.env.BENCH_CLI_RUNS ?? 15);
    const cmds: Cmd[] = [
      { name: 'node', args: ['-e', '0'] },
      { name: 'help', args: [join(REPO_ROOT, 'bin', 'scoreflow.js'), '--help'] },
      { name: 'tsx', args: ['--import', 'tsx', join(REPO_ROOT, 'cli', 'main.ts'), '--help'] },
    ];
    const times: Record<string, number[]> = { node: [], help: [], tsx: [] };
    for (const c of cmds) timeOnce(c); // warm the file cache
    for (let i = 0; i < runs; i++) for (const c of cmds) times[c.name]!.push(timeOnce(c));
    const median = (n: string) => quantile(times[n]!, 0.5);
    const out = {
      helpMedianMs: median('help'),
      helpP90Ms: quantile(times.help!, 0.9),
      nodeStartMedianMs: median('node'),
      tsxHelpMedianMs: median('tsx'),
      helpOverNodeStart: median('help') / median('node'),
      tsxOverHelp: median('tsx') / median('help'),
      runs,
    };
    ctx.log(
      `scoreflow --help: median ${out.helpMedianMs.toFixed(0)} ms, p90 ${out.helpP90Ms.toFixed(0)} ms (target < 500 ms) | ` +
        `node -e 0: ${out.nodeStartMedianMs.toFixed(0)} ms (×${out.helpOverNodeStart.toFixed(2)}) | ` +
        `through tsx: ${out.tsxHelpMedianMs.toFixed(0)} ms (${out.tsxOverHelp.toFixed(1)}× slower) | ${runs} runs each`,
    );
    return out;
  },
};
