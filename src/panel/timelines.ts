/**
 * Lane data for the page timeline (one lane per channel) and the channel
 * timeline (requests/connections, in, out, heartbeats, lifecycle). Requests,
 * messages, heartbeats and idle gaps come from the core's columnar series;
 * connection lifecycle (open, close codes, errors, faults) from the events.
 */
import { isHttp } from '../core/index.ts';
import type { CaptureEvent, ChannelReport, ChannelSeries } from '../core/index.ts';
import { LaneBuilder, MARK, SPAN, type LaneData } from './timeline-data.ts';

function laneName(ch: ChannelReport): string {
  try {
    const u = new URL(ch.url);
    return u.pathname === '/' ? u.host : u.pathname;
  } catch {
    return ch.url;
  }
}

interface Lanes {
  requests: number;
  in: number;
  out: number;
  heartbeat: number;
  life: number;
}

function addSeries(b: LaneBuilder, s: ChannelSeries | null, lanes: Lanes, end: number): void {
  if (!s) return;
  const r = s.requests;
  for (let i = 0; i < r.start.length; i++) {
    const d = r.durationMs[i];
    const style = r.wasted[i] ? SPAN.wasted : d !== null && d !== undefined && r.status[i] === 0 ? SPAN.failed : SPAN.useful;
    b.span(r.start[i]!, d === null || d === undefined ? end : r.start[i]! + d, lanes.requests, style);
  }
  const m = s.messages;
  for (let i = 0; i < m.t.length; i++) {
    if (m.role[i] === 'heartbeat') b.mark(m.t[i]!, lanes.heartbeat, MARK.heartbeat);
    else b.mark(m.t[i]!, m.dir[i] === 0 ? lanes.in : lanes.out, m.dir[i] === 0 ? MARK.in : MARK.out);
  }
}

/** When a document went away after a time (Analyzer.docGoneAt); null when it did not. */
export type DocGoneAt = (doc: string, after: number) => number | null;

/**
 * Lifecycle marks (open, close codes, errors, faults) and connection spans; with `messages`, also message marks (page
 * timeline of push channels, which skips the series). A connection with no close ends where its document went away.
 */
function addLifecycle(b: LaneBuilder, events: readonly CaptureEvent[], lanes: Lanes, end: number, notes: boolean, messages = false, goneAt: DocGoneAt = () => null): void {
  const openAt = new Map<string, { t: number; doc: string }>();
  const closeSpan = (conn: string, t: number) => {
    const o = openAt.get(conn);
    if (o !== undefined) b.span(o.t, t, lanes.requests, SPAN.open);
    openAt.delete(conn);
  };
  for (const e of events) {
    switch (e.type) {
      case 'ws.open':
      case 'sse.open':
      case 'wt.ready':
        if (!openAt.has(e.conn)) openAt.set(e.conn, { t: e.t, doc: e.doc });
        b.mark(e.t, lanes.life, MARK.open);
        break;
      case 'ws.close':
        closeSpan(e.conn, e.t);
        b.mark(e.t, lanes.life, MARK.close);
        b.note(e.t, lanes.life, String(e.code));
        break;
      case 'wt.close':
        closeSpan(e.conn, e.t);
        b.mark(e.t, lanes.life, MARK.close);
        if (notes) b.note(e.t, lanes.life, `close ${e.code}`);
        break;
      case 'wt.error':
        closeSpan(e.conn, e.t);
        b.mark(e.t, lanes.life, MARK.close);
        if (notes) b.note(e.t, lanes.life, e.message.slice(0, 40) || e.name);
        break;
      case 'sse.error':
        closeSpan(e.conn, e.t);
        b.mark(e.t, lanes.life, MARK.close);
        if (notes) b.note(e.t, lanes.life, e.readyState === 2 ? 'closed' : 'error');
        break;
      case 'sse.close':
        closeSpan(e.conn, e.t);
        b.mark(e.t, lanes.life, MARK.close);
        break;
      case 'http.error':
        b.mark(e.t, lanes.life, MARK.close);
        if (notes) b.note(e.t, lanes.life, e.reason);
        break;
      case 'ws.message':
      case 'wt.data':
      case 'wt.datagram':
        if (messages) b.mark(e.t, e.dir === 'in' ? lanes.in : lanes.out, e.dir === 'in' ? MARK.in : MARK.out);
        break;
      case 'sse.message':
      case 'http.chunk':
        if (messages) b.mark(e.t, lanes.in, MARK.in);
        break;
      case 'sse.comment':
        if (messages) b.mark(e.t, lanes.heartbeat, MARK.heartbeat);
        break;
      case 'fault':
        b.mark(e.t, lanes.life, MARK.fault);
        if (notes) b.note(e.t, lanes.life, `fault ${e.fault}`);
        break;
      default:
        break;
    }
  }
  for (const o of openAt.values()) {
    const gone = goneAt(o.doc, o.t);
    if (gone === null || gone >= end) {
      b.span(o.t, end, lanes.requests, SPAN.open);
      continue;
    }
    // Torn down with its document (navigation, discard): no close event came.
    b.span(o.t, gone, lanes.requests, SPAN.open);
    b.mark(gone, lanes.life, MARK.close);
    if (notes) b.note(gone, lanes.life, 'document gone');
  }
}

/**
 * Page timeline: one lane per channel, in the order given. HTTP channels draw
 * from the series (wasted requests distinguished); push channels draw straight
 * from their events, because their series (per-message roles) is costly to
 * rebuild for 100k messages and the page lane does not need roles.
 */
export function pageTimeline(
  channels: readonly ChannelReport[],
  eventsOf: (id: string) => readonly CaptureEvent[],
  seriesOf: (id: string) => ChannelSeries | null,
  origin: number,
  end: number,
  offline: ReadonlyArray<{ from: number; to: number }> = [],
  goneAt: DocGoneAt = () => null,
): LaneData {
  // Channels on one path (engine.io's polling handshake and its WebSocket, say) get their kind added.
  const names = channels.map(laneName);
  const shared = new Set(names.filter((n, i) => names.indexOf(n) !== i));
  // When the browser said the page was offline (page.network), a lane of its own above the channels:
  // the reconnects and failed attempts below it line up with it.
  const first = offline.length > 0 ? 1 : 0;
  const b = new LaneBuilder(origin, [
    ...(first ? [OFFLINE_LANE] : []),
    // The kind first: the lane axis cuts long names at their end.
    ...names.map((n, i) => (shared.has(n) ? `${channels[i]!.kind} ${n}` : n)),
  ]);
  for (const w of offline) b.span(w.from, Math.min(w.to, end), 0, SPAN.failed);
  channels.forEach((ch, index) => {
    const lane = index + first;
    const lanes = { requests: lane, in: lane, out: lane, heartbeat: lane, life: lane };
    const http = isHttp(ch.transport);
    // A worker's connections belong to no document (a shared or service worker outlives the pages).
    addLifecycle(b, eventsOf(ch.id), lanes, end, false, !http, ch.origin ? undefined : goneAt);
    if (http) addSeries(b, seriesOf(ch.id), lanes, end);
    for (const r of ch.reconnects) b.mark(r.at, lane, MARK.open);
  });
  return b.finish({ grouped: true });
}

/** The page timeline's lane of the browser's offline windows. */
export const OFFLINE_LANE = 'browser offline';

/** Lanes of the channel timeline (the first holds request bars on HTTP channels, the connection's lifetime on push channels). */
export function channelLanes(ch: ChannelReport): string[] {
  return [isHttp(ch.transport) ? 'requests' : 'connection', 'in', 'out', 'heartbeats', 'lifecycle'];
}

/** Channel timeline: request bars (wasted distinguished), in/out messages, heartbeats, lifecycle with close codes and reconnects, idle gaps over 30 s. */
export function channelTimeline(
  ch: ChannelReport,
  series: ChannelSeries | null,
  events: readonly CaptureEvent[],
  origin: number,
  end: number,
  goneAt: DocGoneAt = () => null,
): LaneData {
  const b = new LaneBuilder(origin, channelLanes(ch));
  const lanes = { requests: 0, in: 1, out: 2, heartbeat: 3, life: 4 };
  addLifecycle(b, events, lanes, end, true, false, ch.origin ? undefined : goneAt);
  addSeries(b, series, lanes, end);
  for (const r of ch.reconnects) {
    b.mark(r.at, lanes.life, MARK.open);
    b.note(r.at, lanes.life, `reconnect +${Math.round(r.delayMs)}ms`);
  }
  for (const g of series?.idleGaps ?? []) b.gap(g.start, g.end);
  return b.finish();
}
