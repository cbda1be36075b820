/**
 * Lane data for the page timeline (one lane per channel) and the channel
 * timeline (requests/connections, in, out, heartbeats, lifecycle), built from
 * a channel's captured events and its report.
 */
import type { CaptureEvent } from '../core/events.ts';
import type { ChannelReport } from '../core/report-types.ts';
import type { MessageRow } from './messages.ts';
import { IDLE_GAP_MS, LaneBuilder, MARK, SPAN, type LaneData } from './timeline-data.ts';

/** How spans of requests are judged; `wasted` comes from the core's series. */
export interface SpanJudge {
  wasted(conn: string): boolean;
}

const NO_WASTE: SpanJudge = { wasted: () => false };

function laneName(ch: ChannelReport): string {
  try {
    const u = new URL(ch.url);
    return u.pathname === '/' ? u.host : u.pathname;
  } catch {
    return ch.url;
  }
}

/** Earliest timestamp among events (the origin every lane is measured from). */
export function captureOrigin(events: readonly CaptureEvent[]): number {
  let min = Infinity;
  for (const e of events) if (e.t < min) min = e.t;
  return Number.isFinite(min) ? min : 0;
}

/** Add one channel's events to `lane`: requests as spans, messages as marks, lifecycle as marks and notes. */
function addChannel(b: LaneBuilder, lane: number, events: readonly CaptureEvent[], judge: SpanJudge, end: number, detail: { inLane: number; outLane: number; hbLane: number; lifeLane: number } | null): void {
  const started = new Map<string, number>();
  const openAt = new Map<string, number>();
  const inLane = detail?.inLane ?? lane;
  const outLane = detail?.outLane ?? lane;
  const lifeLane = detail?.lifeLane ?? lane;
  for (const e of events) {
    switch (e.type) {
      case 'http.request':
        started.set(e.conn, e.t);
        if (detail) b.mark(e.t, outLane, MARK.request);
        break;
      case 'http.end': {
        const s = started.get(e.conn);
        if (s !== undefined) b.span(s, e.t, lane, judge.wasted(e.conn) ? SPAN.wasted : SPAN.useful);
        started.delete(e.conn);
        break;
      }
      case 'http.error': {
        const s = started.get(e.conn);
        if (s !== undefined) b.span(s, e.t, lane, SPAN.failed);
        started.delete(e.conn);
        b.mark(e.t, lifeLane, MARK.close);
        break;
      }
      case 'http.chunk':
        b.mark(e.t, inLane, MARK.in);
        break;
      case 'ws.open':
      case 'sse.open':
        if (!openAt.has(e.conn)) openAt.set(e.conn, e.t);
        b.mark(e.t, lifeLane, MARK.open);
        break;
      case 'ws.message':
        b.mark(e.t, e.dir === 'in' ? inLane : outLane, e.dir === 'in' ? MARK.in : MARK.out);
        break;
      case 'sse.message':
        b.mark(e.t, inLane, MARK.in);
        break;
      case 'sse.comment':
        // In the channel timeline heartbeats come from the decoded rows (which include comments).
        if (!detail) b.mark(e.t, lane, MARK.heartbeat);
        break;
      case 'ws.close': {
        const o = openAt.get(e.conn);
        if (o !== undefined) b.span(o, e.t, lane, SPAN.open);
        openAt.delete(e.conn);
        b.mark(e.t, lifeLane, MARK.close);
        b.note(e.t, lifeLane, String(e.code));
        break;
      }
      case 'sse.error': {
        const o = openAt.get(e.conn);
        if (o !== undefined) b.span(o, e.t, lane, SPAN.open);
        openAt.delete(e.conn);
        b.mark(e.t, lifeLane, MARK.close);
        if (detail) b.note(e.t, lifeLane, e.readyState === 2 ? 'closed' : 'error');
        break;
      }
      case 'sse.close': {
        const o = openAt.get(e.conn);
        if (o !== undefined) b.span(o, e.t, lane, SPAN.open);
        openAt.delete(e.conn);
        b.mark(e.t, lifeLane, MARK.close);
        break;
      }
      case 'fault':
        b.mark(e.t, lifeLane, MARK.fault);
        if (detail) b.note(e.t, lifeLane, `fault ${e.fault}`);
        break;
      default:
        break;
    }
  }
  for (const [, s] of started) b.span(s, end, lane, SPAN.useful);
  for (const [, o] of openAt) b.span(o, end, lane, SPAN.open);
}

/** Page timeline: one lane per channel, in the order given. */
export function pageTimeline(channels: readonly ChannelReport[], eventsOf: (id: string) => readonly CaptureEvent[], origin: number, end: number, judgeOf: (id: string) => SpanJudge = () => NO_WASTE): LaneData {
  const b = new LaneBuilder(origin, channels.map(laneName));
  channels.forEach((ch, lane) => {
    addChannel(b, lane, eventsOf(ch.id), judgeOf(ch.id), end, null);
    for (const r of ch.reconnects) b.mark(r.at, lane, MARK.open);
  });
  return b.finish();
}

/** Lanes of the channel timeline. */
export const CHANNEL_LANES = ['requests / connection', 'in', 'out', 'heartbeats', 'lifecycle'];

/** Channel timeline: spans, in/out messages, heartbeats (from the decoded rows), lifecycle with close codes, idle gaps over 30 s. */
export function channelTimeline(ch: ChannelReport, events: readonly CaptureEvent[], rows: readonly MessageRow[], origin: number, end: number, judge: SpanJudge = NO_WASTE): LaneData {
  const b = new LaneBuilder(origin, CHANNEL_LANES);
  addChannel(b, 0, events, judge, end, { inLane: 1, outLane: 2, hbLane: 3, lifeLane: 4 });
  for (const r of rows) if (r.kind === 'heartbeat' && r.payload && r.dir) b.mark(r.t, 3, MARK.heartbeat);
  for (const r of ch.reconnects) {
    b.mark(r.at, 4, MARK.open);
    b.note(r.at, 4, `reconnect +${Math.round(r.delayMs)}ms`);
  }
  for (const [start, stop] of idleGaps(events, end)) b.gap(start, stop);
  return b.finish();
}

/** Silences longer than the idle threshold on open WebSocket/SSE/streaming connections: [start, end] pairs in epoch ms. */
export function idleGaps(events: readonly CaptureEvent[], end: number): Array<[number, number]> {
  const last = new Map<string, number>();
  const gaps: Array<[number, number]> = [];
  const touch = (conn: string, t: number) => {
    const prev = last.get(conn);
    if (prev !== undefined && t - prev > IDLE_GAP_MS) gaps.push([prev, t]);
    last.set(conn, t);
  };
  for (const e of events) {
    switch (e.type) {
      case 'ws.open':
      case 'sse.open':
        last.set(e.conn, e.t);
        break;
      case 'ws.message':
      case 'sse.message':
      case 'sse.comment':
      case 'http.chunk':
        if (last.has(e.conn)) touch(e.conn, e.t);
        break;
      case 'http.response':
        if (e.contentType === 'text/event-stream') last.set(e.conn, e.t);
        break;
      case 'ws.close':
      case 'sse.error':
      case 'sse.close':
      case 'http.end':
      case 'http.error':
        if (last.has(e.conn)) touch(e.conn, e.t);
        last.delete(e.conn);
        break;
      default:
        break;
    }
  }
  for (const t of last.values()) if (end - t > IDLE_GAP_MS) gaps.push([t, end]);
  return gaps.sort((a, b) => a[0] - b[0]);
}
