/**
 * Helpers shared by the protocol decoders: payload bytes and text, JSON,
 * hint inspection, labels, and the guard that keeps every decoder from
 * throwing. Pure; runs in the panel, the CLI and Node tests.
 */
import type { Direction, Payload } from '../events.ts';
import type { DecodedMessage, MessageContext, MessageRole, ProtocolDecoder, ProtocolHint, ProtocolTimings } from './types.ts';

const lossyUtf8 = new TextDecoder('utf-8', { fatal: false });
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;
B64_INDEX['-'.charCodeAt(0)] = 62; // base64url
B64_INDEX['_'.charCodeAt(0)] = 63;

/** Decode base64 (standard or url-safe, padding optional); stops at the first invalid character. */
export function base64ToBytes(b64: string): Uint8Array {
  const out = new Uint8Array(Math.floor((b64.length * 3) / 4) + 3);
  let bits = 0;
  let acc = 0;
  let n = 0;
  for (let i = 0; i < b64.length; i++) {
    const c = b64.charCodeAt(i);
    if (c === 61 /* = */) break;
    const v = c < 128 ? B64_INDEX[c]! : -1;
    if (v < 0) {
      if (c === 10 || c === 13 || c === 32) continue;
      break;
    }
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
  }
  return out.subarray(0, n);
}

/** Encode bytes as standard base64 with padding. */
export function bytesToBase64(bytes: Uint8Array): string {
  let s = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    s += B64[v >> 18]! + B64[(v >> 12) & 63]! + B64[(v >> 6) & 63]! + B64[v & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const v = bytes[i]! << 16;
    s += B64[v >> 18]! + B64[(v >> 12) & 63]! + '==';
  } else if (rest === 2) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    s += B64[v >> 18]! + B64[(v >> 12) & 63]! + B64[(v >> 6) & 63]! + '=';
  }
  return s;
}

/** UTF-8 bytes of a string. */
export function utf8Bytes(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** UTF-8 text of bytes, or null when they are not valid UTF-8. */
export function strictUtf8Text(bytes: Uint8Array): string | null {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}

/** The bytes a payload carries (UTF-8 for text, decoded base64 for binary). */
export function payloadBytes(p: Payload): Uint8Array {
  return p.encoding === 'binary' ? base64ToBytes(p.data) : utf8Encoder.encode(p.data);
}

/** The text a payload carries (binary decoded as UTF-8, lossy). */
export function payloadText(p: Payload): string {
  return p.encoding === 'binary' ? lossyUtf8.decode(base64ToBytes(p.data)) : p.data;
}

/** A complete text payload. */
export function textPayload(text: string): Payload {
  return { size: utf8Encoder.encode(text).length, encoding: 'text', data: text, truncated: false };
}

/** A complete binary payload. */
export function binaryPayload(bytes: Uint8Array): Payload {
  return { size: bytes.length, encoding: 'binary', data: bytesToBase64(bytes), truncated: false };
}

/** JSON.parse without throwing; null when the text is not JSON. */
export function parseJson(text: string): { value: unknown } | null {
  // JSON starts with {, [, ", a digit, -, t, f or n after optional whitespace: most
  // other text is rejected here without the cost of a thrown SyntaxError.
  let i = 0;
  while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  if (i === text.length || !'{["-0123456789tfn'.includes(text[i]!)) return null;
  try {
    return { value: JSON.parse(text) };
  } catch {
    return null;
  }
}

/** A plain object (not an array, not null). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A string shortened for a label, JSON-quoted. */
export function quote(text: string, max = 40): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}

/** Hex of the first bytes, for labels and values. */
export function hex(bytes: Uint8Array, max = 32): string {
  let s = '';
  const n = Math.min(bytes.length, max);
  for (let i = 0; i < n; i++) s += (i ? ' ' : '') + bytes[i]!.toString(16).padStart(2, '0');
  return bytes.length > max ? `${s} …` : s;
}

/** The channel URL parsed, or null. */
export function hintUrl(hint: ProtocolHint): URL | null {
  try {
    return new URL(hint.url, 'http://invalid.invalid/');
  } catch {
    return null;
  }
}

/** How strongly the WebSocket subprotocols name one of `names`: 0.95 negotiated, 0.9 requested, else 0. */
export function subprotocolScore(hint: ProtocolHint, names: readonly string[]): number {
  const lower = names.map((n) => n.toLowerCase());
  if (hint.negotiatedProtocol && lower.includes(hint.negotiatedProtocol.toLowerCase())) return 0.95;
  if (hint.requestedProtocols.some((p) => lower.includes(p.toLowerCase()))) return 0.9;
  return 0;
}

/**
 * Confidence from samples: `strong` matches are protocol-specific frames,
 * `fits` are frames the protocol could carry. 0 when any non-empty sample
 * contradicts the protocol or no strong frame was seen.
 */
export function sampleScore(
  hint: ProtocolHint,
  judge: (data: Payload, dir: Direction) => 'strong' | 'fits' | 'no',
): number {
  let strong = 0;
  let seen = 0;
  for (const s of hint.samples) {
    if (s.data.size === 0) continue;
    const verdict = judge(s.data, s.dir);
    if (verdict === 'no') return 0;
    seen++;
    if (verdict === 'strong') strong++;
  }
  if (strong === 0) return 0;
  // One distinctive frame is good evidence; several are better.
  return Math.min(0.85, 0.6 + 0.05 * strong + 0.02 * (seen - strong));
}

const ROLE_RANK: Record<MessageRole, number> = {
  data: 6,
  error: 5,
  handshake: 4,
  ack: 3,
  close: 2,
  control: 1,
  heartbeat: 0,
};

/** The role that describes a frame carrying several messages: data wins over control traffic. */
export function dominantRole(roles: MessageRole[]): MessageRole {
  let best: MessageRole = roles[0] ?? 'data';
  for (const r of roles) if (ROLE_RANK[r] > ROLE_RANK[best]) best = r;
  return best;
}

/** One message for a frame that carried several (a polling payload, a batch of records). */
export function combineMessages(protocol: string, parts: DecodedMessage[], noun: string): DecodedMessage {
  if (parts.length === 1) return parts[0]!;
  const shown = parts.slice(0, 4).map((p) => p.label);
  if (parts.length > 4) shown.push(`… ${parts.length - 4} more`);
  return {
    protocol,
    role: dominantRole(parts.map((p) => p.role)),
    label: `${protocol} ${noun} ×${parts.length}: ${shown.join(', ')}`,
    value: parts.map((p) => ({ role: p.role, label: p.label, value: p.value, ...(p.size !== undefined ? { size: p.size } : {}) })),
  };
}

/**
 * A frame made of several parts (lines, records): each part decoded, combined
 * into one message. Null when there are no parts or any part is not this protocol.
 */
export function combineParts<T>(
  protocol: string,
  items: readonly T[],
  decodeOne: (item: T) => DecodedMessage | null,
  noun: string,
): DecodedMessage | null {
  if (items.length === 0) return null;
  const parts: DecodedMessage[] = [];
  for (const item of items) {
    const d = decodeOne(item);
    if (!d) return null;
    parts.push(d);
  }
  return combineMessages(protocol, parts, noun);
}

/** The individual messages of a decoded frame (a polling payload or a batch is several). */
export function flattenDecoded(d: DecodedMessage): DecodedMessage[] {
  if (Array.isArray(d.value) && d.value.every((v) => isRecord(v) && typeof v.label === 'string' && typeof v.role === 'string')) {
    return (d.value as Array<{ role: MessageRole; label: string; value: unknown }>).map((v) => ({ protocol: d.protocol, ...v }));
  }
  return [d];
}

/** Wrap a decoder so that none of its methods can throw. */
export function defineDecoder(
  decoder: ProtocolDecoder,
  onDecodeFailure: (data: Payload, dir: Direction) => DecodedMessage,
): ProtocolDecoder {
  const makeSequence = decoder.sequenceDecoder;
  // A connection's messages decoded in order are, unless a decoder says otherwise, its sequence
  // decoder fed each in turn: protocols give sequenceDecoder alone.
  const sequence = decoder.decodeSequence ?? (makeSequence ? (messages: ReadonlyArray<{ dir: Direction; data: Payload }>) => messages.map(makeSequence.call(decoder)) : undefined);
  const negotiated = decoder.negotiatedTimings;
  return {
    id: decoder.id,
    name: decoder.name,
    timings: decoder.timings,
    detect(hint) {
      try {
        const c = decoder.detect(hint);
        return Number.isFinite(c) ? Math.max(0, Math.min(1, c)) : 0;
      } catch {
        return 0;
      }
    },
    decode,
    ...(sequence ? { decodeSequence: guardedSequence } : {}),
    ...(makeSequence ? { sequenceDecoder: guardedSequenceDecoder } : {}),
    ...(negotiated ? { negotiatedTimings: guardedNegotiated } : {}),
  };

  function guardedNegotiated(messages: ReadonlyArray<{ dir: Direction; data: Payload }>): ProtocolTimings | null {
    try {
      const timings = negotiated!.call(decoder, messages);
      // A peer may announce any number (pingInterval -1, heart-beat 1e400): an interval that is not a positive,
      // finite number of ms says nothing usable, and the library defaults stand.
      return timings && [timings.heartbeatMs, timings.timeoutMs].every((ms) => ms === undefined || (Number.isFinite(ms) && ms > 0)) ? timings : null;
    } catch {
      return null;
    }
  }

  function decode(data: Payload, dir: Direction, context?: MessageContext): DecodedMessage {
    try {
      return decoder.decode(data, dir, context);
    } catch {
      try {
        return onDecodeFailure(data, dir);
      } catch {
        return { protocol: decoder.id, role: 'data', label: `${decoder.id} message`, value: null };
      }
    }
  }

  function guardedSequenceDecoder(): (message: { dir: Direction; data: Payload }) => DecodedMessage {
    let next: ((message: { dir: Direction; data: Payload }) => DecodedMessage) | null;
    try {
      next = makeSequence!.call(decoder);
    } catch {
      next = null;
    }
    return (m) => {
      if (next) {
        try {
          return next(m);
        } catch {
          // A decoder that failed once has lost its state: the rest is decoded one by one.
          next = null;
        }
      }
      return decode(m.data, m.dir);
    };
  }

  function guardedSequence(messages: ReadonlyArray<{ dir: Direction; data: Payload }>): DecodedMessage[] {
    try {
      const out = sequence!.call(decoder, messages);
      if (out.length === messages.length) return out;
    } catch {
      // Fall back to message-by-message decoding below.
    }
    return messages.map((m) => decode(m.data, m.dir));
  }
}

/** The message a decoder returns when a payload is not in its format: the payload shown as it is. */
export function plainMessage(protocol: string, data: Payload): DecodedMessage {
  if (data.encoding === 'binary') {
    const bytes = base64ToBytes(data.data);
    return {
      protocol,
      role: 'data',
      label: `${protocol} binary ${data.size} B`,
      value: { hex: hex(bytes, 64) },
    };
  }
  return { protocol, role: 'data', label: `${protocol} text ${quote(data.data)}`, value: data.data };
}

/** Text that reads as text: valid UTF-8 with no control characters except tab, CR and LF; null otherwise. */
export function readableText(bytes: Uint8Array): string | null {
  const text = strictUtf8Text(bytes);
  if (text === null) return null;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 32 && c !== 9 && c !== 10 && c !== 13) || c === 127) return null;
  }
  return text;
}
