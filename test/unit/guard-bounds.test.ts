/**
 * Every number the guard lets through lies in what a browser can produce
 * (src/core/guard.ts BOUNDS, each with its source), and a number outside its
 * bound is named: event type, seq, field, value and the bound. A capture file
 * or HAR with such an event loses that event only, and says which.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CaptureEvent, CaptureEventType } from '../../src/core/events.ts';
import { describeSkipped, eventsToHar, importCaptureOrHar, importHar, parseCaptureFile, serializeCaptureFile, type Har } from '../../src/core/formats/index.ts';
import { BOUNDS, explainInvalidEvent, isCaptureEvent, MAX_EPOCH_MS } from '../../src/core/guard.ts';
import { CaptureBuilder, T0 } from './core-builders.ts';
import { runCli } from '../support/cli.ts';

type Bound = (typeof BOUNDS)[keyof typeof BOUNDS];

const ids = { seq: 7, pseq: 7, t: T0, frameId: 0, doc: 'd1' };
const text = { size: 2, encoding: 'text', data: 'hi', truncated: false };

/** A valid event of each type. */
const VALID: Record<CaptureEventType, Record<string, unknown>> = {
  'doc.start': { ...ids, type: 'doc.start', url: 'https://a.example/', title: 'A', top: true, parentDoc: null },
  'doc.restored': { ...ids, type: 'doc.restored', cachedAt: T0 - 1000 },
  'doc.resumed': { ...ids, type: 'doc.resumed', frozenAt: T0 - 1000 },
  'doc.end': { ...ids, type: 'doc.end' },
  'page.network': { ...ids, type: 'page.network', online: false },
  'http.request': { ...ids, conn: 'd1:1', type: 'http.request', transport: 'fetch', method: 'GET', url: 'https://a.example/x', headers: [], bodySize: 0 },
  'http.response': { ...ids, conn: 'd1:1', type: 'http.response', status: 200, statusText: 'OK', headers: [], url: 'https://a.example/x', contentType: 'application/json' },
  'http.chunk': { ...ids, conn: 'd1:1', type: 'http.chunk', size: 2, preview: 'hi' },
  'http.end': { ...ids, conn: 'd1:1', type: 'http.end', size: 2, bodyHash: null, body: text },
  'http.timing': { ...ids, conn: 'd1:1', type: 'http.timing', blockedMs: 2500.5, protocol: 'http/1.1' },
  'http.error': { ...ids, conn: 'd1:1', type: 'http.error', reason: 'network', message: 'Failed to fetch' },
  'sse.create': { ...ids, conn: 'd1:2', type: 'sse.create', transport: 'eventsource', url: 'https://a.example/sse', withCredentials: false },
  'sse.open': { ...ids, conn: 'd1:2', type: 'sse.open' },
  'sse.message': { ...ids, conn: 'd1:2', type: 'sse.message', event: 'message', data: text, id: null, lastEventId: '', retry: 3000 },
  'sse.comment': { ...ids, conn: 'd1:2', type: 'sse.comment', text: 'ka' },
  'sse.error': { ...ids, conn: 'd1:2', type: 'sse.error', readyState: 0 },
  'sse.close': { ...ids, conn: 'd1:2', type: 'sse.close' },
  'ws.create': { ...ids, conn: 'd1:3', type: 'ws.create', url: 'wss://a.example/ws', protocols: [] },
  'ws.open': { ...ids, conn: 'd1:3', type: 'ws.open', protocol: '', extensions: '' },
  'ws.message': { ...ids, conn: 'd1:3', type: 'ws.message', dir: 'in', data: text },
  'ws.close': { ...ids, conn: 'd1:3', type: 'ws.close', code: 1006, reason: '', wasClean: false, initiator: 'server' },
  'ws.error': { ...ids, conn: 'd1:3', type: 'ws.error' },
  'ws.buffered': { ...ids, conn: 'd1:3', type: 'ws.buffered', bufferedAmount: 65536 },
  'wt.create': { ...ids, conn: 'd1:4', type: 'wt.create', url: 'https://a.example/wt' },
  'wt.ready': { ...ids, conn: 'd1:4', type: 'wt.ready', protocol: '' },
  'wt.close': { ...ids, conn: 'd1:4', type: 'wt.close', code: 0, reason: '', initiator: 'client' },
  'wt.error': { ...ids, conn: 'd1:4', type: 'wt.error', name: 'WebTransportError', message: 'Opening handshake failed.', source: 'session' },
  'wt.stream': { ...ids, conn: 'd1:4', type: 'wt.stream', stream: 1, bidi: true, initiator: 'client' },
  'wt.data': { ...ids, conn: 'd1:4', type: 'wt.data', stream: 1, dir: 'out', data: text },
  'wt.stream.end': { ...ids, conn: 'd1:4', type: 'wt.stream.end', stream: 1, dir: 'out', how: 'end', message: '' },
  'wt.datagram': { ...ids, conn: 'd1:4', type: 'wt.datagram', dir: 'in', data: text },
  fault: { ...ids, type: 'fault', fault: 'stall', conn: null, params: { durationMs: 5000 }, phase: 'start' },
  'capture.dropped': { ...ids, type: 'capture.dropped', count: 3, where: 'relay' },
  'capture.recording': { ...ids, doc: 'background', type: 'capture.recording', on: false },
  'hook.error': { ...ids, type: 'hook.error', hook: 'fetch', message: 'x' },
};

/** The event with `path` ("field" or "field.inner") set to `value`. */
function withValue(event: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const [field, inner] = path.split('.') as [string, string | undefined];
  if (inner === undefined) return { ...event, [field]: value };
  return { ...event, [field]: { ...(event[field] as Record<string, unknown>), [inner]: value } };
}

/** Every bounded number: the event type, the field's path and its bound. */
const BOUNDED: Array<[CaptureEventType, string, Bound]> = [
  ...(Object.keys(VALID) as CaptureEventType[]).flatMap((type): Array<[CaptureEventType, string, Bound]> => [
    [type, 't', BOUNDS.time],
    [type, 'seq', BOUNDS.seq],
    [type, 'pseq', BOUNDS.seq],
    [type, 'frameId', BOUNDS.frameId],
  ]),
  ['doc.restored', 'cachedAt', BOUNDS.time],
  ['doc.resumed', 'frozenAt', BOUNDS.time],
  ['http.request', 'bodySize', BOUNDS.bytes],
  ['http.response', 'status', BOUNDS.httpStatus],
  ['http.chunk', 'size', BOUNDS.bytes],
  ['http.end', 'size', BOUNDS.bytes],
  ['http.end', 'body.size', BOUNDS.bytes],
  ['http.timing', 'blockedMs', BOUNDS.durationMs],
  ['sse.message', 'data.size', BOUNDS.bytes],
  ['sse.message', 'retry', BOUNDS.retryMs],
  ['sse.error', 'readyState', BOUNDS.readyState],
  ['ws.message', 'data.size', BOUNDS.bytes],
  ['ws.close', 'code', BOUNDS.closeCode],
  ['ws.buffered', 'bufferedAmount', BOUNDS.bytes],
  ['wt.close', 'code', BOUNDS.wtCloseCode],
  ['wt.stream', 'stream', BOUNDS.wtStream],
  ['wt.data', 'stream', BOUNDS.wtStream],
  ['wt.data', 'data.size', BOUNDS.bytes],
  ['wt.stream.end', 'stream', BOUNDS.wtStream],
  ['wt.datagram', 'data.size', BOUNDS.bytes],
  ['fault', 'params.durationMs', BOUNDS.faultMs],
  ['fault', 'params.delayMs', BOUNDS.faultMs],
  ['fault', 'params.code', BOUNDS.closeCode],
  ['fault', 'params.factor', BOUNDS.faultNumber],
  ['capture.dropped', 'count', BOUNDS.count],
];

describe('guard bounds (node)', () => {
  it('the valid example of each type passes', () => {
    for (const [type, event] of Object.entries(VALID)) expect(explainInvalidEvent(event), type).toBeNull();
  });

  for (const [type, path, bound] of BOUNDED) {
    it(`${type} "${path}": ${bound.what}`, () => {
      const event = VALID[type];
      expect(explainInvalidEvent(withValue(event, path, bound.min))).toBeNull();
      expect(explainInvalidEvent(withValue(event, path, bound.max))).toBeNull();
      const step = bound.integer ? 1 : 0.5;
      // 2^53 + 1 is not a double: one past 2^53 - 1 is 2^53 itself.
      for (const outside of [bound.min - step, bound.max + step, -1e16, 1e300, Number.POSITIVE_INFINITY, Number.NaN]) {
        if (outside >= bound.min && outside <= bound.max) continue;
        const reason = explainInvalidEvent(withValue(event, path, outside));
        expect(reason, `${path} = ${outside}`).toBe(`${type}${path === 'seq' ? '' : ' (seq 7)'}: bad field "${path}": ${String(outside)} is not ${bound.what}`);
      }
      if (bound.integer) expect(explainInvalidEvent(withValue(event, path, bound.min + 0.5))).toMatch(`bad field "${path}": ${bound.min + 0.5} is not`);
    });
  }

  it('the sources: epoch ms up to the year 9999, HTTP status 0-999, close codes 1000-4999, readyState 0-2, fault durations up to an hour', () => {
    expect(new Date(MAX_EPOCH_MS).toISOString()).toBe('9999-12-31T23:59:59.999Z');
    expect([BOUNDS.time.min, BOUNDS.httpStatus.min, BOUNDS.httpStatus.max, BOUNDS.closeCode.min, BOUNDS.closeCode.max]).toEqual([0, 0, 999, 1000, 4999]);
    expect([BOUNDS.readyState.max, BOUNDS.faultMs.max, BOUNDS.frameId.min, BOUNDS.frameId.max]).toEqual([2, 3_600_000, -1, 2 ** 31 - 1]);
    for (const b of [BOUNDS.bytes, BOUNDS.count, BOUNDS.seq, BOUNDS.retryMs]) expect(b.max).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('null stays allowed where the schema allows it', () => {
    expect(isCaptureEvent({ ...VALID['http.request'], bodySize: null })).toBe(true);
    expect(isCaptureEvent({ ...VALID['sse.message'], retry: null })).toBe(true);
    expect(isCaptureEvent({ ...VALID['http.end'], body: null })).toBe(true);
    expect(isCaptureEvent({ ...VALID.fault, params: { reason: 'going away', code: 4000 } })).toBe(true);
    // Parameter names are data, not keys into the guard's own objects.
    expect(isCaptureEvent({ ...VALID.fault, params: JSON.parse('{"__proto__": 1, "toString": 2, "constructor": 3}') })).toBe(true);
  });

  it('a wrong type is still "bad field", without a range; an unsequenced event names no seq', () => {
    expect(explainInvalidEvent({ ...VALID['ws.close'], code: '1000' })).toBe('ws.close: bad field "code"');
    expect(explainInvalidEvent({ ...VALID['ws.message'], data: null })).toBe('ws.message: bad field "data"');
    expect(explainInvalidEvent({ ...VALID['ws.message'], seq: 0, t: -1 })).toBe('ws.message: bad field "t": -1 is not an epoch time in ms from 1970 to the year 9999');
  });
});

/** The capture: a valid session and one event at t = -1e16. */
function sessionWithExtremeTime(): { events: CaptureEvent[]; bad: number } {
  const b = new CaptureBuilder();
  b.docStart(T0, 'https://app.example/', 'App');
  const ws = b.wsCreate(T0 + 10, 'wss://rt.example/ws');
  b.wsOpen(T0 + 20, ws);
  for (let i = 0; i < 6; i++) b.wsMsg(T0 + 100 + i * 1000, ws, i % 2 ? 'out' : 'in', `{"n":${i}}`);
  b.wsClose(T0 + 9000, ws, 1006);
  const events = b.sorted();
  const bad = 4;
  events[bad] = { ...events[bad]!, t: -1e16 };
  return { events, bad };
}

describe('a capture or HAR that breaks a bound (node)', () => {
  it('a capture file keeps every other event and names the one left out by index, seq and field', () => {
    const { events, bad } = sessionWithExtremeTime();
    const file = parseCaptureFile(serializeCaptureFile(events, { url: '', title: '' }, { redact: false }));
    expect(file.events).toEqual(events.filter((_, i) => i !== bad));
    expect(describeSkipped(file.skipped)).toEqual([`event ${bad}: ws.message (seq ${events[bad]!.seq}): bad field "t": -10000000000000000 is not an epoch time in ms from 1970 to the year 9999`]);
  });

  it('a HAR keeps every other event and names the converted one by type, seq and field, on one line', () => {
    const { events, bad } = sessionWithExtremeTime();
    const valid = events.filter((_, i) => i !== bad);
    const har = JSON.parse(JSON.stringify(eventsToHar(valid, { url: 'https://app.example/', title: 'App' }, { redact: false }))) as Har;
    // A frame time of -1e13 epoch seconds: -1e16 ms once read.
    const socket = har.log.entries.find((e) => e._webSocketMessages !== undefined)!;
    socket._webSocketMessages![1]!.time = -1e13;
    const imported = importHar(har);
    expect(imported.events).toHaveLength(valid.length - 1);
    const lines = describeSkipped(imported.skipped);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^converted event ws\.message: ws\.message \(seq \d+\): bad field "t": -10000000000000000 is not an epoch time in ms from 1970 to the year 9999$/);
    expect(importCaptureOrHar(JSON.stringify(har)).skipped).toHaveLength(1);
  });
});

describe('realtime-inspector analyze on a capture that breaks a bound (node)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ri-bounds-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = runCli;


  it('analyses the rest, names the event on one line, and prints no stack trace', async () => {
    const { events, bad } = sessionWithExtremeTime();
    const file = join(dir, 'extreme.json');
    writeFileSync(file, serializeCaptureFile(events, { url: 'https://app.example/', title: 'App' }, { redact: false }));
    const r = await run(['analyze', file, '--html', join(dir, 'report.html')]);
    expect(r.stderr).not.toMatch(/RangeError|\n\s+at /);
    expect(r.code).toBe(0);
    expect(r.stderr.trim().split('\n')).toEqual([
      `realtime-inspector analyze: left out invalid entries of ${file}:`,
      `  event ${bad}: ws.message (seq ${events[bad]!.seq}): bad field "t": -10000000000000000 is not an epoch time in ms from 1970 to the year 9999`,
    ]);
    expect(r.stdout).toContain('[websocket]');
  });

  it('a file whose only event breaks a bound: exit 2 and one line', async () => {
    const file = join(dir, 'only.json');
    writeFileSync(file, serializeCaptureFile([{ ...(VALID['ws.close'] as unknown as CaptureEvent), t: -1e16 }], { url: '', title: '' }, { redact: false }));
    const r = await run(['analyze', file]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/No valid events in the capture file \(1 invalid\): event 0: ws\.close \(seq 7\): bad field "t"/);
  });
});
