/**
 * The wire between the MAIN-world page hooks and the isolated-world relay of the
 * same frame. Both worlds share the DOM only, so messages travel as CustomEvents
 * dispatched on `document` whose `detail` is a JSON string (strings cross worlds
 * intact; objects may not). Page code can dispatch these too: the relay validates
 * everything with the one guard (src/core/guard.ts) and a page can only ever
 * affect its own tab's capture.
 */
import type { CaptureEvent } from '../core/events.ts';

export const PAGE_BRIDGE_VERSION = 1;

/** Page hooks → relay. */
export const PAGE_TO_RELAY_EVENT = 'realtime-inspector:page';
/** Relay → page hooks (configuration, fault injection). */
export const RELAY_TO_PAGE_EVENT = 'realtime-inspector:control';

/** Message from the page hooks to the relay. */
export type PageToRelay =
  | { v: typeof PAGE_BRIDGE_VERSION; kind: 'events'; events: CaptureEvent[] }
  /** Sent once by the hooks when installed; the relay answers with `ready`. */
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
