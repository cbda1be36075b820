/**
 * The sample suite of `realtime-inspector/playwright` (README, "Playwright"), run
 * against the demo lab, which global-setup.ts starts on a free port of 127.0.0.1.
 *
 *   npx playwright test -c examples/playwright                 the suite (green)
 *   RI_DELIBERATE_FAILURE=1 npx playwright test -c examples/playwright --project=deliberate-failure
 *                                                              the failing assertion the README quotes
 *
 * Debian's Chromium, never a downloaded browser (CHROME_PATH overrides).
 */
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: '.',
  globalSetup: './global-setup.ts',
  timeout: 60_000,
  // A real-time matcher retries on fresh reports until it passes or this runs out.
  expect: { timeout: 10_000 },
  fullyParallel: true,
  workers: 2,
  reporter: 'list',
  use: {
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic'],
    },
  },
  projects: [
    { name: 'lab', testMatch: /lab-.*\.spec\.ts/ },
    // Kept apart so that the suite itself is green: it exists to show a failure message.
    ...(process.env.RI_DELIBERATE_FAILURE ? [{ name: 'deliberate-failure', testMatch: /deliberate-failure\.spec\.ts/ }] : []),
  ],
});
