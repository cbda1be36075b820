/**
 * Traffic that crosses realms: a frame's prototype methods called on the top
 * page's objects (and the other way round), sandboxed frames, and same-origin
 * frames the hooks cannot be in, which the capture marks.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { exportTab, tabIdOf } from '../e2e/fixtures/extension.ts';
import { capturedEvents, ofConn, waitForEvents } from './support/capture.ts';
import type { CaptureEvent, EventOf } from '../../src/core/events.ts';
import { browser, server, useBrowserAndServer } from './support/session.ts';

useBrowserAndServer({ collector: true, prepare: (s) => s.page('/child.html', '<!doctype html><title>child</title>') });

let pageCounter = 0;
async function openPage(body: string): Promise<Page> {
  const path = `/realms-${++pageCounter}.html`;
  server.page(path, `<!doctype html><html><head><title>t</title></head><body>${body}</body></html>`);
  const page = await browser.context.newPage();
  await page.goto(server.origin + path);
  return page;
}

const find = <T extends CaptureEvent['type']>(events: CaptureEvent[], type: T): EventOf<T>[] =>
  events.filter((e): e is EventOf<T> => e.type === type);

/** A same-origin child frame with hooks, ready. */
const FRAME = `<iframe id="f" src="/child.html"></iframe>`;
const waitFrame = `await new Promise((r) => { const f = document.getElementById('f'); if (f.contentDocument && f.contentDocument.readyState === 'complete' && f.contentWindow.location.pathname === '/child.html') r(); else f.onload = r; });
  const other = document.getElementById('f').contentWindow;`;

describe("a frame's prototype methods called on another realm's objects", () => {
  it("XMLHttpRequest open, setRequestHeader and send of a frame, on the top page's request, are captured in the top page", async () => {
    const page = await openPage(FRAME);
    await page.evaluate(`(async () => {
      ${waitFrame}
      const x = new XMLHttpRequest();
      other.XMLHttpRequest.prototype.open.call(x, 'POST', '/echo?realm=xhr');
      other.XMLHttpRequest.prototype.setRequestHeader.call(x, 'content-type', 'text/plain');
      await new Promise((resolve) => { x.onloadend = resolve; other.XMLHttpRequest.prototype.send.call(x, 'across'); });
    })()`);
    const events = await waitForEvents(page, (e) => find(e, 'http.end').length > 0);
    const request = find(events, 'http.request').find((r) => r.url.endsWith('/echo?realm=xhr'));
    expect(request).toMatchObject({ transport: 'xhr', method: 'POST', headers: [['content-type', 'text/plain']], bodySize: 6 });
    expect(ofConn(events, request!.conn).at(-1)).toMatchObject({ type: 'http.end', body: { data: 'across' } });
    await page.close();
  });

  it("WebSocket send and close of a frame, on the top page's socket, are captured in the top page", async () => {
    const page = await openPage(FRAME);
    await page.evaluate(`(async () => {
      ${waitFrame}
      const ws = new WebSocket(${JSON.stringify(server.wsOrigin)} + '/ws');
      await new Promise((r) => { ws.onopen = r; });
      other.WebSocket.prototype.send.call(ws, 'across');
      await new Promise((r) => { ws.onmessage = r; });
      other.WebSocket.prototype.close.call(ws, 1000, 'done');
      await new Promise((r) => { ws.onclose = r; });
    })()`);
    const events = await waitForEvents(page, (e) => find(e, 'ws.close').length > 0);
    expect(find(events, 'ws.message').map((m) => [m.dir, m.data.data])).toEqual([
      ['out', 'across'],
      ['in', 'echo:across'],
    ]);
    expect(find(events, 'ws.close')[0]).toMatchObject({ code: 1000, initiator: 'client' });
    await page.close();
  });

  it("EventSource close of a frame, on the top page's stream, is captured in the top page", async () => {
    const page = await openPage(FRAME);
    await page.evaluate(`(async () => {
      ${waitFrame}
      const es = new EventSource('/sse?hold=1');
      await new Promise((r) => { es.onopen = r; });
      other.EventSource.prototype.close.call(es);
    })()`);
    const events = await waitForEvents(page, (e) => find(e, 'sse.close').length > 0);
    expect(find(events, 'sse.close')).toHaveLength(1);
    await page.close();
  });

  it("EventSource listeners added, removed and set through a frame's prototypes, on the top page's stream, work and are recorded once", async () => {
    const page = await openPage(FRAME);
    const seen = await page.evaluate(`(async () => {
      ${waitFrame}
      const es = new EventSource('/sse?hold=1');
      const seen = [];
      const f = (e) => seen.push(['f', e.data]);
      const h = function (e) { seen.push(['h', e.data, this === es]); };
      other.EventTarget.prototype.addEventListener.call(es, 'message', f);
      other.EventTarget.prototype.addEventListener.call(es, 'tick', (e) => {
        seen.push(['tick', e.data]);
        other.EventTarget.prototype.removeEventListener.call(es, 'message', f);
      });
      Object.getOwnPropertyDescriptor(other.EventSource.prototype, 'onmessage').set.call(es, h);
      seen.push(['same handler', es.onmessage === h, Object.getOwnPropertyDescriptor(other.EventSource.prototype, 'onmessage').get.call(es) === h]);
      await new Promise((resolve) => es.addEventListener('message', (e) => e.data === 'last' && resolve()));
      es.close();
      return seen;
    })()`);
    expect(seen).toEqual([
      ['same handler', true, true],
      ['f', 'first'],
      ['h', 'first', true],
      ['tick', '{"n":2}'],
      ['h', 'last', true],
    ]);
    const events = await waitForEvents(page, (e) => find(e, 'sse.close').length > 0);
    expect(find(events, 'sse.message').map((m) => [m.event, m.data.data])).toEqual([
      ['message', 'first'],
      ['tick', '{"n":2}'],
      ['message', 'last'],
    ]);
    await page.close();
  });

  it("a top page's fetch body read with a frame's reader and text() methods is captured", async () => {
    const page = await openPage(FRAME);
    await page.evaluate(`(async () => {
      ${waitFrame}
      const res = await fetch('/stream?n=3');
      const reader = other.ReadableStream.prototype.getReader.call(res.body);
      let text = '';
      for (;;) {
        const { done, value } = await other.ReadableStreamDefaultReader.prototype.read.call(reader);
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      const res2 = await fetch('/stream?n=2');
      return [text, await other.Response.prototype.text.call(res2)];
    })()`);
    const events = await waitForEvents(page, (e) => find(e, 'http.end').length === 2);
    expect(find(events, 'http.end').map((e) => e.body && e.body.data)).toEqual(['chunk1;chunk2;chunk3;', 'chunk1;chunk2;']);
    await page.close();
  });
});

describe('sandboxed frames', () => {
  it('a sandboxed frame with allow-scripts (its own origin, opaque) is captured in that frame, from a URL and from srcdoc', async () => {
    server.page('/sandboxed.html', `<!doctype html><script>
      fetch('/json?n=sandboxed');
      const ws = new WebSocket('ws://' + location.host + '/ws');
      ws.onopen = () => ws.send('from the sandbox');
    </script>`);
    const page = await openPage(`<iframe sandbox="allow-scripts" src="/sandboxed.html"></iframe>
      <iframe sandbox="allow-scripts" srcdoc="<script>fetch('${server.origin}/json?n=srcdoc')</script>"></iframe>`);
    // Read from the background: the tests' channel tap comes too late in an opaque srcdoc frame.
    const tabId = await tabIdOf(browser.worker!, page.url());
    let events: CaptureEvent[] = [];
    const docOf = (url: string) => find(events, 'doc.start').find((d) => d.url === url);
    // Both frames' fetches fail from an opaque origin: wait for the srcdoc frame's own error, not the first one.
    const srcdocFailed = () => {
      const doc = docOf('about:srcdoc')?.doc;
      return doc !== undefined && find(events, 'http.error').some((e) => e.doc === doc);
    };
    for (let i = 0; i < 100 && !(find(events, 'ws.message').some((m) => m.dir === 'in') && srcdocFailed()); i++) {
      await new Promise((r) => setTimeout(r, 100));
      events = (await exportTab(browser.worker!, tabId)).events;
    }
    const sandboxed = docOf(`${server.origin}/sandboxed.html`)!;
    const srcdoc = docOf('about:srcdoc')!;
    expect([sandboxed.top, srcdoc.top]).toEqual([false, false]);
    const inDoc = (doc: string) => events.filter((e) => e.doc === doc);
    expect(find(inDoc(sandboxed.doc), 'http.request').map((r) => r.url)).toEqual([`${server.origin}/json?n=sandboxed`]);
    expect(find(inDoc(sandboxed.doc), 'ws.message').map((m) => m.data.data)).toEqual(['from the sandbox', 'echo:from the sandbox']);
    // From an opaque origin, without CORS headers, the browser fails the fetch; the capture says so.
    expect(find(inDoc(srcdoc.doc), 'http.request').map((r) => r.url)).toEqual([`${server.origin}/json?n=srcdoc`]);
    expect(find(inDoc(srcdoc.doc), 'http.error')).toHaveLength(1);
    await page.close();
  });
});

describe('same-origin frames without hooks are marked', () => {
  it('a frame sandboxed without allow-scripts, and a frame still loading its src, are marked when the page reaches their window', async () => {
    const page = await openPage(`<script>
      const closed = document.createElement('iframe');
      closed.sandbox = 'allow-same-origin';
      document.body.append(closed);
      closed.contentWindow.fetch('/json?n=unhooked');
      const loading = document.createElement('iframe');
      loading.src = '/child.html';
      document.body.append(loading);
      loading.contentDocument;
      const open = document.createElement('iframe');
      document.body.append(open);
      open.contentWindow.fetch('/json?n=hooked-blank');
      open.contentWindow;
    </script>`);
    const events = await waitForEvents(page, (e) => find(e, 'hook.error').length >= 2);
    await new Promise((r) => setTimeout(r, 300));
    const marks = find(await capturedEvents(page), 'hook.error');
    expect(marks.map((m) => m.hook)).toEqual(['realm', 'realm']);
    expect(marks[0]!.message).toContain('sandbox without allow-scripts');
    expect(marks[1]!.message).toContain('while its src loads');
    expect(find(events, 'http.request').map((r) => r.url)).not.toContain(`${server.origin}/json?n=unhooked`);
    await page.close();
  });
});
