import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Browser and e2e suites each launch Chromium; two cores do not gain from more.
    maxWorkers: 2,
    // A test that fails runs once more, from its own set-up; failing twice fails. The suite runs real
    // browsers, servers and timers two at a time on two cores, and on fresh clones (2026-12-06) four
    // full runs each failed one or two different tests on a late timer or a crashed renderer, every
    // one of which passed alone (README, Known limitations, lists them).
    retry: 1,
    // The JSON file is what .ci/run tallies into its closing "N passed, N failed" line.
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});
