/**
 * The service worker's logic, independent of chrome.*: per-tab buffers kept from
 * page load, persisted so that an MV3 worker restart loses and duplicates nothing,
 * relay and panel ports paired by tab id, and the API for the panel, the CLI and tests.
 *
 * Buffer: each tab holds its events in chunks (bounded in events and characters);
 * a chunk is `open` while it accumulates, `writing` while a storage commit carries it,
 * `durable` once the commit resolved. Acknowledgements to relays and live events to
 * panels are sent only for durable chunks, so whatever a relay forgets or a panel
 * shows survives a restart. Bounds evict the oldest chunks and say so in a
 * `capture.dropped` event (where: 'background'). The character bound is shared
 * fairly: every tab holding events is guaranteed an equal share of it, so one
 * tab's flood cannot evict a quiet tab's history (see `victimOf`).
 */
import type { CaptureEvent, CaptureFile, DroppedEvent } from '../core/events.ts';
import { CAPTURE_SCHEMA_VERSION } from '../core/events.ts';
import { DEFAULT_MAX_TEXT_CHARS, PANEL_HISTORY_CHUNK, STORE_MAX_CHARS, TAB_MAX_EVENTS, TAB_MAX_RELAYS } from '../shared/constants.ts';
import type { FaultCommand } from '../shared/page-bridge.ts';
import { parsePageEvents } from '../shared/page-events.ts';
import { CHUNK_PREFIX, decodeTabMeta, META_PREFIX, TAB_META_VERSION, type TabMeta } from './tab-meta.ts';
import { isCaptureEvent } from '../core/guard.ts';
import {
  PANEL_MESSAGE_CHECKS,
  parseWire,
  RELAY_MESSAGE_CHECKS,
  send,
  type InspectorApi,
  type PageConfig,
  type PanelMessages,
  type PortLike,
  type RelayMessages,
  type TabStats,
  type ToPanelMessages,
  type WorkerCaptureState,
  type ToRelayMessages,
} from '../shared/messages.ts';

/** Most events in one stored chunk (eviction granularity). */
export const CHUNK_MAX_EVENTS = 1000;
/** Most characters in one stored chunk (eviction granularity for large payloads). */
export const CHUNK_MAX_CHARS = 256 * 1024;

/** The storage the buffer persists to (IndexedDB in the worker, see idb-store.ts; tests use a Map). */
export interface SessionStore {
  getAll(): Promise<Record<string, unknown>>;
  set(items: Record<string, unknown>): Promise<void>;
  remove(keys: string[]): Promise<void>;
}

/** Worker capture of a tab over chrome.debugger (src/background/index.ts), behind the panel's "Include workers". */
export interface WorkerControl {
  set(tabId: number, on: boolean): Promise<WorkerCaptureState>;
  state(tabId: number): WorkerCaptureState;
}

/** Bounds, overridable for tests. */
export interface HubLimits {
  tabMaxEvents: number;
  storeMaxChars: number;
  chunkMaxEvents: number;
  chunkMaxChars: number;
}

const DEFAULT_LIMITS: HubLimits = {
  tabMaxEvents: TAB_MAX_EVENTS,
  storeMaxChars: STORE_MAX_CHARS,
  chunkMaxEvents: CHUNK_MAX_EVENTS,
  chunkMaxChars: CHUNK_MAX_CHARS,
};

interface Chunk {
  key: string;
  events: CaptureEvent[];
  /** JSON of each event while the chunk is open (joined into the stored string at commit). */
  parts: string[];
  /** Characters of the chunk's stored JSON. */
  chars: number;
  state: 'open' | 'writing' | 'durable';
}

/** What the background remembers of one relay instance (for de-duplication). */
interface RelayRecord {
  /** Highest batch accepted into the buffer. */
  accepted: number;
  /** Highest batch persisted (acknowledged). */
  durable: number;
  /** The relay's cumulative counters as last reported. */
  dropped: number;
  rejected: number;
  /** URL and title of the relay's document when it is a top document (not persisted): the tab's again when it is restored. */
  page?: { url: string; title: string };
}

interface RelayConnection {
  port: PortLike;
  relayId: string | null;
  frameId: number;
}

interface Tab {
  tabId: number;
  lastSeq: number;
  clearedAtSeq: number;
  nextChunk: number;
  chunks: Chunk[];
  /** Characters of all its chunks (the sum of their `chars`). */
  chars: number;
  recording: boolean;
  relays: Map<string, RelayRecord>;
  dropped: { page: number; relay: number; background: number };
  rejected: number;
  url: string;
  title: string;
  relayPorts: Set<RelayConnection>;
  panelPorts: Set<PortLike>;
  /**
   * The page's clock minus the worker's when the last batch arrived: page events are
   * timed `timeOrigin + performance.now()`, which drifts from `Date.now()` (suspend,
   * clock steps), so events the background makes are stamped in the page's time.
   */
  clockOffsetMs: number;
  /** When clockOffsetMs was last measured (worker clock); 0 = never. */
  clockMeasuredAt: number;
}

/** The `doc` of events the background makes itself (no document: a panel's bridge keeps them on every page). */
const BACKGROUND_DOC = 'background';


/** The background: buffers, persistence, port pairing and the API. */
export class Hub {
  /** Resolves when the persisted state is loaded; every handler waits for it. */
  readonly ready: Promise<void>;
  readonly startedAt = Date.now();
  private readonly tabs = new Map<number, Tab>();
  private readonly limits: HubLimits;
  private readonly evictedKeys: string[] = [];
  private readonly dirtyTabs = new Set<Tab>();
  private commitScheduled = false;
  private committing: Promise<void> | null = null;
  private totalChars = 0;

  private readonly workerControl: WorkerControl | null;

  constructor(
    private readonly store: SessionStore,
    opts: { limits?: Partial<HubLimits>; liveTabIds?: () => Promise<number[] | null>; workers?: WorkerControl } = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.workerControl = opts.workers ?? null;
    this.ready = this.load(opts.liveTabIds ?? (async () => null)).catch((error: unknown) => {
      // Unreadable storage must not stop capture: start empty (the loss shows as a seq restart).
      console.error('[realtime-inspector] could not load the persisted buffer', error);
    });
  }

  // --- Ports ---

  /** A relay port from a frame of `tabId` (both ids come from port.sender, never from the page). */
  connectRelay(port: PortLike, tabId: number, frameId: number): void {
    const connection: RelayConnection = { port, relayId: null, frameId };
    let tab: Tab | null = null;
    port.onMessage.addListener((raw) => {
      void this.ready.then(() => {
        const message = parseWire<RelayMessages>(raw, RELAY_MESSAGE_CHECKS);
        if (!message) return;
        tab ??= this.tab(tabId);
        // The tab was closed (removeTab): what its ports still deliver is neither kept nor counted against the bound.
        if (this.tabs.get(tabId) !== tab) return;
        if (message.type === 'hello') {
          this.helloFromRelay(tab, connection, message.payload.relayId);
        } else if (connection.relayId !== null) {
          this.batchFromRelay(tab, connection, message.payload);
        }
      });
    });
    port.onDisconnect.addListener(() => tab?.relayPorts.delete(connection));
  }

  /** A panel port (an extension page); it names the tab it shows in `subscribe`. */
  connectPanel(port: PortLike): void {
    let tab: Tab | null = null;
    port.onMessage.addListener((raw) => {
      void this.ready.then(() => {
        const message = parseWire<PanelMessages>(raw, PANEL_MESSAGE_CHECKS);
        if (!message || tab) return;
        tab = this.tab(message.payload.tabId);
        this.subscribePanel(tab, port, message.payload.afterSeq);
      });
    });
    port.onDisconnect.addListener(() => tab?.panelPorts.delete(port));
  }

  private helloFromRelay(tab: Tab, connection: RelayConnection, relayId: string): void {
    connection.relayId = relayId;
    tab.relayPorts.add(connection);
    let record = tab.relays.get(relayId);
    if (!record) {
      record = { accepted: 0, durable: 0, dropped: 0, rejected: 0 };
      tab.relays.set(relayId, record);
      this.forgetOldRelays(tab);
    }
    send<ToRelayMessages, 'welcome'>(connection.port, 'welcome', { ackedBatch: record.durable, config: this.configOf(tab) });
  }

  private forgetOldRelays(tab: Tab): void {
    const connected = new Set([...tab.relayPorts].map((c) => c.relayId));
    for (const id of tab.relays.keys()) {
      if (tab.relays.size <= TAB_MAX_RELAYS) break;
      if (!connected.has(id)) tab.relays.delete(id);
    }
  }

  private batchFromRelay(tab: Tab, connection: RelayConnection, batch: RelayMessages['batch']): void {
    const record = tab.relays.get(connection.relayId!);
    if (!record) return;
    if (batch.batch <= record.accepted) {
      // A resend of something already taken: acknowledge what is durable; the rest is acked by its commit.
      if (batch.batch <= record.durable) send<ToRelayMessages, 'ack'>(connection.port, 'ack', { batch: record.durable });
      return;
    }
    record.accepted = batch.batch;
    // The relay forwards the page's messages unparsed: parse them and check every event here, off the page's thread.
    const events: CaptureEvent[] = [];
    let rejectedHere = 0;
    for (const page of batch.pages) {
      const parsed = parsePageEvents(page);
      for (const event of parsed.events) events.push(event);
      rejectedHere += parsed.rejected;
    }
    this.trackClock(tab, events);
    // The relay saw the document come back from the back/forward cache: before its new events.
    for (const stay of batch.restored ?? []) {
      if (!tab.recording) break;
      if (connection.frameId === 0 && record.page) {
        tab.url = record.page.url;
        tab.title = record.page.title;
      }
      this.append(tab, {
        type: 'doc.restored',
        seq: ++tab.lastSeq,
        pseq: 0,
        t: stay.restoredAt,
        frameId: connection.frameId,
        doc: batch.doc || (events[0]?.doc ?? ''),
        cachedAt: stay.cachedAt,
      });
    }
    for (const event of events) {
      if (event.type === 'doc.start' && connection.frameId === 0) {
        tab.url = event.url;
        tab.title = event.title;
        record.page = { url: event.url, title: event.title };
      }
      // Paused: the hooks stop on `config`, but a new document emits its first events before that arrives.
      if (!tab.recording) continue;
      // Only the background says when recording paused or a document came back from the
      // back/forward cache (the guard lets the schema through).
      if (event.type === 'capture.recording' || event.type === 'doc.restored') {
        tab.rejected++;
        continue;
      }
      event.seq = ++tab.lastSeq;
      event.frameId = connection.frameId;
      if (event.type === 'capture.dropped') tab.dropped.page += event.count;
      this.append(tab, event);
    }
    // Rejected events count as lost on the page → background hop (`where: 'relay'`), whichever side found them bad.
    const lostInRelay = batch.dropped - record.dropped + (batch.rejected - record.rejected) + rejectedHere;
    if (lostInRelay > 0) {
      tab.dropped.relay += batch.dropped - record.dropped;
      tab.rejected += batch.rejected - record.rejected + rejectedHere;
      this.append(tab, this.droppedEvent(tab, lostInRelay, 'relay', connection.frameId, batch.doc || (events[0]?.doc ?? '')));
    }
    record.dropped = Math.max(record.dropped, batch.dropped);
    record.rejected = Math.max(record.rejected, batch.rejected);
    this.enforceBounds(tab);
    this.markDirty(tab);
  }

  private subscribePanel(tab: Tab, port: PortLike, afterSeq: number): void {
    tab.panelPorts.add(port);
    send<ToPanelMessages, 'welcome'>(port, 'welcome', { tabId: tab.tabId, stats: this.statsOf(tab) });
    let pending: CaptureEvent[] = [];
    for (const chunk of tab.chunks) {
      if (chunk.state !== 'durable') break;
      for (const event of chunk.events) {
        if (event.seq <= afterSeq) continue;
        pending.push(event);
        if (pending.length >= PANEL_HISTORY_CHUNK) {
          send<ToPanelMessages, 'events'>(port, 'events', { events: pending, history: true });
          pending = [];
        }
      }
    }
    if (pending.length) send<ToPanelMessages, 'events'>(port, 'events', { events: pending, history: true });
    send<ToPanelMessages, 'synced'>(port, 'synced', { stats: this.statsOf(tab) });
  }

  // --- Buffer ---

  private tab(tabId: number): Tab {
    let tab = this.tabs.get(tabId);
    if (!tab) {
      tab = emptyTab(tabId);
      this.tabs.set(tabId, tab);
    }
    return tab;
  }

  private append(tab: Tab, event: CaptureEvent): void {
    const json = JSON.stringify(event);
    const chars = json.length + 1;
    let chunk = tab.chunks.at(-1);
    if (
      !chunk ||
      chunk.state !== 'open' ||
      chunk.events.length >= this.limits.chunkMaxEvents ||
      (chunk.events.length > 0 && chunk.chars + chars > this.limits.chunkMaxChars)
    ) {
      chunk = { key: `${CHUNK_PREFIX}${tab.tabId}:${tab.nextChunk++}`, events: [], parts: [], chars: 1, state: 'open' };
      this.totalChars += 1;
      tab.chars += 1;
      tab.chunks.push(chunk);
    }
    chunk.events.push(event);
    chunk.parts.push(json);
    chunk.chars += chars;
    tab.chars += chars;
    this.totalChars += chars;
  }

  /**
   * Follow the page's clock: the newest event of a batch was made just before it arrived
   * (a resent batch is older, so it can only lower the estimate: the larger offset wins
   * unless the last measure is over 5 s old, e.g. after a suspend moved the clocks apart).
   */
  private trackClock(tab: Tab, events: readonly CaptureEvent[]): void {
    const now = Date.now();
    let offset = Number.NEGATIVE_INFINITY;
    for (const e of events) if (Number.isFinite(e.t) && e.t - now > offset) offset = e.t - now;
    if (!Number.isFinite(offset)) return;
    if (tab.clockMeasuredAt === 0 || offset > tab.clockOffsetMs || now - tab.clockMeasuredAt > 5000) {
      tab.clockOffsetMs = offset;
      tab.clockMeasuredAt = now;
    }
  }

  private droppedEvent(tab: Tab, count: number, where: DroppedEvent['where'], frameId: number, doc: string): DroppedEvent {
    return { type: 'capture.dropped', seq: ++tab.lastSeq, pseq: 0, t: Date.now(), frameId, doc, count, where };
  }

  private eventCount(tab: Tab): number {
    return tab.chunks.reduce((n, c) => n + c.events.length, 0);
  }

  /**
   * Which tab gives up its oldest chunk when the character bound is exceeded after `grown`
   * grew. Every tab holding events is guaranteed an equal share of the bound:
   * - the tab that grew pays for its own growth once it holds more than its share;
   * - below its share, it takes room from the tab furthest above its share, and only
   *   from a tab that stays at or above its share without that chunk (eviction is by
   *   whole chunks: without this rule a quiet tab just above its share lost a whole
   *   chunk to a flood in another tab);
   * - when no tab can give a chunk that way, the tab that grew pays, and failing that
   *   the largest tab: the bound holds whatever the shapes.
   * A tab always keeps its newest chunk (the one open for appends).
   */
  private victimOf(grown: Tab): Tab | null {
    let holding = 0;
    for (const t of this.tabs.values()) if (t.chunks.length > 0) holding++;
    const share = this.limits.storeMaxChars / Math.max(1, holding);
    const canGive = (t: Tab) => t.chunks.length > 1;
    if (canGive(grown) && grown.chars > share) return grown;
    let furthest: Tab | null = null;
    for (const t of this.tabs.values()) {
      if (t === grown || !canGive(t) || t.chars - t.chunks[0]!.chars < share) continue;
      if (!furthest || t.chars > furthest.chars) furthest = t;
    }
    if (furthest) return furthest;
    if (canGive(grown)) return grown;
    let largest: Tab | null = null;
    for (const t of this.tabs.values()) if (canGive(t) && (!largest || t.chars > largest.chars)) largest = t;
    return largest;
  }

  /** Evict the oldest chunks while a bound is exceeded after `tab` grew, and record the loss in the affected tabs. */
  private enforceBounds(tab: Tab): void {
    const evicted = new Map<Tab, number>();
    const evictFront = (victim: Tab) => {
      const chunk = victim.chunks.shift()!;
      this.totalChars -= chunk.chars;
      victim.chars -= chunk.chars;
      if (chunk.state !== 'open') this.evictedKeys.push(chunk.key);
      evicted.set(victim, (evicted.get(victim) ?? 0) + chunk.events.length);
    };
    while (tab.chunks.length > 1 && this.eventCount(tab) > this.limits.tabMaxEvents) evictFront(tab);
    while (this.totalChars > this.limits.storeMaxChars) {
      const victim = this.victimOf(tab);
      if (!victim) break;
      evictFront(victim);
    }
    for (const [victim, count] of evicted) {
      victim.dropped.background += count;
      this.append(victim, this.droppedEvent(victim, count, 'background', -1, this.currentDoc(victim)));
      this.markDirty(victim);
    }
  }

  private currentDoc(tab: Tab): string {
    for (let i = tab.chunks.length - 1; i >= 0; i--) {
      const events = tab.chunks[i]!.events;
      for (let j = events.length - 1; j >= 0; j--) if (events[j]!.doc) return events[j]!.doc;
    }
    return '';
  }

  // --- Persistence ---

  private markDirty(tab: Tab): void {
    this.dirtyTabs.add(tab);
    this.scheduleCommit();
  }

  private scheduleCommit(): void {
    if (this.commitScheduled) return;
    this.commitScheduled = true;
    setTimeout(() => void this.commit(), 0);
  }

  /** Write open chunks and metadata in one storage call, then ack relays and feed panels. */
  private async commit(): Promise<void> {
    while (this.committing) await this.committing;
    if (!this.commitScheduled) return;
    this.commitScheduled = false;
    const tabs = [...this.dirtyTabs];
    this.dirtyTabs.clear();
    const items: Record<string, unknown> = {};
    const written: Array<{ tab: Tab; chunks: Chunk[]; acks: Map<string, number> }> = [];
    for (const tab of tabs) {
      if (this.tabs.get(tab.tabId) !== tab) continue;
      const chunks = tab.chunks.filter((c) => c.state === 'open');
      for (const chunk of chunks) {
        chunk.state = 'writing';
        // Stored as one JSON string: measured several times faster to write than the same
        // data as objects (INTERNALS.md).
        items[chunk.key] = `[${chunk.parts.join(',')}]`;
      }
      items[META_PREFIX + tab.tabId] = this.metaOf(tab);
      const acks = new Map<string, number>();
      for (const [id, record] of tab.relays) if (record.accepted > record.durable) acks.set(id, record.accepted);
      written.push({ tab, chunks, acks });
    }
    const removed = this.evictedKeys.splice(0);
    const run = (async () => {
      try {
        if (Object.keys(items).length) await this.store.set(items);
        if (removed.length) await this.store.remove(removed);
      } catch (error) {
        // Most likely the storage quota: nothing of this commit is acknowledged; shrink and retry.
        console.error('[realtime-inspector] commit failed', error);
        for (const { tab, chunks } of written) {
          for (const chunk of chunks) if (tab.chunks.includes(chunk)) chunk.state = 'open';
        }
        this.evictedKeys.push(...removed);
        this.limits.storeMaxChars = Math.floor(this.limits.storeMaxChars * 0.8);
        for (const { tab } of written) this.enforceBounds(tab);
        for (const { tab } of written) this.markDirty(tab);
        return;
      }
      for (const { tab, chunks, acks } of written) this.afterCommit(tab, chunks, acks);
    })();
    this.committing = run;
    await run;
    this.committing = null;
  }

  private afterCommit(tab: Tab, chunks: Chunk[], acks: Map<string, number>): void {
    const live: CaptureEvent[] = [];
    for (const chunk of chunks) {
      if (!tab.chunks.includes(chunk)) continue;
      chunk.state = 'durable';
      chunk.parts = [];
      live.push(...chunk.events);
    }
    for (const [id, batch] of acks) {
      const record = tab.relays.get(id);
      if (!record) continue;
      record.durable = Math.max(record.durable, batch);
      for (const c of tab.relayPorts) {
        if (c.relayId === id) send<ToRelayMessages, 'ack'>(c.port, 'ack', { batch: record.durable });
      }
    }
    if (live.length) for (const port of tab.panelPorts) send<ToPanelMessages, 'events'>(port, 'events', { events: live, history: false });
    if (live.some((e) => e.type === 'capture.dropped')) this.broadcastStats(tab);
  }

  /** Resolves once everything accepted so far is persisted (tests). */
  async settled(): Promise<void> {
    await this.ready;
    while (this.commitScheduled || this.committing) {
      await (this.committing ?? new Promise((r) => setTimeout(r, 0)));
    }
  }

  private metaOf(tab: Tab): TabMeta {
    return {
      v: TAB_META_VERSION,
      lastSeq: tab.lastSeq,
      clearedAtSeq: tab.clearedAtSeq,
      nextChunk: tab.nextChunk,
      chunks: tab.chunks.map((c) => ({ key: c.key, chars: c.chars })),
      recording: tab.recording,
      relays: [...tab.relays].map(([id, r]) => [id, { durable: r.accepted, dropped: r.dropped, rejected: r.rejected }]),
      dropped: { ...tab.dropped },
      rejected: tab.rejected,
      url: tab.url,
      title: tab.title,
    };
  }

  private async load(liveTabIds: () => Promise<number[] | null>): Promise<void> {
    const all = await this.store.getAll();
    const live = await liveTabIds();
    const referenced = new Set<string>();
    const stale: string[] = [];
    for (const [key, value] of Object.entries(all)) {
      if (!key.startsWith(META_PREFIX)) continue;
      const tabId = Number(key.slice(META_PREFIX.length));
      if (!Number.isSafeInteger(tabId) || (live && !live.includes(tabId))) {
        stale.push(key);
        continue;
      }
      const meta = decodeTabMeta(value);
      if (meta === null) {
        // Written by another version, or damaged: dropped (its chunks go as unreferenced), not misread.
        console.warn(`[realtime-inspector] stored state of tab ${tabId} is not readable by this version; dropped`);
        stale.push(key);
        continue;
      }
      const tab = this.tab(tabId);
      tab.lastSeq = meta.lastSeq;
      tab.clearedAtSeq = meta.clearedAtSeq;
      tab.nextChunk = meta.nextChunk;
      tab.recording = meta.recording;
      tab.dropped = { ...meta.dropped };
      tab.rejected = meta.rejected;
      tab.url = meta.url;
      tab.title = meta.title;
      for (const [id, r] of meta.relays) tab.relays.set(id, { accepted: r.durable, ...r });
      for (const { key: chunkKey, chars } of meta.chunks) {
        const events = parseChunk(all[chunkKey]);
        if (events === null) {
          console.warn(`[realtime-inspector] stored chunk ${chunkKey} of tab ${tabId} is missing or damaged; its events are lost`);
          continue;
        }
        referenced.add(chunkKey);
        tab.chunks.push({ key: chunkKey, events, parts: [], chars, state: 'durable' });
        tab.chars += chars;
        this.totalChars += chars;
      }
    }
    for (const key of Object.keys(all)) if (key.startsWith(CHUNK_PREFIX) && !referenced.has(key)) stale.push(key);
    if (stale.length) await this.store.remove(stale);
  }

  // --- API ---

  private configOf(tab: Tab): PageConfig {
    return { recording: tab.recording, maxTextChars: DEFAULT_MAX_TEXT_CHARS };
  }

  private statsOf(tab: Tab): TabStats {
    return {
      tabId: tab.tabId,
      events: this.eventCount(tab),
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

  private broadcastStats(tab: Tab): void {
    const stats = this.statsOf(tab);
    for (const port of tab.panelPorts) send<ToPanelMessages, 'stats'>(port, 'stats', stats);
  }

  /** A closed tab: forget its buffer. */
  async removeTab(tabId: number): Promise<void> {
    await this.ready;
    const tab = this.tabs.get(tabId);
    if (!tab) return;
    this.tabs.delete(tabId);
    this.dirtyTabs.delete(tab);
    for (const chunk of tab.chunks) this.totalChars -= chunk.chars;
    this.evictedKeys.push(...tab.chunks.filter((c) => c.state !== 'open').map((c) => c.key), META_PREFIX + tabId);
    this.scheduleCommit();
  }

  /**
   * Worker traffic translated from the DevTools protocol (src/shared/cdp-workers.ts: the
   * background's chrome.debugger tap, or the CLI's own connection through the API): each
   * event must pass the guard and carry its worker `origin` (page hooks never set one), and
   * is sequenced into the tab's buffer like the page's own. Returns how many were taken.
   */
  async addWorkerEvents(tabId: number, events: readonly unknown[]): Promise<number> {
    await this.ready;
    const tab = this.tab(tabId);
    if (!tab.recording) return 0;
    let taken = 0;
    for (const event of events) {
      if (!isCaptureEvent(event) || !('origin' in event) || event.origin === undefined) {
        tab.rejected++;
        continue;
      }
      event.seq = ++tab.lastSeq;
      event.frameId = -1;
      this.append(tab, event);
      taken++;
    }
    this.enforceBounds(tab);
    this.markDirty(tab);
    return taken;
  }

  /** The API of `self.realtimeInspector` and of panel runtime messages. */
  readonly api: InspectorApi = {
    tabs: async () => {
      await this.ready;
      return [...this.tabs.values()].map((t) => this.statsOf(t));
    },
    exportTab: async (tabId) => {
      // Everything held, durable or not: waiting for a quiet moment could starve under constant traffic.
      await this.ready;
      const tab = this.tabs.get(tabId);
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
      const targets = [...(this.tabs.get(tabId)?.relayPorts ?? [])].filter(
        (c) => c.relayId !== null && (frameId === undefined || c.frameId === frameId),
      );
      if (!targets.length) throw new Error(`no connected frame${frameId === undefined ? '' : ` ${frameId}`} in tab ${tabId}`);
      for (const c of targets) send<ToRelayMessages, 'fault'>(c.port, 'fault', { command });
    },
    setRecording: async (tabId, on) => {
      await this.ready;
      const tab = this.tab(tabId);
      // The analysis must know where the capture has a hole (a polling loop goes on unseen).
      if (tab.recording !== on) {
        this.append(tab, { type: 'capture.recording', seq: ++tab.lastSeq, pseq: 0, t: Date.now() + tab.clockOffsetMs, frameId: 0, doc: BACKGROUND_DOC, on });
      }
      tab.recording = on;
      for (const c of tab.relayPorts) send<ToRelayMessages, 'config'>(c.port, 'config', this.configOf(tab));
      this.markDirty(tab);
      this.broadcastStats(tab);
    },
    clear: async (tabId) => {
      await this.ready;
      const tab = this.tabs.get(tabId);
      if (!tab) return;
      for (const chunk of tab.chunks) {
        this.totalChars -= chunk.chars;
        if (chunk.state !== 'open') this.evictedKeys.push(chunk.key);
      }
      tab.chunks = [];
      tab.chars = 0;
      tab.clearedAtSeq = tab.lastSeq;
      tab.dropped = { page: 0, relay: 0, background: 0 };
      tab.rejected = 0;
      this.markDirty(tab);
      const stats = this.statsOf(tab);
      for (const port of tab.panelPorts) send<ToPanelMessages, 'cleared'>(port, 'cleared', { lastSeq: tab.lastSeq, stats });
    },
    stats: async (tabId) => {
      await this.ready;
      const tab = this.tabs.get(tabId);
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

function emptyTab(tabId: number): Tab {
  return {
    tabId,
    lastSeq: 0,
    clearedAtSeq: 0,
    nextChunk: 1,
    chunks: [],
    chars: 0,
    recording: true,
    relays: new Map(),
    dropped: { page: 0, relay: 0, background: 0 },
    rejected: 0,
    url: '',
    title: '',
    relayPorts: new Set(),
    panelPorts: new Set(),
    clockOffsetMs: 0,
    clockMeasuredAt: 0,
  };
}

/** A stored chunk's events, or null when it is missing or damaged (its events are then lost with it). */
function parseChunk(json: unknown): CaptureEvent[] | null {
  if (typeof json !== 'string') return null;
  try {
    const events: unknown = JSON.parse(json);
    return Array.isArray(events) ? (events as CaptureEvent[]) : null;
  } catch {
    return null;
  }
}
