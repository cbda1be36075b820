/**
 * HAR import (a Chrome-style HAR, hand-written with Chrome's field names) and
 * export (a HAR 1.2 that round-trips to the same events), with redaction.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CaptureEvent, EventOf } from '../../src/core/events.ts';
import { bodyHashOf, CaptureFormatError, eventsToHar, harToEvents, importCaptureOrHar, importHar, type Har } from '../../src/core/formats/index.ts';
import { isCaptureEvent } from '../../src/core/guard.ts';
import { realisticSession, SESSION_T0 } from '../fixtures/har/realistic-session.ts';
import { captureArb } from './core-arbitraries.ts';

const chromeHarText = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'har', 'chrome-realtime.har'), 'utf8');
const T = Date.parse('2024-11-24T12:00:00.000Z');

const ofType = <K extends CaptureEvent['type']>(events: CaptureEvent[], type: K) => events.filter((e): e is EventOf<K> => e.type === type);
const byConn = (events: CaptureEvent[], conn: string) => events.filter((e) => 'conn' in e && e.conn === conn);

describe('importing a Chrome DevTools HAR', () => {
  const result = importHar(JSON.parse(chromeHarText));
  const events = result.events;

  it('keeps the real-time entries, leaves page assets out, and produces valid ordered events', () => {
    expect(result.skipped).toEqual([]);
    expect(result.ignored).toBe(3); // document, script, image
    expect(events.every(isCaptureEvent)).toBe(true);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    for (let i = 1; i < events.length; i++) expect(events[i]!.t).toBeGreaterThanOrEqual(events[i - 1]!.t);
    expect(result.page).toEqual({ url: 'http://localhost:3000/', title: 'http://localhost:3000/' });
    expect(ofType(events, 'doc.start')).toHaveLength(1);
  });

  it('turns xhr polling entries into request/response/end with timing and body hashes', () => {
    const requests = ofType(events, 'http.request').filter((e) => e.url.includes('/api/orders'));
    expect(requests).toHaveLength(4);
    expect(requests.every((r) => r.transport === 'xhr' && r.method === 'GET' && r.frameId === -1 && r.doc === 'page_1')).toBe(true);
    expect(requests[0]!.t).toBe(T + 200);
    // Names lower-cased as the hooks record them.
    expect(requests[0]!.headers).toContainEqual(['x-requested-with', 'XMLHttpRequest']);
    const first = byConn(events, requests[0]!.conn);
    expect(first.map((e) => e.type)).toEqual(['http.request', 'http.response', 'http.end']);
    const response = first[1] as EventOf<'http.response'>;
    // blocked 0.8 + send 0.2 + wait 40 ms to the first byte.
    expect(response.t - requests[0]!.t).toBeCloseTo(41, 6);
    expect(response).toMatchObject({ status: 200, contentType: 'application/json' });
    const ends = requests.map((r) => byConn(events, r.conn).find((e) => e.type === 'http.end') as EventOf<'http.end'>);
    expect(ends[0]!.bodyHash).toBe(bodyHashOf(new TextEncoder().encode('{"orders":[]}')));
    expect(ends[0]!.bodyHash).toBe(ends[1]!.bodyHash);
    expect(ends[2]!.bodyHash).not.toBe(ends[1]!.bodyHash);
    expect(byConn(events, requests[3]!.conn).find((e) => e.type === 'http.response')).toMatchObject({ status: 304 });
  });

  it('turns the EventSource entry into SSE events parsed from the response text', () => {
    const create = ofType(events, 'sse.create').find((e) => e.transport === 'eventsource')!;
    expect(create.url).toBe('http://localhost:3000/events?channel=prices');
    const messages = ofType(events, 'sse.message').filter((m) => m.conn === create.conn);
    expect(messages.map((m) => [m.event, m.id, m.data.data, m.lastEventId, m.retry])).toEqual([
      ['price', '1', '{"sym":"ACME","px":10}', '1', 3000],
      ['price', '2', '{"sym":"ACME","px":11}', '2', null],
      ['message', null, 'line one\nline two', '2', null],
    ]);
    expect(ofType(events, 'sse.comment').find((c) => c.conn === create.conn)?.text).toBe('connected');
    expect(ofType(events, 'sse.open').some((o) => o.conn === create.conn)).toBe(true);
  });

  it('keeps SSE read through fetch as an HTTP request with an SSE view', () => {
    const req = ofType(events, 'http.request').find((e) => e.url.endsWith('/api/stream'))!;
    expect(byConn(events, req.conn).map((e) => e.type)).toEqual(['http.request', 'http.response', 'sse.create', 'sse.open', 'sse.message', 'sse.message', 'http.end']);
  });

  it('turns _webSocketMessages into ws events with directions, times and binary frames', () => {
    const create = ofType(events, 'ws.create').find((e) => e.url.includes('socket.io'))!;
    const conn = byConn(events, create.conn);
    expect(conn.map((e) => e.type).slice(0, 2)).toEqual(['ws.create', 'ws.open']);
    const messages = conn.filter((e): e is EventOf<'ws.message'> => e.type === 'ws.message');
    expect(messages).toHaveLength(7);
    expect(messages[0]).toMatchObject({ dir: 'in', t: (T / 1000 + 0.52) * 1000 });
    expect(messages[1]).toMatchObject({ dir: 'out', data: { encoding: 'text', data: '40', size: 2 } });
    expect(messages[4]!.data).toEqual({ size: 4, encoding: 'binary', data: 'AQIDBA==', truncated: false });
    const gql = ofType(events, 'ws.create').find((e) => e.url.endsWith('/graphql'))!;
    expect(gql.protocols).toEqual(['graphql-transport-ws']);
    expect(ofType(events, 'ws.open').find((e) => e.conn === gql.conn)?.protocol).toBe('graphql-transport-ws');
  });

  it('reports failures as the page would have seen them', () => {
    const blocked = ofType(events, 'ws.create').find((e) => e.url.includes('blocked'))!;
    expect(byConn(events, blocked.conn).map((e) => e.type)).toEqual(['ws.create', 'ws.error', 'ws.close']);
    expect(ofType(events, 'ws.close').find((e) => e.conn === blocked.conn)).toMatchObject({ code: 1006, wasClean: false });
    const down = ofType(events, 'http.request').find((e) => e.url.includes(':3001'))!;
    expect(byConn(events, down.conn).find((e) => e.type === 'http.error')).toMatchObject({ reason: 'network', message: 'net::ERR_CONNECTION_REFUSED' });
  });

  it('uses Chrome\'s own _eventSourceMessages (exact times) when the HAR has them', () => {
    const har = JSON.parse(chromeHarText) as Har;
    const entry = har.log.entries.find((e) => e._resourceType === 'eventsource')!;
    entry._eventSourceMessages = [
      { time: T / 1000 + 1.5, eventName: 'price', eventId: '5', data: '{"px":12}' },
      { time: T / 1000 + 31.5, eventName: 'message', eventId: '5', data: 'later' },
    ];
    const events = harToEvents(har);
    const conn = ofType(events, 'sse.create').find((e) => e.transport === 'eventsource')!.conn;
    const messages = ofType(events, 'sse.message').filter((m) => m.conn === conn);
    expect(messages.map((m) => [m.t - T, m.event, m.id, m.lastEventId, m.data.data])).toEqual([
      [1500, 'price', '5', '5', '{"px":12}'],
      [31500, 'message', '5', '5', 'later'],
    ]);
  });

  it('drops HTTP/2 pseudo-headers, which page script never sees', () => {
    const har = JSON.parse(chromeHarText) as Har;
    har.log.entries[2]!.request.headers.push({ name: ':authority', value: 'localhost:3000' });
    const req = ofType(harToEvents(har), 'http.request')[0]!;
    expect(req.headers.some(([n]) => n.startsWith(':'))).toBe(false);
  });
});

describe('exporting a capture as HAR', () => {
  const session = realisticSession();

  it('writes a HAR 1.2 with the fields HAR viewers require', () => {
    const har = eventsToHar(session, { redact: false });
    expect(har.log.version).toBe('1.2');
    expect(har.log.creator.name).toBe('Realtime Inspector');
    expect(har.log.pages).toHaveLength(1);
    expect(har.log.pages[0]).toMatchObject({ startedDateTime: new Date(SESSION_T0).toISOString(), id: 'doc-a', title: 'https://shop.example.test/orders?session=s3cr3t', pageTimings: {} });
    expect(har.log.entries).toHaveLength(10);
    for (const e of har.log.entries) {
      expect(Number.isNaN(Date.parse(e.startedDateTime))).toBe(false);
      expect(e.time).toBeGreaterThanOrEqual(0);
      expect(e.request).toMatchObject({ method: expect.any(String), url: expect.any(String), headers: expect.any(Array), queryString: expect.any(Array), cookies: [] });
      expect(e.response).toMatchObject({ status: expect.any(Number), headers: expect.any(Array), content: { size: expect.any(Number), mimeType: expect.any(String) } });
      for (const k of ['send', 'wait', 'receive'] as const) expect(e.timings[k]).toBeGreaterThanOrEqual(0);
    }
    const ws = har.log.entries.find((e) => e._resourceType === 'websocket' && e.response.status === 101)!;
    expect(ws._webSocketMessages!.slice(0, 2).map((m) => [m.type, m.opcode])).toEqual([['receive', 1], ['send', 1]]);
    expect(ws._webSocketMessages!.some((m) => m.opcode === 2)).toBe(true);
    expect(ws._webSocketClose).toMatchObject({ code: 4001, reason: 'kicked', initiator: 'server' });
  });

  it('keeps SSE events in _eventSourceMessages and as the response text', () => {
    const har = eventsToHar(session, { redact: false });
    const es = har.log.entries.find((e) => e._resourceType === 'eventsource')!;
    expect(es._eventSourceMessages!.map((m) => m.eventName)).toEqual(['price', 'message', 'price']);
    expect(es.response.content.mimeType).toBe('text/event-stream');
    expect(es.response.content.text).toBe('retry: 3000\nevent: price\nid: 1\ndata: {"px":10}\n\ndata: line one\ndata: line two\n\nevent: price\nid: 2\ndata: {"px":11}\n\n');
    const fetchSse = har.log.entries.find((e) => e.request.url.endsWith('/api/stream'))!;
    expect(fetchSse._resourceType).toBe('fetch');
    expect(fetchSse._eventSourceMessages).toHaveLength(1);
  });

  it('round-trips: capture → HAR → capture gives the same events', () => {
    const har = JSON.parse(JSON.stringify(eventsToHar(session, { redact: false })));
    expect(harToEvents(har)).toEqual(session);
  });

  it('round-trips an SSE event whose id the hooks did not read (a flood): idUnread kept', () => {
    const flooded = session.map((e) => (e.type === 'sse.message' && e.event === 'message' && e.lastEventId === '1' ? { ...e, idUnread: true as const } : e));
    expect(flooded.filter((e) => e.type === 'sse.message' && e.idUnread)).toHaveLength(1);
    const har = JSON.parse(JSON.stringify(eventsToHar(flooded, { redact: false })));
    expect(harToEvents(har)).toEqual(flooded);
  });

  it('round-trips random realistic captures too (property)', () => {
    const bySeq = (events: CaptureEvent[]) => [...events].sort((a, b) => a.seq - b.seq);
    fc.assert(
      fc.property(captureArb, (events) => {
        const back = harToEvents(JSON.parse(JSON.stringify(eventsToHar(events, { redact: false }))));
        expect(bySeq(back)).toEqual(bySeq(events));
      }),
      { numRuns: 60 },
    );
  });

  it('a plain HAR viewer sees the same SSE stream: importing without our extensions keeps the events', () => {
    const har = JSON.parse(JSON.stringify(eventsToHar(session, { redact: false }))) as Har;
    for (const e of har.log.entries) {
      delete e._eventSourceMessages;
      delete e._realtimeInspector;
    }
    delete har.log._realtimeInspector;
    const back = harToEvents(har);
    const es = ofType(back, 'sse.message').filter((m) => m.conn.startsWith('har:'));
    expect(es.map((m) => [m.event, m.data.data, m.id, m.retry])).toEqual(
      expect.arrayContaining([
        ['price', '{"px":10}', '1', 3000],
        ['message', 'line one\nline two', null, null],
        ['price', '{"px":11}', '2', null],
      ]),
    );
    expect(ofType(back, 'ws.message')).toHaveLength(ofType(session, 'ws.message').length);
  });
});

describe('redaction on export', () => {
  const session = realisticSession();
  const SECRETS = ['very-secret', 'abc123', 'tok0', 'tok1', 's3cr3t', 'token=abc', 'auth=xyz'];

  it('removes credentials by default: headers, URL tokens, cookies', () => {
    const text = JSON.stringify(eventsToHar(session));
    for (const secret of SECRETS) expect(text, secret).not.toContain(secret);
    expect(text).toContain('[REDACTED]');
    const har = eventsToHar(session);
    expect(har.log._realtimeInspector?.redacted).toBe(true);
    const post = har.log.entries.find((e) => e.request.method === 'POST')!;
    expect(post.request.headers).toContainEqual({ name: 'authorization', value: '[REDACTED]' });
    expect(post.request.headers).toContainEqual({ name: 'content-type', value: 'application/json' });
    const poll = har.log.entries.find((e) => e.request.url.includes('/api/orders'))!;
    expect(poll.request.url).toBe('https://shop.example.test/api/orders?since=0&access_token=%5BREDACTED%5D');
  });

  it('keeps them with {redact: false}', () => {
    const text = JSON.stringify(eventsToHar(session, { redact: false }));
    for (const secret of SECRETS) expect(text, secret).toContain(secret);
  });

  it('redacts credential keys in JSON payloads of an imported HAR re-exported', () => {
    const imported = harToEvents(JSON.parse(chromeHarText));
    const text = JSON.stringify(eventsToHar(imported));
    expect(text).not.toContain('tok-123'); // graphql-ws connection_init authToken
    expect(text).not.toContain('sk_live_123'); // api_key in the URL
    expect(text).not.toContain('eyJhbGciOiJIUzI1NiJ9'); // Authorization header
    expect(text).not.toContain('abc.def.ghi'); // token in the WebSocket URL
    expect(text).toContain('connection_init');
  });

  it('accepts the (events, page, options) form used by the panel', () => {
    const har = eventsToHar(session, { url: 'https://shop.example.test/?token=zzz', title: 'Shop' }, { redact: true });
    expect(JSON.stringify(har)).not.toContain('zzz');
  });
});

describe('HAR errors', () => {
  it('says what is wrong with a file that is not a HAR', () => {
    expect(() => importHar('{"log": 3}')).toThrow(CaptureFormatError);
    expect(() => importHar('{"log": 3}')).toThrow('Not a HAR file');
    expect(() => importHar('{"log": {"entries": {}}}')).toThrow('"log.entries" is not an array');
    expect(() => importHar('{"log": {"entries": [')).toThrow(/not valid JSON/);
  });

  it('skips unreadable entries by index and keeps the rest', () => {
    const har = JSON.parse(chromeHarText) as { log: { entries: unknown[] } };
    har.log.entries.splice(3, 0, { request: { url: 'http://x/' }, startedDateTime: 'yesterday' }, 42);
    const result = importHar(har);
    expect(result.skipped).toEqual([
      { index: 3, reason: 'entry 3: startedDateTime is not a date' },
      { index: 4, reason: 'entry 4: not an object' },
    ]);
    expect(result.events.length).toBe(importHar(JSON.parse(chromeHarText)).events.length);
  });

  it('importCaptureOrHar tells the two formats apart', () => {
    expect(importCaptureOrHar(chromeHarText).format).toBe('har');
    expect(() => importCaptureOrHar('{"hello": 1}')).toThrow('Not a capture file or HAR');
  });
});
