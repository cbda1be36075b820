import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PAGE_MESSAGE_MAX_EVENTS } from '../../src/shared/constants.ts';
import { COMPACT_SSE, COMPACT_WS, SIZE_OF_TEXT, decodePageEvents, encodePageEvents, pageEventsCount, type QueuedMessage } from '../../src/shared/page-bridge.ts';
import { isRecorderOnly, parsePageEvents } from '../../src/shared/page-events.ts';
import type { CaptureEvent } from '../../src/core/events.ts';

const wsMessage = (text: string, pseq: number): CaptureEvent => ({
  type: 'ws.message', seq: 0, pseq, t: 1700000000000.25 + pseq, frameId: 0, doc: 'd1', conn: 'd1:1',
  dir: 'in', data: { size: text.length, encoding: 'text', data: text, truncated: false },
});

describe('page events wire: the relay reads the header, the background parses (node)', () => {
  it('property: the header count of any hooks message is its number of events, and every valid event parses back', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 40 }), { minLength: 1, maxLength: 60 }), (texts) => {
        const events = texts.map((t, i) => wsMessage(t, i + 1));
        const json = encodePageEvents(events);
        expect(pageEventsCount(json)).toBe(events.length);
        expect(parsePageEvents(json)).toEqual({ events, rejected: 0 });
      }),
    );
  });

  it('rejects each invalid event of a well-formed message, and every claimed event of a malformed one', () => {
    const good = wsMessage('ok', 1);
    const mixed = encodePageEvents([good, { ...good, type: 'evil' }, { ...good, where: 'x' }] as CaptureEvent[]);
    expect(parsePageEvents(mixed)).toEqual({ events: [good], rejected: 2 });
    // Drop reports are the relay's and background's to make: a page may only report its own.
    const forged = { type: 'capture.dropped', seq: 0, pseq: 2, t: 1, frameId: 0, doc: 'd1', count: 9, where: 'background' };
    const own = { ...forged, where: 'page' };
    expect(parsePageEvents(encodePageEvents([forged, own] as CaptureEvent[]))).toEqual({ events: [own], rejected: 1 });
    expect(parsePageEvents('{"v":1,"kind":"events","n":7,"events":[{"trunc')).toEqual({ events: [], rejected: 7 });
    const lying = encodePageEvents([good, good]).replace('"n":2', '"n":3');
    expect(pageEventsCount(lying)).toBe(3);
    expect(parsePageEvents(lying)).toEqual({ events: [], rejected: 3 });
    expect(parsePageEvents('{"kind":"events","v":1,"n":1,"events":[]}')).toEqual({ events: [], rejected: 1 });
    expect(parsePageEvents('')).toEqual({ events: [], rejected: 1 });
  });

  it('parses a recording pause, a cache restore and a document end, which only the recording side may make', () => {
    // The guard lets their schema through; the background and the Playwright recorder refuse them (isRecorderOnly).
    const base = { seq: 0, pseq: 1, t: 1, frameId: 0, doc: 'd1' };
    const claims = [
      { ...base, type: 'capture.recording', on: false },
      { ...base, type: 'doc.restored', cachedAt: 0 },
      { ...base, type: 'doc.resumed', frozenAt: 0 },
      { ...base, type: 'doc.end' },
    ] as CaptureEvent[];
    const { events } = parsePageEvents(encodePageEvents([...claims, wsMessage('ok', 2)]));
    expect(events.map(isRecorderOnly)).toEqual([true, true, true, true, false]);
  });

  it('reads the header only: no count for other messages, a zero count or a claim above the bound', () => {
    expect(pageEventsCount(JSON.stringify({ v: 1, kind: 'hello', doc: 'd1' }))).toBeNull();
    expect(pageEventsCount('{"v":1,"kind":"events","n":0,"events":[]}')).toBeNull();
    expect(pageEventsCount(`{"v":1,"kind":"events","n":${PAGE_MESSAGE_MAX_EVENTS + 1},"events":[`)).toBeNull();
    expect(pageEventsCount(`{"v":1,"kind":"events","n":${PAGE_MESSAGE_MAX_EVENTS},"events":[`)).toBe(PAGE_MESSAGE_MAX_EVENTS);
    expect(pageEventsCount(' {"v":1,"kind":"events","n":1,"events":[')).toBeNull();
  });

  it('carries payload texts after the envelope, once, and gives the events back unchanged', () => {
    const chunk: CaptureEvent = { type: 'http.chunk', seq: 0, pseq: 3, t: 5, frameId: 0, doc: 'd1', conn: 'd1:2', size: 9, preview: 'data: x\n\n' };
    const end: CaptureEvent = {
      type: 'http.end', seq: 0, pseq: 4, t: 6, frameId: 0, doc: 'd1', conn: 'd1:2', size: 12,
      bodyHash: 'abcd1234', body: { size: 12, encoding: 'text', data: '{"a":"\n"}', truncated: false },
    } as CaptureEvent;
    const events = [wsMessage('he said "hi"\n', 1), wsMessage('', 2), chunk, end];
    const before = JSON.parse(JSON.stringify(events));
    const message = encodePageEvents(events);
    expect(events).toEqual(before);
    const newline = message.indexOf('\n');
    const envelope = JSON.parse(message.slice(0, newline));
    // Each text is in the message once, raw, after the envelope: not escaped into the envelope's JSON.
    expect(envelope.events[0].data.data).toBe('');
    expect(envelope.texts).toEqual([0, 0, 13, 2, 2, 9, 3, 1, 9]);
    expect(message.slice(newline + 1)).toBe('he said "hi"\ndata: x\n\n{"a":"\n"}');
    expect(decodePageEvents(message)).toEqual({ ...envelope, events: before });
    expect(parsePageEvents(message)).toEqual({ events: before, rejected: 0 });
  });

  it('property: any texts round-trip, whatever characters they hold', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 30 }), { minLength: 1, maxLength: 20 }), (texts) => {
        const events = texts.map((t, i) => wsMessage(t, i + 1));
        expect(decodePageEvents(encodePageEvents(events))?.events).toEqual(events);
      }),
    );
  });

  it('rejects a message whose texts do not place exactly the characters that follow into empty fields', () => {
    const good = encodePageEvents([wsMessage('abc', 1), wsMessage('defg', 2)]);
    expect(decodePageEvents(good)?.events.map((e) => (e as { data: { data: string } }).data.data)).toEqual(['abc', 'defg']);
    const variants = [
      good + 'x', // a character no slot places
      good.slice(0, -1), // a slot longer than what follows
      good.replace('"texts":[0,0,3,1,0,4]', '"texts":[0,0,3,2,0,4]'), // an event index out of range
      good.replace('"texts":[0,0,3,1,0,4]', '"texts":[0,0,3,1,7,4]'), // an unknown field
      good.replace('"texts":[0,0,3,1,0,4]', '"texts":[0,0,3,0,0,4]'), // one field filled twice
      good.replace('"texts":[0,0,3,1,0,4]', '"texts":[0,0,3,1,0]'), // not triples
      good.replace(',"texts":[0,0,3,1,0,4]', ''), // texts that no envelope lists
      good.replace('"data":"","truncated"', '"data":"z","truncated"'), // a field that is not empty
    ];
    for (const bad of variants) {
      expect(bad).not.toBe(good);
      expect(decodePageEvents(bad)).toBeNull();
      expect(parsePageEvents(bad)).toEqual({ events: [], rejected: 2 });
    }
  });

  it('events that leave out doc, seq and frameId get the envelope doc and 0, as the hooks send them', () => {
    const full = wsMessage('hi', 1);
    const { seq: _seq, frameId: _frameId, doc: _doc, ...sent } = full;
    const message = encodePageEvents([sent as CaptureEvent], JSON.stringify, 'd1');
    expect(message).not.toContain('"seq"');
    expect(message).not.toContain('"frameId"');
    expect(message.indexOf('"doc"')).toBe(message.lastIndexOf('"doc"'));
    expect(parsePageEvents(message)).toEqual({ events: [full], rejected: 0 });
    // Without a doc in the envelope, an event without one fails the guard.
    expect(parsePageEvents(encodePageEvents([sent as CaptureEvent]))).toEqual({ events: [], rejected: 1 });
    expect(decodePageEvents(message.replace('"doc":"d1"', '"doc":7'))).toBeNull();
  });

  describe('compact events: WebSocket and SSE messages of the hooks\' shape travel as arrays', () => {
    /** Events as the hooks emit them: no seq, frameId or doc (the background fills them). */
    const hookWs = (text: string, pseq: number, t: number, conn = 'd1:1', dir: 'in' | 'out' = 'in') =>
      ({ type: 'ws.message', conn, dir, data: { size: text.length, encoding: 'text', data: text, truncated: false }, t, pseq }) as unknown as CaptureEvent;
    const hookSse = (text: string, pseq: number, t: number, id: string | null, retry: number | null = null) =>
      ({ type: 'sse.message', conn: 'd1:2', event: 'tick', data: { size: text.length, encoding: 'text', data: text, truncated: false }, id, lastEventId: id ?? '7', retry, t, pseq }) as unknown as CaptureEvent;
    const filled = (e: CaptureEvent) => ({ ...e, seq: 0, frameId: 0, doc: 'd1' });

    it('writes no keys for them, and they parse back to the events the hooks emitted', () => {
      const binary = { ...hookWs('', 3, 1700000000002.5, 'd1:3', 'out'), data: { size: 9000, encoding: 'binary', data: 'AAEC', truncated: true } } as unknown as CaptureEvent;
      const sampled = { ...hookWs('{"a":', 4, 1700000000003, 'd1:1'), data: { size: 5000, encoding: 'text', data: '{"a":', truncated: true, sampled: true } } as unknown as CaptureEvent;
      const events = [hookWs('he said "hi"', 1, 1700000000000.25), hookSse('data "x"', 2, 1700000000001.75, '42', 3000), binary, sampled, hookSse('', 5, 1700000000004, null)];
      const before = JSON.parse(JSON.stringify(events));
      const message = encodePageEvents(events, JSON.stringify, 'd1');
      expect(events).toEqual(before);
      const envelope = JSON.parse(message.slice(0, message.indexOf('\n')));
      expect(envelope.events.every(Array.isArray)).toBe(true);
      expect(message).not.toContain('"type"');
      expect(envelope.conns).toEqual(['d1:1', 'd1:2', 'd1:3']);
      // [code, len, µs since the previous, id, lastEventId, pseq step, conn, size, encoding, cut, event, retry]
      expect(envelope.events[1]).toEqual([2, 8, 1500, 1, '42', 1, 1, 8, 0, 0, 'tick', 3000]);
      expect(parsePageEvents(message)).toEqual({ events: events.map(filled), rejected: 0 });
    });

    it('property: any times, sizes, ids and texts round-trip, times to the microsecond', () => {
      const text = fc.string({ unit: 'binary', maxLength: 20 });
      const ws = fc.record({ text, conn: fc.constantFrom('d1:1', 'd1:2', 'other:9'), dir: fc.constantFrom('in' as const, 'out' as const), cut: fc.constantFrom(0, 1, 2), binary: fc.boolean() });
      const sse = fc
        .record({ text, id: fc.option(fc.string({ maxLength: 8 })), last: fc.string({ maxLength: 8 }), retry: fc.option(fc.integer({ min: 0, max: 1e6 })), name: fc.oneof(fc.constant('message'), fc.string({ maxLength: 8 })), changed: fc.boolean() })
        .map((r) => (r.changed ? { ...r, id: r.last } : r));
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.oneof(ws, sse), fc.double({ min: -5e6, max: 5e6, noNaN: true })), { minLength: 1, maxLength: 30 }), fc.double({ min: 1.6e12, max: 1.9e12, noNaN: true }), (specs, t0) => {
          const events = specs.map(([spec, dt], i) => {
            const t = t0 + dt;
            if ('dir' in spec) {
              const data: Record<string, unknown> = { size: spec.text.length * 3, encoding: spec.binary ? 'binary' : 'text', data: spec.text, truncated: spec.cut > 0 };
              if (spec.cut === 2) data.sampled = true;
              return { type: 'ws.message', conn: spec.conn, dir: spec.dir, data, t, pseq: i + 1 };
            }
            return { type: 'sse.message', conn: 'd1:2', event: spec.name, data: { size: spec.text.length, encoding: 'text', data: spec.text, truncated: false }, id: spec.id, lastEventId: spec.last, retry: spec.retry, t, pseq: i + 1 };
          }) as unknown as CaptureEvent[];
          const decoded = decodePageEvents(encodePageEvents(events, JSON.stringify, 'd1'))!.events;
          expect(decoded).toHaveLength(events.length);
          decoded.forEach((e, i) => {
            expect(Math.abs(e.t - events[i]!.t)).toBeLessThanOrEqual(0.0005 + 1e-3 * Number.EPSILON * Math.abs(events[i]!.t));
            expect({ ...e, t: 0 }).toEqual({ ...filled(events[i]!), t: 0 });
          });
        }),
      );
    });

    it('property: a message the hooks queue in compact form (QueuedMessage) is written as its event object would be', () => {
      const text = fc.string({ unit: 'binary', maxLength: 20 });
      const ws = fc.record({ text, size: fc.nat(1e7), conn: fc.constantFrom('d1:1', 'd1:2', 'other:9'), dir: fc.constantFrom('in' as const, 'out' as const), cut: fc.constantFrom(0, 1, 2) });
      const sse = fc
        .record({ text, size: fc.nat(1e7), conn: fc.constantFrom('d1:3', 'd1:1'), cut: fc.constantFrom(0, 1, 2), id: fc.option(fc.string({ maxLength: 8 })), last: fc.string({ maxLength: 8 }), name: fc.oneof(fc.constant('message'), fc.string({ maxLength: 8 })), changed: fc.boolean() })
        // A changed id is the new last event id (what the hooks' id code 1 stands for).
        .map((r) => (r.changed ? { ...r, id: r.last } : r));
      const other = fc.record({ open: fc.constantFrom('d1:3', 'd1:4') });
      // Any pseq in the guard's range, in any order (the hooks' are increasing; steps between them are what travels).
      const pseqs = fc.oneof(fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.oneof(ws, sse, other), fc.double({ min: -5e6, max: 5e6, noNaN: true }), pseqs), { minLength: 1, maxLength: 30 }), fc.double({ min: 1.6e12, max: 1.9e12, noNaN: true }), (specs, t0) => {
          const objects: CaptureEvent[] = [];
          const queued: Array<CaptureEvent | QueuedMessage> = [];
          specs.forEach(([spec, dt, pseq]) => {
            const t = t0 + dt;
            if ('open' in spec) {
              const event = { type: 'sse.open', conn: spec.open, t, pseq } as unknown as CaptureEvent;
              objects.push(event);
              queued.push(event);
              return;
            }
            const data: Record<string, unknown> = { size: spec.size, encoding: 'text', data: spec.text, truncated: spec.cut > 0 };
            if (spec.cut === 2) data.sampled = true;
            if ('dir' in spec) {
              objects.push({ type: 'ws.message', conn: spec.conn, dir: spec.dir, data, t, pseq } as unknown as CaptureEvent);
              queued.push([COMPACT_WS, spec.conn, t, pseq, spec.size, 0, spec.cut, spec.dir === 'in' ? 0 : 1, spec.text]);
            } else {
              objects.push({ type: 'sse.message', conn: spec.conn, event: spec.name, data, id: spec.id, lastEventId: spec.last, retry: null, t, pseq } as unknown as CaptureEvent);
              // The hooks queue `event` and `id` in their compact codes.
              const idCode = spec.id !== null && spec.id === spec.last ? 1 : spec.id;
              queued.push([COMPACT_SSE, spec.conn, t, pseq, spec.size, 0, spec.cut, spec.name === 'message' ? 0 : spec.name, idCode, spec.last, null, spec.text]);
            }
          });
          const message = encodePageEvents(queued, JSON.stringify, 'd1');
          expect(message).toBe(encodePageEvents(objects, JSON.stringify, 'd1'));
          expect(parsePageEvents(message).rejected).toBe(0);
          // A range of the queue is written as that slice would be (the hooks send batches without copies).
          const from = specs.length >> 2;
          const to = specs.length - (specs.length >> 3);
          expect(encodePageEvents(queued, JSON.stringify, 'd1', from, to)).toBe(encodePageEvents(objects.slice(from, to), JSON.stringify, 'd1'));
        }),
      );
    });

    it('property: a text kept whole travels without its size, and arrives with its UTF-8 length; the code is refused anywhere else', () => {
      const utf8Size = (text: string) => new TextEncoder().encode(text).length;
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.string({ unit: 'binary', maxLength: 30 }), fc.boolean()), { minLength: 1, maxLength: 20 }), (specs) => {
          const t = 1_700_000_000_000;
          const queued: QueuedMessage[] = specs.map(([text, sse], i) =>
            sse ? [COMPACT_SSE, 'd1:2', t + i, i + 1, SIZE_OF_TEXT, 0, 0, 0, null, '', null, text] : [COMPACT_WS, 'd1:1', t + i, i + 1, SIZE_OF_TEXT, 0, 0, 0, text],
          );
          const { events, rejected } = parsePageEvents(encodePageEvents(queued, JSON.stringify, 'd1'));
          expect(rejected).toBe(0);
          // Lone surrogates count 3 bytes (U+FFFD), as the hooks' utf8Length.
          expect(events.map((e) => (e.type === 'ws.message' || e.type === 'sse.message') && e.data.size)).toEqual(specs.map(([text]) => utf8Size(text)));
        }),
      );
      // Only a text kept whole may leave its size out: a cut or binary payload needs its full size from the page.
      for (const bad of [
        [COMPACT_WS, 'd1:1', 1_700_000_000_000, 1, SIZE_OF_TEXT, 0, 1, 0, 'cut'],
        [COMPACT_WS, 'd1:1', 1_700_000_000_000, 2, SIZE_OF_TEXT, 1, 0, 0, 'AAAA'],
        [COMPACT_SSE, 'd1:2', 1_700_000_000_000, 3, SIZE_OF_TEXT, 0, 2, 0, null, '', null, 'sampled'],
      ] as QueuedMessage[]) {
        expect(parsePageEvents(encodePageEvents([bad], JSON.stringify, 'd1'))).toEqual({ events: [], rejected: 1 });
      }
    });

    it('a time or pseq the writer cannot chain from affects its own event alone; an event object never carries the reader-counted size', () => {
      const T = 1_700_000_000_000;
      const cases: Array<{ events: CaptureEvent[]; refused: number }> = [
        // Not a number: refused, the others exact.
        { events: [hookWs('a', 1, T), hookWs('b', 2, NaN), hookWs('c', 3, T + 1), hookWs('d', 4, T + 2)], refused: 1 },
        { events: [hookWs('a', 1, T), hookWs('b', 2, Infinity), hookWs('c', 3, T + 1)], refused: 1 },
        { events: [hookWs('a', 1, T), hookWs('b', NaN, T + 1), hookWs('c', 3, T + 2), hookWs('d', 4, T + 3)], refused: 1 },
        // A time 7,000 years on (the guard takes it): its step is not exact, the next ones are.
        { events: [hookWs('a', 1, T), hookWs('b', 2, 2.5e14), hookWs('c', 3, T + 1.005), hookWs('d', 4, T + 2)], refused: 0 },
        // A pseq past 2^53 is refused by the guard; the next one is exact.
        { events: [hookWs('a', 2 ** 53 + 2, T), hookWs('b', 1, T)], refused: 1 },
        // A NaN first time: the time base is the first number.
        { events: [hookWs('a', 1, NaN), hookWs('b', 2, T), hookWs('c', 3, T + 1)], refused: 1 },
      ];
      for (const { events, refused } of cases) {
        const { events: parsed, rejected } = parsePageEvents(encodePageEvents(events, JSON.stringify, 'd1'));
        expect(rejected).toBe(refused);
        const valid = events.filter((e) => Number.isFinite(e.t) && Number.isSafeInteger(e.pseq)).map(filled);
        expect(parsed.map((e) => [e.pseq, e.t])).toEqual(valid.map((e) => [e.pseq, e.t]));
      }
      // SIZE_OF_TEXT on an event object: it stays an object, which the guard refuses.
      const minusOne = { ...hookWs('héllo', 1, T), data: { size: SIZE_OF_TEXT, encoding: 'text', data: 'héllo', truncated: false } } as unknown as CaptureEvent;
      const message = encodePageEvents([minusOne], JSON.stringify, 'd1');
      expect(message).toContain('"type":"ws.message"');
      expect(parsePageEvents(message)).toEqual({ events: [], rejected: 1 });
    });

    it('a lastEventId left out is the previous SSE event\'s, across connections and WebSocket messages between', () => {
      const t = 1_700_000_000_000;
      const queued: QueuedMessage[] = [
        [COMPACT_SSE, 'd1:2', t, 1, SIZE_OF_TEXT, 0, 0, 0, 1, '41', null, 'a'],
        [COMPACT_WS, 'd1:1', t + 1, 2, SIZE_OF_TEXT, 0, 0, 0, 'w'],
        [COMPACT_SSE, 'd1:2', t + 2, 3, SIZE_OF_TEXT, 0, 0, 0, 0, '41', null, 'b'],
        [COMPACT_SSE, 'd1:3', t + 3, 4, SIZE_OF_TEXT, 0, 0, 0, 1, '', null, 'c'],
        [COMPACT_SSE, 'd1:2', t + 4, 5, SIZE_OF_TEXT, 0, 0, 0, null, '', null, 'd'],
      ];
      const message = encodePageEvents(queued, JSON.stringify, 'd1');
      // Written once; the unread-id event on the same connection leaves it out.
      expect(message.split('"41"').length - 1).toBe(1);
      expect(message).toContain('[2,1,1000,0]');
      const { events, rejected } = parsePageEvents(message);
      expect(rejected).toBe(0);
      expect(events.map((e) => (e.type === 'sse.message' ? [e.conn, e.id, e.lastEventId, e.data.data] : e.type === 'ws.message' ? [e.conn] : []))).toEqual([
        ['d1:2', '41', '41', 'a'],
        ['d1:1'],
        ['d1:2', null, '41', 'b'],
        ['d1:3', '', '', 'c'],
        ['d1:2', null, '', 'd'],
      ]);
    });

    it("an SSE message whose id the hooks did not read arrives with id null, its last id read and idUnread; 'message' and a changed id are written once", () => {
      const t = 1_700_000_000_000;
      const queued: QueuedMessage[] = [
        [COMPACT_SSE, 'd1:2', t, 1, 5, 0, 0, 0, 1, '41', null, 'hello'],
        [COMPACT_SSE, 'd1:2', t + 1, 2, 5, 0, 0, 0, 0, '41', null, 'world'],
        [COMPACT_SSE, 'd1:2', t + 2, 3, 2, 0, 0, 'tick', null, '41', null, 'hi'],
      ];
      const message = encodePageEvents(queued, JSON.stringify, 'd1');
      expect(message.split('"41"').length - 1).toBe(3);
      expect(message).not.toContain('"message"');
      const { events, rejected } = parsePageEvents(message);
      expect(rejected).toBe(0);
      expect(events.map((e) => e.type === 'sse.message' && [e.event, e.id, e.lastEventId, e.idUnread, e.data.data])).toEqual([
        ['message', '41', '41', undefined, 'hello'],
        ['message', null, '41', true, 'world'],
        ['tick', null, '41', undefined, 'hi'],
      ]);
    });

    it('keeps objects for any other shape: extra or missing keys, a worker origin, a polluted prototype', () => {
      const base = hookWs('x', 1, 1700000000000);
      const others = [
        { ...base, seq: 0 },
        { ...base, origin: { kind: 'dedicated', url: 'https://w' } },
        { ...base, data: { ...(base as unknown as { data: object }).data, extra: 1 } },
        { ...base, dir: 'sideways' },
        { ...hookSse('y', 2, 1700000000000, '1'), retry: 'soon' },
      ] as unknown as CaptureEvent[];
      for (const event of others) {
        const envelope = JSON.parse(encodePageEvents([event], JSON.stringify, 'd1').split('\n')[0]!);
        expect(Array.isArray(envelope.events[0])).toBe(false);
        expect(envelope.t0).toBeUndefined();
      }
      const proto = Object.prototype as Record<string, unknown>;
      proto.polluted = 1;
      try {
        const envelope = JSON.parse(encodePageEvents([base], JSON.stringify, 'd1').split('\n')[0]!);
        expect(Array.isArray(envelope.events[0])).toBe(false);
      } finally {
        delete proto.polluted;
      }
    });

    it('lists at most 16 connections and names the others in place', () => {
      const events = Array.from({ length: 20 }, (_, i) => hookWs('m', i + 1, 1700000000000 + i, `d1:${i + 1}`));
      const message = encodePageEvents(events, JSON.stringify, 'd1');
      const envelope = JSON.parse(message.split('\n')[0]!);
      expect(envelope.conns).toHaveLength(16);
      expect(envelope.events[19]).toEqual([1, 1, 1000, 0, 1, 'd1:20', 1]);
      expect(parsePageEvents(message)).toEqual({ events: events.map(filled), rejected: 0 });
    });

    it('refuses a garbled compact event on its own, and a message with a malformed one or without its time base', () => {
      const message = encodePageEvents([hookWs('a', 1, 1700000000000), hookWs('b', 2, 1700000000001)], JSON.stringify, 'd1');
      const second = '[1,1,1000,0,1,0,1]';
      expect(message).toContain(second);
      // Not a compact event at all, or a text length that does not place the texts: the message is malformed.
      const malformed = ['[1,1]', '[9,1,1000,0,1,0,1]', '[1,1,1000,0,1,0,1,0,0,0]', '[1,-1,1000,0,1,0,1]', '[1,"1",1000,0,1,0,1]', '[1,2,1000,0,1,0,1]', '[1,0,1000,0,1,0,1]'];
      for (const bad of malformed.map((b) => message.replace(second, b))) {
        expect(bad).not.toBe(message);
        expect(parsePageEvents(bad)).toEqual({ events: [], rejected: 2 });
      }
      const garbled = [
        '[1,1,1000,5,1,0,1]', // no such direction
        '[1,1,1000,0,1,7,1]', // no such connection
        '[1,1,1000,0,1,0,1,9]', // no such encoding
        '[1,1,1000,0,1,0,1,0,4]', // no such cut
        '[1,1,1000,0,1,0,-1,0,1]', // a size left to the reader on a cut text
        '[1,1,"x"]', // no time
      ];
      for (const bad of garbled.map((b) => message.replace(second, b))) {
        expect(bad).not.toBe(message);
        expect(parsePageEvents(bad)).toEqual({ events: [filled(hookWs('a', 1, 1700000000000))], rejected: 1 });
      }
      expect(parsePageEvents(message.replace(/"t0":[0-9.]+,/, ''))).toEqual({ events: [], rejected: 2 });
    });
  });
});

