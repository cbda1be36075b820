/**
 * The Realtime panel end to end: the built extension in real Chromium, a local
 * page with polling + SSE + WebSocket, the panel opened as
 * chrome-extension://<id>/src/panel/panel.html?tabId=N. Asserts on what the
 * panel shows and on the data its charts draw (globalThis.__riPanel.charts),
 * saves light and dark screenshots to docs/screenshots/.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { launchBrowser, type LaunchedBrowser } from '../support/browser.ts';
import { tabIdOf } from './fixtures/extension.ts';
import { startPanelServer, type PanelServer } from './fixtures/panel-server.ts';

const SCREENSHOTS = resolve(import.meta.dirname, '../../docs/screenshots');

let browser: LaunchedBrowser;
let server: PanelServer;
let tabId: number;

type Charts = Record<string, Record<string, unknown>>;

function chart(panel: Page, name: string): Promise<Record<string, unknown> | null> {
  return panel.evaluate((n) => {
    const c = (globalThis as unknown as { __riPanel?: { charts?: Charts } }).__riPanel?.charts?.[n];
    if (!c) return null;
    return Object.fromEntries(Object.entries(c).map(([k, v]) => [k, typeof v === 'object' && v !== null ? Array.from(v as ArrayLike<unknown>) : v]));
  }, name);
}

/**
 * Open the panel for the demo tab and wait until its three channels are listed.
 * `exactKinds`: also wait until they are classified polling, SSE and WebSocket.
 */
async function openPanel(theme: 'light' | 'dark', exactKinds = true): Promise<Page> {
  const panel = await browser.context.newPage();
  // Generous waits: a loaded 2-core CI machine can be many times slower than a workstation.
  panel.setDefaultTimeout(90_000);
  await panel.setViewportSize({ width: 1280, height: 800 });
  await panel.goto(`chrome-extension://${browser.extensionId}/src/panel/panel.html?tabId=${tabId}&theme=${theme}`);
  // History arrives in chunks and the report is rebuilt at most every 250 ms: wait for all three kinds.
  await panel
    .waitForFunction((exact) => {
      const kinds = Array.from(document.querySelectorAll('.overview-table tbody tr [data-kind]'), (e) => e.getAttribute('data-kind'));
      return exact ? ['polling', 'sse', 'websocket'].every((k) => kinds.includes(k)) : kinds.length === 3;
    }, exactKinds)
    .catch(async (err: Error) => {
      const seen = await panel.evaluate(() => {
        const r = (globalThis as unknown as { __riPanel: { store: { report(): { channels: Array<{ kind: string; url: string; evidence: string }> } } } }).__riPanel.store.report();
        return r.channels.map((c) => `${c.kind} ${c.url} (${c.evidence})`);
      });
      throw new Error(`${err.message}; channels: ${JSON.stringify(seen)}`);
    });
  return panel;
}

/** A HAR as Chrome's Network panel saves it: a fetch poll every 2 s with one changing body, and a WebSocket with frames. */
function chromeStyleHar(origin: string): unknown {
  const t0 = Date.UTC(2026, 10, 24, 12, 0, 0);
  const header = (name: string, value: string) => ({ name, value });
  const entry = (i: number) => ({
    startedDateTime: new Date(t0 + i * 2000).toISOString(),
    time: 35,
    request: { method: 'GET', url: `${origin}/api/status`, httpVersion: 'HTTP/1.1', headers: [header('Accept', '*/*')], queryString: [], cookies: [], headersSize: -1, bodySize: 0 },
    response: {
      status: 200,
      statusText: 'OK',
      httpVersion: 'HTTP/1.1',
      headers: [header('Content-Type', 'application/json')],
      cookies: [],
      content: { size: 16, mimeType: 'application/json', text: i === 7 ? '{"state":"busy"}' : '{"state":"idle"}' },
      redirectURL: '',
      headersSize: -1,
      bodySize: 16,
      _transferSize: 120,
      _error: null,
    },
    cache: {},
    timings: { blocked: 1, dns: -1, ssl: -1, connect: -1, send: 0.1, wait: 30, receive: 3.9 },
    _resourceType: 'fetch',
    _initiator: { type: 'script' },
    _priority: 'High',
  });
  const ws = {
    startedDateTime: new Date(t0 + 100).toISOString(),
    time: 0.5,
    request: { method: 'GET', url: origin.replace('http', 'ws') + '/live', httpVersion: 'HTTP/1.1', headers: [header('Upgrade', 'websocket')], queryString: [], cookies: [], headersSize: -1, bodySize: 0 },
    response: { status: 101, statusText: 'Switching Protocols', httpVersion: 'HTTP/1.1', headers: [], cookies: [], content: { size: 0, mimeType: 'x-unknown' }, redirectURL: '', headersSize: -1, bodySize: 0, _error: null },
    cache: {},
    timings: { blocked: -1, dns: -1, ssl: -1, connect: -1, send: 0, wait: 0.5, receive: 0 },
    _resourceType: 'websocket',
    _webSocketMessages: Array.from({ length: 12 }, (_, i) => ({
      type: i % 3 === 0 ? 'send' : 'receive',
      time: (t0 + 200 + i * 1000) / 1000,
      opcode: 1,
      data: i % 3 === 0 ? '{"op":"sub"}' : `{"tick":${i}}`,
    })),
  };
  return {
    log: {
      version: '1.2',
      creator: { name: 'WebInspector', version: '537.36' },
      pages: [{ startedDateTime: new Date(t0).toISOString(), id: 'page_1', title: `${origin}/dashboard`, pageTimings: { onContentLoad: 120, onLoad: 200 } }],
      entries: [ws, ...Array.from({ length: 15 }, (_, i) => entry(i))],
    },
  };
}

async function download(panel: Page, kind: string): Promise<string> {
  await panel.getByText('Export ▾').click();
  const [file] = await Promise.all([panel.waitForEvent('download'), panel.locator(`[data-export="${kind}"]`).click()]);
  return readFileSync((await file.path())!, 'utf8');
}

async function importFile(panel: Page, path: string): Promise<void> {
  await panel.getByTestId('import-input').setInputFiles(path);
  await panel.getByTestId('import-status').waitFor();
}

type ReportLike = { capturedAt?: string; channels: unknown[] };
/** The report once the panel's analysis (a worker) covers every event shown. */
const reportOf = (panel: Page) => panel.evaluate(() => (globalThis as unknown as { __riPanel: { store: { analyzed(): Promise<ReportLike> } } }).__riPanel.store.analyzed());
const withoutTime = ({ capturedAt: _, ...rest }: ReportLike) => rest;

async function kindsShown(panel: Page): Promise<string[]> {
  return panel.$$eval('.overview-table tbody tr [data-kind]', (els) => els.map((e) => e.getAttribute('data-kind')!).sort());
}

beforeAll(async () => {
  server = await startPanelServer();
  browser = await launchBrowser();
  const page = await browser.context.newPage();
  await page.goto(`${server.origin}/`);
  tabId = await tabIdOf(browser.worker!, `${server.origin}/`);
  // Let every channel show its pattern: 3 s of polling (400 ms), SSE ticks (150 ms) and WebSocket pushes (100 ms).
  await page.waitForTimeout(3000);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('panel', { timeout: 180_000 }, () => {
  test('overview lists the three channels with kinds, waste, findings and the page timeline', async () => {
    const panel = await openPanel('light');
    // The analysis runs in its worker (the built bundle's worker loads under the extension page's CSP).
    expect(await panel.evaluate(() => (globalThis as unknown as { __riPanel: { store: { analysisThread(): string } } }).__riPanel.store.analysisThread())).toBe('worker');
    expect(await kindsShown(panel)).toEqual(['polling', 'sse', 'websocket']);
    const pollRow = panel.locator('.overview-table tbody tr', { has: panel.locator('[data-kind="polling"]') });
    expect(Number((await pollRow.locator('.waste-num').textContent())!.replace('%', ''))).toBeGreaterThanOrEqual(50);
    expect(Number((await panel.getByTestId('wasted-requests').textContent())!.replace(/,/g, ''))).toBeGreaterThan(3);
    const findings = await panel.getByTestId('findings-count').textContent();
    expect(findings).toMatch(/\d/);
    const timeline = await chart(panel, 'page-timeline');
    expect(timeline!.lanes).toBe(3);
    expect((timeline!.spanStart as number[]).length).toBeGreaterThan(5);
    expect((timeline!.markT as number[]).length).toBeGreaterThan(20);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await panel.screenshot({ path: resolve(SCREENSHOTS, 'panel-light.png') });
    await panel.close();
  });

  test('channel detail: timeline, charts and messages of the WebSocket; dark theme', async () => {
    const panel = await openPanel('dark');
    expect(await panel.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await panel.locator('.overview-table tbody tr', { has: panel.locator('[data-kind="websocket"]') }).dblclick();
    await panel.waitForSelector('.detail');
    // The page's {"type":"ping"} every 300 ms and the server's pongs are recognised as heartbeats once enough repeat.
    await panel.waitForFunction(() => {
      const c = (globalThis as unknown as { __riPanel: { charts: Charts } }).__riPanel.charts['channel-timeline'];
      return Array.from(c!.markStyle as ArrayLike<number>).filter((s) => s === 2).length > 3;
    });
    const timeline = await chart(panel, 'channel-timeline');
    const styles = timeline!.markStyle as number[];
    expect(styles.filter((s) => s === 0).length).toBeGreaterThan(10);
    expect(styles.filter((s) => s === 2).length).toBeGreaterThan(3);
    expect(await panel.locator('.vrow').count()).toBeGreaterThan(10);
    await panel.getByText('Hide heartbeats').click();
    // Every fifth server message is binary: pick a JSON one.
    await panel.locator('.vrow.kind-data').filter({ hasText: 'type' }).first().click();
    expect(await panel.getByTestId('message-view').textContent()).toMatch(/type/);
    await panel.locator('[data-tab="charts"]').click();
    // Charts publish their data from an effect, after the tab's first paint.
    await panel.waitForFunction(() => !!(globalThis as unknown as { __riPanel: { charts: Charts } }).__riPanel.charts['latency']);
    const latency = await chart(panel, 'latency');
    expect(latency!.samples as number).toBeGreaterThan(10);
    expect(latency!.median as number).toBeGreaterThan(0);
    expect(await panel.locator('[data-chart="latency"] canvas').count()).toBeGreaterThan(0);
    await panel.screenshot({ path: resolve(SCREENSHOTS, 'panel-dark.png') });
    // A narrow DevTools dock (480 px): the header's buttons stay on one line, and the message list's time column
    // keeps its place on rows with long labels.
    await panel.setViewportSize({ width: 480, height: 800 });
    await panel.locator('[data-tab="messages"]').click();
    await panel.waitForSelector('.vrow .c-time');
    const heights = await panel.locator('.detail-head button').evaluateAll((bs) => bs.map((b) => b.getBoundingClientRect().height));
    expect(heights.length).toBeGreaterThan(1);
    expect(Math.max(...heights)).toBeLessThanOrEqual(24);
    const lefts = await panel.locator('.vrow .c-time').evaluateAll((cs) => cs.map((c) => Math.round(c.getBoundingClientRect().left)));
    expect(lefts.length).toBeGreaterThan(5);
    expect(new Set(lefts).size).toBe(1);
    await panel.close();
  });

  test('export the capture, import it back: same report; exports are redacted by default; HAR import', async () => {
    const panel = await openPanel('light');
    const dir = mkdtempSync(join(tmpdir(), 'ri-panel-'));
    try {
      await panel.locator('button[title="Pause recording"]').click();
      await panel.getByTestId('connection').filter({ hasText: 'Paused' }).waitFor();
      // Let batches in flight land, then wait for the store to stop changing.
      let last = -1;
      for (;;) {
        await panel.waitForTimeout(400);
        const n = await panel.evaluate(() => (globalThis as unknown as { __riPanel: { store: { events(): unknown[] } } }).__riPanel.store.events().length);
        if (n === last) break;
        last = n;
      }
      const live = await reportOf(panel);
      const capture = await download(panel, 'capture-json');
      expect((JSON.parse(capture) as { redacted: boolean }).redacted).toBe(true);
      const reportJson = JSON.parse(await download(panel, 'report-json')) as ReportLike;
      expect(withoutTime(reportJson)).toEqual(withoutTime(live));
      const html = await download(panel, 'report-html');
      expect(html).toMatch(/^<!doctype html>/i);
      writeFileSync(join(dir, 'capture.json'), capture);
      await importFile(panel, join(dir, 'capture.json'));
      expect(withoutTime(await reportOf(panel))).toEqual(withoutTime(live));
      expect(await kindsShown(panel)).toEqual((live.channels as Array<{ kind: string }>).map((c) => c.kind).sort());

      writeFileSync(join(dir, 'broken.json'), capture.slice(0, capture.length / 2));
      await panel.getByTestId('import-input').setInputFiles(join(dir, 'broken.json'));
      expect(await panel.getByTestId('import-error').textContent()).toContain('broken.json');
      expect(withoutTime(await reportOf(panel))).toEqual(withoutTime(live));

      writeFileSync(join(dir, 'chrome.har'), JSON.stringify(chromeStyleHar(server.origin)));
      await importFile(panel, join(dir, 'chrome.har'));
      await panel.waitForFunction(() => document.querySelector('[data-testid="import-status"]')?.textContent?.includes('chrome.har'));
      const har = (await reportOf(panel)) as { channels: Array<{ kind: string; requests: number; wasted: number; messages: { in: number; out: number } }> };
      const poll = har.channels.find((c) => c.kind === 'polling')!;
      expect(poll.requests).toBe(15);
      expect(poll.wasted).toBeGreaterThan(10);
      const ws = har.channels.find((c) => c.kind === 'websocket')!;
      expect(ws.messages).toEqual({ in: 8, out: 4 });
      expect(await kindsShown(panel)).toEqual(['polling', 'websocket']);
      await panel.getByText('Back to live').click();
      await panel.locator('button[title="Record"]').click();
      await panel.getByTestId('connection').filter({ hasText: 'Live' }).waitFor();
      // The pause is marked in the capture, so the analysis knows where it saw nothing.
      await panel.waitForFunction(() => {
        const events = (globalThis as unknown as { __riPanel: { store: { events(): Array<{ type: string; on?: boolean }> } } }).__riPanel.store.events();
        return events.filter((e) => e.type === 'capture.recording').map((e) => e.on).join() === 'false,true';
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await panel.close();
    }
  });

  test('brushing the channel timeline filters the messages; a fault injected from the panel closes the page socket', async () => {
    const panel = await openPanel('light');
    await panel.locator('.overview-table tbody tr', { has: panel.locator('[data-kind="websocket"]') }).dblclick();
    await panel.waitForSelector('[data-chart="channel-timeline"] .u-over');
    const count = async () => (await panel.getByTestId('message-count').textContent())!.split(' / ').map(Number) as [number, number];
    const [before, total] = await count();
    expect(before).toBe(total);
    const box = (await panel.locator('[data-chart="channel-timeline"] .u-over').boundingBox())!;
    // An earlier test paused recording: its gap (no messages) may lie under any one window, so
    // brush windows in turn until one holds messages; each must filter the list to its span.
    let shown = 0;
    let all = 0;
    for (const [from, to] of [[0.3, 0.55], [0.05, 0.3], [0.6, 0.85]] as const) {
      await panel.mouse.move(box.x + box.width * from, box.y + box.height / 2);
      await panel.mouse.down();
      await panel.mouse.move(box.x + box.width * to, box.y + box.height / 2, { steps: 5 });
      await panel.mouse.up();
      await panel.locator('.window-note').waitFor();
      [shown, all] = await count();
      expect(shown).toBeLessThan(all);
      await panel.locator('.window-note button').click();
      await panel.locator('.window-note').waitFor({ state: 'detached' });
      // The reset brings every message back (one reading: live messages keep arriving).
      const [again, total] = await count();
      expect(again).toBe(total);
      if (shown > 0) break;
    }
    expect(shown).toBeGreaterThan(0);

    await panel.locator('[data-tab="faults"]').click();
    await panel.getByLabel('Fault', { exact: true }).selectOption('close');
    await panel.getByLabel('Close code').fill('4000');
    await panel.getByLabel('Close code').dispatchEvent('change');
    await panel.getByText('Inject', { exact: true }).click();
    await panel.locator('[data-tab="messages"]').click();
    await panel.getByLabel('Filter messages by regular expression').fill('close 4000');
    await panel.waitForFunction(() => Array.from(document.querySelectorAll('.vrow')).some((r) => r.textContent?.includes('close 4000')), undefined, { timeout: 15_000 });
    const notes = await chart(panel, 'channel-timeline');
    expect((notes!.markStyle as number[]).filter((s) => s === 4).length).toBeGreaterThan(0);
    await panel.close();
  });

  test('navigation starts a fresh view unless "Preserve log" is on; Clear empties it', async () => {
    const panel = await openPanel('light');
    const page = browser.context.pages().find((p) => p.url().startsWith(server.origin))!;
    const total = () => panel.evaluate(() => (globalThis as unknown as { __riPanel: { store: { events(): Array<{ type: string }> } } }).__riPanel.store.events());
    const docs = async () => (await total()).filter((e) => e.type === 'doc.start').length;
    expect(await docs()).toBe(1);
    await panel.getByLabel('Preserve log').check();
    await page.reload();
    await panel.waitForFunction(() => (globalThis as unknown as { __riPanel: { store: { events(): Array<{ type: string }> } } }).__riPanel.store.events().filter((e) => e.type === 'doc.start').length === 2);
    await panel.getByLabel('Preserve log').uncheck();
    expect(await docs()).toBe(1);
    await page.reload();
    await panel.waitForFunction(() => {
      const events = (globalThis as unknown as { __riPanel: { store: { events(): Array<{ type: string; doc: string }> } } }).__riPanel.store.events();
      const starts = events.filter((e) => e.type === 'doc.start');
      return starts.length === 1 && events.every((e) => e.doc === starts[0]!.doc);
    });
    await panel.getByLabel('Clear').click();
    await panel.waitForFunction(() => (globalThis as unknown as { __riPanel: { store: { events(): unknown[] } } }).__riPanel.store.events().length < 50);
    await panel.close();
  });
});
