/**
 * The analysis grows linearly (or n·log n) with the capture on adversarial shapes,
 * not only on the bench's realistic stream (bench/synth.ts): for each shape, the
 * CPU time of analyzeCapture at 4n events over that at n events must stay well
 * under the 16 of a quadratic step (issue 14, item 9: tiny alternating messages
 * took 3.1 s at 25k events and 53 s at 100k). Only growth ratios are checked,
 * never absolute times: the machine is shared and its speed says nothing.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { analyzeCapture } from '../../src/core/index.ts';
import type { CaptureEvent, Payload } from '../../src/core/events.ts';
import { pausedBetween, pausedWithin, type PauseWindow } from '../../src/core/context.ts';
import { indexPauses } from '../../src/core/metrics/pause-index.ts';
import { T0 } from './core-builders.ts';

/**
 * Largest accepted time ratio for 4× the events. n·log n at these sizes gives about 4.6; a
 * larger heap costs the garbage collector a little more. A quadratic step gives 16, and
 * each shape below measured 12 to 24 on the code before its fix (alternating 13, socket.io
 * pings 24, stalls 16, pauses 12), far above this.
 */
const MAX_GROWTH = 8;
/** Rounds at 4n before a ratio above MAX_GROWTH counts: a loaded machine slows one run, not every one. */
const ROUNDS = 3;

const text = (data: string): Payload => ({ size: data.length, encoding: 'text', data, truncated: false });

/** Events with sequence numbers in the order they are made. */
function stream() {
  const events: CaptureEvent[] = [];
  let seq = 0;
  const base = (t: number, doc = 'd1') => ({ seq: ++seq, pseq: seq, t, frameId: 0, doc });
  return { events, base };
}

/** One open WebSocket on `url`; the events after it are the shape's own. */
function socket(url = 'wss://rt.example/ws') {
  const s = stream();
  s.events.push({ ...s.base(T0), type: 'ws.create', conn: 'd1:1', url, protocols: [] });
  s.events.push({ ...s.base(T0 + 5), type: 'ws.open', conn: 'd1:1', protocol: '', extensions: '' });
  return s;
}

function mixedMessages(n: number): CaptureEvent[] {
  const { events, base } = socket();
  let t = T0 + 10;
  for (let i = 0; events.length < n; i++) {
    t += (i * 7919) % 97;
    const data = i % 3 === 0 ? `{"type":"tick","seq":${i},"v":${(i * 31) % 1000}}` : i % 3 === 1 ? `42["msg",{"id":${i}}]` : 'ping';
    events.push({ ...base(t), type: 'ws.message', conn: 'd1:1', dir: i % 5 === 0 ? 'out' : 'in', data: text(data) });
  }
  return events;
}

interface Shape {
  name: string;
  /** Events at the smaller size: large enough for the timing to mean something. */
  n: number;
  make: (n: number) => CaptureEvent[];
}

const SHAPES: Shape[] = [
  {
    // The capture: every message a tiny repeat, directions alternating, so every one is a heartbeat candidate.
    name: 'alternating directions',
    n: 10000,
    make(n) {
      const { events, base } = socket();
      for (let i = 0; events.length < n; i++) events.push({ ...base(T0 + 10 + i * 10), type: 'ws.message', conn: 'd1:1', dir: i % 2 ? 'out' : 'in', data: text(i % 2 ? 'b' : 'a') });
      return events;
    },
  },
  {
    // engine.io's ping "2" and pong "3" (engine.io-client 6.6 lib/socket.ts), known to the decoder: protocol heartbeats both ways.
    name: 'socket.io pings and pongs',
    n: 10000,
    make(n) {
      const { events, base } = socket('wss://rt.example/socket.io/?EIO=4&transport=websocket');
      events.push({ ...base(T0 + 6), type: 'ws.message', conn: 'd1:1', dir: 'in', data: text('0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}') });
      events.push({ ...base(T0 + 7), type: 'ws.message', conn: 'd1:1', dir: 'out', data: text('40') });
      for (let i = 0; events.length < n; i++) events.push({ ...base(T0 + 10 + i * 10), type: 'ws.message', conn: 'd1:1', dir: i % 2 ? 'out' : 'in', data: text(i % 2 ? '3' : '2') });
      return events;
    },
  },
  { name: 'one giant connection', n: 8000, make: mixedMessages },
  {
    name: 'out-of-order times',
    n: 8000,
    make(n) {
      const events = mixedMessages(n);
      // The message times permuted: the capture arrives in no time order at all.
      const times = events.slice(2).map((e) => e.t);
      for (let i = times.length - 1; i > 0; i--) {
        const j = (i * 2654435761) % (i + 1);
        [times[i], times[j]] = [times[j]!, times[i]!];
      }
      events.slice(2).forEach((e, i) => (e.t = times[i]!));
      return events;
    },
  },
  {
    // A reconnect storm: every connection opens and drops at once (the 100k tiny connections of the issue, scaled down).
    name: 'tiny WebSocket connections',
    n: 6000,
    make(n) {
      const { events, base } = stream();
      let t = T0;
      for (let i = 1; events.length < n; i++) {
        const conn = `d1:${i}`;
        events.push({ ...base(t), type: 'ws.create', conn, url: 'wss://rt.example/ws', protocols: [] });
        events.push({ ...base(t + 1), type: 'ws.open', conn, protocol: '', extensions: '' });
        events.push({ ...base(t + 2), type: 'ws.close', conn, code: 1006, reason: '', wasClean: false, initiator: 'server' });
        t += 3 + (i % 7);
      }
      return events;
    },
  },
  {
    name: 'tiny polls',
    n: 6000,
    make(n) {
      const { events, base } = stream();
      for (let i = 1; events.length < n; i++) {
        const conn = `d1:${i}`;
        const t = T0 + i * 100;
        const url = `https://rt.example/poll?_=${i}`;
        const body = i % 4 === 0 ? `{"v":${i}}` : '{"v":0}';
        events.push({ ...base(t), type: 'http.request', conn, transport: 'fetch', method: 'GET', url, headers: [], bodySize: 0 });
        events.push({ ...base(t + 5), type: 'http.response', conn, status: 200, statusText: '', headers: [], url, contentType: 'application/json' });
        events.push({ ...base(t + 10), type: 'http.end', conn, size: body.length, bodyHash: String(i % 4 === 0 ? i : 0), body: text(body) });
      }
      return events;
    },
  },
  {
    name: 'many channels',
    n: 3000,
    make(n) {
      const { events, base } = stream();
      for (let i = 1; events.length < n; i++) {
        const conn = `d1:${i}`;
        const t = T0 + i * 10;
        const url = `https://h${i}.example/api/r${i}`;
        events.push({ ...base(t), type: 'http.request', conn, transport: 'fetch', method: 'GET', url, headers: [], bodySize: 0 });
        events.push({ ...base(t + 5), type: 'http.response', conn, status: 200, statusText: '', headers: [], url, contentType: 'application/json' });
        events.push({ ...base(t + 10), type: 'http.end', conn, size: 2, bodyHash: 'e', body: text('{}') });
      }
      return events;
    },
  },
  {
    // Page-wide stalls (src/content/page/faults.ts) injected while connections come and go.
    name: 'stall faults over many connections',
    n: 8000,
    make(n) {
      const { events, base } = stream();
      for (let i = 1; events.length < n; i++) {
        const conn = `d1:${i}`;
        const t = T0 + i * 10;
        events.push({ ...base(t), type: 'ws.create', conn, url: 'wss://rt.example/ws', protocols: [] });
        events.push({ ...base(t + 1), type: 'ws.open', conn, protocol: '', extensions: '' });
        events.push({ ...base(t + 2), type: 'fault', fault: 'stall', conn: null, params: { durationMs: 5000 }, phase: 'start' });
        events.push({ ...base(t + 3), type: 'ws.message', conn, dir: 'in', data: text('{"a":1}') });
      }
      return events;
    },
  },
  {
    name: 'recording paused between messages',
    n: 10000,
    make(n) {
      const { events, base } = socket();
      let t = T0 + 10;
      while (events.length < n) {
        events.push({ ...base((t += 10)), type: 'ws.message', conn: 'd1:1', dir: 'in', data: text('{"a":1}') });
        events.push({ ...base((t += 10), 'background'), type: 'capture.recording', on: false });
        events.push({ ...base((t += 10), 'background'), type: 'capture.recording', on: true });
      }
      return events;
    },
  },
  {
    name: 'back/forward cache stays between messages',
    n: 10000,
    make(n) {
      const { events, base } = socket();
      let t = T0 + 10;
      while (events.length < n) {
        events.push({ ...base((t += 10)), type: 'ws.message', conn: 'd1:1', dir: 'in', data: text('{"a":1}') });
        events.push({ ...base((t += 10)), type: 'doc.restored', cachedAt: t - 5 });
      }
      return events;
    },
  },
];

/** CPU time of one analysis, ms (CPU, not wall time: another process taking the core does not count). */
function cpuMsOf(events: readonly CaptureEvent[]): number {
  const before = process.cpuUsage();
  analyzeCapture(events);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

/**
 * Time at 4n over time at n. The small size is timed three times and its fastest run kept; the large
 * one until the ratio is within bounds or ROUNDS runs have been made (a noisy run only ever slows).
 */
function growthRatio(shape: Shape): { ratio: number; smallMs: number; largeMs: number } {
  const small = shape.make(shape.n);
  const large = shape.make(4 * shape.n);
  cpuMsOf(small);
  const smallMs = Math.min(cpuMsOf(small), cpuMsOf(small), cpuMsOf(small));
  let largeMs = Number.POSITIVE_INFINITY;
  for (let round = 0; round < ROUNDS; round++) {
    largeMs = Math.min(largeMs, cpuMsOf(large));
    if (largeMs / smallMs <= MAX_GROWTH) break;
  }
  return { ratio: largeMs / smallMs, smallMs, largeMs };
}

describe('analysis scaling on adversarial shapes (node)', () => {
  it('the shapes are what they claim: valid events, sizes as asked', async () => {
    const { explainInvalidEvent } = await import('../../src/core/guard.ts');
    for (const shape of SHAPES) {
      const events = shape.make(shape.n);
      expect(events.length, shape.name).toBeGreaterThanOrEqual(shape.n);
      expect(events.length, shape.name).toBeLessThan(shape.n + 4);
      expect(events.map(explainInvalidEvent).filter((reason) => reason !== null), shape.name).toEqual([]);
    }
  });

  for (const shape of SHAPES) {
    it(`${shape.name}: 4× the events cost at most ${MAX_GROWTH}× the time`, () => {
      const { ratio, smallMs, largeMs } = growthRatio(shape);
      expect(ratio, `${shape.name}: ${smallMs.toFixed(1)} ms at ${shape.n} events, ${largeMs.toFixed(1)} ms at ${4 * shape.n}`).toBeLessThanOrEqual(MAX_GROWTH);
    });
  }
});

describe('large captures (node)', () => {
  it('a heartbeat of 200,000 beats is measured, not a stack overflow', () => {
    // Spreading a group that large as call arguments threw "Maximum call stack size exceeded".
    const { events, base } = socket();
    for (let i = 0; events.length < 200_000; i++) events.push({ ...base(T0 + 10 + i * 1000), type: 'ws.message', conn: 'd1:1', dir: 'in', data: text('x') });
    const channel = analyzeCapture(events).channels[0]!;
    expect(channel.heartbeat).toMatchObject({ intervalMs: 1000, direction: 'server', source: 'pattern' });
  });
});

describe('pause index (node)', () => {
  const windowArb = fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 300 }), fc.boolean()).map(([from, length, open]): PauseWindow => ({ from, to: open ? Number.POSITIVE_INFINITY : from + length }));
  const spanArb = fc.tuple(fc.integer({ min: -50, max: 1400 }), fc.integer({ min: -50, max: 1400 }));

  it('answers as pausedBetween and pausedWithin (context.ts) for any windows, disjoint or overlapping, in any order', () => {
    fc.assert(
      fc.property(fc.array(windowArb, { maxLength: 8 }), fc.array(spanArb, { minLength: 1, maxLength: 20 }), (pauses, spans) => {
        const index = indexPauses(pauses);
        for (const [a, b] of spans) {
          expect(index.between(a, b)).toBe(pausedBetween(pauses, a, b));
          expect(index.within(a, b)).toBe(pausedWithin(pauses, a, b));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('answers exactly at the edges: a span touching a pause is not in it, a zero-length pause inside a span is', () => {
    const index = indexPauses([{ from: 10, to: 20 }, { from: 30, to: 30 }]);
    expect(index.between(0, 10)).toBe(false);
    expect(index.between(20, 25)).toBe(false);
    expect(index.between(19.5, 25)).toBe(true);
    expect(index.between(29, 31)).toBe(true);
    expect(index.within(0, 100)).toBe(10);
    expect(index.within(15, 100)).toBe(5);
  });
});
