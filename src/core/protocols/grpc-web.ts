/**
 * gRPC-web and Connect streaming over HTTP (fetch): a response body is a series
 * of enveloped messages, each a flags byte, a 4-byte big-endian length and that
 * many bytes (connect-es 2.3.0, @connectrpc/connect dist/esm/protocol/envelope.js).
 * - gRPC-web (github.com/grpc/grpc/doc/PROTOCOL-WEB.md): the last envelope has
 *   flag 0x80 and carries the trailers as HTTP header lines
 *   (`grpc-status: 0\r\ngrpc-message: …\r\n`; protocol-grpc-web/trailer.js
 *   trailerFlag = 0b10000000). Media types application/grpc-web(+proto|+json) and
 *   application/grpc-web-text (the same bytes in base64).
 * - Connect (connectrpc.com/docs/protocol, "Streaming-Response"): the last envelope
 *   has flag 0x02 and carries the end-of-stream message, JSON with an optional
 *   `error: {code, message, details}` and `metadata` (protocol-connect/end-stream.js
 *   endStreamFlag = 0b00000010). Media types application/connect+proto and
 *   application/connect+json; unary calls are not enveloped (application/proto,
 *   application/json, with a `connect-protocol-version: 1` request header).
 * Flag 0x01 marks a compressed message. Messages decode as schemaless protobuf
 * fields (binary codecs) or JSON (the +json codecs).
 *
 * A text body (the +json codecs) reaches the capture through a UTF-8 decoder:
 * a prefix byte of 0x80 or more (a flag 0x80, a length byte) is then replaced
 * by U+FFFD, so such a prefix is skipped by finding the JSON value after it.
 * Labels such as `grpc-web message 1 fields {1, 2}`, `grpc-web trailers
 * grpc-status=0 (OK)`, `connect end-of-stream error=not_found "…"`.
 */
import type { Direction, Payload } from '../events.ts';
import { parseProtobuf } from './protobuf.ts';
import type { DecodedMessage, MessageRole, ProtocolDecoder, ProtocolHint, ProtocolTimings } from './types.ts';
import { base64ToBytes, combineMessages, defineDecoder, isRecord, parseJson, payloadBytes, plainMessage, quote, strictUtf8Text } from './util.ts';

/** protocol-grpc-web/trailer.js trailerFlag (connect-es 2.3.0). */
export const GRPC_WEB_TRAILER_FLAG = 0x80;
/** protocol-connect/end-stream.js endStreamFlag (connect-es 2.3.0). */
export const CONNECT_END_STREAM_FLAG = 0x02;
/** protocol/envelope.js: a compressed message (connect-es 2.3.0 Compression). */
export const COMPRESSED_FLAG = 0x01;

/** gRPC status codes (github.com/grpc/grpc doc/statuscodes.md; connect-es 2.3.0 code.js). */
const GRPC_CODES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

/** gRPC-web and Connect define no heartbeat of their own: a stream is kept by the HTTP connection alone. */
const RPC_TIMINGS_NOTE =
  'The protocol has no heartbeat message: a server stream that stays silent sends nothing (HTTP/2 PINGs, when the server sends them, are invisible to the page). A deadline, when the client sets one, travels as the grpc-timeout or connect-timeout-ms request header.';

export const GRPC_WEB_TIMINGS: ProtocolTimings = {
  notes: RPC_TIMINGS_NOTE,
  source: '@connectrpc/connect 2.3.0 dist/esm/protocol-grpc-web (request-header.js grpc-timeout; no keep-alive in transport.js)',
};
export const CONNECT_TIMINGS: ProtocolTimings = {
  notes: RPC_TIMINGS_NOTE,
  source: '@connectrpc/connect 2.3.0 dist/esm/protocol-connect (request-header.js connect-timeout-ms; no keep-alive in transport.js)',
};

/** One envelope as read from a body. */
interface Envelope {
  flags: number;
  /** Payload length the prefix announces; null when the prefix was lost to text decoding. */
  length: number | null;
  /** Binary bodies: the payload bytes (fewer than `length` when the body was cut). */
  bytes: Uint8Array | null;
  /** Text bodies: the payload text. */
  text: string | null;
  /** The body ended inside this envelope. */
  cut: boolean;
  /** Text bodies: where the envelope ends in the text (exclusive). */
  end?: number;
}

/** Envelopes of binary bytes; null when they are not a series of envelopes (a cut body may end inside one). */
export function envelopesOfBytes(bytes: Uint8Array, truncated: boolean): Envelope[] | null {
  const out: Envelope[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    if (bytes.length - pos < 5) return truncated && out.length > 0 ? out : null;
    const flags = bytes[pos]!;
    if ((flags & ~(GRPC_WEB_TRAILER_FLAG | CONNECT_END_STREAM_FLAG | COMPRESSED_FLAG)) !== 0) return null;
    const length = ((bytes[pos + 1]! << 24) >>> 0) + (bytes[pos + 2]! << 16) + (bytes[pos + 3]! << 8) + bytes[pos + 4]!;
    const start = pos + 5;
    const end = start + length;
    if (end > bytes.length) {
      if (!truncated) return null;
      out.push({ flags, length, bytes: bytes.subarray(start), text: null, cut: true });
      return out;
    }
    out.push({ flags, length, bytes: bytes.subarray(start, end), text: null, cut: false });
    pos = end;
  }
  return out.length > 0 ? out : null;
}

/** UTF-8 length of one UTF-16 code unit sequence starting at `i`: [bytes, units]. */
function utf8At(text: string, i: number): [number, number] {
  const c = text.charCodeAt(i);
  if (c < 0x80) return [1, 1];
  if (c < 0x800) return [2, 1];
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
    const next = text.charCodeAt(i + 1);
    if (next >= 0xdc00 && next <= 0xdfff) return [4, 2];
  }
  return [3, 1];
}

/** The end (exclusive) of the JSON value starting at `start` ('{' or '['), or -1 when it does not close. */
function jsonEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/**
 * Envelopes of a body the capture holds as text (the +json codecs). A prefix of
 * ASCII bytes is exact; a flag 0x80 shows as U+FFFD; a length with a byte of 0x80
 * or more cannot be read, and the payload is then the JSON value (or, for
 * trailers, the header lines) that follows.
 */
export function envelopesOfText(text: string, truncated: boolean): Envelope[] | null {
  const out: Envelope[] = [];
  let pos = 0;
  while (pos < text.length) {
    if (text.length - pos < 5) return truncated && out.length > 0 ? out : null;
    let flags = text.charCodeAt(pos);
    // A flag byte 0x80/0x81 decoded alone is U+FFFD.
    if (flags === 0xfffd) flags = GRPC_WEB_TRAILER_FLAG;
    if (flags > 0xff || (flags & ~(GRPC_WEB_TRAILER_FLAG | CONNECT_END_STREAM_FLAG | COMPRESSED_FLAG)) !== 0) return null;
    const prefix = text.slice(pos + 1, pos + 5);
    if (/^[\0-\x7f]{4}$/.test(prefix)) {
      const length = prefix.charCodeAt(0) * 2 ** 24 + (prefix.charCodeAt(1) << 16) + (prefix.charCodeAt(2) << 8) + prefix.charCodeAt(3);
      const start = pos + 5;
      let i = start;
      let bytes = 0;
      while (bytes < length && i < text.length) {
        const [b, units] = utf8At(text, i);
        bytes += b;
        i += units;
      }
      if (bytes < length) {
        if (!truncated) return null;
        out.push({ flags, length, bytes: null, text: text.slice(start), cut: true, end: text.length });
        return out;
      }
      if (bytes !== length) return null;
      out.push({ flags, length, bytes: null, text: text.slice(start, i), cut: false, end: i });
      pos = i;
      continue;
    }
    // The prefix lost bytes to U+FFFD: 4 bytes made 1 to 4 characters. Trailers run to the end of the body.
    if (flags & GRPC_WEB_TRAILER_FLAG) {
      const m = /[a-z]/i.exec(text.slice(pos + 1, pos + 5));
      if (!m) return null;
      out.push({ flags, length: null, bytes: null, text: text.slice(pos + 1 + m.index), cut: truncated, end: text.length });
      return out;
    }
    let found = false;
    for (let start = pos + 2; start <= pos + 5 && start < text.length; start++) {
      const c = text[start];
      if (c !== '{' && c !== '[') continue;
      const end = jsonEnd(text, start);
      if (end < 0) {
        if (!truncated) continue;
        out.push({ flags, length: null, bytes: null, text: text.slice(start), cut: true, end: text.length });
        return out;
      }
      if (!parseJson(text.slice(start, end))) continue;
      out.push({ flags, length: null, bytes: null, text: text.slice(start, end), cut: false, end });
      pos = end;
      found = true;
      break;
    }
    if (!found) {
      // A cut body may end inside the prefix, before the value starts.
      return truncated && out.length > 0 && text.length - pos <= 6 ? out : null;
    }
  }
  return out.length > 0 ? out : null;
}

/** A grpc-web-text body: base64 (each flushed chunk padded on its own), null when it is not. */
function base64Body(text: string): Uint8Array | null {
  // The first envelope's flags byte is 0x00-0x03 or 0x80-0x83: base64 'A' or 'g' (a cheap refusal of other text).
  const lead = text.trimStart()[0];
  if (lead !== 'A' && lead !== 'g') return null;
  const compact = text.replace(/\s+/g, '');
  if (compact.length < 8 || !/^[A-Za-z0-9+/=]+$/.test(compact)) return null;
  const pieces = compact.match(/[A-Za-z0-9+/]*={0,2}/g)?.filter((p) => p.length > 0) ?? [];
  const parts: Uint8Array[] = [];
  for (const piece of pieces) {
    if (piece.length % 4 === 1) return null;
    parts.push(base64ToBytes(piece));
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return bytes;
}

/** The envelopes of a captured body, and whether its messages are text (JSON codec). */
export function readEnvelopes(data: Payload): { envelopes: Envelope[]; codec: 'proto' | 'json' } | null {
  if (data.size === 0) return null;
  if (data.encoding === 'binary') {
    const envelopes = envelopesOfBytes(payloadBytes(data), data.truncated);
    return envelopes ? { envelopes, codec: 'proto' } : null;
  }
  const envelopes = envelopesOfText(data.data, data.truncated);
  if (envelopes) return { envelopes, codec: 'json' };
  // application/grpc-web-text: the envelopes in base64.
  const decoded = base64Body(data.data);
  const fromBase64 = decoded ? envelopesOfBytes(decoded, data.truncated) : null;
  return fromBase64 ? { envelopes: fromBase64, codec: 'proto' } : null;
}

/** gRPC-web trailers: HTTP header lines (protocol-grpc-web/trailer.js trailerParse). */
function parseTrailers(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return out;
}

function percentDecoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function envelopeText(e: Envelope): string | null {
  if (e.text !== null) return e.text;
  return e.bytes ? strictUtf8Text(e.bytes) : null;
}

/** A message envelope's payload: schemaless protobuf fields or JSON. */
function describePayload(e: Envelope, codec: 'proto' | 'json'): { text: string; value: unknown } {
  if (e.flags & COMPRESSED_FLAG) return { text: ' (compressed)', value: { compressed: true, length: e.length } };
  if (codec === 'json' || e.bytes === null) {
    const text = envelopeText(e) ?? '';
    const json = e.cut ? null : parseJson(text);
    if (json && isRecord(json.value)) {
      const keys = Object.keys(json.value);
      return { text: ` {${keys.slice(0, 4).join(', ')}${keys.length > 4 ? ', …' : ''}}`, value: json.value };
    }
    if (json) return { text: ` ${quote(JSON.stringify(json.value))}`, value: json.value };
    return { text: e.cut ? ' (cut)' : ` ${quote(text)}`, value: text };
  }
  if (e.bytes.length === 0) return { text: ' (empty)', value: { message: {} } };
  const parsed = parseProtobuf(e.bytes, e.cut);
  if (!parsed) return { text: ` ${e.bytes.length} B`, value: { length: e.length } };
  if (parsed.incomplete) return { text: ' (cut)', value: null };
  const { fields, message } = parsed.value as { fields: Array<{ field: number; wire: string }>; message: unknown };
  const numbers = [...new Set(fields.map((f) => f.field))];
  return { text: ` fields {${numbers.slice(0, 6).join(', ')}${numbers.length > 6 ? ', …' : ''}}`, value: { fields: fields.map((f) => `${f.field}:${f.wire}`), message } };
}

function describeTrailers(protocol: string, e: Envelope): DecodedMessage {
  const trailers = parseTrailers(envelopeText(e) ?? '');
  const status = trailers['grpc-status'];
  const code = status !== undefined && /^\d+$/.test(status) ? Number(status) : null;
  let label = `${protocol} trailers`;
  if (status !== undefined) label += ` grpc-status=${status}${code !== null && GRPC_CODES[code] ? ` (${GRPC_CODES[code]})` : ''}`;
  const message = trailers['grpc-message'];
  if (message) label += ` grpc-message=${quote(percentDecoded(message))}`;
  const role: MessageRole = code === 0 ? 'control' : 'error';
  return { protocol, role, label, value: { trailers } };
}

function describeEndStream(protocol: string, e: Envelope): DecodedMessage {
  const json = parseJson(envelopeText(e) ?? '');
  const v = json && isRecord(json.value) ? json.value : null;
  const error = v && isRecord(v.error) ? v.error : null;
  let label = `${protocol} end-of-stream`;
  if (error) {
    label += ` error=${typeof error.code === 'string' ? error.code : 'unknown'}`;
    if (typeof error.message === 'string') label += ` ${quote(error.message)}`;
  }
  return { protocol, role: error ? 'error' : 'control', label, value: v ?? envelopeText(e) };
}

/** Each envelope of a body decoded (message n, trailers, end-of-stream); null when the body is not enveloped. */
export function decodeEnvelopes(protocol: string, data: Payload): DecodedMessage[] | null {
  const read = readEnvelopes(data);
  if (!read) return null;
  const out: DecodedMessage[] = [];
  let n = 0;
  for (const e of read.envelopes) {
    if (e.flags & GRPC_WEB_TRAILER_FLAG) out.push(describeTrailers(protocol, e));
    else if (e.flags & CONNECT_END_STREAM_FLAG) out.push(describeEndStream(protocol, e));
    else {
      const p = describePayload(e, read.codec);
      out.push({ protocol, role: 'data', label: `${protocol} message ${++n}${p.text}`, value: p.value });
    }
  }
  return out;
}

/** A Connect unary body (not enveloped): a JSON message, a Connect error `{code, message}` or protobuf. */
function decodeConnectUnary(data: Payload): DecodedMessage | null {
  if (data.encoding === 'text') {
    const json = parseJson(data.data);
    if (!json || !isRecord(json.value)) return null;
    const v = json.value;
    // protocol-connect/error-json.js: {code, message, details}.
    if (typeof v.code === 'string' && Object.keys(v).every((k) => k === 'code' || k === 'message' || k === 'details')) {
      return { protocol: 'connect', role: 'error', label: `connect error=${v.code}${typeof v.message === 'string' ? ` ${quote(v.message)}` : ''}`, value: v };
    }
    const keys = Object.keys(v);
    return { protocol: 'connect', role: 'data', label: `connect unary {${keys.slice(0, 4).join(', ')}${keys.length > 4 ? ', …' : ''}}`, value: v };
  }
  const parsed = parseProtobuf(payloadBytes(data), data.truncated);
  if (!parsed || parsed.incomplete) return null;
  const { fields, message } = parsed.value as { fields: Array<{ field: number; wire: string }>; message: unknown };
  const numbers = [...new Set(fields.map((f) => f.field))];
  return { protocol: 'connect', role: 'data', label: `connect unary fields {${numbers.slice(0, 6).join(', ')}}`, value: { fields: fields.map((f) => `${f.field}:${f.wire}`), message } };
}

function header(hint: ProtocolHint, name: string): string | null {
  for (const [key, value] of hint.requestHeaders ?? []) if (key.toLowerCase() === name) return value;
  return null;
}

/** connect-es 2.3.0 protocol-grpc-web/content-type.js contentTypeRegExp (parameters already stripped). */
const GRPC_WEB_TYPE = /^application\/grpc-web(-text)?(\+(json|proto))?$/;
/** connect-es 2.3.0 protocol-connect/content-type.js contentTypeStreamRegExp. */
const CONNECT_STREAM_TYPE = /^application\/connect\+(json|proto)$/;

function mediaType(value: string | null): string {
  return (value ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Evidence from the samples: the body parses as envelopes ending with `lastFlag`. */
function samplesEnd(hint: ProtocolHint, protocol: string, lastFlag: number): number {
  let fits = 0;
  for (const s of hint.samples) {
    if (s.data.size === 0) continue;
    const read = readEnvelopes(s.data);
    if (!read) return 0;
    const last = read.envelopes[read.envelopes.length - 1]!;
    if (last.flags & lastFlag) fits++;
    else if (last.flags & (GRPC_WEB_TRAILER_FLAG | CONNECT_END_STREAM_FLAG)) return 0;
    if (protocol === 'grpc-web' && read.envelopes.some((e) => e.flags & CONNECT_END_STREAM_FLAG)) return 0;
    if (protocol === 'connect' && read.envelopes.some((e) => e.flags & GRPC_WEB_TRAILER_FLAG)) return 0;
  }
  return fits;
}

function detectGrpcWeb(hint: ProtocolHint): number {
  if (hint.transport === 'websocket' || hint.transport === 'eventsource') return 0;
  const response = hint.contentType ?? '';
  const request = mediaType(header(hint, 'content-type'));
  if (GRPC_WEB_TYPE.test(response)) return 0.95;
  if (CONNECT_STREAM_TYPE.test(response)) return 0;
  // No response yet (or an error page): what the client sent.
  if (GRPC_WEB_TYPE.test(request) || header(hint, 'x-grpc-web') !== null) return 0.85;
  return samplesEnd(hint, 'grpc-web', GRPC_WEB_TRAILER_FLAG) > 0 ? 0.7 : 0;
}

function detectConnect(hint: ProtocolHint): number {
  if (hint.transport === 'websocket' || hint.transport === 'eventsource') return 0;
  const response = hint.contentType ?? '';
  const request = mediaType(header(hint, 'content-type'));
  if (CONNECT_STREAM_TYPE.test(response)) return 0.95;
  if (GRPC_WEB_TYPE.test(response)) return 0;
  if (CONNECT_STREAM_TYPE.test(request)) return 0.85;
  // Unary Connect: the client always sends connect-protocol-version (protocol-connect/request-header.js).
  if (header(hint, 'connect-protocol-version') !== null) return 0.85;
  return samplesEnd(hint, 'connect', CONNECT_END_STREAM_FLAG) > 0 ? 0.7 : 0;
}

/** Most payload bytes of one envelope kept while it streams in: a longer one is described from its first bytes, cut. */
const STREAM_ENVELOPE_MAX_BYTES = 64 * 1024;
/** Most text kept for an envelope of the JSON codec not complete yet; beyond it the stream is out of step until a chunk starts an envelope. */
const STREAM_TEXT_MAX_CHARS = 1024 * 1024;

const isFlags = (b: number) => (b & ~(GRPC_WEB_TRAILER_FLAG | CONNECT_END_STREAM_FLAG | COMPRESSED_FLAG)) === 0;

/**
 * A response body decoded as it streams in, chunk by chunk (the `http.chunk` payloads of one
 * request, in order): each call takes the next chunk and returns the envelopes it completed, each
 * with its size, one message per envelope ({@link flattenDecoded}); a chunk that completes none
 * returns no message, its label saying what is pending. Envelopes span chunks anywhere, the
 * 5-byte prefix included. Binary chunks (`+proto`) are read byte by byte, and bytes the capture
 * left out of a chunk (its payload `truncated`) are counted inside the envelope they fall in,
 * which is then described as cut; text chunks are the JSON codec (`+json`, through the capture's
 * UTF-8 decoding, as {@link envelopesOfText} reads it) or grpc-web-text (base64, each flush
 * padded on its own). When the bytes stop making envelopes the stream is out of step until a
 * chunk starts with a valid flags byte. After the trailers (gRPC-web) or the end-of-stream
 * message (Connect) the numbering starts again, so whole bodies fed one after another decode
 * as each alone.
 */
function envelopeStream(protocol: 'grpc-web' | 'connect'): (message: { dir: Direction; data: Payload }) => DecodedMessage {
  let mode: 'binary' | 'json' | 'base64' | null = null;
  let synced = true;
  let n = 0;
  // Binary (and base64 once decoded): the envelope being read.
  const header = new Uint8Array(5);
  let headerGot = 0;
  let flags = 0;
  let length = 0;
  let body = new Uint8Array(0);
  let bodyGot = 0;
  let bodyKept = 0;
  let cut = false;
  // Text: what is not a complete envelope yet.
  let pending = '';
  let frames: DecodedMessage[] = [];

  const describe = (e: Envelope, codec: 'proto' | 'json', size: number): void => {
    let d: DecodedMessage;
    if (e.flags & GRPC_WEB_TRAILER_FLAG) d = describeTrailers(protocol, e);
    else if (e.flags & CONNECT_END_STREAM_FLAG) d = describeEndStream(protocol, e);
    else {
      const p = describePayload(e, codec);
      d = { protocol, role: 'data', label: `${protocol} message ${++n}${p.text}`, value: p.value };
    }
    frames.push({ ...d, size });
    if (e.flags & (GRPC_WEB_TRAILER_FLAG | CONNECT_END_STREAM_FLAG)) n = 0;
  };

  const finishEnvelope = (): void => {
    describe({ flags, length, bytes: body.subarray(0, bodyKept), text: null, cut }, 'proto', 5 + length);
    headerGot = 0;
    body = new Uint8Array(0);
  };

  /** Feed bytes (then `lost` bytes the capture left out) to the binary reader. */
  const feedBytes = (bytes: Uint8Array, lost: number): void => {
    let i = 0;
    while (i < bytes.length && synced) {
      if (headerGot < 5) {
        const take = Math.min(5 - headerGot, bytes.length - i);
        header.set(bytes.subarray(i, i + take), headerGot);
        headerGot += take;
        i += take;
        if (headerGot < 5) break;
        flags = header[0]!;
        if (!isFlags(flags)) {
          synced = false;
          break;
        }
        length = ((header[1]! << 24) >>> 0) + (header[2]! << 16) + (header[3]! << 8) + header[4]!;
        body = new Uint8Array(Math.min(length, STREAM_ENVELOPE_MAX_BYTES));
        bodyGot = 0;
        bodyKept = 0;
        cut = false;
        if (length === 0) finishEnvelope();
        continue;
      }
      const take = Math.min(length - bodyGot, bytes.length - i);
      const keep = Math.min(take, body.length - bodyKept);
      body.set(bytes.subarray(i, i + keep), bodyKept);
      bodyKept += keep;
      if (keep < take) cut = true;
      bodyGot += take;
      i += take;
      if (bodyGot === length) finishEnvelope();
    }
    if (lost > 0 && synced) {
      // Left out by the capture: inside the current envelope's payload, or the stream is out of step.
      if (headerGot === 5 && length - bodyGot >= lost) {
        bodyGot += lost;
        cut = true;
        if (bodyGot === length) finishEnvelope();
      } else synced = false;
    }
  };

  /** Feed text of the JSON codec. */
  const feedJson = (text: string, lost: boolean): void => {
    const all = pending + text;
    pending = '';
    if (all.length < 5) {
      pending = all;
    } else {
      const envelopes = envelopesOfText(all, true);
      if (!envelopes) {
        // The first envelope's prefix, lossy, and no value after it yet; else not envelopes.
        if (all.length <= 6) pending = all;
        else synced = false;
        return;
      }
      let end = 0;
      for (const [i, e] of envelopes.entries()) {
        // Trailers read after a lost prefix run to the end of the text: complete once their last line is.
        const complete = !e.cut || (i === envelopes.length - 1 && e.length === null && e.flags & GRPC_WEB_TRAILER_FLAG && /\n$/.test(all));
        if (!complete) break;
        const from = end;
        end = e.end ?? all.length;
        describe({ ...e, cut: false }, 'json', e.length !== null ? 5 + e.length : new TextEncoder().encode(all.slice(from, end)).length);
      }
      pending = all.slice(end);
    }
    if (lost || pending.length > STREAM_TEXT_MAX_CHARS) {
      pending = '';
      synced = false;
    }
  };

  /** Feed grpc-web-text: base64, decoded by whole quads (a flush's padding ends its quad). */
  const feedBase64 = (text: string, lost: boolean): void => {
    const all = pending + text.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/=]*$/.test(all)) {
      pending = '';
      synced = false;
      return;
    }
    const whole = all.length - (all.length % 4);
    pending = all.slice(whole);
    const pieces = all.slice(0, whole).match(/[A-Za-z0-9+/]*={0,2}/g) ?? [];
    for (const piece of pieces) {
      if (piece.length === 0) continue;
      if (piece.length % 4 !== 0) {
        synced = false;
        break;
      }
      feedBytes(base64ToBytes(piece), 0);
    }
    if (lost) {
      pending = '';
      synced = false;
    }
  };

  return ({ data }) => {
    frames = [];
    if (data.size === 0) return { protocol, role: 'data', label: `${protocol} (empty chunk)`, value: [] };
    const binary = data.encoding === 'binary';
    const bytes = binary ? payloadBytes(data) : null;
    if (mode === null) mode = binary ? 'binary' : /^[Ag][A-Za-z0-9+/=\s]*$/.test(data.data.trimStart()) ? 'base64' : 'json';
    if (!synced) {
      // Back in step when a chunk starts an envelope (servers flush whole messages).
      const first = bytes ? bytes[0] : mode === 'base64' ? (/^\s*[Ag]/.test(data.data) ? 0 : 0xff) : data.data.charCodeAt(0) === 0xfffd ? GRPC_WEB_TRAILER_FLAG : data.data.charCodeAt(0);
      if (first !== undefined && first <= 0xff && isFlags(first)) {
        synced = true;
        headerGot = 0;
        pending = '';
        n = 0;
      }
    }
    if (synced) {
      if (bytes) feedBytes(bytes, data.truncated ? Math.max(0, data.size - bytes.length) : 0);
      else if (mode === 'base64') feedBase64(data.data, data.truncated);
      else feedJson(data.data, data.truncated);
    }
    if (frames.length > 0) return combineMessages(protocol, frames, 'stream');
    const label = synced ? `${protocol} envelope continues (${data.size} B)` : `${protocol} ${data.size} B (not at an envelope)`;
    return { protocol, role: 'data', label, value: [] };
  };
}

/** decodeSequence for envelope streams: the chunks of a body, in order, one result per chunk. */
const envelopeSequence = (protocol: 'grpc-web' | 'connect') => (messages: ReadonlyArray<{ dir: Direction; data: Payload }>) =>
  messages.map(envelopeStream(protocol));

export const grpcWebDecoder: ProtocolDecoder = defineDecoder(
  {
    id: 'grpc-web',
    name: 'gRPC-web',
    timings: GRPC_WEB_TIMINGS,
    detect: detectGrpcWeb,
    decode(data) {
      const frames = decodeEnvelopes('grpc-web', data);
      return frames ? combineMessages('grpc-web', frames, 'stream') : plainMessage('grpc-web', data);
    },
    decodeSequence: envelopeSequence('grpc-web'),
    sequenceDecoder: () => envelopeStream('grpc-web'),
  },
  (data) => plainMessage('grpc-web', data),
);

export const connectDecoder: ProtocolDecoder = defineDecoder(
  {
    id: 'connect',
    name: 'Connect (connectrpc)',
    timings: CONNECT_TIMINGS,
    detect: detectConnect,
    decode(data) {
      const frames = decodeEnvelopes('connect', data);
      if (frames) return combineMessages('connect', frames, 'stream');
      return decodeConnectUnary(data) ?? plainMessage('connect', data);
    },
    decodeSequence: envelopeSequence('connect'),
    sequenceDecoder: () => envelopeStream('connect'),
  },
  (data) => plainMessage('connect', data),
);
