/**
 * A bounds-checked cursor over bytes for the schemaless binary parsers
 * (MessagePack, CBOR, protobuf) and MQTT. Running out of bytes and meeting an
 * impossible byte are told apart, so that a truncated capture can still be
 * recognised while garbage is rejected.
 */

/** The input ended inside a value: fine for a truncated payload, fatal otherwise. */
export class EndOfInput extends Error {}
/** The bytes cannot be this format. */
export class InvalidInput extends Error {}

/** Deepest nesting the parsers follow (a guard against stack exhaustion on crafted input). */
export const MAX_DEPTH = 48;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export class ByteReader {
  pos = 0;
  constructor(readonly bytes: Uint8Array) {}

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  need(n: number): void {
    if (n < 0 || !Number.isFinite(n)) throw new InvalidInput('bad length');
    if (this.pos + n > this.bytes.length) throw new EndOfInput('end of input');
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }

  u16(): number {
    this.need(2);
    const v = (this.bytes[this.pos]! << 8) | this.bytes[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const b = this.bytes;
    const p = this.pos;
    this.pos += 4;
    return ((b[p]! << 24) >>> 0) + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
  }

  /** Big-endian 64-bit unsigned: a number when safe, else a decimal string. */
  u64(): number | string {
    const hi = this.u32();
    const lo = this.u32();
    const big = (BigInt(hi) << 32n) | BigInt(lo);
    return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big.toString();
  }

  take(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  view(n: number): DataView {
    const slice = this.take(n);
    return new DataView(slice.buffer, slice.byteOffset, slice.byteLength);
  }

  /** n bytes of strict UTF-8 text; invalid UTF-8 means this is not the format we guessed. */
  utf8(n: number): string {
    const slice = this.take(n);
    try {
      return strictUtf8.decode(slice);
    } catch {
      throw new InvalidInput('invalid UTF-8');
    }
  }
}

/** Bytes as a JSON-safe value for display. */
export function bytesValue(bytes: Uint8Array): { $bytes: string; length: number } {
  let s = '';
  const n = Math.min(bytes.length, 64);
  for (let i = 0; i < n; i++) s += bytes[i]!.toString(16).padStart(2, '0');
  return { $bytes: bytes.length > n ? `${s}…` : s, length: bytes.length };
}

/** A number made JSON-safe (NaN and infinities become strings). */
export function jsonNumber(n: number): number | string {
  return Number.isFinite(n) ? n : String(n);
}

/** Outcome of a schemaless parse: the value, and whether the input ended early. */
export interface SchemalessParse {
  value: unknown;
  /** True when the bytes ended inside a value (accepted only for truncated payloads). */
  incomplete: boolean;
}

/**
 * Run a parser that must consume every byte. Returns null when the bytes are
 * not this format; a truncated payload may end inside a value.
 */
export function parseAll(
  bytes: Uint8Array,
  truncated: boolean,
  parseOne: (r: ByteReader) => unknown,
): SchemalessParse | null {
  if (bytes.length === 0) return null;
  const r = new ByteReader(bytes);
  try {
    const value = parseOne(r);
    if (r.remaining !== 0) return null;
    return { value, incomplete: false };
  } catch (e) {
    if (e instanceof EndOfInput && truncated) return { value: null, incomplete: true };
    return null;
  }
}
