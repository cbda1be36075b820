/**
 * The body hash written out a second time, independently of
 * src/core/formats/body-hash.ts: one pass over the bytes, words read byte by byte,
 * every 32-bit step in BigInt arithmetic masked to 32 bits (no Math.imul, no `| 0`
 * wrapping), so a slip in the fast code's int32 tricks cannot repeat here.
 */

const MASK = 0xffff_ffffn;
// xxhash.h 0.8.x, XXH_PRIME32_1 … XXH_PRIME32_5, in decimal.
const P1 = 2654435761n;
const P2 = 2246822519n;
const P3 = 3266489917n;
const P4 = 668265263n;
const P5 = 374761393n;

const add = (a: bigint, b: bigint) => (a + b) & MASK;
const mul = (a: bigint, b: bigint) => (a * b) & MASK;
const rotl = (x: bigint, r: bigint) => ((x << r) | (x >> (32n - r))) & MASK;
const word = (bytes: Uint8Array, i: number) =>
  BigInt(bytes[i]!) + (BigInt(bytes[i + 1]!) << 8n) + (BigInt(bytes[i + 2]!) << 16n) + (BigInt(bytes[i + 3]!) << 24n);

/**
 * Four lanes over 16-byte stripes, each step `x = v + w; v = (x ^ x >> 15) * P1`; then XXH32's
 * lane merge, length, tail words and avalanche, with the last 1-3 bytes taken as one
 * zero-padded word in XXH32's byte step.
 */
export function referenceBodyHash(bytes: Uint8Array): string {
  const length = bytes.length;
  let i = 0;
  let h: bigint;
  if (length >= 16) {
    const v = [add(P1, P2), P2, 0n, (0n - P1) & MASK];
    for (; i + 16 <= length; i += 16) {
      for (let l = 0; l < 4; l++) {
        const x = add(v[l]!, word(bytes, i + 4 * l));
        v[l] = mul(x ^ (x >> 15n), P1);
      }
    }
    h = add(add(rotl(v[0]!, 1n), rotl(v[1]!, 7n)), add(rotl(v[2]!, 12n), rotl(v[3]!, 18n)));
  } else {
    h = P5;
  }
  h = add(h, BigInt(length) & MASK);
  for (; i + 4 <= length; i += 4) h = mul(rotl(add(h, mul(word(bytes, i), P3)), 17n), P4);
  if (i < length) {
    let last = 0n;
    for (let j = length - 1; j >= i; j--) last = (last << 8n) + BigInt(bytes[j]!);
    h = mul(rotl(add(h, mul(last, P5)), 11n), P1);
  }
  h ^= h >> 15n;
  h = mul(h, P2);
  h ^= h >> 13n;
  h = mul(h, P3);
  h ^= h >> 16n;
  return h.toString(16).padStart(8, '0');
}

/** Bodies up to this many bytes are hashed whole by the page hooks. */
const WHOLE_HASH_BYTES = 1_048_576;

/**
 * The hooks' body hash: whole up to 1 MiB; beyond, the hash of the first 1 MiB and
 * 64 bytes of each following 4 KiB, then the hash of the last 256 bytes and the size.
 */
export function referenceSampledBodyHash(bytes: Uint8Array): string {
  if (bytes.length <= WHOLE_HASH_BYTES) return referenceBodyHash(bytes);
  const kept = bytes.filter((_, i) => i < WHOLE_HASH_BYTES || i % 4096 < 64);
  return `${referenceBodyHash(kept)}${referenceBodyHash(bytes.subarray(bytes.length - 256))}~${bytes.length}`;
}
