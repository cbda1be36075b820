import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { curveWithin } from '../../src/core/metrics/curve-band.ts';

const timer = () => ({ late: 75, early: 25 });

describe('curveWithin', () => {
  it('finds the curve that made the delays, whatever lateness within the band each one took', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('exponential' as const, 'linear' as const),
        fc.double({ min: 300, max: 5000, noNaN: true }),
        fc.double({ min: 1.05, max: 3, noNaN: true }),
        fc.array(fc.double({ min: 0, max: 75, noNaN: true }), { minLength: 2, maxLength: 12 }),
        (model, a, b, lateness) => {
          const points = lateness.map((late, n) => ({ attempt: n + 3, delayMs: (model === 'exponential' ? a * b ** n : a + 400 * (b - 1) * n) + late }));
          return curveWithin(points, model, timer);
        },
      ),
    );
  });

  it('refuses delays no curve keeps within the band, and accepts them in a wider one', () => {
    // graphql-ws 6.4's 2^k s + 0.3-3 s: log steps 0.458-0.499, but the geometric through the ends
    // misses the middle three by 80-223 ms, all early.
    const drawn = [2470, 3904, 6248, 10_143, 16_718].map((delayMs, attempt) => ({ attempt, delayMs }));
    expect(curveWithin(drawn, 'exponential', timer)).toBe(false);
    expect(curveWithin(drawn, 'exponential', () => ({ late: 250, early: 250 }))).toBe(true);
    // A straight line through three points misses a bend.
    const bent = [1000, 2000, 4000].map((delayMs, attempt) => ({ attempt, delayMs }));
    expect(curveWithin(bent, 'linear', timer)).toBe(false);
    expect(curveWithin(bent, 'exponential', () => ({ late: 0, early: 0 }))).toBe(true);
  });

  it('reads delays of one attempt as agreeing or not, and needs two delays', () => {
    const same = [1000, 1050].map((delayMs) => ({ attempt: 2, delayMs }));
    expect(curveWithin(same, 'exponential', timer)).toBe(true);
    const apart = [1000, 1200].map((delayMs) => ({ attempt: 2, delayMs }));
    expect(curveWithin(apart, 'exponential', timer)).toBe(false);
    expect(curveWithin([{ attempt: 0, delayMs: 1000 }], 'linear', timer)).toBe(false);
  });

  it('excuses stalled delays exactly as trying every set of them would (each set read with none excused)', () => {
    const timer = { late: 75, early: 25 };
    const stall = { late: 575, early: 25 };
    fc.assert(
      fc.property(
        fc.constantFrom('exponential' as const, 'linear' as const),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.double({ min: 300, max: 20_000, noNaN: true })), { minLength: 2, maxLength: 7 }),
        fc.integer({ min: 0, max: 3 }),
        (model, raw, excusable) => {
          const points = raw.map(([attempt, delayMs]) => ({ attempt, delayMs }));
          const brute = (from: number, excused: ReadonlySet<object>): boolean =>
            curveWithin(points, model, (p) => (excused.has(p) ? stall : timer)) ||
            (excused.size < excusable && points.slice(from).some((p, i) => brute(from + i + 1, new Set([...excused, p]))));
          return curveWithin(points, model, () => timer, { late: stall.late, count: excusable }) === brute(0, new Set());
        },
      ),
      { numRuns: 400 },
    );
  });
});
