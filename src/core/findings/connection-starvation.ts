/**
 * A cross-channel finding: requests that queued for a connection because long-lived
 * ones (EventSource streams, streamed responses, held long-polls) held every
 * connection the browser allows to their origin. Over HTTP/1.1 Chromium opens at
 * most 6 connections per host; a seventh request waits, unsent, until one of them
 * ends. HTTP/2 and HTTP/3 multiplex every request over one connection and do not
 * queue so.
 */
import type { Finding } from '../report-types.ts';
import type { ChannelAnalysis } from '../report.ts';
import type { ConnRecord } from '../model.ts';
import { formatMs, maxOf, median } from '../stats.ts';
import { openUntil } from '../context.ts';

export const CONNECTION_STARVATION = {
  code: 'connection-starvation',
  title: 'Requests queued behind long-lived connections (6 per host on HTTP/1.1)',
  severity: 'warning' as const,
  description:
    'Six EventSources or long-polls to one HTTP/1.1 origin use up the browser\'s connections to it; every other request to that origin waits before it is even sent.',
};

/**
 * Chromium net/socket/client_socket_pool_manager.cc: g_max_sockets_per_group[NORMAL_SOCKET_POOL] = 6
 * (WebSockets have their own pool, WEBSOCKET_SOCKET_POOL, of 255, and do not count here).
 */
export const MAX_CONNECTIONS_PER_HOST = 6;
/** A request held open this long counts as holding its connection (a long-poll), as a stream does. */
const HELD_MS = 1000;
/** Waits shorter than this are ordinary scheduling, not starvation. */
const MIN_WAIT_MS = 300;
/** Without Resource Timing: a response this soon after a held connection ended was sent on the connection it freed. */
const FREED_SLOT_MS = 1000;
/** Protocols that multiplex: a request over them never waits for a connection of its own. */
const MULTIPLEXED = /^(h2|h3|h2c|spdy|quic)/i;

/** scheme://host:port of a URL (http and ws schemes of one server differ: their pools do too), or null. */
function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/** A connection held from `from` to `to` (epoch ms). */
interface Hold {
  conn: string;
  from: number;
  to: number;
}

/** Whether a record holds a connection for long: EventSource, a streamed or SSE response, or a request answered after HELD_MS or more. */
function holdOf(r: ConnRecord, until: (r: ConnRecord) => number): Hold | null {
  if (r.transport === 'websocket') return null;
  const to = until(r);
  // Held from when it was sent: a request that itself queued did not hold a connection while it waited.
  const from = r.start + (r.blockedMs ?? 0);
  const long = r.transport === 'eventsource' || r.sse || r.chunks.length > 0 || to - from >= HELD_MS;
  return long ? { conn: r.conn, from, to } : null;
}

/** One request that waited, and how its wait was measured. */
export interface QueuedRequest {
  conn: string;
  origin: string;
  waitMs: number;
  /** Long-lived connections to the origin open when it started. */
  held: number;
  measuredBy: 'resource-timing' | 'capture';
  protocol: string;
}

/**
 * Requests that started while MAX_CONNECTIONS_PER_HOST or more long-lived connections to
 * their origin were open and that waited: by Resource Timing (blockedMs) when the capture
 * has it, else by the capture alone (the response came only right after one of those
 * connections ended).
 */
export function queuedRequests(records: readonly ConnRecord[], captureEnd: number, until: (r: ConnRecord) => number): QueuedRequest[] {
  const holdsByOrigin = new Map<string, Hold[]>();
  for (const r of records) {
    const origin = originOf(r.url);
    const hold = origin === null ? null : holdOf(r, until);
    if (origin === null || hold === null) continue;
    const list = holdsByOrigin.get(origin);
    if (list) list.push(hold);
    else holdsByOrigin.set(origin, [hold]);
  }
  const out: QueuedRequest[] = [];
  for (const r of records) {
    if (r.transport !== 'fetch' && r.transport !== 'xhr') continue;
    if (MULTIPLEXED.test(r.nextHopProtocol)) continue;
    const origin = originOf(r.url);
    const holds = origin === null ? undefined : holdsByOrigin.get(origin);
    if (origin === null || holds === undefined) continue;
    const open = holds.filter((h) => h.conn !== r.conn && h.from <= r.start && h.to > r.start);
    if (open.length < MAX_CONNECTIONS_PER_HOST) continue;
    if (r.blockedMs !== null) {
      if (r.blockedMs >= MIN_WAIT_MS) out.push({ conn: r.conn, origin, waitMs: r.blockedMs, held: open.length, measuredBy: 'resource-timing', protocol: r.nextHopProtocol });
      continue;
    }
    // No Resource Timing: the response started right after the first of the held connections ended.
    const freedAt = Math.min(...open.map((h) => h.to));
    const answeredAt = r.responseAt ?? r.end;
    if (answeredAt === null || freedAt >= captureEnd) continue;
    const waitMs = freedAt - r.start;
    if (waitMs >= MIN_WAIT_MS && answeredAt >= freedAt && answeredAt - freedAt <= FREED_SLOT_MS) {
      out.push({ conn: r.conn, origin, waitMs, held: open.length, measuredBy: 'capture', protocol: r.nextHopProtocol });
    }
  }
  return out;
}

/** Findings to add per channel id: each channel whose requests queued behind long-lived connections to their origin. */
export function connectionStarvation(analyses: readonly ChannelAnalysis[]): Map<string, Finding> {
  const out = new Map<string, Finding>();
  const all: ConnRecord[] = [];
  const channelOf = new Map<string, ChannelAnalysis>();
  let captureEnd = Number.NEGATIVE_INFINITY;
  for (const a of analyses) {
    captureEnd = Math.max(captureEnd, a.ctx.captureEnd);
    for (const r of a.ctx.records) {
      all.push(r);
      channelOf.set(r.conn, a);
    }
  }
  // Each channel's documents and worker flag, measured to the whole capture's end: one view per channel.
  const views = new Map<ChannelAnalysis, Parameters<typeof openUntil>[0]>();
  for (const a of analyses) views.set(a, { captureEnd, docEnds: a.ctx.docEnds, shownDocs: a.ctx.shownDocs, worker: a.ctx.worker });
  const queued = queuedRequests(all, captureEnd, (r) => openUntil(views.get(channelOf.get(r.conn)!)!, r));
  const byChannel = new Map<ChannelAnalysis, QueuedRequest[]>();
  for (const q of queued) {
    const a = channelOf.get(q.conn)!;
    const list = byChannel.get(a);
    if (list) list.push(q);
    else byChannel.set(a, [q]);
  }
  for (const [a, list] of byChannel) {
    const waits = list.map((q) => q.waitMs);
    const waitMs = median(waits);
    const held = maxOf(list.map((q) => q.held));
    const timed = list.some((q) => q.measuredBy === 'resource-timing');
    const protocol = list.find((q) => q.protocol !== '')?.protocol ?? null;
    const how = timed ? 'queued, unsent, for' : 'got no answer until one of them ended, after';
    out.set(a.ctx.id, {
      severity: CONNECTION_STARVATION.severity,
      code: CONNECTION_STARVATION.code,
      message:
        `${list.length} request${list.length === 1 ? '' : 's'} to ${list[0]!.origin} ${how} ${formatMs(waitMs)}${list.length > 1 ? ` (median; longest ${formatMs(maxOf(waits))})` : ''} ` +
        `while ${held} long-lived connections (EventSource streams, streamed responses or long-polls) to that origin were open: ` +
        `over ${protocol ?? 'HTTP/1.1'} the browser opens at most ${MAX_CONNECTIONS_PER_HOST} connections per host, and they were all taken.`,
      evidence: {
        origin: list[0]!.origin,
        delayedRequests: list.length,
        waitMs: Math.round(waitMs),
        maxWaitMs: Math.round(maxOf(waits)),
        heldConnections: held,
        measuredBy: timed ? 'resource-timing' : 'capture',
        protocol,
      },
      advice:
        'Serve this origin over HTTP/2 or HTTP/3, which carry every stream and request over one connection; or carry all topics on one multiplexed stream (one EventSource or WebSocket instead of one per topic); or share one stream between tabs from a SharedWorker. Until then, keep fewer than six long-lived connections per host (or move the streams to another host name).',
    });
  }
  return out;
}
