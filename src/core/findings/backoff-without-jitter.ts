import type { FindingRule } from './types.ts';
import { JITTER_MEASURABLE_MS, measurableDelay, stepEvidence, TIMER_NOISE_MS } from '../metrics/backoff.ts';
import { minOf } from '../stats.ts';

/** A delay written as a constant sits on a round grid; randomisation would scatter it. */
const ROUND_GRID_MS = 250;
/** A timer fires late by a few ms on an idle page, never early. */
const ROUND_LATE_MS = 40;

/** Round delays among which one may be late by a stall, from this many on. */
const ROUND_STALL_FROM = 4;

/**
 * Three or more delays of 300 ms and more, each within a timer's lateness above a multiple of
 * 250 ms (SignalR's default list read as 3 ms, 2.003 s, 10.001 s, 30.021 s): a list of
 * constants. Jitter would land each there by chance about one time in six. A stalled event
 * loop makes one of them late (phoenix's list read as …, 2.0 s, 5.1 s, 5.0 s, 5.0 s on a loaded
 * machine): from ROUND_STALL_FROM delays on, one in four may miss the grid; jitter would
 * still put every other one on it by chance under 1.5% of the time (4 delays), far less with more.
 */
function roundDelays(points: ReadonlyArray<{ delayMs: number }>): boolean {
  const long = points.filter((p) => p.delayMs >= JITTER_MEASURABLE_MS);
  if (long.length < 3) return false;
  const off = long.filter((p) => p.delayMs % ROUND_GRID_MS > ROUND_LATE_MS);
  return off.length === 0 || (long.length >= ROUND_STALL_FROM && off.length <= Math.floor(long.length / 4));
}

/** Attempts that must be seen in two outages or more, all agreeing, before repeats prove determinism. */
const MIN_REPEATED_ATTEMPTS = 2;

/** Growing delays without randomisation: after a server restart every client retries in lock-step. */
export const noJitter: FindingRule = {
  code: 'backoff-without-jitter',
  title: 'Backoff without jitter',
  severity: 'warning',
  description: 'Deterministic delays make all clients that lost the same server reconnect at the same instants (thundering herd).',
  check({ reconnects }) {
    const b = reconnects.backoff;
    if (b === null || b.model === 'fixed' || b.jitter || b.confidence === 'low') return null;
    // Say so only on evidence of determinism: the same attempt repeated across outages
    // without spread, or three or more growing delays, long enough to show randomisation
    // (JITTER_MEASURABLE_MS), taking even steps (stepEvidence). A fit through a few
    // randomised delays can look exact, so "not seen" is not "absent".
    const points = reconnects.reconnects.filter((r) => !r.clientInitiated);
    const byAttempt = new Map<number, number[]>();
    for (const r of points) {
      if (!measurableDelay(r.delayMs, b.maxMs)) continue;
      const list = byAttempt.get(r.attempt);
      if (list) list.push(r.delayMs);
      else byAttempt.set(r.attempt, [r.delayMs]);
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
    const repeatsAgree = repeated.length >= MIN_REPEATED_ATTEMPTS && repeated.every(agree);
    // Round delays are constants whatever shape they were read as (phoenix's list read as an
    // exponential from imprecise short entries: 502, 1003, 2004 ms); under a fitted cap only
    // those below it, as a clamp puts randomised delays on the cap too (socket.io-client).
    const gridPoints = b.model === 'schedule' ? points : points.filter((r) => measurableDelay(r.delayMs, b.maxMs));
    if (!repeatsAgree && stepEvidence(points, b.model, b.maxMs, true) !== 'even' && !roundDelays(gridPoints)) return null;
    return {
      severity: 'warning',
      code: this.code,
      message: `Reconnect delays follow ${b.model === 'exponential' ? 'an' : 'a'} ${b.model} policy with no randomisation: clients dropped together retry together.`,
      evidence: { model: b.model, initialMs: b.initialMs, factor: b.factor, maxMs: b.maxMs, fit: b.fit },
      advice:
        'Randomise each delay (e.g. ±50% as socket.io-client does by default). A random initial delay picked once per page load (reconnecting-websocket) cannot be seen in one capture.',
    };
  },
};
