/**
 * Load projection: what this channel puts on the server for N concurrent
 * users (docs/domain.md, "Polling": "1,000 users polling every 2 s make 500 requests/s,
 * regardless of whether anything changed"), and what a push channel would need.
 */
import { openUntil, pausedWithin, type ChannelContext } from '../context.ts';
import { isPolled, type ChannelKind, type Load } from '../report-types.ts';
import { allMessages } from '../model.ts';
import { httpCycles } from '../classify/http-cycles.ts';
import { median, round3 } from '../stats.ts';

/**
 * Intervals of silence after which a polled channel counts as stopped. Timers drift and back off
 * (socket.io and SockJS reconnect with growing delays; browsers throttle timers in background tabs),
 * so one missed beat is not a stop: three are.
 */
const STOPPED_INTERVALS = 3;

/**
 * When a polled channel that is polling now will count as stopped if nothing more is asked: its last
 * request's start plus STOPPED_INTERVALS median intervals. Null when the channel is not polled, has no
 * interval, or has a request pending (a long-poll held open is polling).
 */
export function pollingStopsAt(ctx: ChannelContext, kind: ChannelKind): number | null {
  if (!isPolled(kind)) return null;
  const c = httpCycles(ctx);
  if (c.intervals.length === 0 || c.requests.some((r) => r.end === null)) return null;
  const interval = median(c.intervals);
  if (!(interval > 0)) return null;
  return c.requests[c.requests.length - 1]!.start + STOPPED_INTERVALS * interval;
}

/** Per-user rates measured on the capture, before multiplying by users. */
export interface UserRates {
  requestsPerSecond: number;
  bytesPerSecond: number;
  wasteRatio: number;
}

/** Measure one user's request (or message) and byte rate on this channel; null when there is no time base. */
export function measureUserRates(ctx: ChannelContext, kind: ChannelKind, wasteRatio: number | null): UserRates | null {
  if (isPolled(kind)) {
    const c = httpCycles(ctx);
    if (c.intervals.length === 0) return null;
    const interval = median(c.intervals);
    if (!(interval > 0)) return null;
    const bytes = c.requests.reduce((s, r) => s + r.size + r.requestBytes, 0) / c.requests.length;
    const rate = 1000 / interval;
    return { requestsPerSecond: rate, bytesPerSecond: rate * bytes, wasteRatio: wasteRatio ?? 0 };
  }
  if (kind === 'one-off') return null;
  let messages = 0;
  let bytes = 0;
  let openMs = 0;
  for (const r of ctx.records) {
    const open = r.openAt ?? r.responseAt;
    if (open === null) continue;
    const end = openUntil(ctx, r);
    // Time spent paused saw no messages: it is not time the channel was observed.
    openMs += Math.max(0, end - open - pausedWithin(ctx.pauses, open, end));
    for (const m of allMessages(r)) {
      messages++;
      bytes += m.size;
    }
  }
  if (openMs <= 0) return null;
  return { requestsPerSecond: (messages * 1000) / openMs, bytesPerSecond: (bytes * 1000) / openMs, wasteRatio: 0 };
}

/** Multiply per-user rates by `users`. */
export function projectLoad(rates: UserRates | null, kind: ChannelKind, users: number): Load | null {
  if (rates === null) return null;
  const polled = isPolled(kind);
  return {
    requestsPerSecondPerUser: round3(rates.requestsPerSecond),
    requestsPerSecond: round3(rates.requestsPerSecond * users),
    users,
    wastedPerSecond: round3(rates.requestsPerSecond * rates.wasteRatio * users),
    bytesPerSecond: round3(rates.bytesPerSecond * users),
    push: polled
      ? {
          connections: users,
          messagesPerSecond: round3(rates.requestsPerSecond * (1 - rates.wasteRatio) * users),
        }
      : null,
  };
}
