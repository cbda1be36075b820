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
