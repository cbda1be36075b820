/**
 * Credentials in binary payloads (captured as base64 of their first bytes). They
 * are masked in place, byte for byte with `*`, so that a packet still parses,
 * its length fields stay true and sizes are unchanged:
 * - MQTT CONNECT: the user name, the password and MQTT 5 authentication data
 *   (MQTT 3.1.1 §3.1; MQTT 5.0 §3.1.2.11 and §3.1.3; field order as mqtt-packet
 *   9.0.2 writeToStream.js writes them);
 * - JWTs and self-describing tokens anywhere in the bytes (a token inside a
 *   MessagePack, CBOR or protobuf message, e.g. a Centrifugo protobuf connect);
 * - any secret found elsewhere in the capture (`maskBytes`).
 */
import { base64ToBytes, bytesToBase64, strictUtf8Text } from '../protocols/util.ts';
import { JWT, NAMED_TOKEN } from './redact-names.ts';
import type { FoundSecret } from './redact-text.ts';

/** MQTT CONNECT (packet type 1, flags 0): §2.2.1. */
const CONNECT = 0x10;
const USERNAME_FLAG = 0x80;
const PASSWORD_FLAG = 0x40;
const WILL_FLAG = 0x04;
/** MQTT 5 property identifiers (§2.2.2.2) and the size of each value, for skipping them; -1: UTF-8 or binary (2-byte length), -2: string pair. */
const PROPERTY_SIZES: Record<number, number> = {
  0x01: 1, 0x02: 4, 0x03: -1, 0x08: -1, 0x09: -1, 0x11: 4, 0x12: -1, 0x13: 2, 0x15: -1, 0x16: -1, 0x17: 1, 0x18: 4, 0x19: 1,
  0x1a: -1, 0x1c: -1, 0x1f: -1, 0x21: 2, 0x22: 2, 0x23: 2, 0x24: 1, 0x25: 1, 0x26: -2, 0x27: 4, 0x28: 1, 0x29: 1, 0x2a: 1,
};
/** Authentication Data (§3.1.2.11.10): binary, a credential. */
const AUTHENTICATION_DATA = 0x16;

/** Byte ranges of the credentials of an MQTT CONNECT at the start of `b` (clipped to what was captured); empty when it is not one. */
export function mqttConnectCredentials(b: Uint8Array): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  if (b[0] !== CONNECT) return ranges;
  let p = 1;
  let remaining = 0;
  for (let i = 0; ; i++) {
    if (i === 4 || p >= b.length) return ranges;
    const byte = b[p++]!;
    remaining += (byte & 0x7f) * 128 ** i;
    if ((byte & 0x80) === 0) break;
  }
  const end = p + remaining;
  const u16 = (): number => {
    if (p + 2 > Math.min(end, b.length)) throw new RangeError('cut');
    const v = (b[p]! << 8) | b[p + 1]!;
    p += 2;
    return v;
  };
  /** A length-prefixed field: its range, clipped to the bytes captured. */
  const field = (): [number, number] => {
    const n = u16();
    const range: [number, number] = [p, Math.min(p + n, b.length)];
    p += n;
    return range;
  };
  const varint = (): number => {
    let value = 0;
    for (let i = 0; i < 4; i++) {
      if (p >= b.length) throw new RangeError('cut');
      const byte = b[p++]!;
      value += (byte & 0x7f) * 128 ** i;
      if ((byte & 0x80) === 0) return value;
    }
    throw new RangeError('varint');
  };
  const properties = (collect: boolean): void => {
    const stop = varint() + p;
    while (p < stop) {
      const id = b[p++];
      const size = id === undefined ? undefined : PROPERTY_SIZES[id];
      if (size === undefined) {
        p = stop;
        return;
      }
      if (size > 0) p += size;
      else if (size === -2) (field(), field());
      else {
        const range = field();
        if (collect && id === AUTHENTICATION_DATA) ranges.push(range);
      }
    }
  };
  try {
    const [nameStart, nameEnd] = field();
    const protocol = String.fromCharCode(...b.subarray(nameStart, nameEnd));
    if (protocol !== 'MQTT' && protocol !== 'MQIsdp') return [];
    const level = b[p++];
    const flags = b[p++];
    if (level === undefined || flags === undefined) return ranges;
    p += 2; // keep alive
    if (level === 5) properties(true);
    field(); // client id
    if (flags & WILL_FLAG) {
      if (level === 5) properties(false);
      field(); // will topic
      field(); // will payload
    }
    if (flags & USERNAME_FLAG) ranges.push(field());
    if (flags & PASSWORD_FLAG) ranges.push(field());
  } catch {
    // Cut short: the fields read so far are masked (a field cut inside is clipped above).
  }
  return ranges.filter(([s, e]) => e > s);
}

/**
 * The first binary frames a client sent on one connection, when they split an MQTT CONNECT
 * (a client that writes the packet in pieces, as mqtt.js over a Node stream does), with its
 * credentials masked in each piece; null when there is nothing to mask across them.
 */
export function redactSplitMqttConnect(frames: readonly string[], found: FoundSecret): string[] | null {
  const parts = frames.map((f) => base64ToBytes(f));
  const stream = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    stream.set(p, offset);
    offset += p.length;
  }
  const ranges = mqttConnectCredentials(stream);
  if (ranges.length === 0) return null;
  for (const [start, end] of ranges) {
    found(strictUtf8Text(stream.subarray(start, end)) ?? latin1(stream.subarray(start, end)));
    stream.fill(0x2a, start, end);
  }
  offset = 0;
  return parts.map((p) => bytesToBase64(stream.subarray(offset, (offset += p.length))));
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
}

function fromLatin1(view: string): Uint8Array {
  const out = new Uint8Array(view.length);
  for (let i = 0; i < view.length; i++) out[i] = view.charCodeAt(i);
  return out;
}

/**
 * The token patterns without their leading word boundary: in binary a token follows a length
 * or tag byte, which is often an ASCII letter or digit (a protobuf string of 77 bytes is
 * preceded by 0x4D, "M"), so `\beyJ` never matched a JWT there. The prefixes (eyJ, ghp_,
 * xoxb-, AKIA...) are specific enough on their own.
 */
const BINARY_TOKENS = [JWT, NAMED_TOKEN].map((p) => new RegExp(p.source.replace(/^\\b/, ''), p.flags));

/** A binary payload (base64) with MQTT CONNECT credentials, JWTs and named tokens masked; the same string when none. */
export function redactBinary(base64: string, found: FoundSecret): string {
  const bytes = base64ToBytes(base64);
  let view = latin1(bytes);
  let changed = false;
  for (const [start, end] of mqttConnectCredentials(bytes)) {
    found(strictUtf8Text(bytes.subarray(start, end)) ?? view.slice(start, end));
    view = view.slice(0, start) + '*'.repeat(end - start) + view.slice(end);
    changed = true;
  }
  for (const pattern of BINARY_TOKENS) {
    view = view.replace(pattern, (token) => {
      found(token);
      changed = true;
      return '*'.repeat(token.length);
    });
  }
  return changed ? bytesToBase64(fromLatin1(view)) : base64;
}

/** A binary payload (base64) with every match of `pattern` (over its bytes as latin1) masked; the same string when none. */
export function maskBytes(base64: string, pattern: RegExp): string {
  const view = latin1(base64ToBytes(base64));
  const masked = view.replace(pattern, (m) => '*'.repeat(m.length));
  return masked === view ? base64 : bytesToBase64(fromLatin1(masked));
}

/** A text as the latin1 view of its UTF-8 bytes (to look for it inside binary payloads). */
export function utf8AsLatin1(text: string): string {
  return latin1(new TextEncoder().encode(text));
}

