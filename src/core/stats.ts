/** Small deterministic statistics helpers shared by the metrics. */
import type { Spread } from './report-types.ts';

/** Sorted copy of finite values. */
export function sorted(values: readonly number[]): Float64Array {
  // A typed array sorts numerically without a comparator callback: several times faster on large lists.
  const out = new Float64Array(values.length);
  let n = 0;
  for (const v of values) if (Number.isFinite(v)) out[n++] = v;
  return out.subarray(0, n).sort();
}

/** Percentile (0..100) by linear interpolation; NaN for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  return percentileOfSorted(sorted(values), p);
}

/** Percentile of an already sorted list. */
function percentileOfSorted(s: Float64Array, p: number): number {
  if (s.length === 0) return Number.NaN;
  const rank = (p / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return s[lo]! + (s[hi]! - s[lo]!) * (rank - lo);
}

/** Median; NaN for an empty list. */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Median and p95, rounded to 0.1 ms; null for an empty list. */
export function spread(values: readonly number[]): Spread | null {
  const s = sorted(values);
  if (s.length === 0) return null;
  return { median: round1(percentileOfSorted(s, 50)), p95: round1(percentileOfSorted(s, 95)) };
}

/** Round to one decimal (keeps reports readable and stable). */
/** Smallest value, without spreading into arguments (a storm's 100k delays overflow the stack); +Infinity when empty. */
export function minOf(values: readonly number[]): number {
  let least = Number.POSITIVE_INFINITY;
  for (const v of values) if (v < least) least = v;
  return least;
}

/** Largest value, without spreading into arguments; -Infinity when empty. */
export function maxOf(values: readonly number[]): number {
  let most = Number.NEGATIVE_INFINITY;
  for (const v of values) if (v > most) most = v;
  return most;
}

export function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/** Round to three decimals (ratios, confidences). */
export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Differences between consecutive values. */
export function diffs(values: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < values.length; i++) out.push(values[i]! - values[i - 1]!);
  return out;
}

/** Share of values within ±tolerance (relative) of their median; the regularity of a timer. */
export function regularity(values: readonly number[], tolerance = 0.3): number {
  if (values.length === 0) return 0;
  const m = median(values);
  if (m <= 0) return 0;
  let regular = 0;
  for (const v of values) if (Math.abs(v - m) <= tolerance * m) regular++;
  return regular / values.length;
}

/**
 * The product's one duration formatter (CLI, HTML report, findings, panel).
 * - `prose` (default), for sentences and verdicts: "40 ms", "2.0 s" up to two minutes, then "1.5 min".
 * - `table`, for columns of measured values, with DevTools' precision: "0.25 ms", "40 ms",
 *   "2.35 s" under ten seconds, "12.5 s", then "1.5 min".
 * - `compact`, for chart ticks and thresholds as the assertion grammar spells them: "40ms", "1.5s", "30s".
 * A missing or non-finite value reads "n/a"; the panel shows its own placeholder for it.
 */
export function formatMs(ms: number, style: 'prose' | 'table' | 'compact' = 'prose'): string {
  if (!Number.isFinite(ms)) return 'n/a';
  const abs = Math.abs(ms);
  if (style === 'compact') return abs >= 1000 ? `${Number((ms / 1000).toFixed(1))}s` : `${Math.round(ms)}ms`;
  if (style === 'table') {
    if (abs < 1) return `${ms.toFixed(2)} ms`;
    if (abs < 1000) return `${Math.round(ms)} ms`;
    if (abs < 60_000) return `${(ms / 1000).toFixed(abs < 10_000 ? 2 : 1)} s`;
    return `${(ms / 60_000).toFixed(1)} min`;
  }
  if (abs < 1000) return `${Math.round(ms)} ms`;
  if (abs < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/**
 * Human byte count, in IEC binary units everywhere the product shows bytes (CLI, HTML
 * report, panel): 1 KiB = 1024 B, 1 MiB = 1024 KiB. The capture's own bounds are set in
 * those units too (src/shared/constants.ts), so a limit and a size read alike.
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'n/a';
  const abs = Math.abs(bytes);
  if (abs < 1024) return `${Math.round(bytes)} B`;
  if (abs < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (abs < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}
