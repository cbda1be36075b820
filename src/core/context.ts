/** What every classifier, metric and finding receives about one channel. */
import type { FaultEvent, Transport } from './events.ts';
import type { ProtocolTimings } from './protocols/types.ts';
import type { ConnRecord } from './model.ts';

export interface ChannelContext {
  id: string;
  transport: Transport;
  /** Normalised endpoint (placeholders for ids, hashes, cache-busters). */
  endpoint: string;
  /** Requests/connections in start order. */
  records: ConnRecord[];
  /** Recognised wire protocol id (e.g. 'socket.io'), null when none. */
  protocol: string | null;
  protocolTimings: ProtocolTimings | null;
  /** Last event time of the whole capture: open connections are measured up to here. */
  captureEnd: number;
  /** Injected faults (page-wide and per connection). */
  faults: FaultEvent[];
  /** Windows in which recording was paused (epoch ms; `to` is +Infinity while still paused). */
  pauses: readonly PauseWindow[];
  /**
   * Windows in which the browser said the page was offline (`page.network` events: from
   * `offline` to `online`; `to` is +Infinity while still offline), in time order.
   */
  offline?: readonly PauseWindow[];
  /** When documents went away (`doc.end`), by document id, in time order. */
  docEnds?: ReadonlyMap<string, readonly number[]>;
  /** Top-level documents shown (`doc.start`, top-level `doc.restored`), in time order: each ends the others' open connections. */
  shownDocs?: ReadonlyArray<{ t: number; doc: string }>;
  /**
   * The channel's traffic ran in a worker (captured over the DevTools protocol): its connections belong to no
   * document, and a shared or service worker outlives the pages that navigate, so no document's end ends them.
   */
  worker?: boolean;
  /**
   * The ping interval another channel's handshake announced for this channel's session
   * (engine.io: the open packet on the polling channel, the session upgraded to a
   * WebSocket); null when none.
   */
  announcedPingMs?: number | null;
  /**
   * Ends of the session's WebSocket transport on another channel (engine.io: the polling
   * channel's client reconnects with a polling handshake after its upgraded WebSocket
   * dropped), in time order; empty when none.
   */
  transportEnds?: readonly TransportEnd[];
  /**
   * Failed handshake requests made for this WebSocket channel on another channel (SignalR's
   * `<hub>/negotiate`): while the server is down, a client's retries fail there and never
   * reach the socket. Empty when none.
   */
  handshakeFailures?: readonly HandshakeFailure[];
}

/** A handshake request of the channel's client that failed (SignalR's negotiate): an attempt that never got to open the socket. */
export interface HandshakeFailure {
  start: number;
  end: number;
  cause: string;
}

/** A WebSocket transport of the same session that ended other than by the page's own close. */
export interface TransportEnd {
  t: number;
  /** How long it had been open; null when it never opened. */
  uptimeMs: number | null;
  cause: string;
  closeCode: number | null;
}

export interface PauseWindow {
  from: number;
  to: number;
}

/** True when a pause overlaps the span (a, b): what happened between a and b was not all seen. */
export function pausedBetween(pauses: readonly PauseWindow[], a: number, b: number): boolean {
  for (const p of pauses) if (p.from < b && p.to > a) return true;
  return false;
}

/** How much of the span (a, b) recording was paused, ms. */
export function pausedWithin(pauses: readonly PauseWindow[], a: number, b: number): number {
  let ms = 0;
  for (const p of pauses) ms += Math.max(0, Math.min(b, p.to) - Math.max(a, p.from));
  return ms;
}

/**
 * Until when a record was open: its end, or for one still open in the capture, the moment its
 * document went away (a `doc.end`, or the next top-level document shown: the browser closes a
 * document's connections without events when it navigates, reloads, discards the tab or
 * crashes), or else the end of the capture.
 */
export function openUntil(ctx: Pick<ChannelContext, 'captureEnd' | 'docEnds' | 'shownDocs' | 'worker'>, r: ConnRecord): number {
  if (r.end !== null) return r.end;
  const gone = r.doc === '' || ctx.worker ? null : docGoneAt(ctx, r.doc, r.start);
  return Math.max(gone === null ? ctx.captureEnd : Math.min(gone, ctx.captureEnd), r.start);
}

/** When document `doc` went away after `after`: its first `doc.end` from then, or the next other top-level document shown; null when neither came. */
export function docGoneAt(docs: Pick<ChannelContext, 'docEnds' | 'shownDocs'>, doc: string, after: number): number | null {
  let gone = Number.POSITIVE_INFINITY;
  for (const t of docs.docEnds?.get(doc) ?? []) {
    if (t >= after) {
      gone = t;
      break;
    }
  }
  for (const s of docs.shownDocs ?? []) {
    if (s.t > after && s.doc !== doc) {
      gone = Math.min(gone, s.t);
      break;
    }
  }
  return Number.isFinite(gone) ? gone : null;
}
