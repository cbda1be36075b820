/**
 * Whether one deterministic curve, a·b^n (exponential) or a + b·n (linear), passes within a
 * band of every delay: the test of "these delays are one formula's, up to timer noise" that
 * the determinism claim (backoff-determinism.ts) and the list reading (backoff.ts
 * twoGrowthLaws) share. Exact, not a least-squares fit: each delay's band is a strip in the
 * curve's two parameters, and the strips meet or they do not.
 */
import type { BackoffPoint } from './backoff.ts';

/** How far from the curve a delay may lie, in ms. */
export interface DelayBand {
  /** Later than the curve's value by this much at most (a late timer). */
  late: number;
  /** Earlier than the curve's value by this much at most. */
  early: number;
}

/** Delays that may each lie later than the curve by up to `late` instead (stalled timers: late only), `count` of them at most. */
export interface Stalls {
  late: number;
  count: number;
}

/**
 * Whether some curve of `model` has, at each point's attempt n, a value c with
 * delay - late <= c <= delay + early, but for up to `stalls.count` points that may instead lie
 * up to `stalls.late` after it. Exact without trying every set of excused points: the upper
 * edges bind every point alike, so for a slope the best intercept is the lowest upper edge, and
 * the points whose own lower edge lies above it are the ones to excuse. For a slope, the room
 * left is concave, so it is best at a slope through two edges (excused lower edges among them):
 * O(n³) for n points.
 */
export function curveWithin(
  points: readonly BackoffPoint[],
  model: 'exponential' | 'linear',
  band: (p: BackoffPoint) => DelayBand,
  stalls: Stalls = { late: 0, count: 0 },
): boolean {
  if (points.length < 2) return false;
  const y = model === 'exponential' ? Math.log : (v: number) => v;
  // y(c) = y(a) + n·y(b) (exponential, in logs) or a + n·b (linear): lines in (u, v), a strip per delay.
  const strips = points.map((p) => {
    const { late, early } = band(p);
    return {
      n: p.attempt,
      lo: y(Math.max(1, p.delayMs - late)),
      stallLo: y(Math.max(1, p.delayMs - Math.max(late, stalls.late))),
      hi: y(p.delayMs + early),
    };
  });
  const EPS = 1e-9;
  const fits = (v: number): boolean => {
    let u = Number.POSITIVE_INFINITY;
    for (const s of strips) u = Math.min(u, s.hi - s.n * v);
    let excused = 0;
    for (const s of strips) {
      if (s.lo - s.n * v <= u + EPS) continue;
      if (s.stallLo - s.n * v > u + EPS || ++excused > stalls.count) return false;
    }
    return true;
  };
  // All at one attempt: any slope, the strips overlap or not.
  if (strips.every((s) => s.n === strips[0]!.n)) return fits(0);
  const edges = (s: (typeof strips)[number]) => (stalls.count > 0 ? [s.lo, s.hi, s.stallLo] : [s.lo, s.hi]);
  for (const a of strips) {
    for (const b of strips) {
      if (b.n <= a.n) continue;
      for (const ya of edges(a)) {
        for (const yb of edges(b)) {
          if (fits((yb - ya) / (b.n - a.n))) return true;
        }
      }
    }
  }
  return false;
}
