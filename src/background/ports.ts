/**
 * Relay and panel ports, paired by tab id. A relay (one per frame, src/content/relay.ts)
 * says hello with its instance id and then sends numbered batches of the page's events;
 * the hub parses and checks every event off the page's thread, sequences it into the
 * tab's buffer, and acknowledges a batch only once it is durable (persistence.ts), so a
 * relay resends what a worker restart lost and the hub ignores what it already took. A
 * panel subscribes to a tab after a sequence number and gets the durable history, then
 * live events as they become durable.
 */
import type { CaptureEvent } from '../core/events.ts';
import { DOC_END_GRACE_MS, PANEL_HISTORY_CHUNK, TAB_MAX_RELAYS } from '../shared/constants.ts';
import {
  PANEL_MESSAGE_CHECKS,
  parseWire,
  RELAY_MESSAGE_CHECKS,
  send,
  type PageConfig,
  type PanelMessages,
  type PortLike,
  type RelayMessages,
  type TabStats,
  type ToPanelMessages,
  type ToRelayMessages,
} from '../shared/messages.ts';
import { isRecorderOnly, parsePageEvents } from '../shared/page-events.ts';
import { droppedEvent, type RelayConnection, type Tab, type TabBuffers } from './tab-buffer.ts';

/** What the ports need of the hub. */
export interface PortHub {
  /** Resolves when the persisted state is loaded; every handler waits for it. */
  readonly ready: Promise<void>;
  readonly buffers: TabBuffers;
  markDirty(tab: Tab): void;
  /** Apply the bounds after `tab` grew, recording any loss. */
  bound(tab: Tab): void;
  configOf(tab: Tab): PageConfig;
  statsOf(tab: Tab): TabStats;
}

/** A relay port from a frame of `tabId` (both ids come from port.sender, never from the page). */
export function connectRelay(hub: PortHub, port: PortLike, tabId: number, frameId: number): void {
  const connection: RelayConnection = { port, relayId: null, frameId, doc: null };
  let tab: Tab | null = null;
  port.onMessage.addListener((raw) => {
    void hub.ready.then(() => {
      const message = parseWire<RelayMessages>(raw, RELAY_MESSAGE_CHECKS);
      if (!message) return;
      tab ??= hub.buffers.tab(tabId);
      // The tab was closed (removeTab): what its ports still deliver is neither kept nor counted against the bound.
      if (hub.buffers.tabs.get(tabId) !== tab) return;
      if (message.type === 'hello') {
        helloFromRelay(hub, tab, connection, message.payload.relayId);
      } else if (connection.relayId !== null) {
        batchFromRelay(hub, tab, connection, message.payload);
      }
    });
  });
  port.onDisconnect.addListener(() => {
    if (!tab) return;
    tab.relayPorts.delete(connection);
    relayGone(hub, tab, connection);
  });
}

/**
 * A relay's port closed. Its document may be gone (navigation, reload, a discarded or closed tab,
 * a crash, the back/forward cache), and then the browser closed its connections without telling
 * the page: record a `doc.end` at the moment the port closed, in the page's clock, unless the
 * relay says hello again within the grace (it reopens its port after a welcome that came late,
 * or a pageshow; a worker restart ends this worker and its timers with it).
 */
function relayGone(hub: PortHub, tab: Tab, connection: RelayConnection): void {
  const { relayId, doc, frameId } = connection;
  if (relayId === null || doc === null) return;
  const t = Date.now() + tab.clockOffsetMs;
  clearTimeout(tab.pendingEnds.get(relayId));
  tab.pendingEnds.set(
    relayId,
    setTimeout(
      () =>
        // After what arrived before it (a worker still loading its stored state holds the relay's hello back).
        void hub.ready.then(() => {
          if (!tab.pendingEnds.has(relayId)) return;
          tab.pendingEnds.delete(relayId);
          // A closed tab's buffer is gone; a paused recording records nothing; a relay on another port is alive.
          if (hub.buffers.tabs.get(tab.tabId) !== tab || !tab.recording) return;
          for (const c of tab.relayPorts) if (c.relayId === relayId) return;
          hub.buffers.append(tab, { type: 'doc.end', seq: ++tab.lastSeq, pseq: 0, t, frameId, doc });
          hub.bound(tab);
          hub.markDirty(tab);
        }),
      DOC_END_GRACE_MS,
    ),
  );
}

/** A panel port (an extension page); it names the tab it shows in `subscribe`. */
export function connectPanel(hub: PortHub, port: PortLike): void {
  let tab: Tab | null = null;
  port.onMessage.addListener((raw) => {
    void hub.ready.then(() => {
      const message = parseWire<PanelMessages>(raw, PANEL_MESSAGE_CHECKS);
      if (!message || tab) return;
      tab = hub.buffers.tab(message.payload.tabId);
      subscribePanel(hub, tab, port, message.payload.afterSeq);
    });
  });
  port.onDisconnect.addListener(() => tab?.panelPorts.delete(port));
}

function helloFromRelay(hub: PortHub, tab: Tab, connection: RelayConnection, relayId: string): void {
  connection.relayId = relayId;
  // The relay is back on a new port: its document lives on.
  const pending = tab.pendingEnds.get(relayId);
  if (pending !== undefined) {
    clearTimeout(pending);
    tab.pendingEnds.delete(relayId);
  }
  tab.relayPorts.add(connection);
  let record = tab.relays.get(relayId);
  if (!record) {
    record = { accepted: 0, durable: 0, dropped: 0, rejected: 0 };
    tab.relays.set(relayId, record);
    forgetOldRelays(tab);
  }
  send<ToRelayMessages, 'welcome'>(connection.port, 'welcome', { ackedBatch: record.durable, config: hub.configOf(tab) });
}

function forgetOldRelays(tab: Tab): void {
  const connected = new Set([...tab.relayPorts].map((c) => c.relayId));
  for (const id of tab.relays.keys()) {
    if (tab.relays.size <= TAB_MAX_RELAYS) break;
    if (!connected.has(id)) tab.relays.delete(id);
  }
}

function batchFromRelay(hub: PortHub, tab: Tab, connection: RelayConnection, batch: RelayMessages['batch']): void {
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
  trackClock(tab, events);
  connection.doc = batch.doc || (events[0]?.doc ?? connection.doc);
  // What the relay saw of the browser's page lifecycle, before the document's new events.
  const doc = batch.doc || (events[0]?.doc ?? '');
  const lifecycle = (t: number) => ({ seq: ++tab.lastSeq, pseq: 0, t, frameId: connection.frameId, doc });
  // The document came back from the back/forward cache.
  for (const stay of batch.restored ?? []) {
    if (!tab.recording) break;
    if (connection.frameId === 0 && record.page) {
      tab.url = record.page.url;
      tab.title = record.page.title;
    }
    hub.buffers.append(tab, { type: 'doc.restored', ...lifecycle(stay.restoredAt), cachedAt: stay.cachedAt });
  }
  // The document was frozen in place and resumed (what arrived meanwhile is delivered at the resume).
  for (const stay of batch.resumed ?? []) {
    if (!tab.recording) break;
    hub.buffers.append(tab, { type: 'doc.resumed', ...lifecycle(stay.resumedAt), frozenAt: stay.frozenAt });
  }
  for (const event of events) {
    if (event.type === 'doc.start' && connection.frameId === 0) {
      tab.url = event.url;
      tab.title = event.title;
      record.page = { url: event.url, title: event.title };
    }
    // Paused: the hooks stop on `config`, but a new document emits its first events before that arrives.
    if (!tab.recording) continue;
    // Only the background says when recording paused, or a document came back from the cache or went away.
    if (isRecorderOnly(event)) {
      tab.rejected++;
      continue;
    }
    event.seq = ++tab.lastSeq;
    event.frameId = connection.frameId;
    if (event.type === 'capture.dropped') tab.dropped.page += event.count;
    hub.buffers.append(tab, event);
  }
  // Rejected events count as lost on the page → background hop (`where: 'relay'`), whichever side found them bad.
  const lostInRelay = batch.dropped - record.dropped + (batch.rejected - record.rejected) + rejectedHere;
  if (lostInRelay > 0) {
    tab.dropped.relay += batch.dropped - record.dropped;
    tab.rejected += batch.rejected - record.rejected + rejectedHere;
    hub.buffers.append(tab, droppedEvent(tab, lostInRelay, 'relay', connection.frameId, batch.doc || (events[0]?.doc ?? '')));
  }
  record.dropped = Math.max(record.dropped, batch.dropped);
  record.rejected = Math.max(record.rejected, batch.rejected);
  hub.bound(tab);
  hub.markDirty(tab);
}

function subscribePanel(hub: PortHub, tab: Tab, port: PortLike, afterSeq: number): void {
  tab.panelPorts.add(port);
  send<ToPanelMessages, 'welcome'>(port, 'welcome', { tabId: tab.tabId, stats: hub.statsOf(tab) });
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
  send<ToPanelMessages, 'synced'>(port, 'synced', { stats: hub.statsOf(tab) });
}

/**
 * Follow the page's clock: the newest event of a batch was made just before it arrived
 * (a resent batch is older, so it can only lower the estimate: the larger offset wins
 * unless the last measure is over 5 s old, e.g. after a suspend moved the clocks apart).
 */
function trackClock(tab: Tab, events: readonly CaptureEvent[]): void {
  const now = Date.now();
  let offset = Number.NEGATIVE_INFINITY;
  for (const e of events) if (Number.isFinite(e.t) && e.t - now > offset) offset = e.t - now;
  if (!Number.isFinite(offset)) return;
  if (tab.clockMeasuredAt === 0 || offset > tab.clockOffsetMs || now - tab.clockMeasuredAt > 5000) {
    tab.clockOffsetMs = offset;
    tab.clockMeasuredAt = now;
  }
}

/** After a commit: acknowledge the relays whose batches are durable, and feed the panels what became durable. */
export function deliverDurable(hub: PortHub, tab: Tab, events: CaptureEvent[], ackedRelays: readonly string[]): void {
  for (const id of ackedRelays) {
    const record = tab.relays.get(id);
    if (!record) continue;
    for (const c of tab.relayPorts) {
      if (c.relayId === id) send<ToRelayMessages, 'ack'>(c.port, 'ack', { batch: record.durable });
    }
  }
  if (events.length) for (const port of tab.panelPorts) send<ToPanelMessages, 'events'>(port, 'events', { events, history: false });
  if (events.some((e) => e.type === 'capture.dropped')) broadcastStats(hub, tab);
}

/** The tab's counters, to every panel that shows it. */
export function broadcastStats(hub: PortHub, tab: Tab): void {
  const stats = hub.statsOf(tab);
  for (const port of tab.panelPorts) send<ToPanelMessages, 'stats'>(port, 'stats', stats);
}
