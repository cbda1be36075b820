/**
 * Backoff fitter: which policy produced a sequence of reconnect delays?
 *
 * Input: delays indexed by attempt number within a failure streak (attempt 0 is
 * the first reconnect after a working connection was lost). Several streaks may
 * contribute points to the same attempt index.
 *
 * Models:
 * - fixed: d = c
 * - linear: d = initial + step·k (report `factor` = step in ms)
 * - exponential: d = initial·factor^k
 * - schedule: an explicit per-attempt list that no formula explains, e.g.
 *   @microsoft/signalr src/DefaultReconnectPolicy.ts (dist/esm/DefaultReconnectPolicy.js) DEFAULT_RETRY_DELAYS_IN_MILLISECONDS
 *   = [0, 2000, 10000, 30000, null] (stops after the fourth retry).
 * Linear and exponential models may plateau at a cap (observed as repeated maximum delays).
 *
 * Jitter: the relative residuals of the chosen model. Timer noise on a
 * deterministic policy is a few ms; randomisation such as socket.io-client's
 * (4.8 build/cjs/contrib/backo2.js: ms ± floor(rand·jitter·ms), randomizationFactor
 * 0.5 in build/cjs/manager.js) spreads delays by up to ±50%.
 */
import type { Backoff, BackoffModel } from '../report-types.ts';
import { median, round1, round3 } from '../stats.ts';

export interface BackoffPoint {
  attempt: number;
  delayMs: number;
}

export type BackoffFit = Backoff;

/** Relative residual spread above which delays are called jittered (timer noise stays far below). */
export const JITTER_SPREAD = 0.08;
/** Residual floor: delays this small are dominated by scheduling noise. */
const NOISE_FLOOR_MS = 200;
/**
 * Absolute timing noise forgiven in every delay: a close event and the next
 * connection attempt are both timer/event-loop callbacks, late by tens of ms
 * on a busy page (measured up to ~70 ms on a loaded 2-core machine).
 */
export const TIMER_NOISE_MS = 75;
/** Delays below this are an "immediate" retry. */
const IMMEDIATE_MS = 100;

/** The primer's reference policy: "wait 1s, then 2s, then 4s, then 8s", capped (cap: 30 s, our choice, the top of the primer's heartbeat window). */
export function referenceBackoffMs(attempt: number): number {
  return Math.min(1000 * 2 ** attempt, REFERENCE_CAP_MS);
}
export const REFERENCE_CAP_MS = 30_000;

interface Candidate {
  model: BackoffModel;
  initialMs: number;
  factor: number;
  maxMs: number | null;
  predict: (attempt: number) => number;
}

function residuals(points: readonly BackoffPoint[], predict: (k: number) => number): number[] {
  return points.map((p) => {
    const f = predict(p.attempt);
    const off = p.delayMs - f;
    return (Math.sign(off) * Math.max(0, Math.abs(off) - TIMER_NOISE_MS)) / Math.max(f, NOISE_FLOOR_MS);
  });
}

function meanAbs(values: readonly number[]): number {
  if (values.length === 0) return 0;
  let s = 0;
  for (const v of values) s += Math.abs(v);
  return s / values.length;
}

function stdDev(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - m) ** 2, 0) / values.length);
}

/** Least squares y = a + b·x. */
function lineFit(xs: readonly number[], ys: readonly number[]): { a: number; b: number } | null {
  const n = xs.length;
  if (n < 2) return null;
  const mx = xs.reduce((s, v) => s + v, 0) / n;
  const my = ys.reduce((s, v) => s + v, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
  }
  if (sxx === 0) return null;
  const b = sxy / sxx;
  return { a: my - b * mx, b };
}

/** Values this close to a plateau's median belong to it. */
function capTolerance(level: number): number {
  return Math.max(TIMER_NOISE_MS, 0.05 * level);
}

/**
 * A cap: the delays of the highest attempts level off (2+ attempts within
 * noise of their median), above clearly shorter delays of earlier attempts.
 */
function detectCap(points: readonly BackoffPoint[]): number | null {
  const byAttempt = [...points].sort((a, b) => a.attempt - b.attempt || a.delayMs - b.delayMs);
  const maxAttempt = byAttempt[byAttempt.length - 1]!.attempt;
  let plateau: BackoffPoint[] = [];
  for (let k = maxAttempt; k >= 0; k--) {
    const at = byAttempt.filter((p) => p.attempt === k);
    if (at.length === 0) continue;
    const candidate = [...plateau, ...at];
    const level = median(candidate.map((p) => p.delayMs));
    if (!candidate.every((p) => Math.abs(p.delayMs - level) <= capTolerance(level))) break;
    plateau = candidate;
  }
  const attempts = new Set(plateau.map((p) => p.attempt));
  if (attempts.size < 2) return null;
  const level = median(plateau.map((p) => p.delayMs));
  const firstCapped = Math.min(...attempts);
  const below = points.filter((p) => p.attempt < firstCapped && p.delayMs < level - capTolerance(level));
  return below.length >= 1 ? level : null;
}

function candidates(points: readonly BackoffPoint[]): Candidate[] {
  const out: Candidate[] = [];
  const cap = detectCap(points);
  // A plateau above earlier, shorter delays is growth: a constant delay cannot explain it.
  if (cap === null) {
    const c = median(points.map((p) => p.delayMs));
    out.push({ model: 'fixed', initialMs: c, factor: 1, maxMs: null, predict: () => c });
  }
  const tol = cap === null ? 0 : Math.max(20, 0.02 * cap);
  const growth = cap === null ? points : points.filter((p) => p.delayMs < cap - tol);
  const limit = (v: number) => (cap === null ? v : Math.min(v, cap));

  const lin = lineFit(growth.map((p) => p.attempt), growth.map((p) => p.delayMs));
  if (lin && lin.b > 0) {
    out.push({ model: 'linear', initialMs: lin.a, factor: lin.b, maxMs: cap, predict: (k) => limit(lin.a + lin.b * k) });
  }
  const positive = growth.filter((p) => p.delayMs > 0);
  const exp = lineFit(positive.map((p) => p.attempt), positive.map((p) => Math.log(p.delayMs)));
  if (exp && exp.b > Math.log(1.05)) {
    const initial = Math.exp(exp.a);
    const factor = Math.exp(exp.b);
    out.push({ model: 'exponential', initialMs: initial, factor, maxMs: cap, predict: (k) => limit(initial * factor ** k) });
  }
  return out;
}

/** Parameters penalise complex models: prefer the simpler one unless it fits clearly worse. */
// Exponential backoff is what libraries and the primer use; linear gets a slightly larger prior penalty.
const COMPLEXITY: Record<BackoffModel, number> = { fixed: 0, linear: 0.05, exponential: 0.03, schedule: 0.1 };

/**
 * Direct evidence of randomisation, independent of the model: the same attempt
 * index with clearly different delays across streaks, or a delay shrinking
 * within one streak before any cap.
 */
function jitterEvidence(points: readonly BackoffPoint[], cap: number | null): boolean {
  const below = (d: number) => cap === null || d < cap - capTolerance(cap);
  const byAttempt = new Map<number, number[]>();
  for (const p of points) if (below(p.delayMs)) byAttempt.set(p.attempt, [...(byAttempt.get(p.attempt) ?? []), p.delayMs]);
  for (const list of byAttempt.values()) {
    if (list.length < 2) continue;
    const m = median(list);
    if ((Math.max(...list) - Math.min(...list) - 2 * TIMER_NOISE_MS) / Math.max(m, NOISE_FLOOR_MS) > 2 * JITTER_SPREAD) return true;
  }
  for (let i = 1; i < points.length; i++) {
    const prev = points[i - 1]!;
    const cur = points[i]!;
    if (cur.attempt === prev.attempt + 1 && below(prev.delayMs) && prev.delayMs >= NOISE_FLOOR_MS && cur.delayMs < prev.delayMs * 0.9 - TIMER_NOISE_MS) return true;
  }
  return false;
}

function perAttemptMedians(points: readonly BackoffPoint[]): Array<number | null> {
  const maxAttempt = Math.max(...points.map((p) => p.attempt));
  const out: Array<number | null> = [];
  for (let k = 0; k <= maxAttempt; k++) {
    const at = points.filter((p) => p.attempt === k).map((p) => p.delayMs);
    out.push(at.length > 0 ? round1(median(at)) : null);
  }
  return out;
}

/** Fit a delay sequence; null with fewer than 3 points. */
export function fitBackoff(points: readonly BackoffPoint[]): BackoffFit | null {
  if (points.length < 3) return null;
  const delaysMs = perAttemptMedians(points);
  const scored = candidates(points).map((cand) => {
    const res = residuals(points, cand.predict);
    return { cand, res, err: meanAbs(res) };
  });
  scored.sort((x, y) => x.err + COMPLEXITY[x.cand.model] - (y.err + COMPLEXITY[y.cand.model]));
  const best = scored[0]!;

  // A fixed list: identical values per attempt across streaks, or an immediate
  // first retry followed by delays no formula explains (SignalR's default).
  const multi = new Map<number, number[]>();
  for (const p of points) {
    const list = multi.get(p.attempt) ?? [];
    list.push(p.delayMs);
    multi.set(p.attempt, list);
  }
  const repeated = [...multi.values()].filter((l) => l.length >= 2);
  // Three attempts at least: with jittered small delays, two attempts that agree by chance are common.
  const repeatable =
    repeated.length >= 3 &&
    repeated.every((l) => {
      const m = median(l);
      return l.every((v) => Math.abs(v - m) <= Math.max(50, 0.05 * m));
    });
  const immediateFirst =
    delaysMs.length >= 3 && delaysMs[0] !== null && delaysMs[0] < IMMEDIATE_MS && delaysMs.slice(1).every((d) => d === null || d >= IMMEDIATE_MS);
  let restErr = Number.POSITIVE_INFINITY;
  if (immediateFirst) {
    const rest = points.filter((p) => p.attempt > 0).map((p) => ({ attempt: p.attempt - 1, delayMs: p.delayMs }));
    for (const cand of candidates(rest)) restErr = Math.min(restErr, meanAbs(residuals(rest, cand.predict)) + COMPLEXITY[cand.model]);
  }
  const schedule =
    best.cand.model !== 'fixed' || best.err > JITTER_SPREAD
      ? (repeatable && best.err > JITTER_SPREAD) || (immediateFirst && restErr > JITTER_SPREAD)
      : false;
  if (schedule) {
    const finite = delaysMs.filter((d): d is number => d !== null);
    return {
      model: 'schedule',
      initialMs: finite[0] ?? 0,
      factor: 1,
      maxMs: Math.max(...finite),
      jitter: !repeatable && repeated.length > 0,
      fit: 1,
      delaysMs,
    };
  }
  return {
    model: best.cand.model,
    initialMs: round1(best.cand.initialMs),
    factor: best.cand.model === 'linear' ? round1(best.cand.factor) : round3(best.cand.factor),
    maxMs: best.cand.maxMs === null ? null : round1(best.cand.maxMs),
    jitter: best.cand.model === 'fixed' ? stdDev(best.res) > JITTER_SPREAD : stdDev(best.res) > JITTER_SPREAD || jitterEvidence(points, best.cand.maxMs),
    fit: round3(Math.max(0, 1 - best.err)),
    delaysMs,
  };
}

/** The delay a fitted policy predicts for an attempt. */
export function predictBackoff(fit: BackoffFit, attempt: number): number {
  switch (fit.model) {
    case 'fixed':
      return fit.initialMs;
    case 'linear':
      return Math.min(fit.initialMs + fit.factor * attempt, fit.maxMs ?? Number.POSITIVE_INFINITY);
    case 'exponential':
      return Math.min(fit.initialMs * fit.factor ** attempt, fit.maxMs ?? Number.POSITIVE_INFINITY);
    case 'schedule': {
      const list = fit.delaysMs.filter((d): d is number => d !== null);
      return list[Math.min(attempt, list.length - 1)] ?? 0;
    }
  }
}
