/**
 * CBOR (RFC 8949), decoded schemalessly. A payload is CBOR when one data item
 * consumes every byte, text strings are valid UTF-8 and no reserved
 * additional-information value (28..30) appears.
 */
import { ByteReader, bytesValue, InvalidInput, jsonNumber, MAX_DEPTH, parseAll, type SchemalessParse } from './byte-reader.ts';
import { schemalessDecoder, selfDescribingFormat, type SchemalessFormat } from './schemaless.ts';
import type { ProtocolDecoder } from './types.ts';

const BREAK = Symbol('break');

/** RFC 8949 §3: the argument of an initial byte; -1 for indefinite length. */
function readArgument(r: ByteReader, info: number): number | string {
  if (info < 24) return info;
  if (info === 24) return r.u8();
  if (info === 25) return r.u16();
  if (info === 26) return r.u32();
  if (info === 27) return r.u64();
  if (info === 31) return -1;
  throw new InvalidInput('reserved additional information');
}

function count(arg: number | string): number {
  if (typeof arg === 'string') throw new InvalidInput('length beyond 2^53');
  return arg;
}

/** Half-precision float (RFC 8949 Appendix D). */
function half(bits: number): number {
  const exp = (bits >> 10) & 0x1f;
  const mant = bits & 0x3ff;
  const sign = bits & 0x8000 ? -1 : 1;
  if (exp === 0) return sign * 2 ** -14 * (mant / 1024);
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + mant / 1024);
}

/** How an item is read: a top-level value, an element of an indefinite container (may be a break), or a string chunk. */
type Mode = 'value' | 'element' | 'chunk';

function readChunks(r: ByteReader, major: number, depth: number): Uint8Array | string {
  const parts: Array<Uint8Array | string> = [];
  for (;;) {
    const item = readItem(r, depth + 1, 'chunk');
    if (item === BREAK) break;
    // RFC 8949 §3.2.3: chunks are definite-length strings of the same major type.
    if (major === 3 ? typeof item !== 'string' : !(item instanceof Uint8Array)) throw new InvalidInput('bad chunk');
    parts.push(item as Uint8Array | string);
  }
  if (major === 3) return parts.join('');
  const total = parts.reduce((n, p) => n + (p as Uint8Array).length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p as Uint8Array, o);
    o += (p as Uint8Array).length;
  }
  return out;
}

function readItem(r: ByteReader, depth: number, mode: Mode = 'value'): unknown {
  if (depth > MAX_DEPTH) throw new InvalidInput('too deep');
  const initial = r.u8();
  const major = initial >> 5;
  const info = initial & 0x1f;
  if (major === 7) {
    switch (info) {
      case 20: return false;
      case 21: return true;
      case 22: return null;
      case 23: return { $undefined: true };
      case 24: return { $simple: r.u8() };
      case 25: return jsonNumber(half(r.u16()));
      case 26: return jsonNumber(r.view(4).getFloat32(0));
      case 27: return jsonNumber(r.view(8).getFloat64(0));
      case 31:
        if (mode === 'value') throw new InvalidInput('break outside indefinite item');
        return BREAK;
      default:
        if (info < 20) return { $simple: info };
        throw new InvalidInput('reserved simple value');
    }
  }
  const arg = readArgument(r, info);
  switch (major) {
    case 0: return arg;
    case 1: return typeof arg === 'number' ? -1 - arg : `-1-${arg}`;
    case 2: {
      const bytes = arg === -1 ? (readChunks(r, 2, depth) as Uint8Array) : r.take(count(arg));
      return mode === 'chunk' ? bytes : bytesValue(bytes);
    }
    case 3: return arg === -1 ? readChunks(r, 3, depth) : r.utf8(count(arg));
    case 4: {
      const out: unknown[] = [];
      if (arg === -1) {
        for (let item = readItem(r, depth + 1, 'element'); item !== BREAK; item = readItem(r, depth + 1, 'element')) out.push(item);
      } else {
        for (let i = 0; i < count(arg); i++) out.push(readItem(r, depth + 1));
      }
      return out;
    }
    case 5: {
      const entries: Array<[string, unknown]> = [];
      const n = arg === -1 ? Infinity : count(arg);
      for (let i = 0; i < n; i++) {
        const key = readItem(r, depth + 1, arg === -1 ? 'element' : 'value');
        if (key === BREAK) break;
        entries.push([typeof key === 'string' ? key : JSON.stringify(key), readItem(r, depth + 1)]);
      }
      // fromEntries defines each key as the map's own: a key "__proto__" assigned would replace the object's prototype.
      return Object.fromEntries(entries);
    }
    default: {
      // Major type 6: a tag. Tag 1 is an epoch time (RFC 8949 §3.4.2).
      const value = readItem(r, depth + 1);
      const time = arg === 1 && typeof value === 'number' ? new Date(value * 1000) : null;
      if (time && Number.isFinite(time.getTime())) return { $tag: 1, $time: time.toISOString() };
      return { $tag: arg, value };
    }
  }
}

/** Parse bytes as exactly one CBOR data item; null when they are not CBOR. */
export function parseCbor(bytes: Uint8Array, truncated = false): SchemalessParse | null {
  return parseAll(bytes, truncated, (r) => {
    return readItem(r, 0);
  });
}

export const cborFormat: SchemalessFormat = selfDescribingFormat('cbor', 'CBOR', parseCbor);

export const cborDecoder: ProtocolDecoder = schemalessDecoder(cborFormat);
