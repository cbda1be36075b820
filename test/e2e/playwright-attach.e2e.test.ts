/**
 * `attach()` of realtime-inspector/playwright (src/playwright/recorder.ts) in real
 * Chromium with no extension: a page whose real-time traffic runs in two iframes
 * (one cross-site, so in its own renderer process) is recorded from document_start in
 * every frame, each frame under a frame id of its own, and faults reach the frames that hold the connections;
 * attached to a context, every page of it is recorded.
 * Needs lib/playwright/ built (`npm run build`) for the page scripts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { startLab, type Lab } from '../../lab/server.ts';
import { attach } from '../../src/playwright/recorder.ts';
import { analyzeCapture } from '../../src/core/index.ts';
import type { CaptureEvent, EventOf } from '../../src/core/events.ts';
import { launchBrowser, type LaunchedBrowser } from '../support/browser.ts';

let lab: Lab;
let browser: LaunchedBrowser;
let top: Server;
let topUrl: string;

beforeAll(async () => {
  lab = await startLab({ port: 0, scale: 0.2 });
  const port = new URL(lab.url).port;
  top = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    // frames.localhost is another site than 127.0.0.1: Chromium puts that frame in a process of its own.
    res.end(`<!doctype html><title>frames</title>
<iframe src="${lab.url}/pages/websocket.html?mode=ws-heartbeat&scale=0.2"></iframe>
<iframe src="http://frames.localhost:${port}/pages/sse.html?mode=sse-resume&scale=0.2"></iframe>`);
  });
  top.listen(0, '127.0.0.1');
  await once(top, 'listening');
  topUrl = `http://127.0.0.1:${(top.address() as AddressInfo).port}/`;
  browser = await launchBrowser({ extension: false });
});

afterAll(async () => {
  await browser?.close();
  top?.close();
  await lab?.close();
});

async function until(check: () => boolean, what: string, events: () => CaptureEvent[], timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; events: ${events().map((e) => `${e.type}@${e.frameId}`).join(' ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('attach() on a page with frames, no extension', () => {
  it('records every frame from its first document, with a frame id each, and injects faults into the frames that hold the connections', async () => {
    const page = await browser.context.newPage();
    try {
      const rt = await attach(page);
      await page.goto(topUrl);
      const of = <T extends CaptureEvent['type']>(type: T) => rt.events().filter((e): e is EventOf<T> => e.type === type);
      await until(() => of('ws.open').length > 0 && of('sse.message').length > 0, 'a WebSocket open and an SSE message', rt.events);

      const starts = of('doc.start');
      const topDoc = starts.find((e) => e.top);
      expect(topDoc?.frameId).toBe(0);
      const frames = starts.filter((e) => !e.top);
      expect(frames.map((e) => new URL(e.url).pathname).sort()).toEqual(['/pages/sse.html', '/pages/websocket.html']);
      for (const frame of frames) {
        expect(frame.frameId).toBeGreaterThan(0);
        // Cross-origin to the top page: the hooks cannot reach its record, as in the extension.
        expect(frame.parentDoc).toBeNull();
      }
      expect(new Set(frames.map((e) => e.frameId)).size).toBe(2);
      const wsFrame = frames.find((e) => e.url.includes('websocket.html'))!;
      const sseFrame = frames.find((e) => e.url.includes('sse.html'))!;
      expect(of('ws.open').every((e) => e.frameId === wsFrame.frameId)).toBe(true);
      expect(of('sse.message').every((e) => e.frameId === sseFrame.frameId)).toBe(true);
      // Every event passed the background's guard once, in arrival order.
      const seqs = rt.events().map((e) => e.seq);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));

      await rt.fault('close', { code: 4001, reason: 'from the test' });
      await until(() => of('ws.close').some((e) => e.code === 4001), 'the injected close', rt.events);
      const close = of('ws.close').find((e) => e.code === 4001)!;
      expect(close).toMatchObject({ frameId: wsFrame.frameId, reason: 'from the test' });

      // The other faults reach the hooks too: each one's fault event, from the frames that hold hooks.
      await rt.fault('stall', { for: 300 });
      await rt.fault('latency', { delay: 50, for: 300 });
      await until(() => of('fault').filter((e) => e.phase === 'end').length >= 4, 'the stall and latency windows ending in both frames', rt.events);
      // By URL: the open connections that match, here the WebSocket the page opened again after the close.
      await until(() => of('ws.open').length >= 2, 'the page reconnecting after the close', rt.events);
      await rt.fault('drop', { url: '/ws/heartbeat' });
      await until(() => of('ws.close').some((e) => e.code === 1006 && !e.wasClean), 'the dropped socket closing 1006', rt.events);
      const dropped = of('fault').find((e) => e.fault === 'drop')!;
      expect(of('ws.create').map((e) => e.conn)).toContain(dropped.conn);
      await expect(rt.fault('drop', { url: '/nowhere' })).rejects.toThrow(/no open connection with url containing "\/nowhere" \(open: .*\/sse\/feed/);
      // offline also takes the browser context offline for its window: the page hears the browser say so.
      await rt.fault('offline', { for: 1500 });
      expect(await page.evaluate(() => navigator.onLine)).toBe(false);
      await until(() => of('page.network').some((e) => e.online), 'the browser saying the network is back', rt.events);
      expect(of('page.network')[0]?.online).toBe(false);
      expect(await page.evaluate(() => navigator.onLine)).toBe(true);
      const applied = of('fault').map((e) => `${e.fault}:${e.phase}`);
      for (const phase of ['close:instant', 'stall:start', 'stall:end', 'latency:start', 'latency:end', 'drop:instant', 'offline:start']) expect(applied).toContain(phase);

      const report = await rt.report();
      expect(report.page.url).toBe(topUrl);
      const kinds = report.channels.map((c) => `${c.kind} ${new URL(c.url).pathname}`);
      expect(kinds).toEqual(expect.arrayContaining(['websocket /ws/heartbeat', 'sse /sse/feed']));
      expect(report.summary.droppedEvents).toBe(0);

      await rt.detach();
      const held = rt.events().length;
      await new Promise((r) => setTimeout(r, 1500));
      expect(rt.events().length).toBe(held);
    } finally {
      await page.close();
    }
  });
});

describe('attach(): documents that go away', () => {
  it('a removed frame, a navigation and a closed page each end their document, and the report ends its socket there', async () => {
    const page = await browser.context.newPage();
    const rt = await attach(page);
    const of = <T extends CaptureEvent['type']>(type: T) => rt.events().filter((e): e is EventOf<T> => e.type === type);
    const docOf = (path: string) => of('doc.start').find((e) => e.url.includes(path))?.doc;
    const ended = (doc: string | undefined) => of('doc.end').filter((e) => e.doc === doc);
    await page.goto(topUrl);
    await until(() => of('ws.message').length > 0 && of('sse.message').length > 0, 'WebSocket and SSE messages', rt.events);

    // The WebSocket frame is removed from the page: its document is gone, and the socket with it
    // (the browser closes it without a close event in the page).
    const removedAt = Date.now();
    await page.evaluate(() => document.querySelector('iframe[src*="websocket.html"]')!.remove());
    await until(() => ended(docOf('websocket.html')).length === 1, "the removed frame's doc.end", rt.events);
    expect(ended(docOf('websocket.html'))[0]!.t).toBeGreaterThanOrEqual(removedAt - 50);
    // Long enough after it that a socket read as open would read idle for longer than its heartbeat (3 s here).
    await new Promise((r) => setTimeout(r, 6000));
    const at = Date.now();
    const socket = (events: CaptureEvent[]) => analyzeCapture(events, { until: at }).channels.find((c) => c.kind === 'websocket')!;
    expect(socket(rt.events()).heartbeat!.maxIdleMs).toBeLessThan(5000);
    expect(socket(rt.events().filter((e) => e.type !== 'doc.end')).heartbeat!.maxIdleMs).toBeGreaterThan(5500);

    // The page navigates: the top document goes, and the SSE frame with it.
    const leftAt = Date.now();
    await page.goto('about:blank');
    await until(() => ended(docOf(topUrl)).length === 1 && ended(docOf('sse.html')).length === 1, 'doc.end of the page left and of its frame', rt.events);
    for (const path of [topUrl, 'sse.html']) {
      const [end] = ended(docOf(path));
      expect(end!.t, path).toBeGreaterThanOrEqual(leftAt - 50);
      expect(end!.t, path).toBeLessThan(leftAt + 3000);
    }
    // Every doc.end passed through the recorder's sequence, once per document.
    const seqs = rt.events().map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(of('doc.end').filter((e) => [topUrl, 'websocket.html', 'sse.html'].some((p) => e.doc === docOf(p)))).toHaveLength(3);

    // A closed page ends the document it showed.
    const other = await browser.context.newPage();
    const rtOther = await attach(other);
    await other.goto(`${lab.url}/pages/websocket.html?mode=ws-heartbeat&scale=0.2`);
    await until(() => rtOther.events().some((e) => e.type === 'ws.open'), 'the second page open', rtOther.events);
    const shown = rtOther.events().find((e) => e.type === 'doc.start' && e.url.includes('websocket.html'))!.doc;
    await other.close();
    expect(rtOther.events().filter((e) => e.type === 'doc.end' && e.doc === shown)).toHaveLength(1);
    await page.close();
  });
});

describe('attach() on a context', () => {
  it("records every page of the context, each page's top frame as frame 0", async () => {
    // The launched (persistent) context itself: this test runs last in the file, after the page-level one.
    const context = browser.context;
    const rt = await attach(context);
    const pages = [await context.newPage(), await context.newPage()];
    try {
      await pages[0]!.goto(`${lab.url}/pages/websocket.html?mode=ws-heartbeat&scale=0.2`);
      await pages[1]!.goto(`${lab.url}/pages/sse.html?mode=sse-resume&scale=0.2`);
      // A new page's initial about:blank document has hooks too (as with the extension's match_about_blank).
      const tops = () => rt.events().filter((e) => e.type === 'doc.start' && e.top && e.url !== 'about:blank');
      await until(() => tops().length === 2 && rt.events().some((e) => e.type === 'sse.message') && rt.events().some((e) => e.type === 'ws.open'), 'both pages', rt.events);
      expect(tops().map((e) => e.frameId)).toEqual([0, 0]);
      const report = await rt.report();
      expect(report.channels.map((c) => `${c.kind} ${new URL(c.url).pathname}`)).toEqual(expect.arrayContaining(['websocket /ws/heartbeat', 'sse /sse/feed']));
    } finally {
      await Promise.all(pages.map((p) => p.close()));
    }
  });
});
