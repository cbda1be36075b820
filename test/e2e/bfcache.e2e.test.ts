/**
 * The back/forward cache ENABLED, as in the browser users have (the launchers drop
 * playwright-core's --disable-back-forward-cache): a polling page with a same-origin and a
 * cross-site iframe is left, restored by Back, left and restored again, with the BUILT
 * extension (RI_DIST) in real Chromium against a local server. Chrome closes a cached
 * page's extension ports; every request the page makes after a restore must still be
 * captured, each stay in the cache marked (`doc.restored`), and the panel must show the
 * restored page.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { CaptureEvent, EventOf } from '../../src/core/events.ts';
import { launchBrowser, type LaunchedBrowser } from '../support/browser.ts';
import { callApi, exportTab, PanelPage, tabIdOf } from './fixtures/extension.ts';
import type { TabStats } from '../../src/shared/messages.ts';

/** Chromium launches and several navigations on a loaded 2-core machine. */
const E2E_TIMEOUT_MS = 180_000;
/** How often the pages poll (ms). */
const POLL_MS = 100;
/** How long the other page is shown while the first one sits in the cache (ms). */
const AWAY_MS = 1200;

/**
 * A page (or frame) that polls /json?from=<label>&n=<i> and records its pageshow events and
 * when Chrome froze and resumed it (the document's `freeze` and `resume`, in the page clock the
 * capture uses). `__stopAll()` stops it and its frames (asked by postMessage: one is cross-site)
 * and resolves to how many requests each sent and when each was frozen, by label.
 */
const pollingDocument = (label: string, body = '') => `<!doctype html><html><head><title>${label}</title></head><body>${body}<script>
  let sent = 0;
  window.__shows = [];
  addEventListener('pageshow', (e) => __shows.push(e.persisted));
  const frozen = [];
  const clock = (e) => performance.timeOrigin + e.timeStamp;
  document.addEventListener('freeze', (e) => frozen.push({ from: clock(e), to: null }));
  document.addEventListener('resume', (e) => { const last = frozen.at(-1); if (last) last.to = clock(e); });
  const timer = setInterval(() => fetch('/json?from=${label}&n=' + (sent++)), ${POLL_MS});
  addEventListener('message', (e) => {
    if (e.data !== 'stop') return;
    clearInterval(timer);
    e.source.postMessage({ label: '${label}', sent, frozen }, '*');
  });
  window.__stopAll = () => new Promise((resolve) => {
    clearInterval(timer);
    const frames = [...document.querySelectorAll('iframe')];
    const counts = { ${label}: { sent, frozen } };
    addEventListener('message', (e) => {
      if (typeof e.data !== 'object') return;
      counts[e.data.label] = { sent: e.data.sent, frozen: e.data.frozen };
      if (Object.keys(counts).length === frames.length + 1) resolve(counts);
    });
    for (const f of frames) f.contentWindow.postMessage('stop', '*');
    if (frames.length === 0) resolve(counts);
  });
</script></body></html>`;

let server: Server;
let origin = '';
let crossOrigin = '';
let browser: LaunchedBrowser;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    // No `Cache-Control: no-store`: that alone keeps a page out of the back/forward cache.
    const html = (body: string) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(body);
    };
    if (url.pathname === '/a') {
      html(pollingDocument('top', `<iframe src="/frame?label=same"></iframe><iframe src="${crossOrigin}/frame?label=cross"></iframe>`));
    } else if (url.pathname === '/frame') {
      html(pollingDocument(url.searchParams.get('label') ?? 'frame'));
    } else if (url.pathname === '/b') {
      html(pollingDocument('b'));
    } else if (url.pathname === '/json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ n: url.searchParams.get('n') }));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  // Another site (localhost vs 127.0.0.1): Chromium puts this frame in its own process.
  crossOrigin = `http://localhost:${port}`;
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
});

const of = <T extends CaptureEvent['type']>(events: CaptureEvent[], type: T) => events.filter((e): e is EventOf<T> => e.type === type);
const param = (url: string, name: string) => new URL(url).searchParams.get(name);
const requestsFrom = (events: CaptureEvent[], label: string) => of(events, 'http.request').filter((e) => param(e.url, 'from') === label);
const sentNumbers = (events: CaptureEvent[], label: string) => requestsFrom(events, label).map((e) => Number(param(e.url, 'n'))).sort((a, b) => a - b);

/** Go back or forward and wait until the page is shown again from the back/forward cache (with Chrome's reasons when it is not). */
async function restore(page: Page, go: 'back' | 'forward', expectedShows: number): Promise<void> {
  // A restored page fires no load event: wait for the commit, then for its pageshow.
  await (go === 'back' ? page.goBack({ waitUntil: 'commit' }) : page.goForward({ waitUntil: 'commit' }));
  try {
    await page.waitForFunction((n) => (window as unknown as { __shows?: boolean[] }).__shows?.length === n, expectedShows, { timeout: 10_000 });
  } catch (error) {
    throw new Error(`no pageshow after going ${go}`, { cause: error });
  }
  const shows = await page.evaluate(() => (window as unknown as { __shows: boolean[] }).__shows);
  if (shows.at(-1) !== true) {
    const reasons = await page.evaluate(() => JSON.stringify((performance.getEntriesByType('navigation')[0] as unknown as { notRestoredReasons?: unknown }).notRestoredReasons ?? null));
    throw new Error(`the page was loaded again, not restored from the back/forward cache: notRestoredReasons ${reasons}`);
  }
}

describe('back/forward cache enabled (built extension, real Chromium)', () => {
  it('captures every request after each restore, marks each stay in the cache, and the panel shows the restored page', { timeout: E2E_TIMEOUT_MS }, async () => {
    const page = await browser.context.newPage();
    await page.goto(`${origin}/a`);
    const tabId = await tabIdOf(browser.worker!, `${origin}/a`);
    const captured = async () => (await exportTab(browser.worker!, tabId)).events;
    const waitForRequests = async (label: string, count: number) => {
      for (let i = 0; i < 200; i++) {
        if (requestsFrom(await captured(), label).length >= count) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`fewer than ${count} requests from ${label} captured: ${sentNumbers(await captured(), label).join(',')}`);
    };
    for (const label of ['top', 'same', 'cross']) await waitForRequests(label, 3);

    // A → B → Back (A restored) → Forward (B restored) → Back (A restored again).
    await page.goto(`${origin}/b`);
    await page.waitForTimeout(AWAY_MS);
    await restore(page, 'back', 2);
    await waitForRequests('top', requestsFrom(await captured(), 'top').length + 5);
    await restore(page, 'forward', 2);
    await page.waitForTimeout(AWAY_MS);
    await restore(page, 'back', 3);
    await page.waitForTimeout(1000);

    // Stop the timers, then every request each document made must be in the capture, once.
    type Frozen = { from: number; to: number | null };
    const stopped = await page.evaluate(() =>
      (window as unknown as { __stopAll(): Promise<Record<string, { sent: number; frozen: Frozen[] }>> }).__stopAll(),
    );
    const documents = ['top', 'same', 'cross'];
    expect(Object.keys(stopped).sort()).toEqual(documents.slice().sort());
    const sent = Object.fromEntries(documents.map((label) => [label, stopped[label]!.sent]));
    for (const label of documents) await waitForRequests(label, sent[label]!);
    const events = await captured();
    for (const label of documents) {
      expect(sentNumbers(events, label), label).toEqual(Array.from({ length: sent[label]! }, (_, i) => i));
    }

    // Each document of A stayed in the cache twice, at the times the other page was shown.
    const docOf = (label: string) => requestsFrom(events, label)[0]!.doc;
    const stays = of(events, 'doc.restored');
    for (const label of documents) {
      const own = stays.filter((s) => s.doc === docOf(label));
      expect(own, label).toHaveLength(2);
      for (const s of own) expect(s.t - s.cachedAt).toBeGreaterThanOrEqual(AWAY_MS - 200);
      // Chrome froze the document during each stay, some time after its pagehide (over a
      // second on a loaded machine, its timers running meanwhile): each stay holds one freeze,
      // and no request of the document falls between a freeze and its resume.
      const frozen = stopped[label]!.frozen;
      expect(frozen, label).toHaveLength(2);
      own.forEach((s, i) => {
        expect(frozen[i]!.from, `${label} stay ${i}`).toBeGreaterThanOrEqual(s.cachedAt);
        expect(frozen[i]!.from, `${label} stay ${i}`).toBeLessThan(s.t);
      });
      const inFreeze = (t: number) => frozen.some((f) => t > f.from && t < (f.to ?? Infinity));
      for (const r of requestsFrom(events, label)) expect(inFreeze(r.t), `${label} ${r.url} at ${r.t}: ${JSON.stringify({ own, frozen })}`).toBe(false);
    }
    expect(stays.filter((s) => s.doc === docOf('top')).every((s) => s.frameId === 0)).toBe(true);
    // Chrome froze and resumed each document around each stay (the freezes above): those are the
    // stays themselves, not freezes in place.
    expect(of(events, 'doc.resumed')).toEqual([]);
    // B came back from the cache once (Forward).
    expect(stays.filter((s) => s.doc === docOf('b'))).toHaveLength(1);

    const stats = await callApi<TabStats>(browser.worker!, 'stats', tabId);
    expect(stats).toMatchObject({ url: `${origin}/a`, dropped: { page: 0, relay: 0, background: 0 }, rejected: 0 });
    expect(of(events, 'capture.dropped')).toEqual([]);

    // The panel's default view is the page shown now: A since its last restore, with its frames, not B.
    const panel = await PanelPage.open(browser.context, browser.extensionId!, tabId);
    await panel.waitForCount(events.length);
    const visible = await panel.visibleEvents();
    const boundary = visible[0]!;
    expect(boundary).toMatchObject({ type: 'doc.restored', doc: docOf('top'), frameId: 0 });
    expect(boundary).toEqual(stays.filter((s) => s.doc === docOf('top')).at(-1));
    for (const label of documents) {
      const shown = requestsFrom(visible, label);
      expect(shown.length, label).toBeGreaterThan(0);
      expect(shown, label).toEqual(requestsFrom(events, label).filter((r) => r.seq > boundary.seq));
    }
    expect(requestsFrom(visible, 'b')).toEqual([]);
    await panel.page.close();
    await page.close();
  });
});
