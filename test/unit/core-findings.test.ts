import { describe, expect, it } from 'vitest';
import { analyzeCapture } from '../../src/core/index.ts';
import type { ChannelReport } from '../../src/core/report-types.ts';
import { FINDING_RULES } from '../../src/core/findings/index.ts';
import { CaptureBuilder, T0, pollingCapture } from './core-builders.ts';

function channel(b: CaptureBuilder): ChannelReport {
  const report = analyzeCapture(b.sorted());
  expect(report.channels).toHaveLength(1);
  return report.channels[0]!;
}
const codes = (c: ChannelReport) => c.findings.map((f) => f.code);
const finding = (c: ChannelReport, code: string) => {
  const f = c.findings.find((x) => x.code === code);
  expect(f, `finding ${code} in ${codes(c).join(',')}`).toBeDefined();
  return f!;
};

/** A WebSocket that works, drops (1006), then fails to reconnect after each delay (error + 1006 before open). */
function wsOutage(delays: number[], opts: { finalOpens?: boolean; firstClose?: { code: number; reason: string } } = {}): CaptureBuilder {
  const b = new CaptureBuilder();
  const url = 'wss://live.example/socket';
  const first = b.wsCreate(T0, url);
  b.wsOpen(T0 + 50, first);
  b.wsMsg(T0 + 100, first, 'in', '{"type":"welcome"}');
  let t = T0 + 5000;
  b.wsClose(t, first, opts.firstClose?.code ?? 1006, opts.firstClose?.reason ?? '', 'server');
  delays.forEach((d, i) => {
    t += d;
    const c = b.wsCreate(t, url);
    if (opts.finalOpens && i === delays.length - 1) {
      b.wsOpen(t + 40, c);
      return;
    }
    b.wsError(t + 10, c);
    t += 10;
    b.wsClose(t, c, 1006, '', 'server');
  });
  return b;
}

/** A WebSocket open for `spanMs` with the given messages. */
function wsSession(spanMs: number, messages: Array<[number, 'in' | 'out', string]>, subprotocols: string[] = []): CaptureBuilder {
  const b = new CaptureBuilder();
  const c = b.wsCreate(T0, 'wss://live.example/cable', subprotocols);
  b.wsOpen(T0 + 50, c, subprotocols[0] ?? '');
  for (const [t, dir, data] of messages) b.wsMsg(T0 + t, c, dir, data);
  b.wsClose(T0 + spanMs, c, 1000, '', 'client');
  return b;
}

describe('findings', () => {
  it('every rule has a unique code, a title and a description', () => {
    const all = FINDING_RULES.map((r) => r.code);
    expect(new Set(all).size).toBe(all.length);
    for (const r of FINDING_RULES) {
      expect(r.title.length).toBeGreaterThan(3);
      expect(r.description.length).toBeGreaterThan(10);
    }
  });

  it('no-heartbeat: says a control-frame heartbeat may exist on a WebSocket', () => {
    const msgs: Array<[number, 'in' | 'out', string]> = Array.from({ length: 8 }, (_, i) => [1000 + i * 20_000, 'in', `{"type":"price","symbol":"ACME","value":${100 + i * 7},"volume":${1234 + i * 11}}`]);
    const ch = channel(wsSession(170_000, msgs));
    const f = finding(ch, 'no-heartbeat');
    expect(f.severity).toBe('info');
    expect(f.message).toContain('control frames');
    expect(ch.heartbeat).toMatchObject({ intervalMs: null, source: null });
    expect(codes(ch)).not.toContain('idle-gap-over-nat-timeout');
  });

  it("no-heartbeat: an EventSource's reconnects are separate streams, each judged on its own length", () => {
    // One EventSource object for 100 s, but the server ends each stream after ~11 s and the browser
    // reconnects: no stream is open long enough for an idle NAT to matter.
    const streams = (streamMs: number) => {
      const b = new CaptureBuilder();
      const es = b.esCreate(T0, 'https://api.example/events');
      for (let start = 0; start < 100_000; start += streamMs + 1500) {
        b.esOpen(T0 + start + 10, es);
        // Data at irregular times with varied bodies: nothing a heartbeat detector could take for one.
        for (let t = 900, i = 0; t < streamMs; t += 400 + ((i * 397) % 1300), i++) {
          b.esMsg(T0 + start + t, es, JSON.stringify({ symbol: 'ACME', price: 100 + ((i * 37) % 50), book: 'x'.repeat((i * 53) % 200) }));
        }
        if (start + streamMs + 1500 < 100_000) b.esError(T0 + start + streamMs, es, 0);
      }
      return channel(b);
    };
    expect(codes(streams(11_000))).not.toContain('no-heartbeat');
    const long = finding(streams(100_000), 'no-heartbeat');
    expect(long.evidence.longestConnectionMs).toBeGreaterThan(90_000);
  });

  it('idle-gap-over-nat-timeout: silence above 30 s on an open connection', () => {
    const ch = channel(wsSession(120_000, [[1000, 'in', '{"type":"state","items":[1,2,3],"version":"a91"}'], [70_000, 'in', '{"type":"state","items":[1,2,3,4],"version":"a92"}']]));
    const f = finding(ch, 'idle-gap-over-nat-timeout');
    expect(f.evidence.maxIdleMs).toBe(69_000);
    expect(finding(ch, 'no-heartbeat').severity).toBe('warning');
  });

  it('heartbeat-too-slow: client ping every 45 s', () => {
    const msgs: Array<[number, 'in' | 'out', string]> = [];
    for (let i = 1; i <= 5; i++) {
      msgs.push([i * 45_000, 'out', 'ping']);
      msgs.push([i * 45_000 + 30, 'in', 'pong']);
    }
    const ch = channel(wsSession(240_000, msgs));
    expect(ch.heartbeat).toMatchObject({ intervalMs: 45_000, direction: 'client', source: 'pattern' });
    expect(finding(ch, 'heartbeat-too-slow').evidence.intervalMs).toBe(45_000);
  });

  it('heartbeat-too-fast: ActionCable-style server ping every 3 s', () => {
    // actioncable: the server broadcasts {"type":"ping","message":<unix time>} every 3 s.
    const msgs: Array<[number, 'in' | 'out', string]> = Array.from({ length: 30 }, (_, i) => [3000 * (i + 1), 'in', `{"type":"ping","message":${1764000000 + 3 * i}}`]);
    msgs.unshift([60, 'in', '{"type":"welcome"}']);
    // @rails/actioncable requests these subprotocols (src/internal.js protocols).
    const ch = channel(wsSession(95_000, msgs, ['actioncable-v1-json', 'actioncable-unsupported']));
    // The ActionCable decoder labels the pings, so the heartbeat is protocol-known.
    expect(ch.protocol).toBe('actioncable');
    expect(ch.heartbeat).toMatchObject({ intervalMs: 3000, direction: 'server', source: 'protocol' });
    expect(finding(ch, 'heartbeat-too-fast').severity).toBe('info');
    expect(codes(ch)).not.toContain('no-heartbeat');
  });

  it('recognises an engine.io-style server ping / client pong as a server heartbeat with no finding', () => {
    const msgs: Array<[number, 'in' | 'out', string]> = [];
    for (let i = 1; i <= 6; i++) {
      msgs.push([i * 25_000, 'in', '2']);
      msgs.push([i * 25_000 + 3, 'out', '3']);
    }
    const ch = channel(wsSession(160_000, msgs));
    expect(ch.heartbeat).toMatchObject({ intervalMs: 25_000, direction: 'server' });
    expect(codes(ch).filter((c) => c.startsWith('heartbeat') || c === 'no-heartbeat' || c.startsWith('idle'))).toEqual([]);
  });

  it("no-reconnect: not raised when the tool's own offline fault ended a native EventSource (its reconnect cannot be driven from the page)", () => {
    const build = (withFault: boolean) => {
      const b = new CaptureBuilder();
      const es = b.esCreate(T0, 'https://live.example/events');
      b.esOpen(T0 + 30, es);
      b.esMsg(T0 + 1000, es, '{"n":1}');
      if (withFault) b.fault(T0 + 5000, 'offline', null);
      b.esError(T0 + 5001, es, 2);
      b.esMsg(T0 + 60_000, b.esCreate(T0 + 59_000, 'https://other.example/feed'), '{"n":2}');
      return analyzeCapture(b.sorted()).channels.find((c) => c.url.includes('live.example'))!;
    };
    expect(codes(build(false))).toContain('no-reconnect');
    expect(codes(build(true))).not.toContain('no-reconnect');
  });

  it('reconnect-without-backoff: a reconnect storm at 100 ms', () => {
    const ch = channel(wsOutage([100, 100, 100, 100, 100, 100]));
    expect(ch.backoff).toMatchObject({ model: 'fixed' });
    const f = finding(ch, 'reconnect-without-backoff');
    expect(f.severity).toBe('error');
    expect(ch.reconnects.every((r) => r.cause.startsWith('close 1006'))).toBe(true);
  });

  it('backoff-without-jitter: exact 1, 2, 4, 8, 16 s', () => {
    const ch = channel(wsOutage([1000, 2000, 4000, 8000, 16000], { finalOpens: true }));
    expect(ch.backoff).toMatchObject({ model: 'exponential', jitter: false });
    expect(ch.backoff!.factor).toBeCloseTo(2, 1);
    finding(ch, 'backoff-without-jitter');
    expect(codes(ch)).not.toContain('reconnect-without-backoff');
  });

  it('backoff-without-cap: delays that keep doubling past a minute', () => {
    const ch = channel(wsOutage([1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000]));
    expect(finding(ch, 'backoff-without-cap').evidence.longestDelayMs).toBeGreaterThanOrEqual(128_000);
  });

  it('backoff-cap-too-low: doubling from 100 ms capped at 1 s', () => {
    const ch = channel(wsOutage([100, 200, 400, 800, 1000, 1000, 1000, 1000]));
    expect(ch.backoff!.maxMs).toBe(1000);
    finding(ch, 'backoff-cap-too-low');
  });

  it('reconnect-after-fatal-close: retrying after 4401 Unauthorized', () => {
    const ch = channel(wsOutage([1000], { finalOpens: true, firstClose: { code: 4401, reason: 'Unauthorized' } }));
    const f = finding(ch, 'reconnect-after-fatal-close');
    expect(f.severity).toBe('error');
    expect(f.evidence.closeCode).toBe(4401);
  });

  it('does not flag a reconnect after 1006', () => {
    const ch = channel(wsOutage([1000], { finalOpens: true }));
    expect(codes(ch)).not.toContain('reconnect-after-fatal-close');
  });

  /** SSE over fetch: each stream sends events with ids, ends, and the client re-requests. */
  function fetchSse(opts: { retry: number | null; delays: number[]; sendLastEventId: boolean }): CaptureBuilder {
    const b = new CaptureBuilder();
    const url = 'https://api.example/stream';
    let t = T0;
    let id = 0;
    let lastId: string | null = null;
    for (let i = 0; i <= opts.delays.length; i++) {
      const headers: Array<[string, string]> = opts.sendLastEventId && lastId ? [['last-event-id', lastId]] : [];
      const c = b.http({ at: t, url, contentType: 'text/event-stream', headers, chunks: [[100, 'data: x\n\n']], durationMs: 2000 });
      b.sseFor(t + 30, c, 'fetch', url);
      for (let k = 0; k < 3; k++) {
        id++;
        b.esMsg(t + 100 + k * 500, c, `{"seq":${id}}`, { id: String(id), retry: k === 0 && opts.retry !== null ? opts.retry : null });
        lastId = String(id);
      }
      t += 2000 + (opts.delays[i] ?? 0);
    }
    return b;
  }

  it('sse-retry-ignored: the server asks for 10 s, the client comes back after 500 ms', () => {
    const ch = channel(fetchSse({ retry: 10_000, delays: [500, 500, 500], sendLastEventId: true }));
    expect(ch.kind).toBe('sse');
    const f = finding(ch, 'sse-retry-ignored');
    expect(f.evidence).toMatchObject({ retryMs: 10_000, delayMs: 500 });
    expect(codes(ch)).not.toContain('sse-missing-last-event-id');
  });

  it('sse-missing-last-event-id: a fetch-based client resumes without the header', () => {
    const ch = channel(fetchSse({ retry: 3000, delays: [3000, 3000], sendLastEventId: false }));
    expect(finding(ch, 'sse-missing-last-event-id').evidence.lastEventId).toBe('3');
    expect(codes(ch)).not.toContain('sse-retry-ignored');
  });

  it('polling-waste-high: 304s and unchanged bodies, with ETag advice when no 304 is seen', () => {
    const same = Array.from({ length: 12 }, (_, i) => (i === 6 ? '{"price":11}' : '{"price":10}'));
    const ch = channel(pollingCapture({ url: 'https://api.example/price', intervalMs: 10_000, bodies: same }));
    const f = finding(ch, 'polling-waste-high');
    // 0 and 6 and 7 (back to 10) carry news; the other 9 repeat the previous body.
    expect(ch.wasted).toBe(9);
    expect(f.advice).toContain('ETag');
    expect(ch.advice).toContain('use SSE');
    // News at 0 s, 60 s and 70 s: the data changed about every 35 s (median), so long polling is not the
    // advice; polling at that pace is.
    expect(f.evidence.dataChangedEveryMs).toBe(35_000);
    expect(f.advice).not.toContain('long polling');
    expect(f.advice).toContain('about every 35');

    // A change every third poll of 5 s: every 15 s, more often than every 30 s, so long polling fits.
    const often = channel(pollingCapture({ url: 'https://api.example/price', intervalMs: 5000, bodies: Array.from({ length: 12 }, (_, i) => `{"v":${Math.floor(i / 3)}}`) }));
    expect(finding(often, 'polling-waste-high').advice).toContain('long polling (the data changed about every 15');

    const notModified = pollingCapture({ url: 'https://api.example/price', intervalMs: 10_000, bodies: Array(8).fill(''), status: (i) => (i === 0 ? 200 : 304) });
    const c2 = channel(notModified);
    expect(c2.wasted).toBe(8);
    expect(finding(c2, 'polling-waste-high').advice).toContain('304');
  });

  it('polling-load-high: polling every second is 1,000 req/s per 1,000 users', () => {
    const ch = channel(pollingCapture({ url: 'https://api.example/tick', intervalMs: 1000, bodies: Array.from({ length: 10 }, (_, i) => `{"t":${i}}`) }));
    expect(finding(ch, 'polling-load-high').evidence.requestsPerSecondPer1000Users).toBe(1000);
    expect(codes(ch)).not.toContain('polling-waste-high');
  });

  it('stream-buffered: SSE events that arrive in bursts after silences', () => {
    const b = new CaptureBuilder();
    const c = b.esCreate(T0, 'https://api.example/events');
    b.esOpen(T0 + 50, c);
    for (let burst = 0; burst < 4; burst++) for (let k = 0; k < 5; k++) b.esMsg(T0 + 10_000 * (burst + 1) + k * 4, c, `{"n":${burst * 5 + k}}`);
    const ch = channel(b);
    expect(finding(ch, 'stream-buffered').evidence).toMatchObject({ bursts: 4, eventsInBursts: 20 });
  });

  it('intermediary-timeout: long polls ending in 504', () => {
    const b = new CaptureBuilder();
    let t = T0;
    for (let i = 0; i < 5; i++) {
      b.http({ at: t, url: 'https://api.example/lp', durationMs: 60_000, status: i % 2 === 0 ? 504 : 200, body: '' });
      t += 60_005;
    }
    const ch = channel(b);
    expect(ch.kind).toBe('long-polling');
    expect(finding(ch, 'intermediary-timeout').evidence.gatewayErrors).toBe(3);
  });

  it('intermediary-timeout: WebSockets cut after 45 s of silence, age and idle measured (not a known product timeout)', () => {
    const b = new CaptureBuilder();
    const url = 'wss://live.example/ws';
    let t = T0;
    for (let i = 0; i < 4; i++) {
      const c = b.wsCreate(t, url);
      b.wsOpen(t + 20, c);
      b.wsMsg(t + 100, c, 'in', '{"type":"welcome"}');
      t += 20 + 45_000 + (i % 2 === 0 ? 180 : -150);
      b.wsClose(t, c, 1006, '', 'server');
      t += 1000;
    }
    const f = finding(channel(b), 'intermediary-timeout');
    expect(f.evidence).toMatchObject({ cutCount: 4, gatewayErrors: 0 });
    expect(Math.abs((f.evidence.cutAtMs as number) - 45_000)).toBeLessThan(300);
    expect(f.message).toMatch(/idle timeout/);
    expect(f.advice).toMatch(/heartbeat more often than every 45\.0 s/);
  });

  it('intermediary-timeout: EventSource streams ended at one age while events flowed are a lifetime limit', () => {
    const b = new CaptureBuilder();
    const c = b.esCreate(T0, 'https://api.example/events');
    let t = T0;
    for (let i = 0; i < 4; i++) {
      b.esOpen(t + 30, c);
      for (let k = 1; k <= 29; k++) b.esMsg(t + 30 + k * 1000 + (k % 3) * 40, c, `{"n":${k}}`);
      t += 30 + 30_000;
      b.esError(t, c, 0);
      t += 3000;
    }
    const f = finding(channel(b), 'intermediary-timeout');
    expect(f.message).toMatch(/lifetime limit/);
    expect(f.evidence).toMatchObject({ cutCount: 4 });
  });

  it('intermediary-timeout: WebSockets that end at different ages are not a timeout', () => {
    const b = new CaptureBuilder();
    const url = 'wss://live.example/ws';
    let t = T0;
    for (const life of [12_000, 47_000, 23_000, 80_000]) {
      const c = b.wsCreate(t, url);
      b.wsOpen(t + 20, c);
      t += 20 + life;
      b.wsClose(t, c, 1006, '', 'server');
      t += 1000;
    }
    expect(codes(channel(b))).not.toContain('intermediary-timeout');
  });

  it('ws-failed-before-open: every upgrade fails', () => {
    const b = new CaptureBuilder();
    for (let i = 0; i < 3; i++) {
      const c = b.wsCreate(T0 + i * 2000, 'wss://live.example/socket.io/?EIO=4&transport=websocket');
      b.wsError(T0 + i * 2000 + 20, c);
      b.wsClose(T0 + i * 2000 + 21, c, 1006, '', 'server');
    }
    const ch = channel(b);
    expect(finding(ch, 'ws-failed-before-open')).toMatchObject({ severity: 'warning', evidence: { failed: 3, neverOpened: true } });
  });

  it('ws-failed-before-open: failures between successful opens are an outage met by reconnects, not a blocked upgrade', () => {
    const b = new CaptureBuilder();
    const url = 'wss://live.example/ws';
    const ok = b.wsCreate(T0, url);
    b.wsOpen(T0 + 10, ok);
    b.wsClose(T0 + 5000, ok, 1006, '', 'server');
    for (let i = 0; i < 3; i++) {
      const c = b.wsCreate(T0 + 6000 + i * 1000, url);
      b.wsError(T0 + 6000 + i * 1000 + 5, c);
      b.wsClose(T0 + 6000 + i * 1000 + 6, c, 1006, '', 'server');
    }
    const back = b.wsCreate(T0 + 10_000, url);
    b.wsOpen(T0 + 10_010, back);
    const f = finding(channel(b), 'ws-failed-before-open')!;
    expect(f).toMatchObject({ severity: 'info', evidence: { failed: 3, connections: 5, neverOpened: false } });
    expect(f.message).toMatch(/others opened/);
    expect(`${f.message} ${f.advice}`).not.toMatch(/proxy|firewall/);
  });

  it('no-sticky-sessions: engine.io polling answered "Session ID unknown"', () => {
    const b = new CaptureBuilder();
    const base = 'https://chat.example/socket.io/?EIO=4&transport=polling';
    b.http({ at: T0, transport: 'xhr', url: `${base}&t=a1`, body: '0{"sid":"AbCdEfGh12345678AAAA","pingInterval":25000}' });
    b.http({ at: T0 + 100, transport: 'xhr', url: `${base}&t=a2&sid=AbCdEfGh12345678AAAA`, status: 400, body: '{"code":1,"message":"Session ID unknown"}' });
    const ch = channel(b);
    expect(finding(ch, 'no-sticky-sessions').severity).toBe('error');
  });

  it('a healthy SSE feed with comment heartbeats has no findings', () => {
    const b = new CaptureBuilder();
    const c = b.http({ at: T0, url: 'https://api.example/feed', contentType: 'text/event-stream', pending: true });
    b.sseFor(T0 + 20, c, 'fetch', 'https://api.example/feed');
    for (let i = 1; i <= 12; i++) {
      b.esComment(T0 + i * 15_000, c, 'keep-alive');
      b.esMsg(T0 + i * 15_000 + 7000, c, `{"headline":"story ${i}"}`, { id: String(i) });
    }
    const ch = channel(b);
    expect(ch.heartbeat).toMatchObject({ intervalMs: 15_000, direction: 'server' });
    expect(ch.findings).toEqual([]);
  });
});

describe('cross-channel and protocol-aware findings', () => {
  it('ws-upgrade-blocked: socket.io WebSocket fails, then long-polling on the same host', () => {
    const b = new CaptureBuilder();
    const ws = b.wsCreate(T0, 'wss://chat.example/socket.io/?EIO=4&transport=websocket');
    b.wsError(T0 + 30, ws);
    b.wsClose(T0 + 31, ws, 1006, '', 'server');
    const base = 'https://chat.example/socket.io/?EIO=4&transport=polling';
    let t = T0 + 1000;
    b.http({ at: t, transport: 'xhr', url: `${base}&t=h1`, durationMs: 20, body: '0{"sid":"Zz9yXw8vUu7tSs6rAAAB","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000}' });
    t += 30;
    for (let i = 0; i < 4; i++) {
      b.http({ at: t, transport: 'xhr', url: `${base}&t=p${i}&sid=Zz9yXw8vUu7tSs6rAAAB`, durationMs: 25_000, body: '2' });
      t += 25_005;
    }
    const report = analyzeCapture(b.sorted());
    const wsChannel = report.channels.find((c) => c.kind === 'websocket')!;
    const f = wsChannel.findings.find((x) => x.code === 'ws-upgrade-blocked');
    expect(f?.evidence).toMatchObject({ failedBeforeOpen: 1, fallbackKind: 'long-polling' });
    expect(wsChannel.findings.map((x) => x.code)).toContain('ws-failed-before-open');
    // The fallback channel, where the traffic now flows, says so too.
    const polling = report.channels.find((c) => c.kind === 'long-polling')!;
    expect(polling.findings.map((x) => x.code)).toContain('ws-upgrade-blocked');
  });

  it('reconnect-on-network-change: a reconnect after the page went offline', () => {
    const b = new CaptureBuilder();
    const c1 = b.wsCreate(T0, 'wss://live.example/ws');
    b.wsOpen(T0 + 20, c1);
    b.fault(T0 + 10_000, 'offline', null);
    b.wsClose(T0 + 10_002, c1, 1006);
    const c2 = b.wsCreate(T0 + 14_000, 'wss://live.example/ws');
    b.wsOpen(T0 + 14_030, c2);
    const ch = channel(b);
    expect(ch.reconnects[0]!.cause).toBe('fault: offline');
    expect(finding(ch, 'reconnect-on-network-change').evidence.longestDelayMs).toBe(3998);
  });

  it("reconnect-on-network-change: the browser's own offline window names the cause of the drop and of every failed retry", () => {
    const b = new CaptureBuilder();
    const url = 'wss://live.example/ws';
    const c1 = b.wsUp(T0, url);
    // The socket errors a little before the renderer hears of the lost link.
    b.wsClose(T0 + 10_000, c1, 1006, '', 'server');
    b.network(T0 + 10_400, false);
    const t = b.wsRetriesFailing(T0 + 10_000, url, [1000, 2000, 4000]);
    b.network(T0 + 20_000, true);
    // The client waits out its 8 s timer instead of listening for `online`.
    const last = b.wsCreate(t + 8000, url);
    b.wsOpen(t + 8030, last);
    const ch = channel(b);
    expect(ch.reconnects.map((r) => r.cause)).toEqual(['network offline', 'network offline', 'network offline', 'network offline']);
    const f = finding(ch, 'reconnect-on-network-change');
    expect(f.message).toContain("the browser's offline event");
    expect(f.evidence).toMatchObject({ count: 4, source: 'browser', afterOnlineMs: Math.round(t + 8000 - (T0 + 20_000)) });
    // Attempts that failed while offline blame no server and no proxy.
    expect(codes(ch)).not.toContain('ws-failed-before-open');
  });

  it('page.network: an offline window whose document went away without its online event ends at the next top document', () => {
    const b = new CaptureBuilder();
    b.docStart(T0 - 100, 'https://live.example/', 'Live');
    const url = 'wss://live.example/ws';
    const c1 = b.wsUp(T0, url);
    b.network(T0 + 1000, false);
    b.wsClose(T0 + 1001, c1, 1006, '', 'server');
    // The page reloads during the outage; the new document starts online (no page.network from it).
    b.docStart(T0 + 5000, 'https://live.example/', 'Live');
    const c2 = b.wsUp(T0 + 5100, url);
    // Later, a server that goes down: its refusals are no network outage.
    b.wsClose(T0 + 60_000, c2, 1006, '', 'server');
    const t = b.wsRetriesFailing(T0 + 60_000, url, [1000]);
    b.wsUp(t + 2000, url);
    const ch = channel(b);
    expect(ch.reconnects.map((r) => r.cause)).toEqual(['network offline', 'close 1006', 'close 1006 before open']);
    expect(codes(ch)).toContain('ws-failed-before-open');
  });

  it("an attempt the browser's online event set off is listed but left out of the backoff fit", () => {
    // 1-2-4-8 s while offline, then the client reconnects 20 ms after `online` (centrifuge, pusher-js):
    // that last delay is how long the outage lasted, whatever it was.
    for (const lastedMs of [30, 300, 1500, 2500]) {
      const b = new CaptureBuilder();
      const url = 'wss://live.example/ws';
      const c1 = b.wsUp(T0, url);
      b.network(T0 + 10_000, false);
      b.wsClose(T0 + 10_001, c1, 1006, '', 'server');
      const t = b.wsRetriesFailing(T0 + 10_001, url, [1000, 2000, 4000, 8000]);
      b.network(t + lastedMs, true);
      b.wsUp(t + lastedMs + 20, url);
      const ch = channel(b);
      expect(ch.reconnects.map((r) => Math.round(r.delayMs)), `${lastedMs}`).toEqual([1000, 2000, 4000, 8000, lastedMs + 20]);
      expect(ch.backoff, `${lastedMs}`).toMatchObject({ model: 'exponential', factor: 2 });
      expect(ch.backoff!.confidence, `${lastedMs}`).not.toBe('low');
    }
  });

  it('page.network: a drop long before the network went away keeps its own cause; still offline at the end stays a window', () => {
    const b = new CaptureBuilder();
    const url = 'wss://live.example/ws';
    const c1 = b.wsUp(T0, url);
    b.wsClose(T0 + 5000, c1, 1011, 'overloaded', 'server');
    const c2 = b.wsUp(T0 + 6000, url);
    b.network(T0 + 30_000, false);
    b.wsClose(T0 + 30_001, c2, 1006, '', 'server');
    b.wsRetriesFailing(T0 + 30_001, url, [1000, 2000]);
    const ch = channel(b);
    expect(ch.reconnects.map((r) => r.cause)).toEqual(['close 1011', 'network offline', 'network offline']);
    expect(finding(ch, 'reconnect-on-network-change').evidence).toMatchObject({ count: 2, afterOnlineMs: null });
  });

  it('no-heartbeat on graphql-ws says its default heartbeat is a control frame', () => {
    const b = new CaptureBuilder();
    const c = b.wsCreate(T0, 'wss://api.example/graphql', ['graphql-transport-ws']);
    b.wsOpen(T0 + 30, c, 'graphql-transport-ws');
    b.wsMsg(T0 + 40, c, 'out', '{"type":"connection_init","payload":{}}');
    b.wsMsg(T0 + 60, c, 'in', '{"type":"connection_ack"}');
    b.wsMsg(T0 + 80, c, 'out', '{"id":"1","type":"subscribe","payload":{"query":"subscription { ticks }"}}');
    for (let i = 1; i <= 8; i++) b.wsMsg(T0 + i * 10_000, c, 'in', `{"id":"1","type":"next","payload":{"data":{"ticks":${i}}}}`);
    const ch = channel(b);
    expect(ch.protocol).toBe('graphql-ws');
    const f = finding(ch, 'no-heartbeat');
    expect(f.severity).toBe('info');
    expect(f.message).toContain('control frames');
    expect(f.evidence.defaultHeartbeatMs).toBe(12_000);
  });
});

describe('protocol-known heartbeats', () => {
  it('socket.io over WebSocket: engine.io server ping "2" / client pong "3" every 25 s, no findings', () => {
    const b = new CaptureBuilder();
    const c = b.wsCreate(T0, 'wss://chat.example/socket.io/?EIO=4&transport=websocket');
    b.wsOpen(T0 + 20, c);
    // engine.io 6.x handshake: pingInterval 25000, pingTimeout 20000 (engine.io build/server.js defaults).
    b.wsMsg(T0 + 25, c, 'in', '0{"sid":"AbCdEfGh12345678AAAA","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}');
    b.wsMsg(T0 + 30, c, 'out', '40');
    b.wsMsg(T0 + 40, c, 'in', '40{"sid":"xYz0123456789abcdAAAB"}');
    for (let i = 1; i <= 6; i++) {
      b.wsMsg(T0 + 25 + i * 25_000, c, 'in', '2');
      b.wsMsg(T0 + 27 + i * 25_000, c, 'out', '3');
      b.wsMsg(T0 + 5000 + i * 25_000, c, 'out', `42["chat",{"text":"hi ${i}"}]`);
      b.wsMsg(T0 + 5010 + i * 25_000, c, 'in', `42["chat",{"text":"echo ${i}"}]`);
    }
    const ch = channel(b);
    expect(ch.protocol).toBe('socket.io');
    expect(ch.heartbeat).toMatchObject({ intervalMs: 25_000, direction: 'server', source: 'protocol' });
    expect(ch.findings).toEqual([]);
    // The page sends chat messages: bidirectional, so no "SSE would do" advice.
    expect(ch.advice).toBeNull();
  });
});

describe('no-reconnect', () => {
  it('flags a raw WebSocket that is lost and never comes back, once 10 s have passed', () => {
    const b = new CaptureBuilder();
    const c = b.wsCreate(T0, 'wss://live.example/raw');
    b.wsOpen(T0 + 20, c);
    b.wsMsg(T0 + 1000, c, 'in', '{"type":"hello"}');
    b.wsClose(T0 + 5000, c, 1006, '', 'server');
    const other = b.http({ at: T0 + 9000, url: 'https://api.example/me', body: '{}' });
    expect(other).toBeTruthy();
    const early = analyzeCapture(b.sorted());
    expect(early.channels[0]!.findings.map((f) => f.code)).not.toContain('no-reconnect');
    b.http({ at: T0 + 20_000, url: 'https://api.example/other', body: '{}' });
    const late = analyzeCapture(b.sorted());
    const f = late.channels[0]!.findings.find((x) => x.code === 'no-reconnect');
    expect(f?.evidence).toMatchObject({ closeCode: 1006, sinceMs: 15_040 });
  });

  it('does not flag a page that closed its own socket', () => {
    const b = new CaptureBuilder();
    const c = b.wsCreate(T0, 'wss://live.example/raw');
    b.wsOpen(T0 + 20, c);
    b.wsClose(T0 + 5000, c, 1000, '', 'client');
    b.http({ at: T0 + 60_000, url: 'https://api.example/me', body: '{}' });
    expect(analyzeCapture(b.sorted()).channels[0]!.findings.map((f) => f.code)).not.toContain('no-reconnect');
  });
});

describe('reconnect-without-backoff on SSE', () => {
  function eventSourceRetries(delay: number): CaptureBuilder {
    const b = new CaptureBuilder();
    const c = b.esCreate(T0, 'https://api.example/events');
    b.esOpen(T0 + 20, c);
    b.esMsg(T0 + 100, c, '{"n":1}', { id: '1', retry: delay });
    let t = T0 + 1000;
    for (let i = 0; i < 4; i++) {
      b.esError(t, c, 0);
      t += delay;
      b.esOpen(t, c);
      t += 2000;
    }
    return b;
  }

  it("does not blame EventSource's server-paced constant retry", () => {
    const ch = channel(eventSourceRetries(3000));
    expect(ch.backoff).toMatchObject({ model: 'fixed' });
    expect(codes(ch)).not.toContain('reconnect-without-backoff');
  });

  it('does not blame a sub-second retry: the server chose after streams that worked', () => {
    expect(codes(channel(eventSourceRetries(200)))).not.toContain('reconnect-without-backoff');
  });

  it('calls sub-second EventSource retries of attempts that keep failing a storm', () => {
    const b = new CaptureBuilder();
    const c = b.esCreate(T0, 'https://api.example/events');
    b.esOpen(T0 + 20, c);
    b.esMsg(T0 + 100, c, '{"n":1}', { id: '1', retry: 200 });
    // The server goes away: every retry fails (error without open), 200 ms apart.
    for (let i = 0; i < 6; i++) b.esError(T0 + 1000 + i * 200, c, 0);
    expect(finding(channel(b), 'reconnect-without-backoff').severity).toBe('error');
  });
});

describe('engine.io polling transport', () => {
  it('is long polling by design, with the server pings in held responses as its heartbeat', () => {
    const b = new CaptureBuilder();
    const base = 'https://chat.example/socket.io/?EIO=4&transport=polling';
    b.http({ at: T0, transport: 'xhr', url: `${base}&t=h0`, durationMs: 15, body: '0{"sid":"Qq1Ww2Ee3Rr4Tt5YAAAC","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}' });
    b.http({ at: T0 + 20, method: 'POST', transport: 'xhr', url: `${base}&t=h1&sid=Qq1Ww2Ee3Rr4Tt5YAAAC`, durationMs: 10, body: 'ok' });
    let t = T0 + 40;
    // Data arrives at irregular times, pings every 25 s: the timings alone look irregular.
    for (const [hold, body] of [[3000, '42["chat","a"]'], [22_000, '2'], [400, '42["chat","b"]'], [24_600, '2'], [25_000, '2'], [900, '42["chat","c"]']] as const) {
      b.http({ at: t, transport: 'xhr', url: `${base}&t=g${t}&sid=Qq1Ww2Ee3Rr4Tt5YAAAC`, durationMs: hold, body });
      t += hold + 3;
    }
    const ch = channel(b);
    expect(ch.protocol).toBe('socket.io');
    expect(ch.kind).toBe('long-polling');
    expect(ch.evidence).toContain('polling transport (long polling by design)');
    expect(ch.heartbeat).toMatchObject({ direction: 'server', source: 'protocol' });
    expect(ch.heartbeat!.intervalMs).toBeGreaterThan(20_000);
    expect(ch.heartbeat!.maxIdleMs).toBe(25_000);
  });
});

describe('announced heartbeat interval', () => {
  it('takes engine.io pingInterval from the handshake when only one ping was seen', () => {
    const b = new CaptureBuilder();
    const c = b.wsCreate(T0, 'wss://chat.example/socket.io/?EIO=4&transport=websocket');
    b.wsOpen(T0 + 20, c);
    b.wsMsg(T0 + 25, c, 'in', '0{"sid":"AbCdEfGh12345678AAAA","upgrades":[],"pingInterval":5000,"pingTimeout":4000,"maxPayload":1000000}');
    b.wsMsg(T0 + 30, c, 'out', '40');
    b.wsMsg(T0 + 40, c, 'in', '40{"sid":"xYz0123456789abcdAAAB"}');
    b.wsMsg(T0 + 5025, c, 'in', '2');
    b.wsMsg(T0 + 5027, c, 'out', '3');
    const ch = channel(b);
    expect(ch.heartbeat).toMatchObject({ intervalMs: 5000, direction: 'server', source: 'protocol' });
  });

  it('takes it from the polling handshake of the session a WebSocket upgraded (socket.io-client default transports)', () => {
    const session = (sid: string) => {
      const b = new CaptureBuilder();
      const base = 'https://chat.example/socket.io/?EIO=4';
      b.http({ at: T0, url: `${base}&transport=polling&t=a1`, durationMs: 20, body: '0{"sid":"AbCdEfGh12345678AAAA","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}' });
      b.http({ at: T0 + 30, url: `${base}&transport=polling&t=a2&sid=AbCdEfGh12345678AAAA`, method: 'POST', durationMs: 10, body: 'ok' });
      b.http({ at: T0 + 45, url: `${base}&transport=polling&t=a3&sid=AbCdEfGh12345678AAAA`, durationMs: 15, body: '40{"sid":"xYz0123456789abcdAAAB"}' });
      const c = b.wsCreate(T0 + 70, `wss://chat.example/socket.io/?EIO=4&transport=websocket&sid=${sid}`);
      b.wsOpen(T0 + 90, c);
      b.wsMsg(T0 + 95, c, 'out', '2probe');
      b.wsMsg(T0 + 100, c, 'in', '3probe');
      b.wsMsg(T0 + 105, c, 'out', '5');
      b.wsMsg(T0 + 25_020, c, 'in', '2');
      b.wsMsg(T0 + 25_022, c, 'out', '3');
      return analyzeCapture(b.sorted()).channels.find((x) => x.transport === 'websocket')!;
    };
    const upgraded = session('AbCdEfGh12345678AAAA');
    expect(upgraded.protocol).toBe('socket.io');
    expect(upgraded.heartbeat).toMatchObject({ intervalMs: 25000, source: 'protocol' });
    // Another session's handshake says nothing about this socket.
    expect(session('ZZZZZZZZZZZZZZZZZZZZ').heartbeat!.intervalMs).toBeNull();
  });
});

describe('stall detection (injected stall fault)', () => {
  /** A WebSocket pinging every 5 s; a 40 s stall starts at 10 s. `closeAfter`: the client closes the silent socket that long into the stall, then reconnects. */
  function stalled(closeAfter: number | null, stallMs = 40_000): CaptureBuilder {
    const b = new CaptureBuilder();
    const conn = b.wsCreate(T0, 'wss://rt.example/live');
    b.wsOpen(T0 + 30, conn);
    const stallAt = T0 + 10_000;
    const end = closeAfter === null ? T0 + 60_000 : stallAt + closeAfter;
    for (let t = T0 + 5000; t < end; t += 5000) {
      b.wsMsg(t, conn, 'out', '{"type":"ping"}');
      if (t < stallAt) b.wsMsg(t + 20, conn, 'in', '{"type":"pong"}');
    }
    b.push({ type: 'fault', seq: 0, pseq: 0, t: stallAt, frameId: 0, doc: 'doc1', fault: 'stall', conn: null, params: { durationMs: stallMs }, phase: 'start' });
    if (closeAfter !== null) {
      b.wsClose(end, conn, 4000, 'heartbeat timeout', 'client');
      const next = b.wsCreate(stallAt + stallMs + 1000, 'wss://rt.example/live');
      b.wsOpen(stallAt + stallMs + 1030, next);
      b.wsMsg(stallAt + stallMs + 6000, next, 'out', '{"type":"ping"}');
    }
    return b;
  }

  it('reports when the client gave up on the silent connection, and how', () => {
    const ch = channel(stalled(14_000));
    expect(ch.stalls).toEqual([{ at: T0 + 10_000, durationMs: 40_000, detectedAfterMs: 14_000, reaction: 'closed' }]);
    const f = finding(ch, 'stall-undetected');
    expect(f.severity).toBe('info');
    expect(f.message).toContain('after 14.0 s');
  });

  it('warns when a long stall went unnoticed, and only informs when the stall was too short to tell', () => {
    const missed = channel(stalled(null));
    expect(missed.stalls).toEqual([{ at: T0 + 10_000, durationMs: 40_000, detectedAfterMs: null, reaction: null }]);
    expect(finding(missed, 'stall-undetected').severity).toBe('warning');
    const short = channel(stalled(null, 3000));
    expect(finding(short, 'stall-undetected').severity).toBe('info');
  });

  it('says nothing without a stall fault', () => {
    const b = new CaptureBuilder();
    const conn = b.wsCreate(T0, 'wss://rt.example/live');
    b.wsOpen(T0 + 30, conn);
    b.wsMsg(T0 + 1000, conn, 'in', '{"n":1}');
    const ch = channel(b);
    expect(ch.stalls).toEqual([]);
    expect(codes(ch)).not.toContain('stall-undetected');
  });
});

describe('stall ended by the server', () => {
  it('is inconclusive: no warning, and a reconnect after the released close is not a detection', () => {
    const b = new CaptureBuilder();
    const conn = b.wsCreate(T0, 'wss://rt.example/live');
    b.wsOpen(T0 + 30, conn);
    b.wsMsg(T0 + 1000, conn, 'in', '{"n":1}');
    b.push({ type: 'fault', seq: 0, pseq: 0, t: T0 + 5000, frameId: 0, doc: 'doc1', fault: 'stall', conn: null, params: { durationMs: 60_000 }, phase: 'start' });
    // The server's own timeout closes the socket 30 s in; the page sees it when the stall ends, and reconnects 10 ms later.
    b.wsClose(T0 + 35_000, conn, 1006, '', 'server');
    const next = b.wsCreate(T0 + 65_010, 'wss://rt.example/live');
    b.wsOpen(T0 + 65_040, next);
    const report = analyzeCapture(b.sorted());
    const ch = report.channels[0]!;
    expect(ch.stalls).toEqual([{ at: T0 + 5000, durationMs: 60_000, detectedAfterMs: null, reaction: 'server-closed', serverClosedAfterMs: 30_000 }]);
    const f = ch.findings.find((x) => x.code === 'stall-undetected')!;
    expect(f.severity).toBe('info');
    expect(f.message).toContain('server ended');
  });
});
