/**
 * Fuzz of the SSE parser (src/core/sse-parser.ts), issue 14 "Also expected".
 * sse-parser.test.ts holds the field rules and chunking of grammar-shaped
 * streams; here the input is hostile: text made mostly of the characters that
 * steer the parser (CR, LF, BOM, NUL, colons, field names), arbitrary bytes
 * decoded as the page hooks decode them (TextDecoder with `stream: true`, chunks
 * cut inside multi-byte sequences), empty pushes, and lines of megabytes. Every
 * run checks three things: the parser never throws; any chunking yields what
 * the whole stream yields; and both equal an independent line-splitting
 * reference written from WHATWG HTML § 9.2.6.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzz } from './fuzz-runs.ts';
import { cutAt, parseChunks, type Parsed } from './sse-chunks.ts';

/**
 * WHATWG HTML § 9.2.6, read literally and without streaming: drop one leading
 * BOM, split into lines at CRLF, CR or LF, drop the last piece (unterminated, or
 * empty after the final line ending), then interpret each line.
 */
function referenceParse(stream: string): Parsed {
  const out: Parsed = { events: [], comments: [], retries: [] };
  const lines = (stream.startsWith('\uFEFF') ? stream.slice(1) : stream).split(/\r\n|\r|\n/);
  lines.pop();
  let data = '';
  let type = '';
  let blockId: string | null = null;
  let lastEventId = '';
  let retry: number | null = null;
  for (const line of lines) {
    if (line === '') {
      // "If the data buffer is an empty string, set the data buffer and the event type buffer to the empty string and return."
      if (data === '') {
        type = '';
        blockId = null;
        continue;
      }
      out.events.push({ type: type || 'message', data: data.slice(0, -1), id: blockId, lastEventId, retry });
      data = '';
      type = '';
      blockId = null;
      retry = null;
      continue;
    }
    if (line.startsWith(':')) {
      out.comments.push(line.replace(/^: ?/, ''));
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') type = value;
    else if (field === 'data') data += `${value}\n`;
    else if (field === 'id' && !value.includes('\0')) lastEventId = blockId = value;
    else if (field === 'retry' && /^[0-9]+$/.test(value)) {
      retry = Number(value);
      out.retries.push(retry);
    }
  }
  return out;
}

/** The characters and words that steer the parser, so that generated streams reach every branch. */
const steering = fc.constantFrom('\r', '\n', '\r\n', '\n\r', '\uFEFF', '\0', ':', ': ', ' ', 'data', 'event', 'id', 'retry', 'x', '7', '\u00e9', '\ud83d\ude00', '\ud83d');
/** Lines that are nearly fields (a name, a colon or not, a value with NUL, BOM, surrogates), each ended by CR, LF or CRLF. */
const fieldLines = fc
  .array(
    fc.tuple(
      fc.constantFrom('data', 'data', 'event', 'id', 'retry', '', 'dat', 'Data', ' data'),
      fc.constantFrom(':', ': ', ':  ', ''),
      fc.string({ unit: fc.constantFrom('x', ' ', ':', '\0', '\uFEFF', '1', '\ud83d', 'é'), maxLength: 6 }),
      fc.constantFrom('\n', '\r', '\r\n', '\n\n', '\r\r', '\r\n\r\n'),
    ),
    { maxLength: 30 },
  )
  .map((lines) => lines.map((parts) => parts.join('')).join(''));
const hostileText = fc.oneof(
  { weight: 3, arbitrary: fieldLines },
  { weight: 3, arbitrary: fc.string({ unit: steering, maxLength: 120 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 120 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.oneof(steering, fc.string({ unit: 'grapheme', maxLength: 3 })), maxLength: 80 }) },
);
const cuts = fc.array(fc.nat(), { maxLength: 24 });

describe('SSE parser fuzz: hostile text (node)', () => {
  it('never throws, and every chunking (empty pushes too) yields the reference parse of the whole stream', () => {
    fc.assert(
      fc.property(fc.boolean(), hostileText, cuts, (bom, body, at) => {
        const text = (bom ? '\uFEFF' : '') + body;
        const whole = parseChunks([text]);
        expect(whole).toEqual(referenceParse(text));
        expect(parseChunks(cutAt(text, at))).toEqual(whole);
      }),
      fuzz(1500),
    );
  });

  it('a CR at the end of one chunk and an LF at the start of the next are one line ending, however many empty chunks lie between', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('data: a', 'data: b', '', 'id: 1', ': c'), { maxLength: 12 }), fc.nat(4), (lines, empties) => {
        const chunks = lines.flatMap((l) => [`${l}\r`, ...Array<string>(empties).fill(''), '\n']);
        const text = chunks.join('');
        expect(parseChunks(chunks)).toEqual(referenceParse(text));
      }),
      fuzz(300),
    );
  });

  it('a BOM is dropped once, at the stream start only, even after empty pushes', () => {
    fc.assert(
      fc.property(fc.nat(3), fc.nat(3), hostileText, (leadingEmpties, boms, body) => {
        const text = '\uFEFF'.repeat(boms) + body;
        const chunks = [...Array<string>(leadingEmpties).fill(''), ...cutAt(text, [1, 2])];
        expect(parseChunks(chunks)).toEqual(referenceParse(text));
      }),
      fuzz(300),
    );
  });
});

describe('SSE parser fuzz: bytes as the page hooks decode them (node)', () => {
  /** What the hooks push: each chunk decoded with `stream: true`, then the decoder's rest at the end (src/content/page/response-body.ts). */
  function decodeInChunks(bytes: Uint8Array, at: readonly number[]): string[] {
    const decoder = new TextDecoder();
    const points = at.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b);
    const out: string[] = [];
    let prev = 0;
    for (const p of [...points, bytes.length]) {
      out.push(decoder.decode(bytes.subarray(prev, p), { stream: true }));
      prev = p;
    }
    out.push(decoder.decode());
    return out;
  }

  const encoder = new TextEncoder();
  /** Bytes: UTF-8 of steering text with invalid sequences, lone continuation bytes, overlongs and a UTF-8 BOM spliced in. */
  const hostileBytes = fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    fc
      .array(fc.oneof(hostileText.map((s) => encoder.encode(s)), fc.constantFrom([0xef, 0xbb, 0xbf], [0x80], [0xc0, 0x8a], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xff], [0x0d], [0x0a]).map((b) => Uint8Array.from(b))), { maxLength: 12 })
      .map((parts) => {
        const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        let i = 0;
        for (const p of parts) {
          out.set(p, i);
          i += p.length;
        }
        return out;
      }),
  );

  it('any cut of the bytes, inside multi-byte sequences too, yields what the whole body yields, and the reference parse', () => {
    fc.assert(
      fc.property(hostileBytes, cuts, (bytes, at) => {
        const whole = new TextDecoder().decode(bytes);
        const expected = referenceParse(whole);
        expect(parseChunks([whole])).toEqual(expected);
        expect(parseChunks(decodeInChunks(bytes, at))).toEqual(expected);
      }),
      fuzz(1000),
    );
  });

  it('one byte at a time', () => {
    fc.assert(
      fc.property(hostileBytes, (bytes) => {
        const oneByOne = Array.from({ length: bytes.length }, (_, i) => i);
        expect(parseChunks(decodeInChunks(bytes, oneByOne))).toEqual(referenceParse(new TextDecoder().decode(bytes)));
      }),
      fuzz(200),
    );
  });
});

describe('SSE parser fuzz: huge lines (node)', () => {
  it('a line of megabytes, split in chunks of any size, is one data value, and the stream goes on after it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3_000_000 }), fc.integer({ min: 1, max: 70_000 }), fc.constantFrom('\n', '\r', '\r\n'), fc.constantFrom('x', '\0', ':'), (length, chunkSize, eol, fill) => {
        const big = fill.repeat(length);
        const text = `data: ${big}${eol}${eol}: after${eol}data: next${eol}${eol}`;
        const chunks: string[] = [];
        for (let i = 0; i < text.length; i += chunkSize) chunks.push(text.slice(i, i + chunkSize));
        const out = parseChunks(chunks);
        expect(out.events.map((e) => e.data.length)).toEqual([length, 4]);
        expect(out.events[0]!.data === big).toBe(true);
        expect(out.comments).toEqual(['after']);
      }),
      fuzz(12),
    );
  });

  it('a stream of nothing but line endings, or a megabyte line that never ends, dispatches nothing', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200_000 }), fc.constantFrom('\n', '\r', '\r\n', 'data: x'), (n, unit) => {
        const text = unit.startsWith('data') ? `${unit}${'y'.repeat(n)}` : unit.repeat(n);
        expect(parseChunks(cutAt(text, [n, 2 * n, 3 * n]))).toEqual({ events: [], comments: [], retries: [] });
      }),
      fuzz(20),
    );
  });
});
