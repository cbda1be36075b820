/**
 * MV3 service worker: wires chrome.* to the Hub (src/background/hub.ts).
 * Listeners are registered synchronously at top level, as MV3 requires for a
 * worker that Chrome restarts on demand; the Hub makes them wait for the
 * persisted state to load.
 *
 * Trust: a relay port's tab and frame come from port.sender (set by Chrome), never
 * from a message; panel ports and API messages are accepted only from this
 * extension's own pages.
 */
import { Hub } from './hub.ts';
import { indexedDbStore } from './idb-store.ts';
import { PANEL_PORT_NAME, RELAY_PORT_NAME } from '../shared/constants.ts';
import { API_MESSAGE_CHECKS, parseWire, type ApiMessages, type ApiReply, type InspectorApi } from '../shared/messages.ts';

const hub = new Hub(indexedDbStore(), {
  liveTabIds: async () => {
    try {
      return (await chrome.tabs.query({})).flatMap((t) => (t.id === undefined ? [] : [t.id]));
    } catch {
      return null;
    }
  },
});

const extensionOrigin = chrome.runtime.getURL('');
const fromExtensionPage = (sender: chrome.runtime.MessageSender) =>
  sender.id === chrome.runtime.id && typeof sender.url === 'string' && sender.url.startsWith(extensionOrigin);

chrome.runtime.onConnect.addListener((port) => {
  const sender = port.sender;
  if (port.name === RELAY_PORT_NAME && sender?.tab?.id !== undefined && sender.frameId !== undefined && !fromExtensionPage(sender)) {
    hub.connectRelay(port, sender.tab.id, sender.frameId);
  } else if (port.name === PANEL_PORT_NAME && sender && fromExtensionPage(sender)) {
    hub.connectPanel(port);
  } else {
    port.disconnect();
  }
});

chrome.runtime.onMessage.addListener((message: unknown, sender, sendResponse: (reply: ApiReply) => void) => {
  const request = parseWire<ApiMessages>(message, API_MESSAGE_CHECKS);
  if (!request || !fromExtensionPage(sender)) return false;
  const { method, args } = request.payload;
  const call = hub.api[method] as (...a: unknown[]) => Promise<unknown>;
  call(...args).then(
    (result) => sendResponse({ ok: true, result }),
    (error: unknown) => sendResponse({ ok: false, error: error instanceof Error ? error.message : String(error) }),
  );
  return true;
});

chrome.tabs.onRemoved.addListener((tabId) => void hub.removeTab(tabId));

/** The API for the CLI auditor and tests (playwright `worker.evaluate`). */
(self as unknown as { realtimeInspector: InspectorApi }).realtimeInspector = hub.api;
