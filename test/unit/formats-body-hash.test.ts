import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BodyHasher, bodyHashOf, FULL_BODY_HASH_MAX_BYTES, hashHex, Murmur3 } from '../../src/core/formats/body-hash.ts';

const ascii = (s: string) => new TextEncoder().encode(s);

describe('body hash: MurmurHash3_x86_32, seed 0 (node)', () => {
  it('matches the reference vectors (smhasher; checked against murmurhash3js 3.0.1 x86.hash32)', () => {
    expect(bodyHashOf(ascii(''))).toBe('00000000');
    expect(bodyHashOf(ascii('abc'))).toBe('b3dd93fa');
    expect(bodyHashOf(ascii('hello'))).toBe('248bfa47');
    expect(bodyHashOf(ascii('Hello, world!'))).toBe('c0363e43');
    expect(bodyHashOf(ascii('The quick brown fox jumps over the lazy dog'))).toBe('2e4ff723');
  });

  it('property: any chunking, and any alignment of the chunks in their buffers, gives the one-shot hash', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.nat({ max: 300 }), { maxLength: 8 }),
        fc.nat({ max: 3 }),
        (bytes, cuts, shift) => {
          const points = [...new Set(cuts.map((c) => Math.min(c, bytes.length)))].sort((a, b) => a - b);
          const m = new Murmur3();
          let from = 0;
          for (const to of [...points, bytes.length]) {
            // Copy the chunk at a byte offset `shift` into a larger buffer: the word path must not assume alignment.
            const host = new Uint8Array(to - from + shift);
            host.set(bytes.subarray(from, to), shift);
            m.update(host.subarray(shift));
            from = to;
          }
          expect(hashHex(m.digest())).toBe(bodyHashOf(bytes));
        },
      ),
    );
  });

  it('changes with any single-byte change or a change of length', () => {
    const body = ascii('{"orders":[{"id":1,"state":"open"}],"version":42}');
    const seen = new Set([bodyHashOf(body)]);
    for (let i = 0; i < body.length; i++) {
      const changed = body.slice();
      changed[i]! ^= 1;
      seen.add(bodyHashOf(changed));
    }
    seen.add(bodyHashOf(body.subarray(0, body.length - 1)));
    seen.add(bodyHashOf(new Uint8Array([...body, 0])));
    expect(seen.size).toBe(body.length + 3);
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
