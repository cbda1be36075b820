/**
 * The set-up most browser tests share: the local test server and one Chromium with the
 * BUILT extension (RI_DIST), started before the file's tests and closed after them.
 * `browser` and `server` are live bindings: read them inside tests and hooks.
 */
import { afterAll, beforeAll } from 'vitest';
import { launchBrowser, type LaunchedBrowser } from '../../support/browser.ts';
import { installCollector } from './capture.ts';
import { startServer, type TestServer } from './server.ts';

export let browser: LaunchedBrowser;
export let server: TestServer;

/**
 * Register the file's set-up. `collector`: read the hooks' own bridge events in the page
 * world (capture.ts); `prepare`: pages to add to the server before the browser starts.
 */
export function useBrowserAndServer(opts: { collector?: boolean; prepare?: (server: TestServer) => void } = {}): void {
  beforeAll(async () => {
    server = await startServer();
    opts.prepare?.(server);
    browser = await launchBrowser({ extension: true });
    if (opts.collector) await installCollector(browser.context);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
}
