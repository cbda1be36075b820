import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PAGE_MESSAGE_MAX_EVENTS } from '../../src/shared/constants.ts';
import { decodePageEvents, encodePageEvents, pageEventsCount } from '../../src/shared/page-bridge.ts';
import { parsePageEvents } from '../../src/shared/page-events.ts';
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
});
