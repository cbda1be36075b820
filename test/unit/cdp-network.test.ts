/**
 * The DevTools protocol → capture translation of worker traffic (src/core/formats/cdp-network.ts),
 * the guard on the `origin` field, and the two doors worker events may and may not come through:
 * the Hub's addWorkerEvents (origin required) and the page's relay (origin refused).
 * Protocol events are shaped as Chromium 156 sends them (recorded by test/e2e/workers.e2e.test.ts's server).
 */
import { describe, expect, it } from 'vitest';
import { CdpNetworkTranslator } from '../../src/core/formats/cdp-network.ts';
import { explainInvalidEvent, isCaptureEvent } from '../../src/core/guard.ts';
import { isPageEvent } from '../../src/shared/page-events.ts';
import { Hub } from '../../src/background/hub.ts';
import { analyzeCapture } from '../../src/core/index.ts';
import type { CaptureEvent } from '../../src/core/events.ts';
import { redactEvents } from '../../src/core/formats/redact.ts';
import { eventsToHar, harToEvents } from '../../src/core/formats/index.ts';
import { formatSummary } from '../../src/cli/analyze.ts';
import { renderHtmlReport } from '../../src/core/index.ts';

const S = 'SESSION1';
const origin = { kind: 'dedicated' as const, url: 'http://127.0.0.1:1/w.js' };

function translator(now = 1_700_000_000_000) {
  const t = new CdpNetworkTranslator({ maxTextChars: 16, now: () => now });
  t.addWorker(S, 'TARGET1', origin);
  return t;
}

/** A monotonic clock at 1000 s is epoch 1,700,000,000 s. */
const WALL = 1_700_000_000;
const MONO = 1000;

describe('CdpNetworkTranslator', () => {
  it('turns a worker fetch into request, response and end, timed on the protocol clock, with its body hashed', () => {
    const t = translator();
    const out: CaptureEvent[] = [];
    out.push(
      ...t.translate(S, 'Network.requestWillBeSent', {
        requestId: '7',
        timestamp: MONO,
        wallTime: WALL,
        type: 'Fetch',
        request: { url: 'http://127.0.0.1:1/poll', method: 'POST', headers: { 'Content-Type': 'text/plain' }, postData: 'héllo', hasPostData: true },
      }),
    );
    out.push(...t.translate(S, 'Network.responseReceived', { requestId: '7', timestamp: MONO + 0.05, type: 'Fetch', response: { url: 'http://127.0.0.1:1/poll', status: 200, statusText: 'OK', headers: { 'Content-Type': 'application/json; charset=utf-8' }, mimeType: 'application/json' } }));
    out.push(...t.translate(S, 'Network.dataReceived', { requestId: '7', timestamp: MONO + 0.06, dataLength: 20, encodedDataLength: 20 }));
    expect(t.wantsBody(S, 'Network.loadingFinished', { requestId: '7', encodedDataLength: 120 })).toBe(true);
    out.push(...t.translate(S, 'Network.loadingFinished', { requestId: '7', timestamp: MONO + 0.07, encodedDataLength: 120 }, { body: '{"updates":[1,2,3]}', base64Encoded: false }));
    expect(out.map((e) => e.type)).toEqual(['http.request', 'http.response', 'http.end']);
    for (const e of out) {
      expect(explainInvalidEvent(e)).toBeNull();
      expect(e).toMatchObject({ doc: 'worker:TARGET1', conn: 'worker:TARGET1:7', origin, seq: 0, frameId: -1 });
    }
    expect(out[0]).toMatchObject({ transport: 'fetch', method: 'POST', bodySize: 6, headers: [['content-type', 'text/plain']], t: WALL * 1000 });
    expect(out[1]).toMatchObject({ status: 200, contentType: 'application/json' });
    expect(out[1]!.t).toBeCloseTo(WALL * 1000 + 50, 3);
    const end = out[2] as Extract<CaptureEvent, { type: 'http.end' }>;
    expect(end.size).toBe(19);
    expect(end.bodyHash).toMatch(/^[0-9a-f]{8}$/);
    // The text cap (16 here) holds for bodies from the protocol too.
    expect(end.body).toEqual({ size: 19, encoding: 'text', data: '{"updates":[1,2,', truncated: true });
    expect(out.map((e) => e.pseq)).toEqual([1, 2, 3]);
  });

  it('reports a streamed body’s pieces once a second one shows it streams, the first at its own time', () => {
    const t = translator();
    t.translate(S, 'Network.requestWillBeSent', { requestId: '4', timestamp: MONO, wallTime: WALL, type: 'Fetch', request: { url: 'http://127.0.0.1:1/stream', method: 'GET', headers: {} } });
    const piece = (dt: number, n: number) => t.translate(S, 'Network.dataReceived', { requestId: '4', timestamp: MONO + dt, dataLength: n, encodedDataLength: n });
    expect(piece(1, 10)).toEqual([]);
    const second = piece(2, 11);
    expect(second).toMatchObject([
      { type: 'http.chunk', size: 10, preview: '', t: WALL * 1000 + 1000 },
      { type: 'http.chunk', size: 11, preview: '' },
    ]);
    expect(piece(3, 12)).toMatchObject([{ type: 'http.chunk', size: 12 }]);
    for (const e of second) expect(explainInvalidEvent(e)).toBeNull();
    const [end] = t.translate(S, 'Network.loadingFinished', { requestId: '4', timestamp: MONO + 4, encodedDataLength: 33 });
    expect(end).toMatchObject({ type: 'http.end', size: 33, bodyHash: null, body: null });
  });

  it('leaves out the worker’s own script loads and requests of sessions it does not translate', () => {
    const t = translator();
    expect(t.translate(S, 'Network.requestWillBeSent', { requestId: '1', timestamp: MONO, wallTime: WALL, type: 'Script', request: { url: 'http://127.0.0.1:1/w.js', method: 'GET', headers: {} } })).toEqual([]);
    expect(t.translate('OTHER', 'Network.requestWillBeSent', { requestId: '2', timestamp: MONO, wallTime: WALL, type: 'Fetch', request: { url: 'http://x/', method: 'GET', headers: {} } })).toEqual([]);
  });

  it('turns a WebSocket into create, open, text and binary messages and a close of unknown code; control frames are no messages', () => {
    const t = translator();
    const ev = (method: string, params: Record<string, unknown>) => t.translate(S, method, { requestId: '9', ...params });
    const out = [
      ...ev('Network.webSocketCreated', { url: 'ws://127.0.0.1:1/socket' }),
      ...ev('Network.webSocketWillSendHandshakeRequest', { timestamp: MONO, wallTime: WALL, request: { headers: { 'Sec-WebSocket-Protocol': 'v1.json, v2.json' } } }),
      ...ev('Network.webSocketHandshakeResponseReceived', { timestamp: MONO + 0.01, response: { status: 101, headers: { 'Sec-WebSocket-Protocol': 'v2.json', 'Sec-WebSocket-Extensions': 'permessage-deflate' } } }),
      ...ev('Network.webSocketFrameSent', { timestamp: MONO + 1, response: { opcode: 1, mask: true, payloadData: '{"type":"ping"}' } }),
      ...ev('Network.webSocketFrameReceived', { timestamp: MONO + 1.01, response: { opcode: 2, mask: false, payloadData: 'AAECAw==' } }),
      ...ev('Network.webSocketFrameReceived', { timestamp: MONO + 1.02, response: { opcode: 9, mask: false, payloadData: '' } }),
      ...ev('Network.webSocketClosed', { timestamp: MONO + 2 }),
    ];
    expect(out.map((e) => e.type)).toEqual(['ws.create', 'ws.open', 'ws.message', 'ws.message', 'ws.close']);
    for (const e of out) expect(explainInvalidEvent(e)).toBeNull();
    expect(out[0]).toMatchObject({ url: 'ws://127.0.0.1:1/socket', protocols: ['v1.json', 'v2.json'], t: WALL * 1000 });
    expect(out[1]).toMatchObject({ protocol: 'v2.json', extensions: 'permessage-deflate' });
    expect(out[2]).toMatchObject({ dir: 'out', data: { size: 15, encoding: 'text', data: '{"type":"ping"}', truncated: false } });
    expect(out[3]).toMatchObject({ dir: 'in', data: { size: 4, encoding: 'binary', data: 'AAECAw==' } });
    expect(out[4]).toMatchObject({ code: 1005, wasClean: false });
    expect(out[4]!.t).toBeCloseTo(WALL * 1000 + 2000, 3);
  });

  it('keeps an EventSource’s reconnects on one connection, with its messages and last event id', () => {
    const t = translator();
    const req = (id: string) => ({ requestId: id, timestamp: MONO, wallTime: WALL, type: 'EventSource', request: { url: 'http://127.0.0.1:1/events', method: 'GET', headers: {} } });
    const ok = (id: string) => ({ requestId: id, timestamp: MONO, type: 'EventSource', response: { status: 200, headers: {}, mimeType: 'text/event-stream' } });
    const out = [
      ...t.translate(S, 'Network.requestWillBeSent', req('1')),
      ...t.translate(S, 'Network.responseReceived', ok('1')),
      ...t.translate(S, 'Network.eventSourceMessageReceived', { requestId: '1', timestamp: MONO + 1, eventName: 'tick', eventId: '41', data: 'a' }),
      ...t.translate(S, 'Network.loadingFinished', { requestId: '1', timestamp: MONO + 2, encodedDataLength: 10 }),
      ...t.translate(S, 'Network.requestWillBeSent', req('2')),
      ...t.translate(S, 'Network.responseReceived', ok('2')),
      ...t.translate(S, 'Network.eventSourceMessageReceived', { requestId: '2', timestamp: MONO + 4, eventName: '', eventId: '', data: 'b' }),
    ];
    expect(out.map((e) => e.type)).toEqual(['sse.create', 'sse.open', 'sse.message', 'sse.error', 'sse.open', 'sse.message']);
    expect(new Set(out.map((e) => ('conn' in e ? e.conn : null)))).toEqual(new Set(['worker:TARGET1:1']));
    expect(out[2]).toMatchObject({ event: 'tick', id: '41', lastEventId: '41' });
    expect(out[5]).toMatchObject({ event: 'message', id: null, lastEventId: '41' });
    for (const e of out) expect(explainInvalidEvent(e)).toBeNull();
  });

  it('ends what is open when the worker goes away', () => {
    const t = translator();
    t.translate(S, 'Network.requestWillBeSent', { requestId: '3', timestamp: MONO, wallTime: WALL, type: 'Fetch', request: { url: 'http://127.0.0.1:1/long', method: 'GET', headers: {} } });
    const out = t.removeWorker(S);
    expect(out).toMatchObject([{ type: 'http.error', reason: 'abort', conn: 'worker:TARGET1:3' }]);
    expect(t.translate(S, 'Network.loadingFinished', { requestId: '3', timestamp: MONO + 1 })).toEqual([]);
  });
});

describe('worker origin on events', () => {
  const event = { type: 'ws.create', seq: 0, pseq: 1, t: 1, frameId: -1, doc: 'worker:T', conn: 'worker:T:1', url: 'ws://x/', protocols: [], origin } as const;

  it('the guard takes exactly {kind, url} with a known kind', () => {
    expect(isCaptureEvent(event)).toBe(true);
    expect(isCaptureEvent({ ...event, origin: { kind: 'audio', url: '' } })).toBe(false);
    expect(isCaptureEvent({ ...event, origin: { ...origin, extra: 1 } })).toBe(false);
    expect(isCaptureEvent({ ...event, origin: 'worker' })).toBe(false);
  });

  it('a page cannot claim worker traffic; the Hub takes only events with an origin', async () => {
    expect(isPageEvent(event)).toBe(false);
    const { origin: _o, ...plain } = event;
    expect(isPageEvent(plain)).toBe(true);
    const hub = new Hub({ getAll: async () => ({}), set: async () => {}, remove: async () => {} });
    expect(await hub.addWorkerEvents(5, [event, plain, { nonsense: true }])).toBe(1);
    const file = await hub.api.exportTab(5);
    expect(file.events).toMatchObject([{ type: 'ws.create', seq: 1, origin }]);
    expect((await hub.api.stats(5)).rejected).toBe(2);
  });

  it('the analysis keeps a worker’s channel apart from the page’s on the same endpoint, with its origin', () => {
    const poll = (conn: string, t: number, o?: typeof origin): CaptureEvent[] => [
      { type: 'http.request', seq: 0, pseq: 0, t, frameId: 0, doc: 'd', conn, transport: 'fetch', method: 'GET', url: 'http://x/poll', headers: [], bodySize: 0, ...(o ? { origin: o } : {}) },
      { type: 'http.response', seq: 0, pseq: 0, t: t + 5, frameId: 0, doc: 'd', conn, status: 200, statusText: 'OK', headers: [], url: 'http://x/poll', contentType: 'application/json', ...(o ? { origin: o } : {}) },
      { type: 'http.end', seq: 0, pseq: 0, t: t + 6, frameId: 0, doc: 'd', conn, size: 2, bodyHash: null, body: null, ...(o ? { origin: o } : {}) },
    ];
    const events: CaptureEvent[] = [];
    for (let i = 0; i < 6; i++) events.push(...poll(`p${i}`, 1000 * i), ...poll(`w${i}`, 1000 * i + 300, origin));
    events.forEach((e, i) => (e.seq = i + 1));
    const report = analyzeCapture(events);
    expect(report.channels).toHaveLength(2);
    expect(report.channels.map((c) => c.origin ?? null)).toEqual([null, origin]);
    expect(report.channels.map((c) => c.requests)).toEqual([6, 6]);
  });
});

describe('worker origin in the outputs', () => {
  it('redaction covers the worker’s script URL', () => {
    const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
    const e: CaptureEvent = { type: 'ws.create', seq: 1, pseq: 1, t: 1, frameId: -1, doc: 'worker:T', conn: 'worker:T:1', url: 'ws://x/', protocols: [], origin: { kind: 'shared', url: `http://x/shared.js?access_token=${token}` } };
    const [out] = redactEvents([e]);
    expect(JSON.stringify(out)).not.toContain(token);
    expect((out as typeof e).origin!.url.startsWith('http://x/shared.js?access_token=')).toBe(true);
  });

  it('the summary and the HTML report say which worker a channel ran in', () => {
    const poll = (i: number): CaptureEvent[] => {
      const conn = `worker:T:${i}`;
      const o = { kind: 'service' as const, url: 'http://x/sw.js' };
      return [
        { type: 'http.request', seq: 0, pseq: 0, t: i * 1000, frameId: -1, doc: 'worker:T', conn, transport: 'fetch', method: 'GET', url: 'http://x/poll', headers: [], bodySize: 0, origin: o },
        { type: 'http.response', seq: 0, pseq: 0, t: i * 1000 + 5, frameId: -1, doc: 'worker:T', conn, status: 200, statusText: 'OK', headers: [], url: 'http://x/poll', contentType: 'application/json', origin: o },
        { type: 'http.end', seq: 0, pseq: 0, t: i * 1000 + 6, frameId: -1, doc: 'worker:T', conn, size: 2, bodyHash: null, body: null, origin: o },
      ];
    };
    const events = [0, 1, 2, 3, 4, 5].flatMap(poll);
    events.forEach((e, i) => (e.seq = i + 1));
    const report = analyzeCapture(events);
    expect(formatSummary(report)).toContain('  in a Service Worker http://x/sw.js\n');
    expect(renderHtmlReport(report)).toContain('in a Service Worker http://x/sw.js · ');
  });
});

describe('worker origin through HAR', () => {
  it('export and import keep each worker event’s origin, and the page’s events have none', () => {
    const t = translator();
    const worker = [
      ...t.translate(S, 'Network.requestWillBeSent', { requestId: '7', timestamp: MONO, wallTime: WALL, type: 'Fetch', request: { url: 'http://127.0.0.1:1/poll', method: 'GET', headers: {} } }),
      ...t.translate(S, 'Network.responseReceived', { requestId: '7', timestamp: MONO + 0.05, response: { url: 'http://127.0.0.1:1/poll', status: 200, statusText: 'OK', headers: {}, mimeType: 'application/json' } }),
      ...t.translate(S, 'Network.loadingFinished', { requestId: '7', timestamp: MONO + 0.07, encodedDataLength: 2 }, { body: '{}', base64Encoded: false }),
      ...t.translate(S, 'Network.webSocketCreated', { requestId: '9', url: 'ws://127.0.0.1:1/socket' }),
      ...t.translate(S, 'Network.webSocketWillSendHandshakeRequest', { requestId: '9', timestamp: MONO + 1, wallTime: WALL + 1, request: { headers: {} } }),
      ...t.translate(S, 'Network.webSocketHandshakeResponseReceived', { requestId: '9', timestamp: MONO + 1.01, response: { status: 101, headers: {} } }),
      ...t.translate(S, 'Network.webSocketFrameSent', { requestId: '9', timestamp: MONO + 2, response: { opcode: 1, payloadData: 'ping' } }),
    ];
    const page: CaptureEvent[] = [
      { type: 'http.request', seq: 0, pseq: 1, t: WALL * 1000 + 500, frameId: 0, doc: 'd', conn: 'd:1', transport: 'fetch', method: 'GET', url: 'http://127.0.0.1:1/own', headers: [], bodySize: 0 },
      { type: 'http.response', seq: 0, pseq: 2, t: WALL * 1000 + 510, frameId: 0, doc: 'd', conn: 'd:1', status: 200, statusText: 'OK', headers: [], url: 'http://127.0.0.1:1/own', contentType: '' },
      { type: 'http.end', seq: 0, pseq: 3, t: WALL * 1000 + 511, frameId: 0, doc: 'd', conn: 'd:1', size: 0, bodyHash: null, body: null },
    ];
    const events = [...worker, ...page].sort((a, b) => a.t - b.t);
    events.forEach((e, i) => (e.seq = i + 1));
    const back = harToEvents(JSON.parse(JSON.stringify(eventsToHar(events, { redact: false }))));
    const originOf = (list: CaptureEvent[]) => new Map(list.flatMap((e) => ('conn' in e && e.conn !== null ? [[`${e.type} ${e.conn}`, 'origin' in e ? e.origin : undefined] as const] : [])));
    expect(originOf(back)).toEqual(originOf(events));
    for (const e of back) expect(isCaptureEvent(e)).toBe(true);
  });
});
