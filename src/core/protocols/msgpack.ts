/**
 * MessagePack, decoded schemalessly (spec: github.com/msgpack/msgpack/blob/master/spec.md).
 * A payload is MessagePack when one value consumes every byte and its strings
 * are valid UTF-8; 0xc1 ("never used") rejects it.
 */
import { ByteReader, bytesValue, InvalidInput, jsonNumber, MAX_DEPTH, parseAll, type SchemalessParse } from './byte-reader.ts';
import type { ProtocolDecoder } from './types.ts';
import { schemalessDecoder, selfDescribingFormat, type SchemalessFormat } from './schemaless.ts';

function readMap(r: ByteReader, count: number, depth: number): Record<string, unknown> {
  const entries: Array<[string, unknown]> = [];
  for (let i = 0; i < count; i++) {
    const key = readValue(r, depth + 1);
    entries.push([typeof key === 'string' ? key : JSON.stringify(key), readValue(r, depth + 1)]);
  }
  // fromEntries defines each key as the map's own: a key "__proto__" assigned would replace the object's prototype.
  return Object.fromEntries(entries);
}

function readArray(r: ByteReader, count: number, depth: number): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < count; i++) out.push(readValue(r, depth + 1));
  return out;
}

function readExt(r: ByteReader, length: number): unknown {
  const type = (r.u8() << 24) >> 24;
  const body = r.take(length);
  // Type -1 is the spec's timestamp extension (32, 64 and 96-bit forms).
  if (type === -1) {
    const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
    if (length === 4) return { $timestamp: new Date(v.getUint32(0) * 1000).toISOString() };
    if (length === 8) {
      const ns = v.getUint32(0) >>> 2;
      const sec = (v.getUint32(0) & 3) * 2 ** 32 + v.getUint32(4);
      return { $timestamp: new Date(sec * 1000 + ns / 1e6).toISOString() };
    }
    if (length === 12) {
      const sec = Number(v.getBigInt64(4));
      const ms = sec * 1000 + v.getUint32(0) / 1e6;
      return { $timestamp: Number.isFinite(new Date(ms).getTime()) ? new Date(ms).toISOString() : String(sec) };
    }
  }
  return { $ext: type, ...bytesValue(body) };
}

function readValue(r: ByteReader, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new InvalidInput('too deep');
  const b = r.u8();
  if (b <= 0x7f) return b;
  if (b <= 0x8f) return readMap(r, b & 0x0f, depth);
  if (b <= 0x9f) return readArray(r, b & 0x0f, depth);
  if (b <= 0xbf) return r.utf8(b & 0x1f);
  if (b >= 0xe0) return b - 0x100;
  switch (b) {
    case 0xc0: return null;
    case 0xc2: return false;
    case 0xc3: return true;
    case 0xc4: return bytesValue(r.take(r.u8()));
    case 0xc5: return bytesValue(r.take(r.u16()));
    case 0xc6: return bytesValue(r.take(r.u32()));
    case 0xc7: return readExt(r, r.u8());
    case 0xc8: return readExt(r, r.u16());
    case 0xc9: return readExt(r, r.u32());
    case 0xca: return jsonNumber(r.view(4).getFloat32(0));
    case 0xcb: return jsonNumber(r.view(8).getFloat64(0));
    case 0xcc: return r.u8();
    case 0xcd: return r.u16();
    case 0xce: return r.u32();
    case 0xcf: return r.u64();
    case 0xd0: return r.view(1).getInt8(0);
    case 0xd1: return r.view(2).getInt16(0);
    case 0xd2: return r.view(4).getInt32(0);
    case 0xd3: {
      const v = r.view(8).getBigInt64(0);
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
    }
    case 0xd4: return readExt(r, 1);
    case 0xd5: return readExt(r, 2);
    case 0xd6: return readExt(r, 4);
    case 0xd7: return readExt(r, 8);
    case 0xd8: return readExt(r, 16);
    case 0xd9: return r.utf8(r.u8());
    case 0xda: return r.utf8(r.u16());
    case 0xdb: return r.utf8(r.u32());
    case 0xdc: return readArray(r, r.u16(), depth);
    case 0xdd: return readArray(r, r.u32(), depth);
    case 0xde: return readMap(r, r.u16(), depth);
    case 0xdf: return readMap(r, r.u32(), depth);
    default: throw new InvalidInput(`byte 0x${b.toString(16)} never used`);
  }
}

/** Parse bytes as exactly one MessagePack value; null when they are not MessagePack. */
export function parseMsgpack(bytes: Uint8Array, truncated = false): SchemalessParse | null {
  return parseAll(bytes, truncated, (r) => readValue(r, 0));
}

export const msgpackFormat: SchemalessFormat = selfDescribingFormat('msgpack', 'MessagePack', parseMsgpack);

export const msgpackDecoder: ProtocolDecoder = schemalessDecoder(msgpackFormat);
