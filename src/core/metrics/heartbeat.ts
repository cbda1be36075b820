/**
 * Heartbeat: protocol-known pings/pongs (decoder role 'heartbeat'), else
 * periodic small repeated messages in either direction; its interval,
 * direction, jitter, and the longest idle gap on an open connection.
 *
 * Libraries differ (see issue 4): engine.io 4+ has the server ping and the
 * client answer; graphql-ws lets either side ping; some restart the timer on
 * any traffic, so a heartbeat is "at most every N s of silence": the pattern
 * test therefore accepts regular intervals OR regular silence before each beat.
 */
import { openUntil, type ChannelContext } from '../context.ts';
import type { ChannelKind, Heartbeat, HeartbeatDirection } from '../report-types.ts';
import type { Direction } from '../events.ts';
import { allMessages, type ConnMessage } from '../model.ts';
import { percentile, median, regularity, round1 } from '../stats.ts';
import { decodeMessage } from '../protocols/index.ts';
import { flattenDecoded, isRecord } from '../protocols/util.ts';
import { httpCycles } from '../classify/http-cycles.ts';
import { countAtOrBelow, indexPauses, type PauseIndex } from './pause-index.ts';

/** Mobile carriers kill idle TCP connections after 30-60 s (docs/domain.md, "Idle connections"): 30 s is the safe bound. */
export const IDLE_LIMIT_MS = 30_000;
/** Largest message that can be a heartbeat by pattern alone. */
export const HEARTBEAT_MAX_BYTES = 64;
/** Repeats needed before a pattern counts as a heartbeat. */
export const HEARTBEAT_MIN_REPEATS = 3;
/** A reply follows its ping within this long. */
const REPLY_WINDOW_MS = 2000;

const HEARTBEAT_WORD = /ping|pong|heart_?beat|keep-?alive|\bhb\b|noop|idle/i;

/**
 * The interval a server announced in its handshake, when fewer than two beats
 * were seen: engine.io's open packet `0{"sid":…,"pingInterval":25000,…}`
 * (engine.io 6.6 build/socket.js sendOpenPacket / engine.io-client 6.6 lib/socket.ts onHandshake).
 */
const ANNOUNCED_INTERVAL = /^(?:\d+:)?0\{.*"pingInterval"\s*:\s*(\d+)/s;

function announcedInterval(texts: Iterable<string>): number | null {
  for (const text of texts) {
    const m = ANNOUNCED_INTERVAL.exec(text);
    if (m) return Number(m[1]);
  }
  return null;
}

/**
 * The engine.io sessions a channel's handshakes opened: sid → announced pingInterval.
 * With socket.io-client's default transports the open packet travels on the polling
 * channel, and the socket the session upgrades to (`...transport=websocket&sid=<sid>`)
 * never repeats it (engine.io-client 6.6 lib/socket.ts: the upgrade probe is "2probe").
 */
export function announcedSessions(ctx: Pick<ChannelContext, 'records' | 'protocol'>): Map<string, number> {
  const out = new Map<string, number>();
  const protocol = ctx.protocol;
  if (protocol === null) return out;
  for (const r of ctx.records) {
    // Only bodies that can hold an open packet are decoded (a long-poll channel has many).
    if (r.body === null || r.body.encoding !== 'text' || !r.body.data.includes('"pingInterval"')) continue;
    // The protocol's own decoder reads the open packet (payload framing, EIO3 length prefixes).
    for (const d of flattenDecoded(decodeMessage(protocol, r.body, 'in'))) {
      const v = d.value;
      const open = isRecord(v) && v.engine === 'open' && isRecord(v.handshake) ? v.handshake : null;
      if (open && typeof open.sid === 'string' && typeof open.pingInterval === 'number' && open.pingInterval > 0) out.set(open.sid, open.pingInterval);
    }
  }
  return out;
}

/** Text payloads of a channel in order: messages, then (for HTTP transports) response bodies. */
function* payloadTexts(ctx: ChannelContext): Generator<string> {
  for (const r of ctx.records) {
    for (const m of r.messages) if (m.data !== null && m.data.encoding === 'text' && m.role === 'handshake') yield m.data.data;
    if (r.body !== null && r.body.encoding === 'text') yield r.body.data;
  }
}

export interface HeartbeatResult {
  /** Null for channels that are not long-lived connections. */
  heartbeat: Heartbeat | null;
  /** Heartbeat messages seen (both directions), in time order. */
  beats: Array<{ t: number; dir: Direction }>;
  /** Intervals between beats of the initiating side. */
  intervals: number[];
  /** Silences above IDLE_LIMIT_MS on open connections. */
  idleGaps: Array<{ start: number; end: number }>;
  /** Total time connections were open. */
  openMs: number;
}

const LONG_LIVED: ReadonlySet<ChannelKind> = new Set(['websocket', 'sse', 'streaming']);

/** Shared copies of pattern keys: heartbeats repeat the same few keys thousands of times. */
const INTERNED = new Map<string, string>();
const INTERN_LIMIT = 4096;

function intern(key: string | null): string | null {
  if (key === null) return null;
  const shared = INTERNED.get(key);
  if (shared !== undefined) return shared;
  if (INTERNED.size < INTERN_LIMIT) INTERNED.set(key, key);
  return key;
}

function patternKey(m: ConnMessage): string | null {
  if (m.patternKey === undefined) m.patternKey = intern(computePatternKey(m));
  return m.patternKey;
}

function computePatternKey(m: ConnMessage): string | null {
  if (m.kind === 'sse-comment') return 'sse-comment';
  if (m.kind === 'sse' && m.event !== null && m.event !== 'message' && HEARTBEAT_WORD.test(m.event)) return `event:${m.event}`;
  if (m.size > HEARTBEAT_MAX_BYTES) return null;
  // Bytes whose text was not kept (a HAR saved without content, DevTools' sanitized export):
  // nothing says they repeat.
  if (m.size > 0 && m.sample === '') return null;
  if (HEARTBEAT_WORD.test(m.sample)) return `${m.dir}|${m.sample.replace(/\d+/g, '#')}`;
  // Byte-identical tiny repeats ("2", "\n", "{}", h) without a heartbeat word.
  if (m.size <= 16) return `${m.dir}|=${m.sample}`;
  return null;
}

const NO_PAUSES = indexPauses([]);

interface Located {
  m: ConnMessage;
  rec: number;
  /** Index in its record's message list. */
  idx: number;
}

function intervalsWithin(items: readonly Located[], pauses: PauseIndex = NO_PAUSES): number[] {
  const out: number[] = [];
  for (let i = 1; i < items.length; i++) {
    const a = items[i - 1]!;
    const b = items[i]!;
    // Beats sent while recording was paused were not seen: no interval spans a pause.
    if (b.rec === a.rec && !pauses.between(a.m.t, b.m.t)) out.push(b.m.t - a.m.t);
  }
  return out;
}

/** Silence before each item (since any message on the same record). */
function silencesBefore(items: readonly Located[], perRecord: readonly ConnMessage[][], pauses: PauseIndex): number[] {
  const out: number[] = [];
  for (const it of items) {
    if (it.idx === 0) continue;
    const before = perRecord[it.rec]![it.idx - 1]!.t;
    if (!pauses.between(before, it.m.t)) out.push(it.m.t - before);
  }
  return out;
}

/**
 * Heartbeats: the protocol's, else a kind of message that recurs on a regular timer or after a
 * regular silence. Spans over a pause are no interval (recording paused; a document cached, or
 * frozen and then given what arrived meanwhile all at once).
 */
function findBeats(perRecord: readonly ConnMessage[][], pauses: PauseIndex): { beats: Located[]; source: 'protocol' | 'pattern' | null } {
  const protocol: Located[] = [];
  const groups = new Map<string, Located[]>();
  perRecord.forEach((list, rec) => {
    list.forEach((m, idx) => {
      if (m.role === 'heartbeat') protocol.push({ m, rec, idx });
      const key = patternKey(m);
      if (key === null) return;
      const g = groups.get(key);
      if (g) g.push({ m, rec, idx });
      else groups.set(key, [{ m, rec, idx }]);
    });
  });
  if (protocol.length > 0) return { beats: protocol, source: 'protocol' };
  const beats: Located[] = [];
  for (const g of groups.values()) {
    if (g.length < HEARTBEAT_MIN_REPEATS) continue;
    const regularTimer = regularity(intervalsWithin(g, pauses), 0.3) >= 0.6;
    const regularSilence = regularity(silencesBefore(g, perRecord, pauses), 0.3) >= 0.6;
    // One by one: spreading a group of a few hundred thousand beats as arguments overflows the stack.
    if (regularTimer || regularSilence) for (const b of g) beats.push(b);
  }
  beats.sort((a, b) => a.m.t - b.m.t || a.rec - b.rec);
  return { beats, source: beats.length > 0 ? 'pattern' : null };
}

/** Median gap between consecutive beats of one side on the same connection. */
function sideInterval(beats: readonly Located[]): number {
  const gaps: number[] = [];
  for (let i = 1; i < beats.length; i++) if (beats[i]!.rec === beats[i - 1]!.rec) gaps.push(beats[i]!.m.t - beats[i - 1]!.m.t);
  return gaps.length > 0 ? median(gaps) : Number.POSITIVE_INFINITY;
}

/**
 * Which side starts the exchange: a reply follows the other side's beat within a
 * round trip, a small part of the interval. The window is REPLY_WINDOW_MS, or a
 * quarter of the beat interval when beats are faster (with Phoenix's heartbeat at
 * 250 ms every beat follows the other side's within 2 s, whoever sent it), so two
 * sides pinging on their own timers (SignalR) read as 'both'.
 */
function initiator(beats: readonly Located[]): HeartbeatDirection {
  const ins = beats.filter((b) => b.m.dir === 'in');
  const outs = beats.filter((b) => b.m.dir === 'out');
  if (outs.length === 0) return 'server';
  if (ins.length === 0) return 'client';
  const window = Math.min(REPLY_WINDOW_MS, 0.25 * Math.min(sideInterval(ins), sideInterval(outs)));
  if (shareFollowing(outs, ins, window) >= 0.8) return 'server';
  if (shareFollowing(ins, outs, window) >= 0.8) return 'client';
  return 'both';
}

/**
 * Share of `replies` that come at most `window` ms after one of `pings` on the same connection. The
 * nearest ping at or before a reply decides, found by binary search among its connection's ping times:
 * n·log n, where testing every ping for every reply made alternating tiny messages quadratic.
 */
function shareFollowing(replies: readonly Located[], pings: readonly Located[], window: number): number {
  const timesByRec = new Map<number, number[]>();
  for (const p of pings) {
    const list = timesByRec.get(p.rec);
    if (list) list.push(p.m.t);
    else timesByRec.set(p.rec, [p.m.t]);
  }
  const sortedByRec = new Map<number, Float64Array>();
  for (const [rec, times] of timesByRec) sortedByRec.set(rec, Float64Array.from(times).sort());
  let following = 0;
  for (const r of replies) {
    const times = sortedByRec.get(r.rec);
    if (times === undefined) continue;
    const atOrBefore = countAtOrBelow(times, r.m.t);
    if (atOrBefore > 0 && r.m.t - times[atOrBefore - 1]! <= window) following++;
  }
  return following / replies.length;
}

/**
 * Long polling with a known protocol: pings travel in held responses (engine.io
 * answers a held GET with "2" at each pingInterval); the longest hold is the idle time.
 */
function longPollHeartbeat(ctx: ChannelContext, empty: HeartbeatResult): HeartbeatResult {
  const protocol = ctx.protocol;
  if (protocol === null) return empty;
  const c = httpCycles(ctx);
  const beats: Array<{ t: number; dir: Direction }> = [];
  for (const r of c.requests) {
    if (r.end === null || r.body === null || r.body.size === 0) continue;
    let role: string;
    try {
      role = decodeMessage(protocol, r.body, 'in').role;
    } catch {
      continue;
    }
    if (role === 'heartbeat') beats.push({ t: r.end, dir: 'in' });
  }
  if (beats.length === 0) return empty;
  const intervals: number[] = [];
  for (let i = 1; i < beats.length; i++) intervals.push(beats[i]!.t - beats[i - 1]!.t);
  let maxIdleMs = c.holds.length > 0 ? Number.NEGATIVE_INFINITY : 0;
  // Not Math.max(...holds): a few hundred thousand arguments overflow the stack.
  for (const hold of c.holds) if (hold > maxIdleMs) maxIdleMs = hold;
  return {
    heartbeat: {
      intervalMs: intervals.length > 0 ? round1(median(intervals)) : announcedInterval(payloadTexts(ctx)),
      direction: 'server',
      jitterMs: intervals.length > 1 ? round1(percentile(intervals, 95) - percentile(intervals, 5)) : null,
      maxIdleMs: round1(maxIdleMs),
      source: 'protocol',
    },
    beats,
    intervals,
    idleGaps: [],
    openMs: 0,
  };
}

/** Heartbeat measures of a long-lived channel (null heartbeat for other kinds). */
export function measureHeartbeat(ctx: ChannelContext, kind: ChannelKind): HeartbeatResult {
  const empty: HeartbeatResult = { heartbeat: null, beats: [], intervals: [], idleGaps: [], openMs: 0 };
  if (kind === 'long-polling') return longPollHeartbeat(ctx, empty);
  if (!LONG_LIVED.has(kind)) return empty;
  const records = ctx.records.filter((r) => kind !== 'streaming' || r.chunks.length > 0 || r.sse);
  const perRecord = records.map((r) => allMessages(r));
  const pauses = indexPauses(ctx.pauses);
  let maxIdleMs = 0;
  let openMs = 0;
  const idleGaps: Array<{ start: number; end: number }> = [];
  records.forEach((r, i) => {
    const open = r.openAt ?? r.responseAt;
    if (open === null) return;
    const end = openUntil(ctx, r);
    openMs += Math.max(0, end - open - pauses.within(open, end));
    const times = [open, ...perRecord[i]!.map((m) => m.t), end];
    for (let k = 1; k < times.length; k++) {
      // Silence while recording was paused is unknown, not idle.
      if (pauses.between(times[k - 1]!, times[k]!)) continue;
      const gap = times[k]! - times[k - 1]!;
      if (gap > maxIdleMs) maxIdleMs = gap;
      if (gap > IDLE_LIMIT_MS) idleGaps.push({ start: times[k - 1]!, end: times[k]! });
    }
  });
  const { beats, source } = findBeats(perRecord, pauses);
  if (beats.length === 0) {
    return {
      heartbeat: { intervalMs: null, direction: null, jitterMs: null, maxIdleMs: round1(maxIdleMs), source: null },
      beats: [],
      intervals: [],
      idleGaps,
      openMs,
    };
  }
  const direction = initiator(beats);
  const leading = direction === 'both' ? beats : beats.filter((b) => b.m.dir === (direction === 'server' ? 'in' : 'out'));
  const intervals =
    direction === 'both'
      ? [...intervalsWithin(beats.filter((b) => b.m.dir === 'in'), pauses), ...intervalsWithin(beats.filter((b) => b.m.dir === 'out'), pauses)]
      : intervalsWithin(leading, pauses);
  return {
    heartbeat: {
      intervalMs:
        intervals.length > 0 ? round1(median(intervals)) : source === 'protocol' ? (announcedInterval(payloadTexts(ctx)) ?? ctx.announcedPingMs ?? null) : null,
      direction,
      jitterMs: intervals.length > 1 ? round1(percentile(intervals, 95) - percentile(intervals, 5)) : null,
      maxIdleMs: round1(maxIdleMs),
      source,
    },
    beats: beats.map((b) => ({ t: b.m.t, dir: b.m.dir })),
    intervals,
    idleGaps,
    openMs,
  };
}
