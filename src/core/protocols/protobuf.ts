/**
 * Protocol Buffers wire format, decoded without a schema
 * (protobuf.dev/programming-guides/encoding): field numbers and wire types.
 * A payload is protobuf when it is a sequence of well-formed fields that ends
 * exactly at the last byte. Groups (wire types 3 and 4, deprecated) are
 * rejected: they are rare in practice and accepting them admits noise.
 */
import { ByteReader, bytesValue, EndOfInput, InvalidInput, MAX_DEPTH, parseAll, type SchemalessParse } from './byte-reader.ts';
import { schemalessDecoder, type SchemalessFormat } from './schemaless.ts';
import type { DecodedMessage, ProtocolDecoder } from './types.ts';
import { readableText } from './util.ts';

/** One decoded field: its number, wire type and value (nested message, string, number or bytes). */
export interface ProtobufField {
  field: number;
  wire: 'varint' | 'i64' | 'len' | 'i32';
  value: unknown;
}

const MAX_FIELD_NUMBER = 2 ** 29 - 1;

function readVarint(r: ByteReader): bigint {
  let result = 0n;
  for (let shift = 0n; shift < 70n; shift += 7n) {
    const b = r.u8();
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return result;
  }
  throw new InvalidInput('varint longer than 10 bytes');
}

function varintValue(v: bigint): number | string {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

function readMessage(r: ByteReader, end: number, depth: number): ProtobufField[] {
  if (depth > MAX_DEPTH) throw new InvalidInput('too deep');
  const fields: ProtobufField[] = [];
  while (r.pos < end) {
    const tag = readVarint(r);
    const field = Number(tag >> 3n);
    if (field < 1 || field > MAX_FIELD_NUMBER) throw new InvalidInput('field number');
    switch (Number(tag & 7n)) {
      case 0:
        fields.push({ field, wire: 'varint', value: varintValue(readVarint(r)) });
        break;
      case 1: {
        const v = r.view(8);
        fields.push({ field, wire: 'i64', value: varintValue(v.getBigUint64(0, true)) });
        break;
      }
      case 5: {
        const v = r.view(4);
        const asFloat = v.getFloat32(0, true);
        const asInt = v.getUint32(0, true);
        // Show a float when it looks like one (finite, not a tiny denormal), the integer otherwise.
        const floaty = Number.isFinite(asFloat) && Math.abs(asFloat) > 1e-30 && Math.abs(asFloat) < 1e15;
        fields.push({ field, wire: 'i32', value: floaty ? { fixed32: asInt, float: asFloat } : asInt });
        break;
      }
      case 2: {
        const lengthBig = readVarint(r);
        if (lengthBig > BigInt(r.remaining)) {
          if (end < r.bytes.length) throw new InvalidInput('length beyond enclosing message');
          throw new EndOfInput('length beyond input');
        }
        const length = Number(lengthBig);
        const bytes = r.take(length);
        fields.push({ field, wire: 'len', value: lengthDelimited(bytes, depth) });
        break;
      }
      default:
        throw new InvalidInput('group or unknown wire type');
    }
  }
  if (r.pos !== end) throw new InvalidInput('field crosses message end');
  return fields;
}

/** A length-delimited field: readable text, else a nested message, else bytes. */
function lengthDelimited(bytes: Uint8Array, depth: number): unknown {
  const text = readableText(bytes);
  if (text !== null) return text;
  try {
    const inner = new ByteReader(bytes);
    return toObject(readMessage(inner, bytes.length, depth + 1));
  } catch {
    return bytesValue(bytes);
  }
}

/** Fields as an object keyed by field number; repeated fields become arrays. */
function toObject(fields: ProtobufField[]): Record<string, unknown> {
  const byNumber = new Map<number, unknown[]>();
  for (const f of fields) {
    const list = byNumber.get(f.field);
    if (list) list.push(f.value);
    else byNumber.set(f.field, [f.value]);
  }
  const out: Record<string, unknown> = {};
  for (const [field, values] of byNumber) out[String(field)] = values.length === 1 ? values[0] : values;
  return out;
}

/** Parse bytes as a protobuf message; null when they are not one. */
export function parseProtobuf(bytes: Uint8Array, truncated = false): SchemalessParse | null {
  return parseAll(bytes, truncated, (r) => {
    const fields = readMessage(r, r.bytes.length, 0);
    return { fields: fields.map((f) => ({ field: f.field, wire: f.wire })), message: toObject(fields) };
  });
}

function plausibility(parsed: SchemalessParse): number {
  if (parsed.incomplete) return 0.25;
  const fields = (parsed.value as { fields: Array<{ field: number }> }).fields;
  if (fields.length === 0) return 0;
  let score = 0.5;
  if (fields.length >= 2) score += 0.1;
  // Real schemas number their fields from 1 upwards; random bytes scatter them.
  if (fields.every((f) => f.field <= 64)) score += 0.1;
  return score;
}

function describe(parsed: SchemalessParse): DecodedMessage {
  if (parsed.incomplete) return { protocol: 'protobuf', role: 'data', label: 'protobuf (truncated)', value: null };
  const { fields, message } = parsed.value as { fields: Array<{ field: number; wire: string }>; message: unknown };
  const numbers = [...new Set(fields.map((f) => f.field))];
  const shown = numbers.slice(0, 6).join(', ') + (numbers.length > 6 ? ', …' : '');
  return {
    protocol: 'protobuf',
    role: 'data',
    label: `protobuf message fields {${shown}}`,
    value: { fields: fields.map((f) => `${f.field}:${f.wire}`), message },
  };
}

export const protobufFormat: SchemalessFormat = {
  id: 'protobuf',
  name: 'Protocol Buffers',
  parse: parseProtobuf,
  plausibility,
  describe,
};

export const protobufDecoder: ProtocolDecoder = schemalessDecoder(protobufFormat);
