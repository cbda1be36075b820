/**
 * The body hash of http.end events, as 8 hex digits: four lanes over 16-byte stripes,
 * each lane taking one little-endian 32-bit word per stripe by `x = v + w;
 * v = (x ^ x >>> 15) * P1`, then XXH32's lane merge, length, tail words and avalanche
 * (Yann Collet's xxHash, github.com/Cyan4973/xxHash xxhash.h 0.8.x, BSD-2), with the
 * last 1-3 bytes taken as one zero-padded word. One implementation for the page hooks
 * (incremental, chunk by chunk, any chunking and alignment) and for imports, so a
 * response imported from a HAR compares equal to the same response captured live.
 *
 * Why this and not MurmurHash3 x86_32 (used before) or plain XXH32: the hooks hash every
 * body on the page's thread. Murmur3 runs one chain of dependent steps per word (xor,
 * rotate, multiply-add), so no rewrite of its loop beats that chain's latency: unrolled
 * with the same values it was slower, not faster. XXH32's four lanes run side by side,
 * but each word costs two multiplies and the multiplier is then the bound. The lane
 * step here costs one multiply, with the right shift carrying high bits down before it,
 * so that every input bit still spreads over the lane. Measured with `bench/hash.ts` in
 * a Chromium 156 page (1 MiB bodies through BodyHasher, 64 KiB chunks, medians of 9
 * rounds): Murmur3 0.38 ms per MiB, XXH32 0.25, this 0.18. One-multiply steps without
 * the fold, such as `rotl(v + w, 13) * P1`, were as fast but weaker: a change of the top
 * bit of a word stays in the top bits, and 47 of the 565,516 two-bit changes of a
 * 133-byte body gave its hash (a test in test/unit/formats-body-hash.test.ts; none do
 * for Murmur3, XXH32 or this step).
 *
 * What it detects is not loosened. Each lane step, merge, tail step and the avalanche is
 * a bijection of the running state for a fixed input word, and each step is one of the
 * word for a fixed state (v + w; x ^ x >>> 15; times an odd number; the tail's w * P3
 * and w * P5): so two bodies of the same length that differ only within one aligned
 * 32-bit word (bytes 4k to 4k + 3: any one byte, or a counter or timestamp within one
 * word) always hash differently, never only probably. The length is added into the hash.
 * Test vectors and an independent reference in test/unit/formats-body-hash.test.ts and
 * test/support/body-hash-reference.ts.
 */

import { arrayBufferByteLength, charCodeAt, typedArrayBuffer, typedArrayByteLength, typedArrayByteOffset, typedArrayLength } from '../primordials.ts';

// xxhash.h 0.8.x, XXH_PRIME32_1 … XXH_PRIME32_5.
const P1 = 0x9e3779b1;
const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;

/** Bytes per stripe: one 32-bit word for each of the four lanes. */
const STRIPE = 16;

// Taken when the module loads: in the page hooks that is document_start, before any
// page script could replace them.
const imul = Math.imul;
const Int32ArrayCtor = Int32Array;
const Uint8ArrayCtor = Uint8Array;

/** True where an Int32Array reads bytes as little-endian words (every platform Chrome ships on). */
const LITTLE_ENDIAN = new Uint8ArrayCtor(new Int32ArrayCtor([1]).buffer)[0] === 1;

/** The little-endian 32-bit word at byte `i` of `bytes`. */
function wordAt(bytes: Uint8Array, i: number): number {
  return bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
}

/** One lane step: add the word, fold the high bits down, multiply by an odd number (each a bijection of `v` for a fixed `w`, and of `w` for a fixed `v`). */
function lane(v: number, w: number): number {
  v = (v + w) | 0;
  return imul(v ^ (v >>> 15), P1);
}

/** The body hash function (see the file comment), seed 0, fed bytes in any number of chunks. */
export class LaneHash32 {
  private v1 = (P1 + P2) | 0;
  private v2 = P2 | 0;
  private v3 = 0;
  private v4 = -P1 | 0;
  /** Bytes fed so far. */
  private length = 0;
  /** The bytes of a stripe not yet complete (a stripe spans two chunks). */
  private readonly held = new Uint8ArrayCtor(STRIPE);
  private heldCount = 0;

  /** Feed `bytes[from, to)` (the whole array by default; a range spares the caller a `subarray`). */
  update(bytes: Uint8Array, from = 0, to = typedArrayLength(bytes)): void {
    this.length += to - from;
    let i = from;
    let heldCount = this.heldCount;
    const held = this.held;
    if (heldCount + (to - i) < STRIPE) {
      while (i < to) held[heldCount++] = bytes[i++]!;
      this.heldCount = heldCount;
      return;
    }
    let v1 = this.v1;
    let v2 = this.v2;
    let v3 = this.v3;
    let v4 = this.v4;
    if (heldCount > 0) {
      while (heldCount < STRIPE) held[heldCount++] = bytes[i++]!;
      v1 = lane(v1, wordAt(held, 0));
      v2 = lane(v2, wordAt(held, 4));
      v3 = lane(v3, wordAt(held, 8));
      v4 = lane(v4, wordAt(held, 12));
      heldCount = 0;
    }
    const stripes = (to - i) >>> 4;
    const buffer = typedArrayBuffer(bytes);
    const offset = typedArrayByteOffset(bytes) + i;
    const shift = offset & 3;
    let done = 0;
    if (LITTLE_ENDIAN && shift === 0) {
      // The words straight from the buffer.
      const n = stripes * 4;
      const words = new Int32ArrayCtor(buffer, offset, n);
      for (let w = 0; w < n; w += 4) {
        v1 = lane(v1, words[w]!);
        v2 = lane(v2, words[w + 1]!);
        v3 = lane(v3, words[w + 2]!);
        v4 = lane(v4, words[w + 3]!);
      }
      done = stripes;
    } else if (LITTLE_ENDIAN && stripes > 0) {
      // Off word alignment (the chunk before left 1-3 bytes over): each word joined from
      // two aligned reads, as far as the read one word past a stripe stays in the buffer.
      const base = offset - shift;
      const room = (arrayBufferByteLength(buffer) - base - 4) >>> 4;
      const fit = room < stripes ? room : stripes;
      const n = fit * 4;
      const words = new Int32ArrayCtor(buffer, base, n + 1);
      const lo = shift * 8;
      const hi = 32 - lo;
      let prev = words[0]!;
      for (let w = 0; w < n; w += 4) {
        const a = words[w + 1]!;
        const b = words[w + 2]!;
        const c = words[w + 3]!;
        const d = words[w + 4]!;
        v1 = lane(v1, (prev >>> lo) | (a << hi));
        v2 = lane(v2, (a >>> lo) | (b << hi));
        v3 = lane(v3, (b >>> lo) | (c << hi));
        v4 = lane(v4, (c >>> lo) | (d << hi));
        prev = d;
      }
      done = fit;
    }
    // What the word paths left (big-endian platforms; the last stripe at a buffer's end).
    for (let p = i + done * STRIPE; done < stripes; done++, p += STRIPE) {
      v1 = lane(v1, wordAt(bytes, p));
      v2 = lane(v2, wordAt(bytes, p + 4));
      v3 = lane(v3, wordAt(bytes, p + 8));
      v4 = lane(v4, wordAt(bytes, p + 12));
    }
    i += stripes * STRIPE;
    while (i < to) held[heldCount++] = bytes[i++]!;
    this.heldCount = heldCount;
    this.v1 = v1;
    this.v2 = v2;
    this.v3 = v3;
    this.v4 = v4;
  }

  /** The hash of everything fed so far, as an unsigned 32-bit number (feeding may go on). */
  digest(): number {
    const { v1, v2, v3, v4, held, heldCount } = this;
    // From here on XXH32's own steps (xxhash.h XXH32_digest, XXH32_finalize, XXH32_avalanche).
    let h =
      this.length >= STRIPE
        ? ((v1 << 1) | (v1 >>> 31)) + ((v2 << 7) | (v2 >>> 25)) + ((v3 << 12) | (v3 >>> 20)) + ((v4 << 18) | (v4 >>> 14))
        : P5;
    // The length modulo 2^32: the sum stays an exact double, so `| 0` wraps it.
    h = (h + this.length) | 0;
    let p = 0;
    for (; p + 4 <= heldCount; p += 4) {
      h = (h + imul(wordAt(held, p), P3)) | 0;
      h = imul((h << 17) | (h >>> 15), P4);
    }
    if (p < heldCount) {
      // The last 1-3 bytes as one zero-padded word (XXH32 takes them one step per byte,
      // the same for a single byte): one step for the whole last word keeps "any change
      // within one aligned 32-bit word changes the hash" true for the body's end too.
      let w = held[p]!;
      if (p + 1 < heldCount) w |= held[p + 1]! << 8;
      if (p + 2 < heldCount) w |= held[p + 2]! << 16;
      h = (h + imul(w, P5)) | 0;
      h = imul((h << 11) | (h >>> 21), P1);
    }
    h ^= h >>> 15;
    h = imul(h, P2);
    h ^= h >>> 13;
    h = imul(h, P3);
    h ^= h >>> 16;
    return h >>> 0;
  }
}

const HEX = '0123456789abcdef';

/** A hash as 8 lower-case hex digits (string operators only: no method a page could replace). */
export function hashHex(hash: number): string {
  let out = '';
  for (let shift = 28; shift >= 0; shift -= 4) out += HEX[(hash >>> shift) & 15];
  return out;
}

/** The body hash of complete bytes, as 8 lower-case hex digits. */
export function bodyHashOf(bytes: Uint8Array): string {
  const hash = new LaneHash32();
  hash.update(bytes);
  return hashHex(hash.digest());
}

/**
 * Bodies up to this many bytes are hashed whole, so the core's "unchanged body" test
 * (waste) is exact for them and equal to an imported body's hash. Beyond this bound the
 * hash samples the body (BodyHasher). A 64 KiB bound was tried (2026-12-06, issue 18):
 * it took 1 MiB fetches from 1.97 to 1.79 times the page's own CPU, but a same-length
 * change deep in a poll's body (a counter, a timestamp: the usual change of a JSON poll)
 * then read as "unchanged" and its request as wasted, a false verdict on the metric users
 * audit polling with. Exact judgement up to 1 MiB was kept, and the hash made cheaper
 * instead (LaneHash32, above). WebCrypto's SHA-256, tried before, cost about three times as
 * much as a JavaScript hash on the page's thread.
 */
export const FULL_BODY_HASH_MAX_BYTES = 1024 * 1024;
/** Beyond FULL_BODY_HASH_MAX_BYTES, the first BODY_HASH_SAMPLE_BYTES of every BODY_HASH_STRIDE bytes are hashed, and the last BODY_HASH_TAIL_BYTES. */
const BODY_HASH_STRIDE = 4096;
const BODY_HASH_SAMPLE_BYTES = 64;
const BODY_HASH_TAIL_BYTES = 256;

/**
 * The http.end body hash, fed chunk by chunk. Up to FULL_BODY_HASH_MAX_BYTES it is
 * LaneHash32 of every byte (8 hex digits, equal to `bodyHashOf`). A longer body hashes
 * its first 1 MiB whole, then 64 bytes of each following 4 KiB, then its last 256 bytes
 * (where a document's closing fields, such as a timestamp, often sit), and its hash carries
 * the total size (`<8 hex><8 hex>~<size>`): two large bodies compare equal when they have
 * the same size, the same first 1 MiB, the same sampled bytes and the same end. A
 * same-length change only in unsampled bytes of a body over 1 MiB goes unseen (reported
 * as "unchanged"); any change of length, in the first 1 MiB or in the last 256 bytes is
 * seen. Sampling is by absolute offset, so chunking does not change the hash.
 */
export class BodyHasher {
  private readonly hash = new LaneHash32();
  private size = 0;
  /** The body's last bytes so far (at most BODY_HASH_TAIL_BYTES), once it is past the whole-hash bound. */
  private tail = new Uint8ArrayCtor(0);

  /** Feed the next bytes of the body. */
  update(bytes: Uint8Array): void {
    const start = this.size;
    const n = typedArrayByteLength(bytes);
    const end = start + n;
    let pos = start;
    if (pos < FULL_BODY_HASH_MAX_BYTES) {
      const whole = (end < FULL_BODY_HASH_MAX_BYTES ? end : FULL_BODY_HASH_MAX_BYTES) - pos;
      this.hash.update(bytes, 0, whole);
      pos += whole;
    }
    while (pos < end) {
      const inStride = pos % BODY_HASH_STRIDE;
      const stop = pos - inStride + (inStride < BODY_HASH_SAMPLE_BYTES ? BODY_HASH_SAMPLE_BYTES : BODY_HASH_STRIDE);
      const next = stop < end ? stop : end;
      if (inStride < BODY_HASH_SAMPLE_BYTES) this.hash.update(bytes, pos - start, next - start);
      pos = next;
    }
    if (end > FULL_BODY_HASH_MAX_BYTES) this.keepTail(bytes);
    this.size = end;
  }

  /** Keep the last BODY_HASH_TAIL_BYTES seen (copied byte by byte: no method a page could replace). */
  private keepTail(bytes: Uint8Array): void {
    const n = typedArrayByteLength(bytes);
    const old = this.tail;
    const fromNew = n < BODY_HASH_TAIL_BYTES ? n : BODY_HASH_TAIL_BYTES;
    const oldLength = typedArrayByteLength(old);
    const fromOld = oldLength < BODY_HASH_TAIL_BYTES - fromNew ? oldLength : BODY_HASH_TAIL_BYTES - fromNew;
    const joined = new Uint8ArrayCtor(fromOld + fromNew);
    for (let i = 0; i < fromOld; i++) joined[i] = old[oldLength - fromOld + i]!;
    for (let i = 0; i < fromNew; i++) joined[fromOld + i] = bytes[n - fromNew + i]!;
    this.tail = joined;
  }

  /** The hash of everything fed so far. */
  hex(): string {
    const hex = hashHex(this.hash.digest());
    if (this.size <= FULL_BODY_HASH_MAX_BYTES) return hex;
    const end = new LaneHash32();
    end.update(this.tail);
    return `${hex}${hashHex(end.digest())}~${this.size}`;
  }
}

/** textBodyHash: UTF-16 code units hashed whole from the start of the text, then sampled as BodyHasher samples bytes. */
const TEXT_HASH_WHOLE_UNITS = 16 * 1024;
const Uint16ArrayCtor = Uint16Array;

/**
 * The hash of a large text body the page read with `text()` or `json()`, where the hooks
 * see the decoded text and never its bytes (src/content/page/response-body.ts,
 * BodyWatch.finishWithText): LaneHash32 over the text's UTF-16 code units (two bytes each,
 * little-endian), its first 16 Ki units whole, then the first 64 units of every 4 Ki, then
 * its last 256 units and the text's length, written `t<8 hex>~<size>` with `size` the body's size in bytes. It
 * reads about 3% of a 1 MiB text: decoding the bytes in script to hash them all cost the
 * page more than the native `text()` it replaced (BENCHMARKS.md). It never equals a hash of
 * bytes (`bodyHashOf`, BodyHasher), so a body recorded both ways reads as changed, never as
 * unchanged. Two texts of the same size that differ only in unsampled units hash alike: the
 * hooks resolve that by comparing such texts whole (src/content/page/text-digest.ts).
 */
export function textBodyHash(text: string, size: number): string {
  const n = text.length;
  // The sampled units, gathered first: at most TEXT_HASH_WHOLE_UNITS, 64 per 4 Ki after, the tail.
  const sampled = (n > TEXT_HASH_WHOLE_UNITS ? TEXT_HASH_WHOLE_UNITS + (((n - TEXT_HASH_WHOLE_UNITS) >>> 12) + 1) * BODY_HASH_SAMPLE_BYTES : n) + BODY_HASH_TAIL_BYTES + 2;
  const units = new Uint16ArrayCtor(sampled);
  let k = 0;
  const whole = n < TEXT_HASH_WHOLE_UNITS ? n : TEXT_HASH_WHOLE_UNITS;
  for (let i = 0; i < whole; i++) units[k++] = charCodeAt(text, i);
  for (let start = TEXT_HASH_WHOLE_UNITS; start < n; start += BODY_HASH_STRIDE) {
    const stop = start + BODY_HASH_SAMPLE_BYTES < n ? start + BODY_HASH_SAMPLE_BYTES : n;
    for (let i = start; i < stop; i++) units[k++] = charCodeAt(text, i);
  }
  const tailFrom = n > BODY_HASH_TAIL_BYTES ? n - BODY_HASH_TAIL_BYTES : 0;
  for (let i = tailFrom; i < n; i++) units[k++] = charCodeAt(text, i);
  // The text's length, in two units (a body is far shorter than 2^32 units).
  units[k++] = n & 0xffff;
  units[k++] = n >>> 16;
  const hash = new LaneHash32();
  hash.update(new Uint8ArrayCtor(typedArrayBuffer(units), 0, k * 2));
  return `t${hashHex(hash.digest())}~${size}`;
}
