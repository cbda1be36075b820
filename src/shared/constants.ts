/**
 * Names, versions and bounds shared by the relay, the background and the panel.
 * Every bound here is a design choice of this extension (not a library constant);
 * the comment says what it protects. INTERNALS.md explains how they interact.
 */

/** Version of the relay↔background↔panel wire protocol (src/shared/messages.ts). */
export const PROTOCOL_VERSION = 1;

/** Tag on every wire message, so stray messages from other code are ignored. */
export const MESSAGE_SOURCE = 'realtime-inspector';

/** runtime.connect port name of the isolated-world relay (one port per frame document). */
export const RELAY_PORT_NAME = 'ri-relay';
/** runtime.connect port name of a panel (one per open panel). */
export const PANEL_PORT_NAME = 'ri-panel';

/**
 * Default cap on captured payload text per field (the hooks truncate beyond it;
 * `size` stays the whole payload's). Every kept character is serialised on the
 * page's thread (hooks → relay → port), so the cap sets what a flood of large
 * messages costs the page: 16 KiB keeps typical messages and requests whole and
 * costs a 64 KiB frame a quarter of what keeping it whole did (BENCHMARKS.md).
 */
export const DEFAULT_MAX_TEXT_CHARS = 16 * 1024;

// --- Relay (runs on the page's renderer thread: keep it cheap) ---

/** A batch leaves the relay at most this long after its first event: one display frame. */
export const RELAY_FLUSH_MS = 16;
/** Most events in one relay→background batch. */
export const RELAY_BATCH_MAX_EVENTS = 1000;
/**
 * Most characters (JSON) in one relay→background batch (a batch holds at least one
 * page message, whatever its size). Chrome's port serialisation costs the page's
 * thread more per character for large messages: about 3–4 ns per char up to
 * ~150 K chars against about 6 ns from ~290 K (Chromium 156, measured in the
 * relay's world; BENCHMARKS.md), so batches stay small.
 */
export const RELAY_BATCH_MAX_CHARS = 128 * 1024;
/** Batches sent but not acknowledged before the relay waits (flow control). */
export const RELAY_MAX_IN_FLIGHT = 8;
/**
 * Events the relay holds (queued plus sent-but-unacknowledged) while the background
 * is slow or restarting; beyond it new events are dropped and counted.
 */
export const RELAY_MAX_HELD_EVENTS = 100_000;
/** Characters the relay holds, same rule as RELAY_MAX_HELD_EVENTS. */
export const RELAY_MAX_HELD_CHARS = 32 * 1024 * 1024;
/** Back/forward cache stays the relay holds for its next batch (more are not recorded); also the most one batch may carry. */
export const RELAY_MAX_HELD_RESTORES = 16;
/** Largest page→relay message (JSON characters); bigger ones are rejected unparsed. */
export const PAGE_MESSAGE_MAX_CHARS = 8 * 1024 * 1024;
/** Most events in one page→relay message. */
export const PAGE_MESSAGE_MAX_EVENTS = 10_000;
/** Delays before reconnecting a dropped port (ms), last one repeats. */
export const RECONNECT_DELAYS_MS = [0, 50, 200, 500, 1000];
/** A port whose hello/subscribe got no welcome in this time is reopened (the worker may have been stopping). */
export const WELCOME_TIMEOUT_MS = 3000;
/**
 * A relay's welcomed port that acknowledges none of its waiting batches for this long is
 * reopened and the batches resent (src/content/relay.ts). A live worker acknowledges each
 * batch once its IndexedDB commit is done, well within this even on a loaded machine;
 * a dead port (a cached document's, a stopped worker's) never does.
 */
export const ACK_TIMEOUT_MS = 10_000;
/**
 * A relay whose port closed and that has not said hello again after this long speaks for a
 * document that is gone: the background records its `doc.end` (at the moment the port closed).
 * A live relay reopens within its first reconnect delays, or a welcome timeout plus one.
 */
export const DOC_END_GRACE_MS = WELCOME_TIMEOUT_MS + 2000;

// --- Background buffer ---

/** Events kept per tab; the oldest are evicted (and counted) beyond it. */
export const TAB_MAX_EVENTS = 100_000;
/**
 * Characters of event JSON kept across all tabs (persisted in IndexedDB and held
 * in the worker's memory as objects, which take a few times more).
 */
export const STORE_MAX_CHARS = 16 * 1024 * 1024;
/** Relay instances remembered per tab for de-duplication (older navigations are forgotten). */
export const TAB_MAX_RELAYS = 64;
/** Events per message when the background sends history to a panel. */
export const PANEL_HISTORY_CHUNK = 2000;
