/**
 * The wire between the MAIN-world page hooks and the isolated-world relay of the
 * same frame. Both worlds share the DOM only, so messages travel as CustomEvents
 * whose `detail` is a JSON string (strings cross worlds intact; objects may not).
 *
 * They are dispatched on a private channel, not on `document`: a detached element
 * the relay creates and hands to the hooks at document_start, before any page
 * script exists, as the `relatedTarget` of a MouseEvent (DOM objects, unlike a
 * CustomEvent's detail, reach the other world as themselves). Events dispatched
 * on a node outside the document reach only the node's own listeners, so page
 * code can neither read nor write the channel: it cannot switch recording off,
 * inject faults, or forge the hooks' events, counters or document starts.
 *
 * The handshake, in either start order (both run at document_start, the hooks first
 * in the manifest): the relay offers the channel on `document` as it starts
 * (CHANNEL_OFFER_EVENT); hooks that start later ask for it (CHANNEL_REQUEST_EVENT)
 * and the relay offers it again, once. The hooks take the first offer only and then
 * say hello on the channel; the relay answers `ready` and the config. Everything a
 * page dispatches under these names on `document` or `window` later is refused, and
 * the relay counts it (`rejected`).
 *
 * The relay runs on the page's thread, so it does not parse event messages: it
 * reads the event count from the message's fixed header (`pageEventsCount`) and
 * forwards the string as it came. The background parses it and checks every
 * event with the one guard (`parsePageEvents` in src/shared/page-events.ts),
 * off the page's thread.
 *
 * Payload texts are serialised once: an events message is the JSON of a small
 * envelope, then a newline and the events' payload texts one after another
 * (`encodePageEvents`), not escaped into the page's JSON and then escaped again
 * by the port's own serialisation (BENCHMARKS.md); WebSocket and SSE messages,
 * what a flood is made of, travel as arrays of their values, without keys (see
 * COMPACT_WS). Anything that reads page
 * messages decodes them with `decodePageEvents` (the background, through
 * `parsePageEvents`; the Playwright route; the browser tests' collector).
 */
import type { CaptureEvent } from '../core/events.ts';
import { hasOwn, isArray } from '../core/primordials.ts';
import { PAGE_MESSAGE_MAX_EVENTS } from './constants.ts';

export const PAGE_BRIDGE_VERSION = 1;

/** Page hooks → relay, on the private channel. */
export const PAGE_TO_RELAY_EVENT = 'realtime-inspector:page';
/** Relay → page hooks (configuration, fault injection), on the private channel. */
export const RELAY_TO_PAGE_EVENT = 'realtime-inspector:control';
/** Relay → hooks on `document`: a MouseEvent whose `relatedTarget` is the private channel. */
export const CHANNEL_OFFER_EVENT = 'realtime-inspector:channel';
/** Hooks → relay on `document`: offer the channel (to a relay that started before the hooks). */
export const CHANNEL_REQUEST_EVENT = 'realtime-inspector:request';

/** The envelope of an events message (see `encodePageEvents` for the texts that follow it). */
export interface PageEventsEnvelope {
  v: typeof PAGE_BRIDGE_VERSION;
  kind: 'events';
  n: number;
  events: CaptureEvent[];
  /**
   * The document of every event that leaves out `doc` (the hooks' do: it is the same for
   * all); `seq` and `frameId`, which the background sets, are left out too and read as 0.
   */
  doc?: string;
  /**
   * The payload texts taken out of object events, in the order they follow the envelope
   * (event order, among compact events' texts): [event index, field (TEXT_FIELDS), length in
   * UTF-16 units] per text. Absent when none.
   */
  texts?: number[];
  /**
   * The time base of the message's compact events (epoch ms, the first one's `t`): a compact
   * event carries its `t` as whole microseconds since the previous one's (the first's since
   * this). Absent when none is compact.
   */
  t0?: number;
  /** The connections compact events refer to by index (`COMPACT_CONNS` at most). Absent when none is compact. */
  conns?: string[];
}

/** Message from the page hooks to the relay. */
export type PageToRelay =
  /**
   * Serialised with its keys in this order (`encodePageEvents`): the relay reads
   * `n` from the text's start without parsing the rest.
   */
  | PageEventsEnvelope
  /** Sent once by the hooks on the channel they were given; the relay answers with `ready` and the config. */
  | { v: typeof PAGE_BRIDGE_VERSION; kind: 'hello'; doc: string };

/** A fault the page hooks inject into the page's own connections. */
export type FaultCommand =
  /** End open WebSockets (close 1006, wasClean false) and SSE/streaming responses as a network drop would. */
  | { fault: 'drop'; conn: string | null }
  /** For durationMs: new connections and requests fail as offline; open ones are dropped. */
  | { fault: 'offline'; durationMs: number }
  /** Deliver a server close with this code to open WebSockets. */
  | { fault: 'close'; code: number; reason: string; conn: string | null }
  /** Hold incoming messages for durationMs, then deliver them. */
  | { fault: 'stall'; durationMs: number; conn: string | null }
  /** Add delayMs to responses and incoming messages for durationMs (0 = until cleared). */
  | { fault: 'latency'; delayMs: number; durationMs: number };

/** Message from the relay to the page hooks. */
export type RelayToPage =
  | { v: typeof PAGE_BRIDGE_VERSION; kind: 'ready' }
  | { v: typeof PAGE_BRIDGE_VERSION; kind: 'config'; recording: boolean; maxTextChars: number }
  | { v: typeof PAGE_BRIDGE_VERSION; kind: 'fault'; command: FaultCommand };

/** The envelope of an events message, its keys in the order `pageEventsCount` reads (texts still in the events). */
export function pageEventsMessage(events: CaptureEvent[]): PageEventsEnvelope {
  return { v: PAGE_BRIDGE_VERSION, kind: 'events', n: events.length, events };
}

/**
 * Where a payload text may sit in an event, by field number in `texts`: 0 the `data`
 * Payload's text (WebSocket, SSE, WebTransport messages, binary chunks), 1 the `body`
 * Payload's (http.end), 2 an http.chunk's `preview`.
 */
const TEXT_FIELDS = 3;

type Holder = Record<string, unknown>;

/**
 * The object holding field `field`'s text in `event` (a Payload, or the event for a preview),
 * or null. Own members only: in the page hooks a member an event lacks would be looked up on
 * Object.prototype, where a page's getter would run with the event.
 */
function textHolder(event: Holder, field: number): Holder | null {
  if (field === 2) return hasOwn(event, 'preview') ? event : null;
  const name = field === 0 ? 'data' : 'body';
  if (!hasOwn(event, name)) return null;
  const payload = event[name];
  return payload !== null && typeof payload === 'object' && hasOwn(payload, 'data') ? (payload as Holder) : null;
}

const textKey = (field: number) => (field === 2 ? 'preview' : 'data');

/**
 * Compact events: the two kinds a flood is made of (one per WebSocket or SSE message)
 * travel as arrays of their values instead of objects, so that neither the page's JSON nor
 * the port's serialisation writes their keys (an SSE event took 212 characters of JSON as
 * an object and 67 as an array; BENCHMARKS.md). Only an event of exactly the hooks' shape
 * is made compact (anything else travels as an object, unchanged):
 *
 *   ws.message  [1, len, µs, dir, pseq, conn, size, encoding, cut]
 *   sse.message [2, len, µs, id, lastEventId, pseq, conn, size, encoding, cut, event, retry]
 *
 * Trailing values equal to their default are left out (COMPACT_DEFAULTS), so a flood's
 * message is a handful of characters besides its text (`[1,62,18]`, `[2,62,12,1,"4711"]`):
 * the extension port's serialisation (a structured clone from Chrome 148) costs the page
 * 5–9 ns per character, whatever the character.
 *
 * - `len`: the length of the payload's text, which follows in the message's texts at this
 *   event's place (a compact event's text has no entry in `texts`).
 * - `µs`: whole microseconds since the previous compact event of the message, the first's
 *   since the envelope's `t0` (the page's clock ticks in 5 or 100 µs, so rounding loses
 *   nothing it measured). Steps chain only through times that are whole safe integers of
 *   microseconds from `t0` (both sides apply the same rule, `chained`): a time that is not a
 *   number, or over 285 years away, affects its own event alone.
 * - `dir`: 0 in (default) or 1 out.
 * - `pseq`: the difference from the previous compact event's pseq (the first's from 0),
 *   chained as the time is; default 1.
 * - `conn`: an index into the envelope's `conns` (or the string itself beyond
 *   COMPACT_CONNS); default 0.
 * - `size`: the payload's UTF-8 size; default -1 (SIZE_OF_TEXT, only with text kept whole),
 *   the UTF-8 length of the text, counted by the reader (off the page's thread: 35–170 ns a
 *   message there).
 * - `encoding`: 0 text (default) or 1 binary. `cut`: 0 whole (default), 1 truncated, 2
 *   truncated and sampled.
 * - `id`: 1 the same as `lastEventId` (an event with an `id:` line: its id is the new last
 *   event id), 0 not read (`idUnread`, id null), or the id (null: default). The id is not
 *   written again beside `lastEventId`.
 * - `lastEventId`: default the previous compact SSE event's of the message ('' for the
 *   first), of any connection.
 * - `event`: 0 is 'message' (the type of nearly every event; default). `retry`: default null.
 */
export const COMPACT_WS = 1;
export const COMPACT_SSE = 2;
/** Compact `size`: the UTF-8 length of the payload text, which is kept whole; the reader counts it. */
export const SIZE_OF_TEXT = -1;
/** Compact SSE `id`: not read (`idUnread`, id null). */
export const SSE_ID_UNREAD = 0;
/** Compact SSE `id`: the event's id is its `lastEventId`. */
export const SSE_ID_CHANGED = 1;

/** The compact SSE `event` of an event type: 0 for 'message'. */
export function sseEventCode(type: string): string | 0 {
  return type === 'message' ? 0 : type;
}

/** The compact SSE `id` of an event whose id is known: SSE_ID_CHANGED when it is the (new) lastEventId, else the id itself. */
export function sseIdCode(id: string | null, lastEventId: string): string | typeof SSE_ID_CHANGED | null {
  return id !== null && id === lastEventId ? SSE_ID_CHANGED : id;
}

/**
 * A WebSocket or SSE message as the page hooks queue it: its values, with its connection
 * id, its absolute time (epoch ms), its absolute pseq and its payload text as the last
 * element, so that no event object and no Payload object is made per message (the
 * allocation a flood's every message paid for):
 *
 *   [COMPACT_WS, conn, t, pseq, size, encoding, cut, dir, text]
 *   [COMPACT_SSE, conn, t, pseq, size, encoding, cut, event, id, lastEventId, retry, text]
 *
 * with `event` and `id` already in their compact codes (0 for 'message'; 1, 0 or null) and
 * `size` possibly SIZE_OF_TEXT. `encodePageEvents` writes it as the compact event above
 * (reordered, made relative, its defaults left out), its text in the message's texts.
 */
export type QueuedMessage = unknown[];
/** Connections listed in an envelope's `conns`; a batch's compact events rarely span more. */
const COMPACT_CONNS = 16;

/** Keys of a hooks ws.message: type, conn, dir, data, t, pseq. */
const WS_KEYS = 6;
/** Keys of a hooks sse.message: type, conn, event, data, id, lastEventId, retry, t, pseq. */
const SSE_KEYS = 9;

/** Own and inherited enumerable keys (for-in: no method a page can replace). */
function keyCount(value: Holder): number {
  let n = 0;
  for (const _ in value) n++;
  return n;
}

/** The cut code of a hooks Payload (size, encoding, data, truncated[, sampled]), or -1 when it is not one. */
function payloadCut(payload: unknown): number {
  if (payload === null || typeof payload !== 'object') return -1;
  const p = payload as Holder;
  if (typeof p.size !== 'number' || typeof p.data !== 'string' || (p.encoding !== 'text' && p.encoding !== 'binary')) return -1;
  const keys = keyCount(p);
  if (keys === 4 && typeof p.truncated === 'boolean') return p.truncated ? 1 : 0;
  if (keys === 5 && p.truncated === true && hasOwn(p, 'sampled') && p.sampled === true) return 2;
  return -1;
}

/**
 * Defaults of a compact event's values by position (see COMPACT_WS), the first three having
 * none; LAST_EVENT_ID stands for the previous compact SSE event's lastEventId.
 */
const LAST_EVENT_ID = { previous: true };
const COMPACT_DEFAULTS: Record<number, readonly unknown[]> = {
  [COMPACT_WS]: [undefined, undefined, undefined, 0, 1, 0, SIZE_OF_TEXT, 0, 0],
  [COMPACT_SSE]: [undefined, undefined, undefined, null, LAST_EVENT_ID, 1, 0, SIZE_OF_TEXT, 0, 0, 0, null],
};
/** Values every compact event writes: its code, its text's length and its time. */
const COMPACT_REQUIRED = 3;

/** Number.MAX_SAFE_INTEGER, as a literal (the page can replace `Number`). */
const MAX_SAFE = 9007199254740991;

/**
 * Whether a compact step `delta` from `state` moves the state on (the writer's and the
 * reader's same rule on the same doubles, so they stay in step): both it and the sum are
 * safe integers' magnitudes (NaN fails). Anything else affects its own event alone.
 */
function chained(state: number, delta: number): boolean {
  const next = state + delta;
  return delta >= -MAX_SAFE && delta <= MAX_SAFE && next >= -MAX_SAFE && next <= MAX_SAFE && delta - (delta % 1) === delta;
}

/** Builds one message's compact events: their time base, connection table and the state their deltas and defaults run on. */
class CompactWriter {
  t0 = 0;
  /** Whether t0 is set, and whether any compact event was written. */
  timed = false;
  used = false;
  readonly conns: string[] = [];
  /** Of the previous compact event: its microseconds from t0, its pseq, and the previous SSE event's lastEventId. */
  private micros0 = 0;
  private pseq0 = 0;
  private lastEventId = '';

  private conn(conn: string): number | string {
    const conns = this.conns;
    for (let i = 0; i < conns.length; i++) if (conns[i] === conn) return i;
    if (conns.length >= COMPACT_CONNS) return conn;
    conns[conns.length] = conn;
    return conns.length - 1;
  }

  /**
   * Whole microseconds from t0, rounded half up, with operators only (no page-replaceable
   * Math): `| 0` within 35 minutes of t0 (a double's `%` is a call into the C library, which
   * cost the page more than the rest of this writer), `%` beyond.
   */
  private micros(t: number): number {
    const us = (t - this.t0) * 1000 + 0.5;
    if (us >= 0 && us < 2147483647) return us | 0;
    const whole = us - (us % 1);
    return us < 0 && whole !== us ? whole - 1 : whole;
  }

  /**
   * The compact event of one message, its trailing defaults left out: `values` holds them
   * all by position, with the time in epoch ms, the pseq absolute and the connection id;
   * they are made relative here.
   */
  private finish(values: unknown[]): unknown[] {
    const t = values[2] as number;
    this.used = true;
    // The time base is the first time that is a number (t - t is NaN for NaN and ±Infinity).
    if (!this.timed && t - t === 0) {
      this.timed = true;
      this.t0 = t;
    }
    const dMicros = this.micros(t) - this.micros0;
    values[2] = dMicros;
    if (chained(this.micros0, dMicros)) this.micros0 += dMicros;
    const isWs = values[0] === COMPACT_WS;
    const pseqAt = isWs ? 4 : 5;
    const dPseq = (values[pseqAt] as number) - this.pseq0;
    values[pseqAt] = dPseq;
    if (chained(this.pseq0, dPseq)) this.pseq0 += dPseq;
    values[pseqAt + 1] = this.conn(values[pseqAt + 1] as string);
    const defaults = COMPACT_DEFAULTS[values[0] as number]!;
    let n = values.length;
    while (n > COMPACT_REQUIRED) {
      const fallback = defaults[n - 1] === LAST_EVENT_ID ? this.lastEventId : defaults[n - 1];
      if (values[n - 1] !== fallback) break;
      n--;
    }
    if (!isWs) this.lastEventId = values[4] as string;
    // An array's own length: no page-replaceable method involved.
    values.length = n;
    return values;
  }

  /** The compact event of a QueuedMessage (its text left out). */
  writeQueued(m: QueuedMessage): unknown[] {
    const len = (m[m.length - 1] as string).length;
    return m[0] === COMPACT_WS
      ? this.finish([COMPACT_WS, len, m[2], m[7], m[3], m[1], m[4], m[5], m[6]])
      : this.finish([COMPACT_SSE, len, m[2], m[8], m[9], m[3], m[1], m[4], m[5], m[6], m[7], m[10]]);
  }

  /** The compact form of `event`, or null when it is not of a compact kind and exactly the hooks' shape. */
  write(event: Holder): unknown[] | null {
    const type = event.type;
    if (type !== 'ws.message' && type !== 'sse.message') return null;
    const { conn, t, pseq } = event;
    if (typeof conn !== 'string' || typeof t !== 'number' || typeof pseq !== 'number') return null;
    const cut = payloadCut(event.data);
    if (cut < 0) return null;
    const data = event.data as Holder;
    const isWs = type === 'ws.message';
    if (isWs) {
      if ((event.dir !== 'in' && event.dir !== 'out') || keyCount(event) !== WS_KEYS) return null;
    } else {
      const { id, retry } = event;
      if (typeof event.event !== 'string' || typeof event.lastEventId !== 'string') return null;
      if ((id !== null && typeof id !== 'string') || (retry !== null && typeof retry !== 'number')) return null;
      if (keyCount(event) !== SSE_KEYS) return null;
    }
    // SIZE_OF_TEXT is the hooks' queued messages' own: an event object carrying it stays an object (the guard refuses it).
    if (data.size === SIZE_OF_TEXT) return null;
    const len = (data.data as string).length;
    const encoding = data.encoding === 'text' ? 0 : 1;
    return isWs
      ? this.finish([COMPACT_WS, len, t, event.dir === 'in' ? 0 : 1, pseq, conn, data.size, encoding, cut])
      : this.finish([
          COMPACT_SSE,
          len,
          t,
          sseIdCode(event.id as string | null, event.lastEventId as string),
          event.lastEventId,
          pseq,
          conn,
          data.size,
          encoding,
          cut,
          sseEventCode(event.event as string),
          event.retry,
        ]);
  }
}

/**
 * Expands one message's compact events in order, on the state their deltas and defaults
 * run on (see COMPACT_WS).
 */
class CompactReader {
  private micros = 0;
  private pseq = 0;
  private lastEventId: unknown = '';
  /** Payloads whose size is SIZE_OF_TEXT, counted once their texts are in place (`countSizes`). */
  readonly sizeOfText: Holder[] = [];

  constructor(
    private readonly t0: unknown,
    private readonly conns: unknown,
  ) {}

  /**
   * The event a compact array stands for, and its text's length, or null when it is not one
   * (an unknown kind, a wrong number of values, a text length that is not a count: the
   * message is then malformed). A garbled value is left for the guard to refuse: a time or
   * pseq step that is not a whole number fails its own event alone, while a wrong whole step
   * or lastEventId carries on to the later events that build on it (messages come from the
   * extension's own hooks, on a channel the page cannot write to).
   */
  expand(value: unknown[]): { event: Holder; len: number } | null {
    const code = value[0];
    if (code !== COMPACT_WS && code !== COMPACT_SSE) return null;
    const defaults = COMPACT_DEFAULTS[code]!;
    if (value.length < COMPACT_REQUIRED || value.length > defaults.length) return null;
    const len = value[1];
    if (!Number.isSafeInteger(len) || (len as number) < 0) return null;
    const at = (i: number): unknown => (i < value.length ? value[i] : defaults[i] === LAST_EVENT_ID ? this.lastEventId : defaults[i]);
    const isWs = code === COMPACT_WS;
    const pseqAt = isWs ? 4 : 5;
    // Steps chain as the writer chained them (`chained`): sums of whole numbers, exact.
    const dMicros = value[2];
    const micros = typeof dMicros === 'number' ? this.micros + dMicros : NaN;
    if (typeof dMicros === 'number' && chained(this.micros, dMicros)) this.micros = micros;
    const dPseq = at(pseqAt);
    const pseqSum = typeof dPseq === 'number' ? this.pseq + dPseq : NaN;
    if (typeof dPseq === 'number' && chained(this.pseq, dPseq)) this.pseq = pseqSum;
    const t = typeof this.t0 === 'number' && Number.isFinite(micros) ? this.t0 + micros / 1000 : undefined;
    const pseq = Number.isFinite(pseqSum) ? pseqSum : undefined;
    const connRef = at(pseqAt + 1);
    const conn = typeof connRef === 'number' && Array.isArray(this.conns) ? this.conns[connRef] : connRef;
    const [size, encoding, cut] = [at(pseqAt + 2), at(pseqAt + 3), at(pseqAt + 4)];
    const data: Holder = { size, encoding: encoding === 0 ? 'text' : encoding === 1 ? 'binary' : undefined, data: '', truncated: cut === 0 ? false : cut === 1 || cut === 2 ? true : undefined };
    if (cut === 2) data.sampled = true;
    // Counted once the text is in place (decodePageEvents); any other use of the code is left for the guard to refuse.
    if (size === SIZE_OF_TEXT && cut === 0 && encoding === 0) this.sizeOfText.push(data);
    if (isWs) {
      const dir = at(3);
      return { event: { type: 'ws.message', conn, dir: dir === 0 ? 'in' : dir === 1 ? 'out' : undefined, data, t, pseq }, len: len as number };
    }
    const id = at(3);
    const lastEventId = at(4);
    this.lastEventId = lastEventId;
    const type = at(10);
    const event: Holder = { type: 'sse.message', conn, event: type === 0 ? 'message' : type, data, id: id === SSE_ID_CHANGED ? lastEventId : id === SSE_ID_UNREAD ? null : id, lastEventId, retry: at(11), t, pseq };
    if (id === SSE_ID_UNREAD) event.idUnread = true;
    return { event, len: len as number };
  }
}

/**
 * An events message for the relay: the JSON of the envelope (keys in the order
 * `pageEventsCount` reads), then, when any event carries payload text, a newline
 * (JSON.stringify never writes a raw one) and the texts in event order, each taken out
 * of its event for the envelope's serialisation (left '') and listed in `texts`, except a
 * compact event's, whose length it carries. WebSocket and SSE
 * messages of the hooks' shape go as compact arrays (see COMPACT_WS), and so do the
 * hooks' QueuedMessages. The events are given back unchanged. `stringify` is the page
 * hooks' captured JSON.stringify; `doc`, the document of events that leave it out (with
 * `seq` and `frameId`, which the background sets); `events[from, to)` are written (the
 * hooks' queue, without a copy per batch). Written without array or string methods,
 * which a page can replace.
 */
export function encodePageEvents(
  events: ReadonlyArray<CaptureEvent | QueuedMessage>,
  stringify: (value: unknown) => string = JSON.stringify,
  doc?: string,
  from = 0,
  to = events.length,
): string {
  const slots: number[] = [];
  const taken: string[] = [];
  const holders: Holder[] = [];
  /** The field each taken text came from. */
  const fields: number[] = [];
  const compact = new CompactWriter();
  const wire: unknown[] = [];
  let tail = '';
  /** Put `text` (event `i`'s field `field`) in the tail, and where it came from in `slots`. */
  const toTail = (i: number, field: number, text: string): void => {
    const at = slots.length;
    slots[at] = i;
    slots[at + 1] = field;
    slots[at + 2] = text.length;
    tail += text;
  };
  try {
    for (let k = from; k < to; k++) {
      const queued = events[k];
      const i = k - from;
      // A compact event carries its text's length itself (no entry in `texts`) and leaves
      // its text out: no field to empty and put back.
      if (isArray(queued)) {
        wire[i] = compact.writeQueued(queued);
        tail += queued[queued.length - 1] as string;
        continue;
      }
      const event = queued as unknown as Holder;
      const small = compact.write(event);
      if (small !== null) {
        wire[i] = small;
        tail += (event.data as Holder).data as string;
        continue;
      }
      wire[i] = event;
      for (let field = 0; field < TEXT_FIELDS; field++) {
        const holder = textHolder(event, field);
        const key = textKey(field);
        const text = holder === null ? undefined : holder[key];
        if (typeof text !== 'string' || text.length === 0) continue;
        const k = taken.length;
        taken[k] = text;
        holders[k] = holder!;
        fields[k] = field;
        holder![key] = '';
        toTail(i, field, text);
      }
    }
    // One literal (keys in the order `pageEventsCount` reads; undefined ones are not
    // written): adding a member later would run a setter a page put on Object.prototype.
    const envelope: PageEventsEnvelope = {
      v: PAGE_BRIDGE_VERSION,
      kind: 'events',
      n: wire.length,
      events: wire as CaptureEvent[],
      doc,
      texts: slots.length === 0 ? undefined : slots,
      t0: compact.timed ? compact.t0 : undefined,
      conns: compact.used ? compact.conns : undefined,
    };
    if (tail.length === 0) return stringify(envelope);
    return stringify(envelope) + '\n' + tail;
  } finally {
    for (let k = 0; k < taken.length; k++) holders[k]![textKey(fields[k]!)] = taken[k];
  }
}

/**
 * A string with its own storage. A slice of a long string shares the whole string's
 * storage in V8 (a sliced string keeps its parent alive): a kept payload text must
 * not hold its message's envelope and neighbours in the background's memory. A cons
 * string is flattened into a new string by `slice` (V8 String::Flatten), so the slice
 * of ' ' + text shares only that copy.
 */
function ownCopy(text: string): string {
  return text.length < 13 ? text : (' ' + text).slice(1);
}

/**
 * The envelope of an events message with its texts put back in their events, or null
 * when the message is not well-formed: not JSON up to the texts, not version
 * PAGE_BRIDGE_VERSION's events envelope, a count that does not match its events, a
 * compact event of an unknown kind, with a wrong number of values or a text length that is
 * not a count, or `texts` and compact lengths that do not place exactly the characters that
 * follow, in event order, into empty fields.
 * The events are not checked here (the guard does, `parsePageEvents`).
 */
export function decodePageEvents(message: string): PageEventsEnvelope | null {
  const end = message.indexOf('\n');
  let value: unknown;
  try {
    value = JSON.parse(end < 0 ? message : message.slice(0, end));
  } catch {
    return null;
  }
  if (value === null || typeof value !== 'object') return null;
  const m = value as { v?: unknown; kind?: unknown; n?: unknown; events?: unknown; texts?: unknown };
  if (m.v !== PAGE_BRIDGE_VERSION || m.kind !== 'events' || !Array.isArray(m.events) || m.events.length !== m.n) return null;
  const events = m.events as unknown[];
  const doc = (m as { doc?: unknown }).doc;
  if (doc !== undefined && typeof doc !== 'string') return null;
  const { t0, conns } = m as { t0?: unknown; conns?: unknown };
  const slots = m.texts === undefined ? [] : m.texts;
  if (!Array.isArray(slots) || (m.texts !== undefined && slots.length === 0) || slots.length % 3 !== 0) return null;
  const reader = new CompactReader(t0, conns);
  // The texts follow the envelope in event order: a compact event's own, then the listed ones of an object event.
  let at = end < 0 ? message.length : end + 1;
  const take = (length: number): string | null => {
    if (at + length > message.length) return null;
    const text = ownCopy(message.slice(at, at + length));
    at += length;
    return text;
  };
  let k = 0;
  for (let i = 0; i < events.length; i++) {
    const event = events[i];
    if (Array.isArray(event)) {
      const expanded = reader.expand(event);
      if (expanded === null) return null;
      events[i] = expanded.event;
      if (expanded.len > 0) {
        const text = take(expanded.len);
        if (text === null) return null;
        (expanded.event.data as Holder).data = text;
      }
      if (k < slots.length && slots[k] === i) return null;
      continue;
    }
    for (; k < slots.length && slots[k] === i; k += 3) {
      const [field, length] = [slots[k + 1], slots[k + 2]];
      if (!Number.isSafeInteger(field) || field < 0 || field >= TEXT_FIELDS) return null;
      if (!Number.isSafeInteger(length) || length < 1) return null;
      const holder = event !== null && typeof event === 'object' ? textHolder(event as Holder, field) : null;
      if (holder === null || holder[textKey(field)] !== '') return null;
      const text = take(length);
      if (text === null) return null;
      holder[textKey(field)] = text;
    }
  }
  // Every listed text placed, in order, and every character after the envelope taken.
  if (k !== slots.length || at !== message.length) return null;
  delete (m as { t0?: unknown }).t0;
  delete (m as { conns?: unknown }).conns;
  for (const event of events) {
    if (event === null || typeof event !== 'object') continue;
    const e = event as Holder;
    if (e.seq === undefined) e.seq = 0;
    if (e.frameId === undefined) e.frameId = 0;
    if (e.doc === undefined && doc !== undefined) e.doc = doc;
  }
  countSizes(reader.sizeOfText);
  return m as PageEventsEnvelope;
}

const NON_ASCII = /[^\x00-\x7f]/;
/** Made on first use: the hooks' bundle, which holds this module, never decodes. */
let utf8: TextEncoder | null = null;

/** Give `payloads` the UTF-8 length of their text (a lone surrogate counts 3 bytes, as the hooks' utf8Length). */
function countSizes(payloads: Holder[]): void {
  for (const data of payloads) {
    const text = data.data as string;
    data.size = NON_ASCII.test(text) ? (utf8 ??= new TextEncoder()).encode(text).length : text.length;
  }
}

/** The start of an events message's JSON, up to its `events` array, with the count captured. */
const EVENTS_HEADER = new RegExp(`^\\{"v":${PAGE_BRIDGE_VERSION},"kind":"events","n":([1-9][0-9]{0,5}),"events":\\[`);

/**
 * The number of events an events message says it holds, read from its header
 * alone (cost independent of the message's length), or null when `json` does
 * not start like one or claims more than PAGE_MESSAGE_MAX_EVENTS. The claim is
 * checked when the background parses the message (`parsePageEvents`).
 */
export function pageEventsCount(json: string): number | null {
  const match = EVENTS_HEADER.exec(json);
  if (!match) return null;
  const n = Number(match[1]);
  return n <= PAGE_MESSAGE_MAX_EVENTS ? n : null;
}
