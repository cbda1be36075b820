/**
 * Reconnects: a connection ends (close, error, server-ended stream) and a new
 * one starts on the same channel; EventSource's own retries (error, then open
 * again on the same object) count too. Each gets its delay, cause and attempt
 * number within its failure streak (reset by a connection that opened), which
 * is what the backoff fitter works on.
 */
import { isHttp } from '../events.ts';
import { pausedBetween, type ChannelContext } from '../context.ts';
import { isPolled, type Backoff, type ChannelKind, type Reconnect } from '../report-types.ts';
import { header, type ConnRecord } from '../model.ts';
import { fitBackoff } from './backoff.ts';

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
    if (f.t >= r.start && f.t <= (r.end ?? ctx.captureEnd) + 100) return `fault: ${f.fault}`;
  }
  return null;
}

function endCause(ctx: ChannelContext, r: ConnRecord): string {
  const fault = faultCause(ctx, r);
  if (fault) return fault;
  if (r.closeCode !== null) return r.openAt === null && r.transport === 'websocket' ? `close ${r.closeCode} before open` : `close ${r.closeCode}`;
  if (r.endKind === 'error') return r.errorReason ?? 'error';
  if (r.errors.length > 0) return 'error';
  if (r.status !== null && r.status >= 400) return `status ${r.status}`;
  if (r.endKind === 'end') return 'stream ended';
  return 'closed';
}

function sseState(records: readonly ConnRecord[], uptoIndex: number, beforeT: number): { retry: number | null; lastId: string | null } {
  let retry: number | null = null;
  let lastId: string | null = null;
  for (let i = 0; i <= uptoIndex; i++) {
    for (const m of records[i]!.messages) {
      if (m.t > beforeT) break;
      if (m.retry !== null) retry = m.retry;
      if (m.id !== null) lastId = m.id;
    }
  }
  return { retry, lastId };
}

/** Detect reconnects and fit their backoff. */
export function measureReconnects(ctx: ChannelContext, kind: ChannelKind): ReconnectResult {
  if (!RECONNECTING_KINDS.has(kind)) return { reconnects: [], backoff: null };
  const out: ReconnectDetail[] = [];
  const records = ctx.records;
  const pollingLoop = isPolled(kind);
  // -1: no streak yet, so the first retry after a failed or working connection is attempt 0.
  let attempt = -1;
  const paused = (a: number, b: number) => pausedBetween(ctx.pauses, a, b);
  const push = (d: Omit<ReconnectDetail, 'attempt'>, prevOpened: boolean) => {
    attempt = prevOpened ? 0 : attempt + 1;
    out.push({ ...d, attempt });
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
      let openedSinceError = cur.opens.length > 0 && timeline[0]?.open === true;
      for (const step of timeline) {
        if (lastError !== null && paused(lastError, step.t)) {
          // Recording was paused in between: the retries made meanwhile are unknown.
          attempt = -1;
        } else if (lastError !== null) {
          const s = sseState(records, i, lastError);
          push(
            {
              at: step.t,
              delayMs: step.t - lastError,
              cause: faultCause(ctx, cur) ?? 'error',
              clientInitiated: false,
              closeCode: null,
              closeReason: '',
              sseRetryMs: s.retry,
              lastEventId: s.lastId,
              sentLastEventId: null,
              headersVisible: false,
            },
            openedSinceError,
          );
        }
        if (step.open) {
          openedSinceError = true;
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
      attempt = -1;
      continue;
    }
    // A page that calls close() and opens the replacement at once (e.g. on a heartbeat timeout)
    // starts it before the closing handshake completes: still a reconnect, made without delay.
    const replacedWhileClosing =
      prev.closeInitiator === 'client' && cur.start >= (prev.openAt ?? prev.start) && cur.start >= prev.end - CLOSING_HANDSHAKE_MS;
    if (cur.start < prev.end - 5 && !replacedWhileClosing) continue;
    // Polling loops re-request by design; only re-requests after a failure are reconnects.
    if (pollingLoop && !failed(prev)) {
      attempt = -1;
      continue;
    }
    const s = cur.sse ? sseState(records, i - 1, prev.end) : { retry: null, lastId: null };
    const headersVisible = isHttp(cur.transport);
    push(
      {
        at: cur.start,
        delayMs: Math.max(0, cur.start - prev.end),
        cause: endCause(ctx, prev),
        // A page that calls close() in reaction to an error or abnormal close (reconnecting-websocket
        // 4.4 _handleError → _disconnect → ws.close()) is still reconnecting after a failure.
        clientInitiated:
          prev.closeInitiator === 'client' && prev.errors.length === 0 && prev.closeCode !== 1006 && faultCause(ctx, prev) === null,
        closeCode: prev.closeCode,
        closeReason: prev.closeReason,
        sseRetryMs: s.retry,
        lastEventId: s.lastId,
        sentLastEventId: headersVisible ? header(cur.requestHeaders, 'last-event-id') : null,
        headersVisible,
      },
      pollingLoop ? !failed(prev) : prev.openAt !== null || (prev.responseAt !== null && !failed(prev)),
    );
  }
  out.sort((a, b) => a.at - b.at);
  const points = out.filter((r) => !r.clientInitiated).map((r) => ({ attempt: r.attempt, delayMs: r.delayMs }));
  return { reconnects: out, backoff: fitBackoff(points) };
}
