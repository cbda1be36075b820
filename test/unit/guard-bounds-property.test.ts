/**
 * Whatever the guard accepts, the tool works with: a fast-check property over
 * captures built from every event type with numbers anywhere in their bounds,
 * their edges most of all (issue 14, item 8: one event with t = -1e16, which the
 * guard let through, made `analyze` crash with a RangeError and blocked the HAR
 * and HTML exports). analyzeCapture, the HAR export, the HTML report and the
 * `analyze` command must finish without throwing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { analyzeCommand } from '../../src/cli/analyze.ts';
import type { CaptureEvent, Payload } from '../../src/core/events.ts';
import { eventsToHar, serializeCaptureFile } from '../../src/core/formats/index.ts';
import { BOUNDS, explainInvalidEvent } from '../../src/core/guard.ts';
import { analyzeCapture, renderHtmlReport } from '../../src/core/index.ts';
import { T0 } from './core-builders.ts';

type Bound = (typeof BOUNDS)[keyof typeof BOUNDS];

/** A number within the bound, at or next to its edges half of the time. */
function inBound(b: Bound, typical?: fc.Arbitrary<number>): fc.Arbitrary<number> {
  const step = b.integer ? 1 : 0.5;
  const edges = fc.constantFrom(b.min, b.max, Math.min(b.max, b.min + step), Math.max(b.min, b.max - step));
  const any = b.integer ? fc.integer({ min: Math.max(b.min, Number.MIN_SAFE_INTEGER), max: b.max }) : fc.double({ min: b.min, max: b.max, noNaN: true });
  return fc.oneof(edges, any, ...(typical ? [typical, typical] : []));
}

/** Times: mostly a realistic session, sometimes anywhere in the bound (1970, the year 9999, in between). */
const time = inBound(BOUNDS.time, fc.integer({ min: 0, max: 600_000 }).map((ms) => T0 + ms));
const bytes = inBound(BOUNDS.bytes, fc.integer({ min: 0, max: 2000 }));
const seq = inBound(BOUNDS.seq, fc.integer({ min: 0, max: 500 }));
const frameId = inBound(BOUNDS.frameId, fc.constantFrom(0, 1, -1));
// The connections lifecycleEvents makes ('d:<lifecycle>.<attempt>'), and one of another document.
const conn = fc.constantFrom('d:0.0', 'd:0.1', 'd:1.0', 'd:2.0', 'e:1');
const doc = fc.constantFrom('d', 'e', 'background');
const url = fc.constantFrom(
  'wss://rt.example/socket.io/?EIO=4&transport=websocket&sid=abc',
  'https://rt.example/socket.io/?EIO=4&transport=polling&t=1',
  'https://rt.example/poll?_=1',
  'wss://rt.example/ws',
  'https://rt.example/sse',
  'not a url',
  '',
);
/** Payload text the protocol decoders read, and text that fits none. */
const frameText = fc.oneof(
  fc.constantFrom('2', '3', '40', '42["chat","hi"]', '0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000}', '{"type":"ping"}', '{"type":"connection_ack"}', 'h', '', '{"items":[]}', '{"ts":1700000000}'),
  fc.string({ maxLength: 40 }),
);
const payload: fc.Arbitrary<Payload> = fc.record({
  size: bytes,
  encoding: fc.constantFrom('text' as const, 'binary' as const),
  data: frameText,
  truncated: fc.boolean(),
});
const header = fc.tuple(fc.constantFrom('content-type', 'retry-after', 'authorization', 'x'), fc.constantFrom('text/event-stream', '5', '1e400', 'Bearer t', ''));
const faultMs = inBound(BOUNDS.faultMs, fc.integer({ min: 0, max: 30_000 }));

const baseArb = fc.record({ seq, pseq: seq, t: time, frameId, doc });
const connArb = fc.record({ seq, pseq: seq, t: time, frameId, doc, conn });

/** One event of each type, its numbers anywhere in their bounds. */
const eventArb: fc.Arbitrary<CaptureEvent> = fc.oneof(
  fc.record({ type: fc.constant('doc.start' as const), b: baseArb, url, title: fc.string({ maxLength: 8 }), top: fc.boolean(), parentDoc: fc.option(doc) }).map(({ b, ...e }) => ({ ...b, ...e })),
  fc.record({ type: fc.constant('doc.restored' as const), b: baseArb, cachedAt: time }).map(({ b, ...e }) => ({ ...b, ...e })),
  fc
    .record({ type: fc.constant('http.request' as const), b: connArb, transport: fc.constantFrom('fetch' as const, 'xhr' as const), method: fc.constantFrom('GET', 'POST'), url, headers: fc.array(header, { maxLength: 2 }), bodySize: fc.option(bytes) })
    .map(({ b, ...e }) => ({ ...b, ...e })),
  fc
    .record({ type: fc.constant('http.response' as const), b: connArb, status: inBound(BOUNDS.httpStatus, fc.constantFrom(200, 204, 304, 429, 503)), statusText: fc.constant(''), headers: fc.array(header, { maxLength: 2 }), url, contentType: fc.constantFrom('application/json', 'text/event-stream', 'text/plain', '') })
    .map(({ b, ...e }) => ({ ...b, ...e })),
  fc.record({ type: fc.constant('http.chunk' as const), b: connArb, size: bytes, preview: frameText }).map(({ b, ...e }) => ({ ...b, ...e })),
  fc.record({ type: fc.constant('http.end' as const), b: connArb, size: bytes, bodyHash: fc.option(fc.constantFrom('a1b2c3d4', 'x')), body: fc.option(payload) }).map(({ b, ...e }) => ({ ...b, ...e })),
  fc.record({ type: fc.constant('http.error' as const), b: connArb, reason: fc.constantFrom('abort' as const, 'network' as const, 'timeout' as const), message: fc.constant('Failed to fetch') }).map(({ b, ...e }) => ({ ...b, ...e })),
  fc.record({ type: fc.constant('sse.create' as const), b: connArb, transport: fc.constantFrom('eventsource' as const, 'fetch' as const, 'xhr' as const), url, withCredentials: fc.boolean() }).map(({ b, ...e }) => ({ ...b, ...e })),
  fc.record({ type: fc.constant('sse.open' as const), b: connArb }).map(({ b, ...e }) => ({ ...b, ...e })),
  fc
    .record({ type: fc.constant('sse.message' as const), b: connArb, event: fc.constantFrom('message', 'heartbeat'), data: payload, id: fc.option(fc.constantFrom('1', '2')), lastEventId: fc.constantFrom('', '1'), retry: fc.option(inBound(BOUNDS.retryMs, fc.integer({ min: 0, max: 10_000 }))) })
    .map(({ b, ...e }) => ({ ...b, ...e })),
  fc.record({ type: fc.constant('sse.comment' as const), b: connArb, text: fc.constantFrom('', 'keep-alive') }).map(({ b, ...e }) => ({ ...b, ...e })),
  fc.record({ type: fc.constant('sse.error' as const), b: connArb, readyState: inBound(BOUNDS.readyState) }).map(({ b, ...e }) => ({ ...b, ...e })),
  fc.record({ type: fc.constant('sse.close' as const), b: connArb }).map(({ b, ...e }) => ({ ...b, ...e })),
  fc.record({ type: fc.constant('ws.create' as const), b: connArb, url, protocols: fc.array(fc.constantFrom('graphql-transport-ws', 'v12.stomp'), { maxLength: 2 }) }).map(({ b, ...e }) => ({ ...b, ...e })),
  fc.record({ type: fc.constant('ws.open' as const), b: connArb, protocol: fc.constantFrom('', 'graphql-transport-ws'), extensions: fc.constant('') }).map(({ b, ...e }) => ({ ...b, ...e })),
  fc.record({ type: fc.constant('ws.message' as const), b: connArb, dir: fc.constantFrom('in' as const, 'out' as const), data: payload }).map(({ b, ...e }) => ({ ...b, ...e })),
  fc
    .record({ type: fc.constant('ws.close' as const), b: connArb, code: inBound(BOUNDS.closeCode, fc.constantFrom(1000, 1001, 1006, 1008, 4401)), reason: fc.constantFrom('', 'bye'), wasClean: fc.boolean(), initiator: fc.constantFrom('client' as const, 'server' as const) })
    .map(({ b, ...e }) => ({ ...b, ...e })),
  fc.record({ type: fc.constant('ws.error' as const), b: connArb }).map(({ b, ...e }) => ({ ...b, ...e })),
  fc.record({ type: fc.constant('ws.buffered' as const), b: connArb, bufferedAmount: bytes }).map(({ b, ...e }) => ({ ...b, ...e })),
  fc
    .record({
      type: fc.constant('fault' as const),
      b: baseArb,
      fault: fc.constantFrom('drop' as const, 'offline' as const, 'close' as const, 'stall' as const, 'latency' as const),
      conn: fc.option(conn),
      params: fc.oneof(fc.record({ durationMs: faultMs }), fc.record({ delayMs: faultMs, durationMs: faultMs }), fc.record({ code: inBound(BOUNDS.closeCode), reason: fc.constant('x') }), fc.record({ other: inBound(BOUNDS.faultNumber) })),
      phase: fc.constantFrom('start' as const, 'end' as const, 'instant' as const),
    })
    .map(({ b, ...e }) => ({ ...b, ...e })),
  fc.record({ type: fc.constant('capture.dropped' as const), b: baseArb, count: inBound(BOUNDS.count), where: fc.constantFrom('page' as const, 'relay' as const, 'background' as const) }).map(({ b, ...e }) => ({ ...b, ...e })),
  fc.record({ type: fc.constant('capture.recording' as const), b: baseArb, on: fc.boolean() }).map(({ b, ...e }) => ({ ...b, ...e })),
  fc.record({ type: fc.constant('hook.error' as const), b: baseArb, hook: fc.constant('fetch'), message: fc.constant('x') }).map(({ b, ...e }) => ({ ...b, ...e })),
);

/** How one connection or polling loop of a capture behaves; its times are offsets from the capture's start. */
const lifecycleArb = fc.record({
  kind: fc.constantFrom('ws' as const, 'sse' as const, 'poll' as const, 'stream' as const),
  url,
  /** Connections (or requests) made one after another: reconnects, polls. */
  attempts: fc.integer({ min: 1, max: 6 }),
  /** Time between attempts: timers, backoff delays, and spans as long as the bound allows. */
  gapMs: fc.oneof(fc.constantFrom(0, 25, 1000, 2000, 25_000, 3_600_000), inBound(BOUNDS.time)),
  opens: fc.boolean(),
  messages: fc.array(fc.tuple(fc.oneof(fc.integer({ min: 0, max: 60_000 }), inBound(BOUNDS.time)), fc.boolean(), payload), { maxLength: 8 }),
  status: inBound(BOUNDS.httpStatus, fc.constantFrom(200, 200, 204, 304, 503)),
  closeCode: fc.option(inBound(BOUNDS.closeCode, fc.constantFrom(1000, 1006, 1008, 4401))),
  retry: fc.option(inBound(BOUNDS.retryMs, fc.integer({ min: 0, max: 10_000 }))),
});

/** The events of a lifecycle from `start`, every time kept within the bound (a span may run into its end). */
function lifecycleEvents(spec: LifecycleSpec, index: number, start: number, doc: string): CaptureEvent[] {
  const at = (offset: number) => Math.min(BOUNDS.time.max, start + offset);
  const out: CaptureEvent[] = [];
  let pseq = 0;
  const base = (t: number, c: string) => ({ seq: 0, pseq: ++pseq, t, frameId: 0, doc, conn: c });
  for (let attempt = 0; attempt < spec.attempts; attempt++) {
    const c = `${doc}:${index}.${attempt}`;
    const t0 = at(attempt * spec.gapMs);
    const end = at(attempt * spec.gapMs + 1 + spec.messages.reduce((m, [offset]) => Math.max(m, Math.min(offset, 600_000)), 0));
    if (spec.kind === 'ws') {
      out.push({ ...base(t0, c), type: 'ws.create', url: spec.url, protocols: [] });
      if (spec.opens) out.push({ ...base(t0, c), type: 'ws.open', protocol: '', extensions: '' });
      for (const [offset, inbound, data] of spec.messages) out.push({ ...base(at(attempt * spec.gapMs + offset), c), type: 'ws.message', dir: inbound ? 'in' : 'out', data });
      if (spec.closeCode !== null) out.push({ ...base(end, c), type: 'ws.close', code: spec.closeCode, reason: '', wasClean: spec.closeCode === 1000, initiator: 'server' });
    } else if (spec.kind === 'sse') {
      out.push({ ...base(t0, c), type: 'sse.create', transport: 'eventsource', url: spec.url, withCredentials: false });
      if (spec.opens) out.push({ ...base(t0, c), type: 'sse.open' });
      for (const [offset, , data] of spec.messages) out.push({ ...base(at(attempt * spec.gapMs + offset), c), type: 'sse.message', event: 'message', data, id: String(offset), lastEventId: String(offset), retry: spec.retry });
      out.push({ ...base(end, c), type: 'sse.error', readyState: spec.closeCode === null ? 0 : 2 });
    } else {
      out.push({ ...base(t0, c), type: 'http.request', transport: 'fetch', method: 'GET', url: spec.url, headers: [], bodySize: 0 });
      out.push({ ...base(t0, c), type: 'http.response', status: spec.status, statusText: '', headers: [], url: spec.url, contentType: spec.kind === 'stream' ? 'application/x-ndjson' : 'application/json' });
      if (spec.kind === 'stream') for (const [offset, , data] of spec.messages) out.push({ ...base(at(attempt * spec.gapMs + offset), c), type: 'http.chunk', size: data.size, preview: data.data });
      const body = spec.messages[0]?.[2] ?? null;
      out.push({ ...base(end, c), type: 'http.end', size: body?.size ?? 0, bodyHash: body === null ? null : body.data, body });
    }
  }
  return out;
}

type LifecycleSpec = typeof lifecycleArb extends fc.Arbitrary<infer T> ? T : never;

/**
 * A capture: connections that live, reconnect and poll, starting anywhere in the time bound, with
 * events of every type and any values within bounds among them, in time order or in none.
 */
const captureArb = fc
  .record({
    start: fc.oneof(fc.constant(T0), inBound(BOUNDS.time)),
    lifecycles: fc.array(lifecycleArb, { maxLength: 4 }),
    loose: fc.array(eventArb, { maxLength: 12 }),
    sortByTime: fc.boolean(),
  })
  .map(({ start, lifecycles, loose, sortByTime }) => {
    const events = [...lifecycles.flatMap((spec, i) => lifecycleEvents(spec, i, start, 'd')), ...loose];
    return sortByTime ? events.sort((a, b) => a.t - b.t) : events;
  })
  .filter((events) => events.length > 0);

const page = { url: 'https://app.example/', title: 'App' };
const dir = mkdtempSync(join(tmpdir(), 'ri-guard-bounds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('whatever the guard accepts, the tool handles (node)', () => {
  it('the generated events are all accepted by the guard', () => {
    fc.assert(
      fc.property(eventArb, (e) => {
        expect(explainInvalidEvent(e)).toBeNull();
      }),
      { numRuns: 3000 },
    );
  });

  it('analyzeCapture, the HAR export and the HTML report never throw', () => {
    fc.assert(
      fc.property(captureArb, (events) => {
        const report = analyzeCapture(events);
        expect(renderHtmlReport(report)).toContain('</html>');
        JSON.stringify(eventsToHar(events, page, { redact: false }));
        JSON.stringify(eventsToHar(events, page));
      }),
      { numRuns: 1500 },
    );
  });

  it('the analyze command reads any such capture and exits 0, writing its summary, JSON and HTML', async () => {
    const out: string[] = [];
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
    try {
      await fc.assert(
        fc.asyncProperty(captureArb, fc.boolean(), async (events, json) => {
          const file = join(dir, 'capture.json');
          writeFileSync(file, serializeCaptureFile(events, page, { redact: false }));
          out.length = 0;
          const code = await analyzeCommand([file, '--html', join(dir, 'report.html'), ...(json ? ['--json'] : [])]);
          expect(code, out.join('')).toBe(0);
        }),
        { numRuns: 150 },
      );
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
  });
});
