/**
 * The page hooks in real Chromium with the BUILT extension loaded (RI_DIST), against a
 * real local server. Events are read in the page world from the hooks' own bridge
 * events (support/capture.ts), so these tests do not depend on relay or background.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { CaptureEvent, EventOf } from '../../src/core/events.ts';
import { capturedEvents, connOf, ofConn, sendToHooks, waitForEvents } from './support/capture.ts';
import { byteRamp } from './support/server.ts';
import { DEFAULT_MAX_TEXT_CHARS } from '../../src/shared/constants.ts';
import { exportTab, tabIdOf } from '../e2e/fixtures/extension.ts';
import { browser, server, useBrowserAndServer } from './support/session.ts';
import { referenceBodyHash, referenceSampledBodyHash } from '../support/body-hash-reference.ts';

useBrowserAndServer({ collector: true });

let pageCounter = 0;
/** Serve `body` (inline scripts) as a fresh page and open it. */
/** What /stream?n=12 sends: twelve chunks 40 ms apart. */
const TRICKLE = Array.from({ length: 12 }, (_, i) => `chunk${i + 1};`).join('');

/** The request, chunks and end of the fetch whose URL ends with `k=<k>`. */
function byK(events: CaptureEvent[]) {
  const connOfK = (k: number) => find(events, 'http.request').find((r) => r.url.endsWith(`k=${k}`))!.conn;
  return {
    connOfK,
    chunksOf: (k: number) => find(events, 'http.chunk').filter((c) => c.conn === connOfK(k)),
    endOf: (k: number) => find(events, 'http.end').find((e) => e.conn === connOfK(k))!,
  };
}

async function openPage(body: string): Promise<Page> {
  const path = `/hooks-${++pageCounter}.html`;
  server.page(path, `<!doctype html><html><head><title>t</title></head><body>${body}</body></html>`);
  const page = await browser.context.newPage();
  await page.goto(server.origin + path);
  return page;
}

const types = (events: CaptureEvent[]) => events.map((e) => e.type);
const find = <T extends CaptureEvent['type']>(events: CaptureEvent[], type: T): EventOf<T>[] =>
  events.filter((e): e is EventOf<T> => e.type === type);

describe('installation', () => {
  it('hooks are installed before the first inline script runs and its early fetch is captured', async () => {
    const page = await openPage(`<script>
      window.__early = {
        marker: !!Function.prototype.toString[Symbol.for('realtime-inspector.hooks')],
        fetchSource: fetch.toString(),
        readyState: document.readyState,
      };
      fetch('/json?n=7');
    </script>`);
    const early = await page.evaluate(() => (window as unknown as { __early: unknown }).__early);
    expect(early).toEqual({ marker: true, fetchSource: 'function fetch() { [native code] }', readyState: 'loading' });
    const events = await waitForEvents(page, (e) => e.some((x) => x.type === 'http.end'));
    expect(events[0]).toMatchObject({ type: 'doc.start', pseq: 1, top: true, parentDoc: null, seq: 0, frameId: 0 });
    expect(events[0]!.type === 'doc.start' && events[0]!.url).toBe(page.url());
    const conn = connOf(events, (e) => e.type === 'http.request');
    expect(conn).toBe(`${events[0]!.doc}:1`);
    const body = JSON.stringify({ ok: true, n: 7 });
    expect(ofConn(events, conn)).toMatchObject([
      { type: 'http.request', transport: 'fetch', method: 'GET', url: `${server.origin}/json?n=7`, headers: [], bodySize: 0 },
      { type: 'http.response', status: 200, statusText: 'OK', url: `${server.origin}/json?n=7`, contentType: 'application/json' },
      {
        type: 'http.end',
        size: body.length,
        bodyHash: referenceBodyHash(Buffer.from(body)),
        body: { size: body.length, encoding: 'text', data: body, truncated: false },
      },
    ]);
    // pseq is the per-document order, gap-free from 1.
    expect(events.map((e) => e.pseq)).toEqual(events.map((_, i) => i + 1));
    await page.close();
  });
});

describe('fetch', () => {
  it('records method, headers, body size, status, response headers, timing, binary bodies, errors and aborts', async () => {
    const page = await openPage(`<script>
      window.__done = (async () => {
        await (await fetch('/echo', { method: 'post', headers: { 'X-Thing': 'a', 'content-type': 'text/plain' }, body: 'héllo' })).text();
        await (await fetch('/bytes?n=300')).arrayBuffer();
        await fetch('/status?code=204');
        const closed = await fetch('http://127.0.0.1:1/nothing').catch((e) => e.name);
        const controller = new AbortController();
        const slow = fetch('/slow?ms=3000', { signal: controller.signal }).catch((e) => e.name);
        setTimeout(() => controller.abort(), 50);
        return [closed, await slow];
      })();
    </script>`);
    expect(await page.evaluate(() => (window as unknown as { __done: Promise<unknown> }).__done)).toEqual([
      'TypeError',
      'AbortError',
    ]);
    const events = await waitForEvents(page, (e) => find(e, 'http.error').length === 2);
    const requests = find(events, 'http.request');
    expect(requests.map((r) => [r.method, new URL(r.url).pathname])).toEqual([
      ['POST', '/echo'],
      ['GET', '/bytes'],
      ['GET', '/status'],
      ['GET', '/nothing'],
      ['GET', '/slow'],
    ]);
    const [echo, bytes, empty, closed, slow] = requests.map((r) => ofConn(events, r.conn));
    expect(echo![0]).toMatchObject({ headers: [['content-type', 'text/plain'], ['x-thing', 'a']], bodySize: 6 });
    expect(echo![2]).toMatchObject({ type: 'http.end', size: 6, body: { data: 'héllo', size: 6 } });
    expect(echo!.map((e) => e.t)).toEqual([...echo!.map((e) => e.t)].sort((a, b) => a - b));
    expect(types(bytes!)).toEqual(['http.request', 'http.response', 'http.end']);
    const ramp = byteRamp(300);
    expect(bytes![2]).toMatchObject({
      size: 300,
      bodyHash: referenceBodyHash(ramp),
      body: { encoding: 'binary', size: 300, data: ramp.toString('base64'), truncated: false },
    });
    expect(bytes![1]).toMatchObject({ contentType: 'application/octet-stream' });
    expect((bytes![1] as EventOf<'http.response'>).headers).toContainEqual(['content-length', '300']);
    expect(empty!.slice(1)).toMatchObject([
      { type: 'http.response', status: 204 },
      { type: 'http.end', size: 0, bodyHash: referenceBodyHash(new Uint8Array(0)), body: { data: '', size: 0 } },
    ]);
    expect(closed!.slice(1)).toMatchObject([{ type: 'http.error', reason: 'network', message: 'Failed to fetch' }]);
    expect(slow!.slice(1)).toMatchObject([{ type: 'http.error', reason: 'abort' }]);
    await page.close();
  });

  it('a page abort with a reason of its own is an abort, before headers and during the body; a timeout signal a timeout', async () => {
    const page = await openPage(`<script>
      const settle = (p) => p.then(() => 'ok', (e) => (e instanceof Error ? e.name : typeof e));
      window.__done = (async () => {
        const early = new AbortController();
        const before = settle(fetch('/slow?ms=3000', { signal: early.signal }));
        setTimeout(() => early.abort(new RangeError('mine')), 50);
        const late = new AbortController();
        const res = await fetch('/stream?n=8&late=1', { signal: late.signal });
        const reading = settle(res.text());
        setTimeout(() => late.abort('a string reason'), 30);
        const timed = settle(fetch('/slow?ms=3000&t=1', { signal: AbortSignal.timeout(50) }));
        return [await before, await reading, await timed];
      })();
    </script>`);
    expect(await page.evaluate(() => (window as unknown as { __done: Promise<unknown> }).__done)).toEqual(['RangeError', 'string', 'TimeoutError']);
    const events = await waitForEvents(page, (e) => find(e, 'http.error').length === 3);
    const errorOf = (suffix: string) => {
      const conn = find(events, 'http.request').find((r) => r.url.endsWith(suffix))!.conn;
      return find(events, 'http.error').find((e) => e.conn === conn);
    };
    expect(errorOf('/slow?ms=3000')).toMatchObject({ reason: 'abort', message: 'mine' });
    expect(errorOf('/stream?n=8&late=1')).toMatchObject({ reason: 'abort', message: 'a string reason' });
    expect(errorOf('/slow?ms=3000&t=1')).toMatchObject({ reason: 'timeout' });
    await page.close();
  });

  it('gives each of 100 fetches in flight, and of fetches repeating one URL, its own Resource Timing entry', async () => {
    const page = await openPage(`<script>
      window.__done = (async () => {
        await Promise.all(Array.from({ length: 100 }, (_, i) => fetch('/json?n=' + i).then((r) => r.json())));
        for (let i = 0; i < 20; i++) await (await fetch('/json?n=same')).text();
        return true;
      })();
    </script>`);
    await page.evaluate(() => (window as unknown as { __done: Promise<boolean> }).__done);
    const events = await waitForEvents(page, (e) => find(e, 'http.timing').length >= 120, 15_000);
    const requests = find(events, 'http.request').filter((r) => r.url.includes('/json?n='));
    expect(requests).toHaveLength(120);
    const timed = find(events, 'http.timing');
    for (const r of requests) expect(timed.filter((t) => t.conn === r.conn)).toHaveLength(1);
    expect(new Set(timed.map((t) => t.protocol))).toEqual(new Set(['http/1.1']));
    await page.close();
  });

  it('observes streamed NDJSON chunk by chunk while the page reads the same stream', async () => {
    const page = await openPage(`<script>
      window.__done = (async () => {
        const res = await fetch('/ndjson?id=hooks');
        const reader = res.body.getReader();
        const dec = new TextDecoder();
        let text = '';
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          text += dec.decode(value, { stream: true });
          fetch('/pace?id=hooks');
        }
        return text;
      })();
    </script>`);
    expect(await page.evaluate(() => (window as unknown as { __done: Promise<unknown> }).__done)).toBe(
      '{"i":1}\n{"i":2}\n{"i":3}\n',
    );
    const events = await waitForEvents(page, (e) => e.some((x) => x.type === 'http.end' && x.size === 24));
    const conn = connOf(events, (e) => e.type === 'http.request' && e.url.includes('/ndjson'));
    const chunks = ofConn(events, conn).filter((e): e is EventOf<'http.chunk'> => e.type === 'http.chunk');
    expect(chunks.map((c) => [c.size, c.preview])).toEqual([
      [8, '{"i":1}\n'],
      [8, '{"i":2}\n'],
      [8, '{"i":3}\n'],
    ]);
    expect(ofConn(events, conn).at(-1)).toMatchObject({ type: 'http.end', size: 24, body: { data: '{"i":1}\n{"i":2}\n{"i":3}\n' } });
    await page.close();
  });

  it('records a body the page consumes whole from what the page got, equal to a clone read, and a small body it never reads', async () => {
    const page = await openPage(`<script>
      const big = Array.from({ length: 300_000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('') + 'é';
      window.__done = (async () => {
        const post = (q, body) => fetch('/echo?' + q, { method: 'POST', headers: { 'content-type': 'text/plain' }, body });
        const got = {};
        got.text = await (await post('text', big)).text();
        got.arrayBuffer = (await (await post('arrayBuffer', big)).arrayBuffer()).byteLength;
        got.bytes = (await (await post('bytes', big)).bytes()).byteLength;
        got.json = (await (await fetch('/json?n=31')).json()).n;
        got.blob = (await (await post('blob', big)).blob()).size;
        got.binaryText = (await (await fetch('/bytes?n=300')).text()).length;
        // Declared lengths: taken from the call's result (the /echo bodies above have none: chunked, cloned).
        got.declaredText = await (await fetch('/text')).text();
        got.declaredBuffer = (await (await fetch('/bytes?n=100000')).arrayBuffer()).byteLength;
        got.declaredBytes = (await (await fetch('/bytes?n=70000')).bytes()).byteLength;
        // No declared length, bytes trickling in for about half a second: followed chunk by chunk
        // even though text() waits for the end (from 250 ms after the call at the latest).
        got.trickle = await (await fetch('/stream?n=12')).text();
        window.__trickleSeen = performance.timeOrigin + performance.now();
        // No declared length, the whole body within that time: read whole when text() is done, no chunks.
        got.quick = await (await fetch('/stream?n=2')).text();
        window.__quickSeen = performance.timeOrigin + performance.now();
        // A small body's stream handed where the hooks cannot follow it.
        got.rewrapped = (await new Response((await fetch('/json?n=34')).body).json()).n;
        fetch('/json?n=32');
        const later = await fetch('/json?n=33');
        await new Promise((resolve) => setTimeout(resolve, 100));
        got.later = (await later.json()).n;
        got.both = await (await post('both', 'twice')).text().then(() => 'read');
        return got;
      })();
    </script>`);
    const got = await page.evaluate(() => (window as unknown as { __done: Promise<Record<string, unknown>> }).__done);
    expect(got).toEqual({
      text: expect.any(String), arrayBuffer: 300_002, bytes: 300_002, json: 31, blob: 300_002, binaryText: 300,
      declaredText: 'héllo wörld', declaredBuffer: 100_000, declaredBytes: 70_000, trickle: TRICKLE, quick: 'chunk1;chunk2;', rewrapped: 34, later: 33, both: 'read',
    });
    const events = await waitForEvents(page, (e) => find(e, 'http.end').length === 15);
    const endOf = (suffix: string) => {
      const conn = find(events, 'http.request').find((r) => r.url.endsWith(suffix))!.conn;
      return find(events, 'http.end').find((e) => e.conn === conn)!;
    };
    const big = Buffer.from(`${Array.from({ length: 300_000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('')}é`);
    for (const q of ['text', 'arrayBuffer', 'bytes', 'blob']) {
      const end = endOf(`/echo?${q}`);
      expect(end).toMatchObject({ size: 300_002, bodyHash: referenceBodyHash(big), body: { encoding: 'text', size: 300_002, truncated: true } });
      expect(end.body!.data).toBe(big.toString('utf8').slice(0, DEFAULT_MAX_TEXT_CHARS));
    }
    const json = (n: number) => Buffer.from(JSON.stringify({ ok: true, n }));
    for (const n of [31, 32, 33, 34]) expect(endOf(`/json?n=${n}`)).toMatchObject({ size: json(n).length, bodyHash: referenceBodyHash(json(n)), body: { data: json(n).toString() } });
    const trickle = find(events, 'http.request').find((r) => r.url.endsWith('/stream?n=12'))!.conn;
    const trickled = find(events, 'http.chunk').filter((c) => c.conn === trickle);
    expect(trickled.map((c) => c.preview).join('')).toBe(TRICKLE);
    // The chunks after the first quarter second were read as they came: spread over the rest of the body.
    expect(trickled.length).toBeGreaterThanOrEqual(4);
    expect(trickled.at(-1)!.t - trickled[0]!.t).toBeGreaterThan(150);
    expect(endOf('/stream?n=12')).toMatchObject({ body: { data: TRICKLE } });
    const quick = find(events, 'http.request').find((r) => r.url.endsWith('/stream?n=2'))!.conn;
    expect(find(events, 'http.chunk').filter((c) => c.conn === quick)).toEqual([]);
    expect(endOf('/stream?n=2')).toMatchObject({ size: 14, body: { data: 'chunk1;chunk2;' } });
    // The clone is read after the page's text() settled, yet the body ended before the page had
    // it (a long poll re-requesting in its continuation must not start before its response ended).
    const seen = await page.evaluate(() => {
      const w = window as unknown as { __trickleSeen: number; __quickSeen: number };
      return { trickle: w.__trickleSeen, quick: w.__quickSeen };
    });
    expect(endOf('/stream?n=12').t).toBeLessThanOrEqual(seen.trickle);
    expect(endOf('/stream?n=2').t).toBeLessThanOrEqual(seen.quick);
    for (const chunk of trickled) expect(chunk.t).toBeLessThanOrEqual(seen.trickle);
    const hello = Buffer.from('héllo wörld');
    expect(endOf('/text')).toMatchObject({ size: hello.length, bodyHash: referenceBodyHash(hello), body: { encoding: 'text', data: 'héllo wörld', truncated: false } });
    for (const n of [100_000, 70_000]) expect(endOf(`/bytes?n=${n}`)).toMatchObject({ size: n, bodyHash: referenceBodyHash(byteRamp(n)), body: { encoding: 'binary', size: n, truncated: true } });
    // A binary body read with text(): recorded from its bytes, not from the page's decoded text.
    expect(endOf('/bytes?n=300')).toMatchObject({ size: 300, bodyHash: referenceBodyHash(byteRamp(300)), body: { encoding: 'binary', size: 300 } });
    expect(find(events, 'hook.error')).toEqual([]);
    await page.close();
  });

  it('serves bodies of unknown length on a prompt path without a clone; a trickling one makes the path cloned again', async () => {
    const page = await openPage(`<script>
      window.__done = (async () => {
        const got = [];
        // No declared length, each whole within 250 ms of text(): the path's pace is learnt.
        got.push(await (await fetch('/stream?n=1&k=1')).text());
        got.push(await (await fetch('/stream?n=1&k=2')).text());
        // The same path, now trickling for about half a second: taken from text()'s result, no chunks.
        got.push(await (await fetch('/stream?n=12&k=3')).text());
        // The path is slow from then on: the next trickling body is followed chunk by chunk again.
        got.push(await (await fetch('/stream?n=12&k=4')).text());
        got.push((await (await fetch('/stream?n=2&k=5')).arrayBuffer()).byteLength);
        return got;
      })();
    </script>`);
    const got = await page.evaluate(() => (window as unknown as { __done: Promise<unknown[]> }).__done);
    expect(got).toEqual(['chunk1;', 'chunk1;', TRICKLE, TRICKLE, 14]);
    const events = await waitForEvents(page, (e) => find(e, 'http.end').length === 5);
    const { connOfK, chunksOf, endOf } = byK(events);
    for (const [k, text] of [[1, 'chunk1;'], [2, 'chunk1;'], [3, TRICKLE], [4, TRICKLE]] as const) {
      const bytes = Buffer.from(text);
      expect(endOf(k)).toMatchObject({ size: bytes.length, bodyHash: referenceBodyHash(bytes), body: { encoding: 'text', data: text, truncated: false } });
    }
    expect(endOf(5)).toMatchObject({ size: 14, bodyHash: referenceBodyHash(Buffer.from('chunk1;chunk2;')) });
    // The first trickling body on the prompt path had no clone, so no chunk times (the rule's price).
    expect(chunksOf(3)).toEqual([]);
    const followed = chunksOf(4);
    expect(followed.map((c) => c.preview).join('')).toBe(TRICKLE);
    expect(followed.length).toBeGreaterThanOrEqual(4);
    expect(followed.at(-1)!.t - followed[0]!.t).toBeGreaterThan(150);
    // Request before end, as on the wire, whichever way the body was read.
    for (const k of [1, 2, 3, 4, 5]) {
      const request = find(events, 'http.request').find((r) => r.conn === connOfK(k))!;
      expect(endOf(k).t).toBeGreaterThan(request.t);
    }
    expect(find(events, 'hook.error')).toEqual([]);
    await page.close();
  });

  it('a body that fails tells a path no pace when quick, and makes a prompt path cloned again when slow', async () => {
    const page = await openPage(`<script>
      window.__done = (async () => {
        const got = [];
        const text = (url) => fetch(url).then((r) => r.text()).catch((e) => e.name);
        // A network drop 40 ms in: no body came whole, so the path is not learnt as prompt.
        got.push(await text('/stream?n=1&destroy=1&k=1'));
        got.push(await text('/stream?n=12&k=2'));
        // A path learnt as prompt, then a body cut after half a second of trickling: slow.
        got.push(await text('/stream?n=1&k=3'));
        got.push(await text('/stream?n=1&k=4'));
        got.push(await text('/stream?n=12&destroy=1&k=5'));
        got.push(await text('/stream?n=12&k=6'));
        return got;
      })();
    </script>`);
    const got = await page.evaluate(() => (window as unknown as { __done: Promise<unknown[]> }).__done);
    expect(got).toEqual(['TypeError', TRICKLE, 'chunk1;', 'chunk1;', 'TypeError', TRICKLE]);
    const events = await waitForEvents(page, (e) => find(e, 'http.end').length === 4 && find(e, 'http.error').length === 2);
    const { connOfK, chunksOf } = byK(events);
    for (const k of [1, 5]) expect(find(events, 'http.error').filter((e) => e.conn === connOfK(k))).toHaveLength(1);
    // Cloned (followed chunk by chunk) after the quick failure, and again after the slow one.
    for (const k of [2, 6]) {
      expect(chunksOf(k).map((c) => c.preview).join('')).toBe(TRICKLE);
      expect(chunksOf(k).length).toBeGreaterThanOrEqual(4);
    }
    expect(find(events, 'hook.error')).toEqual([]);
    await page.close();
  });

  it('hashes bodies up to 1 MiB whole and larger ones by samples, end and size, the same through fetch and XHR', async () => {
    const page = await openPage(`<script>
      const base = Array.from({ length: 1_100_000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
      const at = (i, c) => base.slice(0, i) + c + base.slice(i + 1);
      window.__bodies = {
        whole: base.slice(0, 1_048_576),
        deep: at(900_000, '#'),
        same1: base,
        same2: base,
        early: at(100, '#'),
        middle: at(40_000, '#'),
        sampled: at(1_048_576 + 4096 + 10, '#'),
        unsampled: at(1_048_576 + 4096 + 500, '#'),
        end: at(1_099_990, '#'),
        longer: base + 'z',
        accents: 'é'.repeat(40_000),
      };
      window.__done = (async () => {
        for (const [name, body] of Object.entries(window.__bodies)) {
          await (await fetch('/echo?' + name, { method: 'POST', headers: { 'content-type': 'text/plain' }, body })).text();
        }
        await new Promise((resolve) => {
          const x = new XMLHttpRequest();
          x.open('POST', '/echo?xhr');
          x.setRequestHeader('content-type', 'text/plain');
          x.onloadend = resolve;
          x.send(window.__bodies.same1);
        });
      })();
    </script>`);
    await page.evaluate(() => (window as unknown as { __done: Promise<unknown> }).__done);
    const bodies = (await page.evaluate(() => (window as unknown as { __bodies: unknown }).__bodies)) as Record<string, string>;
    const events = await waitForEvents(page, (e) => find(e, 'http.end').length === 12);
    const hashOf = (query: string) => {
      const conn = find(events, 'http.request').find((r) => r.url.endsWith(`/echo?${query}`))!.conn;
      return find(events, 'http.end').find((e) => e.conn === conn)!.bodyHash;
    };
    for (const [name, body] of Object.entries(bodies)) expect(hashOf(name)).toBe(referenceSampledBodyHash(Buffer.from(body)));
    expect(hashOf('whole')).toMatch(/^[0-9a-f]{8}$/);
    expect(hashOf('same1')).toMatch(/^[0-9a-f]{16}~1100000$/);
    expect(hashOf('same2')).toBe(hashOf('same1'));
    expect(hashOf('xhr')).toBe(hashOf('same1'));
    // What the bound changes: a same-length change outside the sampled bytes of a body over 1 MiB is not seen.
    expect(bodies.unsampled!.length).toBe(bodies.same1!.length);
    expect(hashOf('unsampled')).toBe(hashOf('same1'));
    // A same-length change deep in a body under the bound is seen (a poll's counter or timestamp).
    for (const changed of ['early', 'middle', 'deep', 'sampled', 'end', 'longer']) expect(hashOf(changed)).not.toBe(hashOf('same1'));
    // The text kept is exactly the cap, however the body was split and decoded.
    const endOf = (query: string) => {
      const conn = find(events, 'http.request').find((r) => r.url.endsWith(`/echo?${query}`))!.conn;
      return find(events, 'http.end').find((e) => e.conn === conn)!;
    };
    expect(endOf('same1')).toMatchObject({ size: 1_100_000, body: { size: 1_100_000, truncated: true, data: bodies.same1!.slice(0, DEFAULT_MAX_TEXT_CHARS) } });
    expect(endOf('accents')).toMatchObject({ size: 80_000, body: { size: 80_000, truncated: true, data: 'é'.repeat(DEFAULT_MAX_TEXT_CHARS) } });
    await page.close();
  });

  it('serves text() and json() of a large declared body natively: its size, its first chars, and consecutive polls compared whole', async () => {
    // Over 64 KiB of declared length, text() and json() are the native text(); the hash comes
    // from the text (textBodyHash), each poll compared whole with the endpoint's last one.
    const page = await openPage(`<script>
      window.__done = (async () => {
        const got = [];
        const poll = async (query, how) => {
          const r = await fetch('/large?' + query);
          const value = how === 'json' ? await r.json() : JSON.parse(await r.text());
          got.push(value.text.length + ':' + value.text.indexOf('#'));
        };
        await poll('n=300000&p=1', 'text');
        await poll('n=300000&p=2', 'text');
        await poll('n=300000&at=250000&p=3', 'text');
        await poll('n=300000&at=250000&p=4', 'json');
        await poll('n=300000&p=5', 'json');
        await poll('n=40000&unit=%C3%A9&p=6', 'text');
        got.push(await (await fetch('/large?n=100000&bad=1&p=7')).json().then(() => 'parsed', (e) => e.constructor.name + ':' + (e instanceof SyntaxError)));
        return got;
      })();
    </script>`);
    const got = await page.evaluate(() => (window as unknown as { __done: Promise<string[]> }).__done);
    expect(got).toEqual(['300000:-1', '300000:-1', '300000:250000', '300000:250000', '300000:-1', '40000:-1', 'SyntaxError:true']);
    const events = await waitForEvents(page, (e) => find(e, 'http.end').length === 7);
    const endOf = (p: number) => {
      const conn = find(events, 'http.request').find((r) => r.url.endsWith(`p=${p}`))!.conn;
      return find(events, 'http.end').find((e) => e.conn === conn)!;
    };
    const letters = JSON.stringify({ text: Array.from({ length: 300_000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('') });
    expect(endOf(1)).toMatchObject({ size: letters.length, body: { encoding: 'text', size: letters.length, truncated: true, data: letters.slice(0, DEFAULT_MAX_TEXT_CHARS) } });
    expect(endOf(1).bodyHash).toMatch(/^t[0-9a-f]{8}~300011$/);
    const hashes = [1, 2, 3, 4, 5].map((p) => endOf(p).bodyHash);
    // The same body again: the same hash (a wasted poll). A '#' deep in the body, where the
    // sampled hash does not look: another hash (news), then the same again; then back.
    expect(hashes[1]).toBe(hashes[0]);
    expect(hashes[2]).not.toBe(hashes[1]);
    expect(hashes[3]).toBe(hashes[2]);
    expect(hashes[4]).not.toBe(hashes[3]);
    // Non-ASCII text: the size is the declared bytes, the text as the page got it.
    const accents = JSON.stringify({ text: 'é'.repeat(40_000) });
    expect(endOf(6)).toMatchObject({ size: Buffer.byteLength(accents), body: { size: Buffer.byteLength(accents), data: accents.slice(0, DEFAULT_MAX_TEXT_CHARS) } });
    expect(endOf(7)).toMatchObject({ size: 100_010, body: { truncated: true } });
    expect(find(events, 'hook.error')).toEqual([]);
    await page.close();
  });

  it('parses text/event-stream over fetch into SSE events, comments and retry (CRLF split across chunks)', async () => {
    const page = await openPage(`<script>
      window.__done = (async () => {
        const res = await fetch('/sse?crlf=1&id=sse');
        const reader = res.body.getReader();
        const dec = new TextDecoder();
        let text = '';
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return text;
          text += dec.decode(value, { stream: true });
          fetch('/pace?id=sse');
        }
      })();
    </script>`);
    const text = await page.evaluate(() => (window as unknown as { __done: Promise<string> }).__done);
    expect(text.startsWith(': hello comment\r\n')).toBe(true);
    // The page's /pace fetches end too: wait for the end of the stream's own request.
    const streamEnded = (e: CaptureEvent[]) => {
      const stream = e.find((x) => x.type === 'sse.create');
      return !!stream && e.some((x) => x.type === 'http.end' && x.conn === stream.conn);
    };
    const events = await waitForEvents(page, streamEnded);
    const conn = connOf(events, (e) => e.type === 'sse.create');
    const sse = ofConn(events, conn).filter((e) => e.type.startsWith('sse.'));
    expect(sse).toMatchObject([
      { type: 'sse.create', transport: 'fetch', url: `${server.origin}/sse?crlf=1&id=sse`, withCredentials: false },
      { type: 'sse.open' },
      { type: 'sse.comment', text: 'hello comment' },
      // Queued compactly as the EventSource hook's: the sizes are counted in the background.
      { type: 'sse.message', event: 'message', data: { data: 'first', size: 5, truncated: false }, id: '1', lastEventId: '1', retry: 2500 },
      { type: 'sse.message', event: 'tick', data: { data: '{"n":2}', size: 7 }, id: '2', lastEventId: '2', retry: null },
      { type: 'sse.message', event: 'tock', data: { data: 'line one\nline two', size: 17 }, id: null, lastEventId: '2' },
      { type: 'sse.message', event: 'message', data: { data: 'last', size: 4 }, id: '3', lastEventId: '3' },
    ]);
    const chunks = ofConn(events, conn).filter((e): e is EventOf<'http.chunk'> => e.type === 'http.chunk');
    // Seven client-paced pieces; three of them end between the CR and the LF of a line ending.
    expect(chunks).toHaveLength(7);
    const splitAtCr = chunks.flatMap((c, i) => (c.preview.endsWith('\r') ? [i] : []));
    expect(splitAtCr).toEqual([1, 3, 5]);
    for (const i of splitAtCr) expect(chunks[i + 1]!.preview.startsWith('\n')).toBe(true);
    expect(chunks.map((c) => c.preview).join('')).toBe(text);
    await page.close();
  });
});

describe('XMLHttpRequest', () => {
  it('records every responseType, sync requests, abort, timeout and SSE over XHR', async () => {
    const page = await openPage(`<script>
      function xhr(url, type, opts = {}) {
        return new Promise((resolve) => {
          const x = new XMLHttpRequest();
          x.open(opts.method || 'GET', url);
          if (type) x.responseType = type;
          if (opts.timeout) x.timeout = opts.timeout;
          x.setRequestHeader('X-Req', 'r');
          x.onloadend = () => resolve(x.status);
          x.send(opts.body ?? null);
          if (opts.abort) setTimeout(() => x.abort(), 30);
        });
      }
      window.__done = (async () => {
        await xhr('/json?n=3', 'json');
        await xhr('/text', 'text');
        await xhr('/bytes?n=20', 'arraybuffer');
        await xhr('/bytes?n=20', 'blob');
        await xhr('/echo', '', { method: 'POST', body: 'abc' });
        const sync = new XMLHttpRequest();
        sync.open('GET', '/json?n=5', false);
        sync.send();
        await xhr('/slow?ms=3000', '', { abort: true });
        await xhr('/slow?ms=3000', '', { timeout: 50 });
        await xhr('/sse', '');
        return sync.responseText;
      })();
    </script>`);
    expect(await page.evaluate(() => (window as unknown as { __done: Promise<unknown> }).__done)).toBe('{"ok":true,"n":5}');
    const events = await waitForEvents(page, (e) => find(e, 'http.end').length >= 7 && find(e, 'http.error').length === 2);
    const requests = find(events, 'http.request');
    expect(requests.every((r) => r.transport === 'xhr')).toBe(true);
    const byPath = (path: string, index = 0) =>
      ofConn(events, requests.filter((r) => new URL(r.url).pathname + new URL(r.url).search === path)[index]!.conn);
    const json = byPath('/json?n=3');
    expect(json).toMatchObject([
      { type: 'http.request', method: 'GET', headers: [['x-req', 'r']], sync: false, bodySize: 0 },
      { type: 'http.response', status: 200, contentType: 'application/json' },
      { type: 'http.end', size: 17, bodyHash: referenceBodyHash(Buffer.from('{"ok":true,"n":3}')), body: { data: '{"ok":true,"n":3}' } },
    ]);
    expect(byPath('/text').at(-1)).toMatchObject({ type: 'http.end', size: 13, body: { data: 'héllo wörld', size: 13 } });
    const ramp = byteRamp(20);
    for (const index of [0, 1]) {
      expect(byPath('/bytes?n=20', index).at(-1)).toMatchObject({
        type: 'http.end',
        size: 20,
        bodyHash: referenceBodyHash(ramp),
        body: { encoding: 'binary', data: ramp.toString('base64') },
      });
    }
    expect(byPath('/echo')[0]).toMatchObject({ method: 'POST', bodySize: 3 });
    expect(byPath('/json?n=5')).toMatchObject([
      { type: 'http.request', sync: true },
      { type: 'http.response', status: 200 },
      { type: 'http.end', body: { data: '{"ok":true,"n":5}' } },
    ]);
    expect(byPath('/slow?ms=3000', 0).at(-1)).toMatchObject({ type: 'http.error', reason: 'abort' });
    expect(byPath('/slow?ms=3000', 1).at(-1)).toMatchObject({ type: 'http.error', reason: 'timeout' });
    const sse = byPath('/sse').filter((e) => e.type === 'sse.message');
    expect(sse.map((e) => e.type === 'sse.message' && [e.event, e.data.data, e.id])).toEqual([
      ['message', 'first', '1'],
      ['tick', '{"n":2}', '2'],
      ['tock', 'line one\nline two', null],
      ['message', 'last', '3'],
    ]);
    await page.close();
  });
  it('one XMLHttpRequest re-opened from its own readystatechange at DONE: each request completed (with its body) or failed as it did', async () => {
    // A long poll that reuses its XHR: open() in the DONE handler means load never fires for the
    // request that just completed (XHR Standard, "handle response end-of-body": load only if still done).
    const page = await openPage(`<script>
      window.__done = new Promise((resolve) => {
        const x = new XMLHttpRequest();
        const got = [];
        let n = 0;
        x.onreadystatechange = () => {
          if (x.readyState !== 4) return;
          got.push(x.responseText);
          if (++n === 3) return resolve(got);
          x.open('GET', '/json?n=' + (40 + n));
          x.send();
        };
        x.open('GET', '/json?n=40');
        x.send();
      });
    </script>`);
    // A failed request re-opened the same way: a network error, or a timeout when its limit ran out.
    const failures = await page.evaluate(() =>
      Promise.all(
        [['http://127.0.0.1:1/nothing', 0], ['/slow?ms=3000', 50]].map(
          ([url, timeout]) =>
            new Promise((resolve) => {
              const x = new XMLHttpRequest();
              x.open('GET', url as string);
              x.timeout = timeout as number;
              x.onreadystatechange = () => {
                if (x.readyState !== 4) return;
                x.onreadystatechange = null;
                x.open('GET', '/json?n=49');
                // The limit stays on the object: the retry must not inherit the 50 ms.
                x.timeout = 0;
                x.onload = () => resolve(x.status);
                x.send();
              };
              x.send();
            }),
        ),
      ),
    );
    expect(failures).toEqual([200, 200]);
    const bodies = [40, 41, 42].map((n) => JSON.stringify({ ok: true, n }));
    expect(await page.evaluate(() => (window as unknown as { __done: Promise<unknown> }).__done)).toEqual(bodies);
    const all = await waitForEvents(page, (e) => find(e, 'http.end').length + find(e, 'http.error').length === 7);
    const failedAs = (path: string) => {
      const conn = find(all, 'http.request').find((r) => r.url.includes(path))!.conn;
      return find(all, 'http.error').find((e) => e.conn === conn)?.reason;
    };
    expect([failedAs('/nothing'), failedAs('/slow')]).toEqual(['network', 'timeout']);
    // Their error and timeout events still fire after the re-open (no state check in the standard's
    // request error steps): they do not end the request that the re-open sent, which completes.
    expect(find(all, 'http.error')).toHaveLength(2);
    const retries = find(all, 'http.request').filter((r) => r.url.endsWith('/json?n=49'));
    expect(retries.map((r) => ofConn(all, r.conn).at(-1)!.type)).toEqual(['http.end', 'http.end']);
    const events = all.filter((e) => !('conn' in e) || find(all, 'http.request').some((r) => r.conn === e.conn && /n=4[0-2]$/.test(r.url)));
    const requests = find(events, 'http.request');
    expect(requests.map((r) => new URL(r.url).search)).toEqual(['?n=40', '?n=41', '?n=42']);
    expect(find(events, 'http.error')).toEqual([]);
    requests.forEach((r, i) => {
      const end = ofConn(events, r.conn).find((e) => e.type === 'http.end')!;
      expect(end).toMatchObject({ size: bodies[i]!.length, bodyHash: referenceBodyHash(Buffer.from(bodies[i]!)), body: { data: bodies[i] } });
      if (i + 1 < requests.length) expect(end.t).toBeLessThanOrEqual(requests[i + 1]!.t);
    });
    await page.close();
  });

  it('a request ends before the next one its completion handler sends (long polls chained from readystatechange, then())', async () => {
    // XHR: readystatechange (DONE) fires before load, error and timeout; fetch: the page's
    // continuation of text() runs before the hook's clone of an unsized body is read.
    const page = await openPage(`<script>
      function viaXhr(n, timeout) {
        return new Promise((resolve) => {
          const x = new XMLHttpRequest();
          x.open('GET', n < 3 ? '/stream?n=2&i=' + n : '/slow?ms=3000&i=' + n);
          if (n >= 3) x.timeout = timeout;
          x.onreadystatechange = () => {
            if (x.readyState === 4) resolve(n === 4 ? null : viaXhr(n + 1, 50));
          };
          x.send();
        });
      }
      async function viaFetch(n) {
        for (let i = 0; i < n; i++) await (await fetch('/stream?n=2&f=' + i)).text();
      }
      window.__done = (async () => {
        await viaXhr(0, 0);
        await viaFetch(4);
        return 'done';
      })();
    </script>`);
    expect(await page.evaluate(() => (window as unknown as { __done: Promise<unknown> }).__done)).toBe('done');
    const events = await waitForEvents(page, (e) => find(e, 'http.end').length + find(e, 'http.error').length === 9);
    const requests = find(events, 'http.request');
    expect(requests).toHaveLength(9);
    const last = (conn: string) => ofConn(events, conn).filter((e) => e.type === 'http.end' || e.type === 'http.error').at(-1)!;
    expect(requests.map((r) => [r.transport, last(r.conn).type])).toEqual([
      ...Array.from({ length: 3 }, () => ['xhr', 'http.end']),
      ['xhr', 'http.error'],
      ['xhr', 'http.error'],
      ...Array.from({ length: 4 }, () => ['fetch', 'http.end']),
    ]);
    for (let i = 0; i + 1 < requests.length; i++) {
      expect(last(requests[i]!.conn).t, requests[i]!.url).toBeLessThanOrEqual(requests[i + 1]!.t);
    }
    await page.close();
  });
});

describe('EventSource', () => {
  it('records open, messages and the named events the page listens to, with ids, and close()', async () => {
    const page = await openPage(`<script>
      const es = new EventSource('/sse?hold=1');
      window.__seen = [];
      es.addEventListener('tick', (e) => window.__seen.push(['tick', e.data]));
      es.onmessage = (e) => {
        window.__seen.push(['message', e.data]);
        if (e.data === 'last') es.close();
      };
    </script>`);
    const events = await waitForEvents(page, (e) => e.some((x) => x.type === 'sse.close'));
    const conn = connOf(events, (e) => e.type === 'sse.create');
    expect(ofConn(events, conn)).toMatchObject([
      { type: 'sse.create', transport: 'eventsource', url: `${server.origin}/sse?hold=1`, withCredentials: false },
      { type: 'sse.open' },
      { type: 'sse.message', event: 'message', data: { data: 'first', size: 5 }, id: '1', lastEventId: '1', retry: null },
      { type: 'sse.message', event: 'tick', data: { data: '{"n":2}' }, id: '2', lastEventId: '2' },
      // 'tock' has no listener in the page: a native EventSource never exposes it.
      { type: 'sse.message', event: 'message', data: { data: 'last' }, id: '3', lastEventId: '3' },
      { type: 'sse.close' },
    ]);
    expect(await page.evaluate(() => (window as unknown as { __seen: unknown }).__seen)).toEqual([
      ['message', 'first'],
      ['tick', '{"n":2}'],
      ['message', 'last'],
    ]);
    await page.close();
  });

  it('records every message once, however the page listens: handler, once, removed, handleEvent object, aborted, none', async () => {
    const page = await openPage(`<script>
      const open = (label) => { const es = new EventSource('/sse?hold=1&label=' + label); window.__sources.push(es); return es; };
      window.__sources = [];
      window.__seen = [];
      const note = (label) => (e) => window.__seen.push([label, e.type, e.data]);
      // A handler, cleared after the first message (the hooks' own listener takes over), then set again.
      const handler = open('handler');
      handler.onmessage = (e) => { note('handler')(e); handler.onmessage = null; };
      handler.addEventListener('tick', () => { handler.onmessage = note('handler-again'); });
      // A once listener: gone after the first message.
      open('once').addEventListener('message', note('once'), { once: true });

      // A handleEvent object beside a function, and the same function twice.
      const both = open('both');
      const f = note('both-f');
      both.addEventListener('message', { handleEvent: note('both-object') });
      both.addEventListener('message', f);
      both.addEventListener('message', f);
      both.addEventListener('tick', f, true);
      // One listener removed and one whose signal aborts, before the first message (six
      // sources: Chromium opens at most six connections to a host).
      const aborted = open('aborted');
      const gone = note('removed');
      aborted.addEventListener('message', gone);
      aborted.removeEventListener('message', gone);
      const ctl = new AbortController();
      aborted.addEventListener('message', note('aborted'), { signal: ctl.signal });
      ctl.abort();
      // A listener whose signal aborts while the page stops the abort event before the hooks hear it.
      const stopped = new AbortController();
      stopped.signal.addEventListener('abort', (e) => e.stopImmediatePropagation());
      open('stopped-abort').addEventListener('message', note('stopped-abort'), { signal: stopped.signal });
      stopped.abort();
      // No listener at all.
      open('none');
      for (const es of window.__sources) es.addEventListener('error', () => {});
    </script>`);
    const lastOf = (events: CaptureEvent[]) =>
      find(events, 'sse.create').every((c) => ofConn(events, c.conn).some((e) => e.type === 'sse.message' && (e as { data: { data: string } }).data.data === 'last'));
    const events = await waitForEvents(page, (e) => find(e, 'sse.create').length === 6 && lastOf(e));
    await page.evaluate(() => (window as unknown as { __sources: EventSource[] }).__sources.forEach((es) => es.close()));
    const messagesOf = (label: string) => {
      const conn = connOf(events, (e) => e.type === 'sse.create' && e.url.endsWith(`label=${label}`));
      return find(events, 'sse.message').filter((m) => m.conn === conn).map((m) => [m.event, m.data.data]);
    };
    const plain = [['message', 'first'], ['message', 'last']];
    expect(messagesOf('handler')).toEqual([['message', 'first'], ['tick', '{"n":2}'], ['message', 'last']]);
    expect(messagesOf('once')).toEqual(plain);
    expect(messagesOf('both')).toEqual([['message', 'first'], ['tick', '{"n":2}'], ['message', 'last']]);
    expect(messagesOf('aborted')).toEqual(plain);
    expect(messagesOf('stopped-abort')).toEqual(plain);
    expect(messagesOf('none')).toEqual(plain);
    expect(await page.evaluate(() => (window as unknown as { __seen: unknown[] }).__seen)).toEqual([
      ['handler', 'message', 'first'],
      ['once', 'message', 'first'],
      ['both-object', 'message', 'first'],
      ['both-f', 'message', 'first'],
      ['both-f', 'tick', '{"n":2}'],
      ['handler-again', 'message', 'last'],
      ['both-object', 'message', 'last'],
      ['both-f', 'message', 'last'],
    ]);
    await page.close();
  });

  it('under a flood reads the ids of 1,000 events a second, then of one every 10 ms, and records every event', async () => {
    const page = await openPage(`<script>
      const es = new EventSource('/sse-flood?n=5000');
      window.__ids = [];
      es.onmessage = (e) => window.__ids.push(e.lastEventId);
      es.addEventListener('end', () => es.close());
    </script>`);
    const events = await waitForEvents(page, (e) => e.some((x) => x.type === 'sse.close'));
    const ids = (await page.evaluate(() => (window as unknown as { __ids: string[] }).__ids));
    expect(ids.length).toBe(5000);
    const messages = find(events, 'sse.message').filter((m) => m.event === 'message');
    expect(messages.map((m) => m.data.data)).toEqual(Array.from({ length: 5000 }, (_, i) => `{"i":${i + 1}}`));
    let lastRead = '';
    let unread = 0;
    messages.forEach((m, i) => {
      if (m.idUnread) {
        unread++;
        // Not read: no id, and the last id read before it.
        expect(m).toMatchObject({ id: null, lastEventId: lastRead });
      } else {
        expect(m).toMatchObject({ id: String(i + 1), lastEventId: String(i + 1) });
        lastRead = m.lastEventId;
      }
    });
    // The first 1,000 of the second are read; the flood (5,000 events in well under a second) leaves most unread.
    expect(messages.slice(0, 1000).some((m) => m.idUnread)).toBe(false);
    expect(unread).toBeGreaterThan(2000);
    // After them, read ones are 10 ms apart or more.
    const read = messages.slice(1000).filter((m) => !m.idUnread);
    for (let k = 1; k < read.length; k++) expect(read[k]!.t - read[k - 1]!.t).toBeGreaterThanOrEqual(10 - 0.01);
    expect(find(events, 'sse.message').find((m) => m.event === 'end')).toMatchObject({ data: { data: 'done' } });
    await page.close();
  });

  it('records a server-ended stream as error (readyState 0) and the browser reconnect as a second open', async () => {
    const page = await openPage(`<script>
      const es = new EventSource('/sse');
      let opens = 0;
      es.onopen = () => { if (++opens === 2) setTimeout(() => es.close(), 100); };
    </script>`);
    // SSE_BODY sets retry: 2500, so the reconnect comes about 2.5 s after the stream ends.
    const events = await waitForEvents(page, (e) => e.some((x) => x.type === 'sse.close'), 15_000);
    const conn = connOf(events, (e) => e.type === 'sse.create');
    const kinds = ofConn(events, conn).map((e) => (e.type === 'sse.error' ? `error:${e.readyState}` : e.type));
    expect(kinds.slice(0, 2)).toEqual(['sse.create', 'sse.open']);
    const errorAt = kinds.indexOf('error:0');
    expect(errorAt).toBeGreaterThan(1);
    expect(kinds.slice(errorAt, errorAt + 2)).toEqual(['error:0', 'sse.open']);
    expect(kinds.at(-1)).toBe('sse.close');
    const reconnect = server.requests.filter((r) => r.url === '/sse').at(-1)!;
    expect(reconnect.headers['last-event-id']).toBe('3');
    await page.close();
  });
});

describe('WebSocket', () => {
  it('records create, open, text and binary frames both ways, and a server close 4001', async () => {
    const page = await openPage(`<script>
      const ws = new WebSocket(location.origin.replace('http', 'ws') + '/ws', ['chat.v1']);
      window.__log = [];
      ws.onopen = () => {
        ws.send('héllo ✓');
        ws.send(new Uint8Array([1, 2, 3, 250]));
        ws.send(new Blob([new Uint8Array([9, 8, 7])]));
        ws.send('bin:10');
        ws.send('close:4001:bye');
      };
      ws.onmessage = (e) => window.__log.push(typeof e.data === 'string' ? e.data : 'blob:' + e.data.size);
      ws.onclose = (e) => window.__log.push('close:' + e.code + ':' + e.reason + ':' + e.wasClean);
    </script>`);
    const events = await waitForEvents(page, (e) => e.some((x) => x.type === 'ws.close'));
    const conn = connOf(events, (e) => e.type === 'ws.create');
    const b64 = (bytes: number[] | Buffer) => Buffer.from(bytes).toString('base64');
    expect(ofConn(events, conn)).toMatchObject([
      { type: 'ws.create', url: `${server.wsOrigin}/ws`, protocols: ['chat.v1'] },
      { type: 'ws.open', protocol: 'chat.v1', extensions: '' },
      // UTF-8 sizes: the hooks leave a whole text's size to the background (SIZE_OF_TEXT).
      { type: 'ws.message', dir: 'out', data: { encoding: 'text', data: 'héllo ✓', size: 10, truncated: false } },
      { type: 'ws.message', dir: 'out', data: { encoding: 'binary', data: b64([1, 2, 3, 250]), size: 4 } },
      { type: 'ws.message', dir: 'out', data: { encoding: 'binary', data: b64([9, 8, 7]), size: 3 } },
      { type: 'ws.message', dir: 'out', data: { encoding: 'text', data: 'bin:10' } },
      { type: 'ws.message', dir: 'out', data: { encoding: 'text', data: 'close:4001:bye' } },
      { type: 'ws.message', dir: 'in', data: { encoding: 'text', data: 'echo:héllo ✓', size: 15 } },
      { type: 'ws.message', dir: 'in', data: { encoding: 'binary', data: b64([1, 2, 3, 250]), size: 4 } },
      { type: 'ws.message', dir: 'in', data: { encoding: 'binary', data: b64([9, 8, 7]), size: 3 } },
      { type: 'ws.message', dir: 'in', data: { encoding: 'binary', data: b64(byteRamp(10)), size: 10 } },
      { type: 'ws.close', code: 4001, reason: 'bye', wasClean: true, initiator: 'server' },
    ]);
    expect(await page.evaluate(() => (window as unknown as { __log: unknown }).__log)).toEqual([
      'echo:héllo ✓',
      'blob:4',
      'blob:3',
      'blob:10',
      'close:4001:bye:true',
    ]);
    await page.close();
  });

  it('gives every text message its UTF-8 size, short or long, wherever its non-ASCII chars sit', async () => {
    // Short texts are measured char by char, longer ones from a scan for the first non-ASCII
    // char (payload.ts utf8Length): lengths on both sides of that switch, with 2-, 3- and 4-byte
    // chars and a lone surrogate (sent as U+FFFD, 3 bytes) first, in the middle and last.
    const texts: string[] = [];
    for (const length of [1, 5, 11, 12, 13, 40, 62, 79, 80, 81, 300]) {
      for (const special of ['é', '€', '😀', '\ud800', '\udc00']) {
        const fill = 'a'.repeat(Math.max(0, length - special.length));
        texts.push(special + fill, fill.slice(0, fill.length >> 1) + special + fill.slice(fill.length >> 1), fill + special);
      }
      texts.push('a'.repeat(length));
    }
    const page = await openPage(`<script>
      const ws = new WebSocket(location.origin.replace('http', 'ws') + '/ws');
      ws.onopen = () => { for (const text of ${JSON.stringify(texts)}) ws.send(text); ws.close(1000, 'done'); };
    </script>`);
    const events = await waitForEvents(page, (e) => e.some((x) => x.type === 'ws.close'));
    const sizes = find(events, 'ws.message').map((m) => m.data.size);
    expect(sizes).toEqual(texts.map((text) => Buffer.byteLength(text, 'utf8')));
    await page.close();
  });

  it('marks a close the page started as client-initiated, truncates text at the cap and reports backpressure', async () => {
    const page = await openPage(`<script>
      const ws = new WebSocket(location.origin.replace('http', 'ws') + '/ws');
      ws.onopen = () => {
        ws.send('x'.repeat(70000));
        ws.send(new Uint8Array(2_000_000));
        // UTF-8 sizes: é 2 bytes, 😀 4 (a surrogate pair), a lone surrogate 3 (sent as U+FFFD).
        ws.send('a'.repeat(100) + 'é😀' + String.fromCharCode(0xd800) + 'b');
        window.__buffered = ws.bufferedAmount;
        ws.close(1000, 'done');
      };
    </script>`);
    const events = await waitForEvents(page, (e) => e.some((x) => x.type === 'ws.close'));
    const out = find(events, 'ws.message')[0]!;
    expect(out.data).toMatchObject({ size: 70000, truncated: true });
    expect(out.data.data.length).toBe(DEFAULT_MAX_TEXT_CHARS);
    const binary = find(events, 'ws.message')[1]!;
    expect(binary.data).toMatchObject({ size: 2_000_000, encoding: 'binary', truncated: true });
    expect(Buffer.from(binary.data.data, 'base64')).toHaveLength(4096);
    expect(find(events, 'ws.message')[2]!.data).toMatchObject({ size: 100 + 2 + 4 + 3 + 1, truncated: false });
    // bufferedAmount right after the big send is above the 256 KiB threshold.
    const buffered = find(events, 'ws.buffered');
    expect(buffered).toHaveLength(1);
    expect(buffered[0]!.bufferedAmount).toBeGreaterThan(256 * 1024);
    expect(buffered[0]!.bufferedAmount).toBeLessThanOrEqual((await page.evaluate('window.__buffered')) as number);
    expect(find(events, 'ws.close')[0]).toMatchObject({ code: 1000, reason: 'done', wasClean: true, initiator: 'client' });
    await page.close();
  });
});

describe('payload budget under a flood', () => {
  it('records every message with its size, keeps the first 256 chars of most past 256 KiB a second, one whole every 100 ms', async () => {
    const page = await openPage(`<script>
      const ws = new WebSocket(location.origin.replace('http', 'ws') + '/ws');
      ws.onopen = () => {
        // 100 messages of 8,000 chars sent at once: 800,000 chars, about three times the budget of one second.
        for (let i = 0; i < 100; i++) ws.send(String(i).padStart(3, '0') + '-' + 'x'.repeat(7996));
        ws.send('small');
        ws.close(1000, 'done');
      };
    </script>`);
    const events = await waitForEvents(page, (e) => e.some((x) => x.type === 'ws.close'));
    const sent = find(events, 'ws.message').filter((m) => m.dir === 'out');
    expect(sent).toHaveLength(101);
    for (const [i, m] of sent.slice(0, 100).entries()) {
      expect(m.data.size).toBe(8000);
      expect(m.data.data.startsWith(String(i).padStart(3, '0') + '-')).toBe(true);
    }
    const whole = sent.slice(0, 100).filter((m) => !m.data.sampled);
    const sampled = sent.filter((m) => m.data.sampled);
    // The budget's 256 KiB keep 32 whole; the 33rd, past it, is the first kept whole by the clock; later
    // ones are sampled unless 100 ms passed since the last kept whole.
    expect(whole.slice(0, 33).every((m) => m.data.data.length === 8000 && !m.data.truncated)).toBe(true);
    expect(whole.slice(0, 33).map((m) => sent.indexOf(m))).toEqual(Array.from({ length: 33 }, (_, i) => i));
    expect(sampled.length).toBeGreaterThan(50);
    for (const m of sampled) expect(m.data).toMatchObject({ truncated: true, sampled: true, encoding: 'text', size: 8000 });
    for (const m of sampled) expect(m.data.data).toHaveLength(256);
    for (let k = 33; k < whole.length; k++) expect(whole[k]!.t - whole[k - 1]!.t).toBeGreaterThanOrEqual(100);
    // A message within the sampled prefix is always whole.
    expect(sent[100]!.data).toEqual({ size: 5, encoding: 'text', data: 'small', truncated: false });
    await page.close();
  });
});

describe('frames and hostile pages', () => {
  it("captures an iframe's traffic in the iframe's own document, linked to its parent", async () => {
    server.page('/child.html', `<!doctype html><script>fetch('/json?n=9')</script>`);
    const page = await openPage(`<iframe src="/child.html"></iframe>`);
    const frame = page.frames().find((f) => f.url().endsWith('/child.html'))!;
    const childEvents = await waitForEvents(frame, (e) => e.some((x) => x.type === 'http.end'));
    const parentEvents = await capturedEvents(page);
    expect(childEvents[0]).toMatchObject({ type: 'doc.start', top: false, parentDoc: parentEvents[0]!.doc });
    expect(childEvents[0]!.doc).not.toBe(parentEvents[0]!.doc);
    expect(find(childEvents, 'http.end')[0]).toMatchObject({ body: { data: '{"ok":true,"n":9}' } });
    expect(find(parentEvents, 'http.request').some((r) => r.url.includes('n=9'))).toBe(false);
    await page.close();
  });

  it('hooks a script-created about:blank iframe before the parent can call its fetch', async () => {
    const page = await openPage(`<script>
      const frame = document.createElement('iframe');
      document.body.appendChild(frame);
      window.__sync = !!frame.contentWindow.Function.prototype.toString[Symbol.for('realtime-inspector.hooks')];
      frame.contentWindow.fetch('/json?n=11');
    </script>`);
    expect(await page.evaluate('window.__sync')).toBe(true);
    const frame = page.frames().find((f) => f.url() === 'about:blank')!;
    const events = await waitForEvents(frame, (e) => e.some((x) => x.type === 'http.end'));
    expect(events[0]).toMatchObject({ type: 'doc.start', url: 'about:blank', top: false });
    expect(find(events, 'http.request')[0]!.url).toBe(`${server.origin}/json?n=11`);
    await page.close();
  });

  it('keeps capturing after the page overwrites fetch, dispatchEvent, JSON and WebSocket', async () => {
    const page = await openPage(`<script>
      window.addEventListener('load', () => {
        const realFetch = window.fetch;
        window.fetch = (...args) => realFetch(...args);
        EventTarget.prototype.dispatchEvent = () => true;
        JSON.stringify = () => 'nope';
        window.WebSocket = function Fake() {};
        window.postMessage = () => {};
        setTimeout(() => window.fetch('/json?n=42'), 10);
      });
    </script>`);
    const events = await waitForEvents(page, (e) => find(e, 'http.end').length === 1);
    expect(find(events, 'http.request')[0]!.url).toBe(`${server.origin}/json?n=42`);
    expect(find(events, 'http.end')[0]).toMatchObject({ body: { data: '{"ok":true,"n":42}' } });
    expect(find(events, 'hook.error')).toEqual([]);
    await page.close();
  });
});

describe('hostile regular expressions', () => {
  it('measures and classifies with its own matching after the page replaces RegExp methods', async () => {
    const page = await openPage(`<script>
      window.__patchedCalls = 0;
      const trap = () => { window.__patchedCalls++; throw new Error('patched'); };
      RegExp.prototype.exec = trap;
      RegExp.prototype.test = trap;
      RegExp.prototype[Symbol.search] = trap;
      String.prototype.search = trap;
      const ws = new WebSocket(location.origin.replace('http', 'ws') + '/ws');
      ws.onopen = () => ws.send('héllo 😀');
      ws.onmessage = () => fetch('/echo', { method: 'post', headers: { 'content-type': 'text/plain' }, body: 'wörld' }).then((r) => r.text());
    </script>`);
    const events = await waitForEvents(page, (e) => find(e, 'http.end').length === 1);
    expect(find(events, 'ws.message').map((m) => [m.dir, m.data.size])).toEqual([
      ['out', 11],
      ['in', 16],
    ]);
    expect(find(events, 'http.request')[0]).toMatchObject({ method: 'POST', bodySize: 6 });
    expect(find(events, 'http.end')[0]).toMatchObject({ size: 6, body: { encoding: 'text', data: 'wörld' } });
    expect(find(events, 'hook.error')).toEqual([]);
    expect(await page.evaluate(() => (window as unknown as { __patchedCalls: number }).__patchedCalls)).toBe(0);
    await page.close();
  });
});

describe('navigation', () => {
  it('events emitted just before or while the page navigates away still reach the background (pagehide flushes hooks and relay)', async () => {
    server.page('/next-page.html', '<!doctype html><title>next</title><p>next</p>');
    const page = await openPage(`<script>
      window.go = () => {
        for (let i = 0; i < 5; i++) fetch('/json?n=' + (100 + i)).catch(() => {});
        location.href = '/next-page.html';
      };
      // A request made while the document goes away.
      addEventListener('pagehide', () => fetch('/json?n=105', { keepalive: true }).catch(() => {}));
    </script>`);
    const before = page.url();
    await page.waitForTimeout(300); // the hooks and the relay are connected and idle
    await Promise.all([page.waitForURL('**/next-page.html'), page.evaluate('window.go()')]);
    const tabId = await tabIdOf(browser.worker!, `${server.origin}/next-page.html`);
    let requested: string[] = [];
    for (let i = 0; i < 100 && requested.length < 6; i++) {
      await page.waitForTimeout(50);
      const { events } = await exportTab(browser.worker!, tabId);
      const first = events.find((e) => e.type === 'doc.start' && e.url === before)!;
      requested = find(events, 'http.request').filter((e) => e.doc === first.doc).map((e) => new URL(e.url).search);
    }
    expect(requested).toEqual(['?n=100', '?n=101', '?n=102', '?n=103', '?n=104', '?n=105']);
    await page.close();
  });
});

describe('relay commands and failures', () => {
  it('config: recording off stops capture, and maxTextChars caps payload text', async () => {
    const page = await openPage(`<script>window.go = (tag) => fetch('/echo?' + tag, { method: 'POST', body: 'abcdefghijklmnopqrstuvwxyz' }).then((r) => r.text());</script>`);
    await waitForEvents(page, (e) => e.length >= 1);
    await sendToHooks(page, { v: 1, kind: 'config', recording: false, maxTextChars: 65536 });
    expect(await page.evaluate(`go('off')`)).toBe('abcdefghijklmnopqrstuvwxyz');
    await sendToHooks(page, { v: 1, kind: 'config', recording: true, maxTextChars: 10 });
    await page.evaluate(`go('on')`);
    const events = await waitForEvents(page, (e) => e.some((x) => x.type === 'http.end'));
    expect(find(events, 'http.request').map((r) => new URL(r.url).search)).toEqual(['?on']);
    expect(find(events, 'http.end')[0]!.body).toEqual({ size: 26, encoding: 'text', data: 'abcdefghij', truncated: true });
    await page.close();
  });

  it('a hook that fails internally reports hook.error and the page call still goes through unchanged', async () => {
    // The platform converts the body to a string without looking at its prototype; the hook's size check does.
    const page = await openPage(`<script>
      const body = new Proxy({}, { getPrototypeOf() { throw new Error('boom'); } });
      window.__result = fetch('/echo', { method: 'POST', body })
        .then((res) => res.text(), (e) => [e.constructor.name, e.message]);
    </script>`);
    expect(await page.evaluate(() => (window as unknown as { __result: Promise<unknown> }).__result)).toBe('[object Object]');
    const events = await waitForEvents(page, (e) => e.some((x) => x.type === 'hook.error') && e.some((x) => x.type === 'http.end'));
    expect(find(events, 'hook.error')).toMatchObject([{ hook: 'fetch', message: 'boom' }]);
    expect(find(events, 'http.request')).toMatchObject([{ method: 'POST', bodySize: null }]);
    await page.close();
  });
});
