/**
 * Stall detection: when Realtime Inspector holds a connection's incoming traffic
 * (fault `stall`, src/content/page/faults.ts), did the client notice that the
 * connection had gone silent, and how fast? A client notices by giving up on the
 * connection: it closes it (WebSocket close(), EventSource close()) or opens a
 * replacement. Sending a ping into the silence is not noticing; acting on the
 * missing pong is.
 *
 * The page sees the close event of a connection it closed only when the stall
 * releases it, but the hooks time `ws.close` when the close handshake completed,
 * so the close time is the moment of detection (plus one round trip).
 */
import type { ChannelContext } from '../context.ts';
import type { ChannelKind, StallCheck } from '../report-types.ts';
import type { ConnRecord } from '../model.ts';
import { round1 } from '../stats.ts';
import { countAtOrBelow } from './pause-index.ts';

/** Reactions this long after the stall ended still count (the close handshake's round trip). */
const REACTION_GRACE_MS = 250;

/** Kinds whose incoming traffic a stall holds (WebSocket and EventSource messages). */
const STALLABLE: ReadonlySet<ChannelKind> = new Set(['websocket', 'sse']);

/** When a connection opened (its open event, else its response headers); null when it never did. */
function openedAt(r: ConnRecord): number | null {
  return r.openAt ?? r.responseAt;
}

function openAt(r: ConnRecord, t: number): boolean {
  const opened = openedAt(r);
  return opened !== null && opened <= t && (r.end === null || r.end > t);
}

/**
 * What a stall starting at `t` finds on the channel: whether it held a connection, the earliest end of a
 * held connection that the server or network ended and of one the page closed, and the earliest start of
 * a connection it did not hold that began after `t` (each +Infinity when none).
 */
interface StallFacts {
  held: boolean;
  serverEnd: number;
  clientEnd: number;
  nextStart: number;
}

/** A min-heap of keys, each valid while the sweep's time is below its expiry (removed lazily). */
class ExpiringMinHeap {
  private readonly keys: number[] = [];
  private readonly expiries: number[] = [];

  push(key: number, expiry: number): void {
    const { keys, expiries } = this;
    let i = keys.length;
    keys.push(key);
    expiries.push(expiry);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (keys[parent]! <= key) break;
      keys[i] = keys[parent]!;
      expiries[i] = expiries[parent]!;
      i = parent;
    }
    keys[i] = key;
    expiries[i] = expiry;
  }

  /** The least key still valid at `t` (+Infinity when none); the sweep's time only grows. */
  least(t: number): number {
    while (this.keys.length > 0 && this.expiries[0]! <= t) this.pop();
    return this.keys.length > 0 ? this.keys[0]! : Number.POSITIVE_INFINITY;
  }

  get size(): number {
    return this.keys.length;
  }

  private pop(): void {
    const { keys, expiries } = this;
    const lastKey = keys.pop()!;
    const lastExpiry = expiries.pop()!;
    const n = keys.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && keys[child + 1]! < keys[child]!) child++;
      if (keys[child]! >= lastKey) break;
      keys[i] = keys[child]!;
      expiries[i] = expiries[child]!;
      i = child;
    }
    keys[i] = lastKey;
    expiries[i] = lastExpiry;
  }
}

/**
 * The facts of page-wide stalls (which hold every open connection), by one sweep over the stall times in
 * order: n·log n where asking every connection at every stall was quadratic. A connection is held while
 * opened ≤ t < end; one that started after t is a new connection unless the stall held it (opened before
 * its own start, as out-of-order times can have it): so for t < min(start, opened), or end ≤ t < start.
 */
function pageWideFacts(records: readonly ConnRecord[], times: readonly number[]): StallFacts[] {
  const order = times.map((_, i) => i).sort((a, b) => times[a]! - times[b]!);
  const byOpen = records.filter((r) => openedAt(r) !== null).sort((a, b) => openedAt(a)! - openedAt(b)!);
  const reopenedAfterEnd = records.filter((r) => openedAt(r) !== null && r.end !== null && r.end < r.start).sort((a, b) => a.end! - b.end!);
  const serverEnds = new ExpiringMinHeap();
  const clientEnds = new ExpiringMinHeap();
  const starts = new ExpiringMinHeap();
  for (const r of records) starts.push(r.start, Math.min(r.start, openedAt(r) ?? Number.POSITIVE_INFINITY));
  let heldForGood = 0;
  let opened = 0;
  let reopened = 0;
  const out: StallFacts[] = new Array(times.length);
  for (const i of order) {
    const t = times[i]!;
    for (; opened < byOpen.length && openedAt(byOpen[opened]!)! <= t; opened++) {
      const r = byOpen[opened]!;
      if (r.end === null) heldForGood++;
      else (r.closeInitiator === 'client' ? clientEnds : serverEnds).push(r.end, r.end);
    }
    for (; reopened < reopenedAfterEnd.length && reopenedAfterEnd[reopened]!.end! <= t; reopened++) starts.push(reopenedAfterEnd[reopened]!.start, reopenedAfterEnd[reopened]!.start);
    const serverEnd = serverEnds.least(t);
    const clientEnd = clientEnds.least(t);
    out[i] = { held: heldForGood > 0 || serverEnds.size > 0 || clientEnds.size > 0, serverEnd, clientEnd, nextStart: starts.least(t) };
  }
  return out;
}

/** The facts of a stall on one connection: only that connection is held. */
function connectionFacts(held: ConnRecord | undefined, t: number, byStart: readonly ConnRecord[], starts: Float64Array): StallFacts {
  const none = { held: false, serverEnd: Infinity, clientEnd: Infinity, nextStart: Infinity };
  if (held === undefined || !openAt(held, t)) return none;
  const end = held.end ?? Number.POSITIVE_INFINITY;
  // The first connection to start after t, passing over the held one.
  let k = countAtOrBelow(starts, t);
  if (byStart[k] === held) k++;
  return {
    held: true,
    serverEnd: held.closeInitiator === 'client' ? Infinity : end,
    clientEnd: held.closeInitiator === 'client' ? end : Infinity,
    nextStart: k < byStart.length ? byStart[k]!.start : Infinity,
  };
}

/** One check per injected stall that held a connection of this channel. */
export function measureStalls(ctx: ChannelContext, kind: ChannelKind): StallCheck[] {
  if (!STALLABLE.has(kind) || (ctx.transport !== 'websocket' && ctx.transport !== 'eventsource')) return [];
  const stalls = ctx.faults.filter((f) => f.fault === 'stall' && f.phase === 'start' && Number.isFinite(Number(f.params.durationMs)) && Number(f.params.durationMs) > 0);
  if (stalls.length === 0) return [];
  const byStart = ctx.records.slice().sort((a, b) => a.start - b.start);
  const starts = Float64Array.from(byStart, (r) => r.start);
  const byConn = new Map(ctx.records.map((r) => [r.conn, r]));
  const pageWide = stalls.filter((f) => f.conn === null);
  const pageWideAnswers = pageWideFacts(ctx.records, pageWide.map((f) => f.t));
  let nextPageWide = 0;
  const out: StallCheck[] = [];
  for (const f of stalls) {
    const facts = f.conn === null ? pageWideAnswers[nextPageWide++]! : connectionFacts(byConn.get(f.conn), f.t, byStart, starts);
    if (!facts.held) continue;
    const durationMs = Number(f.params.durationMs);
    let until = f.t + durationMs + REACTION_GRACE_MS;
    // A held connection that the server (or the network) ended during the stall was not
    // silent: the page just could not see its close yet. The test ends there, and a
    // reconnect after the stall released that close is no reaction to the silence.
    const serverEnd = facts.serverEnd <= until ? facts.serverEnd : Number.POSITIVE_INFINITY;
    until = Math.min(until, serverEnd);
    let detectedAt = Number.POSITIVE_INFINITY;
    let reaction: StallCheck['reaction'] = null;
    if (facts.clientEnd <= until) {
      detectedAt = facts.clientEnd;
      reaction = 'closed';
    }
    if (facts.nextStart <= until && facts.nextStart < detectedAt) {
      detectedAt = facts.nextStart;
      reaction = 'reconnected';
    }
    if (Number.isFinite(detectedAt)) out.push({ at: f.t, durationMs, detectedAfterMs: round1(detectedAt - f.t), reaction });
    else if (Number.isFinite(serverEnd)) out.push({ at: f.t, durationMs, detectedAfterMs: null, reaction: 'server-closed', serverClosedAfterMs: round1(serverEnd - f.t) });
    else out.push({ at: f.t, durationMs, detectedAfterMs: null, reaction: null });
  }
  return out;
}
