/**
 * The per-tab buffers: each tab holds its events in chunks, bounded in events and
 * characters. A chunk is `open` while it accumulates, `writing` while a storage commit
 * carries it, `durable` once the commit resolved (persistence.ts moves it along). Bounds
 * evict the oldest chunks; the hub records the loss in a `capture.dropped` event. The
 * character bound is shared fairly: every tab holding events is guaranteed an equal share
 * of it, so one tab's flood cannot evict a quiet tab's history (see `victimOf`).
 */
import type { CaptureEvent, DroppedEvent } from '../core/events.ts';
import { STORE_MAX_CHARS, TAB_MAX_EVENTS } from '../shared/constants.ts';
import type { PortLike } from '../shared/messages.ts';
import { CHUNK_PREFIX } from './tab-meta.ts';

/** Most events in one stored chunk (eviction granularity). */
export const CHUNK_MAX_EVENTS = 1000;
/** Most characters in one stored chunk (eviction granularity for large payloads). */
export const CHUNK_MAX_CHARS = 256 * 1024;

/** Bounds, overridable for tests. */
export interface HubLimits {
  tabMaxEvents: number;
  storeMaxChars: number;
  chunkMaxEvents: number;
  chunkMaxChars: number;
}

export const DEFAULT_LIMITS: HubLimits = {
  tabMaxEvents: TAB_MAX_EVENTS,
  storeMaxChars: STORE_MAX_CHARS,
  chunkMaxEvents: CHUNK_MAX_EVENTS,
  chunkMaxChars: CHUNK_MAX_CHARS,
};

export interface Chunk {
  key: string;
  events: CaptureEvent[];
  /** JSON of each event while the chunk is open (joined into the stored string at commit). */
  parts: string[];
  /** Characters of the chunk's stored JSON. */
  chars: number;
  state: 'open' | 'writing' | 'durable';
}

/** What the background remembers of one relay instance (for de-duplication). */
export interface RelayRecord {
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

export interface RelayConnection {
  port: PortLike;
  relayId: string | null;
  frameId: number;
  /** The document the relay speaks for (one relay per document), once a batch named it. */
  doc: string | null;
}

export interface Tab {
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
  /** Relays whose port closed, by relay id: a `doc.end` unless the relay says hello again within DOC_END_GRACE_MS (not stored). */
  pendingEnds: Map<string, ReturnType<typeof setTimeout>>;
}

/** Every tab's buffer, the bounds they share, and the stored keys eviction freed. */
export class TabBuffers {
  readonly tabs = new Map<number, Tab>();
  /** Keys of stored chunks (and metadata) no longer referenced: the next commit removes them. */
  readonly evictedKeys: string[] = [];
  private totalChars = 0;

  constructor(readonly limits: HubLimits) {}

  /** The tab's buffer, made on first use. */
  tab(tabId: number): Tab {
    let tab = this.tabs.get(tabId);
    if (!tab) {
      tab = emptyTab(tabId);
      this.tabs.set(tabId, tab);
    }
    return tab;
  }

  append(tab: Tab, event: CaptureEvent): void {
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

  /** A durable chunk read back from storage at start-up. */
  restore(tab: Tab, key: string, events: CaptureEvent[], chars: number): void {
    tab.chunks.push({ key, events, parts: [], chars, state: 'durable' });
    tab.chars += chars;
    this.totalChars += chars;
  }

  /** Empty a tab's buffer (its stored chunks go with the next commit); the tab and its counters stay. */
  clear(tab: Tab): void {
    for (const chunk of tab.chunks) {
      this.totalChars -= chunk.chars;
      if (chunk.state !== 'open') this.evictedKeys.push(chunk.key);
    }
    tab.chunks = [];
    tab.chars = 0;
  }

  /** The browser gave the tab a new id (a discarded tab comes back as another): the buffer moves with it. */
  rekey(tab: Tab, tabId: number, oldMetaKey: string): void {
    this.tabs.delete(tab.tabId);
    tab.tabId = tabId;
    this.tabs.set(tabId, tab);
    this.evictedKeys.push(oldMetaKey);
  }

  /** Forget a closed tab, its stored chunks and its metadata (`metaKey`). */
  remove(tab: Tab, metaKey: string): void {
    this.tabs.delete(tab.tabId);
    for (const chunk of tab.chunks) this.totalChars -= chunk.chars;
    this.evictedKeys.push(...tab.chunks.filter((c) => c.state !== 'open').map((c) => c.key), metaKey);
  }

  eventCount(tab: Tab): number {
    return tab.chunks.reduce((n, c) => n + c.events.length, 0);
  }

  /**
   * Evict the oldest chunks while a bound is exceeded after `tab` grew. Returns how many
   * events each affected tab lost (the hub records it in the tab).
   */
  enforceBounds(tab: Tab): Map<Tab, number> {
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
    return evicted;
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
}

/** The `capture.dropped` event that records a loss in the tab's sequence. */
export function droppedEvent(tab: Tab, count: number, where: DroppedEvent['where'], frameId: number, doc: string): DroppedEvent {
  return { type: 'capture.dropped', seq: ++tab.lastSeq, pseq: 0, t: Date.now(), frameId, doc, count, where };
}

/** The document of the tab's newest event that names one ('' when none does). */
export function currentDoc(tab: Tab): string {
  for (let i = tab.chunks.length - 1; i >= 0; i--) {
    const events = tab.chunks[i]!.events;
    for (let j = events.length - 1; j >= 0; j--) if (events[j]!.doc) return events[j]!.doc;
  }
  return '';
}

export function emptyTab(tabId: number): Tab {
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
    pendingEnds: new Map(),
  };
}
