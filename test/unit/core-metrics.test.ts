import { describe, expect, it } from 'vitest';
import { analyzeCapture, Analyzer } from '../../src/core/index.ts';
import { holdsNoItems } from '../../src/core/metrics/waste.ts';
import type { CaptureEvent } from '../../src/core/events.ts';
import type { ChannelReport } from '../../src/core/report-types.ts';
import { CaptureBuilder, T0, pollingCapture } from './core-builders.ts';

const only = (b: CaptureBuilder, users?: number): ChannelReport => {
  const r = analyzeCapture(b.sorted(), users === undefined ? {} : { users });
  expect(r.channels).toHaveLength(1);
  return r.channels[0]!;
};

describe('waste', () => {
  it('recognises JSON that holds no items, and only that', () => {
    for (const empty of ['[]', '{}', ' { } ', '{"items":[]}', '{"updates":[],"timestamp":1700000000}', '{"data":{},"events":[]}', '{"data":[],"meta":{"total":0}}'])
      expect(holdsNoItems(JSON.parse(empty)), empty).toBe(true);
    for (const full of ['[0]', '[[]]', '{"a":1}', '{"items":[1]}', '{"user":{"id":1}}', '{"page":{"items":[{}]}}', 'null', '0', '"[]"'])
      expect(holdsNoItems(JSON.parse(full)), full).toBe(false);
  });

  it('counts 204, 304, empty bodies, empty collections and repeats; wasted bytes and the rate push would save', () => {
    const b = new CaptureBuilder();
    const responses: Array<[number, string]> = [
      [200, '{"v":1}'],
      [204, ''],
      [304, ''],
      [200, ''],
      [200, '{"v":1,"items":[]}'],
      [200, '{"v":2}'],
      [200, '{"v":2}'],
      [200, '{"v":3}'],
    ];
    responses.forEach(([status, body], i) => b.http({ at: T0 + i * 5000, url: 'https://api.example/v', status, body }));
    const ch = only(b, 100);
    expect(ch.kind).toBe('polling');
    expect(ch.wasted).toBe(5);
    expect(ch.wasteRatio).toBeCloseTo(5 / 8, 3);
    expect(ch.wastedBytes).toBe('{"v":1,"items":[]}'.length + '{"v":2}'.length);
    expect(ch.load).toMatchObject({ requestsPerSecondPerUser: 0.2, requestsPerSecond: 20, users: 100, wastedPerSecond: 12.5 });
    expect(ch.load!.push).toEqual({ connections: 100, messagesPerSecond: 7.5 });
  });

  it('does not judge waste on push channels or one-off requests', () => {
    const b = new CaptureBuilder();
    b.http({ at: T0, url: 'https://api.example/me', status: 204 });
    expect(only(b)).toMatchObject({ kind: 'one-off', wasted: 0, wasteRatio: null });
  });
});

describe('load projection', () => {
  /** Four polls 2 s apart, then `silenceMs` of other traffic on the page (a WebSocket's messages) before the capture ends. */
  const pollsThenSilence = (silenceMs: number, pending = false) => {
    const b = new CaptureBuilder();
    for (let i = 0; i < 4; i++) b.http({ at: T0 + i * 2000, url: 'https://api.example/updates', body: `{"v":${i}}`, pending: pending && i === 3 });
    const ws = b.wsCreate(T0 + 100, 'wss://api.example/live');
    b.wsOpen(T0 + 150, ws);
    for (let t = 1000; t <= 6000 + silenceMs; t += 1000) b.wsMsg(T0 + t, ws, 'in', `{"tick":${t}}`);
    return b;
  };
  const pollOf = (r: ReturnType<Analyzer['report']>) => r.channels.find((c) => c.url.includes('/updates'))!;

  it('projects a poller that is still polling at its interval', () => {
    const a = new Analyzer();
    a.ingest(pollsThenSilence(5000).events);
    const r = a.report({ users: 1000 });
    expect(pollOf(r).load!.requestsPerSecond).toBe(500);
    expect(r.summary.projectedRequestsPerSecond).toBe(500);
  });

  it('projects nothing for a poller silent for three of its intervals (handshake polls before an upgrade, a page that gave up), live or at once', () => {
    const whole = new Analyzer();
    whole.ingest(pollsThenSilence(7000).events);
    expect(pollOf(whole.report({ users: 1000 })).load).toBeNull();
    expect(whole.report({ users: 1000 }).summary.projectedRequestsPerSecond).toBe(0);
    // Live: reported while polling, then the capture grows with other channels' events only.
    const live = new Analyzer();
    const events = pollsThenSilence(7000).events;
    const cut = events.findIndex((e) => e.t > T0 + 8000);
    live.ingest(events.slice(0, cut));
    expect(pollOf(live.report({ users: 1000 })).load!.requestsPerSecond).toBe(500);
    live.ingest(events.slice(cut));
    expect(pollOf(live.report({ users: 1000 })).load).toBeNull();
  });

  it('keeps projecting a long-poll whose request is still held', () => {
    const a = new Analyzer();
    a.ingest(pollsThenSilence(7000, true).events);
    expect(pollOf(a.report({ users: 1000 })).load).not.toBeNull();
  });
});

describe('latency', () => {
  it('reports durations, intervals, staleness (interval/2 average, interval worst) and TTFB for polling', () => {
    const b = new CaptureBuilder();
    for (let i = 0; i < 10; i++) b.http({ at: T0 + i * 5000, url: 'https://api.example/feed', ttfbMs: 20 + i, durationMs: 40 + i * 10, body: `{"n":${i}}` });
    const ch = only(b);
    expect(ch.intervalMs).toEqual({ median: 5000, p95: 5000 });
    expect(ch.durationMs!.median).toBe(85);
    expect(ch.stalenessMs).toEqual({ average: 2500, worst: 5000 });
    expect(ch.timeToFirstByteMs!.median).toBe(24.5);
    expect(ch.gapMs).toBeNull();
  });

  it('reports message gaps and time to first message on push channels', () => {
    const b = new CaptureBuilder();
    const c = b.wsCreate(T0, 'wss://live.example/ws');
    b.wsOpen(T0 + 100, c);
    [400, 1400, 2400, 3400].forEach((t, i) => b.wsMsg(T0 + t, c, 'in', `{"tick":${i},"pad":"${'x'.repeat(80)}"}`));
    const ch = only(b);
    expect(ch.gapMs).toEqual({ median: 1000, p95: 1000 });
    expect(ch.timeToFirstByteMs!.median).toBe(400);
    expect(ch.stalenessMs).toBeNull();
  });

  it('projects the docs/domain.md example: 1,000 users polling every 2 s = 500 req/s', () => {
    const ch = only(pollingCapture({ url: 'https://api.example/x', intervalMs: 2000, bodies: Array.from({ length: 6 }, (_, i) => String(i)) }));
    expect(ch.load!.requestsPerSecond).toBe(500);
    const report = analyzeCapture(pollingCapture({ url: 'https://api.example/x', intervalMs: 2000, bodies: ['1', '2', '3'] }).sorted(), { users: 10_000 });
    expect(report.summary.projectedRequestsPerSecond).toBe(5000);
    expect(report.summary.users).toBe(10_000);
  });
});

describe('heartbeat', () => {
  it('does not take small messages whose text was not kept (a sanitized HAR) for a heartbeat pattern', () => {
    const b = new CaptureBuilder();
    const c = b.wsCreate(T0, 'wss://live.example/ws');
    b.wsOpen(T0, c);
    for (let k = 1; k <= 8; k++) b.push({ seq: 1000 + k, pseq: 1000 + k, t: T0 + 5000 * k, frameId: 0, doc: 'doc1', conn: c, type: 'ws.message', dir: 'in', data: { size: 12, encoding: 'text', data: '', truncated: true } });
    b.wsClose(T0 + 45_000, c, 1000, '', 'client');
    expect(only(b).heartbeat!.source).toBeNull();
  });

  it('tells a client-initiated ping/pong, measures jitter and the longest idle gap', () => {
    const b = new CaptureBuilder();
    const c = b.wsCreate(T0, 'wss://live.example/ws');
    b.wsOpen(T0, c);
    const beats = [20_000, 40_150, 59_900, 80_050, 100_000];
    for (const t of beats) {
      b.wsMsg(T0 + t, c, 'out', '{"op":"hb"}');
      b.wsMsg(T0 + t + 40, c, 'in', '{"op":"hb_ack"}');
    }
    b.wsClose(T0 + 110_000, c, 1000, '', 'client');
    const ch = only(b);
    expect(ch.heartbeat!.direction).toBe('client');
    expect(ch.heartbeat!.source).toBe('pattern');
    expect(Math.abs(ch.heartbeat!.intervalMs! - 20_000)).toBeLessThan(200);
    expect(ch.heartbeat!.jitterMs).toBeGreaterThan(100);
    expect(ch.heartbeat!.maxIdleMs).toBeCloseTo(20_000, -3);
  });

  it('accepts a heartbeat sent "after N s of silence" (timer restarted by traffic)', () => {
    const b = new CaptureBuilder();
    const c = b.wsCreate(T0, 'wss://live.example/ws');
    b.wsOpen(T0, c);
    // Data at irregular times; the client pings 10 s after the last traffic.
    let t = 0;
    for (const dataGap of [3000, 7000, 1000, 9000, 2000]) {
      t += dataGap;
      b.wsMsg(T0 + t, c, 'in', `{"type":"update","payload":"${'y'.repeat(100)}"}`);
      t += 10_000;
      b.wsMsg(T0 + t, c, 'out', 'keepalive');
    }
    const ch = only(b);
    expect(ch.heartbeat).toMatchObject({ direction: 'client', source: 'pattern' });
  });

  it('is null for channels that are not long-lived connections', () => {
    expect(only(pollingCapture({ url: 'https://api.example/x', intervalMs: 2000, bodies: ['1', '2', '3'] })).heartbeat).toBeNull();
  });
});

describe('reconnects', () => {
  it("counts EventSource's own retries (error then open) with their delays", () => {
    const b = new CaptureBuilder();
    const c = b.esCreate(T0, 'https://api.example/events');
    b.esOpen(T0 + 50, c);
    b.esMsg(T0 + 1000, c, '{"a":1}', { id: '1', retry: 3000 });
    b.esError(T0 + 10_000, c, 0);
    b.esOpen(T0 + 13_050, c);
    b.esError(T0 + 20_000, c, 0);
    b.esError(T0 + 23_010, c, 0);
    b.esOpen(T0 + 26_030, c);
    const ch = only(b);
    expect(ch.reconnects.map((r) => r.delayMs)).toEqual([3050, 3010, 3020]);
    expect(ch.reconnects.every((r) => r.cause === 'error')).toBe(true);
    expect(ch.findings.map((f) => f.code)).not.toContain('sse-retry-ignored');
  });

  it('attributes a reconnect to an injected fault', () => {
    const b = new CaptureBuilder();
    const c1 = b.wsCreate(T0, 'wss://live.example/ws');
    b.wsOpen(T0 + 30, c1);
    b.fault(T0 + 5000, 'drop', c1);
    b.wsClose(T0 + 5001, c1, 1006, '', 'server');
    const c2 = b.wsCreate(T0 + 6001, 'wss://live.example/ws');
    b.wsOpen(T0 + 6030, c2);
    expect(only(b).reconnects).toEqual([{ at: T0 + 6001, delayMs: 1000, cause: 'fault: drop', attempt: 0 }]);
  });

  it('does not call overlapping connections reconnects', () => {
    const b = new CaptureBuilder();
    const c1 = b.wsCreate(T0, 'wss://live.example/ws');
    const c2 = b.wsCreate(T0 + 10, 'wss://live.example/ws');
    b.wsOpen(T0 + 30, c1);
    b.wsOpen(T0 + 40, c2);
    b.wsClose(T0 + 5000, c1, 1000, '', 'client');
    expect(only(b).reconnects).toEqual([]);
  });
});

describe('report', () => {
  it('is empty but complete for no events', () => {
    const r = new Analyzer().report();
    expect(r.channels).toEqual([]);
    expect(r.summary).toMatchObject({ channels: 0, requests: 0, droppedEvents: 0, findings: { error: 0, warning: 0, info: 0 } });
  });

  it('counts dropped events and takes the page from the top document', () => {
    const b = pollingCapture({ url: 'https://api.example/x', intervalMs: 2000, bodies: ['1', '2', '3'] });
    b.dropped(T0 + 1, 17);
    const r = analyzeCapture(b.sorted());
    expect(r.summary.droppedEvents).toBe(17);
    expect(r.page).toEqual({ url: 'https://app.example/', title: 'Dashboard' });
  });

  it('gives chart series for a channel', () => {
    const b = pollingCapture({ url: 'https://api.example/x', intervalMs: 2000, bodies: ['1', '1', '2', '[]'] });
    const a = new Analyzer();
    a.ingest(b.sorted());
    const id = a.report().channels[0]!.id;
    const s = a.channelSeries(id)!;
    expect(s.requests.start).toHaveLength(4);
    expect(s.requests.wasted).toEqual([0, 1, 0, 1]);
    expect(s.latency.counts.reduce((x, y) => x + y, 0)).toBe(4);
    expect(s.waste.requests.reduce((x, y) => x + y, 0)).toBe(4);
    expect(s.waste.wasted.reduce((x, y) => x + y, 0)).toBe(2);
    expect(a.channelSeries('nope')).toBeNull();
    expect(a.channelEvents(id).length).toBe(b.events.length - 1);
  });

  it('charts the message gaps the summary reports: inbound to inbound on one connection, not since an outbound message', () => {
    const b = new CaptureBuilder();
    const conn = b.wsCreate(T0, 'wss://x.example/ws');
    b.wsOpen(T0 + 10, conn);
    // Inbound every 1,000 ms; each answered 100 ms later. Gaps since the previous message of either
    // direction would read 900 ms; the inbound gaps are 1,000 ms.
    for (let i = 1; i <= 20; i++) {
      b.wsMsg(T0 + i * 1000, conn, 'in', `{"n":${i}}`);
      b.wsMsg(T0 + i * 1000 + 100, conn, 'out', `{"ack":${i}}`);
    }
    const a = new Analyzer();
    a.ingest(b.events);
    const ch = a.report().channels[0]!;
    const s = a.channelSeries(ch.id)!;
    expect(ch.gapMs).toEqual({ median: 1000, p95: 1000 });
    expect({ median: s.latency.median, p95: s.latency.p95 }).toEqual(ch.gapMs);
    expect(s.latency.counts.reduce((x, y) => x + y, 0)).toBe(19);
  });

  it("gives a channel's events in time order (arrival order for equal times), whether or not they arrived in order", () => {
    const b = new CaptureBuilder();
    const conn = b.wsCreate(T0, 'wss://x.example/ws');
    b.wsOpen(T0 + 10, conn);
    b.wsMsg(T0 + 100, conn, 'in', 'a');
    b.wsMsg(T0 + 100, conn, 'in', 'b');
    b.wsMsg(T0 + 200, conn, 'in', 'c');
    const inOrder = new Analyzer();
    inOrder.ingest(b.events);
    const id = inOrder.report().channels[0]!.id;
    const text = (events: readonly CaptureEvent[]) => events.flatMap((e) => (e.type === 'ws.message' ? [e.data.data] : []));
    expect(text(inOrder.channelEvents(id))).toEqual(['a', 'b', 'c']);
    // In order: the analyzer's own list, read without a copy.
    expect(inOrder.channelEvents(id)).toBe(inOrder.channelEvents(id));
    // Out of order (a page's clock stepped back; events of two frames interleaved): a sorted copy, stably,
    // that leaves the analyzer's own list (and what it has applied of it) as it was.
    const late = new Analyzer();
    const [create, open, a, bee, c] = b.events;
    late.ingest([create!, open!, c!, a!, bee!]);
    expect(late.report().channels[0]!.messages.in).toBe(3);
    const first = late.channelEvents(id);
    expect(text(first)).toEqual(['a', 'b', 'c']);
    expect(late.channelEvents(id)).not.toBe(first);
    b.wsMsg(T0 + 300, conn, 'in', 'd');
    late.ingest([b.events[b.events.length - 1]!]);
    expect(late.report().channels[0]!.messages.in).toBe(4);
    expect(text(late.channelEvents(id))).toEqual(['a', 'b', 'c', 'd']);
  });

  it('gives reconnect series with the fitted and the reference delays', () => {
    const b = new CaptureBuilder();
    let t = T0;
    const first = b.wsCreate(t, 'wss://x.example/ws');
    b.wsOpen(t + 10, first);
    t += 1000;
    b.wsClose(t, first, 1006);
    for (const d of [1000, 2000, 4000, 8000]) {
      t += d;
      const c = b.wsCreate(t, 'wss://x.example/ws');
      b.wsError(t + 5, c);
      t += 5;
      b.wsClose(t, c, 1006);
    }
    const a = new Analyzer();
    a.ingest(b.sorted());
    const s = a.channelSeries(a.channelIds()[0]!)!;
    expect(s.reconnects.attempt).toEqual([0, 1, 2, 3]);
    expect(s.reconnects.delayMs).toEqual([1000, 2000, 4000, 8000]);
    expect(s.reconnects.referenceMs).toEqual([1000, 2000, 4000, 8000]);
    s.reconnects.fittedMs.forEach((f, i) => expect(f!).toBeCloseTo(s.reconnects.delayMs[i]!, -1));
  });
});

describe('advice (the decision tree of docs/domain.md)', () => {
  it('suggests SSE for a server→client-only WebSocket', () => {
    const b = new CaptureBuilder();
    const c = b.wsCreate(T0, 'wss://live.example/prices');
    b.wsOpen(T0 + 30, c);
    b.wsMsg(T0 + 40, c, 'out', '{"subscribe":"ACME"}');
    for (let i = 1; i <= 20; i++) b.wsMsg(T0 + i * 1000, c, 'in', `{"symbol":"ACME","price":${100 + i},"bid":${99 + i},"ask":${101 + i}}`);
    expect(only(b).advice).toMatch(/^Server→client only \(20 messages in, 1 data message out\): SSE would do/);
  });

  it('leaves slow, useful polling alone and nudges fast polling towards long polling or SSE', () => {
    const slow = pollingCapture({ url: 'https://api.example/status', intervalMs: 60_000, bodies: ['{"v":1}', '{"v":2}', '{"v":3}', '{"v":4}'] });
    expect(only(slow).advice).toBeNull();
    const fast = pollingCapture({ url: 'https://api.example/status', intervalMs: 5000, bodies: ['{"v":1}', '{"v":2}', '{"v":3}', '{"v":4}'] });
    expect(only(fast).advice).toMatch(/Polled every 5\.0 s \(average staleness 2\.5 s\).*long polling or SSE/);
  });
});

describe('reconnect made while the old socket is still closing (node)', () => {
  it('counts a replacement opened right after close(), before the close event, with no delay', () => {
    const b = new CaptureBuilder();
    const a = b.wsCreate(T0, 'wss://live.example/socket');
    b.wsOpen(T0 + 20, a);
    // The page gives up on a dead connection: close(4000) and a new socket at once; the close
    // event comes 800 ms later, when the server's close frame gets through.
    const c = b.wsCreate(T0 + 10_000, 'wss://live.example/socket');
    b.wsClose(T0 + 10_800, a, 4000, 'heartbeat timeout', 'client');
    b.wsOpen(T0 + 10_030, c);
    const ch = analyzeCapture(b.sorted()).channels[0]!;
    expect(ch.reconnects).toHaveLength(1);
    expect(ch.reconnects[0]).toMatchObject({ at: T0 + 10_000, delayMs: 0 });
  });

  it('keeps two sockets that simply overlap (neither closing) apart from reconnects', () => {
    const b = new CaptureBuilder();
    const a = b.wsCreate(T0, 'wss://live.example/socket');
    b.wsOpen(T0 + 20, a);
    const c = b.wsCreate(T0 + 10_000, 'wss://live.example/socket');
    b.wsOpen(T0 + 10_030, c);
    b.wsClose(T0 + 10_800, a, 1006, '', 'server');
    expect(analyzeCapture(b.sorted()).channels[0]!.reconnects).toHaveLength(0);
  });
});
