/**
 * Streamed response bodies decoded chunk by chunk (the `http.chunk` payloads of one request, in
 * order) by the sequence decoders of gRPC-web, Connect and GraphQL multipart: envelopes and parts
 * cut at every byte position, and at any set of positions (fast-check), decode to the frames the
 * whole body decodes to, each reported once, by the chunk that completed it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Payload } from '../../src/core/events.ts';
import { getDecoder } from '../../src/core/protocols/index.ts';
import type { DecodedMessage } from '../../src/core/protocols/types.ts';
import { bytesToBase64, flattenDecoded } from '../../src/core/protocols/util.ts';

const enc = new TextEncoder();

/** A gRPC-web / Connect envelope (connect-es 2.3.0 protocol/envelope.js encodeEnvelope). */
function envelope(flags: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, payload.length);
  out.set(payload, 5);
  return out;
}
/** demo.v1.Tick {n = 1 (varint), text = 2 (string)} in protobuf. */
function tick(n: number, text = `tick ${n}`): Uint8Array {
  const t = enc.encode(text);
  const length: number[] = [];
  for (let v = t.length; ; v >>>= 7) {
    if (v < 0x80) {
      length.push(v);
      break;
    }
    length.push((v & 0x7f) | 0x80);
  }
  return Uint8Array.from([0x08, n, 0x12, ...length, ...t]);
}
const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

const binary = (bytes: Uint8Array, size = bytes.length): Payload => ({ size, encoding: 'binary', data: bytesToBase64(bytes), truncated: bytes.length < size });
const text = (t: string, size = enc.encode(t).length): Payload => ({ size, encoding: 'text', data: t, truncated: false });

/** Cut `length` at the sorted positions: [start, end) of each piece. */
function pieces(length: number, cuts: number[]): Array<[number, number]> {
  const at = [...new Set(cuts.filter((c) => c > 0 && c < length))].sort((a, b) => a - b);
  const bounds = [0, ...at, length];
  return bounds.slice(1).map((end, i) => [bounds[i]!, end]);
}

/** Feed the chunks to a fresh sequence decoder of `protocol`: each chunk's frames. */
function feed(protocol: string, chunks: Payload[]): DecodedMessage[][] {
  const next = getDecoder(protocol)!.sequenceDecoder!();
  return chunks.map((data) => flattenDecoded(next({ dir: 'in', data })));
}
const show = (d: DecodedMessage) => `${d.role} ${d.label}`;

/** The frames of the whole body (what http.end's body decodes to). */
function whole(protocol: string, data: Payload): string[] {
  return flattenDecoded(getDecoder(protocol)!.decode(data, 'in')).map(show);
}

const grpcBody = concat([
  envelope(0, tick(1)),
  envelope(0, tick(2, 'x'.repeat(300))),
  envelope(0, new Uint8Array(0)),
  envelope(0x80, enc.encode('grpc-status: 0\r\ngrpc-message: \r\n')),
]);
const connectBody = concat([envelope(0, tick(1)), envelope(0, tick(2)), envelope(2, enc.encode('{"error":{"code":"not_found","message":"no tick after 1"}}'))]);
/** Where each envelope of `body` ends (exclusive). */
function envelopeEnds(body: Uint8Array): number[] {
  const ends: number[] = [];
  for (let at = 0; at < body.length; ) {
    at += 5 + new DataView(body.buffer, body.byteOffset + at + 1, 4).getUint32(0);
    ends.push(at);
  }
  return ends;
}

function checkEnvelopes(protocol: string, body: Uint8Array, cuts: number[]): void {
  const expected = whole(protocol, binary(body));
  const ranges = pieces(body.length, cuts);
  const perChunk = feed(protocol, ranges.map(([s, e]) => binary(body.subarray(s, e))));
  expect(perChunk.flat().map(show)).toEqual(expected);
  // Each envelope is reported by the chunk holding its last byte, with its own size.
  const ends = envelopeEnds(body);
  const reportedAt = perChunk.flatMap((frames, i) => frames.map(() => i));
  expect(reportedAt).toEqual(ends.map((end) => ranges.findIndex(([s, e]) => end > s && end <= e)));
  expect(perChunk.flat().map((d) => d.size)).toEqual(ends.map((end, i) => end - (ends[i - 1] ?? 0)));
}

describe('gRPC-web and Connect bodies decoded as they stream in', () => {
  it('an envelope cut at every byte position (the 5-byte prefix included) decodes as the whole body', () => {
    expect(whole('grpc-web', binary(grpcBody))).toEqual([
      'data grpc-web message 1 fields {1, 2}',
      'data grpc-web message 2 fields {1, 2}',
      'data grpc-web message 3 (empty)',
      'control grpc-web trailers grpc-status=0 (OK)',
    ]);
    for (let p = 1; p < grpcBody.length; p++) checkEnvelopes('grpc-web', grpcBody, [p]);
    for (let p = 1; p < connectBody.length; p++) checkEnvelopes('connect', connectBody, [p]);
    // A byte per chunk.
    checkEnvelopes('grpc-web', grpcBody, [...grpcBody.keys()]);
  });

  it('property: any cuts of a stream of envelopes decode as the whole body, each envelope once, when it completes', () => {
    const message = fc.record({ n: fc.integer({ min: 0, max: 127 }), text: fc.string({ maxLength: 120 }) });
    fc.assert(
      fc.property(
        fc.array(message, { maxLength: 6 }),
        fc.constantFrom('grpc-web', 'connect'),
        fc.array(fc.nat(), { maxLength: 12 }),
        (messages, protocol, cuts) => {
          const end = protocol === 'grpc-web' ? envelope(0x80, enc.encode('grpc-status: 0\r\n')) : envelope(2, enc.encode('{}'));
          const body = concat([...messages.map((m) => envelope(0, tick(m.n, m.text))), end]);
          checkEnvelopes(protocol, body, cuts.map((c) => c % (body.length + 1)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('bytes the capture left out of a chunk cut the envelope they fall in, and the next envelopes still decode', () => {
    const big = envelope(0, tick(7, 'y'.repeat(120)));
    const body = concat([envelope(0, tick(1)), big, envelope(0, tick(2)), envelope(0x80, enc.encode('grpc-status: 0\r\n'))]);
    const bigStart = envelope(0, tick(1)).length;
    // The second chunk holds the big envelope, of which the capture kept the first 20 bytes only.
    const chunks = [binary(body.subarray(0, bigStart)), binary(body.subarray(bigStart, bigStart + 20), big.length), binary(body.subarray(bigStart + big.length))];
    expect(feed('grpc-web', chunks).map((f) => f.map(show))).toEqual([
      ['data grpc-web message 1 fields {1, 2}'],
      ['data grpc-web message 2 (cut)'],
      ['data grpc-web message 3 fields {1, 2}', 'control grpc-web trailers grpc-status=0 (OK)'],
    ]);
    // Left out past the envelope's end: out of step until a chunk starts an envelope.
    const lost = feed('grpc-web', [binary(body.subarray(0, 3), bigStart + 10), binary(body.subarray(bigStart + 10, bigStart + big.length)), binary(body.subarray(bigStart + big.length))]);
    expect(lost.map((f) => f.map(show))).toEqual([[], [], ['data grpc-web message 1 fields {1, 2}', 'control grpc-web trailers grpc-status=0 (OK)']]);
  });

  it('whole bodies fed one after another decode as each alone (the numbering starts again after the trailers)', () => {
    expect(feed('grpc-web', [binary(grpcBody), binary(grpcBody)]).map((f) => f.map(show))).toEqual([whole('grpc-web', binary(grpcBody)), whole('grpc-web', binary(grpcBody))]);
  });

  it('the JSON codec through the capture\'s UTF-8 decoding, cut at every byte position (a lost 0x80 flag, split characters)', () => {
    const json = (v: unknown) => enc.encode(JSON.stringify(v));
    const body = concat([envelope(0, json({ n: 1, text: 'tick é 1' })), envelope(0, json({ n: 2, text: '✓'.repeat(50) })), envelope(0x80, enc.encode('grpc-status: 0\r\n'))]);
    const asText = (bytes: Uint8Array[]) => {
      const decoder = new TextDecoder();
      return bytes.map((b, i) => text(decoder.decode(b, { stream: i < bytes.length - 1 }), b.length));
    };
    const expected = whole('grpc-web', asText([body])[0]!);
    expect(expected).toEqual(['data grpc-web message 1 {n, text}', 'data grpc-web message 2 {n, text}', 'control grpc-web trailers grpc-status=0 (OK)']);
    for (let p = 1; p < body.length; p++) {
      const frames = feed('grpc-web', asText([body.subarray(0, p), body.subarray(p)]));
      expect(frames.flat().map(show), `cut at ${p}`).toEqual(expected);
    }
  });

  it('grpc-web-text: base64 flushed per message, cut at every character', () => {
    const flushes = [envelope(0, tick(1)), envelope(0, tick(2)), envelope(0x80, enc.encode('grpc-status: 0\r\n'))].map(bytesToBase64);
    const body = flushes.join('');
    const expected = whole('grpc-web', text(body));
    expect(expected).toEqual(['data grpc-web message 1 fields {1, 2}', 'data grpc-web message 2 fields {1, 2}', 'control grpc-web trailers grpc-status=0 (OK)']);
    for (let p = 1; p < body.length; p++) expect(feed('grpc-web', [text(body.slice(0, p)), text(body.slice(p))]).flat().map(show), `cut at ${p}`).toEqual(expected);
  });

  it('a body that is no envelope stream (a Connect unary JSON body in chunks) yields no frames', () => {
    const frames = feed('connect', [text('{"n": 1, "te'), text('xt": "tick 1"}')]);
    expect(frames.flat()).toEqual([]);
  });
});

/** Apollo Router's bytes for a subscription (apollo-router/src/protocols/multipart.rs): each chunk ends with the delimiter. */
const routerChunks = [
  '\r\n--graphql\r\ncontent-type: application/json\r\n\r\n{}\r\n--graphql',
  '\r\ncontent-type: application/json\r\n\r\n{"payload":{"data":{"ticks":1}}}\r\n--graphql',
  '\r\ncontent-type: application/json\r\n\r\n{}\r\n--graphql',
  '\r\ncontent-type: application/json\r\n\r\n{"payload":{"data":{"ticks":2}}}\r\n--graphql',
  '--\r\n',
];
/** Incremental delivery with the delimiter before each part (graphql-over-http rfcs/IncrementalDelivery.md examples). */
const deferChunks = [
  '\r\n---\r\ncontent-type: application/json; charset=utf-8\r\n\r\n{"data":{"hero":{"id":"1"}},"hasNext":true}',
  '\r\n---\r\ncontent-type: application/json; charset=utf-8\r\n\r\n{"incremental":[{"data":{"friends":[]},"path":["hero"]}],"hasNext":true}',
  '\r\n---\r\ncontent-type: application/json; charset=utf-8\r\n\r\n{"incremental":[{"data":{"appearsIn":["NEWHOPE"]},"path":["hero"]}],"hasNext":false}',
  '\r\n-----\r\n',
];

function checkParts(chunks: string[], cuts: number[]): void {
  const body = chunks.join('');
  const expected = whole('graphql-multipart', text(body));
  const frames = feed('graphql-multipart', pieces(body.length, cuts).map(([s, e]) => text(body.slice(s, e))));
  expect(frames.flat().map(show), `cuts ${cuts.join(',')}`).toEqual(expected);
}

describe('GraphQL multipart bodies decoded as they stream in', () => {
  it('each part as its chunk arrives, heartbeats included, in both delimiter placements', () => {
    expect(feed('graphql-multipart', routerChunks.map((c) => text(c))).map((f) => f.map(show))).toEqual([
      ['heartbeat graphql-multipart heartbeat'],
      ['data graphql-multipart subscription next {ticks}'],
      ['heartbeat graphql-multipart heartbeat'],
      ['data graphql-multipart subscription next {ticks}'],
      [],
    ]);
    // The delimiter first: a part whose JSON is whole is reported at once, not again at the next delimiter.
    expect(feed('graphql-multipart', deferChunks.map((c) => text(c))).map((f) => f.map(show))).toEqual([
      ['data graphql-multipart initial {hero} hasNext=true'],
      ['data graphql-multipart subsequent (incremental ×1) hasNext=true'],
      ['data graphql-multipart subsequent (incremental ×1) hasNext=false'],
      [],
    ]);
  });

  it('parts cut at every character position decode as the whole body', () => {
    for (const chunks of [routerChunks, deferChunks]) {
      const body = chunks.join('');
      for (let p = 1; p < body.length; p++) checkParts([body], [p]);
    }
  });

  it('property: any cuts of a multipart body decode as the whole body, each part once', () => {
    const event = fc.oneof(fc.constant({}), fc.record({ payload: fc.record({ data: fc.record({ ticks: fc.integer(), text: fc.string({ maxLength: 40 }) }) }) }));
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 6 }), fc.boolean(), fc.array(fc.nat(), { maxLength: 10 }), (events, routerStyle, cuts) => {
        const parts = events.map((e) => `content-type: application/json\r\n\r\n${JSON.stringify(e)}`);
        const body = routerStyle ? `\r\n--graphql\r\n${parts.join('\r\n--graphql\r\n')}\r\n--graphql--\r\n` : `${parts.map((p) => `\r\n--graphql\r\n${p}`).join('')}\r\n--graphql--\r\n`;
        checkParts([body], cuts.map((c) => c % (body.length + 1)));
      }),
      { numRuns: 300 },
    );
  });

  it('text the capture left out cuts its part; the next parts decode', () => {
    const first = routerChunks[1]!;
    const frames = feed('graphql-multipart', [text(routerChunks[0]!), { size: first.length + 5000, encoding: 'text', data: first.slice(0, 30), truncated: true }, text(`xx${'z'.repeat(10)}\r\n--graphql`), text(routerChunks[2]!)]);
    expect(frames.map((f) => f.map(show))).toEqual([['heartbeat graphql-multipart heartbeat'], ['data graphql-multipart part (cut)'], [], ['heartbeat graphql-multipart heartbeat']]);
  });

  it('text that is no multipart body yields no frames', () => {
    expect(feed('graphql-multipart', [text('{"data":'), text('{}}')]).flat()).toEqual([]);
  });
});
