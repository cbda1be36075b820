import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BodyHasher, bodyHashOf, FULL_BODY_HASH_MAX_BYTES, hashHex, LaneHash32 } from '../../src/core/formats/body-hash.ts';
import { referenceBodyHash } from '../support/body-hash-reference.ts';

const ascii = (s: string) => new TextEncoder().encode(s);
/** Bodies long enough for many stripes, and short ones that only reach the tail steps. */
const anyBody = fc.uint8Array({ maxLength: 2000, size: 'max' });

describe('body hash: four lanes of (v + w) folded and multiplied, XXH32 merge and finish (node)', () => {
  it('matches XXH32 where their steps coincide (libxxhash 0.8.1 XXH32, seed 0) and the written-out reference elsewhere', () => {
    // Under 16 bytes with a length of 4k or 4k + 1, only XXH32's own steps run.
    expect(bodyHashOf(ascii(''))).toBe('02cc5d05');
    expect(bodyHashOf(ascii('a'))).toBe('550d7456');
    expect(bodyHashOf(ascii('hello'))).toBe('fb0077f9');
    expect(bodyHashOf(ascii('Hello, world!'))).toBe('31b7405d');
    // test/support/body-hash-reference.ts (BigInt, byte by byte).
    expect(bodyHashOf(ascii('abc'))).toBe('83fdfd6d');
    expect(bodyHashOf(ascii('0123456789abcdef'))).toBe('3e556b0a');
    expect(bodyHashOf(ascii('The quick brown fox jumps over the lazy dog'))).toBe('a5a25427');
    for (const s of ['abc', '0123456789abcdef', 'The quick brown fox jumps over the lazy dog']) {
      expect(referenceBodyHash(ascii(s))).toBe(bodyHashOf(ascii(s)));
    }
  });

  it('property: equals the independent BigInt reference on any bytes', () => {
    fc.assert(
      fc.property(anyBody, (bytes) => {
        expect(bodyHashOf(bytes)).toBe(referenceBodyHash(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('property: any chunking, any byte offset of the chunks in their buffers, and ranges give the one-shot hash', () => {
    fc.assert(
      fc.property(
        anyBody,
        fc.array(fc.nat({ max: 2000 }), { maxLength: 10, size: 'max' }),
        fc.array(fc.nat({ max: 7 }), { minLength: 1, maxLength: 4 }),
        fc.nat({ max: 5 }),
        fc.boolean(),
        (bytes, cuts, shifts, slack, asRange) => {
          const points = [...new Set(cuts.map((c) => (c < bytes.length ? c : bytes.length)))].sort((a, b) => a - b);
          const hash = new LaneHash32();
          let from = 0;
          let k = 0;
          for (const to of [...points, bytes.length]) {
            // Each chunk at byte offset `shift` in a buffer with `slack` bytes after it (none: the
            // chunk ends its buffer, where the off-alignment path must not read past the end).
            const shift = shifts[k++ % shifts.length]!;
            const host = new Uint8Array(shift + to - from + slack).fill(0xa5);
            host.set(bytes.subarray(from, to), shift);
            if (asRange) hash.update(host, shift, shift + to - from);
            else hash.update(host.subarray(shift, shift + to - from));
            from = to;
          }
          expect(hashHex(hash.digest())).toBe(bodyHashOf(bytes));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('property: a change of any one byte always changes the hash', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 2000, size: 'max' }), fc.nat(), fc.integer({ min: 1, max: 255 }), (bytes, at, flip) => {
        const changed = bytes.slice();
        changed[at % bytes.length]! ^= flip;
        expect(bodyHashOf(changed)).not.toBe(bodyHashOf(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('property: any new value of one aligned 32-bit word (a counter, a timestamp) always changes the hash', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 2000, size: 'max' }), fc.nat(), fc.integer({ min: 1, max: 0xffff_ffff }), (bytes, at, flip) => {
        const changed = bytes.slice();
        const start = (at % bytes.length) & ~3;
        for (let i = start; i < start + 4 && i < bytes.length; i++) changed[i]! ^= (flip >>> (8 * (i - start))) & 0xff;
        fc.pre(changed.some((b, i) => b !== bytes[i]));
        expect(bodyHashOf(changed)).not.toBe(bodyHashOf(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('every byte of a 4 KiB JSON poll body changed on its own (low bit and top bit) gives a distinct hash', () => {
    const row = (i: number) => `{"id":${i},"state":"open","updatedAt":${1_796_554_851_287 + i * 1000}}`;
    let text = '{"rows":[';
    for (let i = 0; text.length < 4000; i++) text += `${i ? ',' : ''}${row(i)}`;
    const body = ascii(`${text}]}`);
    const seen = new Set([bodyHashOf(body)]);
    for (let i = 0; i < body.length; i++) {
      for (const flip of [1, 0x80]) {
        const changed = body.slice();
        changed[i]! ^= flip;
        seen.add(bodyHashOf(changed));
      }
    }
    expect(seen.size).toBe(1 + 2 * body.length);
  });

  it('every change of two bits of a 133-byte body changes the hash (lane steps without a fold collided on some)', () => {
    // 8 stripes and a tail of a word and a byte; 565,516 pairs. Single steps that leave a
    // high bit's change in the high bits (rotl(v + w * P2, 13), rotl(v + w, 13) * P1)
    // collided on tens to hundreds of such pairs; MurmurHash3 and XXH32 on none.
    const body = Uint8Array.from({ length: 133 }, (_, i) => (i * 151 + 29) & 0xff);
    const original = bodyHashOf(body);
    let collisions = 0;
    for (let p = 0; p < body.length * 8; p++) {
      body[p >> 3]! ^= 1 << (p & 7);
      for (let q = p + 1; q < body.length * 8; q++) {
        body[q >> 3]! ^= 1 << (q & 7);
        if (bodyHashOf(body) === original) collisions++;
        body[q >> 3]! ^= 1 << (q & 7);
      }
      body[p >> 3]! ^= 1 << (p & 7);
    }
    expect(collisions).toBe(0);
  });

  it('property: a body and the same body made shorter or longer hash differently', () => {
    fc.assert(
      fc.property(anyBody, fc.uint8Array({ minLength: 1, maxLength: 40 }), (bytes, extra) => {
        const longer = new Uint8Array(bytes.length + extra.length);
        longer.set(bytes);
        longer.set(extra, bytes.length);
        expect(bodyHashOf(longer)).not.toBe(bodyHashOf(bytes));
      }),
      { numRuns: 1000 },
    );
    // Zero bytes read the same in every lane word: only the length tells these apart.
    const zeros = new Set<string>();
    for (let n = 0; n <= 4096; n++) zeros.add(bodyHashOf(new Uint8Array(n)));
    expect(zeros.size).toBe(4097);
  });
});

describe('the hooks body hash: whole up to 1 MiB, sampled beyond with the end and the size (node)', () => {
  const hashOf = (bytes: Uint8Array, chunk = bytes.length || 1) => {
    const hasher = new BodyHasher();
    for (let i = 0; i < bytes.length; i += chunk) hasher.update(bytes.subarray(i, i + chunk));
    return hasher.hex();
  };
  const body = (size: number) => Uint8Array.from({ length: size }, (_, i) => (i * 31 + 7) & 0xff);

  it('equals the import hash up to the bound, and carries the size beyond it', () => {
    const atBound = body(FULL_BODY_HASH_MAX_BYTES);
    expect(hashOf(atBound)).toBe(bodyHashOf(atBound));
    expect(hashOf(body(FULL_BODY_HASH_MAX_BYTES + 1))).toMatch(/^[0-9a-f]{16}~1048577$/);
  });

  it('does not depend on the chunking', () => {
    const big = body(FULL_BODY_HASH_MAX_BYTES + 300_000);
    const whole = hashOf(big);
    for (const chunk of [1000, 4096, 65_536, 100_003, 7]) expect(hashOf(big, chunk)).toBe(whole);
  });

  it('sees a same-length change deep in a 1 MiB body (the 900,000th byte, a word in the middle of a stripe)', () => {
    const big = body(FULL_BODY_HASH_MAX_BYTES);
    const changed = big.slice();
    changed[900_000]! ^= 1;
    expect(hashOf(changed, 65_536)).not.toBe(hashOf(big, 65_536));
  });

  it('sees a change in the first 1 MiB, in a sampled byte, in the last 256 bytes, or of length', () => {
    const big = body(FULL_BODY_HASH_MAX_BYTES + 300_000);
    const seen = new Set([hashOf(big)]);
    for (const at of [0, FULL_BODY_HASH_MAX_BYTES - 1, FULL_BODY_HASH_MAX_BYTES + 4096, big.length - 256, big.length - 1]) {
      const changed = big.slice();
      changed[at] = changed[at]! ^ 1;
      seen.add(hashOf(changed, 10_000));
    }
    seen.add(hashOf(big.subarray(0, big.length - 1)));
    expect(seen.size).toBe(7);
  });
});
