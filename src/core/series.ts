/**
 * Chart-ready, columnar, pre-aggregated series for one channel (uPlot style:
 * parallel arrays, aggregation done here and not in the chart).
 */
import { isHttp } from './events.ts';
import type { ChannelKind } from './report-types.ts';
import type { ChannelAnalysis } from './report.ts';
import { allMessages } from './model.ts';
import { predictBackoff, referenceBackoffMs } from './metrics/backoff.ts';
import { median, percentile, round1 } from './stats.ts';

/** Message roles as chart categories. */
export type SeriesRole = 'heartbeat' | 'data' | 'control';

export interface ChannelSeries {
  channelId: string;
  kind: ChannelKind;
  /** HTTP requests of the channel, in start order; durationMs null while pending. */
  requests: { start: number[]; durationMs: Array<number | null>; status: number[]; wasted: number[]; size: number[] };
  /** Messages (WebSocket frames, SSE events/comments, streamed chunks); dir 0 = in, 1 = out. */
  messages: { t: number[]; dir: number[]; size: number[]; role: SeriesRole[] };
  /** Reconnects: observed delay, the fitted policy's delay and the 1-2-4-8 s reference (docs/domain.md) (capped at 30 s). */
  reconnects: { t: number[]; attempt: number[]; delayMs: number[]; fittedMs: Array<number | null>; referenceMs: number[] };
  /** Heartbeat times and intervals of the initiating side. */
  heartbeat: { t: number[]; intervals: number[] };
  /** Silences above 30 s on open connections. */
  idleGaps: Array<{ start: number; end: number }>;
  /** Request durations (HTTP) or message gaps (push channels), log-spaced bins. */
  latency: { binsMs: number[]; counts: number[]; median: number | null; p95: number | null };
  /** Requests and wasted requests per time bucket. */
  waste: { bucketMs: number; start: number[]; requests: number[]; wasted: number[] };
}

/** Upper bounds of latency bins (ms), roughly ×2 per step. */
export const LATENCY_BINS_MS = [10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 120_000, Number.POSITIVE_INFINITY];
/** Target number of waste buckets across the channel's span. */
const WASTE_BUCKETS = 60;

function roleOf(role: string | null, heartbeat: boolean): SeriesRole {
  if (heartbeat || role === 'heartbeat') return 'heartbeat';
  if (role === null || role === 'data') return 'data';
  return 'control';
}

function histogram(values: readonly number[]): ChannelSeries['latency'] {
  const counts = LATENCY_BINS_MS.map(() => 0);
  for (const v of values) {
    const i = LATENCY_BINS_MS.findIndex((b) => v <= b);
    counts[i]!++;
  }
  return {
    binsMs: LATENCY_BINS_MS.map((b) => (Number.isFinite(b) ? b : -1)),
    counts,
    median: values.length > 0 ? round1(median(values)) : null,
    p95: values.length > 0 ? round1(percentile(values, 95)) : null,
  };
}

/** Build the series of an analysed channel. */
export function buildSeries(a: ChannelAnalysis): ChannelSeries {
  const { ctx } = a;
  const http = isHttp(ctx.transport);
  const wastedConns = new Set<string>();
  a.waste.judged.forEach((r, i) => {
    if (a.waste.reasons[i] !== null) wastedConns.add(r.conn);
  });
  const requests: ChannelSeries['requests'] = { start: [], durationMs: [], status: [], wasted: [], size: [] };
  if (http) {
    for (const r of ctx.records) {
      requests.start.push(r.start);
      requests.durationMs.push(r.end === null ? null : round1(r.end - r.start));
      requests.status.push(r.status ?? 0);
      requests.wasted.push(wastedConns.has(r.conn) ? 1 : 0);
      requests.size.push(r.size);
    }
  }
  const beatTimes = new Set(a.heartbeat.beats.map((b) => `${b.t}|${b.dir}`));
  const all = ctx.records.flatMap((r) => allMessages(r)).sort((x, y) => x.t - y.t);
  const messages: ChannelSeries['messages'] = { t: [], dir: [], size: [], role: [] };
  for (const m of all) {
    messages.t.push(m.t);
    messages.dir.push(m.dir === 'in' ? 0 : 1);
    messages.size.push(m.size);
    messages.role.push(roleOf(m.role, beatTimes.has(`${m.t}|${m.dir}`)));
  }
  const fit = a.reconnects.backoff;
  const reconnects: ChannelSeries['reconnects'] = { t: [], attempt: [], delayMs: [], fittedMs: [], referenceMs: [] };
  for (const r of a.reconnects.reconnects) {
    reconnects.t.push(r.at);
    reconnects.attempt.push(r.attempt);
    reconnects.delayMs.push(round1(r.delayMs));
    reconnects.fittedMs.push(fit ? round1(predictBackoff(fit, r.attempt)) : null);
    reconnects.referenceMs.push(referenceBackoffMs(r.attempt));
  }
  // Push kinds: the gaps the report's gapMs is taken from (inbound to inbound on one connection), so the
  // histogram's median and p95 are the ones the channel's summary shows.
  const latency = histogram(http && a.classification.kind !== 'sse' && a.classification.kind !== 'streaming' ? a.latency.durations : a.latency.gaps);

  const waste: ChannelSeries['waste'] = { bucketMs: 0, start: [], requests: [], wasted: [] };
  if (requests.start.length > 0) {
    const first = requests.start[0]!;
    const span = Math.max(1, requests.start[requests.start.length - 1]! - first);
    const bucketMs = Math.max(1000, Math.ceil(span / WASTE_BUCKETS / 1000) * 1000);
    waste.bucketMs = bucketMs;
    const count = Math.floor(span / bucketMs) + 1;
    for (let i = 0; i < count; i++) {
      waste.start.push(first + i * bucketMs);
      waste.requests.push(0);
      waste.wasted.push(0);
    }
    requests.start.forEach((s, i) => {
      const b = Math.min(count - 1, Math.floor((s - first) / bucketMs));
      waste.requests[b]!++;
      waste.wasted[b]! += requests.wasted[i]!;
    });
  }
  return {
    channelId: ctx.id,
    kind: a.classification.kind,
    requests,
    messages,
    reconnects,
    heartbeat: { t: a.heartbeat.beats.map((b) => b.t), intervals: a.heartbeat.intervals },
    idleGaps: a.heartbeat.idleGaps,
    latency,
    waste,
  };
}
