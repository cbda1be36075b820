/**
 * Fuzz of the protocol labelling inside the analysis, issue 14 "Also expected":
 * captures whose channels carry hostile real-protocol traffic (test/unit/fuzz-frames.ts:
 * real frames cut, spliced, given hostile values, split across messages,
 * reordered, duplicated, turned around), analysed at once and live, in batches
 * with a report after each, as the panel does. The labeller keeps state across
 * reports (the detected protocol, and per connection the MQTT/STOMP reassembly,
 * src/core/protocol-support.ts); on any order of any messages it must not throw,
 * and the live report must equal the one-shot report. Also: the timings a
 * hostile handshake announces never reach the caller as a negative, zero or
 * infinite interval.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CaptureEvent } from '../../src/core/events.ts';
import { isCaptureEvent } from '../../src/core/guard.ts';
import { Analyzer, analyzeCapture, renderHtmlReport } from '../../src/core/index.ts';
import { channelTimings, PROTOCOL_DECODERS } from '../../src/core/protocols/index.ts';
import { textPayload } from '../../src/core/protocols/util.ts';
import { T0 } from './core-builders.ts';
import { hostileChannel, type SeedChannel } from './fuzz-frames.ts';
import { fuzz } from './fuzz-runs.ts';

/** The events of one channel of the capture, from `start`, its frames `gaps` ms apart. */
function channelEvents(c: SeedChannel, index: number, start: number, gaps: readonly number[], closes: boolean): CaptureEvent[] {
  const doc = 'd';
  const out: CaptureEvent[] = [];
  const at = (t: number, conn: string) => ({ seq: 0, pseq: 0, t, frameId: 0, doc, conn });
  let t = start;
  const next = (i: number) => (t += gaps[i % Math.max(1, gaps.length)] ?? 0);
  if (c.transport === 'websocket') {
    const conn = `${doc}:${index}`;
    out.push({ ...at(t, conn), type: 'ws.create', url: c.url, protocols: c.requestedProtocols });
    out.push({ ...at(t, conn), type: 'ws.open', protocol: c.negotiatedProtocol, extensions: '' });
    c.frames.forEach((f, i) => out.push({ ...at(next(i), conn), type: 'ws.message', dir: f.dir, data: f.data }));
    if (closes) out.push({ ...at(next(0), conn), type: 'ws.close', code: 1006, reason: '', wasClean: false, initiator: 'server' });
    return out;
  }
  // Polling transports: what the client sends is a POST, what it receives the body of a GET.
  c.frames.forEach((f, i) => {
    const conn = `${doc}:${index}.${i}`;
    const t0 = next(i);
    const post = f.dir === 'out';
    out.push({ ...at(t0, conn), type: 'http.request', transport: 'xhr', method: post ? 'POST' : 'GET', url: c.url, headers: [], bodySize: post ? f.data.size : 0 });
    out.push({ ...at(t0 + 1, conn), type: 'http.response', status: 200, statusText: 'OK', headers: [], url: c.url, contentType: 'text/plain' });
    out.push({ ...at(t0 + 2, conn), type: 'http.end', size: post ? 2 : f.data.size, bodyHash: null, body: post ? textPayload('ok') : f.data });
  });
  return out;
}

/** A capture of one to three hostile channels, numbered in time order (as the relay numbers a page's events). */
const hostileCapture = fc
  .record({
    channels: fc.array(hostileChannel, { minLength: 1, maxLength: 3 }),
    gaps: fc.array(fc.oneof(fc.constantFrom(0, 1, 25, 1000, 25_000), fc.nat(60_000)), { minLength: 1, maxLength: 8 }),
    closes: fc.boolean(),
  })
  .map(({ channels, gaps, closes }) => {
    const events = channels.flatMap((c, i) => channelEvents(c, i, T0 + i * 10, gaps, closes)).sort((a, b) => a.t - b.t);
    events.forEach((e, i) => Object.assign(e, { seq: i + 1, pseq: i + 1 }));
    return events;
  });

/** Consecutive batches of `events`, cut at fractions of its length. */
function batches(events: readonly CaptureEvent[], cuts: readonly number[]): CaptureEvent[][] {
  const points = [...new Set(cuts.map((c) => Math.floor(c * events.length)))].sort((a, b) => a - b);
  const out: CaptureEvent[][] = [];
  let from = 0;
  for (const p of [...points, events.length]) {
    out.push(events.slice(from, p));
    from = p;
  }
  return out;
}

describe('protocol labelling in the analysis, on hostile traffic (node)', () => {
  it('the generated captures pass the guard (so the analysis may take them as they are)', () => {
    fc.assert(
      fc.property(hostileCapture, (events) => {
        for (const e of events) expect(isCaptureEvent(e)).toBe(true);
      }),
      fuzz(50),
    );
  });

  it('analysed live, in batches with a report after each, the report equals the one-shot report; the HTML report renders', () => {
    fc.assert(
      fc.property(hostileCapture, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }), (events, cuts) => {
        const whole = analyzeCapture(events);
        const live = new Analyzer();
        for (const batch of batches(events, cuts)) {
          live.ingest(batch);
          live.report();
        }
        expect(live.report()).toEqual(whole);
        expect(renderHtmlReport(whole)).toContain('</html>');
      }),
      fuzz(120),
    );
  });

  it('one event at a time (every split packet crosses a report)', () => {
    fc.assert(
      fc.property(hostileCapture, (events) => {
        const live = new Analyzer();
        for (const e of events) {
          live.ingest([e]);
          live.report();
        }
        expect(live.report()).toEqual(analyzeCapture(events));
      }),
      fuzz(20),
    );
  });
});

describe('negotiated timings from hostile handshakes (node)', () => {
  /** Handshakes that announce timings, with the numbers any value a peer could write. */
  const number = fc.oneof(fc.constantFrom(-1, 0, 1e-9, 1e308, -1e308, 2 ** 53, 0.5), fc.integer(), fc.double({ noNaN: true }));
  const handshake = fc.oneof(
    fc.tuple(number, number).map(([interval, timeout]) => ({ id: 'engine.io', dir: 'in' as const, text: `0${JSON.stringify({ sid: 'a', upgrades: [], pingInterval: interval, pingTimeout: timeout, maxPayload: 1e6 })}` })),
    fc.tuple(number, number).map(([interval, timeout]) => ({ id: 'socket.io', dir: 'in' as const, text: `0${JSON.stringify({ sid: 'a', upgrades: [], pingInterval: interval, pingTimeout: timeout })}` })),
    number.map((s) => ({ id: 'pusher', dir: 'in' as const, text: JSON.stringify({ event: 'pusher:connection_established', data: JSON.stringify({ socket_id: '1.2', activity_timeout: s }) }) })),
    number.map((s) => ({ id: 'centrifugo', dir: 'in' as const, text: JSON.stringify({ id: 1, connect: { client: 'c', ping: s, pong: true } }) })),
  );
  const stompBeat = fc.oneof(number.map(String), fc.constantFrom('', 'x', '1e400', '-0', ' 5 '));

  it('found by the fuzz: an engine.io open packet announcing pingTimeout -1 leaves the library defaults', () => {
    const open = textPayload('0{"sid":"a","upgrades":[],"pingInterval":-1,"pingTimeout":-1,"maxPayload":1000000}');
    for (const id of ['engine.io', 'socket.io']) expect(channelTimings(id, [{ dir: 'in', data: open }])).toEqual(PROTOCOL_DECODERS.find((d) => d.id === id)!.timings);
    const stomp = channelTimings('stomp', [
      { dir: 'out', data: textPayload('CONNECT\naccept-version:1.2\nheart-beat:-5,-5\n\n\0') },
      { dir: 'in', data: textPayload('CONNECTED\nversion:1.2\nheart-beat:-5,-5\n\n\0') },
    ]);
    expect(stomp?.timeoutMs === undefined || stomp.timeoutMs > 0).toBe(true);
  });

  it('every heartbeat and timeout channelTimings gives is a positive, finite number of ms (or absent)', () => {
    const expectSane = (id: string, frames: Array<{ dir: 'in' | 'out'; data: ReturnType<typeof textPayload> }>) => {
      const t = channelTimings(id, frames);
      for (const ms of [t?.heartbeatMs, t?.timeoutMs]) if (ms !== undefined) expect(Number.isFinite(ms) && ms > 0, `${id}: ${ms}`).toBe(true);
    };
    fc.assert(
      fc.property(handshake, fc.tuple(stompBeat, stompBeat, stompBeat, stompBeat), (h, [cx, cy, sx, sy]) => {
        expectSane(h.id, [{ dir: h.dir, data: textPayload(h.text) }]);
        expectSane('stomp', [
          { dir: 'out', data: textPayload(`CONNECT\naccept-version:1.2\nheart-beat:${cx},${cy}\n\n\0`) },
          { dir: 'in', data: textPayload(`CONNECTED\nversion:1.2\nheart-beat:${sx},${sy}\n\n\0`) },
        ]);
        for (const decoder of PROTOCOL_DECODERS) expectSane(decoder.id, [{ dir: h.dir, data: textPayload(h.text) }]);
      }),
      fuzz(400),
    );
  });
});
