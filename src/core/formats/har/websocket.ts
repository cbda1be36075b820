/**
 * WebSocket entries: what one entry says (readWebSocketEntry), then what the
 * entries of a HAR say together (placeMonotonicAttempts, endSupersededSockets),
 * then the capture events (webSocketDrafts). source.ts states what each tool's
 * entry means; docs/capture-format.md states what a HAR cannot tell.
 */
import type { Direction, Payload } from '../../events.ts';
import { base64ToBytes, utf8Bytes } from '../../protocols/util.ts';
import { quoteValue } from '../../message-text.ts';
import { exactSeq, exactTime, leaveOut, phase, type Draft, type EntryFacts } from './entry.ts';
import { forEachItem, headerValue, isObj, num, seqPair, str, type Json, type SeqPair } from './fields.ts';
import { frameTimeMs, MONOTONIC_BEFORE_MS, recordsWebSocketLifetime, type HarSource } from './source.ts';
import { maxOf, minOf } from '../../stats.ts';

/** A close as the page's `close` event reports it. */
interface WsCloseFacts {
  t: number;
  code: number;
  reason: string;
  wasClean: boolean;
  initiator: 'client' | 'server';
}

/**
 * RFC 6455 §7.4.1: 1005 "no status code was present". A HAR says when a socket
 * closed but never with which code or by whom; the import says so with 1005.
 */
export const CLOSE_CODE_UNKNOWN = 1005;
/** RFC 6455 §7.4.1: 1006, closed abnormally: what the page sees when the handshake fails. */
const CLOSE_CODE_ABNORMAL = 1006;

/** What one WebSocket entry says, on its own clock. */
export interface WebSocketReading {
  facts: EntryFacts;
  /** 'monotonic': Chrome had no wall time for this attempt (it failed before its handshake request). */
  clock: 'wall' | 'monotonic';
  create: number;
  requested: string[];
  open: { t: number; protocol: string; extensions: string } | null;
  messages: Array<{ t: number; dir: Direction; data: Payload; origSeq?: SeqPair }>;
  errors: number[];
  close: WsCloseFacts | null;
  /** The last instant the entry shows the socket alive: its open or its last frame. */
  lastSeen: number;
  /** False when the tool does not record when a socket closed (Firefox, Playwright, unknown tools). */
  lifetimeKnown: boolean;
}

/** Whether an entry is a WebSocket (by type, scheme, a frames field, or an `Upgrade: websocket` request as Firefox writes it). */
export function isWebSocketEntry(facts: EntryFacts, entry: Json): boolean {
  return (
    facts.resourceType === 'websocket' ||
    /^wss?:/i.test(facts.url) ||
    (entry._webSocketMessages ?? null) !== null ||
    (headerValue(facts.request.headers, 'upgrade') ?? '').toLowerCase() === 'websocket'
  );
}

/** The socket's URL as the page gave it: an upgrade request written with http(s) becomes ws(s). */
function socketUrl(url: string): string {
  return url.replace(/^http(s?):/i, 'ws$1:');
}

/** The frames of an entry: data frames and error frames; any other element is counted as left out. */
function readFrames(facts: EntryFacts, entry: Json): Pick<WebSocketReading, 'messages' | 'errors'> {
  const messages: WebSocketReading['messages'] = [];
  const errors: number[] = [];
  forEachItem(entry._webSocketMessages, '_webSocketMessages', (what) => leaveOut(facts, what), (m, j) => {
    const time = num(m.time);
    if (time === null) return leaveOut(facts, `_webSocketMessages[${j}]: no time`);
    const t = frameTimeMs(time);
    const opcode = num(m.opcode);
    // Chrome DevTools writes frame errors (handshake failures too) as type 'error', opcode -1.
    if (m.type === 'error' || opcode === -1) {
      errors.push(t);
      return;
    }
    const data = str(m.data);
    // Only data frames (1 text, 2 binary); Chrome does not record control frames here, so another is not the page's.
    if (opcode !== 1 && opcode !== 2) return leaveOut(facts, `_webSocketMessages[${j}]: opcode ${quoteValue(m.opcode)} is not a data frame`);
    if (data === null) return leaveOut(facts, `_webSocketMessages[${j}]: no data`);
    const shown = opcode === 1 ? utf8Bytes(data).length : base64ToBytes(data).length;
    messages.push({
      t,
      dir: m.type === 'send' ? 'out' : 'in',
      data: { size: num(m._size) ?? shown, encoding: opcode === 1 ? 'text' : 'binary', data, truncated: m._truncated === true },
      origSeq: seqPair(m._seq),
    });
  });
  return { messages, errors };
}

/** Our export's `_webSocketClose`. */
function readExportedClose(v: unknown): WsCloseFacts | null {
  if (!isObj(v)) return null;
  const time = num(v.time);
  if (time === null) return null;
  return {
    t: time * 1000,
    code: num(v.code) ?? CLOSE_CODE_UNKNOWN,
    reason: str(v.reason) ?? '',
    wasClean: v.wasClean === true,
    initiator: v.initiator === 'client' ? 'client' : 'server',
  };
}

const unknownClose = (t: number): WsCloseFacts => ({ t, code: CLOSE_CODE_UNKNOWN, reason: '', wasClean: false, initiator: 'server' });
const failedClose = (t: number): WsCloseFacts => ({ t, code: CLOSE_CODE_ABNORMAL, reason: '', wasClean: false, initiator: 'server' });

/** Read one WebSocket entry. */
export function readWebSocketEntry(facts: EntryFacts, entry: Json, source: HarSource): WebSocketReading {
  const { messages, errors } = readFrames(facts, entry);
  const requested = (headerValue(facts.request.headers, 'sec-websocket-protocol') ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  const openHeaders = {
    protocol: headerValue(facts.response.headers, 'sec-websocket-protocol') ?? '',
    extensions: headerValue(facts.response.headers, 'sec-websocket-extensions') ?? '',
  };
  const firstFrame = messages.length > 0 ? minOf(messages.map((m) => m.t)) : Infinity;
  const lastFrame = messages.length > 0 ? maxOf(messages.map((m) => m.t)) : -Infinity;
  const withUrl = { ...facts, url: socketUrl(facts.url) };

  if (facts.extras) {
    // Our own export: exact times.
    const create = exactTime(facts, 'ws.create') ?? facts.started;
    const openT = exactTime(facts, 'ws.open');
    const open = openT !== null ? { t: openT, ...openHeaders } : null;
    return {
      facts: withUrl,
      clock: 'wall',
      create,
      requested,
      open,
      messages,
      errors,
      close: readExportedClose(entry._webSocketClose),
      lastSeen: Math.max(openT ?? create, lastFrame),
      lifetimeKnown: true,
    };
  }

  const failureText = str(facts.response._failureText);
  const opened = facts.status === 101;
  const chromeTimed = recordsWebSocketLifetime(source);
  let failed = false;
  if (!opened) {
    // A socket still in its handshake when the HAR was saved is pending, not failed.
    if (chromeTimed) failed = errors.length > 0 || facts.total > 0;
    else if (source === 'playwright') failed = failureText !== null || facts.status > 0;
    else failed = true;
  }
  const monotonic = source === 'chrome' && facts.started < MONOTONIC_BEFORE_MS;
  // Chrome without a wall time: its timings run from -1 s, so started + ttfb is the failure on its monotonic clock.
  const create = monotonic ? Math.min(facts.started + facts.ttfb, minOf(errors)) : facts.started;
  const reading: WebSocketReading = {
    facts: withUrl,
    clock: monotonic ? 'monotonic' : 'wall',
    create,
    requested,
    open: null,
    messages,
    errors,
    close: null,
    lastSeen: Math.max(create, lastFrame),
    lifetimeKnown: chromeTimed,
  };
  if (failed) {
    const durationKnown = source !== 'playwright' && facts.total >= 0;
    const end = Math.max(durationKnown ? facts.started + facts.total : create, maxOf(errors));
    if (errors.length === 0) errors.push(end);
    reading.close = failedClose(end);
    reading.lastSeen = end;
    reading.lifetimeKnown = true;
    return reading;
  }
  if (!opened) return reading;
  // Chrome and Firefox: without frames, the wait is the handshake; with frames Chrome's wait runs to the last
  // frame, and the handshake time is lost, so the socket counts as open from its start.
  const handshakeKnown = messages.length === 0 && source !== 'playwright';
  const openT = Math.min(handshakeKnown ? create + facts.ttfb : create, firstFrame);
  reading.open = { t: openT, ...openHeaders };
  reading.lastSeen = Math.max(openT, lastFrame);
  // Chrome: a socket closed before the HAR was saved has a receive phase (open or last frame → close).
  if (chromeTimed && phase(facts.timings, 'receive') > 0) reading.close = unknownClose(Math.max(create + facts.total, reading.lastSeen));
  return reading;
}

/** A gap between a channel's connections where attempts with no wall time could have happened. */
interface Gap {
  from: number;
  to: number;
}

function shiftReading(r: WebSocketReading, shift: number): void {
  r.create += shift;
  r.lastSeen += shift;
  r.errors = r.errors.map((t) => t + shift);
  for (const m of r.messages) m.t += shift;
  if (r.open) r.open.t += shift;
  if (r.close) r.close.t += shift;
  r.clock = 'wall';
}

/**
 * Attempts that failed before their handshake carry only Chrome's monotonic
 * clock. With the clock's offset (source.ts chromeMonotonicOffset) they are
 * placed exactly. Without it their spacing is still exact, not their place:
 * shift them, together (one clock), into the first gap between the wall-timed
 * connections of their URLs that holds them, splitting the gap's slack before
 * and after them in the proportion their own first and last delays suggest.
 * Returns a note for the import result when the place was estimated.
 */
export function placeMonotonicAttempts(readings: WebSocketReading[], offset: number | null, pageStart: number | null): string | null {
  const mono = readings.filter((r) => r.clock === 'monotonic').sort((a, b) => a.create - b.create);
  if (mono.length === 0) return null;
  if (offset !== null) {
    for (const r of mono) shiftReading(r, offset);
    return null;
  }
  const endOf = (r: WebSocketReading) => r.close?.t ?? r.lastSeen;
  const first = mono[0]!.create;
  const span = maxOf(mono.map(endOf)) - first;
  const urls = new Set(mono.map((r) => r.facts.url));
  const wall = readings.filter((r) => r.clock === 'wall');
  if (wall.length === 0) return `${mono.length} WebSocket attempt(s) carry only Chrome's monotonic clock and the HAR has no wall-clock time to place them by.`;
  const busy = wall
    .filter((r) => urls.has(r.facts.url))
    .map((r) => ({ from: r.create, to: r.close?.t ?? Infinity }))
    .sort((a, b) => a.from - b.from);
  const floor = pageStart ?? minOf(wall.map((r) => r.create));
  const gaps: Gap[] = [];
  let cursor = floor;
  for (const b of busy) {
    if (b.from > cursor) gaps.push({ from: cursor, to: b.from });
    cursor = Math.max(cursor, b.to);
  }
  if (Number.isFinite(cursor)) gaps.push({ from: cursor, to: Infinity });
  const delays: number[] = [];
  for (let i = 1; i < mono.length; i++) delays.push(Math.max(0, mono[i]!.create - endOf(mono[i - 1]!)));
  // Extrapolate one delay before the first attempt and one after the last from the attempts' own growth.
  const [d0, d1] = [delays[0], delays[1]];
  const [dn, dm] = [delays.at(-1), delays.at(-2)];
  const leadGuess = d0 === undefined ? 0 : d1 !== undefined && d1 > 0 ? (d0 * d0) / d1 : d0;
  const trailGuess = dn === undefined ? 0 : dm !== undefined && dm > 0 ? (dn * dn) / dm : dn;
  const gap = gaps.find((g) => g.to - g.from >= span) ?? gaps.at(-1);
  let start = gap?.from ?? floor;
  if (gap && Number.isFinite(gap.to)) {
    const slack = gap.to - gap.from - span;
    start += leadGuess + trailGuess > 0 ? (slack * leadGuess) / (leadGuess + trailGuess) : slack / 2;
  } else {
    start += leadGuess;
  }
  for (const r of mono) shiftReading(r, start - first);
  return `${mono.length} WebSocket attempt(s) that failed before their handshake (e.g. connection refused) carry only Chrome's monotonic clock: their spacing is exact, their place among the other connections is estimated.`;
}

/**
 * Firefox and Playwright do not record when a socket closed. A socket that the
 * page replaced by a later attempt on the same URL had ended by then: end it
 * at the last instant the HAR shows it alive (its open or last frame). The
 * delay to the next attempt is then only an upper bound (the socket may have
 * lived until just before it), so the close is marked as the page's own, which
 * keeps the reconnect out of the backoff fit (metrics/reconnects.ts). The last
 * socket of a URL stays open.
 */
export function endSupersededSockets(readings: WebSocketReading[]): void {
  const byUrl = new Map<string, WebSocketReading[]>();
  for (const r of readings) {
    const key = `${r.facts.ids.doc} ${r.facts.url}`;
    byUrl.set(key, [...(byUrl.get(key) ?? []), r]);
  }
  for (const group of byUrl.values()) {
    group.sort((a, b) => a.create - b.create);
    group.forEach((r, i) => {
      const next = group[i + 1];
      if (!next || r.lifetimeKnown || r.open === null || r.close !== null || r.lastSeen > next.create) return;
      r.close = { ...unknownClose(r.lastSeen), initiator: 'client' };
    });
  }
}

/** The capture events of a WebSocket reading. */
export function webSocketDrafts(r: WebSocketReading): Draft[] {
  const { facts } = r;
  const ids = facts.ids;
  const out: Draft[] = [{ event: { type: 'ws.create', t: r.create, url: facts.url, protocols: r.requested, ...ids }, origSeq: exactSeq(facts, 'ws.create') }];
  if (r.open) out.push({ event: { type: 'ws.open', t: r.open.t, protocol: r.open.protocol, extensions: r.open.extensions, ...ids }, origSeq: exactSeq(facts, 'ws.open') });
  for (const m of r.messages) out.push({ event: { type: 'ws.message', t: m.t, dir: m.dir, data: m.data, ...ids }, origSeq: m.origSeq });
  for (const t of r.errors) out.push({ event: { type: 'ws.error', t, ...ids } });
  if (r.close) {
    const { t, code, reason, wasClean, initiator } = r.close;
    out.push({ event: { type: 'ws.close', t, code, reason, wasClean, initiator, ...ids }, origSeq: exactSeq(facts, 'ws.close') });
  }
  return out;
}
