/**
 * The body hash of large text bodies the hooks see only as text (src/core/formats/body-hash.ts
 * textBodyHash, src/content/page/text-digest.ts digestText): what the sampled hash sees, and
 * that consecutive bodies of one endpoint compare whole, as the waste judgement needs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bodyHashOf, textBodyHash } from '../../src/core/formats/body-hash.ts';
import { digestText, endpointOf } from '../../src/content/page/text-digest.ts';

const base = Array.from({ length: 200_000 }, (_, i) => String.fromCharCode(97 + ((i * 7) % 26))).join('');
const at = (text: string, i: number, c: string) => text.slice(0, i) + c + text.slice(i + 1);
let endpoints = 0;
const freshEndpoint = () => `GET http://127.0.0.1/poll-${++endpoints}`;

describe('textBodyHash', () => {
  it('is written t<8 hex>~<size> and never equals a hash of bytes', () => {
    expect(textBodyHash(base, 200_000)).toMatch(/^t[0-9a-f]{8}~200000$/);
    expect(textBodyHash('', 0)).toMatch(/^t[0-9a-f]{8}~0$/);
    const small = 'x'.repeat(100);
    expect(textBodyHash(small, 100)).not.toBe(bodyHashOf(Buffer.from(small)));
  });

  it('sees any change in the first 16 Ki units, in the sampled units of each 4 Ki, in the last 256, and of length or size', () => {
    const h = textBodyHash(base, 200_000);
    for (const i of [0, 1, 5_000, 16_383, 16_384, 16_384 + 63, 16_384 + 4096 * 10 + 5, 199_744, 199_999]) {
      expect(textBodyHash(at(base, i, '#'), 200_000), `change at ${i}`).not.toBe(h);
    }
    // Non-ASCII units count whole (two bytes of each UTF-16 unit).
    expect(textBodyHash(at(base, 3, 'ā'), 200_000)).not.toBe(h);
    expect(textBodyHash(`${base}a`, 200_001)).not.toBe(h);
    expect(textBodyHash(base.slice(1), 199_999)).not.toBe(h);
    expect(textBodyHash(base, 200_002)).not.toBe(h);
  });

  it('does not see a same-length change only in unsampled units (what digestText resolves)', () => {
    expect(textBodyHash(at(base, 16_384 + 64, '#'), 200_000)).toBe(textBodyHash(base, 200_000));
    expect(textBodyHash(at(base, 100_000, '#'), 200_000)).toBe(textBodyHash(base, 200_000));
  });
});

describe('digestText', () => {
  it('gives equal consecutive texts of an endpoint one hash, and different ones different hashes, wherever they differ', () => {
    const pool = [base, at(base, 100_000, '#'), at(base, 150_000, '$'), at(at(base, 100_000, '#'), 150_000, '$'), at(base, 10, '!')];
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: pool.length - 1 }), { minLength: 2, maxLength: 12 }), (picks) => {
        const endpoint = freshEndpoint();
        const hashes = picks.map((k) => digestText(endpoint, pool[k]!, 200_000));
        for (let i = 1; i < picks.length; i++) {
          expect(hashes[i] === hashes[i - 1], `${picks}`).toBe(picks[i] === picks[i - 1]);
        }
        for (const hash of hashes) expect(hash).toMatch(/^t[0-9a-f]{8}~200000(\.\d+)?$/);
      }),
      { numRuns: 200 },
    );
  });

  it('compares each endpoint with its own last body, interleaved with others', () => {
    const a = freshEndpoint();
    const b = freshEndpoint();
    const deep = at(base, 100_000, '#');
    const h1 = digestText(a, base, 200_000);
    digestText(b, deep, 200_000);
    expect(digestText(a, base, 200_000)).toBe(h1);
    expect(digestText(b, base, 200_000)).not.toBe(digestText(a, deep, 200_000));
    expect(digestText(a, deep, 200_000)).toBe(digestText(a, deep, 200_000));
  });

  it('keeps the last text of at most 16 endpoints: beyond, the oldest compares by its samples', () => {
    const first = freshEndpoint();
    const h = digestText(first, base, 200_000);
    for (let i = 0; i < 16; i++) digestText(freshEndpoint(), base, 200_000);
    // Its last text is gone: a change the samples miss reads as the same body (README, Known limitations).
    expect(digestText(first, at(base, 100_000, '#'), 200_000)).toBe(h);
  });

  it('names an endpoint by method and URL without query or fragment', () => {
    expect(endpointOf('GET', 'https://a.example/poll?since=5&t=9#x')).toBe('GET https://a.example/poll');
    expect(endpointOf('POST', 'https://a.example/poll#frag?x')).toBe('POST https://a.example/poll');
    expect(endpointOf('GET', 'https://a.example/poll')).toBe('GET https://a.example/poll');
  });
});
