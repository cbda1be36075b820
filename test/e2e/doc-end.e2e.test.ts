/**
 * Documents that go away, in real Chromium with the built extension: a navigation, and a tab
 * that Chrome discards to save memory (`chrome.tabs.discard`, what Memory Saver does) and that
 * reloads when the user comes back to it. The browser closes the document's WebSocket without
 * a close event in the page, so the capture alone would read the socket as open and silent
 * until the capture ends (an idle gap NATs cut, a connection that never ended). The background
 * records `doc.end` when the document's relay port closes for good; the report must end the
 * socket there. A discarded tab comes back under a new tab id (`tabs.onReplaced`, Chromium 156):
 * the capture must go on under it, with the first document's events, its `doc.end`, and the
 * reloaded document's events, and the socket the reloaded page opens is no reconnect.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeCapture } from '../../src/core/index.ts';
import type { CaptureEvent, EventOf } from '../../src/core/events.ts';
import type { ChannelReport } from '../../src/core/report-types.ts';
import { DOC_END_GRACE_MS } from '../../src/shared/constants.ts';
import { launchBrowser, type LaunchedBrowser } from '../support/browser.ts';
import { exportTab, tabIdOf } from './fixtures/extension.ts';

const E2E_TIMEOUT_MS = 60_000;
/** The server's tick on the socket. */
const TICK_MS = 500;

const LIVE_PAGE = `<!doctype html><html><head><title>live</title></head><body><script>
const ws = new WebSocket('ws://' + location.host + '/ws');
ws.onmessage = () => {};
</script></body></html>`;
const PLAIN_PAGE = '<!doctype html><html><head><title>plain</title></head><body>no real-time here</body></html>';

let server: Server;
let origin = '';
let browser: LaunchedBrowser;

beforeAll(async () => {
  server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(req.url?.startsWith('/plain') ? PLAIN_PAGE : LIVE_PAGE);
  });
  const wss = new WebSocketServer({ server, path: '/ws' });
  wss.on('connection', (socket) => {
    const tick = setInterval(() => socket.send('{"tick":1}'), TICK_MS);
    socket.on('close', () => clearInterval(tick));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ends = (events: readonly CaptureEvent[]) => events.filter((e): e is EventOf<'doc.end'> => e.type === 'doc.end');
const starts = (events: readonly CaptureEvent[]) => events.filter((e): e is EventOf<'doc.start'> => e.type === 'doc.start');
const socketChannel = (events: CaptureEvent[]): ChannelReport => {
  const channel = analyzeCapture(events).channels.find((c) => c.kind === 'websocket');
  expect(channel, 'a websocket channel').toBeDefined();
  return channel!;
};

describe('a document that goes away ends its connections', { timeout: E2E_TIMEOUT_MS }, () => {
  it('navigation: the socket ends when its document went, not when the capture ends', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${origin}/live`);
    await sleep(2500);
    const leftAt = Date.now();
    await page.goto(`${origin}/plain`);
    // Past the grace in which a relay may come back, and long enough that an open socket would read as idle.
    await sleep(DOC_END_GRACE_MS + 3000);
    const tabId = await tabIdOf(browser.worker!, `${origin}/plain`);
    const { events } = await exportTab(browser.worker!, tabId);
    const live = starts(events).find((e) => e.url === `${origin}/live`)!;
    const gone = ends(events).filter((e) => e.doc === live.doc);
    expect(gone, 'one doc.end for the page left').toHaveLength(1);
    // Stamped when the port closed: at the navigation, not when the grace ran out (5 s later). The page's
    // clock is estimated from batch arrivals (ports.ts trackClock), which can read it early by a batch's trip.
    expect(gone[0]!.t - leftAt).toBeGreaterThan(-1000);
    expect(gone[0]!.t - leftAt).toBeLessThan(1500);
    expect(events.some((e) => e.type === 'ws.close')).toBe(false);
    const channel = socketChannel(events);
    // Ticks every 0.5 s up to the navigation; without the doc.end the socket would be open and silent for 8 s.
    expect(channel.heartbeat!.maxIdleMs).toBeLessThan(2000);
    await page.close();
  });

  it('a discarded tab: the capture goes on under its new id, and the socket ends at the discard, not at the reload', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${origin}/live?discard`);
    await sleep(2500);
    const tabId = await tabIdOf(browser.worker!, `${origin}/live?discard`);
    // Only a tab in the background is discarded.
    const other = await browser.context.newPage();
    await other.goto(`${origin}/plain?front`);
    await other.bringToFront();
    const discardedAt = Date.now();
    const newId = await browser.worker!.evaluate(async (id) => (await chrome.tabs.discard(id))?.id ?? null, tabId);
    expect(newId, 'Chromium gives the discarded tab a new id').not.toBeNull();
    // Discarded for a while: an open socket would read as silent all along.
    await sleep(DOC_END_GRACE_MS + 3000);
    // The user comes back to the tab: Chrome reloads it.
    await browser.worker!.evaluate(async (id) => void (await chrome.tabs.update(id, { active: true })), newId!);
    await sleep(2500);
    const { events } = await exportTab(browser.worker!, newId!);
    const lives = starts(events).filter((e) => e.url === `${origin}/live?discard`);
    expect(lives, 'the first document and the reloaded one, in one capture').toHaveLength(2);
    const gone = ends(events).filter((e) => e.doc === lives[0]!.doc);
    expect(gone).toHaveLength(1);
    expect(gone[0]!.t - discardedAt).toBeGreaterThan(-1000);
    expect(gone[0]!.t - discardedAt).toBeLessThan(1500);
    const channel = socketChannel(events);
    expect(channel.connections).toBe(2);
    // The reloaded page starting over is no reconnect of the socket the discard took away.
    expect(channel.reconnects).toEqual([]);
    expect(channel.heartbeat!.maxIdleMs).toBeLessThan(2000);
    expect(channel.findings.map((f) => f.code)).not.toContain('no-reconnect');
    await other.close();
  });
});
