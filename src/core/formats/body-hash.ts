/**
 * The body hash of http.end events: MurmurHash3 (x86, 32-bit, seed 0) over the
 * body's bytes, as 8 hex digits. One implementation for the page hooks
 * (incremental, chunk by chunk, any chunking) and for imports, so a response
 * imported from a HAR compares equal to the same response captured live.
 *
 * MurmurHash3 rather than a byte-at-a-time hash (FNV-1a, used before): the hooks
 * hash every body on the page's thread, and Murmur3 mixes four bytes per step,
 * read as one little-endian word: 0.57 ms per MiB in Node 20 against 1.58 ms for
 * FNV-1a, and 0.96–1.13 ms against 1.7–3.4 ms in a Chromium 156 page (fed in 64 KiB
 * chunks, 3 rounds, on a loaded 2-core machine; BENCHMARKS.md). Reference: Austin Appleby's
 * MurmurHash3_x86_32 (smhasher, public domain); test vectors in
 * test/unit/formats-body-hash.test.ts.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

// Taken when the module loads: in the page hooks that is document_start, before any
// page script could replace them.
const imul = Math.imul;
const Uint32ArrayCtor = Uint32Array;
const Uint8ArrayCtor = Uint8Array;

/** True where a Uint32Array reads bytes as little-endian words (every platform Chrome ships on). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32ArrayCtor([1]).buffer)[0] === 1;

/** Scramble a 32-bit block (or the tail's 1–3 bytes) before it is mixed in. */
function scramble(k: number): number {
  k = imul(k, C1);
  k = (k << 15) | (k >>> 17);
  return imul(k, C2);
}

/** Mix one 32-bit block into the running hash. */
function mixBlock(h: number, k: number): number {
  h ^= scramble(k);
  h = (h << 13) | (h >>> 19);
  return (imul(h, 5) + 0xe6546b64) | 0;
}

/** MurmurHash3_x86_32, seed 0, fed bytes in any number of chunks. */
export class Murmur3 {
  private h = 0;
  /** Bytes fed so far. */
  private length = 0;
  /** The last 0–3 bytes not yet mixed (a block spans two chunks), little-endian in one number. */
  private carry = 0;
  private carried = 0;

  /** Feed the next bytes. */
  update(bytes: Uint8Array): void {
    const n = bytes.length;
    let h = this.h;
    let i = 0;
    if (this.carried > 0) {
      while (this.carried < 4 && i < n) this.carry |= bytes[i++]! << (8 * this.carried++);
      if (this.carried < 4) {
        this.length += n;
        return;
      }
      h = mixBlock(h, this.carry);
      this.carry = 0;
      this.carried = 0;
    }
    const blocks = (n - i) >>> 2;
    const offset = bytes.byteOffset + i;
    if (LITTLE_ENDIAN && offset % 4 === 0) {
      const words = new Uint32ArrayCtor(bytes.buffer, offset, blocks);
      for (let b = 0; b < blocks; b++) h = mixBlock(h, words[b]!);
      i += blocks * 4;
    } else {
      for (let b = 0; b < blocks; b++, i += 4) {
        h = mixBlock(h, bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
      }
    }
    while (i < n) this.carry |= bytes[i++]! << (8 * this.carried++);
    this.h = h;
    this.length += n;
  }

  /** The hash of everything fed so far, as an unsigned 32-bit number (feeding may go on). */
  digest(): number {
    let h = this.h;
    if (this.carried > 0) h ^= scramble(this.carry);
    h ^= this.length;
    h ^= h >>> 16;
    h = imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h >>> 0;
  }
}

/** A hash as 8 lower-case hex digits. */
export function hashHex(hash: number): string {
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/** The body hash of complete bytes, as 8 lower-case hex digits. */
export function bodyHashOf(bytes: Uint8Array): string {
  const m = new Murmur3();
  m.update(bytes);
  return hashHex(m.digest());
}

/**
 * Bodies up to this many bytes are hashed whole, so the core's "unchanged body" test
 * (waste) is exact for them and equal to an imported body's hash. Hashing every byte in
 * JavaScript costs the page's thread about 1 ms per MiB in Chromium 156, so beyond this
 * bound the hash samples the body (BodyHasher). A 64 KiB bound was tried (2026-12-06,
 * issue 18): it took 1 MiB fetches from 1.97 to 1.79 times the page's own CPU, but a
 * same-length change deep in a poll's body (a counter, a timestamp: the usual change of a
 * JSON poll) then read as "unchanged" and its request as wasted, a false verdict on the
 * metric users audit polling with. Exact judgement up to 1 MiB was kept.
 * WebCrypto's SHA-256, tried before, cost about three times as much as a JavaScript hash
 * on the page's thread.
 */
export const FULL_BODY_HASH_MAX_BYTES = 1024 * 1024;
/** Beyond FULL_BODY_HASH_MAX_BYTES, the first BODY_HASH_SAMPLE_BYTES of every BODY_HASH_STRIDE bytes are hashed, and the last BODY_HASH_TAIL_BYTES. */
const BODY_HASH_STRIDE = 4096;
const BODY_HASH_SAMPLE_BYTES = 64;
const BODY_HASH_TAIL_BYTES = 256;

/**
 * The http.end body hash, fed chunk by chunk. Up to FULL_BODY_HASH_MAX_BYTES it is
 * MurmurHash3 of every byte (8 hex digits, equal to `bodyHashOf`). A longer body hashes
 * its first 1 MiB whole, then 64 bytes of each following 4 KiB, then its last 256 bytes
 * (where a document's closing fields, such as a timestamp, often sit), and its hash carries
 * the total size (`<8 hex><8 hex>~<size>`): two large bodies compare equal when they have
 * the same size, the same first 64 KiB, the same sampled bytes and the same end. A
 * same-length change only in unsampled bytes of a body over 1 MiB goes unseen (reported
 * as "unchanged"); any change of length, in the first 1 MiB or in the last 256 bytes is
 * seen. Sampling is by absolute offset, so chunking does not change the hash.
 */
export class BodyHasher {
  private readonly hash = new Murmur3();
  private size = 0;
  /** The body's last bytes so far (at most BODY_HASH_TAIL_BYTES), once it is past the whole-hash bound. */
  private tail = new Uint8ArrayCtor(0);

  /** Feed the next bytes of the body. */
  update(bytes: Uint8Array): void {
    const start = this.size;
    const end = start + bytes.byteLength;
    let pos = start;
    if (pos < FULL_BODY_HASH_MAX_BYTES) {
      const whole = Math.min(end, FULL_BODY_HASH_MAX_BYTES) - pos;
      this.hash.update(whole === bytes.byteLength ? bytes : bytes.subarray(0, whole));
      pos += whole;
    }
    while (pos < end) {
      const inStride = pos % BODY_HASH_STRIDE;
      if (inStride < BODY_HASH_SAMPLE_BYTES) {
        const take = Math.min(BODY_HASH_SAMPLE_BYTES - inStride, end - pos);
        this.hash.update(bytes.subarray(pos - start, pos - start + take));
        pos += take;
      } else {
        pos += Math.min(BODY_HASH_STRIDE - inStride, end - pos);
      }
    }
    if (end > FULL_BODY_HASH_MAX_BYTES) this.keepTail(bytes);
    this.size = end;
  }

  /** Keep the last BODY_HASH_TAIL_BYTES seen (copies, by the captured constructor: no page-replaceable method). */
  private keepTail(bytes: Uint8Array): void {
    const n = bytes.byteLength;
    if (n >= BODY_HASH_TAIL_BYTES) {
      this.tail = new Uint8ArrayCtor(bytes.subarray(n - BODY_HASH_TAIL_BYTES));
      return;
    }
    const old = this.tail;
    const keepOld = Math.min(old.byteLength, BODY_HASH_TAIL_BYTES - n);
    const joined = new Uint8ArrayCtor(keepOld + n);
    for (let i = 0; i < keepOld; i++) joined[i] = old[old.byteLength - keepOld + i]!;
    for (let i = 0; i < n; i++) joined[keepOld + i] = bytes[i]!;
    this.tail = joined;
  }

  /** The hash of everything fed so far. */
  hex(): string {
    const hex = hashHex(this.hash.digest());
    if (this.size <= FULL_BODY_HASH_MAX_BYTES) return hex;
    const end = new Murmur3();
    end.update(this.tail);
    return `${hex}${hashHex(end.digest())}~${this.size}`;
  }
}
