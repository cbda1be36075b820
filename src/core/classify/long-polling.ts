import type { Classifier } from './types.ts';
import { httpCycles, median } from './http-cycles.ts';
import { formatMs, round3 } from '../stats.ts';

/** A held response lasts at least this long (a fast "no change" answer is plain polling). */
export const LONG_POLL_MIN_HOLD_MS = 1000;
/** Re-request "immediately": within this long, or a tenth of the hold, after the response. */
export const LONG_POLL_MAX_GAP_MS = 300;
/** Share of cycles that must look held. */
export const LONG_POLL_MIN_HELD_SHARE = 0.6;

/**
 * Protocols whose HTTP transport is long polling by design: engine.io-client 6.x
 * lib/transports/polling.ts (GET held until a packet or the ping; sends by POST),
 * sockjs-client 1.6 lib/transport/xhr.js (xhr receive loop), whatever the timings.
 */
const LONG_POLLING_PROTOCOLS = new Set(['socket.io', 'socket.io-v2', 'engine.io', 'engine.io-v3', 'sockjs']);

function isProtocolPolling(protocol: string | null, url: string): boolean {
  // Bayeux over HTTP (faye 1.4.3 src/transport/xhr.js, jsonp.js): every /meta/connect is held up to
  // advice.timeout and re-sent on the reply; subscribes and publishes share the endpoint in between.
  if (protocol === 'bayeux') return true;
  if (protocol === null || !LONG_POLLING_PROTOCOLS.has(protocol)) return false;
  return /[?&]transport=polling(&|$)/.test(url) || /\/xhr(\?|$)/.test(url);
}

/** Held responses followed by an immediate re-request (long polling, docs/domain.md). */
export const longPollingClassifier: Classifier = {
  kind: 'long-polling',
  title: 'Long polling',
  description: `3+ requests where the server holds the response (${LONG_POLL_MIN_HOLD_MS / 1000}+ s, most of the cycle) and the client re-requests at once.`,
  classify(ctx) {
    const c = httpCycles(ctx);
    if (c.requests.length >= 2 && isProtocolPolling(ctx.protocol, ctx.endpoint)) {
      const hold = c.holds.length > 0 ? `, median hold ${formatMs(median(c.holds))}` : '';
      return {
        kind: 'long-polling',
        confidence: 0.9,
        evidence: `${ctx.protocol} polling transport (long polling by design): ${c.requests.length} ${c.method} requests${hold}`,
      };
    }
    if (c.requests.length < 3 || c.holds.length < 2) return null;
    let held = 0;
    for (let i = 0; i < c.holds.length; i++) {
      const hold = c.holds[i]!;
      const gap = c.reRequestGaps[i]!;
      if (hold >= LONG_POLL_MIN_HOLD_MS && gap >= -5 && gap <= Math.max(LONG_POLL_MAX_GAP_MS, 0.1 * hold)) held++;
    }
    const share = held / c.holds.length;
    if (share < LONG_POLL_MIN_HELD_SHARE) return null;
    const hold = median(c.holds);
    const gap = median(c.reRequestGaps);
    return {
      kind: 'long-polling',
      confidence: round3(share * Math.min(1, 0.6 + 0.1 * c.holds.length)),
      evidence: `${c.requests.length} requests held a median ${formatMs(hold)}, re-requested after a median ${formatMs(Math.max(0, gap))} (hold = ${Math.round((100 * hold) / (hold + Math.max(0, gap)))}% of the cycle)`,
    };
  },
};
