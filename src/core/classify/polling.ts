import type { Classifier } from './types.ts';
import { httpCycles, median } from './http-cycles.ts';
import { formatMs, regularity, round3 } from '../stats.ts';

/** Polling is asking again on a timer (docs/domain.md); a timer shows after 3 requests. */
export const POLL_MIN_REQUESTS = 3;
/** Intervals within ±30% of the median count as the same tick (fixed-delay timers add the round trip). */
export const POLL_TOLERANCE = 0.3;
/** Share of intervals that must be regular (hidden-tab throttling and a missed tick are tolerated). */
export const POLL_MIN_REGULARITY = 0.6;
/** Faster than this is a burst of parallel requests, not a timer. */
export const POLL_MIN_INTERVAL_MS = 200;

/** Repeated requests at a regular interval. */
export const pollingClassifier: Classifier = {
  kind: 'polling',
  title: 'Polling',
  description: `${POLL_MIN_REQUESTS}+ requests to one endpoint at a regular interval (±${POLL_TOLERANCE * 100}%).`,
  classify(ctx) {
    const c = httpCycles(ctx);
    if (c.requests.length < POLL_MIN_REQUESTS) return null;
    const interval = median(c.intervals);
    if (!(interval >= POLL_MIN_INTERVAL_MS)) return null;
    // A timer re-armed after each response (`await fetch(); setTimeout(poll, n)`) keeps
    // the gap from response to next request regular, while the start-to-start interval
    // also carries the varying request duration: either regularity is a timer.
    const reg = Math.max(regularity(c.intervals, POLL_TOLERANCE), c.reRequestGaps.length === c.intervals.length && median(c.reRequestGaps) >= POLL_MIN_INTERVAL_MS ? regularity(c.reRequestGaps, POLL_TOLERANCE) : 0);
    const regularCount = Math.round(reg * c.intervals.length);
    if (reg < POLL_MIN_REGULARITY || regularCount < 2) return null;
    const n = c.requests.length;
    const duration = c.durations.length > 0 ? `, median duration ${formatMs(median(c.durations))}` : '';
    return {
      kind: 'polling',
      confidence: round3(reg * (0.6 + 0.4 * Math.min(1, (n - POLL_MIN_REQUESTS) / 7))),
      evidence: `${n} requests, median interval ${formatMs(interval)}${duration}`,
    };
  },
};
