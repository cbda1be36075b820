/**
 * The capture pipeline end to end, with the BUILT extension (RI_DIST) in real
 * Chromium against a real server on 127.0.0.1: page hooks → relay → service
 * worker → panel page (opened as chrome-extension://…/panel.html?tabId=N).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureEvent, EventOf } from '../../src/core/events.ts';
import { launchBrowser, type LaunchedBrowser } from '../support/browser.ts';
import { CHANNEL_TAP_SCRIPT } from '../support/channel-tap.ts';
import { callApi, exportTab, PanelPage, stopServiceWorker, tabIdOf } from './fixtures/extension.ts';
import { appPage, framePage, socketPage } from './fixtures/pages.ts';
import { startPipelineServer, type PipelineServer } from './fixtures/server.ts';
import type { TabStats } from '../../src/shared/messages.ts';

/** Each test launches Chromium; on a loaded 2-core machine one can take well over vitest's default. */
const E2E_TIMEOUT_MS = 180_000;

let server: PipelineServer;
let browser: LaunchedBrowser;

beforeAll(async () => {
  server = await startPipelineServer();
  server.page('/app', appPage(server.wsOrigin));
  server.page('/frame', framePage);
  server.page('/socket', socketPage(server.wsOrigin));
});
afterAll(async () => {
  await server.close();
});
afterEach(async () => {
  await browser?.close();
});

const byConn = (events: CaptureEvent[], conn: string) => events.filter((e) => 'conn' in e && e.conn === conn);
const of = <T extends CaptureEvent['type']>(events: CaptureEvent[], type: T) => events.filter((e): e is EventOf<T> => e.type === type);
const seqs = (events: CaptureEvent[]) => events.map((e) => e.seq);
const oneTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

async function openApp(): Promise<{ tabId: number; page: import('playwright-core').Page }> {
  browser = await launchBrowser();
  const page = await browser.context.newPage();
  await page.goto(`${server.origin}/app`);
  await page.waitForFunction(() => (window as { __done?: boolean }).__done === true, null, { timeout: 15_000 });
  return { tabId: await tabIdOf(browser.worker!, `${server.origin}/app`), page };
}

describe('pipeline e2e (built extension, real Chromium)', () => {
  it('a panel opened after the traffic receives all of it, exactly: fetch, XHR, SSE with a reconnect, WebSocket, an iframe, a fetch override', async () => {
    const { tabId, page } = await openApp();
    const panel = await PanelPage.open(browser.context, browser.extensionId!, tabId);
    // 31 events of the traffic, and the Resource Timing (http.timing) of each of its 4 requests.
    const events = await panel.waitForCount(35);
    await page.waitForTimeout(200);
    expect(await panel.events()).toHaveLength(35);
    expect(seqs(events)).toEqual(oneTo(35));
    expect(of(events, 'capture.dropped')).toEqual([]);
    expect(events).toEqual((await exportTab(browser.worker!, tabId)).events);

    const [topStart, frameStart] = of(events, 'doc.start');
    expect(topStart).toMatchObject({ frameId: 0, top: true, url: `${server.origin}/app`, parentDoc: null });
    expect(frameStart).toMatchObject({ top: false, url: `${server.origin}/frame`, parentDoc: topStart!.doc });
    expect(frameStart!.frameId).toBeGreaterThan(0);
    const mainDoc = events.filter((e) => e.doc === topStart!.doc);
    const frameDoc = events.filter((e) => e.doc === frameStart!.doc);
    expect(mainDoc.every((e) => e.frameId === 0)).toBe(true);
    expect(frameDoc.every((e) => e.frameId === frameStart!.frameId)).toBe(true);
    expect(mainDoc).toHaveLength(30);
    expect(frameDoc).toHaveLength(5);

    const requests = of(events, 'http.request');
    // The iframe runs concurrently with the top page: compare each frame's requests in its own order.
    const summary = (r: EventOf<'http.request'>) => [r.transport, r.method, new URL(r.url).search];
    expect(requests.filter((r) => r.frameId === 0).map(summary)).toEqual([
      ['fetch', 'GET', '?n=fetch'],
      ['xhr', 'GET', '?n=xhr'],
      ['fetch', 'GET', '?n=override'],
    ]);
    expect(requests.filter((r) => r.frameId !== 0).map(summary)).toEqual([['fetch', 'GET', '?n=frame']]);
    for (const request of requests) {
      const conn = byConn(events, request.conn).filter((e) => e.type !== 'http.timing');
      expect(conn.map((e) => e.type)).toEqual(['http.request', 'http.response', 'http.end']);
      expect(of(byConn(events, request.conn), 'http.timing')).toMatchObject([{ protocol: 'http/1.1' }]);
      const end = conn[2] as EventOf<'http.end'>;
      expect(end.body?.data).toBe(JSON.stringify({ n: new URL(request.url).searchParams.get('n') }));
      expect((conn[1] as EventOf<'http.response'>).status).toBe(200);
    }

    const sseCreate = of(events, 'sse.create')[0]!;
    const sse = byConn(events, sseCreate.conn);
    expect(sse.map((e) => e.type)).toEqual([
      'sse.create', 'sse.open', 'sse.message', 'sse.message', 'sse.error', 'sse.open', 'sse.message', 'sse.message', 'sse.close',
    ]);
    expect(of(sse, 'sse.message').map((m) => [m.event, m.data.data, m.id, m.lastEventId])).toEqual([
      ['tick', 'one', '1', '1'],
      ['tock', 'two', '2', '2'],
      ['tick', 'after 2', '3', '3'],
      ['message', 'plain', '4', '4'],
    ]);
    expect(of(sse, 'sse.error')[0]!.readyState).toBe(0);
    expect(server.sseRequests).toEqual(['', '2']);

    const ws = byConn(events, of(events, 'ws.create')[0]!.conn);
    expect(ws.map((e) => e.type)).toEqual(['ws.create', 'ws.open', 'ws.message', 'ws.message', 'ws.message', 'ws.message', 'ws.message', 'ws.close']);
    expect(of(ws, 'ws.message').map((m) => [m.dir, m.data.encoding, m.data.data, m.data.size])).toEqual([
      ['out', 'text', 'hello', 5],
      ['out', 'binary', 'AQID', 3],
      ['in', 'text', 'echo:hello', 10],
      ['in', 'binary', 'AwIB', 3],
      ['out', 'text', 'close', 5],
    ]);
    expect(of(ws, 'ws.close')[0]).toMatchObject({ code: 4001, reason: 'done', wasClean: true, initiator: 'server' });

    // Live after history: a request made now arrives next, once.
    await page.evaluate(() => fetch('/json?n=live').then((r) => r.text()));
    const after = await panel.waitForCount(39);
    expect(seqs(after)).toEqual(oneTo(39));
    expect(of(after.slice(35), 'http.request')[0]!.url).toBe(`${server.origin}/json?n=live`);
  }, E2E_TIMEOUT_MS);

  it('survives a real service-worker stop with traffic before, during and after: nothing lost, nothing duplicated', async () => {
    browser = await launchBrowser();
    const page = await browser.context.newPage();
    await page.goto(`${server.origin}/socket`);
    await page.waitForFunction(() => (window as { __done?: boolean }).__done === true);
    const tabId = await tabIdOf(browser.worker!, `${server.origin}/socket`);
    const panel = await PanelPage.open(browser.context, browser.extensionId!, tabId);
    const flood = (n: number) =>
      page.evaluate(async (count) => {
        const w = window as unknown as { ws: WebSocket; received: number };
        const target = w.received + count;
        w.ws.send(`flood:${count}`);
        while (w.received < target) await new Promise((r) => setTimeout(r, 5));
      }, n);
    await flood(300);
    await panel.whenCount(3 + 301);
    const startedBefore = (await panel.stats()).stats!.workerStartedAt;

    await stopServiceWorker(browser.context, panel.page);
    await flood(300); // the relay holds these until the restarted worker acknowledges them
    await panel.whenCount(3 + 602);
    await flood(300);
    const events = await panel.waitForCount(3 + 903);
    await page.waitForTimeout(300);

    const status = await panel.stats();
    expect(status.reconnects).toBeGreaterThanOrEqual(1);
    expect(status.stats!.workerStartedAt).toBeGreaterThan(startedBefore);
    expect(await panel.events()).toHaveLength(906);
    expect(seqs(events)).toEqual(oneTo(906));
    expect(new Set(events.map((e) => `${e.doc}:${e.pseq}`)).size).toBe(906);
    const incoming = of(events, 'ws.message').filter((m) => m.dir === 'in').map((m) => m.data.data);
    const round = Array.from({ length: 300 }, (_, i) => `m${i}`);
    expect(incoming).toEqual([...round, ...round, ...round]);
    expect(status.dropped).toBe(0);
    expect((await exportTab(browser.worker!, tabId)).events).toEqual(events);
    // A panel opened after the restart gets the same history from storage.
    const late = await PanelPage.open(browser.context, browser.extensionId!, tabId);
    expect(await late.waitForCount(906)).toEqual(events);
  }, E2E_TIMEOUT_MS);

  it('navigation keeps the previous page in the buffer; the panel shows the current page unless preserve log', async () => {
    const { tabId, page } = await openApp();
    await page.goto(`${server.origin}/socket`);
    await page.waitForFunction(() => (window as { __done?: boolean }).__done === true);
    const panel = await PanelPage.open(browser.context, browser.extensionId!, tabId);
    const events = await panel.waitForCount(35 + 3);
    const starts = of(events, 'doc.start').filter((e) => e.frameId === 0);
    expect(starts.map((s) => new URL(s.url).pathname)).toEqual(['/app', '/socket']);
    const visible = await panel.visibleEvents();
    expect(visible.map((e) => e.type)).toEqual(['doc.start', 'ws.create', 'ws.open']);
    expect(visible.every((e) => e.doc === starts[1]!.doc)).toBe(true);
    await panel.page.evaluate(() => (globalThis as unknown as { __riPanel: { bridge: { setPreserveLog(on: boolean): void } } }).__riPanel.bridge.setPreserveLog(true));
    expect(await panel.visibleEvents()).toHaveLength(events.length);
    expect((await callApi<TabStats>(browser.worker!, 'stats', tabId)).url).toBe(`${server.origin}/socket`);
  }, E2E_TIMEOUT_MS);

  it('rejects and counts junk the page dispatches, and junk on the hooks\' own channel; the page gets no extension API', async () => {
    browser = await launchBrowser();
    const page = await browser.context.newPage();
    // As privileged as the hooks: taps the channel the relay hands them (no page script can).
    await page.addInitScript(CHANNEL_TAP_SCRIPT);
    await page.goto(`${server.origin}/socket`);
    await page.waitForFunction(() => (window as { __done?: boolean }).__done === true);
    const tabId = await tabIdOf(browser.worker!, `${server.origin}/socket`);
    const panel = await PanelPage.open(browser.context, browser.extensionId!, tabId);
    await panel.waitForCount(3);
    const pageApi = await page.evaluate(() => {
      const name = 'realtime-inspector:page';
      const channel = (window as unknown as { __riChannel: EventTarget }).__riChannel;
      const base = { seq: 0, pseq: 1, t: Date.now(), frameId: 0, doc: 'forged' };
      // On document, where a page can dispatch: each is refused unread (7). On the channel: the relay
      // and the background's guard reject them as before (8: one claims two events).
      for (const target of [document, channel]) {
        const send = (detail: unknown) => target.dispatchEvent(new CustomEvent(name, { detail }));
        send({ v: 1, kind: 'events', events: [] }); // an object: does not cross worlds as a string
        send('{broken');
        send(JSON.stringify({ v: 2, kind: 'events', events: [] }));
        // Headed as the hooks' messages, so the relay forwards them unparsed: the background's guard rejects their events.
        send(JSON.stringify({ v: 1, kind: 'events', n: 1, events: [{ ...base, type: 'ws.error' }] })); // no conn
        send(JSON.stringify({ v: 1, kind: 'events', n: 1, events: [{ ...base, type: 'capture.dropped', count: 5, where: 'background' }] }));
        send('{"v":1,"kind":"events","n":2,"events":[{"broken');
        send('x'.repeat(9 * 1024 * 1024));
      }
      const w = window as unknown as { chrome?: { runtime?: { sendMessage?: unknown; connect?: unknown } } };
      return [typeof w.chrome?.runtime?.sendMessage, typeof w.chrome?.runtime?.connect];
    });
    expect(pageApi).toEqual(['undefined', 'undefined']);
    const events = await panel.waitForCount(4);
    await page.waitForTimeout(200);
    const drops = of(await panel.events(), 'capture.dropped');
    expect(drops.every((d) => d.where === 'relay')).toBe(true);
    expect(drops.reduce((n, d) => n + d.count, 0)).toBe(15);
    expect(events.some((e) => e.doc === 'forged')).toBe(false);
    expect((await panel.stats()).rejected).toBe(15);
    expect((await callApi<TabStats>(browser.worker!, 'stats', tabId)).rejected).toBe(15);
  }, E2E_TIMEOUT_MS);

  it('measures throughput page → panel with nothing dropped: the relay path alone, and a WebSocket flood through the hooks', async () => {
    browser = await launchBrowser();
    const page = await browser.context.newPage();
    await page.addInitScript(CHANNEL_TAP_SCRIPT);
    await page.goto(`${server.origin}/socket`);
    await page.waitForFunction(() => (window as { __done?: boolean }).__done === true);
    const tabId = await tabIdOf(browser.worker!, `${server.origin}/socket`);
    const panel = await PanelPage.open(browser.context, browser.extensionId!, tabId);
    await panel.waitForCount(3);

    // 1. The relay → worker → panel path alone: well-formed events dispatched as the hooks do, 500 per message,
    // on their channel (tapped by the init script).
    const relayed = 20_000;
    const relayStart = Date.now();
    const relayDone = panel.whenCount(3 + relayed);
    await page.evaluate((n) => {
      let pseq = 1_000_000;
      for (let sent = 0; sent < n; sent += 500) {
        const events = Array.from({ length: 500 }, () => ({
          type: 'ws.message', seq: 0, pseq: ++pseq, t: Date.now(), frameId: 0, doc: 'synthetic', conn: 'synthetic:1',
          dir: 'in', data: { size: 8, encoding: 'text', data: `m${pseq}`, truncated: false },
        }));
        const channel = (window as unknown as { __riChannel: EventTarget }).__riChannel;
        channel.dispatchEvent(new CustomEvent('realtime-inspector:page', { detail: JSON.stringify({ v: 1, kind: 'events', n: events.length, events }) }));
      }
    }, relayed);
    const relaySeconds = ((await relayDone) - relayStart) / 1000;

    // 2. Through the hooks: the server floods the page's WebSocket.
    const flood = 10_000;
    const floodStart = Date.now();
    const floodDone = panel.whenCount(3 + relayed + 1 + flood);
    await page.evaluate((n) => (window as unknown as { ws: WebSocket }).ws.send(`flood:${n}`), flood);
    const floodSeconds = ((await floodDone) - floodStart) / 1000;

    const total = 3 + relayed + 1 + flood;
    expect(await panel.seqs()).toEqual(oneTo(total));
    expect((await panel.stats()).dropped).toBe(0);
    console.log(
      `[pipeline] relay path: ${relayed} events in ${relaySeconds.toFixed(2)} s = ${Math.round(relayed / relaySeconds)} events/s; ` +
        `WebSocket flood through the hooks: ${flood + 1} events in ${floodSeconds.toFixed(2)} s = ${Math.round((flood + 1) / floodSeconds)} events/s; 0 dropped`,
    );
  }, E2E_TIMEOUT_MS);
});
