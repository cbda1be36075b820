/**
 * WebTransport in real Chromium with the BUILT extension (RI_DIST), and without it.
 *
 * No HTTP/3 server can be had on this machine (none on the npm registry runs in Node 20 without
 * a native download; Debian packages none with WebTransport), so no session here ever becomes
 * ready: these tests cover what Chromium does without one. A session to a UDP port nobody
 * listens on fails its handshake; the page must see exactly what it sees without the hooks
 * (constructor errors, identities, `ready`/`closed` rejections, stream and datagram calls on
 * the failing session, unhandled rejections), and the capture must hold the session and its
 * error, down to a webtransport channel with a `webtransport-failed` finding in the analysis of
 * the background's export. Live streams and datagrams are covered by the core's unit tests
 * (test/unit/core-webtransport.test.ts) on hand-made events.
 */
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { CaptureEvent, EventOf } from '../../src/core/events.ts';
import { analyzeCapture } from '../../src/core/index.ts';
import { launchBrowser, type LaunchedBrowser } from '../support/browser.ts';
import { exportTab, tabIdOf } from '../e2e/fixtures/extension.ts';
import { installCollector, waitForEvents } from './support/capture.ts';
import { startServer, type TestServer } from './support/server.ts';

let server: TestServer;
let plain: LaunchedBrowser;
let hooked: LaunchedBrowser;
/** A UDP port on 127.0.0.1 with nothing listening (bound once to find it, then released). */
let closedPort: number;

async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  server = await startServer();
  server.page('/blank.html', '<!doctype html><title>blank</title><body></body>');
  closedPort = await freeUdpPort();
  [plain, hooked] = await Promise.all([launchBrowser({ extension: false }), launchBrowser({ extension: true })]);
  await installCollector(hooked.context);
});

afterAll(async () => {
  await plain?.close();
  await hooked?.close();
  await server?.close();
});

/** Run an async function body (page JavaScript; `WT` = an https URL to the closed UDP port) in a fresh page of `browser`. */
async function run(browser: LaunchedBrowser, body: string, keep = false): Promise<{ result: unknown; page: Page }> {
  const page = await browser.context.newPage();
  await page.goto(`${server.origin}/blank.html`);
  try {
    const result = await page.evaluate(`(async () => { const WT = 'https://127.0.0.1:${closedPort}/wt'; ${body} })()`);
    return { result, page };
  } finally {
    if (!keep) await page.close();
  }
}

/** Run in both browsers; the results must be identical. Returns the plain result. */
async function same(body: string): Promise<unknown> {
  const [without, withExtension] = await Promise.all([run(plain, body), run(hooked, body)]);
  expect(withExtension.result).toEqual(without.result);
  return without.result;
}

/** Page helpers: an error's facts, and how a promise settles. */
const HELPERS = `
  const err = (e) => e === undefined ? 'undefined' : [e && e.name, e && e.message, e && e.source, e && e.streamErrorCode,
    e instanceof Error, e instanceof DOMException, typeof WebTransportError === 'function' && e instanceof WebTransportError,
    Object.getPrototypeOf(e) === (globalThis[e && e.name] || {}).prototype, String(e && e.stack).includes('chrome-extension://')];
  const settle = (p) => p.then((v) => ['resolved', v === undefined ? 'undefined' : Object.prototype.toString.call(v)], (e) => ['rejected', err(e)]);
  const attempt = (fn) => { try { const v = fn(); return ['returned', Object.prototype.toString.call(v)]; } catch (e) { return ['threw', err(e)]; } };
`;

describe('WebTransport transparency (with vs without the extension)', () => {
  it('the hooked browser really hooks WebTransport', async () => {
    const marker = `return [!!Function.prototype.toString[Symbol.for('realtime-inspector.hooks')], typeof WebTransport];`;
    expect((await run(plain, marker)).result).toEqual([false, 'function']);
    expect((await run(hooked, marker)).result).toEqual([true, 'function']);
  });

  it('identity: toString, name, length, prototype, instanceof, own properties', async () => {
    const result = (await same(`
      const wt = new WebTransport(WT);
      class MyTransport extends WebTransport {}
      const sub = new MyTransport(WT);
      const proto = WebTransport.prototype;
      const fns = [WebTransport, proto.close, proto.createBidirectionalStream, proto.createUnidirectionalStream,
        WritableStream.prototype.getWriter, WritableStream.prototype.close, WritableStream.prototype.abort,
        WritableStreamDefaultWriter, WritableStreamDefaultWriter.prototype.write, WritableStreamDefaultWriter.prototype.close,
        WritableStreamDefaultWriter.prototype.abort];
      const desc = (o, k) => { const d = Object.getOwnPropertyDescriptor(o, k); return d && [typeof d.value, typeof d.get, d.writable, d.enumerable, d.configurable]; };
      let callError;
      try { WebTransport(WT); } catch (e) { callError = [e.name, e.message]; }
      const out = {
        sources: fns.map((f) => Function.prototype.toString.call(f)),
        names: fns.map((f) => [f.name, f.length]),
        protoNames: Object.getOwnPropertyNames(proto),
        ctorNames: Object.getOwnPropertyNames(WebTransport),
        descriptors: [desc(window, 'WebTransport'), desc(proto, 'constructor'), desc(proto, 'ready'), desc(proto, 'close'), desc(WritableStream.prototype, 'getWriter')],
        instance: [Object.getOwnPropertyNames(wt), Object.keys(wt), Object.prototype.toString.call(wt), String(wt)],
        checks: [wt instanceof WebTransport, wt.constructor === WebTransport, Object.getPrototypeOf(wt) === proto,
          sub instanceof MyTransport, sub instanceof WebTransport, Object.getPrototypeOf(sub) === MyTransport.prototype,
          wt.ready === wt.ready, wt.closed === wt.closed, wt.datagrams === wt.datagrams,
          wt.datagrams.readable === wt.datagrams.readable, wt.datagrams.writable instanceof WritableStream,
          wt.incomingBidirectionalStreams instanceof ReadableStream, wt.ready instanceof Promise],
        callError,
      };
      wt.close(); sub.close();
      return out;
    `)) as { checks: boolean[]; sources: string[] };
    expect(result.checks.every((c) => c === true)).toBe(true);
    expect(result.sources[0]).toBe('function WebTransport() { [native code] }');
  });

  it('the constructor throws its own errors: bad URL, http: and wss: schemes, a throwing toString, no argument', async () => {
    const result = (await same(`
      ${HELPERS}
      let calls = 0;
      const counted = { toString() { calls++; return WT; } };
      const out = [
        attempt(() => new WebTransport('nope')),
        attempt(() => new WebTransport('http://127.0.0.1:1/wt')),
        attempt(() => new WebTransport('wss://127.0.0.1:1/wt')),
        attempt(() => new WebTransport('https://[bad/')),
        attempt(() => new WebTransport({ toString() { throw new RangeError('from toString'); } })),
        attempt(() => new WebTransport()),
        attempt(() => new WebTransport(WT, { congestionControl: 'nonsense' })),
        attempt(() => new WebTransport(WT, { get allowPooling() { throw new Error('option getter'); } })),
        attempt(() => new WebTransport(new URL(WT))),
        attempt(() => new WebTransport(counted)),
      ];
      return { out, calls };
    `)) as { out: unknown[][]; calls: number };
    expect(result.out[0]).toEqual(['threw', ['SyntaxError', "Failed to construct 'WebTransport': The URL 'nope' is invalid.", undefined, undefined, true, true, false, false, false]]);
    expect((result.out[1]![1] as unknown[])[1]).toBe("Failed to construct 'WebTransport': The URL's scheme must be 'https'. 'http' is not allowed.");
    expect(result.calls).toBe(1);
  });

  it('a session to a closed port: ready and closed reject the same, in the same order, with the same error', async () => {
    const result = (await same(`
      ${HELPERS}
      const order = [];
      const wt = new WebTransport(WT);
      const ready = settle(wt.ready).then((r) => { order.push('ready'); return r; });
      const closed = settle(wt.closed).then((r) => { order.push('closed'); return r; });
      const both = await Promise.all([ready, closed]);
      const again = await settle(wt.ready);
      return { both, again, order, sameError: await wt.ready.catch((a) => wt.closed.catch((b) => a === b)) };
    `)) as { both: unknown[][] };
    expect(result.both[0]).toEqual(['rejected', ['WebTransportError', 'Opening handshake failed.', 'session', null, true, true, true, true, false]]);
  });

  it('streams, datagrams and close on the failing session behave the same; ignored rejections stay unhandled', async () => {
    const result = (await same(`
      ${HELPERS}
      const unhandled = [];
      addEventListener('unhandledrejection', (e) => unhandled.push(e.reason && e.reason.name));
      const wt = new WebTransport(WT);
      const early = [
        settle(wt.createBidirectionalStream()),
        settle(wt.createUnidirectionalStream()),
      ];
      const writer = wt.datagrams.writable.getWriter();
      const writes = [settle(writer.write(new Uint8Array([1, 2, 3]))), settle(writer.write(new ArrayBuffer(2)))];
      const reader = wt.datagrams.readable.getReader();
      const read = settle(reader.read());
      const incoming = settle(wt.incomingBidirectionalStreams.getReader().read());
      const incomingUni = (async () => { const out = []; for await (const s of wt.incomingUnidirectionalStreams) out.push(String(s)); return out; })()
        .then((v) => ['resolved', v], (e) => ['rejected', err(e)]);
      await wt.closed.catch(() => {});
      const late = [
        await settle(wt.createBidirectionalStream()),
        attempt(() => wt.close({ closeCode: 7, reason: 'late' })),
        await settle(writer.write(new Uint8Array([4]))),
        await settle(writer.close()),
      ];
      // Ignored: natively these rejections reach unhandledrejection.
      new WebTransport(WT).createBidirectionalStream();
      const ignored = new WebTransport(WT);
      ignored.datagrams.writable.getWriter().write(new Uint8Array([9]));
      await ignored.closed.catch(() => {});
      await new Promise((r) => setTimeout(r, 300));
      return {
        early: await Promise.all(early), writes: await Promise.all(writes), read: await read,
        incoming: await incoming, incomingUni: await incomingUni, late, writerState: await settle(writer.closed), unhandled: unhandled.sort(),
      };
    `)) as { early: unknown[][] };
    if (process.env.WT_PRINT) console.log(JSON.stringify(result));
    expect(result.early[0]![0]).toBe('rejected');
  });

  it('close() before ready: the same outcome of ready and closed, and a bad close info throws the same', async () => {
    await same(`
      ${HELPERS}
      const wt = new WebTransport(WT);
      const bad = [attempt(() => wt.close({ closeCode: -1 })), attempt(() => wt.close({ reason: 'x'.repeat(2000) })), attempt(() => wt.close(5))];
      const closing = attempt(() => wt.close({ closeCode: 4000, reason: 'bye' }));
      const [ready, closed] = await Promise.all([settle(wt.ready), wt.closed.then((info) => ['resolved', info], (e) => ['rejected', err(e)])]);
      return { bad, closing, ready, closed, twice: attempt(() => wt.close()) };
    `);
  });
});

describe('WebTransport capture', () => {
  const typesOf = (events: CaptureEvent[], conn: string) => events.filter((e) => 'conn' in e && e.conn === conn).map((e) => e.type);
  const find = <T extends CaptureEvent['type']>(events: CaptureEvent[], type: T): Array<EventOf<T>> => events.filter((e): e is EventOf<T> => e.type === type);

  it('records the failed session with its error (not the datagram it rejected), and a close before ready', async () => {
    const { page } = await run(
      hooked,
      `
      const wt = new WebTransport(WT);
      wt.datagrams.writable.getWriter().write(new Uint8Array([1, 2, 3])).catch(() => {});
      await wt.closed.catch(() => {});
      const other = new WebTransport(new URL(WT + '?second=1'));
      other.close({ closeCode: 4000, reason: 'bye' });
      await Promise.allSettled([other.ready, other.closed]);
      try { new WebTransport('http://127.0.0.1:1/wt'); } catch {}
    `,
      true,
    );
    try {
      const events = await waitForEvents(page, (es) => find(es, 'wt.create').length === 2 && find(es, 'wt.error').length + find(es, 'wt.close').length >= 2);
      const [first, second] = find(events, 'wt.create');
      expect(first!.url).toBe(`https://127.0.0.1:${closedPort}/wt`);
      expect(second!.url).toBe(`https://127.0.0.1:${closedPort}/wt?second=1`);
      // The datagram the page wrote was rejected with the session's failure: it never went out, and is not recorded.
      expect(typesOf(events, first!.conn)).toEqual(['wt.create', 'wt.error']);
      expect(find(events, 'wt.error').find((e) => e.conn === first!.conn)).toMatchObject({ name: 'WebTransportError', message: 'Opening handshake failed.', source: 'session' });
      // Whatever Chromium says of a session closed before ready, the capture says the same, once.
      const end = events.filter((e) => 'conn' in e && e.conn === second!.conn && (e.type === 'wt.error' || e.type === 'wt.close'));
      expect(end).toHaveLength(1);
      const native = await page.evaluate(`(async () => { const t = new WebTransport('https://127.0.0.1:${closedPort}/x'); t.close({ closeCode: 4000, reason: 'bye' });
        return t.closed.then((i) => ['wt.close', i.closeCode, i.reason], (e) => ['wt.error', e.name, e.message]); })()`);
      const seen = end[0]!;
      expect(seen.type === 'wt.close' ? [seen.type, seen.code, seen.reason] : [seen.type, (seen as EventOf<'wt.error'>).name, (seen as EventOf<'wt.error'>).message]).toEqual(native);
      if (seen.type === 'wt.close') expect(seen.initiator).toBe('client');
      // The constructor's own error makes no session.
      expect(find(events, 'wt.create')).toHaveLength(2);
    } finally {
      await page.close();
    }
  });

  it('the background export analyses to a webtransport channel naming the error', async () => {
    const page = await hooked.context.newPage();
    const path = `/wt-lab-${Date.now()}.html`;
    server.page(
      path,
      `<!doctype html><title>wt lab</title><script>
        const t = new WebTransport('https://127.0.0.1:${closedPort}/live');
        t.closed.catch(() => { document.title = 'failed'; });
      </script>`,
    );
    try {
      await page.goto(server.origin + path);
      await page.waitForFunction(() => document.title === 'failed');
      const tabId = await tabIdOf(hooked.worker!, server.origin + path);
      let events: CaptureEvent[] = [];
      for (let i = 0; i < 100 && !events.some((e) => e.type === 'wt.error'); i++) {
        events = (await exportTab(hooked.worker!, tabId)).events;
        if (!events.some((e) => e.type === 'wt.error')) await new Promise((r) => setTimeout(r, 100));
      }
      const report = analyzeCapture(events);
      const channel = report.channels.find((c) => c.transport === 'webtransport');
      expect(channel).toMatchObject({ kind: 'websocket', connections: 1, url: `https://127.0.0.1:${closedPort}/live` });
      expect(channel!.evidence).toContain('1 failed (WebTransportError: Opening handshake failed.)');
      expect(channel!.findings.find((f) => f.code === 'webtransport-failed')).toMatchObject({
        severity: 'warning',
        message: '1 of 1 WebTransport session failed before ready: WebTransportError: Opening handshake failed..',
      });
    } finally {
      await page.close();
    }
  });
});
