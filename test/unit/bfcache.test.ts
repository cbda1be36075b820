/**
 * The back/forward cache, on Node: the real Relay and Hub over in-memory ports that close
 * as Chrome closes a cached document's port (the background sees it go, the relay is not
 * told), the analysis of a document's stays in the cache, and the panel's view after a
 * restore. test/e2e/bfcache.e2e.test.ts does the same in Chromium with the cache enabled.
 */
import { describe, expect, it } from 'vitest';
import { Frame, panel, relayOfDoc, texts, tick, until, World } from './relay-harness.ts';
import { pageEventsMessage } from '../../src/shared/page-bridge.ts';
import type { PortLike } from '../../src/shared/messages.ts';
import type { CaptureEvent, EventOf } from '../../src/core/events.ts';
import { analyzeCapture } from '../../src/core/index.ts';
import type { ChannelReport } from '../../src/core/report-types.ts';
import { currentPageEvents, pageDocuments } from '../../src/panel/bridge.ts';
import { CaptureBuilder, T0 } from './core-builders.ts';

/**
 * A relay of tab 1 whose ports close the way Chrome 123+ closes them when the document
 * enters the back/forward cache: the background's end sees the disconnect, the relay's end
 * gets no onDisconnect and whatever is posted on it afterwards vanishes without an error.
 */
function cacheableRelay(world: World, doc: string) {
  const ports: Array<{ port: PortLike; cached: boolean }> = [];
  const relay = relayOfDoc(doc, () => {
    const entry = { port: world.connectRelay(1, 0), cached: false };
    ports.push(entry);
    return {
      name: entry.port.name,
      postMessage: (message: unknown) => {
        if (!entry.cached) entry.port.postMessage(message);
      },
      disconnect: () => entry.port.disconnect(),
      onMessage: entry.port.onMessage,
      onDisconnect: entry.port.onDisconnect,
    };
  });
  let pseq = 0;
  return {
    relay,
    ports,
    post: (events: CaptureEvent[]) => relay.receiveFromPage(JSON.stringify(pageEventsMessage(events))),
    event: (text: string): CaptureEvent => ({ ...message(doc, 0, T0 + ++pseq, text), pseq }),
    docStart: (url: string): CaptureEvent => ({ ...(docStart(doc, 0, T0) as EventOf<'doc.start'>), url, pseq: ++pseq }),
    /** Chrome puts the document in the cache: its port dies, silently on the relay's side. */
    enterCache() {
      const open = ports.at(-1)!;
      open.cached = true;
      open.port.disconnect();
    },
  };
}

function docStart(doc: string, frameId: number, t: number, parentDoc: string | null = null): CaptureEvent {
  return { type: 'doc.start', seq: 0, pseq: 0, t, frameId, doc, url: `http://x/${doc}`, title: doc, top: frameId === 0, parentDoc };
}

function message(doc: string, frameId: number, t: number, text: string): CaptureEvent {
  return { type: 'ws.message', seq: 0, pseq: 0, t, frameId, doc, conn: `${doc}:1`, dir: 'in', data: { size: text.length, encoding: 'text', data: text, truncated: false } };
}

/** A relay of document docA (http://a/) that sent its start and one event 'before', both stored. */
async function pageShownOnce() {
  const world = new World();
  const page = cacheableRelay(world, 'docA');
  await until(() => page.relay.stats().connected);
  page.post([page.docStart('http://a/'), page.event('before')]);
  await until(() => page.relay.stats().heldEvents === 0);
  return { world, page };
}

const restoredEvents = (events: readonly CaptureEvent[]) => events.filter((e): e is EventOf<'doc.restored'> => e.type === 'doc.restored');

describe('back/forward cache: relay and background (node)', () => {
  it('a restored document reconnects, resends what its closed port swallowed, and its stay is marked before its new events', async () => {
    const { world, page } = await pageShownOnce();

    page.relay.pageHidden(T0 + 1000);
    // The page's own pagehide handler sends one more request: it goes out at once, on a port
    // Chrome is closing, and is never acknowledged.
    page.enterCache();
    page.post([page.event('in-pagehide')]);
    expect(page.relay.stats().unacked).toBe(1);

    // Another page is shown meanwhile (its own relay, same tab).
    const other = new Frame(world, 1, 0, 'docB');
    other.post([other.docStart('http://b/'), other.event('page-b')]);
    await until(() => other.relay.stats().heldEvents === 0);

    page.relay.pageShown(T0 + 61_000);
    page.post([page.event('after')]);
    await until(() => page.relay.stats().heldEvents === 0 && page.relay.stats().connected);
    expect(page.ports).toHaveLength(2);

    const file = await world.hub.api.exportTab(1);
    expect(texts(file.events)).toEqual(['before', 'page-b', 'in-pagehide', 'after']);
    const restored = restoredEvents(file.events);
    expect(restored).toEqual([expect.objectContaining({ doc: 'docA', frameId: 0, cachedAt: T0 + 1000, t: T0 + 61_000 })]);
    // The stay is stored before what the document did after it.
    const seqOf = (text: string) => file.events.find((e) => e.type === 'ws.message' && e.data.data === text)!.seq;
    expect(restored[0]!.seq).toBeLessThan(seqOf('after'));
    const stats = await world.hub.api.stats(1);
    expect(stats).toMatchObject({ url: 'http://a/', dropped: { page: 0, relay: 0, background: 0 }, rejected: 0 });
  });

  it('a document left before the background welcomed its relay still delivers what it flushed at pagehide', async () => {
    const world = new World();
    // The welcome never reaches this relay (the page is left before it arrives); what it sends does arrive.
    const relay = relayOfDoc('docA', () => {
      const port = world.connectRelay(1, 0);
      return { ...port, postMessage: (m: unknown) => port.postMessage(m), onMessage: { addListener: () => {} } };
    });
    const frame = new Frame(world, 2, 0, 'unused');
    relay.receiveFromPage(JSON.stringify(pageEventsMessage([{ ...frame.docStart('http://a/'), doc: 'docA' }, { ...frame.event('first-and-last'), doc: 'docA' }])));
    await tick(50);
    expect(relay.stats()).toMatchObject({ connected: false, queued: 2 });
    relay.pageHidden(T0 + 100);
    expect(relay.stats()).toMatchObject({ queued: 0, unacked: 1 });
    let file = await world.hub.api.exportTab(1);
    for (let i = 0; i < 40 && texts(file.events).length === 0; i++) {
      await tick(25);
      file = await world.hub.api.exportTab(1);
    }
    expect(texts(file.events)).toEqual(['first-and-last']);
  });

  it('a port the document opened after pagehide, before Chrome froze it, is replaced on restore too', async () => {
    const { world, page } = await pageShownOnce();

    // A loaded machine: the cached document still runs for a while after pagehide (CI saw
    // its timers fire 1.3 s later). Suppose its port closes and the relay hears of it then
    // (Chromium 156 did not tell it in our runs, even with the renderer throttled 50x; nothing
    // promises it never will): it opens another port, the background welcomes it, and the
    // page goes on polling.
    page.relay.pageHidden(T0 + 1000);
    (page.ports[0]!.port as unknown as { other: { disconnect(): void } }).other.disconnect();
    await until(() => page.ports.length === 2 && page.relay.stats().connected);
    page.post([page.event('before-freeze')]);
    await until(() => page.relay.stats().heldEvents === 0);
    // Then Chrome freezes it: that port dies too, silently.
    page.enterCache();

    page.relay.pageShown(T0 + 5000);
    page.post([page.event('after')]);
    await until(() => page.relay.stats().heldEvents === 0 && page.relay.stats().connected);
    expect(page.ports).toHaveLength(3);
    const file = await world.hub.api.exportTab(1);
    expect(texts(file.events)).toEqual(['before', 'before-freeze', 'after']);
    expect(restoredEvents(file.events)).toEqual([expect.objectContaining({ doc: 'docA', cachedAt: T0 + 1000, t: T0 + 5000 })]);
  });

  it('a pageshow that is not a restore keeps the port, and a stay is sent once even if the worker restarts', async () => {
    const world = new World();
    const page = cacheableRelay(world, 'docA');
    await until(() => page.relay.stats().connected);
    page.relay.pageHidden(T0);
    page.relay.pageShown();
    page.post([page.event('same-port')]);
    await until(() => page.relay.stats().heldEvents === 0);
    expect(page.ports).toHaveLength(1);

    page.relay.pageHidden(T0 + 10);
    page.enterCache();
    page.relay.pageShown(T0 + 5000);
    await until(() => page.relay.stats().connected && page.ports.length === 2);
    world.killWorker('apply');
    page.post([page.event('after-restart')]);
    await until(() => page.relay.stats().heldEvents === 0 && page.relay.stats().connected, 10_000);
    const file = await world.hub.api.exportTab(1);
    expect(texts(file.events)).toEqual(['same-port', 'after-restart']);
    expect(restoredEvents(file.events)).toHaveLength(1);
  });

  it('refuses a doc.restored sent by the page, and counts it', async () => {
    const world = new World();
    const frame = new Frame(world, 1, 0, 'd1');
    const forged: CaptureEvent = { type: 'doc.restored', seq: 0, pseq: 1, t: T0 + 100_000, frameId: 0, doc: 'd1', cachedAt: T0 };
    frame.post([forged, frame.event('real')]);
    await until(() => frame.relay.stats().heldEvents === 0);
    const file = await world.hub.api.exportTab(1);
    expect(restoredEvents(file.events)).toEqual([]);
    expect(texts(file.events)).toEqual(['real']);
    expect((await world.hub.api.stats(1)).rejected).toBe(1);
  });
});

function stay(doc: string, cachedAt: number, restoredAt: number, frameId = 0): CaptureEvent {
  return { type: 'doc.restored', seq: 0, pseq: 0, t: restoredAt, frameId, doc, cachedAt };
}

const byTime = (events: CaptureEvent[]) => events.slice().sort((a, b) => a.t - b.t);
const channel = (events: CaptureEvent[], url: string): ChannelReport => analyzeCapture(byTime(events)).channels.find((c) => c.url === url)!;

describe('back/forward cache: analysis', () => {
  it("reads no polling interval across a document's stays in the cache, and still measures the page shown meanwhile", () => {
    const a = new CaptureBuilder('docA');
    // Polling every 2 s, with three stays in the cache of 15-30 s.
    [0, 2000, 22000, 24000, 39000, 41000, 71000, 73000].forEach((s, i) => a.http({ at: T0 + s, url: 'https://api.example/feed', body: `{"v":${i}}` }));
    const stays = [stay('docA', T0 + 3000, T0 + 21000), stay('docA', T0 + 25000, T0 + 38000), stay('docA', T0 + 42000, T0 + 70000)];
    // The page shown during the last stay polls another endpoint every 2 s.
    const b = new CaptureBuilder('docB');
    for (let s = 43000; s <= 69000; s += 2000) b.http({ at: T0 + s, url: 'https://api.example/other', body: `{"s":${s}}` });

    expect(channel(a.sorted(), 'https://api.example/feed').kind).toBe('one-off');
    const events = [...a.sorted(), ...stays, ...b.sorted()];
    const feed = channel(events, 'https://api.example/feed');
    expect(feed.kind).toBe('polling');
    expect(feed.intervalMs!.median).toBe(2000);
    const other = channel(events, 'https://api.example/other');
    expect(other.kind).toBe('polling');
    expect(other.intervalMs!.median).toBe(2000);
  });

  it("reads no idle gap on a socket across its document's stay in the cache", () => {
    const ws = (withStay: boolean) => {
      const b = new CaptureBuilder('docA');
      const conn = b.wsCreate(T0, 'wss://api.example/live');
      b.wsOpen(T0 + 50, conn);
      for (const s of [1000, 11000, 21000, 90000, 100000]) b.wsMsg(T0 + s, conn, 'in', '{"tick":1}');
      return withStay ? [...b.sorted(), stay('docA', T0 + 22000, T0 + 85000)] : b.sorted();
    };
    expect(channel(ws(false), 'wss://api.example/live').findings.map((f) => f.code)).toContain('idle-gap-over-nat-timeout');
    const cached = channel(ws(true), 'wss://api.example/live');
    expect(cached.heartbeat!.maxIdleMs).toBeLessThanOrEqual(10000);
    expect(cached.findings.map((f) => f.code)).not.toContain('idle-gap-over-nat-timeout');
  });
});

describe('frozen in place (Page Lifecycle freeze/resume, not the cache)', () => {
  it('the relay reports a freeze as doc.resumed, before what the document did after it; a stay in the cache only as doc.restored', async () => {
    const { world, page } = await pageShownOnce();
    page.relay.pageFrozen(T0 + 1000);
    page.relay.pageResumed(T0 + 9000);
    page.post([page.event('queued-while-frozen')]);
    await until(() => page.relay.stats().heldEvents === 0 && page.relay.stats().queued === 0);
    // A stay in the back/forward cache also freezes and resumes the document, after pagehide and before pageshow.
    page.relay.pageHidden(T0 + 20_000);
    page.relay.pageFrozen(T0 + 20_010);
    page.enterCache();
    page.relay.pageResumed(T0 + 30_000);
    page.relay.pageShown(T0 + 30_001);
    page.post([page.event('after-restore')]);
    // A resume without a freeze seen first (the relay started in a frozen document) reports nothing.
    page.relay.pageResumed(T0 + 40_000);
    await until(() => page.relay.stats().heldEvents === 0 && page.relay.stats().connected);
    const file = await world.hub.api.exportTab(1);
    const resumed = file.events.filter((e): e is EventOf<'doc.resumed'> => e.type === 'doc.resumed');
    expect(resumed).toEqual([expect.objectContaining({ doc: 'docA', frameId: 0, frozenAt: T0 + 1000, t: T0 + 9000 })]);
    const seqOf = (text: string) => file.events.find((e) => e.type === 'ws.message' && e.data.data === text)!.seq;
    expect(resumed[0]!.seq).toBeLessThan(seqOf('queued-while-frozen'));
    expect(restoredEvents(file.events)).toEqual([expect.objectContaining({ cachedAt: T0 + 20_000, t: T0 + 30_001 })]);
    expect(texts(file.events)).toEqual(['before', 'queued-while-frozen', 'after-restore']);
  });

  it("reads no idle gap on a socket across its document's freeze, nor a heartbeat from the pings delivered at once on resume", () => {
    const ws = (frozen: boolean) => {
      const b = new CaptureBuilder('docA');
      const conn = b.wsCreate(T0, 'wss://api.example/live');
      b.wsOpen(T0 + 50, conn);
      // The server pings every 25 s; a freeze of 10 minutes from 100 s holds 24 of them, delivered at the resume.
      for (let s = 25; s <= 1200; s += 25) {
        const at = s * 1000;
        const held = frozen && at > 100_000 && at < 700_000;
        b.wsMsg(T0 + (held ? 700_000 + (at - 100_000) / 1000 : at), conn, 'in', '{"type":"ping"}');
      }
      return frozen ? [...b.sorted(), { type: 'doc.resumed', seq: 0, pseq: 0, t: T0 + 700_000, frameId: 0, doc: 'docA', frozenAt: T0 + 100_000 } as CaptureEvent] : b.sorted();
    };
    const plain = channel(ws(false), 'wss://api.example/live');
    expect(plain.heartbeat!.intervalMs).toBeCloseTo(25_000, -3);
    const frozen = channel(ws(true), 'wss://api.example/live');
    expect(frozen.findings.map((f) => f.code)).not.toContain('idle-gap-over-nat-timeout');
    expect(frozen.heartbeat!.maxIdleMs).toBeLessThanOrEqual(25_100);
    expect(frozen.heartbeat!.intervalMs).toBeCloseTo(25_000, -3);
  });
});

describe('back/forward cache: the panel', () => {
  it('shows the restored page and its frames, whichever of them came back first, and not the page shown meanwhile', () => {
    const events = [
      docStart('A', 0, 1),
      docStart('A-frame', 5, 2, 'A'),
      message('A', 0, 3, 'a-before'),
      message('A-frame', 5, 4, 'frame-before'),
      docStart('B', 0, 100),
      docStart('B-frame', 7, 101, 'B'),
      message('B', 0, 102, 'b'),
      // The frame's relay reached the background before the top document's.
      stay('A-frame', 99.5, 5000, 5),
      stay('A', 99, 5000.2),
      message('B-frame', 7, 5001, 'b-frame-late'),
      message('A', 0, 5002, 'a-after'),
      message('A-frame', 5, 5003, 'frame-after'),
    ];
    expect(texts(currentPageEvents(events))).toEqual(['a-after', 'frame-after']);
    const { current, earlier } = pageDocuments(events);
    expect([...current].sort()).toEqual(['A', 'A-frame']);
    expect([...earlier].sort()).toEqual(['B', 'B-frame']);
  });

  it('follows a restore through the live bridge: the restored page replaces the one shown meanwhile', async () => {
    const world = new World();
    const page = cacheableRelay(world, 'docA');
    await until(() => page.relay.stats().connected);
    page.post([page.docStart('http://a/'), page.event('a-before')]);
    await until(() => page.relay.stats().heldEvents === 0);
    page.relay.pageHidden(T0);
    page.enterCache();
    const other = new Frame(world, 1, 0, 'docB');
    other.post([other.docStart('http://b/'), other.event('b')]);
    await until(() => other.relay.stats().heldEvents === 0);
    const view = panel(world, 1);
    await until(() => view.status().state === 'connected');
    expect(texts(view.visibleEvents())).toEqual(['b']);
    page.relay.pageShown(T0 + 3000);
    page.post([page.event('a-after')]);
    await until(() => texts(view.events()).includes('a-after'));
    expect(texts(view.visibleEvents())).toEqual(['a-after']);
    expect(view.visibleEvents()[0]).toMatchObject({ type: 'doc.restored', doc: 'docA' });
  });
});
