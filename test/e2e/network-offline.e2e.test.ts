/**
 * The network going away for real, as the browser sees it: Chrome's own offline throttling
 * (DevTools protocol `Network.emulateNetworkConditions`, what DevTools' "Offline" does) fires
 * the window's `offline` and `online` events and fails every connection attempt in between.
 * It leaves open connections alone, where a real loss of the link (Wi-Fi off, a laptop that
 * slept) kills them: so the server drops its TCP connections at the same moment.
 *
 * With the BUILT extension in real Chromium, socket.io-client 4 with its defaults and a native
 * EventSource lose their connections, retry while offline, and come back. The capture must
 * hold the browser's own word (`page.network`), and the report must name 'network offline' as
 * the cause of the drops and failed retries, raise `reconnect-on-network-change` with how long
 * after the network came back the client's first attempt came, and blame no server or proxy
 * for the attempts that failed while offline (`ws-failed-before-open`). An `offline` event the
 * page dispatches itself is not recorded.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Server as SocketIoServer } from 'socket.io';
import { analyzeCapture } from '../../src/core/index.ts';
import type { CaptureEvent } from '../../src/core/events.ts';
import { launchBrowser, type LaunchedBrowser } from '../support/browser.ts';
import { exportTab, PanelPage, tabIdOf } from './fixtures/extension.ts';

const SOCKET_IO_CLIENT = readFileSync(new URL('../../node_modules/socket.io-client/dist/socket.io.min.js', import.meta.url), 'utf8');

/** How long the page stays offline (ms): several of socket.io's retries (1 s ± 50 %, doubling, capped at 5 s) and EventSource's. */
const OFFLINE_MS = 12_000;
const E2E_TIMEOUT_MS = 90_000;

const PAGE = `<!doctype html><html><head><title>network offline</title></head><body>
<script src="/socket.io.min.js"></script>
<script>
  // A page's own offline event is no word of the browser's: not recorded.
  dispatchEvent(new Event('offline'));
  window.__log = [];
  const log = (what) => __log.push({ t: performance.timeOrigin + performance.now(), what });
  // socket.io-client with its defaults: polling first, then the WebSocket upgrade.
  const socket = io();
  socket.on('connect', () => log('io connect'));
  socket.on('disconnect', (reason) => log('io disconnect ' + reason));
  const es = new EventSource('/events');
  es.onopen = () => log('es open');
  es.onerror = () => log('es error');
</script></body></html>`;

let server: Server;
let io: SocketIoServer;
let origin = '';
let browser: LaunchedBrowser;
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    } else if (url.pathname === '/socket.io.min.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(SOCKET_IO_CLIENT);
    } else if (url.pathname === '/events') {
      // retry: 1000 so that several attempts fail while offline.
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      res.write('retry: 1000\n\ndata: hello\n\n');
    } else if (!url.pathname.startsWith('/socket.io/')) {
      res.writeHead(404).end();
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  io = new SocketIoServer(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  io?.close();
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
});

describe('network offline for real (Chrome offline throttling, built extension)', () => {
  it("records the browser's offline window and names it as the cause of the drops and failed retries", { timeout: E2E_TIMEOUT_MS }, async () => {
    const page = await browser.context.newPage();
    await page.goto(`${origin}/`);
    const pageLog = async () => page.evaluate(() => (window as unknown as { __log: Array<{ t: number; what: string }> }).__log);
    await page.waitForFunction(() => {
      const log = (window as unknown as { __log: Array<{ what: string }> }).__log;
      return log.some((e) => e.what === 'io connect') && log.some((e) => e.what === 'es open');
    });
    // Let socket.io upgrade to its WebSocket.
    await page.waitForTimeout(1500);
    const tabId = await tabIdOf(browser.worker!, `${origin}/`);

    const cdp = await browser.context.newCDPSession(page);
    await cdp.send('Network.enable');
    const conditions = (offline: boolean) => ({ offline, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await cdp.send('Network.emulateNetworkConditions', conditions(true));
    // What the lost link does to the connections that were open.
    for (const s of sockets) s.destroy();
    await page.waitForTimeout(OFFLINE_MS);
    await cdp.send('Network.emulateNetworkConditions', conditions(false));
    await page.waitForFunction(
      (n) => {
        const log = (window as unknown as { __log: Array<{ what: string }> }).__log;
        return log.filter((e) => e.what === 'io connect').length >= 2 && log.filter((e) => e.what === 'es open').length >= 2;
      },
      undefined,
      { timeout: 30_000 },
    );
    await page.waitForTimeout(1500);

    const capture = await exportTab(browser.worker!, tabId);
    const events = capture.events as CaptureEvent[];
    const network = events.filter((e): e is Extract<CaptureEvent, { type: 'page.network' }> => e.type === 'page.network');
    const context = `page log ${JSON.stringify(await pageLog())}; network ${JSON.stringify(network.map((e) => [e.t, e.online]))}`;
    expect(network.map((e) => e.online), context).toEqual([false, true]);

    const report = analyzeCapture(events);
    const summary = report.channels.map((c) => `${c.kind} ${c.url}: ${c.reconnects.map((r) => `${Math.round(r.delayMs)} (${r.cause})`).join(', ')} [${c.findings.map((f) => f.code).join(', ')}]`).join('\n');
    const [offlineAt, onlineAt] = [network[0]!.t, network[1]!.t];
    for (const kind of ['websocket', 'sse'] as const) {
      // socket.io's reconnects show on its WebSocket channel or on the polling handshakes that follow the drop.
      const channels = report.channels.filter((c) => (kind === 'sse' ? c.kind === 'sse' : c.protocol === 'socket.io'));
      const inWindow = channels.flatMap((c) => c.reconnects).filter((r) => r.at > offlineAt && r.at <= onlineAt + 100);
      expect(inWindow.length, `${kind}: retries while offline\n${summary}\n${context}`).toBeGreaterThan(0);
      expect(inWindow.map((r) => r.cause), `${kind}\n${summary}`).toEqual(inWindow.map(() => 'network offline'));
      const finding = channels.flatMap((c) => c.findings).find((f) => f.code === 'reconnect-on-network-change');
      expect(finding?.evidence, `${kind}\n${summary}`).toMatchObject({ source: 'browser' });
      expect(typeof finding!.evidence.afterOnlineMs, `${kind}\n${summary}`).toBe('number');
      for (const c of channels) expect(c.findings.map((f) => f.code), `${kind}\n${summary}`).not.toContain('ws-failed-before-open');
    }

    // The panel's page timeline gives the offline window a lane of its own, above the channels.
    const panel = await PanelPage.open(browser.context, browser.extensionId!, tabId);
    const lanes = await panel.page
      .waitForFunction(() => {
        const chart = (globalThis as unknown as { __riPanel: { charts?: Record<string, { laneNames?: string; spanLane?: ArrayLike<number> }> } }).__riPanel.charts?.['page-timeline'];
        return chart?.laneNames?.split('\n')[0] === 'browser offline' && Array.from(chart.spanLane ?? []).includes(0) ? chart.laneNames : false;
      }, undefined, { timeout: 20_000 })
      .then((handle) => handle.jsonValue());
    expect(String(lanes).split('\n').length).toBeGreaterThan(2);
    await panel.page.close();
    await page.close();
  });
});
