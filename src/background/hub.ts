/**
 * The service worker's logic, independent of chrome.*: per-tab buffers kept from page
 * load (tab-buffer.ts), persisted so that an MV3 worker restart loses and duplicates
 * nothing (persistence.ts), relay and panel ports paired by tab id (ports.ts), and here
 * the API for the panel, the CLI and tests, which ties the three together.
 */
import type { CaptureFile } from '../core/events.ts';
import { CAPTURE_SCHEMA_VERSION } from '../core/events.ts';
import { isCaptureEvent } from '../core/guard.ts';
import { DEFAULT_MAX_TEXT_CHARS } from '../shared/constants.ts';
import type { InspectorApi, PageConfig, PortLike, TabStats, ToPanelMessages, ToRelayMessages, WorkerCaptureState } from '../shared/messages.ts';
import { send } from '../shared/messages.ts';
import type { FaultCommand } from '../shared/page-bridge.ts';
import { Persistence, type SessionStore } from './persistence.ts';
import { broadcastStats, connectPanel, connectRelay, deliverDurable, type PortHub } from './ports.ts';
import { currentDoc, DEFAULT_LIMITS, droppedEvent, emptyTab, type HubLimits, type Tab, TabBuffers } from './tab-buffer.ts';
import { META_PREFIX } from './tab-meta.ts';

export { CHUNK_MAX_CHARS, CHUNK_MAX_EVENTS, type HubLimits } from './tab-buffer.ts';
export type { SessionStore } from './persistence.ts';

/** Worker capture of a tab over chrome.debugger (src/background/index.ts), behind the panel's "Include workers". */
export interface WorkerControl {
  set(tabId: number, on: boolean): Promise<WorkerCaptureState>;
  state(tabId: number): WorkerCaptureState;
}

/** The `doc` of events the background makes itself (no document: a panel's bridge keeps them on every page). */
const BACKGROUND_DOC = 'background';

/** The background: buffers, persistence, port pairing and the API. */
export class Hub implements PortHub {
  /** Resolves when the persisted state is loaded; every handler waits for it. */
  readonly ready: Promise<void>;
  readonly startedAt = Date.now();
  readonly buffers: TabBuffers;
  private readonly persistence: Persistence;
  private readonly workerControl: WorkerControl | null;

  constructor(
    store: SessionStore,
    opts: { limits?: Partial<HubLimits>; liveTabIds?: () => Promise<number[] | null>; workers?: WorkerControl } = {},
  ) {
    this.buffers = new TabBuffers({ ...DEFAULT_LIMITS, ...opts.limits });
    this.persistence = new Persistence(store, this.buffers, {
      committed: (tab, events, acked) => deliverDurable(this, tab, events, acked),
      shrunk: (tab) => this.bound(tab),
      lostInStorage: (tab, count) => {
        tab.dropped.background += count;
        this.buffers.append(tab, droppedEvent(tab, count, 'background', -1, currentDoc(tab)));
        this.markDirty(tab);
      },
    });
    this.workerControl = opts.workers ?? null;
    this.ready = this.persistence.load(opts.liveTabIds ?? (async () => null)).catch((error: unknown) => {
      // Unreadable storage must not stop capture: start empty (the loss shows as a seq restart).
      console.error('[realtime-inspector] could not load the persisted buffer', error);
    });
  }

  /** A relay port from a frame of `tabId` (both ids come from port.sender, never from the page). */
  connectRelay(port: PortLike, tabId: number, frameId: number): void {
    connectRelay(this, port, tabId, frameId);
  }

  /** A panel port (an extension page); it names the tab it shows in `subscribe`. */
  connectPanel(port: PortLike): void {
    connectPanel(this, port);
  }

  markDirty(tab: Tab): void {
    this.persistence.markDirty(tab);
  }

  /** Apply the bounds after `tab` grew, and record each loss in the tab that had it. */
  bound(tab: Tab): void {
    for (const [victim, count] of this.buffers.enforceBounds(tab)) {
      victim.dropped.background += count;
      this.buffers.append(victim, droppedEvent(victim, count, 'background', -1, currentDoc(victim)));
      this.markDirty(victim);
    }
  }

  /** Resolves once everything accepted so far is persisted (tests). */
  async settled(): Promise<void> {
    await this.ready;
    await this.persistence.settled();
  }

  configOf(tab: Tab): PageConfig {
    return { recording: tab.recording, maxTextChars: DEFAULT_MAX_TEXT_CHARS };
  }

  statsOf(tab: Tab): TabStats {
    return {
      tabId: tab.tabId,
      events: this.buffers.eventCount(tab),
      chars: tab.chars,
      firstSeq: tab.chunks[0]?.events[0]?.seq ?? 0,
      lastSeq: tab.lastSeq,
      clearedAtSeq: tab.clearedAtSeq,
      recording: tab.recording,
      dropped: { ...tab.dropped },
      rejected: tab.rejected,
      relays: tab.relayPorts.size,
      panels: tab.panelPorts.size,
      url: tab.url,
      title: tab.title,
      workerStartedAt: this.startedAt,
    };
  }

  /**
   * The browser replaced a tab by another of a new id (Chrome gives a discarded tab a new id,
   * `tabs.onReplaced`): the capture goes on under the new id, as the same tab to the user.
   */
  async replaceTab(removedTabId: number, addedTabId: number): Promise<void> {
    await this.ready;
    const tab = this.buffers.tabs.get(removedTabId);
    // A capture already under the new id (the new page was quicker than the event) is left as it is.
    if (!tab || this.buffers.tabs.has(addedTabId)) return;
    this.buffers.rekey(tab, addedTabId, META_PREFIX + removedTabId);
    this.markDirty(tab);
  }

  /** A closed tab: forget its buffer. */
  async removeTab(tabId: number): Promise<void> {
    await this.ready;
    const tab = this.buffers.tabs.get(tabId);
    if (!tab) return;
    this.buffers.remove(tab, META_PREFIX + tabId);
    this.persistence.forget(tab);
  }

  /**
   * Worker traffic translated from the DevTools protocol (src/shared/cdp-workers.ts: the
   * background's chrome.debugger tap, or the CLI's own connection through the API): each
   * event must pass the guard and carry its worker `origin` (page hooks never set one), and
   * is sequenced into the tab's buffer like the page's own. Returns how many were taken.
   */
  async addWorkerEvents(tabId: number, events: readonly unknown[]): Promise<number> {
    await this.ready;
    const tab = this.buffers.tab(tabId);
    if (!tab.recording) return 0;
    let taken = 0;
    for (const event of events) {
      if (!isCaptureEvent(event) || !('origin' in event) || event.origin === undefined) {
        tab.rejected++;
        continue;
      }
      event.seq = ++tab.lastSeq;
      event.frameId = -1;
      this.buffers.append(tab, event);
      taken++;
    }
    this.bound(tab);
    this.markDirty(tab);
    return taken;
  }

  /** The API of `self.realtimeInspector` and of panel runtime messages. */
  readonly api: InspectorApi = {
    tabs: async () => {
      await this.ready;
      return [...this.buffers.tabs.values()].map((t) => this.statsOf(t));
    },
    exportTab: async (tabId) => {
      // Everything held, durable or not: waiting for a quiet moment could starve under constant traffic.
      await this.ready;
      const tab = this.buffers.tabs.get(tabId);
      const events = tab ? tab.chunks.flatMap((c) => c.events) : [];
      const file: CaptureFile = {
        format: 'realtime-inspector-capture',
        version: CAPTURE_SCHEMA_VERSION,
        createdAt: new Date().toISOString(),
        page: { url: tab?.url ?? '', title: tab?.title ?? '' },
        redacted: false,
        events,
      };
      return file;
    },
    injectFault: async (tabId: number, command: FaultCommand, frameId?: number) => {
      await this.ready;
      const targets = [...(this.buffers.tabs.get(tabId)?.relayPorts ?? [])].filter(
        (c) => c.relayId !== null && (frameId === undefined || c.frameId === frameId),
      );
      if (!targets.length) throw new Error(`no connected frame${frameId === undefined ? '' : ` ${frameId}`} in tab ${tabId}`);
      for (const c of targets) send<ToRelayMessages, 'fault'>(c.port, 'fault', { command });
    },
    setRecording: async (tabId, on) => {
      await this.ready;
      const tab = this.buffers.tab(tabId);
      // The analysis must know where the capture has a hole (a polling loop goes on unseen).
      if (tab.recording !== on) {
        this.buffers.append(tab, { type: 'capture.recording', seq: ++tab.lastSeq, pseq: 0, t: Date.now() + tab.clockOffsetMs, frameId: 0, doc: BACKGROUND_DOC, on });
      }
      tab.recording = on;
      for (const c of tab.relayPorts) send<ToRelayMessages, 'config'>(c.port, 'config', this.configOf(tab));
      this.markDirty(tab);
      broadcastStats(this, tab);
    },
    clear: async (tabId) => {
      await this.ready;
      const tab = this.buffers.tabs.get(tabId);
      if (!tab) return;
      this.buffers.clear(tab);
      tab.clearedAtSeq = tab.lastSeq;
      tab.dropped = { page: 0, relay: 0, background: 0 };
      tab.rejected = 0;
      this.markDirty(tab);
      const stats = this.statsOf(tab);
      for (const port of tab.panelPorts) send<ToPanelMessages, 'cleared'>(port, 'cleared', { lastSeq: tab.lastSeq, stats });
    },
    stats: async (tabId) => {
      await this.ready;
      const tab = this.buffers.tabs.get(tabId);
      return this.statsOf(tab ?? emptyTab(tabId));
    },
    addWorkerEvents: (tabId, events) => this.addWorkerEvents(tabId, events),
    setWorkerCapture: async (tabId, on) => {
      await this.ready;
      if (!this.workerControl) return { on: false, workers: [], error: 'worker capture is not available here' };
      return this.workerControl.set(tabId, on);
    },
    workerCapture: async (tabId) => {
      await this.ready;
      return this.workerControl?.state(tabId) ?? { on: false, workers: [], error: null };
    },
  };
}
