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

/**
 * Whether some curve of `model` has, at each point's attempt n, a value c with
 * delay - late <= c <= delay + early.
 */
export function curveWithin(points: readonly BackoffPoint[], model: 'exponential' | 'linear', band: (p: BackoffPoint) => DelayBand): boolean {
  if (points.length < 2) return false;
  const y = model === 'exponential' ? Math.log : (v: number) => v;
  // y(c) = y(a) + n·y(b) (exponential, in logs) or a + n·b (linear): lines in (u, v), a strip per delay.
  const strips = points.map((p) => {
    const { late, early } = band(p);
    return { n: p.attempt, lo: y(Math.max(1, p.delayMs - late)), hi: y(p.delayMs + early) };
  });
  return stripsMeet(strips);
}

/**
 * Whether lines u + n·v through every strip lo <= u + n·v <= hi exist: for a slope v, u is free
 * within [max(lo - n·v), min(hi - n·v)], a concave gap in v whose best is at a slope through two
 * strips' edges.
 */
function stripsMeet(strips: readonly { n: number; lo: number; hi: number }[]): boolean {
  const gap = (v: number) => {
    let low = Number.NEGATIVE_INFINITY;
    let high = Number.POSITIVE_INFINITY;
    for (const s of strips) {
      low = Math.max(low, s.lo - s.n * v);
      high = Math.min(high, s.hi - s.n * v);
    }
    return high - low;
  };
  const EPS = 1e-9;
  // All at one attempt: any slope, the strips overlap or not.
  if (strips.every((s) => s.n === strips[0]!.n)) return gap(0) >= -EPS;
  for (const a of strips) {
    for (const b of strips) {
      if (a.n === b.n) continue;
      for (const ya of [a.lo, a.hi]) {
        for (const yb of [b.lo, b.hi]) {
          if (gap((yb - ya) / (b.n - a.n)) >= -EPS) return true;
        }
      }
    }
  }
  return false;
}


/**
 * Whether some curve of `model` keeps every point within `band`, but for at most `excusable`
 * points, each of which may instead lie later than the curve by up to `stalledLate` (a stalled
 * timer: late only). Exact without trying every set of excused points: the upper edges bind
 * every point alike, so for a slope the best intercept is the lowest upper edge, and the points
 * whose own lower edge lies above it are the ones to excuse. The slopes worth trying pass
 * through two edges, excused lower edges among them: O(n³) for n points.
 */
export function curveWithinExcusing(
  points: readonly BackoffPoint[],
  model: 'exponential' | 'linear',
  band: DelayBand,
  stalledLate: number,
  excusable: number,
): boolean {
  if (points.length < 2) return false;
  const y = model === 'exponential' ? Math.log : (v: number) => v;
  const strips = points.map((p) => ({
    n: p.attempt,
    lo: y(Math.max(1, p.delayMs - band.late)),
    stallLo: y(Math.max(1, p.delayMs - stalledLate)),
    hi: y(p.delayMs + band.early),
  }));
  const EPS = 1e-9;
  const fits = (v: number): boolean => {
    let u = Number.POSITIVE_INFINITY;
    for (const s of strips) u = Math.min(u, s.hi - s.n * v);
    let excused = 0;
    for (const s of strips) {
      if (s.lo - s.n * v <= u + EPS) continue;
      if (s.stallLo - s.n * v > u + EPS || ++excused > excusable) return false;
    }
    return true;
  };
  if (strips.every((s) => s.n === strips[0]!.n)) return fits(0);
  for (const a of strips) {
    for (const b of strips) {
      if (b.n <= a.n) continue;
      for (const ya of [a.lo, a.hi, a.stallLo]) {
        for (const yb of [b.lo, b.hi, b.stallLo]) {
          if (fits((yb - ya) / (b.n - a.n))) return true;
        }
      }
    }
  }
  return false;
}
