/**
 * Our HAR export opened by Chrome DevTools' own HAR importer (the code behind
 * Network panel → Import HAR), in real headless Chromium: the DevTools front
 * end of a tab is reached over the remote debugging port and its
 * `models/har/har.js` module reads the HAR we wrote. No extension needed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { eventsToHar } from '../../src/core/formats/index.ts';
import { realisticSession } from '../fixtures/har/realistic-session.ts';
import { launchBrowser, type LaunchedBrowser } from '../support/browser.ts';
import { freePort } from '../../lab/demo.ts';

let browser: LaunchedBrowser;
let devtools: WebSocket;

let nextId = 0;
function evaluate<T>(expression: string): Promise<T> {
  const id = ++nextId;
  return new Promise((resolve, reject) => {
    const onMessage = (raw: Buffer) => {
      const reply = JSON.parse(String(raw)) as { id?: number; result?: { result: { value: T }; exceptionDetails?: { text: string; exception?: { description?: string } } } };
      if (reply.id !== id) return;
      devtools.off('message', onMessage);
      const details = reply.result?.exceptionDetails;
      if (details) reject(new Error(details.exception?.description ?? details.text));
      else resolve(reply.result!.result.value);
    };
    devtools.on('message', onMessage);
    devtools.send(JSON.stringify({ id, method: 'Runtime.evaluate', params: { expression, awaitPromise: true, returnByValue: true } }));
  });
}

beforeAll(async () => {
  const port = await freePort();
  browser = await launchBrowser({ extension: false, args: ['--auto-open-devtools-for-tabs', `--remote-debugging-port=${port}`] });
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  await page.goto('about:blank');
  let target: { url: string; webSocketDebuggerUrl: string } | undefined;
  for (let i = 0; i < 100 && !target; i++) {
    const list = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{ url: string; webSocketDebuggerUrl: string }>;
    target = list.find((t) => t.url.startsWith('devtools://'));
    if (!target) await new Promise((r) => setTimeout(r, 100));
  }
  if (!target) throw new Error('the DevTools front end did not appear');
  devtools = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    devtools.once('open', resolve);
    devtools.once('error', reject);
  });
});

afterAll(async () => {
  devtools?.close();
  await browser?.close();
});

interface ImportedRequest {
  url: string;
  type: string;
  status: number;
  mime: string;
  frames: Array<{ type: string; opCode: number; text: string }>;
  sse: Array<{ eventName: string; eventId: string; data: string }>;
}

describe('Chrome DevTools opens our HAR export', () => {
  it('imports every entry with its type, status, WebSocket frames and SSE events', async () => {
    const session = realisticSession();
    const har = eventsToHar(session, { redact: false });
    const requests = await evaluate<ImportedRequest[]>(`(async () => {
      const HAR = await import('./models/har/har.js');
      const log = new HAR.HARFormat.HARLog(${JSON.stringify(JSON.parse(JSON.stringify(har)).log)});
      return HAR.Importer.Importer.requestsFromHARLog(log).map((r) => ({
        url: r.url(), type: r.resourceType().name(), status: r.statusCode, mime: r.mimeType ?? '',
        frames: r.frames().map((f) => ({ type: f.type, opCode: f.opCode, text: f.text })),
        sse: r.eventSourceMessages().map((m) => ({ eventName: m.eventName, eventId: m.eventId, data: m.data })),
      }));
    })()`);
    expect(requests).toHaveLength(har.log.entries.length);
    const byUrl = (part: string) => requests.find((r) => r.url.includes(part))!;

    const ws = byUrl('/socket.io/');
    expect(ws).toMatchObject({ type: 'websocket', status: 101 });
    const wsMessages = session.filter((e) => e.type === 'ws.message' && e.conn === 'doc-a:7');
    expect(ws.frames).toHaveLength(wsMessages.length);
    expect(ws.frames.slice(0, 2).map((f) => [f.type, f.opCode])).toEqual([['receive', 1], ['send', 1]]);
    expect(ws.frames.some((f) => f.opCode === 2)).toBe(true);

    const es = byUrl('/events');
    expect(es).toMatchObject({ type: 'eventsource', status: 200, mime: 'text/event-stream' });
    expect(es.sse).toEqual([
      { eventName: 'price', eventId: '1', data: '{"px":10}' },
      { eventName: 'message', eventId: '1', data: 'line one\nline two' },
      { eventName: 'price', eventId: '2', data: '{"px":11}' },
    ]);
    expect(byUrl('/api/stream')).toMatchObject({ type: 'fetch', mime: 'text/event-stream', sse: [{ eventName: 'message', eventId: '', data: 'tick 1' }] });
    expect(byUrl('/api/orders?since=0&access_token=tok0')).toMatchObject({ type: 'xhr', status: 200, mime: 'application/json' });
    expect(byUrl('/api/messages')).toMatchObject({ type: 'fetch', status: 201 });
    expect(byUrl('blocked.example.test')).toMatchObject({ type: 'websocket', status: 0 });
  });
});
