/**
 * Chromium for the CLI: a headless (or headful) persistent context with the built
 * extension loaded, and a handle on the extension's service worker, whose
 * `self.realtimeInspector` API (src/background) the audit drives.
 */
import { chromium, type BrowserContext, type Page, type Worker } from 'playwright-core';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CaptureEvent, CaptureFile } from '../core/index.ts';
import type { FaultCommand } from '../shared/page-bridge.ts';
import { CliError, EXIT } from './audit-exit.ts';
import { WorkerCapture, type TabWorkers } from './workers.ts';

/** Repository root (src/cli → ../..). */
const ROOT = resolve(import.meta.dirname, '../..');

/** The built extension: RI_DIST, else dist/ at the repository root. */
export function extensionDir(): string {
  return resolve(process.env.RI_DIST ?? join(ROOT, 'dist'));
}

/** The Chromium binary: CHROME_PATH when set (and then only it), else the usual Debian and Google paths. */
export function findChrome(): string {
  const override = process.env.CHROME_PATH;
  if (override) {
    if (existsSync(override)) return override;
    throw new CliError(`CHROME_PATH=${override} does not exist: point it at a Chrome or Chromium binary (Debian/Ubuntu: \`apt-get install -y chromium\`) or unset it`, EXIT.unavailable);
  }
  const found = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'].find((c) => existsSync(c));
  if (!found) {
    throw new CliError('no Chrome or Chromium found: install one (Debian/Ubuntu: `apt-get install -y chromium`) or set CHROME_PATH to its binary', EXIT.unavailable);
  }
  return found;
}

/** Flags for Chromium on a machine with no network but loopback and no GPU (a CI runner, a container). */
export const BASE_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Parallel audit tabs must keep their timers running like a foreground tab.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

/**
 * Default switches of playwright-core's launcher not to pass: it switches the
 * back/forward cache off (playwright-core 1.65 src/server/chromium/chromiumSwitches.ts,
 * "--disable-back-forward-cache", so that page.goBack() reloads), but real Chrome restores
 * pages from it on every Back and Forward, and the capture must survive that.
 */
export const IGNORED_DEFAULT_ARGS = ['--disable-back-forward-cache'];

/** The background API as the audit uses it (see src/shared/messages.ts InspectorApi). */
export interface InspectorSession {
  context: BrowserContext;
  worker: Worker;
  extensionId: string;
  /** Open a new tab and return it with its Chrome tab id. */
  newTab(): Promise<{ page: Page; tabId: number }>;
  exportTab(tabId: number): Promise<CaptureFile>;
  eventCount(tabId: number): Promise<number>;
  injectFault(tabId: number, command: FaultCommand): Promise<void>;
  /**
   * Start capturing the workers of a tab's page (call before it navigates): their traffic,
   * translated from the DevTools protocol, goes into the tab's capture. Null when the
   * session was launched without workers.
   */
  captureWorkers(page: Page, tabId: number): Promise<TabWorkers | null>;
  close(): Promise<void>;
}

/** Launch Chromium with the built extension. */
export async function launchInspector(opts: { headless?: boolean; args?: string[]; workers?: boolean } = {}): Promise<InspectorSession> {
  const workers = opts.workers ?? true;
  const dist = extensionDir();
  if (!existsSync(join(dist, 'manifest.json'))) {
    throw new CliError(`the built extension is missing (${dist}/manifest.json): run \`npm run build\` first`, EXIT.unavailable);
  }
  const executablePath = findChrome();
  const profile = mkdtempSync(join(tmpdir(), 'ri-profile-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: opts.headless ?? true,
      viewport: null,
      ignoreDefaultArgs: IGNORED_DEFAULT_ARGS,
      args: [
        ...BASE_ARGS,
        ...(opts.args ?? []),
        // Worker capture's own DevTools connection (src/cli/workers.ts): an ephemeral port on 127.0.0.1, named in the profile.
        ...(workers ? ['--remote-debugging-port=0'] : []),
        `--disable-extensions-except=${dist}`,
        `--load-extension=${dist}`,
      ],
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw new CliError(`could not start ${executablePath}: ${firstLine(error)}`, EXIT.unavailable);
  }
  const worker =
    context.serviceWorkers().find((w) => w.url().startsWith('chrome-extension://')) ??
    (await context.waitForEvent('serviceworker', { timeout: 15_000 }).catch(() => null));
  if (!worker) {
    await context.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
    throw new CliError(`the extension in ${dist} did not start its service worker`, EXIT.crashed);
  }
  await worker.evaluate(async () => {
    for (let i = 0; i < 100 && !('realtimeInspector' in self); i++) await new Promise((r) => setTimeout(r, 50));
  });
  const hasApi = await worker.evaluate(() => 'realtimeInspector' in self);
  if (!hasApi) {
    await context.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
    throw new CliError(`the extension in ${dist} has no realtimeInspector API: rebuild it with \`npm run build\``, EXIT.unavailable);
  }

  let workerCapture: WorkerCapture | null = null;
  if (workers) {
    try {
      workerCapture = await WorkerCapture.start(profile, (tabId, events) =>
        worker.evaluate(([id, list]) => (self as unknown as RiSelf).realtimeInspector.addWorkerEvents(id, list), [tabId, events] as const),
      );
    } catch (error) {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
      throw new CliError(`could not open a DevTools connection for worker capture: ${firstLine(error)}`, EXIT.crashed);
    }
  }

  // New tabs are opened one at a time, so the tab id that appears is the new page's.
  let opening: Promise<unknown> = Promise.resolve();
  const tabIds = () => worker.evaluate(async () => (await chrome.tabs.query({})).map((t) => t.id ?? -1));

  return {
    context,
    worker,
    extensionId: new URL(worker.url()).host,
    newTab() {
      const next = opening.then(async () => {
        const before = new Set(await tabIds());
        const page = await context.newPage();
        for (let i = 0; i < 100; i++) {
          const [fresh, ...more] = (await tabIds()).filter((id) => id >= 0 && !before.has(id));
          if (fresh !== undefined && more.length === 0) return { page, tabId: fresh };
          await new Promise((r) => setTimeout(r, 20));
        }
        await page.close();
        throw new CliError('could not find the Chrome tab id of the new page', EXIT.crashed);
      });
      opening = next.catch(() => {});
      return next;
    },
    exportTab: (tabId) => worker.evaluate((id) => (self as unknown as RiSelf).realtimeInspector.exportTab(id), tabId),
    eventCount: (tabId) => worker.evaluate(async (id) => (await (self as unknown as RiSelf).realtimeInspector.stats(id)).events, tabId),
    injectFault: (tabId, command) =>
      worker.evaluate(([id, cmd]) => (self as unknown as RiSelf).realtimeInspector.injectFault(id, cmd), [tabId, command] as const),
    captureWorkers: async (page, tabId) => (workerCapture ? workerCapture.attach(page, tabId) : null),
    async close() {
      workerCapture?.close();
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The slice of the service worker's global the CLI calls. */
interface RiSelf {
  realtimeInspector: {
    exportTab(tabId: number): Promise<CaptureFile>;
    stats(tabId: number): Promise<{ events: number }>;
    injectFault(tabId: number, command: FaultCommand): Promise<void>;
    addWorkerEvents(tabId: number, events: CaptureEvent[]): Promise<number>;
  };
}

/** First line of an error message (playwright's are long). */
export function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split('\n')[0] ?? '';
}
