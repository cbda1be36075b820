/** Request cycles of an HTTP channel: the timing facts polling and long-polling are judged on. */
import { isHttp } from '../events.ts';
import type { ChannelContext } from '../context.ts';
import { indexPauses } from '../metrics/pause-index.ts';
import type { ConnRecord } from '../model.ts';
import { median } from '../stats.ts';

/** Shared by every metric of one channel analysis: read-only. */
export interface HttpCycles {
  /** Plain (non-SSE) requests of the dominant method, in start order. */
  readonly requests: readonly ConnRecord[];
  readonly method: string;
  readonly starts: readonly number[];
  /** Intervals between consecutive request starts (none across a recording pause). */
  readonly intervals: readonly number[];
  /** Durations of completed requests (start → end). */
  readonly durations: readonly number[];
  /** For each completed request followed by another: time from its end to the next start. */
  readonly reRequestGaps: readonly number[];
  /** For the same pairs: how long the response was held. */
  readonly holds: readonly number[];
}

/** Per analysis context (made afresh for each analysis of a channel, and not changed after): the classifier and four metrics ask for the same cycles. */
const cyclesOf = new WeakMap<ChannelContext, HttpCycles>();

/** Plain HTTP requests of a channel (SSE streams excluded), in start order. */
export function plainRequests(ctx: ChannelContext): ConnRecord[] {
  if (!isHttp(ctx.transport)) return [];
  return ctx.records.filter((r) => !r.sse);
}

/** Cycles of the method that carries most requests (GET for engine.io/SockJS receive loops). */
export function httpCycles(ctx: ChannelContext): HttpCycles {
  let cycles = cyclesOf.get(ctx);
  if (!cycles) cyclesOf.set(ctx, (cycles = computeCycles(ctx)));
  return cycles;
}

function computeCycles(ctx: ChannelContext): HttpCycles {
  const all = plainRequests(ctx);
  const counts = new Map<string, number>();
  for (const r of all) counts.set(r.method, (counts.get(r.method) ?? 0) + 1);
  let method = 'GET';
  let best = -1;
  for (const [m, n] of counts) {
    if (n > best || (n === best && m < method)) {
      best = n;
      method = m;
    }
  }
  const requests = all.filter((r) => r.method === method);
  const starts = requests.map((r) => r.start);
  const durations: number[] = [];
  for (const r of requests) if (r.end !== null && r.endKind === 'end') durations.push(r.end - r.start);
  const reRequestGaps: number[] = [];
  const holds: number[] = [];
  // While recording was paused the page went on polling unseen: the span across a
  // pause is not one interval of the timer.
  const pauses = indexPauses(ctx.pauses);
  const seen = (a: number, b: number) => !pauses.between(a, b);
  for (let i = 0; i + 1 < requests.length; i++) {
    const r = requests[i]!;
    if (r.end === null || !seen(r.start, requests[i + 1]!.start)) continue;
    reRequestGaps.push(requests[i + 1]!.start - r.end);
    holds.push(r.end - r.start);
  }
  const intervals: number[] = [];
  for (let i = 1; i < starts.length; i++) if (seen(starts[i - 1]!, starts[i]!)) intervals.push(starts[i]! - starts[i - 1]!);
  return { requests, method, starts, intervals, durations, reRequestGaps, holds };
}

/** Median of a list, NaN when empty (re-exported for classifiers). */
export { median };
