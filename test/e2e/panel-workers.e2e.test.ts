/**
 * "Include workers" in the extension, in real Chromium (test/e2e/fixtures/workers-server.ts):
 * - as built, `debugger` is only an optional permission: the tab's worker capture is off, and
 *   turning it on without the permission is refused with the reason, nothing attached;
 * - with the permission granted (a copy of the build whose manifest asks for `debugger` at
 *   install: playwright-core 1.65 can grant web permissions to pages, `grantPermissions`, but
 *   has no way to grant an extension's optional permission or answer Chrome's prompt), the
 *   panel's toggle, clicked like a user would, attaches chrome.debugger to the tab and the
 *   workers' traffic reaches the tab's buffer and the panel: the dedicated worker's
 *   WebSocket with its heartbeat, the service worker's, the nested worker's and the
 *   SharedWorker's (used by a second tab too) polling, each a channel marked with its worker;
 *   after a real stop of the extension's service worker, the restarted one takes them up again. The screenshot of that panel is docs/screenshots/panel-workers.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext, type Page, type Worker } from 'playwright-core';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BASE_ARGS, DIST_DIR, findChrome, launchBrowser, type LaunchedBrowser } from '../support/browser.ts';
import { IGNORED_DEFAULT_ARGS } from '../../src/cli/browser.ts';
import { analyzeCapture } from '../../src/core/index.ts';
import type { ChannelReport } from '../../src/core/report-types.ts';
import type { WorkerCaptureState } from '../../src/shared/messages.ts';
import { callApi, exportTab, PanelPage, stopServiceWorker, tabIdOf } from './fixtures/extension.ts';
import { startWorkersServer, type WorkersServer } from './fixtures/workers-server.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const HEARTBEAT_MS = 2000;
const POLL_MS = 1000;

let server: WorkersServer;

beforeAll(async () => {
  server = await startWorkersServer({ heartbeatMs: HEARTBEAT_MS, pollMs: POLL_MS });
});

afterAll(async () => {
  await server?.close();
});

describe('as built (debugger optional, not granted)', () => {
  let browser: LaunchedBrowser;
  afterAll(async () => browser?.close());

  it('worker capture is off, and turning it on without the permission attaches nothing and says why', async () => {
    browser = await launchBrowser();
    const worker = browser.worker!;
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/`);
    const tabId = await tabIdOf(worker, `${server.url}/`);
    expect(await callApi<WorkerCaptureState>(worker, 'workerCapture', tabId)).toEqual({ on: false, workers: [], error: null });
    expect(await worker.evaluate(() => typeof chrome.debugger)).toBe('undefined');
    const state = await callApi<WorkerCaptureState>(worker, 'setWorkerCapture', tabId, true);
    expect(state).toEqual({ on: false, workers: [], error: 'the debugger permission is not granted' });
    await new Promise((r) => setTimeout(r, 3000));
    const capture = await exportTab(worker, tabId);
    expect(capture.events.some((e) => 'origin' in e && e.origin !== undefined)).toBe(false);
  }, 60_000);
});

describe('with the debugger permission granted (test profile)', () => {
  let context: BrowserContext;
  let profile: string;
  let dist: string;
  let worker: Worker;
  let panel: PanelPage;
  let tabId: number;
  let page: Page;
  let other: Page;
  let channels: ChannelReport[] = [];

  beforeAll(async () => {
    // The same build, with `debugger` asked for at install instead of on demand.
    dist = mkdtempSync(join(tmpdir(), 'ri-dist-debugger-'));
    cpSync(DIST_DIR, dist, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(dist, 'manifest.json'), 'utf8')) as { permissions: string[]; optional_permissions?: string[] };
    expect(manifest.optional_permissions).toEqual(['debugger']);
    manifest.permissions = [...manifest.permissions, 'debugger'];
    delete manifest.optional_permissions;
    writeFileSync(join(dist, 'manifest.json'), JSON.stringify(manifest));
    profile = mkdtempSync(join(tmpdir(), 'ri-profile-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: findChrome(),
      headless: true,
      ignoreDefaultArgs: IGNORED_DEFAULT_ARGS,
      viewport: { width: 1280, height: 720 },
      args: [...BASE_ARGS, `--disable-extensions-except=${dist}`, `--load-extension=${dist}`],
    });
    worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
    page = await context.newPage();
    await page.goto(`${server.url}/`);
    tabId = await tabIdOf(worker, `${server.url}/`);
    // A second tab of the origin: the SharedWorker serves both.
    other = await context.newPage();
    await other.goto(`${server.url}/`);
    await other.waitForFunction(() => (window as unknown as { __clients: number }).__clients >= 2, undefined, { timeout: 10_000 });
    panel = await PanelPage.open(context, new URL(worker.url()).host, tabId);
  }, 60_000);

  afterAll(async () => {
    await context?.close().catch(() => {});
    if (profile) rmSync(profile, { recursive: true, force: true });
    if (dist) rmSync(dist, { recursive: true, force: true });
  });

  it('the panel’s toggle is off by default; clicked, it attaches and lists the tab’s workers', async () => {
    const toggle = panel.page.getByLabel('Include workers');
    expect(await toggle.isChecked()).toBe(false);
    await toggle.click();
    await panel.page.waitForFunction(() => document.querySelector('[data-testid="workers"]')?.textContent?.includes('Service Worker') === true, undefined, { timeout: 15_000 });
    const state = await callApi<WorkerCaptureState>(worker, 'workerCapture', tabId);
    expect(state.on).toBe(true);
    expect(state.error).toBeNull();
    expect(state.workers.map((w) => `${w.kind} ${new URL(w.url).pathname}`).sort()).toEqual(
      expect.arrayContaining(['dedicated /dedicated.js', 'dedicated /nested.js', 'dedicated /parent.js', 'service /sw.js', 'shared /shared.js']),
    );
  }, 30_000);

  it('the workers’ traffic becomes channels marked with their worker, the heartbeat measured', async () => {
    // A socket opened before the attach is not reported by the protocol (as in DevTools): reload, as the panel advises.
    await page.reload();
    // Five heartbeats and a dozen polls after the reload.
    await new Promise((r) => setTimeout(r, 11_000));
    const capture = await exportTab(worker, tabId);
    channels = analyzeCapture(capture.events, { until: Date.parse(capture.createdAt) }).channels;
    const on = (path: string) => channels.filter((c) => new URL(c.sampleUrl).pathname === path);
    const describe = channels.map((c) => `${c.kind} ${c.sampleUrl} ${c.origin?.kind ?? 'page'}`).join('\n');
    const [socket] = on('/socket');
    expect(socket, describe).toBeDefined();
    expect(socket!.origin).toEqual({ kind: 'dedicated', url: `${server.url}/dedicated.js` });
    expect(socket!.kind).toBe('websocket');
    expect(socket!.messages.out).toBeGreaterThanOrEqual(3);
    expect(socket!.heartbeat?.intervalMs ?? 0).toBeGreaterThan(HEARTBEAT_MS * 0.75);
    expect(socket!.heartbeat?.intervalMs ?? Infinity).toBeLessThan(HEARTBEAT_MS * 1.5);
    for (const [path, kind, channelKind] of [['/poll/service', 'service', 'polling'], ['/poll/nested', 'dedicated', 'polling'], ['/poll/shared', 'shared', 'polling'], ['/events', 'dedicated', 'sse']] as const) {
      const [channel] = on(path);
      expect(channel, `${path}\n${describe}`).toBeDefined();
      expect(channel!.origin?.kind).toBe(kind);
      expect(channel!.kind).toBe(channelKind);
    }
    // The page's own polling: once, from the hooks.
    const own = on('/poll/page');
    expect(own).toHaveLength(1);
    expect(own[0]!.origin).toBeUndefined();
  }, 30_000);

  it('the panel shows the worker channels with their badge (screenshot in docs/screenshots/panel-workers.png)', async () => {
    await panel.page.waitForFunction(() => document.querySelectorAll('.worker-badge').length >= 4, undefined, { timeout: 15_000 });
    const badges = await panel.page.locator('.overview-table .worker-badge').allTextContents();
    expect(badges).toEqual(expect.arrayContaining(['Worker dedicated.js', 'Service Worker sw.js', 'Worker nested.js', 'SharedWorker shared.js']));
    await panel.page.setViewportSize({ width: 1280, height: 720 });
    await panel.page.screenshot({ path: join(ROOT, 'docs/screenshots/panel-workers.png') });
  }, 30_000);

  it('a real service-worker stop: the restarted background takes the tab’s workers up again', async () => {
    const origins = async () => (await exportTab(worker, tabId)).events.filter((e) => 'origin' in e && e.origin !== undefined && e.type === 'http.request').length;
    await stopServiceWorker(context, panel.page);
    // The API call starts it again; it reads which tabs had workers on and attaches again.
    const on = async () => {
      // The restarted worker is a new target: take its handle once it exists.
      worker = context.serviceWorkers().find((w) => w.url().startsWith('chrome-extension://')) ?? worker;
      return (await callApi<WorkerCaptureState>(worker, 'workerCapture', tabId)).on;
    };
    await expect.poll(on, { timeout: 15_000 }).toBe(true);
    const before = await origins();
    await new Promise((r) => setTimeout(r, 3000));
    // Three pollers, one request a second each.
    expect(await origins()).toBeGreaterThanOrEqual(before + 4);
  }, 40_000);

  it('turned off, it detaches: no more worker events', async () => {
    await panel.page.getByLabel('Include workers').click();
    await panel.page.waitForFunction(() => !(document.querySelector('[data-testid="workers"] input') as HTMLInputElement).checked, undefined, { timeout: 10_000 });
    expect((await callApi<WorkerCaptureState>(worker, 'workerCapture', tabId)).on).toBe(false);
    const count = async () => (await exportTab(worker, tabId)).events.filter((e) => 'origin' in e && e.origin !== undefined).length;
    await new Promise((r) => setTimeout(r, 500));
    const before = await count();
    await new Promise((r) => setTimeout(r, 3000));
    expect(await count()).toBe(before);
  }, 30_000);
});
