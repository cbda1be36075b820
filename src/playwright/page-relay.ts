/**
 * The relay of the Playwright route, run in every frame as an init script before the
 * page hooks (src/content/page/index.ts, the extension's own MAIN-world code, unchanged).
 * It plays the extension relay's part of the page↔relay handshake (src/shared/page-bridge.ts):
 * a private channel (a detached node) offered at document_start and once more to hooks
 * that ask, `ready` and the config in answer to their hello, and their event messages
 * forwarded as the JSON strings they came as, here to a Playwright binding (the test's
 * Node process parses and checks them with the background's guard, parsePageEvents).
 *
 * Unlike the extension's relay it runs in the page's own world (Playwright init scripts
 * do): its captured natives and its closure are out of the page's reach, but a page can
 * see the binding. Fault commands come from Node as a CustomEvent on `document` under a
 * name chosen per attach, which no page script knows.
 */
import {
  CHANNEL_OFFER_EVENT,
  CHANNEL_REQUEST_EVENT,
  PAGE_BRIDGE_VERSION,
  PAGE_TO_RELAY_EVENT,
  pageEventsCount,
  RELAY_TO_PAGE_EVENT,
  type FaultCommand,
  type RelayToPage,
} from '../shared/page-bridge.ts';
import { DEFAULT_MAX_TEXT_CHARS, PAGE_MESSAGE_MAX_CHARS } from '../shared/constants.ts';

/** What Node passes to the relay of every frame. */
export interface PageRelayOptions {
  /** The exposed binding that carries the hooks' event messages to Node. */
  binding: string;
  /** The `document` event name Node dispatches fault commands under (detail: a FaultCommand as JSON). */
  commandEvent: string;
}

/** Guard against a second install in a realm (an init script runs once per document). */
const INSTALLED = Symbol.for('realtime-inspector.playwright-relay');

/** Install the relay in this frame. */
export function start(options: PageRelayOptions): void {
  const scope = globalThis as typeof globalThis & { [INSTALLED]?: true };
  if (scope[INSTALLED] || typeof document === 'undefined') return;
  scope[INSTALLED] = true;
  const win = window as unknown as Record<string, unknown>;
  // The binding Playwright installed before this script: taken now, so a page that replaces it cannot intercept.
  const binding = win[options.binding] as ((json: string) => Promise<unknown>) | undefined;
  if (typeof binding !== 'function') return;
  const forward = (json: string) => {
    binding(json).catch(() => {
      // The test ended (page or context closed): nothing left to record into.
    });
  };
  const channel = document.createElement('span');
  const toHooks = (message: RelayToPage) => channel.dispatchEvent(new CustomEvent(RELAY_TO_PAGE_EVENT, { detail: JSON.stringify(message) }));
  let greeted = false;
  let answeredRequest = false;
  channel.addEventListener(PAGE_TO_RELAY_EVENT, (event) => {
    const detail = (event as CustomEvent<unknown>).detail;
    if (typeof detail !== 'string' || detail.length > PAGE_MESSAGE_MAX_CHARS) return;
    if (pageEventsCount(detail) !== null) {
      forward(detail);
      return;
    }
    if (greeted) return;
    greeted = true;
    // Recording is on for the whole test, with the extension's default text cap (src/background/hub.ts configOf).
    toHooks({ v: PAGE_BRIDGE_VERSION, kind: 'ready' });
    toHooks({ v: PAGE_BRIDGE_VERSION, kind: 'config', recording: true, maxTextChars: DEFAULT_MAX_TEXT_CHARS });
  });
  const offer = () => document.dispatchEvent(new MouseEvent(CHANNEL_OFFER_EVENT, { relatedTarget: channel }));
  const onRequest = () => {
    if (greeted || answeredRequest) return;
    answeredRequest = true;
    offer();
  };
  const onCommand = (event: Event) => {
    const detail = (event as CustomEvent<unknown>).detail;
    if (typeof detail !== 'string') return;
    toHooks({ v: PAGE_BRIDGE_VERSION, kind: 'fault', command: JSON.parse(detail) as FaultCommand });
  };
  const listen = () => {
    window.addEventListener(CHANNEL_REQUEST_EVENT, onRequest, true);
    document.addEventListener(options.commandEvent, onCommand);
  };
  listen();
  // document.open() erases the listeners on document and window: add them again (as the extension's relay does).
  new MutationObserver(listen).observe(document, { childList: true });
  offer();
}
