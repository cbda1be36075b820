/**
 * Real Chromium for tests: Debian's /usr/bin/chromium driven by playwright-core,
 * optionally with the built extension (dist/) loaded.
 */
import { chromium, type BrowserContext, type Worker } from 'playwright-core';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { BASE_ARGS, extensionDir, findChrome, IGNORED_DEFAULT_ARGS } from '../../src/cli/browser.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The built extension; RI_DIST points elsewhere (lets parallel work build to separate folders). */
export const DIST_DIR = extensionDir();

export { BASE_ARGS, findChrome };

export interface LaunchedBrowser {
  context: BrowserContext;
  /** The extension's service worker, when the extension is loaded. */
  worker: Worker | null;
  /** The extension id, when loaded. */
  extensionId: string | null;
  close(): Promise<void>;
}

/** Launch headless Chromium in a fresh profile, with or without the built extension. */
export async function launchBrowser(opts: { extension?: boolean; args?: string[] } = {}): Promise<LaunchedBrowser> {
  const withExtension = opts.extension ?? true;
  if (withExtension && !existsSync(join(DIST_DIR, 'manifest.json'))) {
    throw new Error(`Built extension not found in ${DIST_DIR}: run \`npm run build\` first`);
  }
  const profile = mkdtempSync(join(tmpdir(), 'ri-profile-'));
  const args = [...BASE_ARGS, ...(opts.args ?? [])];
  if (withExtension) args.push(`--disable-extensions-except=${DIST_DIR}`, `--load-extension=${DIST_DIR}`);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: findChrome(),
    headless: true,
    // The back/forward cache stays on, as in the browser users have.
    ignoreDefaultArgs: IGNORED_DEFAULT_ARGS,
    args,
  });
  let worker: Worker | null = null;
  let extensionId: string | null = null;
  if (withExtension) {
    worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
    extensionId = new URL(worker.url()).host;
  }
  return {
    context,
    worker,
    extensionId,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
