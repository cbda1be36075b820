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

/** Message from the page hooks to the relay. */
export type PageToRelay =
  /**
   * Serialised with its keys in this order (`pageEventsMessage`): the relay reads
   * `n` from the text's start without parsing the rest.
   */
  | { v: typeof PAGE_BRIDGE_VERSION; kind: 'events'; n: number; events: CaptureEvent[] }
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

/** An events message for the relay, its keys in the order `pageEventsCount` reads. */
export function pageEventsMessage(events: CaptureEvent[]): PageToRelay {
  return { v: PAGE_BRIDGE_VERSION, kind: 'events', n: events.length, events };
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
