/**
 * Transparency: the same page scripts run in Chromium without and with the built
 * extension must observe exactly the same values, errors, event order, identities
 * and source text. Each scenario is plain page JavaScript returning JSON.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type LaunchedBrowser } from '../support/browser.ts';
import { startServer, type TestServer } from './support/server.ts';

let server: TestServer;
let plain: LaunchedBrowser;
let hooked: LaunchedBrowser;

beforeAll(async () => {
  server = await startServer();
  server.page('/blank.html', '<!doctype html><title>blank</title><body></body>');
  [plain, hooked] = await Promise.all([launchBrowser({ extension: false }), launchBrowser({ extension: true })]);
});

afterAll(async () => {
  await plain?.close();
  await hooked?.close();
  await server?.close();
});

/** Run an async function body (page JavaScript, `WS` = ws origin, `WHO` = 'plain' or 'hooked') in a fresh page of `browser`. */
async function run(browser: LaunchedBrowser, body: string): Promise<unknown> {
  const page = await browser.context.newPage();
  try {
    await page.goto(`${server.origin}/blank.html`);
    const who = browser === hooked ? 'hooked' : 'plain';
    return await page.evaluate(`(async () => { const WS = ${JSON.stringify(server.wsOrigin)}; const WHO = '${who}'; ${body} })()`);
  } finally {
    await page.close();
  }
}

/** Run in both browsers; the results must be identical. Returns the plain result for sanity checks. */
async function same(body: string): Promise<unknown> {
  const [without, withExtension] = await Promise.all([run(plain, body), run(hooked, body)]);
  // Name the entries that differ: a report's summary of two long lists hides them.
  const differing =
    Array.isArray(without) && Array.isArray(withExtension)
      ? without.flatMap((entry, i) => (JSON.stringify(entry) === JSON.stringify(withExtension[i]) ? [] : [`#${i} without ${JSON.stringify(entry)} with ${JSON.stringify(withExtension[i])}`]))
      : [];
  expect(withExtension, differing.join('\n')).toEqual(without);
  return without;
}

/**
 * A body-reading call's error, with the one difference Chromium makes by timing set aside.
 * Chromium 156 rejects `json()` of a body that is no JSON (and a body call on a cut body) in
 * one of two forms: when the body had fully arrived before the call, Blink finishes within
 * the call, and the message starts "Failed to execute 'json' on 'Response': " and the stack
 * has the caller's frames; otherwise it finishes later, with the bare message and no frames.
 * Which one a page gets is a race even without the extension (seen both ways in full runs);
 * the hooks give the second whenever they parse. The first form is compared as the second.
 */
const SETTLED = `const CALL = /^Failed to execute '\\w+' on 'Response': /;
  const settled = (e) => CALL.test(e.message) ? [e.name, e.message.replace(CALL, ''), String(e.stack).split('\\n')[0]] : [e.name, e.message, e.stack];`;

/** The test server's /given URL, serving `bytes` as given (with `query`, e.g. 'split=2': support/server.ts). */
const given = (bytes: string | number[] | Buffer, query = '') =>
  `/given?b=${(typeof bytes === 'string' ? Buffer.from(bytes) : Buffer.from(bytes as number[])).toString('base64url')}${query === '' ? '' : `&${query}`}`;

const ERR = `const err = (e) => [e && e.name, e && e.message, e instanceof Error, Object.getPrototypeOf(e) === globalThis[e && e.name]?.prototype];`;

/*
 * DevTools bodies: the page's own DevTools keeps every response body it has without the
 * extension: the hooks' way of reading a body must not take it from the Network panel (or
 * from a HAR saved there). Each way of reading is run ROUNDS times in a browser without and with the
 * extension, and after a garbage collection the bodies asked for over CDP's Network domain
 * (what the DevTools front end asks) must be there in both. A hook that served `text()` of
 * a body of unknown length by reading the page's stream in script, to spare a clone, left
 * DevTools' HAR without the text of 12 of 36 polls (Chromium 156, caught by
 * test/e2e/har-equivalence.e2e.test.ts, where the DevTools front end itself saves the HAR);
 * this test, asking over CDP, did not see that loss, so the HAR test stays its guard.
 */
/** Each read is repeated, so that a loss striking some requests, not all, shows. */
const ROUNDS = 6;

/** How the page reads each URL (page JavaScript: `r` is the Response). */
const READS: Array<[string, string]> = [
  ['json, declared length', `${given('{"a":1}', 'n=1')}|await r.json()`],
  ['json, unknown length', `${given('{"a":2}', 'split=2')}|await r.json()`],
  ['text, declared length', `${given('{"a":3}')}|await r.text()`],
  ['text, unknown length', `${given('{"a":4}', 'split=2')}|await r.text()`],
  ['arrayBuffer, unknown length', `${given('{"a":5}', 'split=2')}|await r.arrayBuffer()`],
  ['bytes, declared length', `${given('{"a":6}')}|await r.bytes()`],
  ['blob, unknown length', `${given('{"a":7}', 'split=2')}|await r.blob()`],
  ['never read, declared length', `${given('{"a":8}')}|await new Promise((resolve) => setTimeout(resolve, 200))`],
  ['clone read, unknown length', `${given('{"a":9}', 'split=2')}|await r.clone().text(); await r.json()`],
];

/** The body DevTools has for each read's request, or its error. */
async function bodiesSeen(browser: LaunchedBrowser): Promise<Record<string, string>> {
  const page = await browser.context.newPage();
  await page.goto(`${server.origin}/blank.html`);
  const cdp = await browser.context.newCDPSession(page);
  const ids = new Map<string, string>();
  const finished = new Set<string>();
  cdp.on('Network.responseReceived', (e: { requestId: string; response: { url: string } }) => ids.set(new URL(e.response.url).search, e.requestId));
  cdp.on('Network.loadingFinished', (e: { requestId: string }) => finished.add(e.requestId));
  await cdp.send('Network.enable');
  for (let round = 0; round < ROUNDS; round++) {
    for (const [, read] of READS) {
      const [url, code] = read.split('|') as [string, string];
      await page.evaluate(`(async () => { const r = await fetch(${JSON.stringify(`${url}&round=${round}`)}); ${code}; })()`);
    }
  }
  // A user opens the Response tab, or saves the HAR, later: the page's objects may be gone by then.
  await cdp.send('HeapProfiler.collectGarbage');
  await page.waitForTimeout(300);
  await cdp.send('HeapProfiler.collectGarbage');
  const out: Record<string, string> = {};
  for (let round = 0; round < ROUNDS; round++) for (const [name, read] of READS) {
    const search = new URL(`${read.split('|')[0]!}&round=${round}`, server.origin).search;
    const id = ids.get(search);
    const deadline = Date.now() + 5000;
    while (id !== undefined && !finished.has(id) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    try {
      const body = (await cdp.send('Network.getResponseBody', { requestId: id! })) as { body: string; base64Encoded: boolean };
      out[`${name} #${round}`] = body.base64Encoded ? Buffer.from(body.body, 'base64').toString() : body.body;
    } catch (error) {
      out[`${name} #${round}`] = `error: ${(error as Error).message.split('\n')[0]}`;
    }
  }
  await page.close();
  return out;
}


describe('transparency (with vs without the extension)', () => {
  it('the extension is really hooking in the hooked browser', async () => {
    // The hooked toString answers this key (no own property of anything holds it).
    const marker = `return !!Function.prototype.toString[Symbol.for('realtime-inspector.hooks')];`;
    expect(await run(plain, marker)).toBe(false);
    expect(await run(hooked, marker)).toBe(true);
  });

  it('identity: toString, name, length, statics, prototypes, instanceof, own properties', async () => {
    const result = (await same(`
      const ws = new WebSocket(WS + '/ws');
      const es = new EventSource('/sse?hold=1');
      const xhr = new XMLHttpRequest();
      class MySocket extends WebSocket {}
      const sub = new MySocket(WS + '/ws');
      const fns = [fetch, WebSocket, EventSource, XMLHttpRequest, WebSocket.prototype.send, WebSocket.prototype.close,
        XMLHttpRequest.prototype.open, XMLHttpRequest.prototype.send, XMLHttpRequest.prototype.setRequestHeader,
        EventSource.prototype.close, EventTarget.prototype.addEventListener, Function.prototype.toString];
      const desc = (o, k) => { const d = Object.getOwnPropertyDescriptor(o, k); return [typeof d.value, d.writable, d.enumerable, d.configurable]; };
      let callError;
      try { WebSocket(WS); } catch (e) { callError = [e.name, e.message]; }
      const out = {
        sources: fns.map((f) => Function.prototype.toString.call(f)),
        sourcesViaMethod: fns.map((f) => f.toString()),
        toStringOfToString: Function.prototype.toString.toString(),
        toStringOfToStringOfToString: Function.prototype.toString.toString.toString(),
        names: fns.map((f) => [f.name, f.length]),
        statics: [WebSocket.CONNECTING, WebSocket.OPEN, WebSocket.CLOSING, WebSocket.CLOSED, EventSource.CONNECTING, EventSource.CLOSED, XMLHttpRequest.DONE],
        protoNames: [WebSocket, EventSource, XMLHttpRequest, EventTarget, Function].map((c) => Object.getOwnPropertyNames(c.prototype)),
        ctorNames: [WebSocket, EventSource, XMLHttpRequest].map((c) => Object.getOwnPropertyNames(c)),
        descriptors: [desc(window, 'fetch'), desc(window, 'WebSocket'), desc(WebSocket.prototype, 'send'), desc(WebSocket.prototype, 'constructor'), desc(Function.prototype, 'toString')],
        instances: [ws, es, xhr].map((o) => [Object.getOwnPropertyNames(o), Object.keys(o), Object.prototype.toString.call(o), String(o)]),
        checks: [ws instanceof WebSocket, ws instanceof EventTarget, ws.constructor === WebSocket, Object.getPrototypeOf(ws) === WebSocket.prototype,
          es instanceof EventSource, es.constructor === EventSource, xhr instanceof XMLHttpRequest, xhr.constructor === XMLHttpRequest,
          sub instanceof MySocket, sub instanceof WebSocket, Object.getPrototypeOf(sub) === MySocket.prototype, typeof fetch.prototype,
          Object.getPrototypeOf(fetch) === Function.prototype, WebSocket.prototype.constructor === WebSocket],
        binaryType: ws.binaryType,
        callError,
      };
      ws.close(); sub.close(); es.close();
      return out;
    `)) as { sources: string[] };
    expect(result.sources[0]).toBe('function fetch() { [native code] }');
  });

  it('errors: same names, messages and prototypes for bad URLs, bad states and network failures', async () => {
    const result = (await same(`${ERR}
      const out = [];
      const attempt = async (fn) => { try { const v = await fn(); out.push(['ok', typeof v]); } catch (e) { out.push(err(e)); } };
      await attempt(() => fetch('http://127.0.0.1:1/closed'));
      await attempt(() => fetch('http://[bad'));
      await attempt(() => fetch('/json', { method: 'GET', body: 'x' }));
      await attempt(() => fetch('/json', { headers: { 'bad header': 'x' } }));
      await attempt(() => fetch('/json', { signal: 'nope' }));
      const controller = new AbortController();
      const reason = new Error('mine');
      const aborted = fetch('/slow?ms=2000', { signal: controller.signal });
      controller.abort(reason);
      await aborted.then(() => out.push('resolved'), (e) => out.push(['same reason', e === reason]));
      await attempt(() => fetch('/slow?ms=2000', { signal: AbortSignal.abort() }));
      await attempt(() => new WebSocket('not a url'));
      await attempt(() => new WebSocket(WS + '/ws#frag'));
      await attempt(() => new WebSocket(WS + '/ws', ['dup', 'dup']));
      const ws = new WebSocket(WS + '/ws');
      await attempt(() => ws.send('too early'));
      await attempt(() => ws.close(1234));
      await attempt(() => ws.close(1000, 'x'.repeat(200)));
      ws.close();
      await attempt(() => new EventSource('http://[bad'));
      const xhr = new XMLHttpRequest();
      await attempt(() => xhr.send());
      await attempt(() => xhr.open('GET', 'http://[bad'));
      xhr.open('GET', '/json');
      await attempt(() => xhr.setRequestHeader('bad header', 'x'));
      await attempt(() => { xhr.responseType = 'json'; return xhr.responseText; });
      const unhandled = await new Promise((resolve) => {
        window.addEventListener('unhandledrejection', (e) => { e.preventDefault(); resolve(err(e.reason)); }, { once: true });
        fetch('http://127.0.0.1:1/unhandled');
      });
      out.push(['unhandled', unhandled]);
      return out;
    `)) as unknown[];
    expect(result[0]).toEqual(['TypeError', 'Failed to fetch', true, true]);
  });

  it('WebSocket: same event order, data, readyState, once listeners and close details', async () => {
    const result = (await same(`
      const log = [];
      const ws = new WebSocket(WS + '/ws', 'chat.v1');
      ws.binaryType = 'arraybuffer';
      const note = (tag) => (e) => log.push([tag, e.type, ws.readyState, e.constructor.name,
        typeof e.data === 'string' ? e.data : e.data instanceof ArrayBuffer ? [...new Uint8Array(e.data)] : undefined,
        e.code, e.reason, e.wasClean, e.isTrusted, e.target === ws, e.currentTarget === ws, e.eventPhase, e.bubbles, e.cancelable]);
      ws.onopen = note('on');
      ws.onmessage = note('on');
      ws.onclose = note('on');
      ws.onerror = note('on');
      ws.addEventListener('message', note('once'), { once: true });
      ws.addEventListener('message', note('capture'), { capture: true });
      ws.addEventListener('open', () => {
        log.push(['state', ws.protocol, ws.extensions, ws.url, ws.bufferedAmount >= 0]);
        ws.send('one');
        ws.send(new Uint8Array([5, 6, 7]));
        ws.send(new Blob(['blob text']));
        ws.send('close:4001:bye');
      });
      await new Promise((resolve) => ws.addEventListener('close', resolve));
      await new Promise((resolve) => setTimeout(resolve, 50));
      log.push(['final', ws.readyState]);
      return log;
    `)) as unknown[];
    expect(result.at(-2)).toEqual(['on', 'close', 3, 'CloseEvent', undefined, 4001, 'bye', true, true, true, true, 2, false, false]);
  });

  it('fetch: streamed bodies read by the page, body methods, clone, cancel and response fields', async () => {
    const result = (await same(`
      const out = {};
      const res = await fetch('/ndjson');
      out.before = [res.bodyUsed, res.body.locked, res.status, res.type, res.url === location.origin + '/ndjson', res.redirected,
        res.headers.get('content-type'), [...res.headers.keys()].includes('content-type')];
      const copy = res.clone();
      const reader = res.body.getReader();
      const dec = new TextDecoder();
      let text = '';
      for (;;) { const { done, value } = await reader.read(); if (done) break; text += dec.decode(value, { stream: true }); }
      out.read = [text, res.bodyUsed, await copy.text()];
      const json = await (await fetch('/json?n=3')).json();
      const bytes = new Uint8Array(await (await fetch('/bytes?n=300')).arrayBuffer());
      const blob = await (await fetch('/bytes?n=50')).blob();
      const status = await fetch('/status?code=404');
      out.bodies = [json, bytes.length, bytes[299], blob.size, blob.type, status.status, status.ok, await status.text()];
      const streamed = await fetch('/stream?n=50&hold=1');
      const r2 = streamed.body.getReader();
      const first = await r2.read();
      out.cancel = [dec.decode(first.value), await r2.cancel('enough'), (await r2.read()).done];
      const request = new Request('/echo', { method: 'POST', body: 'request body', headers: { 'content-type': 'text/plain' } });
      out.request = [await (await fetch(request)).text(), request.bodyUsed];
      out.posted = await (await fetch('/echo', { method: 'POST', body: new URLSearchParams({ a: '1' }) })).text();
      return out;
    `)) as { read: unknown[] };
    expect(result.read[0]).toBe('{"i":1}\n{"i":2}\n{"i":3}\n');
  });

  it('fetch: when the page cancels a streamed body, the server sees the client go away in both', async () => {
    const ways = [
      `const r = res.body.getReader(); await r.read(); await r.cancel();`,
      `await res.body.read ? 0 : res.body.cancel();`,
      `const r = res.body.getReader(); await r.read(); r.releaseLock(); await res.body.cancel('done');`,
    ];
    let id = 0;
    const seen = (browser: LaunchedBrowser, how: string) => {
      const which = `cancel-${++id}`;
      return run(browser, `
        const res = await fetch('/stream?n=2&hold=1&id=${which}');
        ${how}
        for (let i = 0; i < 40; i++) {
          if (await (await fetch('/abandoned?which=${which}')).json()) return true;
          await new Promise((r) => setTimeout(r, 150));
        }
        return false;
      `);
    };
    for (const how of ways) {
      const [without, withExtension] = await Promise.all([seen(plain, how), seen(hooked, how)]);
      expect({ how, without, withExtension }).toEqual({ how, without: true, withExtension: true });
    }
  });

  it('XMLHttpRequest: every responseType, event order, sync, abort and network error', async () => {
    const result = (await same(`
      const summary = (x) => {
        const r = x.response;
        if (r === null || typeof r !== 'object') return [typeof r, r];
        if (r instanceof ArrayBuffer) return ['arraybuffer', r.byteLength];
        if (r instanceof Blob) return ['blob', r.size, r.type];
        if (r instanceof Document) return ['document', r.documentElement && r.documentElement.nodeName];
        return ['json', r];
      };
      const run = (url, type, extra = () => {}) => new Promise((resolve) => {
        const x = new XMLHttpRequest();
        const log = [];
        for (const name of ['readystatechange', 'loadstart', 'load', 'loadend', 'error', 'abort', 'timeout']) {
          x.addEventListener(name, (e) => log.push([name, x.readyState, x.status, e.constructor.name, e.isTrusted]));
        }
        let progressed = false;
        x.onprogress = () => { progressed = true; };
        x.open('GET', url);
        x.responseType = type;
        x.onloadend = () => setTimeout(() => resolve([type, log, progressed, summary(x), x.getResponseHeader('content-type'),
          x.statusText, x.responseURL === '' ? '' : new URL(x.responseURL).pathname]), 0);
        x.send();
        extra(x);
      });
      const out = [];
      for (const type of ['', 'text', 'json', 'arraybuffer', 'blob']) out.push(await run('/json?n=1', type));
      out.push(await run('/doc.xml', 'document'));
      out.push(await run('/slow?ms=2000', '', (x) => setTimeout(() => x.abort(), 30)));
      out.push(await run('http://127.0.0.1:1/closed', ''));
      const sync = new XMLHttpRequest();
      sync.open('GET', '/text', false);
      sync.send();
      out.push(['sync', sync.status, sync.responseText, sync.readyState]);
      const failing = new XMLHttpRequest();
      failing.open('GET', 'http://127.0.0.1:1/closed', false);
      try { failing.send(); out.push('no throw'); } catch (e) { out.push(['sync error', e.name, e.message.replace(/'.*'/, '<url>')]); }
      return out;
    `)) as unknown[][];
    expect(result[2]![3]).toEqual(['json', { ok: true, n: 1 }]);
  });

  it('EventSource: same event order with named events, ids and readyState', async () => {
    const result = (await same(`
      const es = new EventSource('/sse?hold=1');
      const log = [];
      const note = (e) => log.push([e.type, e.data, e.lastEventId, es.readyState, e.constructor.name, e.isTrusted, e.origin === location.origin]);
      es.onopen = note;
      es.addEventListener('tick', note);
      es.addEventListener('tock', note, { once: true });
      await new Promise((resolve) => { es.onmessage = (e) => { note(e); if (e.data === 'last') resolve(); }; });
      es.close();
      log.push(['closed', es.readyState, es.url === location.origin + '/sse?hold=1', es.withCredentials]);
      return log;
    `)) as unknown[];
    expect(result).toHaveLength(6);
  });

  it('EventSource listeners: onmessage, options read once, duplicates, once, signals, removal, order, this and thrown errors are the platform\'s', async () => {
    const result = (await same(`
      const es = new EventSource('/sse?hold=1');
      const log = [];
      const reads = [];
      const traced = (name, o) => new Proxy(o, { get(t, k, r) { reads.push(name + '.' + String(k)); return Reflect.get(t, k, r); } });
      const a = function (e) { log.push(['a', e.type, e.data, this === es, arguments.length, e.eventPhase, e.currentTarget === es]); };
      const b = (e) => log.push(['b', e.type, e.data]);
      const c = { handleEvent(e) { log.push(['c', e.type, e.data, this === c]); } };
      const h1 = function (e) { log.push(['h1', e.data, this === es, arguments.length]); };
      const h2 = (e) => log.push(['h2', e.data]);
      class K {}
      function thrower() { throw new Error('boom'); }
      window.addEventListener('error', (ev) => { ev.preventDefault(); log.push(['error', ev.message, ev.lineno, ev.colno, ev.error && ev.error.stack]); });
      const d = Object.getOwnPropertyDescriptor(EventSource.prototype, 'onmessage');
      log.push(['descriptor', typeof d.get, typeof d.set, d.get.name, d.set.name, d.get.length, d.set.length, String(d.get), d.enumerable, d.configurable]);
      log.push(['initial', es.onmessage]);
      es.onmessage = 'not a function';
      log.push(['string', es.onmessage]);
      es.onmessage = h1;
      es.addEventListener('message', a, traced('a', { capture: false, passive: true }));
      es.addEventListener('message', a);
      es.addEventListener('message', b, traced('b', { once: true }));
      es.addEventListener('message', c);
      es.addEventListener('message', a, true);
      const ctl = new AbortController();
      es.addEventListener('tick', b, { signal: ctl.signal });
      es.addEventListener('tick', a, { signal: AbortSignal.abort() });
      es.addEventListener('tick', K);
      es.addEventListener('tick', thrower);
      es.addEventListener('tick', () => {
        ctl.abort();
        es.removeEventListener('message', a, traced('r', { capture: true }));
        es.onmessage = null;
        log.push(['cleared', es.onmessage]);
        es.onmessage = h1;
      });
      es.onmessage = h2;
      log.push(['handler', es.onmessage === h2, EventSource.prototype.hasOwnProperty('onmessage'), es.hasOwnProperty('onmessage')]);
      const obj = {};
      await new Promise((resolve) => es.addEventListener('message', (e) => { if (e.data === 'last') resolve(); }));
      es.onmessage = obj;
      log.push(['object', es.onmessage === obj]);
      es.dispatchEvent(new MessageEvent('message', { data: 'synthetic' }));
      es.close();
      log.push(['reads', reads]);
      return log;
    `)) as unknown[][];
    // The scenario ran as written. h1, set again last, would come after the listener that
    // resolves; the page's continuation, run in the microtask checkpoint after that listener,
    // sets a handler that does nothing before h1's turn.
    expect(result.filter((e) => e[0] === 'h2' || e[0] === 'h1').map((e) => e.slice(0, 2))).toEqual([['h2', 'first']]);
    // On an EventSource (no event path) Chromium calls capturing and other listeners in the order they were added.
    expect(result.filter((e) => e[0] === 'a' || e[0] === 'b' || e[0] === 'c').map((e) => e.slice(0, 3))).toEqual([
      ['a', 'message', 'first'],
      ['b', 'message', 'first'],
      ['c', 'message', 'first'],
      ['a', 'message', 'first'],
      ['b', 'tick', '{"n":2}'],
      ['a', 'message', 'last'],
      ['c', 'message', 'last'],
      ['a', 'message', 'synthetic'],
      ['c', 'message', 'synthetic'],
    ]);
    expect(result.filter((e) => e[0] === 'error').map((e) => e[1])).toEqual([
      'Uncaught TypeError: Class constructor K cannot be invoked without \'new\'',
      'Uncaught Error: boom',
    ]);
  });

  it('EventSource listeners: a type that is no string, a handler returning false and an abort the page stops are the platform\'s', async () => {
    const result = (await same(`
      const es = new EventSource('/sse?hold=1');
      const log = [];
      const type = { toString() { log.push('toString'); return 'message'; } };
      const f = (e) => log.push(['f', e.data]);
      es.addEventListener(type, f);
      es.addEventListener(new String('tick'), (e) => log.push(['g', e.data]));
      // A handler returning false cancels a cancelable event the page dispatches.
      es.onmessage = (e) => { log.push(['handler', e.data]); return false; };
      const synthetic = new MessageEvent('message', { data: 'synthetic', cancelable: true });
      log.push(['dispatched', es.dispatchEvent(synthetic), synthetic.defaultPrevented]);
      // An abort whose abort event the page stops before anyone else hears it, then the same listener once.
      const ac = new AbortController();
      ac.signal.addEventListener('abort', (e) => e.stopImmediatePropagation());
      const h = (e) => log.push(['h', e.data]);
      es.addEventListener('message', h, { signal: ac.signal });
      ac.abort();
      es.addEventListener('message', h, { once: true });
      es.removeEventListener(type, f);
      try { es.addEventListener(Symbol('x'), f); } catch (e) { log.push(['symbol', e.name, e.message]); }
      try { es.addEventListener(type); } catch (e) { log.push(['one argument', e.name, e.message]); }
      await new Promise((resolve) => es.addEventListener('message', (e) => { if (e.data === 'last') resolve(); }));
      es.close();
      return log;
    `)) as unknown[];
    expect(result.filter((e) => e === 'toString')).toHaveLength(2);
    expect(result.filter((e) => Array.isArray(e) && e[0] !== 'symbol' && e[0] !== 'one argument')).toEqual([
      ['f', 'synthetic'],
      ['handler', 'synthetic'],
      ['dispatched', false, true],
      ['handler', 'first'],
      ['h', 'first'],
      ['g', '{"n":2}'],
      ['handler', 'last'],
    ]);
  });

  it('fetch() without arguments rejects with fetch\'s TypeError and sends nothing', async () => {
    const before = server.requests.length;
    const result = (await same(`${ERR}
      return await fetch().then(() => 'resolved', (e) => [...err(e), e.stack]);
    `)) as unknown[];
    expect(result.slice(0, 2)).toEqual(['TypeError', "Failed to execute 'fetch' on 'Window': 1 argument required, but only 0 present."]);
    expect(server.requests.slice(before).map((r) => r.url)).not.toContain('/undefined');
  });

  it('headers given as a one-shot iterator are sent (the iterator is consumed once, by the platform)', async () => {
    await same(`
      const once = (function* () { yield ['x-once', 'yes']; yield ['x-twice', 'no']; })();
      const res = await fetch('/json?once=' + WHO, { headers: once });
      return [res.status, once.next().done];
    `);
    const sent = (who: string) => server.requests.find((r) => r.url === `/json?once=${who}`)?.headers;
    expect([sent('plain')?.['x-once'], sent('hooked')?.['x-once']]).toEqual(['yes', 'yes']);
    expect([sent('plain')?.['x-twice'], sent('hooked')?.['x-twice']]).toEqual(['no', 'no']);
  });

  it('every member of a fetch init is read once, in the platform\'s order, with the init as this', async () => {
    const result = (await same(`
      const log = [];
      const members = ['body', 'cache', 'credentials', 'duplex', 'headers', 'integrity', 'keepalive', 'method', 'mode',
        'priority', 'redirect', 'referrer', 'referrerPolicy', 'signal', 'window'];
      const values = { body: 'payload', credentials: 'include', headers: { 'x-a': '1' }, method: 'POST', mode: 'cors', signal: new AbortController().signal };
      class Init {}
      const init = new Init();
      for (const m of members) Object.defineProperty(init, m, { get() { log.push([m, this === init]); return values[m]; }, enumerable: true });
      await (await fetch('/echo', init)).text();
      const traps = [];
      const target = { method: 'PUT', body: 'x', headers: [['x-b', '2']] };
      const proxy = new Proxy(target, Object.fromEntries(['get', 'has', 'ownKeys', 'getOwnPropertyDescriptor', 'getPrototypeOf', 'set', 'defineProperty']
        .map((t) => [t, (...a) => { traps.push([t, typeof a[1] === 'symbol' ? String(a[1]) : a[1]]); return Reflect[t](...a); }])));
      await (await fetch('/echo', proxy)).text();
      const request = new Request('/echo', { method: 'POST', body: 'r' });
      const withRequest = [];
      await (await fetch(request, { get method() { withRequest.push('method'); return 'PUT'; }, get signal() { withRequest.push('signal'); return undefined; } })).text();
      const empty = [];
      await (await fetch(new Request('/json'), { get signal() { empty.push('signal'); return undefined; } })).text();
      return { log, traps, withRequest, empty };
    `)) as { log: unknown[] };
    expect(result.log).toContainEqual(['method', true]);
  });

  it('errors leave hooked functions with the stacks they have natively (no extension frames)', async () => {
    const result = (await same(`
      const stacks = [];
      const note = (e) => stacks.push([e && e.name, e && e.message, e && e.stack]);
      const attempt = async (fn) => { try { await fn(); stacks.push('no error'); } catch (e) { note(e); } };
      function callsFetch(...a) { return fetch(...a); }
      await attempt(() => callsFetch('http://[bad'));
      await attempt(() => callsFetch());
      await attempt(() => callsFetch('/json', { method: 'GET', body: 'x' }));
      await attempt(() => callsFetch('/json', { get method() { throw new Error('from a getter'); } }));
      await attempt(() => callsFetch({ toString() { throw new RangeError('from toString'); } }));
      await attempt(() => callsFetch('http://127.0.0.1:1/closed'));
      await attempt(() => new WebSocket('http://[bad'));
      await attempt(() => new WebSocket({ toString() { throw new Error('url toString'); } }));
      await attempt(() => new XMLHttpRequest().open('GET', { toString() { throw new Error('xhr url toString'); } }));
      await attempt(() => new WebSocket(WS + '/ws').send('too early'));
      await attempt(() => new EventSource('http://[bad'));
      await attempt(() => new XMLHttpRequest().open('GET', 'http://[bad'));
      await attempt(() => new XMLHttpRequest().send());
      await attempt(() => Function.prototype.toString.call({}));
      await attempt(() => WebSocket.prototype.send.call({}, 'x'));
      const res = await fetch('/json');
      await res.text();
      await attempt(() => res.text());
      await attempt(() => res.clone());
      await attempt(() => Object.getOwnPropertyDescriptor(Response.prototype, 'body').get.call({}));
      const res2 = await fetch('/stream?n=3');
      const reader = res2.body.getReader();
      await attempt(() => res2.body.getReader());
      reader.releaseLock();
      await attempt(() => reader.read());
      await attempt(() => res2.body.pipeThrough({}));
      const formatted = [];
      Error.prepareStackTrace = (error, sites) => sites.map((site) => String(site.getFunctionName())).join('|');
      try { await callsFetch('http://[bad'); } catch (e) { formatted.push(e.stack); }
      try { new WebSocket('http://[bad'); } catch (e) { formatted.push(e.stack); }
      delete Error.prepareStackTrace;
      return { stacks, formatted };
    `)) as { stacks: unknown[][] };
    expect(JSON.stringify(result)).not.toContain('chrome-extension://');
    expect(result.stacks.length).toBeGreaterThan(18);
  });

  it('the hooks add no own property or symbol to window', async () => {
    await same(`return [Object.getOwnPropertySymbols(window).map(String), Object.getOwnPropertyNames(window).sort()];`);
  });

  it('Function.prototype.toString of another realm shows hooked functions as native, both ways', async () => {
    const result = (await same(`
      const frame = document.createElement('iframe');
      document.body.appendChild(frame);
      const other = frame.contentWindow;
      const pick = (w) => [w.fetch, w.WebSocket, w.EventSource, w.XMLHttpRequest, w.XMLHttpRequest.prototype.send,
        w.WebSocket.prototype.send, w.Function.prototype.toString, w.Response.prototype.text,
        Object.getOwnPropertyDescriptor(w.Response.prototype, 'body').get, w.ReadableStream.prototype.getReader];
      return {
        topFunctionsThere: pick(window).map((f) => other.Function.prototype.toString.call(f)),
        frameFunctionsHere: pick(other).map((f) => Function.prototype.toString.call(f)),
      };
    `)) as { topFunctionsThere: string[] };
    expect(result.topFunctionsThere[0]).toBe('function fetch() { [native code] }');
  });

  it('identity of the stream, body and frame functions the hooks follow', async () => {
    await same(`
      const reader = new ReadableStream().getReader();
      const iterProto = Object.getPrototypeOf(new ReadableStream().values());
      const fns = [
        ...['arrayBuffer', 'blob', 'bytes', 'formData', 'json', 'text', 'clone'].map((k) => Response.prototype[k]),
        Object.getOwnPropertyDescriptor(Response.prototype, 'body').get,
        ...['getReader', 'cancel', 'tee', 'pipeTo', 'pipeThrough', 'values'].map((k) => ReadableStream.prototype[k]),
        ...['read', 'releaseLock', 'cancel'].map((k) => ReadableStreamDefaultReader.prototype[k]),
        ...['read', 'releaseLock', 'cancel'].map((k) => ReadableStreamBYOBReader.prototype[k]),
        iterProto.next, iterProto.return, ReadableStreamDefaultReader, ReadableStreamBYOBReader,
        ...[HTMLIFrameElement, HTMLFrameElement].flatMap((c) => ['contentWindow', 'contentDocument'].map((k) => Object.getOwnPropertyDescriptor(c.prototype, k).get)),
      ];
      const desc = (o, k) => { const d = Object.getOwnPropertyDescriptor(o, k); return Object.fromEntries(Object.entries(d).map(([n, v]) => [n, typeof v === 'function' ? v.name : v])); };
      return {
        sources: fns.map((f) => Function.prototype.toString.call(f)),
        names: fns.map((f) => [f.name, f.length]),
        asyncIterator: ReadableStream.prototype.values === ReadableStream.prototype[Symbol.asyncIterator],
        descriptors: [desc(Response.prototype, 'body'), desc(Response.prototype, 'text'), desc(ReadableStream.prototype, Symbol.asyncIterator),
          desc(iterProto, 'next'), desc(window, 'ReadableStreamDefaultReader'), desc(HTMLIFrameElement.prototype, 'contentWindow')],
        readers: [reader instanceof ReadableStreamDefaultReader, reader.constructor === ReadableStreamDefaultReader,
          new ReadableStreamDefaultReader(new ReadableStream()) instanceof ReadableStreamDefaultReader],
      };
    `);
  });

  it('json(): same values, own __proto__ keys, BOM and bad bytes, and the same SyntaxError with its stack', async () => {
    const result = (await same(`${ERR} ${SETTLED}
      const out = [];
      const read = async (url, how = 'json') => {
        const res = await fetch(url);
        try {
          const v = await res[how]();
          return ['ok', JSON.stringify(v), v !== null && typeof v === 'object' ? [Object.getPrototypeOf(v) === (Array.isArray(v) ? Array.prototype : Object.prototype), Object.keys(v)] : typeof v, res.bodyUsed];
        } catch (e) {
          return [...settled(e), e instanceof SyntaxError, Object.getPrototypeOf(e) === SyntaxError.prototype, res.bodyUsed];
        }
      };
      for (const url of ${JSON.stringify([
        given('{"a":1,"__proto__":{"x":2},"n":1e400,"s":"\ud800","deep":[[[[1]]]]}'),
        given([0xef, 0xbb, 0xbf, ...Buffer.from('{"bom":true}')]),
        given([0x22, 0xff, 0xfe, 0x22]),
        given(''),
        given('{"cut":'),
        given('nope'),
        given([0xef, 0xbb, 0xbf]),
        given('  [1, 2]  '),
        given('"text"'),
        given('null'),
      ])}) out.push(await read(url));
      out.push(await read(${JSON.stringify(given('{"after":1}'))}, 'text'));
      const late = await fetch(${JSON.stringify(given('late'))});
      await new Promise((resolve) => setTimeout(resolve, 100));
      out.push(await read.call(null, late.url));
      Error.prepareStackTrace = (e, sites) => 'sites: ' + sites.length;
      out.push(await read(${JSON.stringify(given('{"formatted"'))}));
      delete Error.prepareStackTrace;
      const limit = Object.getOwnPropertyDescriptor(Error, 'stackTraceLimit');
      Object.defineProperty(Error, 'stackTraceLimit', { get() { return 10; }, set(v) {}, configurable: true });
      out.push(await read(${JSON.stringify(given('{"accessor"'))}), await read(${JSON.stringify(given('{"fine":1}'))}));
      Object.defineProperty(Error, 'stackTraceLimit', limit);
      Error.stackTraceLimit = 3;
      out.push(await read(${JSON.stringify(given('{"three"'))}), Error.stackTraceLimit);
      Error.stackTraceLimit = 10;
      const used = await fetch(${JSON.stringify(given('{"x":1}'))});
      await used.json();
      try { await used.json(); out.push('no error'); } catch (e) { out.push([...err(e), e.stack]); }
      const frame = document.createElement('iframe');
      document.body.append(frame);
      const bad = await fetch(${JSON.stringify(given('{oops'))});
      try { await frame.contentWindow.Response.prototype.json.call(bad); out.push('no error'); }
      catch (e) { out.push([...settled(e).slice(0, 2), e instanceof SyntaxError, e instanceof frame.contentWindow.SyntaxError]); }
      const good = await fetch(${JSON.stringify(given('{"realm":1}'))});
      const v = await frame.contentWindow.Response.prototype.json.call(good);
      out.push([v instanceof Object, v instanceof frame.contentWindow.Object]);
      return out;
    `)) as unknown[][];
    expect(result[0]![0]).toBe('ok');
    // Chromium 156: a network body's json() rejects with JSON.parse's own message and a stack of no frames.
    expect(result[5]!.slice(0, 3)).toEqual(['SyntaxError', 'Unexpected token \'o\', "nope" is not valid JSON', `SyntaxError: Unexpected token 'o', "nope" is not valid JSON`]);
  });

  it('text(), json(), arrayBuffer(), bytes() of bodies of unknown length: same values, states, cuts and aborts', async () => {
    const json = '{"a":[1,2,3],"__proto__":{"x":1},"s":"héllo wörld ✓ 😀","pad":"' + 'x'.repeat(3000) + '"}';
    const result = (await same(`${ERR} ${SETTLED}
      const out = [];
      const show = async (how, v) => how === 'json' ? JSON.stringify(v) + Object.keys(v).join()
        : how === 'text' ? v
        : how === 'arrayBuffer' ? [Object.prototype.toString.call(v), v.byteLength, new Uint8Array(v).slice(0, 8).join()]
        : [v.constructor.name, v.byteLength, v.byteOffset, v.buffer.byteLength, v.slice(0, 8).join()];
      const read = async (url, how, init) => {
        const res = await fetch(url, init);
        const call = res[how]();
        const states = [res.bodyUsed, res.body.locked];
        try {
          const v = await call;
          return ['ok', how, await show(how, v), states];
        } catch (e) {
          return [...settled(e), ...err(e).slice(2), states];
        }
      };
      for (const how of ['json', 'text', 'arrayBuffer', 'bytes']) {
        out.push(await read(${JSON.stringify(given(json, 'split=3'))}, how));
        out.push(await read(${JSON.stringify(given(json, 'split=1'))}, how));
        out.push(await read(${JSON.stringify(given('', 'split=2'))}, how));
        out.push(await read(${JSON.stringify(given(Buffer.from([0xef, 0xbb, 0xbf, 0x22, 0xf0, 0x9f, 0x98, 0x80, 0xff, 0x22]), 'split=10'))}, how));
        out.push(await read(${JSON.stringify(given(json, 'split=3&cut=1'))}, how));
      }
      out.push(await read(${JSON.stringify(given('{"not json', 'split=2'))}, 'json'));
      // Aborted while the body is still coming (its parts 400 ms apart), after the call: no race with its end.
      for (const how of ['json', 'text']) {
        for (const reason of [undefined, new RangeError('mine')]) {
          const c = new AbortController();
          const res = await fetch(${JSON.stringify(given(json, 'split=4&gap=400'))}, { signal: c.signal });
          const call = res[how]();
          setTimeout(() => c.abort(reason), 40);
          try { await call; out.push('no error'); }
          catch (e) { out.push(reason === undefined ? [...settled(e), ...err(e).slice(2), e instanceof DOMException] : ['reason', e === reason]); }
        }
      }
      let res = await fetch(${JSON.stringify(given(json, 'split=2'))});
      const body = res.body;
      const text = res.text();
      out.push(['after body', body === res.body, body.locked, res.bodyUsed, (await text).length]);
      res = await fetch(${JSON.stringify(given(json, 'split=2'))});
      const copy = res.clone();
      out.push(['clone', (await copy.text()).length, JSON.stringify(await res.json()).length, res.bodyUsed, copy.bodyUsed]);
      res = await fetch(${JSON.stringify(given(json, 'split=2'))});
      const first = res.text();
      const again = await res.text().then(() => 'no error', (e) => [...settled(e), ...err(e).slice(2)]);
      out.push(['twice', (await first).length, again]);
      return out;
    `)) as unknown[][];
    expect(result[0]!.slice(0, 2)).toEqual(['ok', 'json']);
    expect(result[4]!.slice(0, 3)).toEqual(['TypeError', 'Failed to fetch', 'TypeError: Failed to fetch']);
  });

  it('fetch bodies: identity, locked and used states and errors, however the page reads them', async () => {
    await same(`${ERR}
      const out = [];
      const state = (res) => [res.bodyUsed, res.body === null ? null : res.body.locked];
      const attempt = async (fn) => { try { const v = await fn(); return ['ok', typeof v]; } catch (e) { return err(e); } };
      let res = await fetch('/stream?n=4');
      const s = res.body;
      out.push(['same body', s === res.body, state(res)]);
      const r = s.getReader();
      out.push(['locked', state(res), await attempt(() => res.text()), await attempt(() => res.clone())]);
      const first = await r.read();
      // A read takes what has arrived: one 7-byte chunk, or more when the renderer was late (in either browser).
      out.push(['read', first.value.byteLength > 0 && first.value.byteLength % 7 === 0, state(res)]);
      r.releaseLock();
      out.push(['released', state(res), await attempt(() => res.text()), await attempt(() => res.arrayBuffer())]);
      res = await fetch('/json?n=2');
      const body = res.body;
      out.push(['text after body', await res.text(), body === res.body, state(res), await attempt(() => body.getReader())]);
      res = await fetch('/json?n=3');
      const copy = res.clone();
      out.push(['clone', res.body === copy.body, await copy.text(), state(res), state(copy), await res.json()]);
      res = await fetch('/stream?n=3');
      const byob = res.body.getReader({ mode: 'byob' });
      const part = await byob.read(new Uint8Array(3));
      out.push(['byob', part.value.constructor.name, part.value.byteLength, new TextDecoder().decode(part.value), state(res)]);
      await byob.cancel('stop');
      out.push(['byob cancelled', state(res), await byob.read(new Uint8Array(1)).then((x) => [x.done, x.value && x.value.byteLength])]);
      res = await fetch('/stream?n=3');
      const [a, b] = res.body.tee();
      out.push(['tee', state(res), a.locked, b.locked]);
      out.push(['tee a', new TextDecoder().decode((await a.getReader().read()).value).startsWith('chunk1;')]);
      res = await fetch('/stream?n=2');
      const piped = res.body.pipeThrough(new TextDecoderStream());
      out.push(['piped', state(res), piped.locked]);
      let text = '';
      for await (const t of piped) text += t;
      // The hook's half of the pipe lets go of the body a few microtasks before the page's would: look a task later.
      await new Promise((resolve) => setTimeout(resolve, 0));
      out.push(['piped text', text, state(res)]);
      res = await fetch('/stream?n=2');
      const it = res.body.values();
      const step = await it.next();
      out.push(['iterated', step.done, step.value.byteLength > 0 && step.value.byteLength % 7 === 0, state(res)]);
      out.push(['returned', await it.return('done').then((x) => x.done), state(res)]);
      res = await fetch('/stream?n=2');
      out.push(['pipe to locked', await res.body.pipeTo(new WritableStream().getWriter() && new WritableStream()).then(() => 'ok'), state(res)]);
      const locked = new WritableStream();
      locked.getWriter();
      res = await fetch('/stream?n=2');
      out.push(['pipe rejected', await attempt(() => res.body.pipeTo(locked)), state(res), await attempt(() => res.body.pipeThrough({ writable: locked, readable: new ReadableStream() })), state(res)]);
      return out;
    `);
  });

  it('has the same body for every way the page reads a fetch, with the extension as without', async () => {
    const [without, withExtension] = await Promise.all([bodiesSeen(plain), bodiesSeen(hooked)]);
    // Every body DevTools has without the extension, it has with it. (It may have more: a blob()
    // of unknown length has none natively, but the hooks' clone branch passes through the inspector.)
    const kept = Object.fromEntries(Object.entries(without).filter(([, body]) => body !== '' && !body.startsWith('error:')));
    expect(withExtension).toMatchObject(kept);
    // The run is worth something only if DevTools had the bodies to lose.
    expect(Object.keys(kept).length).toBeGreaterThanOrEqual((READS.length - 1) * ROUNDS);
    expect(without['text, unknown length #0']).toBe('{"a":4}');
  });
});
