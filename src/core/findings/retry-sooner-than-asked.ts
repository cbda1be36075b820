import type { FindingRule } from './types.ts';
import { formatMs } from '../stats.ts';

/**
 * RFC 6455 §7.4.1 / IANA WebSocket close code registry: 1013 "Try Again Later", the
 * server is overloaded. No delay is given, so a retry within this long is not "later".
 */
export const TRY_AGAIN_LATER = 1013;
const TRY_AGAIN_LATER_MIN_MS = 1000;
/** A timer fires late, never early; a retry this much before the asked time is the client's choice. */
const EARLY_MS = 50;

/** The server asked for a pause (Retry-After on a 503/429, close 1013) and the client came back sooner. */
export const retrySoonerThanAsked: FindingRule = {
  code: 'retry-sooner-than-asked',
  title: 'Retry sooner than the server asked',
  severity: 'warning',
  description: 'Retry-After (RFC 9110 §10.2.3) and close 1013 Try Again Later are how an overloaded server sheds load; a client that ignores them keeps it overloaded.',
  check({ reconnects }) {
    const early = reconnects.reconnects.filter(
      (r) =>
        (r.retryAfterMs !== null && r.delayMs < r.retryAfterMs - EARLY_MS) ||
        (r.closeCode === TRY_AGAIN_LATER && r.delayMs < TRY_AGAIN_LATER_MIN_MS),
    );
    if (early.length === 0) return null;
    const first = early[0]!;
    const asked = first.retryAfterMs !== null ? `Retry-After ${formatMs(first.retryAfterMs)}` : 'close 1013 (Try Again Later)';
    return {
      severity: 'warning',
      code: this.code,
      message: `The server asked for ${asked}, and the client retried after ${formatMs(first.delayMs)} (${early.length} time${early.length === 1 ? '' : 's'}).`,
      evidence: { askedMs: first.retryAfterMs, closeCode: first.closeCode, delayMs: Math.round(first.delayMs), count: early.length },
      advice: 'Wait at least the Retry-After time before retrying, and treat close 1013 as a signal to back off further (a longer delay with jitter).',
    };
  },
};
