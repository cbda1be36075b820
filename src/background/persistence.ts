/**
 * Persistence of the tab buffers, so that an MV3 worker restart loses and duplicates
 * nothing: dirty tabs are written in one storage call per commit (open chunks and the
 * tab's versioned metadata, tab-meta.ts), evicted keys removed, and only then are the
 * chunks durable. The hub acknowledges relays and feeds panels from durable chunks only
 * (`CommitListener.committed`), so whatever a relay forgets or a panel shows survives a
 * restart. At start-up `load` reads everything back, dropping what this version cannot read.
 */
import type { CaptureEvent } from '../core/events.ts';
import type { Chunk, Tab, TabBuffers } from './tab-buffer.ts';
import { CHUNK_PREFIX, decodeTabMeta, META_PREFIX, TAB_META_VERSION, type TabMeta } from './tab-meta.ts';

/** The storage the buffer persists to (IndexedDB in the worker, see idb-store.ts; tests use a Map). */
export interface SessionStore {
  getAll(): Promise<Record<string, unknown>>;
  set(items: Record<string, unknown>): Promise<void>;
  remove(keys: string[]): Promise<void>;
}

/** What the hub does when a commit ends. */
export interface CommitListener {
  /** `events` of `tab` are durable; `ackedRelays` are the relays whose batches are now all durable. */
  committed(tab: Tab, events: CaptureEvent[], ackedRelays: string[]): void;
  /** A failed commit shrank the character bound: apply it to `tab` (evict and record the loss). */
  shrunk(tab: Tab): void;
  /** `count` events of `tab` were in stored chunks found damaged at start-up. */
  lostInStorage(tab: Tab, count: number): void;
}

export class Persistence {
  private readonly dirtyTabs = new Set<Tab>();
  private commitScheduled = false;
  private committing: Promise<void> | null = null;

  constructor(
    private readonly store: SessionStore,
    private readonly buffers: TabBuffers,
    private readonly listener: CommitListener,
  ) {}

  markDirty(tab: Tab): void {
    this.dirtyTabs.add(tab);
    this.scheduleCommit();
  }

  /** A closed tab: nothing of it is written any more (its keys are already among the evicted). */
  forget(tab: Tab): void {
    this.dirtyTabs.delete(tab);
    this.scheduleCommit();
  }

  /** Resolves once everything accepted so far is persisted (tests). */
  async settled(): Promise<void> {
    while (this.commitScheduled || this.committing) {
      await (this.committing ?? new Promise((r) => setTimeout(r, 0)));
    }
  }

  private scheduleCommit(): void {
    if (this.commitScheduled) return;
    this.commitScheduled = true;
    setTimeout(() => void this.commit(), 0);
  }

  /** Write open chunks and metadata in one storage call, then tell the hub what is durable. */
  private async commit(): Promise<void> {
    while (this.committing) await this.committing;
    if (!this.commitScheduled) return;
    this.commitScheduled = false;
    const tabs = [...this.dirtyTabs];
    this.dirtyTabs.clear();
    const items: Record<string, unknown> = {};
    const written: Array<{ tab: Tab; chunks: Chunk[]; acks: Map<string, number> }> = [];
    for (const tab of tabs) {
      if (this.buffers.tabs.get(tab.tabId) !== tab) continue;
      const chunks = tab.chunks.filter((c) => c.state === 'open');
      for (const chunk of chunks) {
        chunk.state = 'writing';
        // Stored as one JSON string: measured several times faster to write than the same
        // data as objects (INTERNALS.md).
        items[chunk.key] = `[${chunk.parts.join(',')}]`;
      }
      items[META_PREFIX + tab.tabId] = metaOf(tab);
      const acks = new Map<string, number>();
      for (const [id, record] of tab.relays) if (record.accepted > record.durable) acks.set(id, record.accepted);
      written.push({ tab, chunks, acks });
    }
    const removed = this.buffers.evictedKeys.splice(0);
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
        this.buffers.evictedKeys.push(...removed);
        this.buffers.limits.storeMaxChars = Math.floor(this.buffers.limits.storeMaxChars * 0.8);
        for (const { tab } of written) this.listener.shrunk(tab);
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
    const acked: string[] = [];
    for (const [id, batch] of acks) {
      const record = tab.relays.get(id);
      if (!record) continue;
      record.durable = Math.max(record.durable, batch);
      acked.push(id);
    }
    this.listener.committed(tab, live, acked);
  }

  /**
   * Read the stored buffers back into `buffers`. Tabs that are gone (`liveTabIds`), state
   * another version wrote or damaged data are dropped with a warning, never misread.
   */
  async load(liveTabIds: () => Promise<number[] | null>): Promise<void> {
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
      const tab = this.buffers.tab(tabId);
      tab.lastSeq = meta.lastSeq;
      tab.clearedAtSeq = meta.clearedAtSeq;
      tab.nextChunk = meta.nextChunk;
      tab.recording = meta.recording;
      tab.dropped = { ...meta.dropped };
      tab.rejected = meta.rejected;
      tab.url = meta.url;
      tab.title = meta.title;
      for (const [id, r] of meta.relays) tab.relays.set(id, { accepted: r.durable, ...r });
      let lost = 0;
      for (const { key: chunkKey, chars, events: count } of meta.chunks) {
        const events = parseChunk(all[chunkKey]);
        if (events === null) {
          console.warn(`[realtime-inspector] stored chunk ${chunkKey} of tab ${tabId} is missing or damaged; its ${count ?? 'unknown number of'} events are lost`);
          lost += count ?? 0;
          continue;
        }
        referenced.add(chunkKey);
        this.buffers.restore(tab, chunkKey, events, chars);
      }
      // Counted like any other loss, so the gap in the tab's sequence is explained.
      if (lost > 0) this.listener.lostInStorage(tab, lost);
    }
    for (const key of Object.keys(all)) if (key.startsWith(CHUNK_PREFIX) && !referenced.has(key)) stale.push(key);
    if (stale.length) await this.store.remove(stale);
  }
}

/** The tab's stored metadata (versioned, read back by decodeTabMeta). */
function metaOf(tab: Tab): TabMeta {
  return {
    v: TAB_META_VERSION,
    lastSeq: tab.lastSeq,
    clearedAtSeq: tab.clearedAtSeq,
    nextChunk: tab.nextChunk,
    chunks: tab.chunks.map((c) => ({ key: c.key, chars: c.chars, events: c.events.length })),
    recording: tab.recording,
    relays: [...tab.relays].map(([id, r]) => [id, { durable: r.accepted, dropped: r.dropped, rejected: r.rejected }]),
    dropped: { ...tab.dropped },
    rejected: tab.rejected,
    url: tab.url,
    title: tab.title,
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
