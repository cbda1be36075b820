/**
 * Fault injection as the page sees it, in real Chromium with the built extension.
 * Where the browser has a real counterpart (a server that drops the TCP
 * connection, a closed port, a server close frame), the page's observations of
 * the injected fault are compared with its observations of the real thing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { CaptureEvent } from '../../src/core/events.ts';
import type { FaultCommand } from '../../src/shared/page-bridge.ts';
import { launchBrowser, type LaunchedBrowser } from '../support/browser.ts';
import { installCollector, sendToHooks, waitForEvents } from './support/capture.ts';
import { startServer, type TestServer } from './support/server.ts';

let browser: LaunchedBrowser;
let server: TestServer;

beforeAll(async () => {
  server = await startServer();
  // Shared page helpers: a WebSocket whose every event is logged with what the page can see.
  server.page(
    '/fault.html',
    `<!doctype html><title>faults</title><script>
      window.wsLog = (ws) => {
        const log = [];
        for (const type of ['open', 'message', 'error', 'close']) {
          ws.addEventListener(type, (e) => log.push(type === 'message' ? ['message', e.data]
            : type === 'close' ? ['close', e.code, e.reason, e.wasClean, ws.readyState] : [type]));
        }
        return log;
      };
      window.whenOpen = (ws) => new Promise((resolve) => ws.addEventListener('open', resolve, { once: true }));
      window.whenClosed = (ws) => new Promise((resolve) => ws.addEventListener('close', resolve, { once: true }));
      window.xhrLog = (url) => new Promise((resolve) => {
        const x = new XMLHttpRequest();
        const log = [];
        for (const name of ['readystatechange', 'load', 'error', 'abort', 'timeout', 'loadend']) {
          x.addEventListener(name, () => { if (name !== 'readystatechange' || x.readyState === 4) log.push([name, x.readyState, x.status]); });
        }
        x.onloadend = () => resolve(log);
        x.open('GET', url);
        x.send();
        window.lastXhr = x;
      });
      window.readAll = async (url) => {
        const res = await fetch(url);
        const reader = res.body.getReader();
        let chunks = 0;
        try { for (;;) { const { done } = await reader.read(); if (done) return ['done', chunks]; chunks++; } }
        catch (e) { return [e.constructor.name, e.name, e.message]; }
      };
    </script>`,
  );
  browser = await launchBrowser({ extension: true });
  await installCollector(browser.context);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function openFaultPage(): Promise<Page> {
  const page = await browser.context.newPage();
  await page.goto(`${server.origin}/fault.html`);
  await page.evaluate(`window.WS = ${JSON.stringify(server.wsOrigin)} + '/ws'`);
  return page;
}

const inject = (page: Page, command: FaultCommand) => sendToHooks(page, { v: 1, kind: 'fault', command });

describe('faults as the page sees them', () => {
  it('drop: a WebSocket closes exactly as when the server drops the TCP connection', async () => {
    const page = await openFaultPage();
    const real = await page.evaluate(`(async () => {
      const ws = new WebSocket(WS); const log = wsLog(ws); await whenOpen(ws);
      ws.send('terminate'); await whenClosed(ws); return log;
    })()`);
    await page.evaluate(`window.ws = new WebSocket(WS); window.log = wsLog(ws); window.done = whenClosed(ws); whenOpen(ws)`);
    await inject(page, { fault: 'drop', conn: null });
    const injected = await page.evaluate(`done.then(() => log)`);
    expect(injected).toEqual(real);
    expect(injected).toEqual([['open'], ['close', 1006, '', false, 3]]);
    const events = await waitForEvents(page, (e) => e.filter((x) => x.type === 'ws.close').length === 2);
    expect(events.find((e) => e.type === 'fault')).toMatchObject({ fault: 'drop', conn: null, phase: 'instant' });
    expect(events.filter((e) => e.type === 'ws.close').at(-1)).toMatchObject({ code: 1006, wasClean: false, initiator: 'server' });
    await page.close();
  });

  it('close: the page receives a server close with the chosen code, as from a real close frame', async () => {
    const page = await openFaultPage();
    const real = await page.evaluate(`(async () => {
      const ws = new WebSocket(WS); const log = wsLog(ws); await whenOpen(ws);
      ws.send('close:4003:policy'); await whenClosed(ws); return log;
    })()`);
    await page.evaluate(`window.ws = new WebSocket(WS); window.log = wsLog(ws); window.done = whenClosed(ws); whenOpen(ws)`);
    await inject(page, { fault: 'close', code: 4003, reason: 'policy', conn: null });
    expect(await page.evaluate(`done.then(() => log)`)).toEqual(real);
    expect(real).toEqual([['open'], ['close', 4003, 'policy', true, 3]]);
    await page.close();
  });

  it('stall: incoming messages are held for the duration, then delivered in order', async () => {
    const page = await openFaultPage();
    await page.evaluate(`(async () => {
      window.ws = new WebSocket(WS); window.got = [];
      ws.onmessage = (e) => got.push([e.data, performance.now()]);
      await whenOpen(ws);
    })()`);
    const beforeStall = (await page.evaluate('performance.now()')) as number;
    await inject(page, { fault: 'stall', durationMs: 600, conn: null });
    await page.evaluate(`ws.send('burst:5')`);
    await page.waitForFunction('got.length === 5');
    const got = (await page.evaluate('got')) as Array<[string, number]>;
    expect(got.map(([d]) => d)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    // The stall began after beforeStall, so nothing may reach the page before beforeStall + 600 ms.
    for (const [, at] of got) expect(at - beforeStall).toBeGreaterThanOrEqual(595);
    // After the stall, messages flow at once again.
    const after = (await page.evaluate(`new Promise((resolve) => { const t = performance.now();
      ws.onmessage = () => resolve(performance.now() - t); ws.send('x'); })`)) as number;
    expect(after).toBeLessThan(550);
    const inboundOf = (e: CaptureEvent[]) => e.filter((x) => x.type === 'ws.message' && x.dir === 'in');
    const events = await waitForEvents(
      page,
      (e) => e.some((x) => x.type === 'fault' && x.phase === 'end') && inboundOf(e).length === 6,
    );
    expect(events.filter((e) => e.type === 'fault').map((e) => e.type === 'fault' && [e.fault, e.phase, e.params])).toEqual([
      ['stall', 'start', { durationMs: 600 }],
      ['stall', 'end', { durationMs: 600 }],
    ]);
    // Capture records each message when it arrived from the network, before the page saw it.
    const inbound = inboundOf(events);
    const origin = (await page.evaluate('performance.timeOrigin')) as number;
    inbound.slice(0, 5).forEach((m, i) => expect(m.t - origin).toBeLessThan(got[i]![1]));
    await page.close();
  });

  it('latency: responses and incoming messages are delayed by delayMs', async () => {
    const page = await openFaultPage();
    await page.evaluate(`(async () => { window.ws = new WebSocket(WS); await whenOpen(ws); })()`);
    await inject(page, { fault: 'latency', delayMs: 400, durationMs: 0 });
    const timings = (await page.evaluate(`(async () => {
      let t = performance.now(); await fetch('/json'); const fetchMs = performance.now() - t;
      t = performance.now(); await new Promise((resolve) => { ws.onmessage = resolve; ws.send('ping'); }); const wsMs = performance.now() - t;
      t = performance.now(); await xhrLog('/json'); const xhrMs = performance.now() - t;
      return [fetchMs, wsMs, xhrMs];
    })()`)) as number[];
    for (const ms of timings) expect(ms).toBeGreaterThanOrEqual(390);
    await inject(page, { fault: 'latency', delayMs: 0, durationMs: 0 });
    const fast = (await page.evaluate(`(async () => { const t = performance.now(); await fetch('/json'); return performance.now() - t; })()`)) as number;
    expect(fast).toBeLessThan(390);
    await page.close();
  });

  it('latency: SSE messages reach every kind of page listener late, once each, a once listener included', async () => {
    const page = await openFaultPage();
    await inject(page, { fault: 'latency', delayMs: 400, durationMs: 0 });
    const log = (await page.evaluate(`(async () => {
      const log = [];
      const es = new EventSource('/sse?hold=1');
      const note = (label) => (e) => log.push([label, e.data, performance.timeOrigin + performance.now()]);
      es.addEventListener('message', note('once'), { once: true });
      es.onmessage = note('handler');
      es.addEventListener('message', { handleEvent: note('object') });
      await new Promise((resolve) => es.addEventListener('message', (e) => e.data === 'last' && resolve()));
      es.close();
      return log;
    })()`)) as Array<[string, string, number]>;
    expect(log.map(([label, data]) => [label, data])).toEqual([
      ['once', 'first'],
      ['handler', 'first'],
      ['object', 'first'],
      ['handler', 'last'],
      ['object', 'last'],
    ]);
    const events = await waitForEvents(page, (e) => e.some((x) => x.type === 'sse.close'));
    const messages = events.flatMap((e) => (e.type === 'sse.message' ? [e] : []));
    expect(messages.map((m) => m.data.data)).toEqual(['first', 'last']);
    // Recorded when it arrived; every listener got it 400 ms later.
    for (const [, data, at] of log) expect(at - messages.find((m) => m.data.data === data)!.t).toBeGreaterThanOrEqual(390);
    await inject(page, { fault: 'latency', delayMs: 0, durationMs: 0 });
    await page.close();
  });

  it('offline: new connections fail like a real network failure; open ones drop; all recovers after the window', async () => {
    const page = await openFaultPage();
    // Real failures first: a closed port for fetch, XHR and WebSocket.
    const real = await page.evaluate(`(async () => {
      const fetchError = await fetch('http://127.0.0.1:1/x').catch((e) => [e.constructor.name, e.message]);
      const xhr = await xhrLog('http://127.0.0.1:1/x');
      const ws = new WebSocket('ws://127.0.0.1:1/x'); const log = wsLog(ws); await whenClosed(ws);
      return [fetchError, xhr, log];
    })()`);
    await page.evaluate(`(async () => { window.open1 = new WebSocket(WS); window.openLog = wsLog(open1); await whenOpen(open1); })()`);
    await inject(page, { fault: 'offline', durationMs: 1500 });
    const injected = await page.evaluate(`(async () => {
      const fetchError = await fetch('/json').catch((e) => [e.constructor.name, e.message]);
      const xhr = await xhrLog('/json');
      const ws = new WebSocket(WS); const log = wsLog(ws); await whenClosed(ws);
      return [fetchError, xhr, log];
    })()`);
    expect(injected).toEqual(real);
    expect((injected as unknown[])[0]).toEqual(['TypeError', 'Failed to fetch']);
    expect(await page.evaluate('openLog')).toEqual([['open'], ['close', 1006, '', false, 3]]);
    const es = await page.evaluate(`new Promise((resolve) => { const es = new EventSource('/sse');
      es.onerror = () => resolve(['error', es.readyState]); es.onopen = () => resolve(['open']); })`);
    expect(es).toEqual(['error', 2]);
    await page.waitForTimeout(1600);
    expect(await page.evaluate(`fetch('/json').then((r) => r.json())`)).toEqual({ ok: true, n: 1 });
    const events = await waitForEvents(page, (e) => e.some((x) => x.type === 'fault' && x.phase === 'end'));
    expect(events.filter((e) => e.type === 'fault').map((e) => e.type === 'fault' && [e.fault, e.phase])).toEqual([
      ['offline', 'start'],
      ['offline', 'end'],
    ]);
    await page.close();
  });

  it('drop: a streamed fetch body errors in the page like a real mid-stream network drop', async () => {
    const page = await openFaultPage();
    const real = await page.evaluate(`readAll('/stream?n=3&destroy=1')`);
    const pending = page.evaluate(`readAll('/stream?n=100&hold=1')`);
    await page.waitForTimeout(300);
    await inject(page, { fault: 'drop', conn: null });
    const injected = (await pending) as unknown[];
    expect(injected).toEqual(real);
    expect(injected).toEqual(['TypeError', 'TypeError', 'network error']);
    const events = await waitForEvents(page, (e) => e.filter((x) => x.type === 'http.error').length === 2);
    expect(events.filter((e) => e.type === 'http.error').map((e) => e.type === 'http.error' && e.reason)).toEqual([
      'network',
      'network',
    ]);
    await page.close();
  });

  it('drop: a fetch still waiting for its response rejects like a real connection failure', async () => {
    const page = await openFaultPage();
    const real = await page.evaluate(`fetch('http://127.0.0.1:1/x').catch((e) => [e.constructor.name, e.message])`);
    const pending = page.evaluate(`fetch('/slow?ms=3000').then(() => 'resolved', (e) => [e.constructor.name, e.message])`);
    await page.waitForTimeout(200);
    await inject(page, { fault: 'drop', conn: null });
    expect(await pending).toEqual(real);
    await page.close();
  });

  it('drop: a streaming XHR fires error with status 0, like a real mid-stream network drop', async () => {
    const page = await openFaultPage();
    const real = await page.evaluate(`xhrLog('/stream?n=3&destroy=1')`);
    const pending = page.evaluate(`xhrLog('/stream?n=100&hold=1')`);
    await page.waitForTimeout(300);
    await inject(page, { fault: 'drop', conn: null });
    const injected = await pending;
    expect(injected).toEqual(real);
    expect(injected).toEqual([
      ['readystatechange', 4, 0],
      ['error', 4, 0],
      ['loadend', 4, 0],
    ]);
    await page.close();
  });

  it('drop: an EventSource is closed and fires error (readyState CLOSED: the browser reconnect cannot be driven)', async () => {
    const page = await openFaultPage();
    await page.evaluate(`new Promise((resolve) => { window.es = new EventSource('/sse?hold=1'); window.esLog = [];
      es.onopen = resolve; es.onerror = () => esLog.push(['error', es.readyState]); })`);
    await inject(page, { fault: 'drop', conn: null });
    await page.waitForFunction('esLog.length === 1');
    expect(await page.evaluate('esLog')).toEqual([['error', 2]]);
    await page.close();
  });
});
