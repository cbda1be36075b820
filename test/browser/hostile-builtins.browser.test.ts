/**
 * The page hooks against a page that replaces the builtins they could look up at run
 * time (String, Array, Map and Set methods, Math.min/max, the String and Number
 * functions, the array iterator), or puts getters on Object.prototype for the members
 * the platform looks up on the hooks' objects: capture must stay complete and the page
 * must never see the hooks reach one of its replacements.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { CaptureEvent, EventOf } from '../../src/core/events.ts';
import { DEFAULT_MAX_TEXT_CHARS } from '../../src/shared/constants.ts';
import { RELAY_TO_PAGE_EVENT } from '../../src/shared/page-bridge.ts';
import { capturedEvents, connOf, ofConn } from './support/capture.ts';
import { browser, server, useBrowserAndServer } from './support/session.ts';

useBrowserAndServer({ collector: true });

const find = <T extends CaptureEvent['type']>(events: CaptureEvent[], type: T): EventOf<T>[] =>
  events.filter((e): e is EventOf<T> => e.type === type);

/** Characters of the big WebSocket message: over the text cap, so it is truncated. */
const BIG = DEFAULT_MAX_TEXT_CHARS + 3000;

/**
 * The page: once the hooks are installed it sets traps (`traps`, with `trapOn` and
 * `trapAll`) that count their calls (with the caller's stack) and throw, then makes its
 * traffic with code that sets off none of them (no for-of, spread, array destructuring,
 * Promise.all, options objects with a prototype), waits until the hooks' batches have
 * gone out (their flush timer is due within 200 ms), takes the traps away and says so on
 * the console, so Playwright reads the page only afterwards.
 */
const hostilePage = (traps: string) => `<!doctype html><html><head><title>hostile</title></head><body><script>
  window.__patchedCalls = 0;
  window.__trapped = [];
  const wsUrl = location.origin.replace('http', 'ws') + '/ws';
  const big = 'x'.repeat(${BIG});
  const restores = [];
  const trap = (name) => function trap() {
    window.__patchedCalls++;
    window.__trapped[window.__trapped.length] = name + ': ' + new Error().stack;
    throw new Error('patched ' + name);
  };
  const trapOn = (owner, key, name) => {
    const original = owner[key];
    restores[restores.length] = () => { owner[key] = original; };
    owner[key] = trap(name);
  };
  const trapAll = (owner, label, keys) => {
    for (let i = 0; i < keys.length; i++) trapOn(owner, keys[i], label + '.' + keys[i]);
  };
  ${traps}

  // A relay command, sent as the relay does on the channel the test's init script tapped (support/capture.ts).
  const toHooks = (message) =>
    window.__riChannel.dispatchEvent(new CustomEvent(${JSON.stringify(RELAY_TO_PAGE_EVENT)}, { __proto__: null, detail: JSON.stringify(message) }));
  const sse = new Promise((resolve) => {
    const es = new EventSource('/sse?hold=1');
    es.addEventListener('tick', () => {});
    es.onmessage = (e) => { if (e.data === 'last') { es.close(); resolve(); } };
  });
  const ws = new Promise((resolve) => {
    const socket = new WebSocket(wsUrl, ['chat.v1', 'other']);
    let echoes = 0;
    socket.onopen = () => {
      // Reads of a hooked function's properties go to its Proxy's handler.
      if (!(socket instanceof WebSocket) || fetch.name !== 'fetch') throw new Error('the hooks showed');
      // The echoes arrive during a stall: the hooks hold them and deliver them later.
      toHooks({ v: 1, kind: 'fault', command: { fault: 'stall', durationMs: 300, conn: null } });
      socket.send('héllo');
      socket.send(big);
    };
    socket.onmessage = () => { if (++echoes === 2) { socket.close(1000, 'done'); resolve(); } };
  });
  const xhrGet = (url) => new Promise((resolve) => {
    const x = new XMLHttpRequest();
    x.open('GET', url);
    x.setRequestHeader('X-Req', 'r');
    x.onloadend = () => resolve(x.responseText);
    x.send();
  });
  const xhr = xhrGet('/json?n=6').then(() => xhrGet('/sse'));
  const streamed = (async () => {
    const reader = (await fetch('/sse')).body.getReader();
    for (;;) { const r = await reader.read(); if (r.done) return; }
  })();
  // A body the page pipes through a transform: the hooks observe it with a TransformStream of their own.
  const piped = (async () => {
    const reader = (await fetch('/stream?n=3')).body.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    for (;;) { const r = await reader.read(); if (r.done) return text; text += r.value; }
  })();
  window.__finished = [];
  const finished = (name) => () => { window.__finished[window.__finished.length] = name; };
  const traffic = (async () => {
    await (await fetch('/json?n=5', { headers: { 'X-Thing': 'a' } })).json();
    const signal = new AbortController().signal;
    await (await fetch('/echo', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'wörld', signal })).text();
    await fetch('http://127.0.0.1:1/nothing').catch(() => {});
    finished('fetch')();
    await xhr.then(finished('xhr'));
    await ws.then(finished('ws'));
    await sse.then(finished('eventsource'));
    await streamed.then(finished('sse over fetch'));
    await piped.then(finished('pipe'));
  })();
  (async () => {
    // A hook that breaks the page's traffic would hang it: give up after 10 s (the test then fails on what is missing).
    await new Promise((resolve) => { traffic.then(resolve, resolve); setTimeout(resolve, 10000); });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    for (let i = 0; i < restores.length; i++) restores[i]();
    console.log('hostile traffic done');
  })();
</script></body></html>`;

/** Builtin methods and functions the hooks could call at run time. */
const BUILTIN_TRAPS = `
  trapAll(String.prototype, 'String.prototype', ['slice', 'substring', 'substr', 'indexOf', 'lastIndexOf', 'split', 'trim',
    'toLowerCase', 'toUpperCase', 'startsWith', 'endsWith', 'includes', 'padStart', 'charCodeAt', 'replace', 'concat']);
  trapAll(Array.prototype, 'Array.prototype', ['slice', 'push', 'shift', 'pop', 'unshift', 'splice', 'filter', 'map', 'indexOf',
    'includes', 'join', 'concat', 'forEach', 'some', 'every', 'find', 'values', 'entries', 'keys']);
  trapOn(Array.prototype, Symbol.iterator, 'Array.prototype[Symbol.iterator]');
  trapAll(Array, 'Array', ['isArray', 'from', 'of']);
  trapAll(Map.prototype, 'Map.prototype', ['get', 'set', 'delete', 'has', 'values', 'forEach']);
  trapAll(Set.prototype, 'Set.prototype', ['has', 'add', 'delete', 'values', 'forEach']);
  trapAll(Math, 'Math', ['min', 'max', 'floor', 'abs', 'round']);
  trapAll(Object, 'Object', ['keys', 'assign', 'entries', 'getPrototypeOf']);
  trapAll(window, 'window', ['String', 'Number']);
`;

/**
 * Getters on Object.prototype for the members the platform looks up on objects the hooks
 * hand it (Proxy handler traps, event and listener options, a TransformStream's
 * transformer, property descriptors): such a getter runs with the hooks' object as
 * `this`, e.g. the options of the CustomEvent that carries a batch of events.
 */
const OBJECT_PROTOTYPE_TRAPS = `
  const members = ['get', 'set', 'has', 'deleteProperty', 'defineProperty', 'getOwnPropertyDescriptor', 'ownKeys',
    'getPrototypeOf', 'setPrototypeOf', 'isExtensible', 'preventExtensions', 'apply', 'construct',
    'bubbles', 'cancelable', 'composed', 'detail', 'ports', 'source', 'once', 'passive',
    'start', 'cancel', 'readableType', 'writableType', 'enumerable', 'configurable', 'writable'];
  for (let i = 0; i < members.length; i++) {
    const name = members[i];
    // A descriptor without a prototype: the getters already set would see the page's own.
    Object.defineProperty(Object.prototype, name, { __proto__: null, get: trap('Object.prototype.' + name), configurable: true });
    restores[restores.length] = () => { delete Object.prototype[name]; };
  }
`;

/**
 * Getters and setters on Object.prototype (and `toJSON` on Array.prototype) for the members
 * of the hooks' own events and batches: an event lacking one (`t`, `preview`, `sampled`...),
 * a member added after the event was made (`pseq`), the envelope's optional members, and the
 * `toJSON` JSON.stringify asks every object for. Any of them would run with the page's
 * captured events as `this`.
 */
const EVENT_MEMBER_TRAPS = `
  // Counted only when the extension's code runs them: the page's own code (its JSON.stringify
  // of its messages, the fetch init whose members the platform reads natively too, which is why
  // 'body' is not among them) goes on working as if the members were not there.
  const fromHooks = () => new Error().stack.includes('chrome-extension://');
  const memberTrap = (owner, name) => {
    const label = (owner === Object.prototype ? 'Object' : 'Array') + '.prototype.' + name;
    Object.defineProperty(owner, name, {
      __proto__: null,
      configurable: true,
      get() {
        if (fromHooks()) trap('get ' + label)();
        return undefined;
      },
      set(value) {
        if (fromHooks()) trap('set ' + label)();
        Object.defineProperty(this, name, { __proto__: null, value, writable: true, enumerable: true, configurable: true });
      },
    });
    restores[restores.length] = () => { delete owner[name]; };
  };
  const members = ['t', 'pseq', 'seq', 'frameId', 'data', 'preview', 'text', 'sampled', 'toJSON', 'doc', 'texts', 't0', 'conns'];
  for (let i = 0; i < members.length; i++) memberTrap(Object.prototype, members[i]);
  memberTrap(Array.prototype, 'toJSON');
  // The typed-array and ArrayBuffer getters the hooks read bodies and frames with: the page's own reads still work.
  const getterTrap = (owner, name, label) => {
    const original = Object.getOwnPropertyDescriptor(owner, name);
    Object.defineProperty(owner, name, {
      __proto__: null,
      configurable: true,
      get() {
        if (fromHooks()) trap('get ' + label)();
        return original.get.call(this);
      },
    });
    restores[restores.length] = () => { Object.defineProperty(owner, name, original); };
  };
  const typedArray = Object.getPrototypeOf(Uint8Array.prototype);
  for (const name of ['buffer', 'byteOffset', 'byteLength', 'length']) getterTrap(typedArray, name, 'TypedArray.prototype.' + name);
  getterTrap(ArrayBuffer.prototype, 'byteLength', 'ArrayBuffer.prototype.byteLength');
  // bind reads the name and length of what it binds (the EventSource hook binds the page's listeners).
  for (const name of ['name', 'length']) {
    const original = Object.getOwnPropertyDescriptor(Function.prototype.call, name);
    Object.defineProperty(Function.prototype.call, name, {
      __proto__: null,
      configurable: true,
      get() {
        if (fromHooks()) trap('get Function.prototype.call.' + name)();
        return original.value;
      },
    });
    restores[restores.length] = () => { Object.defineProperty(Function.prototype.call, name, original); };
  }
`;

let pageCounter = 0;

/**
 * Open a page that sets `traps` and makes its traffic (hostilePage); once it has taken its
 * traps away, check that none went off and that the page's own code ran without error,
 * and return the page and the events the hooks sent.
 */
async function runHostilePage(traps: string): Promise<{ page: Page; events: CaptureEvent[] }> {
  const path = `/hostile-${++pageCounter}.html`;
  server.page(path, hostilePage(traps));
  const page = await browser.context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  const done = page.waitForEvent('console', { predicate: (m) => m.text() === 'hostile traffic done', timeout: 20_000 });
  await page.goto(server.origin + path);
  await done;
  const seen = await page.evaluate(() => {
    const w = window as unknown as { __trapped: string[]; __finished: string[] };
    return { trapped: w.__trapped, finished: w.__finished };
  });
  expect(seen).toEqual({ trapped: [], finished: ['fetch', 'xhr', 'ws', 'eventsource', 'sse over fetch', 'pipe'] });
  expect(await page.evaluate(() => (window as unknown as { __patchedCalls: number }).__patchedCalls)).toBe(0);
  expect(pageErrors).toEqual([]);
  const events = await capturedEvents(page);
  return { page, events };
}

/** The whole capture of hostilePage's traffic, with no hook.error. */
function expectCompleteCapture(events: CaptureEvent[]): void {
  expect(find(events, 'hook.error')).toEqual([]);

  const requests = find(events, 'http.request');
  const json5 = ofConn(events, requests.find((r) => r.url.endsWith('/json?n=5'))!.conn);
  expect(json5).toMatchObject([
    { type: 'http.request', transport: 'fetch', method: 'GET', headers: [['x-thing', 'a']], bodySize: 0 },
    { type: 'http.response', status: 200, contentType: 'application/json' },
    { type: 'http.end', size: 17, body: { encoding: 'text', data: '{"ok":true,"n":5}', truncated: false } },
  ]);
  expect((json5[1] as EventOf<'http.response'>).headers).toContainEqual(['x-test', 'yes']);

  const echo = ofConn(events, requests.find((r) => r.url.endsWith('/echo'))!.conn);
  expect(echo).toMatchObject([
    { type: 'http.request', method: 'POST', headers: [['content-type', 'text/plain']], bodySize: 6 },
    { type: 'http.response', status: 200, contentType: 'text/plain' },
    { type: 'http.end', size: 6, body: { encoding: 'text', data: 'wörld', truncated: false } },
  ]);
  const refused = ofConn(events, requests.find((r) => r.url.endsWith('/nothing'))!.conn);
  expect(refused).toMatchObject([{ type: 'http.request' }, { type: 'http.error', reason: 'network', message: 'Failed to fetch' }]);

  const stream = ofConn(events, requests.find((r) => r.url.endsWith('/stream?n=3'))!.conn);
  expect(stream.at(-1)).toMatchObject({ type: 'http.end', size: 21, body: { data: 'chunk1;chunk2;chunk3;' } });

  const json6 = ofConn(events, requests.find((r) => r.url.endsWith('/json?n=6'))!.conn);
  expect(json6).toMatchObject([
    { type: 'http.request', transport: 'xhr', method: 'GET', headers: [['x-req', 'r']], bodySize: 0 },
    { type: 'http.response', status: 200, contentType: 'application/json' },
    { type: 'http.end', size: 17, body: { encoding: 'text', data: '{"ok":true,"n":6}', truncated: false } },
  ]);
  expect((json6[1] as EventOf<'http.response'>).headers).toContainEqual(['x-test', 'yes']);

  const wsConn = connOf(events, (e) => e.type === 'ws.create');
  expect(ofConn(events, wsConn)).toMatchObject([
    { type: 'ws.create', url: `${server.wsOrigin}/ws`, protocols: ['chat.v1', 'other'] },
    { type: 'ws.open', protocol: 'chat.v1' },
    { type: 'ws.message', dir: 'out', data: { encoding: 'text', data: 'héllo', size: 6, truncated: false } },
    { type: 'ws.message', dir: 'out', data: { encoding: 'text', size: BIG, truncated: true } },
    { type: 'ws.message', dir: 'in', data: { encoding: 'text', data: 'echo:héllo', size: 11, truncated: false } },
    { type: 'ws.message', dir: 'in', data: { encoding: 'text', size: BIG + 5, truncated: true } },
    { type: 'ws.close', code: 1000, reason: 'done', initiator: 'client' },
  ]);
  const big = find(events, 'ws.message').filter((m) => m.data.size >= BIG);
  expect(big.map((m) => m.data.data.length)).toEqual([DEFAULT_MAX_TEXT_CHARS, DEFAULT_MAX_TEXT_CHARS]);

  const sseMessages = (transport: string) => {
    const conn = connOf(events, (e) => e.type === 'sse.create' && e.transport === transport);
    return ofConn(events, conn).filter((e) => e.type === 'sse.message');
  };
  expect(sseMessages('eventsource')).toMatchObject([
    { event: 'message', data: { data: 'first', size: 5 }, id: '1', lastEventId: '1' },
    { event: 'tick', data: { data: '{"n":2}' }, id: '2', lastEventId: '2' },
    { event: 'message', data: { data: 'last' }, id: '3', lastEventId: '3' },
  ]);
  expect(find(events, 'fault').map((f) => [f.fault, f.phase])).toEqual([
    ['stall', 'start'],
    ['stall', 'end'],
  ]);
  for (const transport of ['fetch', 'xhr']) expect(sseMessages(transport)).toMatchObject([
    { event: 'message', data: { data: 'first' }, id: '1', lastEventId: '1', retry: 2500 },
    { event: 'tick', data: { data: '{"n":2}' }, id: '2', lastEventId: '2' },
    { event: 'tock', data: { data: 'line one\nline two' }, id: null, lastEventId: '2' },
    { event: 'message', data: { data: 'last' }, id: '3', lastEventId: '3' },
  ]);
  expect(find(events, 'sse.comment').map((c) => c.text)).toEqual(['hello comment', 'hello comment']);
}

describe('hostile pages', () => {
  it('captures fetch, XHR, WebSocket, EventSource and SSE over fetch completely while the page has replaced String, Array, Map, Set and Math methods', async () => {
    const { page, events } = await runHostilePage(BUILTIN_TRAPS);
    expectCompleteCapture(events);
    await page.close();
  });

  it('hands the platform no object whose missing members a getter on Object.prototype would see (Proxy handlers, event and listener options, descriptors)', async () => {
    const { page, events } = await runHostilePage(OBJECT_PROTOTYPE_TRAPS);
    expectCompleteCapture(events);
    await page.close();
  });

  it('never runs a getter or setter on Object.prototype, toJSON on Array.prototype or a typed-array getter with its own events, batches and bodies', async () => {
    const { page, events } = await runHostilePage(EVENT_MEMBER_TRAPS);
    expectCompleteCapture(events);
    await page.close();
  });
});
