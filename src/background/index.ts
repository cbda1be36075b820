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
import { WorkerTap, type CdpLink, type CdpTargetInfo } from '../shared/cdp-workers.ts';
import type { CaptureEvent } from '../core/events.ts';
import type { WorkerCaptureState } from '../shared/messages.ts';
import type { WorkerControl } from './hub.ts';
import { DEFAULT_MAX_TEXT_CHARS, PANEL_PORT_NAME, RELAY_PORT_NAME } from '../shared/constants.ts';
import { API_MESSAGE_CHECKS, parseWire, type ApiMessages, type ApiReply, type InspectorApi } from '../shared/messages.ts';

const hub: Hub = new Hub(indexedDbStore(), {
  // "Include workers" (optional `debugger` permission): worker traffic into the tab's buffer.
  workers: chromeWorkerControl(
    (tabId, events) => void hub.addWorkerEvents(tabId, events),
    async (tabId) => (await hub.api.stats(tabId)).url,
  ),
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
// Chrome gives a discarded tab a new id (Chromium 156: chrome.tabs.discard → onReplaced); Firefox may not fire it.
chrome.tabs.onReplaced?.addListener((addedTabId, removedTabId) => void hub.replaceTab(removedTabId, addedTabId));

/** The API for the CLI auditor and tests (playwright `worker.evaluate`). */
(self as unknown as { realtimeInspector: InspectorApi }).realtimeInspector = hub.api;

// --- "Include workers" ---
//
// The tab's workers over chrome.debugger, behind the optional `debugger` permission the panel
// asks for when the user turns "Include workers" on. The attach logic and the translation are
// the CLI's (src/shared/cdp-workers.ts, src/core/formats/cdp-network.ts); here are only the
// chrome.debugger link and the per-tab state. chrome.debugger exists only once the permission
// is granted: its listeners are added then (and at start-up when it already was). While
// attached, Chrome shows its "started debugging this browser" bar; closing it detaches, and the
// tab's state says so.
//
// A tab's auto-attach reaches its dedicated workers (nested too) and service workers, not its
// SharedWorkers, which belong to no tab. Those are attached by target id
// (chrome.debugger.getTargets lists them as "worker", unattached), checked to be
// `shared_worker`s of a tab's origin, and their events go to every tab of that origin with
// workers on, under the session id `target:<id>`.

interface TabTap {
  tap: WorkerTap;
  /** The tab's top-level origin, from the Hub (the last top document's doc.start: the extension has no `tabs` permission to read a tab's URL). */
  origin: string;
}

/** chrome.storage.session key of the tabs with workers on. */
const WORKER_TABS_KEY = 'ri-worker-tabs';
/** The pseudo session id of a shared worker attached by target id. */
const TARGET_SESSION = 'target:';
/** How often the SharedWorkers of the watched tabs' origins are looked for. */
const SHARED_SCAN_MS = 1000;

function originOf(url: string): string {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : '';
  } catch {
    return '';
  }
}

/** The worker control the Hub's API (setWorkerCapture, workerCapture) drives. */
function chromeWorkerControl(addEvents: (tabId: number, events: CaptureEvent[]) => void, tabUrl: (tabId: number) => Promise<string>): WorkerControl {
  /** The DevTools protocol version chrome.debugger.attach asks for. */
  const CDP_VERSION = '1.3';
  const DEBUGGER_PERMISSION: chrome.permissions.Permissions = { permissions: ['debugger'] };
  const taps = new Map<number, TabTap>();
  const errors = new Map<number, string>();
  /** Shared workers attached by target id: their origin and script info. */
  const shared = new Map<string, { origin: string; info: CdpTargetInfo }>();
  /** Targets found not to be shared workers (dedicated and service workers of the tabs; other extensions'). */
  const notShared = new Set<string>();
  let scanTimer: ReturnType<typeof setInterval> | null = null;
  let listening = false;

  const link = (tabId: number): CdpLink => ({
    send: (method, params, sessionId) =>
      sessionId?.startsWith(TARGET_SESSION)
        ? chrome.debugger.sendCommand({ targetId: sessionId.slice(TARGET_SESSION.length) }, method, params)
        : chrome.debugger.sendCommand(sessionId ? { tabId, sessionId } : { tabId }, method, params),
  });

  const adoptShared = () => {
    for (const [targetId, w] of shared) {
      for (const entry of taps.values()) if (entry.origin === w.origin && !entry.tap.has(TARGET_SESSION + targetId)) entry.tap.adopt(TARGET_SESSION + targetId, w.info);
    }
  };

  const scanShared = async () => {
    // The tabs' top documents now (they navigate): the origin their shared workers are matched on.
    for (const [tabId, entry] of taps) entry.origin = originOf(await tabUrl(tabId).catch(() => ''));
    const origins = new Set([...taps.values()].map((t) => t.origin).filter((o) => o !== ''));
    if (origins.size === 0) return;
    const targets = await chrome.debugger.getTargets().catch(() => []);
    for (const t of targets) {
      if (t.type !== 'worker' || t.attached || shared.has(t.id) || notShared.has(t.id) || !origins.has(originOf(t.url))) continue;
      try {
        await chrome.debugger.attach({ targetId: t.id }, CDP_VERSION);
      } catch {
        notShared.add(t.id);
        continue;
      }
      const { targetInfo } = (await chrome.debugger.sendCommand({ targetId: t.id }, 'Target.getTargetInfo', {}).catch(() => ({}))) as { targetInfo?: CdpTargetInfo };
      if (targetInfo?.type !== 'shared_worker') {
        notShared.add(t.id);
        await chrome.debugger.detach({ targetId: t.id }).catch(() => {});
        continue;
      }
      shared.set(t.id, { origin: originOf(t.url), info: targetInfo });
      adoptShared();
      await chrome.debugger.sendCommand({ targetId: t.id }, 'Network.enable', {}).catch(() => {});
    }
    adoptShared();
  };

  /** Shared workers no watched tab has the origin of any more: let them go. */
  const releaseShared = async () => {
    const origins = new Set([...taps.values()].map((t) => t.origin));
    for (const [targetId, w] of shared) {
      if (origins.has(w.origin)) continue;
      shared.delete(targetId);
      await chrome.debugger.detach({ targetId }).catch(() => {});
    }
    if (taps.size === 0 && scanTimer !== null) {
      clearInterval(scanTimer);
      scanTimer = null;
      notShared.clear();
    }
  };

  const listen = () => {
    if (listening || !chrome.debugger) return;
    listening = true;
    chrome.debugger.onEvent.addListener((source, method, params) => {
      const p = (params ?? {}) as Record<string, unknown>;
      if (source.tabId !== undefined) {
        const entry = taps.get(source.tabId);
        if (!entry) return;
        entry.tap.onEvent(method, p, source.sessionId);
      } else if (source.targetId !== undefined && shared.has(source.targetId) && source.sessionId === undefined) {
        const w = shared.get(source.targetId)!;
        for (const entry of taps.values()) if (entry.origin === w.origin) entry.tap.onEvent(method, p, TARGET_SESSION + source.targetId);
      }
    });
    chrome.debugger.onDetach.addListener((source, reason) => {
      if (source.targetId !== undefined && shared.has(source.targetId)) {
        const session = TARGET_SESSION + source.targetId;
        shared.delete(source.targetId);
        for (const entry of taps.values()) entry.tap.onEvent('Target.detachedFromTarget', { sessionId: session });
        return;
      }
      if (source.tabId === undefined || !taps.has(source.tabId)) return;
      taps.get(source.tabId)!.tap.stop();
      taps.delete(source.tabId);
      remember();
      // target_closed: the tab went away; canceled_by_user: the debugging bar was closed.
      if (reason !== 'target_closed') errors.set(source.tabId, `detached (${reason})`);
      void releaseShared();
    });
  };
  // With the permission granted, chrome.debugger exists from the start: listen at once, as MV3 wants
  // listeners added in the first turn of a restarted worker.
  if (chrome.debugger) listen();

  /** The tabs with workers on, kept for a restarted service worker (chrome.storage.session: this browser session only). */
  const remember = () => void chrome.storage.session.set({ [WORKER_TABS_KEY]: [...taps.keys()] }).catch(() => {});

  const state = (tabId: number): WorkerCaptureState => {
    const entry = taps.get(tabId);
    return {
      on: entry !== undefined,
      workers: entry ? entry.tap.workers().map(({ kind, url }) => ({ kind, url })) : [],
      error: errors.get(tabId) ?? null,
    };
  };

  const detach = async (tabId: number) => {
    const entry = taps.get(tabId);
    if (!entry) return;
    entry.tap.stop();
    taps.delete(tabId);
    remember();
    await chrome.debugger.detach({ tabId }).catch(() => {});
    await releaseShared();
  };

  const control: WorkerControl = {
    state,
    async set(tabId, on) {
      errors.delete(tabId);
      if (!on) {
        await detach(tabId);
        return state(tabId);
      }
      if (taps.has(tabId)) return state(tabId);
      const granted = await chrome.permissions.contains(DEBUGGER_PERMISSION).catch(() => false);
      if (!granted || !chrome.debugger) {
        errors.set(tabId, 'the debugger permission is not granted');
        return state(tabId);
      }
      listen();
      try {
        await chrome.debugger.attach({ tabId }, CDP_VERSION).catch(async (error: unknown) => {
          // A stopped service worker forgot the tab it had attached (its session lives on): take it over.
          if (!/already attached/i.test(error instanceof Error ? error.message : String(error))) throw error;
          await chrome.debugger.detach({ tabId });
          await chrome.debugger.attach({ tabId }, CDP_VERSION);
        });
      } catch (error) {
        errors.set(tabId, `could not attach: ${error instanceof Error ? error.message : String(error)}`);
        return state(tabId);
      }
      const tap = new WorkerTap(link(tabId), { maxTextChars: DEFAULT_MAX_TEXT_CHARS, now: () => Date.now(), onEvents: (events) => addEvents(tabId, events) });
      const entry: TabTap = { tap, origin: '' };
      taps.set(tabId, entry);
      try {
        await tap.start(undefined);
      } catch (error) {
        await detach(tabId);
        errors.set(tabId, `could not watch the tab's workers: ${error instanceof Error ? error.message : String(error)}`);
        return state(tabId);
      }
      remember();
      await scanShared();
      scanTimer ??= setInterval(() => void scanShared(), SHARED_SCAN_MS);
      return state(tabId);
    },
  };

  // A restarted service worker (Chrome stopped it) takes up the tabs that had workers on: it
  // attaches again (taking over the session it forgot) and auto-attach finds the running workers.
  // What they did in between is not captured.
  if (chrome.debugger) {
    void chrome.storage.session
      .get(WORKER_TABS_KEY)
      .then(async (items) => {
        const saved: unknown = items[WORKER_TABS_KEY];
        for (const tabId of Array.isArray(saved) ? saved : []) if (typeof tabId === 'number' && !taps.has(tabId)) await control.set(tabId, true);
      })
      .catch(() => {});
  }
  return control;
}
