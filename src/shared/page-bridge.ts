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
 * by the port's own serialisation (BENCHMARKS.md). Anything that reads page
 * messages decodes them with `decodePageEvents` (the background, through
 * `parsePageEvents`; the Playwright route; the browser tests' collector).
 */
import type { CaptureEvent } from '../core/events.ts';
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
   * The payload texts taken out of the events, in the order they follow the envelope:
   * [event index, field (TEXT_FIELDS), length in UTF-16 units] per text. Absent when none.
   */
  texts?: number[];
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

/** The object holding field `field`'s text in `event` (a Payload, or the event for a preview), or null. */
function textHolder(event: Holder, field: number): Holder | null {
  if (field === 2) return event;
  const payload = event[field === 0 ? 'data' : 'body'];
  return payload !== null && typeof payload === 'object' ? (payload as Holder) : null;
}

const textKey = (field: number) => (field === 2 ? 'preview' : 'data');

/**
 * An events message for the relay: the JSON of the envelope (keys in the order
 * `pageEventsCount` reads), then, when any event carries payload text, a newline
 * (JSON.stringify never writes a raw one) and the texts, each taken out of its event
 * for the envelope's serialisation (left '') and listed in `texts`. The events are
 * given back unchanged. `stringify` is the page hooks' captured JSON.stringify; `doc`, the
 * document of events that leave it out (with `seq` and `frameId`, which the background sets).
 * Written without array or string methods, which a page can replace.
 */
export function encodePageEvents(events: CaptureEvent[], stringify: (value: unknown) => string = JSON.stringify, doc?: string): string {
  const slots: number[] = [];
  const taken: string[] = [];
  const holders: Holder[] = [];
  let tail = '';
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as unknown as Holder;
    for (let field = 0; field < TEXT_FIELDS; field++) {
      const holder = textHolder(event, field);
      const key = textKey(field);
      const text = holder === null ? undefined : holder[key];
      if (typeof text !== 'string' || text.length === 0) continue;
      const k = taken.length;
      taken[k] = text;
      holders[k] = holder!;
      slots[k * 3] = i;
      slots[k * 3 + 1] = field;
      slots[k * 3 + 2] = text.length;
      holder![key] = '';
      tail += text;
    }
  }
  try {
    const envelope = pageEventsMessage(events);
    if (doc !== undefined) envelope.doc = doc;
    if (taken.length === 0) return stringify(envelope);
    envelope.texts = slots;
    return stringify(envelope) + '\n' + tail;
  } finally {
    for (let k = 0; k < taken.length; k++) holders[k]![textKey(slots[k * 3 + 1]!)] = taken[k];
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
 * PAGE_BRIDGE_VERSION's events envelope, a count that does not match its events, or
 * `texts` that do not place exactly the characters that follow into empty fields.
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
  for (const event of events) {
    if (event === null || typeof event !== 'object') continue;
    const e = event as Holder;
    if (e.seq === undefined) e.seq = 0;
    if (e.frameId === undefined) e.frameId = 0;
    if (e.doc === undefined && doc !== undefined) e.doc = doc;
  }
  if (end < 0) return m.texts === undefined ? (m as PageEventsEnvelope) : null;
  const slots = m.texts;
  if (!Array.isArray(slots) || slots.length === 0 || slots.length % 3 !== 0) return null;
  let at = end + 1;
  for (let k = 0; k < slots.length; k += 3) {
    const [index, field, length] = [slots[k], slots[k + 1], slots[k + 2]];
    if (!Number.isSafeInteger(index) || index < 0 || index >= events.length) return null;
    if (!Number.isSafeInteger(field) || field < 0 || field >= TEXT_FIELDS) return null;
    if (!Number.isSafeInteger(length) || length < 1 || at + length > message.length) return null;
    const event = events[index];
    const holder = event !== null && typeof event === 'object' ? textHolder(event as Holder, field) : null;
    if (holder === null || holder[textKey(field)] !== '') return null;
    holder[textKey(field)] = ownCopy(message.slice(at, at + length));
    at += length;
  }
  return at === message.length ? (m as PageEventsEnvelope) : null;
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
