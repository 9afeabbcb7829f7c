import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    setupFiles: ['test/helpers/env.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Suites share one PostgreSQL database and one Temporal dev server; files run in parallel
    // but each suite uses its own ids, so they never collide.
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
