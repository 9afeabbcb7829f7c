/**
 * `npm run bench [-- --json] [-- --only ingest,serve] [-- --records N]`
 *
 * Benchmarks are named sections in one registry, so a new concern adds one file exporting a
 * BenchSection and one line below. Each section prints human figures to stderr and returns its
 * figures; with --json the last stdout line is `{ "<section>": { ...figures }, ... }`.
 * Sections use their own database (`scoreflow_bench` unless BENCH_DATABASE_URL says otherwise).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ingestSection } from './bench-ingest.ts';
import { eventsSection, serveSection } from './bench-serve.ts';
import { cycleSection, scaleOutSection, scoringSection } from './bench-cycle.ts';
import { cliSection } from './bench-cli.ts';

import type { BenchContext, BenchSection } from './section.ts';

/** The registry: add a section here (serve, events, ...). Order is run order. */
export const sections: BenchSection[] = [cliSection, ingestSection, serveSection, eventsSection, scoringSection, cycleSection, scaleOutSection];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      only: { type: 'string' },
      records: { type: 'string' },
      list: { type: 'boolean', default: false },
    },
    allowPositionals: false,
  });
  const log = (line: string) => process.stderr.write(`${line}\n`);
  if (values.list) {
    for (const s of sections) log(`${s.name}\t${s.description}`);
    return;
  }
  const wanted = values.only ? values.only.split(',').map((s) => s.trim()) : sections.map((s) => s.name);
  const unknown = wanted.filter((w) => !sections.some((s) => s.name === w));
  if (unknown.length) throw new Error(`unknown bench section(s) ${unknown.join(', ')}; known: ${sections.map((s) => s.name).join(', ')}`);
  const records = values.records ? Number(values.records) : 1_000_000;
  if (!Number.isInteger(records) || records <= 0) throw new Error(`--records must be a positive integer, got ${values.records}`);
  const ctx: BenchContext = {
    databaseUrl: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/scoreflow_bench',
    records,
    cacheDir: process.env.BENCH_CACHE_DIR ?? join(tmpdir(), 'scoreflow-bench'),
    log,
  };
  const out: Record<string, Record<string, number>> = {};
  for (const s of sections.filter((x) => wanted.includes(x.name))) {
    log(`\n== ${s.name}: ${s.description}`);
    out[s.name] = await s.run(ctx);
  }
  if (values.json) process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
