/**
 * The body hash of large text bodies the hooks see only as text (src/core/formats/body-hash.ts
 * textBodyHash, src/content/page/text-digest.ts digestText): what the sampled hash sees, and
 * that texts whose samples agree are compared whole, as the waste judgement needs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bodyHashOf, textBodyHash } from '../../src/core/formats/body-hash.ts';
import { digestText } from '../../src/content/page/text-digest.ts';

const base = Array.from({ length: 200_000 }, (_, i) => String.fromCharCode(97 + ((i * 7) % 26))).join('');
const at = (text: string, i: number, c: string) => text.slice(0, i) + c + text.slice(i + 1);

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
  // Module state is shared by the tests: each builds its texts from a base of its own.
  let bases = 0;
  const freshBase = () => `${++bases}:${base.slice(String(bases).length + 1)}`;

  it('property: different texts never share a hash, equal ones do (while kept), in any order and interleaving', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 3 })), { minLength: 2, maxLength: 30 }), (picks) => {
        const b = freshBase();
        // Six texts of one size whose samples agree (changes where textBodyHash does not look), and other sizes.
        const pool = [b, at(b, 100_000, '#'), at(b, 150_000, '$'), at(at(b, 100_000, '#'), 150_000, '$'), at(b, 120_000, '%'), at(b, 130_000, '&')];
        const hashes = picks.map(([k]) => digestText(pool[k]!, 200_000));
        for (let i = 0; i < picks.length; i++) {
          for (let j = 0; j < i; j++) expect(hashes[i] === hashes[j], `${picks}`).toBe(picks[i]![0] === picks[j]![0]);
        }
        for (const hash of hashes) expect(hash).toMatch(/^t[0-9a-f]{8}~200000(\.\d+)?$/);
      }),
      { numRuns: 150 },
    );
  });

  it('a poll whose URL changes every time (an id or a time in its path) is still compared whole', () => {
    // The hooks key nothing by URL: two bodies the core compares are compared, whatever their URLs.
    const b = freshBase();
    const first = digestText(b, 200_000);
    const second = digestText(at(b, 100_000, '#'), 200_000);
    expect(second).not.toBe(first);
    expect(digestText(b, 200_000)).toBe(first);
  });

  it('a text dropped from the kept ones reads as a new body (changed), never as the same as another', () => {
    const b = freshBase();
    const h = digestText(b, 200_000);
    // 64 other texts push it out.
    for (let i = 0; i < 64; i++) digestText(at(freshBase(), 7, '!'), 200_000);
    const again = digestText(b, 200_000);
    expect(again).not.toBe(h);
    expect(again.startsWith(`${h}.`)).toBe(true);
    // A different text with the same samples after the drop: yet another hash.
    const deep = digestText(at(b, 100_000, '#'), 200_000);
    expect(new Set([h, again, deep]).size).toBe(3);
  });
});
