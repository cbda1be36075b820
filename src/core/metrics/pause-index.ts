/**
 * `pausedBetween` and `pausedWithin` (../context.ts) asked once per message
 * gap cost O(pauses) each: a capture with thousands of recording pauses or
 * back/forward-cache stays made a channel's analysis O(messages × pauses).
 * An index built once per analysis gives the same answers in O(log pauses)
 * per span.
 */
import type { PauseWindow } from '../context.ts';

/** The two pause questions of context.ts, asked of a list indexed once. */
export interface PauseIndex {
  /** Same answer as pausedBetween(pauses, a, b). */
  between(a: number, b: number): boolean;
  /** Same answer as pausedWithin(pauses, a, b) (summed in start order when the windows are disjoint). */
  within(a: number, b: number): number;
}

const NONE: PauseIndex = { between: () => false, within: () => 0 };

/** First index in `sorted` (ascending) whose value is not below `x`: the count of values below `x`. */
function countBelow(sorted: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index in `sorted` (ascending) whose value is above `x`: the count of values at or below `x`. */
export function countAtOrBelow(sorted: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index the windows (any order, overlapping or not) for many span questions. */
export function indexPauses(pauses: readonly PauseWindow[]): PauseIndex {
  if (pauses.length === 0) return NONE;
  const windows = pauses.slice().sort((x, y) => x.from - y.from);
  const n = windows.length;
  const froms = new Float64Array(n);
  const tos = new Float64Array(n);
  // A window overlaps (a, b) when from < b and to > a: among the windows that start before b, the latest end decides.
  const latestEnd = new Float64Array(n);
  let disjoint = true;
  for (let i = 0; i < n; i++) {
    const w = windows[i]!;
    froms[i] = w.from;
    tos[i] = w.to;
    latestEnd[i] = i === 0 ? w.to : Math.max(latestEnd[i - 1]!, w.to);
    if (i > 0 && w.from < windows[i - 1]!.to) disjoint = false;
  }
  return {
    between(a, b) {
      const k = countBelow(froms, b);
      return k > 0 && latestEnd[k - 1]! > a;
    },
    within(a, b) {
      let ms = 0;
      if (!disjoint) {
        // Overlapping windows (out-of-order pause events) are summed as context.ts does, window by window.
        for (const p of pauses) ms += Math.max(0, Math.min(b, p.to) - Math.max(a, p.from));
        return ms;
      }
      // Disjoint windows sorted by start are sorted by end too: those ending after a form a run from here.
      for (let i = countAtOrBelow(tos, a); i < n && froms[i]! < b; i++) ms += Math.max(0, Math.min(b, tos[i]!) - Math.max(a, froms[i]!));
      return ms;
    },
  };
}
