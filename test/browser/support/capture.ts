/**
 * Reading what the page hooks emit, independently of the background: init
 * scripts, which Chromium runs in every frame as the document is created, before
 * the extension's content scripts (checked: they see no hooks installed yet), tap
 * the private channel the relay hands the hooks at document_start
 * (test/support/channel-tap.ts; no page script can, since none runs that early).
 * They collect the hooks' PAGE_TO_RELAY_EVENT batches into `window.__riCapture`,
 * and a test sends relay commands on the channel.
 */
import type { BrowserContext, Frame, Page } from 'playwright-core';
import type { CaptureEvent, EventOf } from '../../../src/core/events.ts';
import { explainInvalidEvent } from '../../../src/core/guard.ts';
import { decodePageEvents, PAGE_TO_RELAY_EVENT, pageEventsCount, RELAY_TO_PAGE_EVENT, type RelayToPage } from '../../../src/shared/page-bridge.ts';
import { CHANNEL_TAP_SCRIPT } from '../../support/channel-tap.ts';

/** Runs in the page as an init script: keeps the hooks' messages as they came (decoded in Node, `capturedEvents`). */
function collector(toRelay: string): void {
  const w = window as unknown as { __riCapture: string[]; __riOnChannel: (channel: EventTarget) => void };
  w.__riCapture = [];
  w.__riOnChannel = (channel) =>
    channel.addEventListener(toRelay, (event) => {
      const detail = (event as CustomEvent<unknown>).detail;
      // Not push: a page test may have replaced Array.prototype.push (hostile-builtins.browser.test.ts).
      if (typeof detail === 'string') w.__riCapture[w.__riCapture.length] = detail;
    });
}

/** Collect the hooks' events in every frame of pages of `context`. */
export async function installCollector(context: BrowserContext): Promise<void> {
  await context.addInitScript(collector, PAGE_TO_RELAY_EVENT);
  await context.addInitScript(CHANNEL_TAP_SCRIPT);
}

/** Events collected so far in a frame (after the hooks' next flush); each must pass the relay's guard. */
export async function capturedEvents(target: Page | Frame): Promise<CaptureEvent[]> {
  const messages = (await target.evaluate(() => (window as unknown as { __riCapture?: string[] }).__riCapture ?? [])) as string[];
  const events: unknown[] = [];
  for (const message of messages) {
    if (pageEventsCount(message) === null) continue; // the hooks' hello
    const decoded = decodePageEvents(message);
    if (!decoded) throw new Error(`hooks sent an events message that does not decode: ${message.slice(0, 300)}`);
    events.push(...decoded.events);
  }
  for (const event of events) {
    const problem = explainInvalidEvent(event);
    if (problem) throw new Error(`hooks emitted an event the guard rejects: ${problem}: ${JSON.stringify(event).slice(0, 300)}`);
  }
  return events as CaptureEvent[];
}

/** Poll a frame's events until `done` holds, then return them; fails with the last events on timeout. */
export async function waitForEvents(
  target: Page | Frame,
  done: (events: CaptureEvent[]) => boolean,
  timeoutMs = 10_000,
): Promise<CaptureEvent[]> {
  const deadline = Date.now() + timeoutMs;
  let events: CaptureEvent[] = [];
  while (Date.now() < deadline) {
    events = await capturedEvents(target);
    if (done(events)) return events;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for events; got:\n${events.map((e) => e.type).join(' ')}`);
}

/** Send a relay → page message to the hooks of a frame, on the tapped channel (what the relay does for config and faults). */
export async function sendToHooks(target: Page | Frame, message: RelayToPage): Promise<void> {
  await target.evaluate(
    ({ name, detail }) => {
      const channel = (window as unknown as { __riChannel?: EventTarget }).__riChannel;
      if (!channel) throw new Error('no channel was offered in this frame');
      channel.dispatchEvent(new CustomEvent(name, { detail }));
    },
    { name: RELAY_TO_PAGE_EVENT, detail: JSON.stringify(message) },
  );
}

/** The events of one request/connection, in page order. */
export function ofConn(events: CaptureEvent[], conn: string): CaptureEvent[] {
  // The request's Resource Timing (http.timing) comes on the browser's schedule, after the body: see timingOf.
  return events.filter((e) => 'conn' in e && e.conn === conn && e.type !== 'http.timing').sort((a, b) => a.pseq - b.pseq);
}

/** The http.timing event of a request, when the browser's Resource Timing entry has arrived. */
export function timingOf(events: CaptureEvent[], conn: string): Extract<CaptureEvent, { type: 'http.timing' }> | undefined {
  return events.find((e): e is Extract<CaptureEvent, { type: 'http.timing' }> => e.type === 'http.timing' && e.conn === conn);
}

/** The conn of the first event matching `match`. */
export function connOf(events: CaptureEvent[], match: (e: CaptureEvent) => boolean): string {
  const found = events.find(match);
  if (!found || !('conn' in found) || typeof found.conn !== 'string') throw new Error('no matching event');
  return found.conn;
}

/** The fetch/XHR requests of a capture. */
export function httpRequests(events: CaptureEvent[]): Array<EventOf<'http.request'>> {
  return events.filter((e): e is EventOf<'http.request'> => e.type === 'http.request');
}

/** The `tag` query parameter of each request, in capture order (the tests mark their requests with it). */
export function requestTags(events: CaptureEvent[]): Array<string | null> {
  return httpRequests(events).map((e) => new URL(e.url).searchParams.get('tag'));
}
