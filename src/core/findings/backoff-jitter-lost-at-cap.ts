import type { FindingRule } from './types.ts';
import { formatMs } from '../stats.ts';

/**
 * Randomised growth that ends in an exact cap: the client randomises and then clamps
 * (socket.io-client 4.8 build/esm/contrib/backo2.js `Math.min(ms, this.max) | 0` after the
 * ± deviation), so once an outage lasts past a few attempts every client waits exactly the
 * cap and they retry in lockstep, which is when the server needs the spread most.
 */
export const backoffJitterLostAtCap: FindingRule = {
  code: 'backoff-jitter-lost-at-cap',
  title: 'Jitter lost at the backoff cap',
  severity: 'warning',
  description: 'Clamping after randomising makes every client retry at exactly the cap during a long outage: a thundering herd every cap interval.',
  check(input) {
    const { reconnects } = input;
    const b = reconnects.backoff;
    if (b === null || b.jitterAtCap !== false || b.maxMs === null || b.confidence === 'low') return null;
    // A policy shown to have no jitter at all is backoff-without-jitter's to name.
    if (b.deterministic) return null;
    return {
      severity: 'warning',
      code: this.code,
      message: b.jitter
        ? `Delays are randomised while they grow, but every retry at the cap waits exactly ${formatMs(b.maxMs)}: after a long outage all clients retry in lockstep.`
        : `Every retry at the cap waits exactly ${formatMs(b.maxMs)}: after a long outage all clients retry in lockstep there.`,
      evidence: { maxMs: b.maxMs, model: b.model, factor: b.factor, jitterKind: b.jitterKind },
      advice: 'Apply the jitter after the cap (e.g. delay = cap·(0.5 + random/2) once capped), so that delays at the cap still spread.',
    };
  },
};
