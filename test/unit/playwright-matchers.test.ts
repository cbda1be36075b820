/**
 * The judging behind realtime-inspector/playwright's matchers (src/playwright/matchers.ts)
 * and its fault options (src/playwright/faults.ts), on reports the core makes of
 * built captures: what passes, what fails, and the words a failure shows.
 */
import { describe, expect, it } from 'vitest';
import { analyzeCapture } from '../../src/core/index.ts';
import type { Report } from '../../src/core/report-types.ts';
import { checkBackoff, checkChannel, checkHeartbeat, checkNoFindings, checkReconnected, checkWaste, failureMessage } from '../../src/playwright/matchers.ts';
import { faultCommand, openConnections, targetConnections } from '../../src/playwright/faults.ts';
import { CaptureBuilder, T0, pollingCapture } from './core-builders.ts';

const WS_URL = 'wss://app.example/socket';

/** A WebSocket with a JSON ping/pong every `everyMs` for a minute. */
function heartbeatReport(everyMs: number): Report {
  const b = new CaptureBuilder();
  b.docStart(T0 - 100, 'https://app.example/', 'App');
  const conn = b.wsCreate(T0, WS_URL);
  b.wsOpen(T0 + 20, conn);
  for (let t = everyMs; t <= 60_000; t += everyMs) {
    b.wsMsg(T0 + t, conn, 'out', JSON.stringify({ type: 'ping', id: t }));
    b.wsMsg(T0 + t + 15, conn, 'in', JSON.stringify({ type: 'pong', id: t }));
  }
  return analyzeCapture(b.sorted(), { until: T0 + 61_000 });
}

/** A WebSocket dropped and retried after `delays` (ms), every attempt refused but the last. */
function reconnectReport(delays: number[]): Report {
  const b = new CaptureBuilder();
  b.docStart(T0 - 100, 'https://app.example/', 'App');
  let conn = b.wsCreate(T0, WS_URL);
  b.wsOpen(T0 + 20, conn);
  let t = T0 + 5_000;
  b.wsClose(t, conn, 1006);
  delays.forEach((delay, i) => {
    t += delay;
    conn = b.wsCreate(t, WS_URL);
    if (i === delays.length - 1) b.wsOpen(t + 20, conn);
    else {
      b.wsError(t + 10, conn);
      b.wsClose(t + 11, conn, 1006);
      t += 11;
    }
  });
  return analyzeCapture(b.sorted(), { until: t + 5_000 });
}

/** Polling every 2 s where the answer never changes. */
function wastefulPollingReport(): Report {
  return analyzeCapture(pollingCapture({ url: 'https://app.example/api/poll', intervalMs: 2000, bodies: Array.from({ length: 20 }, () => '{"v":1}') }).sorted());
}

describe('checkChannel', () => {
  const report = heartbeatReport(10_000);

  it('finds a channel by RegExp or substring, kind and protocol', () => {
    expect(checkChannel(report, { url: /socket$/, kind: 'websocket' }).pass).toBe(true);
    expect(checkChannel(report, { url: 'app.example/socket', kind: 'websocket', protocol: 'json' }).pass).toBe(true);
    expect(checkChannel(report, {}).pass).toBe(true);
  });

  it('says which part did not match', () => {
    expect(checkChannel(report, { url: /socket/, kind: 'sse' })).toEqual({
      pass: false,
      expected: 'a channel with url matching /socket/, kind "sse"',
      received: ['no such channel; the one with that url: kind "websocket", protocol "json"'],
    });
    expect(checkChannel(report, { url: /graphql/ }).received).toEqual(['no channel with url matching /graphql/']);
    expect(checkChannel({ ...report, channels: [] }, { kind: 'sse' }).received).toEqual(['no channel at all']);
  });
});

describe('checkHeartbeat', () => {
  it('passes a 10 s heartbeat at most 30 s and fails it at most 5 s, naming the channel and the interval', () => {
    const report = heartbeatReport(10_000);
    expect(checkHeartbeat(report, { atMost: 30_000 }).pass).toBe(true);
    const fail = checkHeartbeat(report, { atMost: 5_000 });
    expect(fail.pass).toBe(false);
    expect(fail.expected).toBe('heartbeat at most every 5s');
    expect(fail.received).toEqual([`FAIL websocket ${WS_URL}: 10s`]);
  });

  it('fails when no channel is in scope, and says the scope', () => {
    const fail = checkHeartbeat(heartbeatReport(10_000), { atMost: 30_000, url: /graphql/ });
    expect(fail.pass).toBe(false);
    expect(fail.expected).toBe('heartbeat at most every 30s on channels with url matching /graphql/');
    expect(fail.received).toEqual(['no long-lived connection (WebSocket, SSE, stream) was seen with url matching /graphql/']);
  });
});

describe('checkBackoff and checkReconnected', () => {
  // Doubling delays with ±25 % noise from 1 s.
  const report = reconnectReport([1_100, 1_800, 4_500, 7_200, 17_000, 30_500]);

  it('recognises exponential backoff with jitter and refuses a fixed model', () => {
    const exponential = checkBackoff(report, { model: 'exponential', url: /socket/ });
    expect(exponential.pass, exponential.received.join('\n')).toBe(true);
    expect(exponential.received[0]).toMatch(/^ok {3}websocket wss:\/\/app\.example\/socket: exponential/);
    const fixed = checkBackoff(report, { model: 'fixed' });
    expect(fixed.pass).toBe(false);
    expect(fixed.expected).toBe('reconnects with fixed backoff');
    expect(fixed.received[0]).toMatch(/^FAIL websocket .*: exponential/);
  });

  it('needs model or jitter', () => {
    expect(() => checkBackoff(report, {})).toThrow(/model/);
  });

  it('counts reconnects', () => {
    expect(checkReconnected(report, { url: 'socket' }).pass).toBe(true);
    const fail = checkReconnected(report, { atLeast: 50 });
    expect(fail.pass).toBe(false);
    expect(fail.received).toEqual([`FAIL websocket ${WS_URL}: 6 reconnects`]);
    expect(checkReconnected(heartbeatReport(10_000), {}).pass).toBe(false);
  });
});

describe('checkWaste and checkNoFindings', () => {
  const report = wastefulPollingReport();

  it('fails waste at most 20 % on a poll that never changes, with the ratio', () => {
    const fail = checkWaste(report, { atMost: 0.2 });
    expect(fail.pass).toBe(false);
    expect(fail.expected).toBe('waste at most 20%');
    expect(fail.received[0]).toMatch(/^FAIL polling https:\/\/app\.example\/api\/poll: (9\d|100)%$/);
    expect(checkWaste(report, { atMost: 1 }).pass).toBe(true);
    expect(() => checkWaste(report, { atMost: 20 })).toThrow(/0\.2/);
  });

  it('lists the findings at or above the severity', () => {
    const severities = report.channels.flatMap((c) => c.findings.map((f) => f.severity));
    expect(severities).toContain('warning');
    expect(severities).not.toContain('error');
    expect(checkNoFindings(report).pass).toBe(true);
    const fail = checkNoFindings(report, { severity: 'warning' });
    expect(fail.pass).toBe(false);
    expect(fail.expected).toBe('no finding of severity warning or above');
    expect(fail.received.some((line) => line.startsWith('warning polling-waste-high (https://app.example/api/poll): '))).toBe(true);
  });
});

describe('failureMessage', () => {
  it("lays out the call, Expected, Received, Timeout and the channels seen, as Playwright's own do", () => {
    const report = heartbeatReport(10_000);
    const message = failureMessage('toHaveHeartbeat', checkHeartbeat(report, { atMost: 5_000 }), report, { isNot: false, timeoutMs: 5000 });
    expect(message).toBe(
      [
        'expect(rt).toHaveHeartbeat(expected) failed',
        '',
        'Expected: heartbeat at most every 5s',
        `Received: FAIL websocket ${WS_URL}: 10s`,
        'Timeout:  5000ms',
        '',
        'Channels seen (1) on https://app.example/:',
        `  websocket    json        ${WS_URL}`,
      ].join('\n'),
    );
    const negated = failureMessage('toHaveChannel', checkChannel(report, { kind: 'websocket' }), report, { isNot: true, timeoutMs: 100 });
    expect(negated.split('\n').slice(0, 4)).toEqual([
      'expect(rt).not.toHaveChannel(expected) failed',
      '',
      'Expected: not a channel with kind "websocket"',
      `Received: websocket    json        ${WS_URL}`,
    ]);
  });
});

describe('faultCommand', () => {
  it("maps each fault's options to the hooks' command", () => {
    expect(faultCommand('drop', {})).toEqual({ fault: 'drop', conn: null });
    expect(faultCommand('offline', { for: 20_000 })).toEqual({ fault: 'offline', durationMs: 20_000 });
    expect(faultCommand('close', { code: 4001, reason: 'bye', conn: 'd:1' })).toEqual({ fault: 'close', code: 4001, reason: 'bye', conn: 'd:1' });
    expect(faultCommand('stall', { for: 5000 })).toEqual({ fault: 'stall', durationMs: 5000, conn: null });
    expect(faultCommand('latency', { delay: 300 })).toEqual({ fault: 'latency', delayMs: 300, durationMs: 0 });
  });

  it('refuses bad options with the option named', () => {
    expect(() => faultCommand('offline', { for: -1 })).toThrow(/rt\.fault\('offline'\): `for` must be/);
    expect(() => faultCommand('close', { code: 99 })).toThrow(/close code from 1000 to 4999, got 99/);
    expect(() => faultCommand('nope' as 'drop', {})).toThrow(/unknown fault "nope"/);
  });
});

describe('targetConnections', () => {
  const b = new CaptureBuilder();
  const closed = b.wsCreate(T0, 'wss://app.example/socket?attempt=1');
  b.wsOpen(T0 + 10, closed).wsClose(T0 + 1000, closed, 1006);
  const socket = b.wsCreate(T0 + 2000, 'wss://app.example/socket?attempt=2');
  b.wsOpen(T0 + 2010, socket);
  const stream = b.esCreate(T0 + 2100, 'https://app.example/events');
  b.http({ at: T0 + 2200, url: 'https://app.example/api/done' });

  it('names the open connections a URL matches, never one that ended', () => {
    expect(openConnections(b.events).map((c) => c.conn)).toEqual([socket, stream]);
    expect(targetConnections('drop', b.events, /socket/)).toEqual([socket]);
    expect(targetConnections('stall', b.events, 'app.example')).toEqual([socket, stream]);
  });

  it('lists the open ones when none matches', () => {
    expect(() => targetConnections('close', b.events, '/api/done')).toThrow(
      "rt.fault('close'): no open connection with url containing \"/api/done\" (open: wss://app.example/socket?attempt=2, https://app.example/events)",
    );
  });
});
