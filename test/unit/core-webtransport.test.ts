/**
 * WebTransport in the core: hand-made events of the shape src/content/page/web-transport.ts
 * emits (sessions, bidirectional and unidirectional streams from either side, stream bytes,
 * datagrams, clean closes and failures) become records, a 'webtransport' channel of kind
 * 'websocket' (bidirectional push), and findings naming a failure's error.
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import type { CaptureEvent, Payload } from '../../src/core/events.ts';
import { analyzeCapture } from '../../src/core/index.ts';
import { buildRecords } from '../../src/core/model.ts';
import { explainInvalidEvent } from '../../src/core/guard.ts';
import { redactEvents } from '../../src/core/formats/index.ts';
import { eventsToHar } from '../../src/core/formats/har/export.ts';
import { harToEvents } from '../../src/core/formats/har/import.ts';
import { evictOldest } from '../../src/panel/analysis-engine.ts';
import { channelTimeline, pageTimeline } from '../../src/panel/timelines.ts';
import { MARK } from '../../src/panel/timeline-data.ts';
import { Analyzer } from '../../src/core/index.ts';
import { T0, text } from './core-builders.ts';

function binary(bytes: number[]): Payload {
  return { size: bytes.length, encoding: 'binary', data: Buffer.from(bytes).toString('base64'), truncated: false };
}

type Draft = CaptureEvent extends infer E ? (E extends CaptureEvent ? Omit<E, 'seq' | 'pseq' | 'frameId' | 'doc'> : never) : never;

/** Number the drafts as the page and the background would. */
function sequence(drafts: Draft[]): CaptureEvent[] {
  return drafts.map((d, i) => ({ ...d, seq: i + 2, pseq: i + 2, frameId: 0, doc: 'doc1' }) as CaptureEvent);
}

const start: Draft = { type: 'doc.start', t: T0, url: 'https://game.example/', title: 'Game', top: true, parentDoc: null };

/** A session that opens, carries a bidi stream each way, a server uni stream and datagrams, then closes cleanly. */
function liveSession(conn: string, at: number, url = 'https://game.example:4433/wt'): Draft[] {
  return [
    { type: 'wt.create', t: at, conn, url },
    { type: 'wt.ready', t: at + 40, conn, protocol: '' },
    { type: 'wt.stream', t: at + 50, conn, stream: 1, bidi: true, initiator: 'client' },
    { type: 'wt.data', t: at + 51, conn, stream: 1, dir: 'out', data: text('{"join":"lobby"}') },
    { type: 'wt.data', t: at + 90, conn, stream: 1, dir: 'in', data: text('{"ok":true}') },
    { type: 'wt.stream.end', t: at + 91, conn, stream: 1, dir: 'out', how: 'end', message: '' },
    { type: 'wt.stream.end', t: at + 92, conn, stream: 1, dir: 'in', how: 'end', message: '' },
    { type: 'wt.stream', t: at + 200, conn, stream: 2, bidi: false, initiator: 'server' },
    { type: 'wt.data', t: at + 201, conn, stream: 2, dir: 'in', data: binary([1, 2, 3, 4]) },
    { type: 'wt.stream.end', t: at + 202, conn, stream: 2, dir: 'in', how: 'cancel', message: '' },
    { type: 'wt.stream', t: at + 300, conn, stream: 3, bidi: true, initiator: 'server' },
    { type: 'wt.datagram', t: at + 400, conn, dir: 'out', data: binary([9]) },
    { type: 'wt.datagram', t: at + 416, conn, dir: 'in', data: binary([7, 7]) },
    { type: 'wt.datagram', t: at + 432, conn, dir: 'in', data: binary([7, 8]) },
    { type: 'wt.close', t: at + 1000, conn, code: 4000, reason: 'bye', initiator: 'client' },
  ];
}

describe('WebTransport in the core', () => {
  it('every event shape the hooks emit passes the guard', () => {
    for (const e of sequence([start, ...liveSession('doc1:1', T0 + 10)])) expect(explainInvalidEvent(e), e.type).toBeNull();
    const failed = sequence([{ type: 'wt.error', t: T0, conn: 'doc1:1', name: 'WebTransportError', message: 'Opening handshake failed.', source: 'session' }]);
    expect(explainInvalidEvent(failed[0])).toBeNull();
    expect(explainInvalidEvent({ ...failed[0], source: 7 })).toBe('wt.error: bad field "source"');
    expect(explainInvalidEvent({ ...sequence(liveSession('doc1:1', T0))[2], stream: 0 })).toMatch(/bad field "stream": 0 is not a WebTransport stream number/);
  });

  it('records: ready, streams by side and kind, stream bytes and datagrams as messages, the clean close', () => {
    const [r] = buildRecords(sequence(liveSession('doc1:1', T0)));
    expect(r).toMatchObject({ transport: 'webtransport', url: 'https://game.example:4433/wt', start: T0, openAt: T0 + 40, endKind: 'close', closeCode: 4000, closeReason: 'bye', closeInitiator: 'client', end: T0 + 1000 });
    expect(r!.wtStreams).toEqual([
      { t: T0 + 50, stream: 1, bidi: true, initiator: 'client' },
      { t: T0 + 200, stream: 2, bidi: false, initiator: 'server' },
      { t: T0 + 300, stream: 3, bidi: true, initiator: 'server' },
    ]);
    expect(r!.messages.map((m) => [m.kind, m.dir, m.size, m.stream ?? null])).toEqual([
      ['wt-stream', 'out', 16, 1],
      ['wt-stream', 'in', 11, 1],
      ['wt-stream', 'in', 4, 2],
      ['wt-datagram', 'out', 1, null],
      ['wt-datagram', 'in', 2, null],
      ['wt-datagram', 'in', 2, null],
    ]);
    expect(r!.messages[1]!.sample).toBe('{"ok":true}');
    expect(r!.messages[2]!.sample).toBe('#bin:AQIDBA==');
  });

  it('a live session is a webtransport channel of the bidirectional kind, counted in messages and bytes', () => {
    const report = analyzeCapture(sequence([start, ...liveSession('doc1:1', T0 + 10), ...liveSession('doc1:2', T0 + 5000)]));
    expect(report.channels).toHaveLength(1);
    const ch = report.channels[0]!;
    expect(ch).toMatchObject({ transport: 'webtransport', kind: 'websocket', connections: 2, requests: 0, messages: { in: 8, out: 4 }, url: 'https://game.example:4433/wt' });
    expect(ch.bytes).toEqual({ in: 2 * (11 + 4 + 2 + 2), out: 2 * (16 + 1) });
    expect(ch.evidence).toBe('2 WebTransport sessions, 6 streams, 12 messages (8 in, 4 out; 6 datagrams), ready 1.9 s in total');
    expect(ch.findings.map((f) => f.code)).not.toContain('webtransport-failed');
    // Datagrams and streams are what WebTransport is chosen for: no "use SSE" advice.
    expect(ch.advice).toBeNull();
    const schema = JSON.parse(readFileSync(new URL('../../docs/report.schema.json', import.meta.url), 'utf8'));
    const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);
    expect(validate(JSON.parse(JSON.stringify(report))), JSON.stringify(validate.errors)).toBe(true);
  });

  it('a session that fails before ready: the error on the record, in the evidence and in a finding', () => {
    const conn = 'doc1:1';
    const events = sequence([
      start,
      { type: 'wt.create', t: T0 + 10, conn, url: 'https://127.0.0.1:9/wt' },
      { type: 'wt.error', t: T0 + 16, conn, name: 'WebTransportError', message: 'Opening handshake failed.', source: 'session' },
    ]);
    const [r] = buildRecords(events);
    expect(r).toMatchObject({ openAt: null, endKind: 'error', end: T0 + 16, errorReason: 'WebTransportError: Opening handshake failed.', errors: [{ t: T0 + 16, readyState: null }] });
    const ch = analyzeCapture(events).channels[0]!;
    expect(ch).toMatchObject({ transport: 'webtransport', kind: 'websocket', connections: 1 });
    expect(ch.evidence).toContain('1 failed (WebTransportError: Opening handshake failed.)');
    expect(ch.findings.find((f) => f.code === 'webtransport-failed')).toMatchObject({
      severity: 'warning',
      message: '1 of 1 WebTransport session failed before ready: WebTransportError: Opening handshake failed..',
      evidence: { failed: 1, sessions: 1, beforeReady: 1, neverReady: true },
    });
  });

  it('failures after other sessions were ready are info, and a close after the error does not overwrite it', () => {
    const events = sequence([
      start,
      ...liveSession('doc1:1', T0 + 10),
      { type: 'wt.create', t: T0 + 3000, conn: 'doc1:2', url: 'https://game.example:4433/wt' },
      { type: 'wt.ready', t: T0 + 3040, conn: 'doc1:2', protocol: '' },
      { type: 'wt.error', t: T0 + 9000, conn: 'doc1:2', name: 'WebTransportError', message: 'Connection lost.', source: 'session' },
      { type: 'wt.close', t: T0 + 9001, conn: 'doc1:2', code: 0, reason: '', initiator: 'server' },
    ]);
    const records = buildRecords(events);
    expect(records[1]).toMatchObject({ endKind: 'error', end: T0 + 9000, closeCode: null, errorReason: 'WebTransportError: Connection lost.' });
    const f = analyzeCapture(events).channels[0]!.findings.find((x) => x.code === 'webtransport-failed');
    expect(f).toMatchObject({ severity: 'info', message: '1 of 2 WebTransport sessions failed after ready: WebTransportError: Connection lost..' });
  });

  it('WebTransport and WebSocket to the same origin are separate channels', () => {
    const events = sequence([
      start,
      ...liveSession('doc1:1', T0 + 10, 'https://rt.example/live'),
      { type: 'ws.create', t: T0 + 20, conn: 'doc1:2', url: 'wss://rt.example/live', protocols: [] },
      { type: 'ws.open', t: T0 + 30, conn: 'doc1:2', protocol: '', extensions: '' },
    ]);
    const report = analyzeCapture(events);
    expect(report.channels.map((c) => [c.transport, c.kind]).sort()).toEqual([
      ['websocket', 'websocket'],
      ['webtransport', 'websocket'],
    ]);
  });

  it('redaction masks a token in the session URL, stream bytes, datagrams, a close reason and an error message', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTQyIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
    const conn = 'doc1:1';
    const events = sequence([
      start,
      { type: 'wt.create', t: T0 + 1, conn, url: `https://game.example/wt?access_token=${jwt}` },
      { type: 'wt.ready', t: T0 + 2, conn, protocol: '' },
      { type: 'wt.stream', t: T0 + 3, conn, stream: 1, bidi: true, initiator: 'client' },
      { type: 'wt.data', t: T0 + 4, conn, stream: 1, dir: 'out', data: text(`{"token":"${jwt}"}`) },
      { type: 'wt.datagram', t: T0 + 5, conn, dir: 'out', data: text(`auth ${jwt}`) },
      { type: 'wt.stream.end', t: T0 + 6, conn, stream: 1, dir: 'in', how: 'error', message: `bad ${jwt}` },
      { type: 'wt.close', t: T0 + 7, conn, code: 1, reason: `expired ${jwt}`, initiator: 'server' },
    ]);
    const out = JSON.stringify(redactEvents(events));
    expect(out).not.toContain(jwt);
    expect(out).not.toContain(jwt.split('.')[2]!);
    for (const e of redactEvents(events)) expect(explainInvalidEvent(e), e.type).toBeNull();
  });

  it('a HAR export keeps the session (no HAR entry represents it) and its import analyses the same', () => {
    const events = sequence([start, ...liveSession('doc1:1', T0 + 10)]);
    const back = harToEvents(JSON.parse(JSON.stringify(eventsToHar(events))));
    const wt = (list: CaptureEvent[]) => list.filter((e) => e.type.startsWith('wt.')).map((e) => [e.type, e.t]);
    expect(wt(back)).toEqual(wt(events));
    expect(analyzeCapture(back).channels[0]).toMatchObject({ transport: 'webtransport', kind: 'websocket', messages: { in: 4, out: 2 } });
  });

  it("the panel's eviction keeps a live session's creation and ready, so its channel outlives its first messages", () => {
    const conn = 'doc1:1';
    const drafts: Draft[] = [start, { type: 'wt.create', t: T0 + 1, conn, url: 'https://game.example/wt' }, { type: 'wt.ready', t: T0 + 2, conn, protocol: '' }];
    for (let i = 0; i < 50; i++) drafts.push({ type: 'wt.datagram', t: T0 + 10 + i, conn, dir: 'in', data: binary([i]) });
    const events = sequence(drafts);
    const kept = evictOldest(events, 40);
    expect(kept.slice(0, 3).map((e) => e.type)).toEqual(['doc.start', 'wt.create', 'wt.ready']);
    const ch = analyzeCapture(kept).channels[0]!;
    expect(ch).toMatchObject({ transport: 'webtransport', connections: 1, messages: { in: 13, out: 0 } });
    expect(buildRecords(kept)[0]!.openAt).toBe(T0 + 2);
  });

  it("the panel's timelines draw a session's lifetime, its failure or close note, and its messages", () => {
    const events = sequence([
      start,
      ...liveSession('doc1:1', T0 + 10),
      { type: 'wt.create', t: T0 + 2000, conn: 'doc1:2', url: 'https://game.example:4433/wt' },
      { type: 'wt.error', t: T0 + 2006, conn: 'doc1:2', name: 'WebTransportError', message: 'Opening handshake failed.', source: 'session' },
    ]);
    const analyzer = new Analyzer();
    analyzer.ingest(events);
    const ch = analyzer.report().channels[0]!;
    const line = channelTimeline(ch, analyzer.channelSeries(ch.id), analyzer.channelEvents(ch.id), T0, T0 + 3000);
    // The second session, 990 ms after the first closed, is its reconnect.
    expect(line.notes.text).toEqual(['close 4000', 'Opening handshake failed.', 'reconnect +990ms']);
    // The connection lane spans the live session from ready to close; the failed one never opened.
    // (in seconds from the origin, T0)
    expect([...line.spans.start]).toEqual([0.05]);
    expect([...line.spans.end]).toEqual([1.01]);
    const page = pageTimeline([ch], (id) => analyzer.channelEvents(id), (id) => analyzer.channelSeries(id), T0, T0 + 3000);
    const inMarks = [...page.marks.style].filter((style) => style === MARK.in).length;
    const outMarks = [...page.marks.style].filter((style) => style === MARK.out).length;
    expect([inMarks, outMarks]).toEqual([4, 2]);
  });
});
