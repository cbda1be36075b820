/**
 * Whether reconnect delays show that a policy has no randomisation, beyond merely not showing
 * any. A fit's `jitter` false says only that the fitter did not see jitter; a few randomised
 * delays can look exact (five first retries of socket.io-client's 1 s ±50% drew 890-1087 ms
 * on CI). The claim "no jitter" rests on evidence of determinism, read here once for the
 * report's `deterministic`, its wording, the backoff-without-jitter finding and
 * `audit --assert jitter=false`:
 * - a constant: every delay long enough to show randomisation within a timer's lateness of the
 *   others, one in eight excused as a stalled timer;
 * - growth or a list: the same attempts repeated across outages without spread, growing delays
 *   taking even steps (stepEvidence) on one timer's curve (timerRun), or delays that are round
 *   constants.
 */
import type { BackoffFit, BackoffPoint } from './backoff.ts';
import {
  agreeWithinNoise,
  claimRuns,
  EARLY_NOISE_MS,
  JITTER_MEASURABLE_MS,
  measurableDelay,
  STALLED_LATE_MS,
  stepEvidence,
  TIMER_BAND,
  TIMER_NOISE_MS,
} from './backoff.ts';
import { minOf } from '../stats.ts';
import { curveWithin } from './curve-band.ts';

/** A delay written as a constant sits on a round grid; randomisation would scatter it. */
const ROUND_GRID_MS = 250;
/** A timer fires late by a few ms on an idle page, never early. */
const ROUND_LATE_MS = 40;
/** Round delays among which one may be late by a stall, from this many on. */
const ROUND_STALL_FROM = 4;
/** Attempts that must be seen in two outages or more, all agreeing, before repeats prove determinism. */
const MIN_REPEATED_ATTEMPTS = 2;
/** Delays a constant needs, long enough to show randomisation, before their agreement proves it has none. */
const MIN_CONSTANT_DELAYS = 4;
/**
 * Delays per stalled timer a constant's proof may excuse. One in five or four (what the fitter
 * excuses before it calls a constant's spread jitter) would let three of five uniform draws over
 * 500-1500 ms pass for a constant one time in eight; with none excused below eight delays,
 * five such draws agree within timer noise about once in a thousand.
 */
const CONSTANT_DELAYS_PER_STALL = 8;

/** The grid a cap written in code lands on when it is seen once only (5 s, 10 s, 30 s). */
const CAP_GRID_MS = 1000;

/** Grids a written constant lands on, coarsest first: 2 s and 10 s sit on the 1 s grid, 500 ms on the 500 ms one. */
const ROUND_GRIDS_MS = [1000, 500, ROUND_GRID_MS];
/** Round delays are constants when randomisation would land them that near their grids this rarely at most. */
const MAX_ROUND_CHANCE = 1e-3;

/**
 * The chance that a randomised delay lands within ROUND_LATE_MS above a multiple of the coarsest
 * grid this one sits on (its offset uniform over the grid), or null off every grid.
 */
function roundChance(delayMs: number): number | null {
  for (const grid of ROUND_GRIDS_MS) if (delayMs % grid <= ROUND_LATE_MS) return ROUND_LATE_MS / grid;
  return null;
}

/**
 * Three or more delays of 300 ms and more, each within a timer's lateness above a round multiple
 * (SignalR's default list read as 3 ms, 2.003 s, 10.001 s, 30.021 s; phoenix's 502, 1003, 2004 ms):
 * a list of constants, when jitter would put them that near their grids with a chance of
 * MAX_ROUND_CHANCE at most (roundPValue). Each delay counts by the coarsest grid it sits on: three of
 * socket.io-client's ±50 % draws landed 38, 20 and 24 ms above multiples of 250 ms (788, 1770,
 * 4274 ms, the backoff matrix, offline, 2026-12-07), a chance of 0.4 % that was called determinism;
 * on 500 ms and 1 s grids phoenix's are 0.013 %. A stalled event loop makes one of them late
 * (phoenix's list read as …, 2.0 s, 5.1 s, 5.0 s, 5.0 s on a loaded machine): from
 * ROUND_STALL_FROM delays on, one in four may miss the grid, the chance counting every way of
 * choosing the ones that missed.
 */
function roundDelays(points: readonly BackoffPoint[]): boolean {
  const long = points.filter((p) => p.delayMs >= JITTER_MEASURABLE_MS);
  if (long.length < 3) return false;
  const chances = long.map((p) => roundChance(p.delayMs));
  const off = chances.filter((c) => c === null).length;
  if (!stallsAllowed(long.length, off)) return false;
  // From ROUND_RULE_SUFFICES_FROM delays on, randomised delays pass the rule above at all with a
  // chance under MAX_ROUND_CHANCE (6: 5.5e-4, less from there on), and the p-value, which costs
  // O(n³) and overflows on a long capture's hundreds of delays at a list's last entry, is moot.
  if (long.length >= ROUND_RULE_SUFFICES_FROM) return true;
  let chance = binomial(long.length, off);
  for (const c of chances) if (c !== null) chance *= c;
  return roundPValue(long.length, chance) <= MAX_ROUND_CHANCE;
}

/** Long delays from which passing stallsAllowed on the round grids is itself rare enough (test/unit/core-backoff-verdicts.test.ts). */
export const ROUND_RULE_SUFFICES_FROM = 6;

function stallsAllowed(n: number, off: number): boolean {
  return off === 0 || (n >= ROUND_STALL_FROM && off <= Math.floor(n / 4));
}

/**
 * The chance that n randomised delays (offsets uniform over every grid) pass roundDelays with a
 * chance statistic no larger than `observed`: the statistic picks each delay's grid after seeing
 * it, so it is not itself that probability (three delays: 1.7e-3 pass a bound of 1e-3). Summed
 * exactly over how many delays sit on 1 s, on 500 ms only, on 250 ms only, and on none.
 */
export function roundPValue(n: number, observed: number): number {
  const [p1000, p500, p250] = ROUND_GRIDS_MS.map((g) => ROUND_LATE_MS / g) as [number, number, number];
  const share = [p1000, p500 - p1000, p250 - p500, 1 - p250];
  let total = 0;
  for (let a = 0; a <= n; a++) {
    for (let b = 0; a + b <= n; b++) {
      for (let c = 0; a + b + c <= n; c++) {
        const off = n - a - b - c;
        if (!stallsAllowed(n, off)) continue;
        const chance = binomial(n, off) * p1000 ** a * p500 ** b * p250 ** c;
        if (chance > observed * (1 + 1e-9)) continue;
        total += multinomial(n, [a, b, c, off]) * share[0]! ** a * share[1]! ** b * share[2]! ** c * share[3]! ** off;
      }
    }
  }
  return total;
}

function binomial(n: number, k: number): number {
  let out = 1;
  for (let i = 1; i <= k; i++) out = (out * (n - k + i)) / i;
  return out;
}

function multinomial(n: number, parts: readonly number[]): number {
  let out = 1;
  let left = n;
  for (const k of parts) {
    out *= binomial(left, k);
    left -= k;
  }
  return out;
}

/**
 * A constant policy shown to be one: MIN_CONSTANT_DELAYS or more delays long enough to show
 * randomisation, all within timer noise (late by up to TIMER_NOISE_MS, early by EARLY_NOISE_MS,
 * and 3% for long delays) of one another, but for one in CONSTANT_DELAYS_PER_STALL, the longest,
 * excused as stalls.
 */
export function constantShown(points: readonly BackoffPoint[]): boolean {
  const long = points.map((p) => p.delayMs).filter((d) => d >= JITTER_MEASURABLE_MS).sort((a, b) => a - b);
  if (long.length < MIN_CONSTANT_DELAYS) return false;
  return agreeWithinNoise(long, Math.floor(long.length / CONSTANT_DELAYS_PER_STALL));
}

/**
 * Whether `points` (the delays the fit read, without the page's own closes) show that the
 * policy `fit` describes has no randomisation. False when jitter was seen, the verdict is of
 * low confidence, or the delays merely do not show jitter.
 */
export function determinismShown(points: readonly BackoffPoint[], fit: BackoffFit): boolean {
  if (fit.jitter || fit.confidence === 'low') return false;
  if (fit.model === 'fixed') return constantShown(points);
  const byAttempt = new Map<number, number[]>();
  for (const p of points) {
    if (!measurableDelay(p.delayMs, fit.maxMs)) continue;
    const list = byAttempt.get(p.attempt);
    if (list) list.push(p.delayMs);
    else byAttempt.set(p.attempt, [p.delayMs]);
  }
  // The same attempt in several outages is evidence of determinism only when its delays
  // agree; one that disagrees (1.1 s, then 0.7 s for socket.io-client's first retry) is
  // randomisation, or a stall, and either way no proof of its absence.
  const repeated = [...byAttempt.values()].filter((l) => l.length >= 2);
  const agree = (l: number[]) => {
    const least = minOf(l);
    return l.every((v) => v - least <= Math.max(TIMER_NOISE_MS, 0.05 * least));
  };
  // Two attempts at least: one pair of randomised delays agrees by chance too often (graphql-ws's
  // 2^k s + 0.3-3 s drew 3339 and 3347 ms for the first retry of two outages, one of them an
  // outage only because a 119 ms connection read as a reset).
  if (repeated.length >= MIN_REPEATED_ATTEMPTS && repeated.every(agree)) return true;
  if (stepEvidence(points, fit.model, fit.maxMs, true) === 'even' && (fit.model === 'exponential' || fit.model === 'linear')) {
    const model = fit.model;
    if (claimRuns(points, fit.maxMs).every((run) => timerRun(run, model))) return true;
  }
  // Round delays are constants whatever shape they were read as (phoenix's list read as an
  // exponential from imprecise short entries: 502, 1003, 2004 ms); under a fitted cap only
  // those below it, as a clamp puts randomised delays on the cap too (socket.io-client).
  return roundDelays(fit.model === 'schedule' ? points : points.filter((p) => measurableDelay(p.delayMs, fit.maxMs)));
}

/**
 * A run's delays are what one timer curve does (a·b^n, or a + b·n), each late by no more than
 * a timer is (TIMER_NOISE_MS) and early by no more than EARLY_NOISE_MS, but for one stalled
 * delay (late by up to MAX_STALL_MS) when four others remain. No share of long delays is
 * forgiven as it is where jitter is read (noTimerExplains): a claim errs towards silence. Even steps
 * alone are not enough: the steps of graphql-ws's 2^k s + 0.3-3 s drew 2470, 3904, 6248,
 * 10143, 16718 ms, log steps 0.458-0.499, within what two late timers can do to a 2.5 s delay,
 * yet no timer curve comes within 75 ms of them all (the geometric through the ends misses the
 * middle three by 80-223 ms, all early).
 * Or its first delays are such a curve and the rest a clamp at a cap (clampShown).
 */
export function timerRun(run: readonly BackoffPoint[], model: 'exponential' | 'linear'): boolean {
  if (onTimerCurve(run, model)) return true;
  if (model !== 'exponential') return false;
  for (let from = run.length - 1; from >= 3; from--) {
    if (onTimerCurve(run.slice(0, from), model) && clampShown(run.slice(0, from), run.slice(from))) return true;
  }
  return false;
}

/** Runs from this long may excuse one stalled delay: four remain on the curve. */
const STALL_EXCUSED_FROM = 5;

/** Whether some curve of `model` keeps every delay of `run` within a timer's band (timerRun). */
export function onTimerCurve(run: readonly BackoffPoint[], model: 'exponential' | 'linear'): boolean {
  return curveWithin(run, model, () => TIMER_BAND, { late: STALLED_LATE_MS, count: run.length >= STALL_EXCUSED_FROM ? 1 : 0 });
}

/**
 * Delays after a timer curve's that are a clamp at a cap the fit has not seen: under the curve's
 * next step, no lower than its last delay, at one level within timer noise, and shown to be a
 * level: seen twice or more, or on the whole second where a cap written in code lands
 * (reconnecting-websocket 4.4's 10 s cap read as 10006 ms). A single delay below the curve is
 * otherwise a random draw as likely (graphql-ws's 1812, 3357, 6106, then 8994 ms); on the 250 ms
 * grid one draw in six would land (9010 ms), on whole seconds one in twenty-five.
 */
function clampShown(curve: readonly BackoffPoint[], tail: readonly BackoffPoint[]): boolean {
  const first = curve[0]!;
  const last = curve.at(-1)!;
  const rate = Math.log(last.delayMs / first.delayMs) / (last.attempt - first.attempt);
  const values = tail.map((p) => p.delayMs).sort((a, b) => a - b);
  const level = values[0]!;
  return (
    tail.every((p) => p.delayMs <= first.delayMs * Math.exp(rate * (p.attempt - first.attempt)) + TIMER_NOISE_MS && p.delayMs >= last.delayMs - EARLY_NOISE_MS) &&
    agreeWithinNoise(values, 0) &&
    (values.length >= 2 || level % CAP_GRID_MS <= ROUND_LATE_MS)
  );
}
