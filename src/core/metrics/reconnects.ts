/**
 * Reconnects: a connection ends (close, error, server-ended stream) and a new
 * one starts on the same channel; EventSource's own retries (error, then open
 * again on the same object) count too. Each gets its delay, cause and attempt
 * number within its failure streak, which is what the backoff fitter works on.
 * Where a streak restarts after a connection that opened is read from the delays
 * (backoff-attempts.ts), not assumed.
 */
import { isHttp } from '../events.ts';
import { openUntil, type ChannelContext, type TransportEnd } from '../context.ts';
import { indexPauses } from './pause-index.ts';
import { isPolled, type Backoff, type ChannelKind, type Reconnect } from '../report-types.ts';
import { header, newRecord, type ConnRecord } from '../model.ts';
import { numberAttempts } from './backoff-attempts.ts';
import { determinismShown } from './backoff-determinism.ts';
import { sessionOf } from '../channels.ts';

export interface ReconnectDetail extends Reconnect {
  /** Attempt number within the failure streak (0 = first retry after a working connection). */
  attempt: number;
  /** The previous connection was closed by the page itself (close() called). */
  clientInitiated: boolean;
  closeCode: number | null;
  closeReason: string;
  /** SSE only: the `retry:` value in force, the last event id before the drop, and the Last-Event-ID the new request sent (fetch/XHR; null when absent or invisible). */
  sseRetryMs: number | null;
  lastEventId: string | null;
  sentLastEventId: string | null;
  /** The new connection is a fetch/XHR request whose headers are visible. */
  headersVisible: boolean;
  /** How long the previous connection stayed open; null when it never opened. */
  uptimeMs: number | null;
  /** The wait the server asked for before this attempt: a `Retry-After` on the previous response (RFC 9110 §10.2.3), in ms; null when none. */
  retryAfterMs: number | null;
}

/** Retry-After as delay-seconds or an HTTP-date (RFC 9110 §10.2.3), in ms after the response; null when absent or unreadable. */
export function retryAfterMs(value: string | null, responseAt: number | null): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date) || responseAt === null) return null;
  return Math.max(0, date - responseAt);
}

export interface ReconnectResult {
  reconnects: ReconnectDetail[];
  backoff: Backoff | null;
}

const RECONNECTING_KINDS: ReadonlySet<ChannelKind> = new Set(['websocket', 'sse', 'streaming', 'long-polling', 'polling']);

function failed(r: ConnRecord): boolean {
  return r.endKind === 'error' || (r.status !== null && (r.status === 0 || r.status >= 500));
}

/**
 * How long after a client-started close a replacement may still count as one (our bound, not a
 * library's): the close event waits for the server's close frame, which a loaded renderer, a slow
 * server or a stalled connection delays by up to seconds.
 */
const CLOSING_HANDSHAKE_MS = 5000;

function faultCause(ctx: ChannelContext, r: ConnRecord): string | null {
  for (const f of ctx.faults) {
    if (f.phase === 'end' || f.fault === 'latency') continue;
    if (f.conn !== null && f.conn !== r.conn) continue;
    if (f.t >= r.start && f.t <= openUntil(ctx, r) + 100) return `fault: ${f.fault}`;
  }
  return null;
}

/**
 * How long before the browser's `offline` event a connection may already have failed for the
 * same reason (our bound): the OS reports the lost link to Chrome, which errors the sockets and
 * tells each renderer, in either order and within a second or so.
 */
export const NETWORK_NOTICE_MS = 2000;

/** The cause of a drop or failed attempt that the browser's own offline window explains. */
export const NETWORK_OFFLINE = 'network offline';

/** The cause a failure at `t` gets when the browser said the page was offline then: 'network offline', else null. */
export function networkCause(ctx: ChannelContext, t: number | null): string | null {
  if (t === null) return null;
  for (const w of ctx.offline ?? []) if (t >= w.from - NETWORK_NOTICE_MS && t <= w.to + 100) return NETWORK_OFFLINE;
  return null;
}

/**
 * An attempt this soon after the browser's `online` event was set off by it, not by the
 * client's retry timer (our bound): centrifuge 5.8.0 build/index.js onOnline clears its
 * reconnect timeout and reconnects at once, pusher-js 8.6.0 ConnectionManager retries on
 * `online` (a 0 ms timer), and so do many hand-written clients; each starts its socket within
 * milliseconds of the event, tens on a loaded machine. Its delay is how long the outage happened
 * to last since the previous attempt: it is kept in the list but left out of the backoff fit (a
 * clean 1-2-4-8 s series ending in a 50 ms reconnect read as no verdict). A timer-driven retry
 * lands in this window by chance only now and then (a 1 s constant retry one time in four), and
 * then one delay of many is left out.
 */
const ONLINE_TRIGGER_MS = 250;

/** True when an attempt at `t` came within ONLINE_TRIGGER_MS after the browser said the network was back. */
function onlineTriggered(ctx: ChannelContext, t: number): boolean {
  for (const w of ctx.offline ?? []) if (w.to !== Number.POSITIVE_INFINITY && t >= w.to && t <= w.to + ONLINE_TRIGGER_MS) return true;
  return false;
}

function endCause(ctx: ChannelContext, r: ConnRecord): string {
  const fault = faultCause(ctx, r) ?? networkCause(ctx, r.end);
  if (fault) return fault;
  if (r.closeCode !== null) return r.openAt === null && r.transport === 'websocket' ? `close ${r.closeCode} before open` : `close ${r.closeCode}`;
  if (r.endKind === 'error') return r.errorReason ?? 'error';
  if (r.errors.length > 0) return 'error';
  if (r.status !== null && r.status >= 400) return `status ${r.status}`;
  if (r.endKind === 'end') return 'stream ended';
  return 'closed';
}

/** SSE `retry:` values and event ids in record order, then message order (what a client keeps last wins). */
interface SseMarks {
  retry: Array<{ rec: number; t: number; value: number }>;
  id: Array<{ rec: number; t: number; value: string }>;
}

function sseMarks(records: readonly ConnRecord[]): SseMarks {
  const marks: SseMarks = { retry: [], id: [] };
  records.forEach((r, rec) => {
    for (const m of r.messages) {
      if (m.retry !== null) marks.retry.push({ rec, t: m.t, value: m.retry });
      if (m.id !== null) marks.id.push({ rec, t: m.t, value: m.id });
    }
  });
  return marks;
}

/**
 * The last mark of records up to `uptoIndex` sent by `beforeT`. Searched back from the last
 * mark of those records: reconnects come in time order, so the answer is near the end and
 * a channel's analysis stays linear (it rescanned every earlier message per reconnect).
 */
function lastMark<V>(list: ReadonlyArray<{ rec: number; t: number; value: V }>, uptoIndex: number, beforeT: number): V | null {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.rec <= uptoIndex) lo = mid + 1;
    else hi = mid;
  }
  for (let k = lo - 1; k >= 0; k--) if (list[k]!.t <= beforeT) return list[k]!.value;
  return null;
}

function sseState(marks: SseMarks, uptoIndex: number, beforeT: number): { retry: number | null; lastId: string | null } {
  return { retry: lastMark(marks.retry, uptoIndex, beforeT), lastId: lastMark(marks.id, uptoIndex, beforeT) };
}

/**
 * The channel's connections with its failed handshakes (ChannelContext.handshakeFailures)
 * among them as attempts that never opened, in start order: while the server is down,
 * SignalR's retries fail at `negotiate` and never create a socket.
 */
function withHandshakeFailures(ctx: ChannelContext): readonly ConnRecord[] {
  const failures = ctx.handshakeFailures ?? [];
  if (failures.length === 0) return ctx.records;
  const attempts = failures.map((f, i) => {
    const r = newRecord(`handshake:${i}`, ctx.transport, ctx.endpoint, f.start);
    r.end = f.end;
    r.endKind = 'error';
    r.errorReason = f.cause;
    return r;
  });
  return [...ctx.records, ...attempts].sort((a, b) => a.start - b.start);
}

/** An injected fault that ended the transport (within a second before its end), else the transport's own end. */
function dropCause(ctx: ChannelContext, drop: TransportEnd): string {
  const fault = ctx.faults.find((f) => f.phase !== 'end' && f.fault !== 'latency' && f.t <= drop.t && f.t >= drop.t - 1000);
  return fault ? `fault: ${fault.fault}` : (networkCause(ctx, drop.t) ?? drop.cause);
}

/** The last transport end in [from, to], null when none. */
function lastEndBetween(ends: readonly TransportEnd[], from: number, to: number): TransportEnd | null {
  let found: TransportEnd | null = null;
  for (const e of ends) if (e.t >= from && e.t <= to) found = e;
  return found;
}

/** Detect reconnects and fit their backoff. */
export function measureReconnects(ctx: ChannelContext, kind: ChannelKind): ReconnectResult {
  if (!RECONNECTING_KINDS.has(kind)) return { reconnects: [], backoff: null };
  const records = withHandshakeFailures(ctx);
  const marks = sseMarks(records);
  const pollingLoop = isPolled(kind);
  const found: Array<{ detail: Omit<ReconnectDetail, 'attempt'>; afterOpen: boolean; uptimeMs: number | null; restart: boolean }> = [];
  // Recording was paused before the next reconnect: the attempts made meanwhile are unknown.
  let restart = false;
  const pauseIndex = indexPauses(ctx.pauses);
  const paused = (a: number, b: number) => pauseIndex.between(a, b);
  const push = (detail: Omit<ReconnectDetail, 'attempt' | 'uptimeMs'>, afterOpen: boolean, uptimeMs: number | null) => {
    found.push({ detail: { ...detail, uptimeMs: afterOpen ? uptimeMs : null }, afterOpen, uptimeMs: afterOpen ? uptimeMs : null, restart });
    restart = false;
  };
  for (let i = 0; i < records.length; i++) {
    const cur = records[i]!;
    // EventSource retries on the same object: error (readyState 0) then open or error again.
    if (cur.transport === 'eventsource') {
      const timeline = [
        ...cur.opens.map((t) => ({ t, open: true })),
        ...cur.errors.map((e) => ({ t: e.t, open: false })),
      ].sort((a, b) => a.t - b.t || Number(a.open) - Number(b.open));
      let lastError: number | null = null;
      let lastOpen: number | null = null;
      let openedSinceError = cur.opens.length > 0 && timeline[0]?.open === true;
      for (const step of timeline) {
        if (lastError !== null && paused(lastError, step.t)) {
          restart = true;
        } else if (lastError !== null) {
          const s = sseState(marks, i, lastError);
          push(
            {
              at: step.t,
              delayMs: step.t - lastError,
              cause: faultCause(ctx, cur) ?? networkCause(ctx, lastError) ?? 'error',
              clientInitiated: false,
              closeCode: null,
              closeReason: '',
              sseRetryMs: s.retry,
              lastEventId: s.lastId,
              sentLastEventId: null,
              headersVisible: false,
              retryAfterMs: null,
            },
            openedSinceError,
            lastOpen === null ? null : lastError - lastOpen,
          );
        }
        if (step.open) {
          openedSinceError = true;
          lastOpen = step.t;
          lastError = null;
        } else {
          if (lastError !== null) openedSinceError = false;
          lastError = step.t;
        }
      }
    }
    if (i === 0) continue;
    const prev = records[i - 1]!;
    if (prev.end === null) continue;
    if (paused(prev.end, cur.start)) {
      // Recording was paused in between: attempts made meanwhile were not seen, so this is
      // no measured delay, and the next streak starts afresh.
      restart = true;
      continue;
    }
    // A page that calls close() and opens the replacement at once (e.g. on a heartbeat timeout)
    // starts it before the closing handshake completes: still a reconnect, made without delay.
    const replacedWhileClosing =
      prev.closeInitiator === 'client' && cur.start >= (prev.openAt ?? prev.start) && cur.start >= prev.end - CLOSING_HANDSHAKE_MS;
    if (cur.start < prev.end - 5 && !replacedWhileClosing) continue;
    // Polling loops re-request by design; only re-requests after a failure are reconnects.
    if (pollingLoop && !failed(prev)) {
      restart = true;
      // The session's WebSocket dropped after this poll: this request is the client's first
      // retry, and its delay runs from that drop (see ChannelContext.transportEnds).
      const drop = lastEndBetween(ctx.transportEnds ?? [], prev.end, cur.start);
      if (drop !== null) {
        push(
          {
            at: cur.start,
            delayMs: Math.max(0, cur.start - drop.t),
            cause: dropCause(ctx, drop),
            clientInitiated: false,
            closeCode: drop.closeCode,
            closeReason: '',
            sseRetryMs: null,
            lastEventId: null,
            sentLastEventId: null,
            headersVisible: true,
            retryAfterMs: null,
          },
          drop.uptimeMs !== null,
          drop.uptimeMs,
        );
      }
      continue;
    }
    // After a failure, a request of the failed request's own session is no new attempt:
    // engine.io-client 6.6.8 socket.js _onClose closes the polling transport, which POSTs a
    // close packet with the old sid right after the poll failed (read as a 1 ms "retry").
    const session = sessionOf(cur.url);
    if (session !== null && session === sessionOf(prev.url)) continue;
    const s = cur.sse ? sseState(marks, i - 1, prev.end) : { retry: null, lastId: null };
    const headersVisible = isHttp(cur.transport);
    push(
      {
        at: cur.start,
        delayMs: Math.max(0, cur.start - prev.end),
        cause: endCause(ctx, prev),
        // A page that calls close() in reaction to an error or abnormal close (reconnecting-websocket
        // 4.4 _handleError → _disconnect → ws.close()) is still reconnecting after a failure.
        clientInitiated:
          prev.closeInitiator === 'client' && prev.errors.length === 0 && prev.closeCode !== 1006 && faultCause(ctx, prev) === null && networkCause(ctx, prev.end) === null,
        closeCode: prev.closeCode,
        closeReason: prev.closeReason,
        sseRetryMs: s.retry,
        lastEventId: s.lastId,
        sentLastEventId: headersVisible ? header(cur.requestHeaders, 'last-event-id') : null,
        headersVisible,
        retryAfterMs: retryAfterMs(header(prev.responseHeaders, 'retry-after'), prev.responseAt),
      },
      pollingLoop ? !failed(prev) : prev.openAt !== null || (prev.responseAt !== null && !failed(prev)),
      prev.end - (prev.openAt ?? prev.responseAt ?? prev.start),
    );
  }
  found.sort((a, b) => a.detail.at - b.detail.at);
  const { attempts, backoff } = numberAttempts(
    found.map((f) => ({
      delayMs: f.detail.delayMs,
      afterOpen: f.afterOpen,
      uptimeMs: f.uptimeMs,
      restart: f.restart,
      excluded: f.detail.clientInitiated || onlineTriggered(ctx, f.detail.at),
    })),
  );
  const reconnects = found.map((f, i) => ({ ...f.detail, attempt: attempts[i]! }));
  if (backoff === null) return { reconnects, backoff: null };
  // Determinism is read from the delays the fit read: without the page's own closes.
  const fitted = reconnects.filter((r) => !r.clientInitiated);
  return { reconnects, backoff: { ...backoff, deterministic: determinismShown(fitted, backoff) } };
}
