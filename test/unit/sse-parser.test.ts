import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cutAt, parseChunks, type Parsed } from './sse-chunks.ts';

const parse = (text: string): Parsed => parseChunks([text]);

describe('SSE parser field rules (WHATWG § 9.2.6)', () => {
  it('dispatches a data event on a blank line with type message', () => {
    expect(parse('data: hello\n\n').events).toEqual([
      { type: 'message', data: 'hello', id: null, lastEventId: '', retry: null },
    ]);
  });

  it('joins multi-line data with LF and drops the final LF', () => {
    expect(parse('data: a\ndata: b\ndata:\n\n').events[0]!.data).toBe('a\nb\n');
    expect(parse('data\n\n').events[0]!.data).toBe('');
  });

  it('names events with event: and resets the type after dispatch', () => {
    const { events } = parse('event: tick\ndata: 1\n\ndata: 2\n\n');
    expect(events.map((e) => e.type)).toEqual(['tick', 'message']);
  });

  it('treats an empty event: field as message', () => {
    expect(parse('event:\ndata: x\n\n').events[0]!.type).toBe('message');
  });

  it('strips exactly one leading space after the colon', () => {
    expect(parse('data:  two\n\n').events[0]!.data).toBe(' two');
    expect(parse('data:none\n\n').events[0]!.data).toBe('none');
  });

  it('treats a line without colon as a field with an empty value', () => {
    const { events } = parse('data\ndata\n\n');
    expect(events[0]!.data).toBe('\n');
  });

  it('keeps the last event id across events and reports this event id', () => {
    const { events } = parse('id: 7\ndata: a\n\ndata: b\n\nid\ndata: c\n\n');
    expect(events.map((e) => [e.id, e.lastEventId])).toEqual([
      ['7', '7'],
      [null, '7'],
      ['', ''],
    ]);
  });

  it('ignores ids containing NUL', () => {
    const { events } = parse('id: 1\ndata: a\n\nid: x\0y\ndata: b\n\n');
    expect(events[1]).toMatchObject({ id: null, lastEventId: '1' });
  });

  it('an id-only block updates lastEventId without dispatching', () => {
    const { events } = parse('id: 9\n\ndata: x\n\n');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ id: null, lastEventId: '9' });
  });

  it('accepts retry with ASCII digits only', () => {
    const { events, retries } = parse('retry: 5000\nretry: 12a\nretry: -1\nretry:\nretry: 1.5\ndata: x\n\ndata: y\n\n');
    expect(retries).toEqual([5000]);
    expect(events.map((e) => e.retry)).toEqual([5000, null]);
  });

  it('reports comments with one leading space stripped and never dispatches them', () => {
    const { events, comments } = parse(': keep-alive\n:raw\n\n');
    expect(comments).toEqual(['keep-alive', 'raw']);
    expect(events).toEqual([]);
  });

  it('ignores unknown fields', () => {
    expect(parse('foo: bar\ndata: x\n\n').events[0]!.data).toBe('x');
  });

  it('accepts CR, LF and CRLF line endings', () => {
    for (const nl of ['\n', '\r', '\r\n']) {
      const { events } = parse(`event: e${nl}data: 1${nl}data: 2${nl}${nl}`);
      expect(events).toEqual([{ type: 'e', data: '1\n2', id: null, lastEventId: '', retry: null }]);
    }
  });

  it('handles a CRLF split across chunks as one line ending', () => {
    const { events } = parseChunks(['data: a\r', '\ndata: b\r', '\n\r', '\n']);
    expect(events.map((e) => e.data)).toEqual(['a\nb']);
  });

  it('treats CR followed by a later LF chunk correctly when the LF starts a blank line', () => {
    // "data: a\r" + "\r\n": CR ends the data line, then CRLF is a blank line.
    const { events } = parseChunks(['data: a\r', '\r\n']);
    expect(events.map((e) => e.data)).toEqual(['a']);
  });

  it('strips one leading BOM only at the start of the stream', () => {
    expect(parse('\uFEFFdata: x\n\n').events[0]!.data).toBe('x');
    const second = parseChunks(['data: a\n\n', '\uFEFFdata: b\n\n']);
    expect(second.events).toHaveLength(1);
  });

  it('discards an unterminated event at end of stream', () => {
    expect(parse('data: a\n\ndata: b\n').events.map((e) => e.data)).toEqual(['a']);
    expect(parse('data: a').events).toEqual([]);
  });

  it('keeps an empty data block out of the dispatch', () => {
    expect(parse('event: x\n\n').events).toEqual([]);
  });
});

/** An arbitrary event stream built from the field grammar, mixing all line endings. */
const sseStream = fc
  .array(
    fc.oneof(
      fc.string({ maxLength: 12 }).map((s) => `data: ${s.replace(/[\r\n]/g, '')}`),
      fc.string({ maxLength: 8 }).map((s) => `event:${s.replace(/[\r\n]/g, '')}`),
      fc.string({ maxLength: 8 }).map((s) => `id: ${s.replace(/[\r\n]/g, '')}`),
      fc.nat(99999).map((n) => `retry: ${n}`),
      fc.string({ maxLength: 8 }).map((s) => `:${s.replace(/[\r\n]/g, '')}`),
      fc.constant(''),
      fc.constant('data'),
    ),
    { maxLength: 40 },
  )
  .chain((lines) =>
    fc
      .array(fc.constantFrom('\n', '\r', '\r\n'), { minLength: lines.length, maxLength: lines.length })
      .map((endings) => lines.map((l, i) => l + endings[i]).join('')),
  );

describe('SSE parser properties', () => {
  it('any split of a stream into chunks yields the same events, comments and retries as one chunk', () => {
    fc.assert(
      fc.property(fc.boolean(), sseStream, fc.array(fc.nat(), { maxLength: 20 }), (bom, body, cuts) => {
        const text = (bom ? '\uFEFF' : '') + body;
        expect(parseChunks(cutAt(text, cuts))).toEqual(parse(text));
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on arbitrary strings split anywhere', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.array(fc.nat(), { maxLength: 10 }), (text, cuts) => {
        const one = parse(text);
        expect(parseChunks(cutAt(text, cuts))).toEqual(one);
      }),
      { numRuns: 500 },
    );
  });
});
