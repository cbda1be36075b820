/**
 * Tapping the private channel between the page hooks and the relay
 * (src/shared/page-bridge.ts), for tests and benchmarks that feed the relay
 * directly. A script that runs before the extension's content scripts (a
 * Playwright init script, CDP Page.addScriptToEvaluateOnNewDocument) sees the
 * relay offer the channel at document_start, as no page script can, keeps it as
 * `window.__riChannel` and hands it to `window.__riOnChannel` when an earlier init
 * script set one. Dispatching PAGE_TO_RELAY_EVENT on it is what the hooks do,
 * RELAY_TO_PAGE_EVENT what the relay does. A string, not a function: tsx would add
 * helpers to a serialised function's body.
 */
import { CHANNEL_OFFER_EVENT } from '../../src/shared/page-bridge.ts';

export const CHANNEL_TAP_SCRIPT = `(() => {
  const onOffer = (offer) => {
    if (!offer.relatedTarget) return;
    document.removeEventListener(${JSON.stringify(CHANNEL_OFFER_EVENT)}, onOffer);
    window.__riChannel = offer.relatedTarget;
    window.__riOnChannel?.(offer.relatedTarget);
  };
  document.addEventListener(${JSON.stringify(CHANNEL_OFFER_EVENT)}, onOffer);
})();`;
