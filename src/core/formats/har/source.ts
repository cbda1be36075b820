/**
 * Which tool wrote a HAR, and what its WebSocket entries can tell. Each tool
 * writes the same HAR fields with different meanings (checked on real files,
 * see test/fixtures/har/record-browser-hars.ts):
 *
 * - Chrome DevTools ("WebInspector"; front_end/models/har/Log.ts and
 *   core/sdk/NetworkManager.ts as Chromium 156 ships them): a WebSocket entry's
 *   `time` runs from the handshake request to the close. Its `timings.wait`
 *   ends at the last frame (every frame sent or received moves the request's
 *   `responseReceivedTime`), `timings.receive` from there to the close, and a
 *   socket still open when the HAR was saved has `receive` 0. Frame times are
 *   epoch seconds. A socket that failed before its handshake request (connection
 *   refused) has no wall time at all: `startedDateTime` is 1969-12-31T23:59:59Z
 *   and its error frame is timed on Chrome's monotonic clock.
 * - Playwright's `recordHar` (playwright-core 1.65 HarTracer._onWebSocket):
 *   frames timed in epoch milliseconds, `time` the span from first to last
 *   frame (-1 without frames), no close time; a failed socket has status -1 and
 *   `response._failureText`.
 * - Firefox (devtools/client/netmonitor/src/har/har-builder.js, 153 ESR): the
 *   `ws://` entry is the handshake alone, with no frames and no close.
 * - Realtime Inspector: exact times in `_realtimeInspector` and `_webSocketClose`.
 */
import { objects, str, type Json } from './fields.ts';

export type HarSource = 'realtime-inspector' | 'chrome' | 'firefox' | 'playwright' | 'other';

/** The tool that wrote the HAR, from `log.creator.name`. */
export function harSourceOf(log: Json): HarSource {
  const creator = log.creator;
  const name = (typeof creator === 'object' && creator !== null && 'name' in creator ? str(creator.name) : null) ?? '';
  if (name === 'Realtime Inspector') return 'realtime-inspector';
  if (name === 'WebInspector') return 'chrome';
  if (name === 'Firefox') return 'firefox';
  if (name === 'Playwright') return 'playwright';
  return 'other';
}

/** Whether a WebSocket entry says when the socket closed (`startedDateTime` + `time`, `receive` 0 while open): Chrome's, and ours, which times entries as Chrome does. */
export function recordsWebSocketLifetime(source: HarSource): boolean {
  return source === 'chrome' || source === 'realtime-inspector';
}

/**
 * Before this instant a `startedDateTime` is not a wall-clock time but Chrome's
 * fallback to its monotonic clock (NetworkRequest.pseudoWallTime without a wall time).
 */
export const MONOTONIC_BEFORE_MS = Date.UTC(2000, 0, 1);

/** Epoch seconds and epoch milliseconds differ by 1000×: a frame time above this is in milliseconds (Playwright). */
const EPOCH_MS_ABOVE = 1e11;

/** A frame's `time` in milliseconds on the entry's clock. */
export function frameTimeMs(time: number): number {
  return time > EPOCH_MS_ABOVE ? time : time * 1000;
}

/**
 * Chrome's monotonic clock, turned into wall time. DevTools names a page's
 * start by its first request in the saved order, which is by issue time, so a
 * request with no wall time (issue time -1) comes first and the page's
 * `startedDateTime` falls back to the monotonic clock too; the page's start is
 * its main request's start (SDK PageLoad: `startTime = mainRequest.startTime`),
 * whose own entry has the wall time. Their difference is the offset, exact to
 * the millisecond. Null when no page is on the monotonic clock or its document
 * entry is missing (DevTools opened after the page loaded).
 */
export function chromeMonotonicOffset(log: Json): number | null {
  const entries = objects(log.entries);
  for (const page of objects(log.pages)) {
    const monotonic = Date.parse(str(page.startedDateTime) ?? '');
    if (!(monotonic < MONOTONIC_BEFORE_MS)) continue;
    const main = entries.find((e) => e._resourceType === 'document' && e.pageref === page.id && Date.parse(str(e.startedDateTime) ?? '') >= MONOTONIC_BEFORE_MS);
    if (main) return Date.parse(str(main.startedDateTime) ?? '') - monotonic;
  }
  return null;
}
