import { describe, expect, it } from 'vitest';
import { analyzeCapture } from '../../src/core/index.ts';
import type { ChannelReport } from '../../src/core/report-types.ts';
import type { CaptureEvent } from '../../src/core/events.ts';
import { CaptureBuilder, T0, pollingCapture } from './core-builders.ts';

function only(events: CaptureEvent[]): ChannelReport {
  const report = analyzeCapture(events);
  expect(report.channels).toHaveLength(1);
  return report.channels[0]!;
}

describe('classification', () => {
  it('recognises fixed-rate polling with its evidence', () => {
    const bodies = Array.from({ length: 14 }, (_, i) => `{"n":${i}}`);
    const ch = only(pollingCapture({ url: 'https://api.example/status?_={i}', intervalMs: 2000, bodies }).sorted());
    expect(ch.kind).toBe('polling');
    expect(ch.evidence).toBe('14 requests, median interval 2.0 s, median duration 40 ms');
    expect(ch.confidence).toBeGreaterThan(0.9);
  });

  it('recognises polling after 3 requests', () => {
    const ch = only(pollingCapture({ url: 'https://api.example/status', intervalMs: 5000, bodies: ['a', 'b', 'c'] }).sorted());
    expect(ch.kind).toBe('polling');
    expect(ch.confidence).toBeGreaterThan(0.5);
  });

  it('recognises fixed-delay polling (period = delay + varying round trip)', () => {
    const b = new CaptureBuilder();
    let t = T0;
    const rtts = [60, 340, 120, 410, 90, 250, 70, 380];
    for (const rtt of rtts) {
      b.http({ at: t, url: 'https://api.example/inbox', durationMs: rtt, body: `{"unread":${rtt}}` });
      t += rtt + 3000;
    }
    const ch = only(b.sorted());
    expect(ch.kind).toBe('polling');
    expect(ch.intervalMs!.median).toBeGreaterThan(3000);
  });

  it('recognises a timer re-armed after each response even when slow responses make the period irregular', () => {
    const b = new CaptureBuilder();
    let t = T0;
    // Start-to-start intervals range from 1.05 s to 2.5 s; the gap after each response is always 1 s.
    for (const rtt of [50, 900, 120, 1500, 80, 1100, 60, 1400]) {
      b.http({ at: t, url: 'https://api.example/jobs/42/status', durationMs: rtt, body: `{"state":"running","rtt":${rtt}}` });
      t += rtt + 1000;
    }
    expect(only(b.sorted()).kind).toBe('polling');
  });

  it('does not read recording pauses as gaps in a polling loop, nor as idle time on a socket', () => {
    const paused = (marks: boolean) => {
      const b = new CaptureBuilder();
      // Polling every 2 s; the user pauses recording three times for 15-30 s.
      const starts = [0, 2000, 22000, 24000, 39000, 41000, 71000, 73000];
      starts.forEach((s, i) => b.http({ at: T0 + s, url: 'https://api.example/feed', body: `{"v":${i}}` }));
      if (marks) for (const [from, to] of [[3000, 21000], [25000, 38000], [42000, 70000]]) b.recording(T0 + from!, false).recording(T0 + to!, true);
      return b.sorted();
    };
    expect(only(paused(false)).kind).toBe('one-off');
    const ch = only(paused(true));
    expect(ch.kind).toBe('polling');
    expect(ch.intervalMs!.median).toBe(2000);

    const ws = (marks: boolean) => {
      const b = new CaptureBuilder();
      const conn = b.wsCreate(T0, 'wss://api.example/live');
      b.wsOpen(T0 + 50, conn);
      for (const s of [1000, 11000, 21000, 90000, 100000]) b.wsMsg(T0 + s, conn, 'in', '{"tick":1}');
      if (marks) b.recording(T0 + 22000, false).recording(T0 + 85000, true);
      return b.sorted();
    };
    expect(only(ws(false)).heartbeat!.maxIdleMs).toBeGreaterThan(60000);
    expect(only(ws(false)).findings.map((f) => f.code)).toContain('idle-gap-over-nat-timeout');
    expect(only(ws(true)).heartbeat!.maxIdleMs).toBeLessThanOrEqual(10000);
    expect(only(ws(true)).findings.map((f) => f.code)).not.toContain('idle-gap-over-nat-timeout');
  });

  it('measures no reconnect delay, message rate or heartbeat interval across a recording pause', () => {
    const withPause = (marks: boolean) => {
      const b = new CaptureBuilder();
      // A socket pinging every 10 s for 200 s; recording paused from 60 s to 128 s.
      const conn = b.wsCreate(T0, 'wss://rt.example/live');
      b.wsOpen(T0 + 20, conn);
      for (let t = 10_000; t < 200_000; t += 10_000) {
        if (t > 60_000 && t < 128_000) continue;
        b.wsMsg(T0 + t, conn, 'out', '{"type":"ping"}').wsMsg(T0 + t + 15, conn, 'in', '{"type":"pong"}');
      }
      b.wsClose(T0 + 200_000, conn, 1006);
      // Failing retries after 1, 2, 4 s; the one after the pause is unmeasured.
      let t = 200_000;
      for (const d of [1000, 2000, 4000]) {
        t += d;
        const c = b.wsCreate(T0 + t, 'wss://rt.example/live');
        b.wsError(T0 + t + 5, c).wsClose(T0 + t + 6, c, 1006);
        t += 6;
      }
      if (marks) b.recording(T0 + t + 100, false).recording(T0 + t + 60_000, true);
      const last = b.wsCreate(T0 + t + 77_000, 'wss://rt.example/live');
      b.wsOpen(T0 + t + 77_020, last);
      if (marks) b.recording(T0 + 60_500, false).recording(T0 + 127_500, true);
      return only(b.sorted());
    };
    const seen = withPause(true);
    expect(seen.reconnects.map((r) => r.delayMs)).toEqual([1000, 2000, 4000]);
    expect(seen.heartbeat!.jitterMs).toBeLessThan(1000);
    const blind = withPause(false);
    expect(blind.reconnects.map((r) => r.delayMs)).toContain(77_000);
    expect(seen.load!.requestsPerSecond).toBeGreaterThan(blind.load!.requestsPerSecond * 1.3);
  });

  it('tolerates a hidden-tab pause in a polling loop', () => {
    const b = new CaptureBuilder();
    const starts = [0, 5000, 10000, 15000, 20000, 25000, 85000, 90000, 95000, 100000];
    starts.forEach((s, i) => b.http({ at: T0 + s, url: 'https://api.example/feed', body: `{"v":${i}}` }));
    expect(only(b.sorted()).kind).toBe('polling');
  });

  it('keeps a user clicking twice, or three times at random, one-off', () => {
    const twice = new CaptureBuilder();
    twice.http({ at: T0, url: 'https://api.example/refresh', body: '[1]' });
    twice.http({ at: T0 + 1800, url: 'https://api.example/refresh', body: '[2]' });
    const a = only(twice.sorted());
    expect(a.kind).toBe('one-off');
    expect(a.evidence).toContain('2 requests');

    const thrice = new CaptureBuilder();
    for (const s of [0, 1200, 8700]) thrice.http({ at: T0 + s, url: 'https://api.example/cart', method: 'POST', body: '{}' });
    expect(only(thrice.sorted()).kind).toBe('one-off');

    const once = new CaptureBuilder();
    once.http({ at: T0, url: 'https://api.example/me', body: '{"id":1}' });
    expect(only(once.sorted())).toMatchObject({ kind: 'one-off', evidence: '1 request' });
  });

  it('recognises long polling: held responses, immediate re-request', () => {
    const b = new CaptureBuilder();
    let t = T0;
    for (const hold of [30_000, 4_200, 30_000, 12_800, 30_000, 30_000]) {
      b.http({ at: t, url: 'https://api.example/subscribe?cursor=c8f1e2a9d0b4', durationMs: hold, body: hold === 30_000 ? '{"events":[]}' : '{"events":[{"id":1}]}' });
      t += hold + 8;
    }
    const ch = only(b.sorted());
    expect(ch.kind).toBe('long-polling');
    expect(ch.evidence).toMatch(/6 requests held a median .* s, re-requested after a median 8 ms/);
    expect(ch.wasted).toBe(4);
  });

  it('calls fast "no change" answers polling, not long polling', () => {
    const b = new CaptureBuilder();
    for (let i = 0; i < 6; i++) b.http({ at: T0 + i * 1000, url: 'https://api.example/poll', durationMs: 30, body: '[]' });
    expect(only(b.sorted()).kind).toBe('polling');
  });

  it('recognises an EventSource as SSE', () => {
    const b = new CaptureBuilder();
    const c = b.esCreate(T0, 'https://api.example/events');
    b.esOpen(T0 + 40, c);
    for (let i = 0; i < 5; i++) b.esMsg(T0 + 1000 + i * 3000, c, `{"n":${i}}`, { id: String(i) });
    const ch = only(b.sorted());
    expect(ch).toMatchObject({ kind: 'sse', transport: 'eventsource', confidence: 1 });
    expect(ch.evidence).toBe('EventSource, 1 connection, 5 events');
    expect(ch.messages.in).toBe(5);
  });

  it('recognises text/event-stream read through fetch as SSE', () => {
    const b = new CaptureBuilder();
    const c = b.http({ at: T0, url: 'https://api.example/v1/chat/completions', method: 'POST', contentType: 'text/event-stream', chunks: [[300, 'data: {"d":"Hel"}\n\n'], [900, 'data: {"d":"lo"}\n\n'], [1500, 'data: [DONE]\n\n']], durationMs: 1600 });
    b.sseFor(T0 + 30, c, 'fetch', 'https://api.example/v1/chat/completions');
    for (const [off, d] of [[300, '{"d":"Hel"}'], [900, '{"d":"lo"}'], [1500, '[DONE]']] as const) b.esMsg(T0 + off, c, d);
    const ch = only(b.sorted());
    expect(ch).toMatchObject({ kind: 'sse', transport: 'fetch' });
    expect(ch.evidence).toContain('text/event-stream read through fetch');
    expect(ch.messages.in).toBe(3);
  });

  it('recognises a WebSocket', () => {
    const b = new CaptureBuilder();
    const c = b.wsCreate(T0, 'wss://live.example/socket');
    b.wsOpen(T0 + 80, c);
    b.wsMsg(T0 + 100, c, 'out', '{"type":"join","room":"general"}');
    b.wsMsg(T0 + 200, c, 'in', '{"type":"joined"}');
    const ch = only(b.sorted());
    expect(ch).toMatchObject({ kind: 'websocket', confidence: 1 });
    expect(ch.evidence).toMatch(/^1 connection, 2 messages \(1 in, 1 out\)/);
  });

  it('recognises a streamed fetch body that is not SSE', () => {
    const b = new CaptureBuilder();
    const chunks: Array<[number, string]> = Array.from({ length: 10 }, (_, i) => [200 + i * 1000, `{"tick":${i}}\n`]);
    b.http({ at: T0, url: 'https://api.example/stream.ndjson', contentType: 'application/x-ndjson', chunks, durationMs: 10_500 });
    const ch = only(b.sorted());
    expect(ch.kind).toBe('streaming');
    expect(ch.evidence).toContain('streamed 10 chunks');
  });

  it('does not call a body delivered in one burst streaming', () => {
    const b = new CaptureBuilder();
    b.http({ at: T0, url: 'https://api.example/big.json', chunks: [[100, 'a'], [110, 'b'], [120, 'c']], durationMs: 130 });
    expect(only(b.sorted()).kind).toBe('one-off');
  });
});
