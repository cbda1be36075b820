/**
 * The background's side of the page↔relay wire: the events of a page message,
 * as the relay forwarded it unparsed, checked with the one guard. Kept out of
 * src/shared/page-bridge.ts so the page hooks' bundle does not carry the guard.
 */
import type { CaptureEvent } from '../core/events.ts';
import { isCaptureEvent } from '../core/guard.ts';
import { PAGE_MESSAGE_MAX_CHARS } from './constants.ts';
import { decodePageEvents, pageEventsCount } from './page-bridge.ts';

/**
 * A captured event the page may send: schema-valid, not yet sequenced, not
 * claiming to be a relay or background drop report (only those layers make them),
 * and not claiming to come from a worker (only the background's DevTools protocol tap does).
 */
export function isPageEvent(value: unknown): value is CaptureEvent {
  if (!isCaptureEvent(value)) return false;
  // Worker traffic comes from the DevTools protocol in the background, never from the hooks.
  if ('origin' in value && value.origin !== undefined) return false;
  return value.type !== 'capture.dropped' || value.where === 'page';
}

/**
 * Events only the recording side makes, never the page: a recording pause (`capture.recording`),
 * a document back from the back/forward cache (`doc.restored`), resumed after a freeze in place
 * (`doc.resumed`) or gone (`doc.end`). The guard lets
 * their schema through; whoever sequences page events (the background, the Playwright recorder)
 * refuses a page's claim to one.
 */
export function isRecorderOnly(event: CaptureEvent): boolean {
  return event.type === 'capture.recording' || event.type === 'doc.restored' || event.type === 'doc.resumed' || event.type === 'doc.end';
}

/**
 * The events of a page events message (as the relay forwarded it) that pass the
 * guard, and how many it held that did not: every event that fails the guard,
 * or, for a message that is not well-formed as a whole (bad JSON, wrong version,
 * a count that does not match its events, texts that do not fit, too large), every event its header
 * claims (at least 1).
 */
export function parsePageEvents(json: string): { events: CaptureEvent[]; rejected: number } {
  const claimed = pageEventsCount(json);
  const whole = { events: [], rejected: Math.max(1, claimed ?? 1) };
  if (claimed === null || json.length > PAGE_MESSAGE_MAX_CHARS) return whole;
  const m = decodePageEvents(json);
  if (m === null || m.n !== claimed) return whole;
  const events: CaptureEvent[] = [];
  for (const event of m.events as unknown[]) if (isPageEvent(event)) events.push(event);
  return { events, rejected: claimed - events.length };
}
