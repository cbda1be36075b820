/**
 * gRPC-web and Connect envelopes (src/core/protocols/grpc-web.ts) on bodies made by
 * the real library's own encoders (@connectrpc/connect 2.3.0: encodeEnvelopes,
 * trailerSerialize, endStreamToJson) and messages by @bufbuild/protobuf, as the
 * page hooks capture them: binary bodies as base64 of their first bytes, the +json
 * codecs as text through a UTF-8 decoder.
 */
import { describe, expect, it } from 'vitest';
import { create, toBinary, toJsonString } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { encodeEnvelopes } from '@connectrpc/connect/protocol';
import { endStreamFlag, endStreamToJson } from '@connectrpc/connect/protocol-connect';
import { trailerFlag, trailerSerialize } from '@connectrpc/connect/protocol-grpc-web';
import { decodeMessage, detectProtocol, PROTOCOL_DECODERS } from '../../src/core/protocols/index.ts';
import { CONNECT_END_STREAM_FLAG, GRPC_WEB_TRAILER_FLAG, readEnvelopes } from '../../src/core/protocols/grpc-web.ts';
import type { ProtocolHint } from '../../src/core/protocols/types.ts';
import { binaryPayload, bytesToBase64, flattenDecoded } from '../../src/core/protocols/util.ts';
import type { Payload } from '../../src/core/events.ts';
import { Tick } from '../e2e/fixtures/tick-service.ts';

const enc = new TextEncoder();
const tick = (n: number, text = `tick ${n}`) => create(Tick, { n, text } as never);
const proto = (n: number, text?: string) => toBinary(Tick, tick(n, text));
const json = (n: number, text?: string) => enc.encode(toJsonString(Tick, tick(n, text)));

function trailers(status: number, message?: string): Uint8Array {
  const h = new Headers({ 'grpc-status': String(status) });
  if (message !== undefined) h.set('grpc-message', encodeURIComponent(message));
  return trailerSerialize(h);
}

function endStream(error?: ConnectError): Uint8Array {
  return enc.encode(JSON.stringify(endStreamToJson(new Headers(), error, undefined)));
}

/** A +json body as the capture holds it: the bytes through a (non-fatal) UTF-8 decoder. */
function asText(bytes: Uint8Array): Payload {
  return { size: bytes.length, encoding: 'text', data: new TextDecoder().decode(bytes), truncated: false };
}

/** A binary body cut at `keep` bytes, as the hooks keep only the first bytes (base64). */
function cut(bytes: Uint8Array, keep: number): Payload {
  return { size: bytes.length, encoding: 'binary', data: bytesToBase64(bytes.subarray(0, keep)), truncated: true };
}

const labels = (protocol: string, data: Payload) => flattenDecoded(decodeMessage(protocol, data, 'in')).map((d) => `${d.role} ${d.label}`);

const hint = (over: Partial<ProtocolHint>): ProtocolHint => ({ transport: 'fetch', url: 'http://127.0.0.1/demo.v1.TickService/Ticks', requestedProtocols: [], negotiatedProtocol: '', samples: [], method: 'POST', ...over });

describe('gRPC-web envelopes', () => {
  it('the library flags are the ones the decoder reads', () => {
    expect(trailerFlag).toBe(GRPC_WEB_TRAILER_FLAG);
    expect(endStreamFlag).toBe(CONNECT_END_STREAM_FLAG);
  });

  it('labels each message and the trailers of a binary stream, fields shown schemaless', () => {
    const body = encodeEnvelopes({ flags: 0, data: proto(1) }, { flags: 0, data: proto(2) }, { flags: trailerFlag, data: trailers(0) });
    expect(labels('grpc-web', binaryPayload(body))).toEqual([
      'data grpc-web message 1 fields {1, 2}',
      'data grpc-web message 2 fields {1, 2}',
      'control grpc-web trailers grpc-status=0 (OK)',
    ]);
    const d = flattenDecoded(decodeMessage('grpc-web', binaryPayload(body), 'in'));
    expect(d[1]!.value).toEqual({ fields: ['1:varint', '2:len'], message: { 1: 2, 2: 'tick 2' } });
    expect(decodeMessage('grpc-web', binaryPayload(body), 'in').label).toBe(
      'grpc-web stream ×3: grpc-web message 1 fields {1, 2}, grpc-web message 2 fields {1, 2}, grpc-web trailers grpc-status=0 (OK)',
    );
  });

  it('an error status in the trailers is an error, with its percent-decoded message', () => {
    const body = encodeEnvelopes({ flags: 0, data: proto(1) }, { flags: trailerFlag, data: trailers(Code.NotFound, 'no tick #2 here') });
    expect(labels('grpc-web', binaryPayload(body))).toEqual(['data grpc-web message 1 fields {1, 2}', 'error grpc-web trailers grpc-status=5 (NOT_FOUND) grpc-message="no tick #2 here"']);
    // The whole body, as one row: data wins the row's role (util.ts dominantRole), the error shows in its label.
    expect(decodeMessage('grpc-web', binaryPayload(body), 'in').label).toMatch(/grpc-status=5 \(NOT_FOUND\)/);
  });

  it('an empty message and a compressed one', () => {
    const body = encodeEnvelopes({ flags: 0, data: new Uint8Array(0) }, { flags: 1, data: new Uint8Array([0x1f, 0x8b, 8, 0]) }, { flags: trailerFlag, data: trailers(0) });
    expect(labels('grpc-web', binaryPayload(body))).toEqual(['data grpc-web message 1 (empty)', 'data grpc-web message 2 (compressed)', 'control grpc-web trailers grpc-status=0 (OK)']);
  });

  it('a body cut by the capture cap ends with a cut message, not a failure', () => {
    const body = encodeEnvelopes({ flags: 0, data: proto(1) }, { flags: 0, data: proto(2, 'x'.repeat(300)) }, { flags: trailerFlag, data: trailers(0) });
    expect(labels('grpc-web', cut(body, 40))).toEqual(['data grpc-web message 1 fields {1, 2}', 'data grpc-web message 2 (cut)']);
    // Not cut but short: not envelopes.
    expect(readEnvelopes({ ...binaryPayload(body.subarray(0, 40)) })).toBeNull();
  });

  it('the +json codec read as text, a trailers flag 0x80 turned into U+FFFD by the capture', () => {
    const body = encodeEnvelopes({ flags: 0, data: json(1) }, { flags: trailerFlag, data: trailers(0) });
    const text = asText(body);
    expect(text.data.charCodeAt(text.data.indexOf('grpc-status') - 5)).toBe(0xfffd);
    expect(labels('grpc-web', text)).toEqual(['data grpc-web message 1 {n, text}', 'control grpc-web trailers grpc-status=0 (OK)']);
  });

  it('a +json message of 128 bytes or more (a length byte the UTF-8 decoder replaced) still decodes', () => {
    const long = 'é'.repeat(90);
    const body = encodeEnvelopes({ flags: 0, data: json(1, long) }, { flags: 0, data: json(2) }, { flags: trailerFlag, data: trailers(0) });
    expect(json(1, long).length).toBeGreaterThan(128);
    const d = flattenDecoded(decodeMessage('grpc-web', asText(body), 'in'));
    expect(d.map((m) => m.label)).toEqual(['grpc-web message 1 {n, text}', 'grpc-web message 2 {n, text}', 'grpc-web trailers grpc-status=0 (OK)']);
    expect(d[0]!.value).toEqual({ n: 1, text: long });
  });

  it('application/grpc-web-text: the envelopes in base64, each flush padded on its own', () => {
    const a = encodeEnvelopes({ flags: 0, data: proto(1) });
    const b = encodeEnvelopes({ flags: trailerFlag, data: trailers(0) });
    const body = Buffer.from(a).toString('base64') + Buffer.from(b).toString('base64');
    expect(labels('grpc-web', { size: body.length, encoding: 'text', data: body, truncated: false })).toEqual(['data grpc-web message 1 fields {1, 2}', 'control grpc-web trailers grpc-status=0 (OK)']);
  });

  it('detection: the response media type, else the request headers, else a body ending with trailers', () => {
    const body = binaryPayload(encodeEnvelopes({ flags: 0, data: proto(1) }, { flags: trailerFlag, data: trailers(0) }));
    expect(detectProtocol(hint({ contentType: 'application/grpc-web+proto', samples: [{ dir: 'in', data: body }] }))?.id).toBe('grpc-web');
    expect(detectProtocol(hint({ contentType: 'application/grpc-web-text' }))?.id).toBe('grpc-web');
    expect(detectProtocol(hint({ requestHeaders: [['content-type', 'application/grpc-web+proto'], ['x-grpc-web', '1']] }))?.id).toBe('grpc-web');
    expect(detectProtocol(hint({ samples: [{ dir: 'in', data: body }] }))?.id).toBe('grpc-web');
    expect(detectProtocol(hint({ transport: 'websocket', contentType: 'application/grpc-web+proto' }))?.id).not.toBe('grpc-web');
  });
});

describe('Connect envelopes', () => {
  it('messages and the end-of-stream message, binary codec', () => {
    const body = encodeEnvelopes({ flags: 0, data: proto(1) }, { flags: 0, data: proto(2) }, { flags: endStreamFlag, data: endStream() });
    expect(labels('connect', binaryPayload(body))).toEqual(['data connect message 1 fields {1, 2}', 'data connect message 2 fields {1, 2}', 'control connect end-of-stream']);
  });

  it('an end-of-stream with an error is an error, with its code and message', () => {
    const body = encodeEnvelopes({ flags: 0, data: json(1) }, { flags: endStreamFlag, data: endStream(new ConnectError('no tick #2 here', Code.NotFound)) });
    expect(labels('connect', asText(body))).toEqual(['data connect message 1 {n, text}', 'error connect end-of-stream error=not_found "no tick #2 here"']);
  });

  it('unary Connect (not enveloped): a JSON message or a Connect error', () => {
    expect(labels('connect', { size: 20, encoding: 'text', data: '{"n":1,"text":"x"}', truncated: false })).toEqual(['data connect unary {n, text}']);
    expect(labels('connect', { size: 40, encoding: 'text', data: '{"code":"unavailable","message":"down"}', truncated: false })).toEqual(['error connect error=unavailable "down"']);
  });

  it('detection: application/connect+json/+proto, connect-protocol-version, never a gRPC-web response', () => {
    const body = asText(encodeEnvelopes({ flags: 0, data: json(1) }, { flags: endStreamFlag, data: endStream() }));
    expect(detectProtocol(hint({ contentType: 'application/connect+json', samples: [{ dir: 'in', data: body }] }))?.id).toBe('connect');
    expect(detectProtocol(hint({ contentType: 'application/connect+proto' }))?.id).toBe('connect');
    expect(detectProtocol(hint({ contentType: 'application/json', requestHeaders: [['connect-protocol-version', '1']], samples: [{ dir: 'in', data: { size: 7, encoding: 'text', data: '{"n":1}', truncated: false } }] }))?.id).toBe('connect');
    expect(detectProtocol(hint({ samples: [{ dir: 'in', data: body }] }))?.id).toBe('connect');
    expect(PROTOCOL_DECODERS.find((d) => d.id === 'connect')!.detect(hint({ contentType: 'application/grpc-web+proto' }))).toBe(0);
  });

  it('plain JSON and plain protobuf channels are not taken for either', () => {
    const plain = { size: 7, encoding: 'text' as const, data: '{"n":1}', truncated: false };
    expect(detectProtocol(hint({ contentType: 'application/json', samples: [{ dir: 'in', data: plain }] }))?.id).toBe('json');
    const pb = binaryPayload(proto(1));
    expect(['grpc-web', 'connect']).not.toContain(detectProtocol(hint({ contentType: 'application/x-protobuf', samples: [{ dir: 'in', data: pb }] }))?.id);
  });
});
