/** What a bench section is and what it is given (tools/bench/bench.ts runs the registry of them). */
export interface BenchContext {
  /** postgres URL of the bench database (created and migrated by the section that needs it). */
  databaseUrl: string;
  /** Records for data-size driven sections (ingest, cycle, scaleOut: ≥ 1M hits by default). */
  records: number;
  /** Where sections keep generated inputs between runs. */
  cacheDir: string;
  log(line: string): void;
}

export interface BenchSection {
  name: string;
  description: string;
  run(ctx: BenchContext): Promise<Record<string, number>>;
}
