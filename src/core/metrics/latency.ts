/**
 * Latency: request durations, polling intervals, the staleness polling adds
 * (docs/domain.md, "Polling": 0 to N, N/2 on average), message gaps, and
 * time to first byte / first message.
 */
import { isHttp } from '../events.ts';
import type { ChannelContext } from '../context.ts';
import { isPolled, type ChannelKind, type Spread } from '../report-types.ts';
import { allMessages } from '../model.ts';
import { httpCycles } from '../classify/http-cycles.ts';
import { median, round1, spread } from '../stats.ts';

export interface LatencyResult {
  durationMs: Spread | null;
  intervalMs: Spread | null;
  stalenessMs: { average: number; worst: number } | null;
  gapMs: Spread | null;
  timeToFirstByteMs: Spread | null;
  /** Raw durations of completed requests (for the histogram). */
  durations: readonly number[];
  /** Raw gaps between inbound messages on one connection (for the histogram; `gapMs` is their median and p95). */
  gaps: readonly number[];
}

/** Latency measures of a channel. */
export function measureLatency(ctx: ChannelContext, kind: ChannelKind): LatencyResult {
  const http = isHttp(ctx.transport);
  const cycles = http ? httpCycles(ctx) : null;
  const durations = cycles?.durations ?? [];
  const polled = isPolled(kind);
  const intervalMs = polled && cycles ? spread(cycles.intervals) : null;
  let stalenessMs: LatencyResult['stalenessMs'] = null;
  if (kind === 'polling' && cycles && cycles.intervals.length > 0) {
    const interval = median(cycles.intervals);
    stalenessMs = { average: round1(interval / 2), worst: round1(interval) };
  }
  const gaps: number[] = [];
  const ttfb: number[] = [];
  for (const r of ctx.records) {
    if (http && !r.sse) {
      if (r.responseAt !== null) ttfb.push(r.responseAt - r.start);
      if (polled) continue;
    }
    let previous = Number.NaN;
    for (const m of allMessages(r)) {
      if (m.dir !== 'in') continue;
      if (Number.isNaN(previous)) {
        if (!http || r.sse) ttfb.push(m.t - r.start);
      } else {
        gaps.push(m.t - previous);
      }
      previous = m.t;
    }
  }
  return {
    durationMs: http ? spread(durations) : null,
    intervalMs,
    stalenessMs,
    gapMs: spread(gaps),
    timeToFirstByteMs: spread(ttfb),
    durations,
    gaps,
  };
}
