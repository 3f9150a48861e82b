import { defineConfig } from 'vitest/config';

/**
 * The fault simulation drives 2,000 orders through the worker and the simulator and checks they
 * converge within a bound; it runs on its own after everything else, so the other heavy files
 * (the crash matrix, the browser and benchmark runs) do not take its cores meanwhile.
 */
const ALONE = ['tests/e2e/fault-simulation.e2e.spec.ts'];

export default defineConfig({
  test: {
    globalSetup: ['tests/support/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'suite', include: ['tests/**/*.spec.ts'], exclude: ALONE, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'alone', include: ALONE, sequence: { groupOrder: 1 } } },
    ],
  },
});
