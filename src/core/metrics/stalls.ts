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

/** Reactions this long after the stall ended still count (the close handshake's round trip). */
const REACTION_GRACE_MS = 250;

/** Kinds whose incoming traffic a stall holds (WebSocket and EventSource messages). */
const STALLABLE: ReadonlySet<ChannelKind> = new Set(['websocket', 'sse']);

function openAt(r: ConnRecord, t: number): boolean {
  const opened = r.openAt ?? r.responseAt;
  return opened !== null && opened <= t && (r.end === null || r.end > t);
}

/** One check per injected stall that held a connection of this channel. */
export function measureStalls(ctx: ChannelContext, kind: ChannelKind): StallCheck[] {
  if (!STALLABLE.has(kind) || (ctx.transport !== 'websocket' && ctx.transport !== 'eventsource')) return [];
  const out: StallCheck[] = [];
  for (const f of ctx.faults) {
    if (f.fault !== 'stall' || f.phase !== 'start') continue;
    const durationMs = Number(f.params.durationMs);
    if (!Number.isFinite(durationMs) || durationMs <= 0) continue;
    const held = ctx.records.filter((r) => (f.conn === null || r.conn === f.conn) && openAt(r, f.t));
    if (held.length === 0) continue;
    let until = f.t + durationMs + REACTION_GRACE_MS;
    // A held connection that the server (or the network) ended during the stall was not
    // silent: the page just could not see its close yet. The test ends there, and a
    // reconnect after the stall released that close is no reaction to the silence.
    let serverEnd = Number.POSITIVE_INFINITY;
    for (const r of held) {
      if (r.end !== null && r.closeInitiator !== 'client' && r.end >= f.t && r.end < serverEnd && r.end <= until) serverEnd = r.end;
    }
    until = Math.min(until, serverEnd);
    let detectedAt = Number.POSITIVE_INFINITY;
    let reaction: StallCheck['reaction'] = null;
    for (const r of held) {
      if (r.end !== null && r.closeInitiator === 'client' && r.end >= f.t && r.end <= until && r.end < detectedAt) {
        detectedAt = r.end;
        reaction = 'closed';
      }
    }
    for (const r of ctx.records) {
      if (r.start > f.t && r.start <= until && r.start < detectedAt && !held.includes(r)) {
        detectedAt = r.start;
        reaction = 'reconnected';
      }
    }
    if (Number.isFinite(detectedAt)) out.push({ at: f.t, durationMs, detectedAfterMs: round1(detectedAt - f.t), reaction });
    else if (Number.isFinite(serverEnd)) out.push({ at: f.t, durationMs, detectedAfterMs: null, reaction: 'server-closed', serverClosedAfterMs: round1(serverEnd - f.t) });
    else out.push({ at: f.t, durationMs, detectedAfterMs: null, reaction: null });
  }
  return out;
}
