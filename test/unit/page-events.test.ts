import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PAGE_MESSAGE_MAX_EVENTS } from '../../src/shared/constants.ts';
import { pageEventsCount, pageEventsMessage } from '../../src/shared/page-bridge.ts';
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
        const json = JSON.stringify(pageEventsMessage(events));
        expect(pageEventsCount(json)).toBe(events.length);
        expect(parsePageEvents(json)).toEqual({ events, rejected: 0 });
      }),
    );
  });

  it('rejects each invalid event of a well-formed message, and every claimed event of a malformed one', () => {
    const good = wsMessage('ok', 1);
    const mixed = JSON.stringify(pageEventsMessage([good, { ...good, type: 'evil' }, { ...good, where: 'x' }] as CaptureEvent[]));
    expect(parsePageEvents(mixed)).toEqual({ events: [good], rejected: 2 });
    // Drop reports are the relay's and background's to make: a page may only report its own.
    const forged = { type: 'capture.dropped', seq: 0, pseq: 2, t: 1, frameId: 0, doc: 'd1', count: 9, where: 'background' };
    const own = { ...forged, where: 'page' };
    expect(parsePageEvents(JSON.stringify(pageEventsMessage([forged, own] as CaptureEvent[])))).toEqual({ events: [own], rejected: 1 });
    expect(parsePageEvents('{"v":1,"kind":"events","n":7,"events":[{"trunc')).toEqual({ events: [], rejected: 7 });
    const lying = JSON.stringify(pageEventsMessage([good, good])).replace('"n":2', '"n":3');
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
});
