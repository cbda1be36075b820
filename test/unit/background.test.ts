import { describe, expect, it } from 'vitest';
import { Frame, panel, texts, tick, until, World } from './relay-harness.ts';
import { currentPageEvents } from '../../src/panel/bridge.ts';
import type { CaptureEvent, DroppedEvent } from '../../src/core/events.ts';

const drops = (events: readonly CaptureEvent[]) => events.filter((e): e is DroppedEvent => e.type === 'capture.dropped');
const settle = async (world: World, ...frames: Frame[]) => {
  await until(() => frames.every((f) => f.relay.stats().heldEvents === 0 && f.relay.stats().connected));
  await world.hub.settled();
};

describe('background buffer (node)', () => {
  it('keeps history from page load: a panel opened later gets all of it, then live events, once each', async () => {
    const world = new World();
    const frame = new Frame(world, 1, 0, 'd1');
    frame.postMany(2500, 100, 'early');
    await settle(world, frame);
    const view = panel(world, 1);
    await until(() => view.status().state === 'connected');
    expect(view.events()).toHaveLength(2500);
    frame.postMany(10, 3, 'live');
    await until(() => view.events().length === 2510);
    await tick(30);
    expect(texts(view.events()).slice(-10)).toEqual(Array.from({ length: 10 }, (_, i) => `live${i}`));
    expect(new Set(view.events().map((e) => e.seq)).size).toBe(2510);
  });

  it('evicts the oldest events beyond the per-tab bound and reports the exact count', async () => {
    const world = new World({ tabMaxEvents: 2000, chunkMaxEvents: 250 });
    const frame = new Frame(world, 1, 0, 'd1');
    frame.postMany(3000, 100);
    await settle(world, frame);
    const events = (await world.hub.api.exportTab(1)).events;
    const lost = drops(events).reduce((n, d) => n + d.count, 0);
    const kept = texts(events);
    expect(kept.length + lost).toBe(3000);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => `m${i + lost}`));
    expect(kept.length).toBeLessThanOrEqual(2000);
    expect(drops(events).every((d) => d.where === 'background')).toBe(true);
    expect((await world.hub.api.stats(1)).dropped.background).toBe(lost);
  });

  it('bounds the characters held across tabs; the flooding tab pays, a small one keeps everything', async () => {
    const world = new World({ storeMaxChars: 200_000, chunkMaxChars: 20_000 });
    const big = new Frame(world, 1, 0, 'big');
    const small = new Frame(world, 2, 0, 'small');
    small.postMany(20, 10);
    await settle(world, small);
    for (let i = 0; i < 40; i++) big.post([big.event('x'.repeat(10_000))]);
    await settle(world, big);
    const bigStats = await world.hub.api.stats(1);
    const smallStats = await world.hub.api.stats(2);
    expect(bigStats.chars + smallStats.chars).toBeLessThanOrEqual(200_000);
    expect(bigStats.dropped.background).toBeGreaterThan(0);
    expect(smallStats.dropped.background).toBe(0);
    expect(smallStats.events).toBe(20);
    const bigEvents = (await world.hub.api.exportTab(1)).events;
    expect(texts(bigEvents).length + bigStats.dropped.background).toBe(40);
  });

  it('does not duplicate batches a relay resends to the same worker (ports cut by the back/forward cache)', async () => {
    const world = new World();
    const frame = new Frame(world, 1, 0, 'd1');
    await until(() => frame.relay.stats().connected);
    let release!: () => void;
    world.store.gate = new Promise((r) => (release = r));
    frame.postMany(300, 50);
    await until(() => frame.relay.stats().unacked > 0);
    await tick(20);
    world.severRelays();
    await until(() => frame.relay.stats().connected);
    await tick(20);
    world.store.gate = null;
    release();
    await settle(world, frame);
    const events = (await world.hub.api.exportTab(1)).events;
    expect(texts(events)).toEqual(Array.from({ length: 300 }, (_, i) => `m${i}`));
  });

  it('survives a worker restart: buffer, counters and recording state come back from storage', async () => {
    const world = new World();
    const frame = new Frame(world, 3, 0, 'd1');
    frame.postMany(120, 12);
    frame.relay.receiveFromPage('junk');
    await settle(world, frame);
    await world.hub.api.setRecording(3, false);
    await world.hub.settled();
    const before = await world.hub.api.stats(3);
    world.killWorker();
    const after = await world.hub.api.stats(3);
    expect(after.workerStartedAt).toBeGreaterThanOrEqual(before.workerStartedAt);
    expect({ ...after, workerStartedAt: 0, relays: 0 }).toEqual({ ...before, workerStartedAt: 0, relays: 0 });
    expect(after.recording).toBe(false);
    expect(after.rejected).toBe(1);
    await world.hub.api.setRecording(3, true);
    frame.postMany(5, 5, 'late');
    await settle(world, frame);
    const events = (await world.hub.api.exportTab(3)).events;
    // 120 events, the drop report for the junk, the pause, the resume, 5 events.
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 128 }, (_, i) => i + 1));
    expect(events.filter((e) => e.type === 'capture.recording').map((e) => (e as { on: boolean }).on)).toEqual([false, true]);
  });

  it('a worker that finds stored state it cannot read drops it and goes on capturing every tab', async () => {
    const world = new World();
    const good = new Frame(world, 3, 0, 'd1');
    const other = new Frame(world, 4, 0, 'd2');
    good.postMany(30, 10);
    other.postMany(20, 10);
    await settle(world, good);
    await settle(world, other);
    await world.hub.settled();
    // Tab 4's record as an older version wrote it (no version), a damaged chunk of tab 3, and a key that is no tab.
    const meta4 = JSON.parse(world.store.data.get('tab:4')!) as Record<string, unknown>;
    delete meta4.v;
    world.store.data.set('tab:4', JSON.stringify(meta4));
    const chunk3 = (JSON.parse(world.store.data.get('tab:3')!) as { chunks: Array<{ key: string }> }).chunks[0]!.key;
    world.store.data.set(chunk3, JSON.stringify('[{"type":'));
    world.store.data.set('tab:not-a-tab', JSON.stringify({ v: 1 }));
    world.killWorker();
    await world.hub.ready;
    // Tab 4's state is gone, tab 3 keeps what was readable; both capture on.
    expect((await world.hub.api.exportTab(4)).events).toEqual([]);
    expect([...world.store.data.keys()].filter((k) => k === 'tab:not-a-tab')).toEqual([]);
    const kept = (await world.hub.api.exportTab(3)).events.length;
    expect(kept).toBeLessThan(30);
    // The damaged chunk's events are counted as lost, where the sequence has its gap.
    const restored = (await world.hub.api.exportTab(3)).events;
    const drops = restored.filter((e) => e.type === 'capture.dropped');
    expect(drops).toHaveLength(1);
    const lost = (drops[0] as { count: number; where: string }).count;
    expect(drops[0]).toMatchObject({ where: 'background' });
    expect(restored.length - 1 + lost).toBe(30);
    expect((await world.hub.api.stats(3)).dropped.background).toBe(lost);
    other.postMany(5, 5, 'after');
    good.postMany(5, 5, 'after');
    await settle(world, other);
    await settle(world, good);
    expect(texts((await world.hub.api.exportTab(4)).events).filter((t) => t.startsWith('after'))).toHaveLength(5);
    expect((await world.hub.api.exportTab(3)).events.length).toBe(kept + 5);
  });

  it('clear empties the buffer and every panel; seq continues; a panel that missed the clear forgets too', async () => {
    const world = new World();
    const frame = new Frame(world, 1, 0, 'd1');
    const view = panel(world, 1);
    frame.postMany(40, 10);
    await until(() => view.events().length === 40);
    world.killWorker();
    await world.hub.api.clear(1);
    await world.hub.settled();
    frame.postMany(3, 3, 'after');
    await until(() => view.events().length === 3 && view.status().state === 'connected');
    expect(texts(view.events())).toEqual(['after0', 'after1', 'after2']);
    expect(view.events().map((e) => e.seq)).toEqual([41, 42, 43]);
    await view.clear();
    await until(() => view.events().length === 0);
    expect((await world.hub.api.stats(1)).events).toBe(0);
  });

  it('keeps reconnecting after a worker restart even when a panel listener throws', async () => {
    const world = new World();
    const frame = new Frame(world, 1, 0, 'd1');
    const view = panel(world, 1);
    view.subscribe(() => {
      throw new Error('a broken view');
    });
    frame.postMany(10, 10);
    await until(() => view.events().length === 10);
    world.killWorker();
    frame.postMany(5, 5, 'after');
    await until(() => view.events().length === 15 && view.status().state === 'connected');
    expect(view.status().reconnects).toBe(1);
  });

  it('records nothing while recording is off but marks the pause, and resumes with the next seq', async () => {
    const world = new World();
    const frame = new Frame(world, 1, 0, 'd1');
    frame.postMany(3, 3, 'on');
    await settle(world, frame);
    await world.hub.api.setRecording(1, false);
    frame.postMany(4, 2, 'off');
    await settle(world, frame);
    await world.hub.api.setRecording(1, true);
    frame.postMany(2, 2, 'again');
    await settle(world, frame);
    const events = (await world.hub.api.exportTab(1)).events;
    expect(texts(events)).toEqual(['on0', 'on1', 'on2', 'again0', 'again1']);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const marks = events.filter((e) => e.type === 'capture.recording');
    expect(marks.map((e) => [e.seq, (e as { on: boolean }).on])).toEqual([[4, false], [5, true]]);
    // Stamped in the page's clock (the harness pages run in 2023), not the worker's.
    expect(Math.abs(marks[0]!.t - events[2]!.t)).toBeLessThan(10_000);
    // Setting the same state again marks nothing.
    await world.hub.api.setRecording(1, true);
    expect((await world.hub.api.exportTab(1)).events).toHaveLength(7);
  });

  it('refuses a pause mark made by the page, and counts it as rejected', async () => {
    const world = new World();
    const frame = new Frame(world, 1, 0, 'd1');
    frame.relay.receiveFromPage(JSON.stringify({ events: [{ type: 'capture.recording', seq: 0, pseq: 1, t: Date.now(), frameId: 0, doc: 'd1', on: false }] }));
    frame.postMany(2, 2, 'after');
    await settle(world, frame);
    const events = (await world.hub.api.exportTab(1)).events;
    expect(events.some((e) => e.type === 'capture.recording')).toBe(false);
    expect(texts(events)).toEqual(['after0', 'after1']);
    expect((await world.hub.api.stats(1)).rejected).toBe(1);
  });

  it('acknowledges nothing of a failed write and delivers it with the next one, once', async () => {
    const world = new World();
    const frame = new Frame(world, 1, 0, 'd1');
    const view = panel(world, 1);
    await until(() => frame.relay.stats().connected && view.status().state === 'connected');
    world.store.failWrites = 1;
    frame.postMany(50, 10);
    await until(() => view.events().length === 50 && frame.relay.stats().heldEvents === 0);
    await tick(30);
    expect(texts(view.events())).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
    expect(world.store.failWrites).toBe(0);
    world.killWorker();
    expect(texts((await world.hub.api.exportTab(1)).events)).toHaveLength(50);
  });

  it('forgets a closed tab, in memory and in storage', async () => {
    const world = new World();
    const frame = new Frame(world, 9, 0, 'd1');
    frame.postMany(10, 10);
    await settle(world, frame);
    expect([...world.store.data.keys()].some((k) => k.includes(':9'))).toBe(true);
    await world.hub.removeTab(9);
    await world.hub.settled();
    expect([...world.store.data.keys()].filter((k) => k.includes(':9'))).toEqual([]);
    expect((await world.hub.api.tabs()).map((t) => t.tabId)).not.toContain(9);
  });

  it('keeps tabs apart: faults reach only the named tab and frame', async () => {
    const world = new World();
    const a = new Frame(world, 1, 0, 'a');
    const aSub = new Frame(world, 1, 2, 'a2');
    const b = new Frame(world, 2, 0, 'b');
    await until(() => [a, aSub, b].every((f) => f.relay.stats().connected));
    await world.hub.api.injectFault(1, { fault: 'offline', durationMs: 1000 }, 2);
    await tick(10);
    expect(aSub.toPage.filter((m) => m.kind === 'fault')).toHaveLength(1);
    expect(a.toPage.filter((m) => m.kind === 'fault')).toHaveLength(0);
    expect(b.toPage.filter((m) => m.kind === 'fault')).toHaveLength(0);
  });
});

describe('fair share of the character bound between tabs (node)', () => {
  // 200k chars across tabs, chunks of at most 20k: with 5k-char events a chunk holds 3 of them (about 15.6k chars).
  const limits = { storeMaxChars: 200_000, chunkMaxChars: 20_000 };
  /** `count` events of about `chars` characters each, numbered `<prefix><i>`, one page message each. */
  const postSized = (frame: Frame, count: number, chars: number, prefix: string) => {
    for (let i = 0; i < count; i++) frame.post([frame.event(`${prefix}${i}:`.padEnd(chars, 'x'))]);
  };
  const names = (events: readonly CaptureEvent[]) => texts(events).map((t) => t.slice(0, t.indexOf(':')));
  const numbered = (prefix: string, from: number, to: number) => Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}`);

  /**
   * What a tab kept is its newest events, in order, and every event it lost is counted: the
   * evicted ones are exactly those before the first kept seq (drop reports evicted in turn included).
   */
  const expectNewestKept = async (world: World, tabId: number, prefix: string, sent: number) => {
    const stats = await world.hub.api.stats(tabId);
    const events = (await world.hub.api.exportTab(tabId)).events;
    const kept = names(events);
    expect(kept).toEqual(numbered(prefix, sent - kept.length, sent));
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => events[0]!.seq + i));
    expect(events[0]!.seq - 1).toBe(stats.dropped.background);
    expect(stats.dropped.background).toBeGreaterThanOrEqual(sent - kept.length);
    return stats;
  };

  it('a quiet tab just above its share keeps all of its history while another tab floods (two tabs)', async () => {
    const world = new World(limits);
    const quiet = new Frame(world, 2, 0, 'quiet');
    postSized(quiet, 20, 5000, 'q');
    await settle(world, quiet);
    const before = await world.hub.api.stats(2);
    // Above half the bound by less than one chunk: taking a chunk would leave it below its share.
    expect(before.chars).toBeGreaterThan(100_000);
    expect(before.chars).toBeLessThan(115_000);
    const flood = new Frame(world, 1, 0, 'flood');
    postSized(flood, 60, 10_000, 'f');
    await settle(world, flood);
    const quietStats = await expectNewestKept(world, 2, 'q', 20);
    expect(quietStats.dropped.background).toBe(0);
    expect(quietStats.chars).toBe(before.chars);
    const floodStats = await expectNewestKept(world, 1, 'f', 60);
    expect(floodStats.dropped.background).toBeGreaterThan(0);
    expect(floodStats.chars + quietStats.chars).toBeLessThanOrEqual(200_000);
  });

  it('with three tabs, the flooding tab pays for itself once it holds its share; a larger quiet tab keeps its history', async () => {
    const world = new World(limits);
    const quiet = new Frame(world, 2, 0, 'quiet');
    const small = new Frame(world, 3, 0, 'small');
    postSized(quiet, 20, 5000, 'q');
    postSized(small, 4, 5000, 's');
    await settle(world, quiet, small);
    const flood = new Frame(world, 1, 0, 'flood');
    postSized(flood, 60, 10_000, 'f');
    await settle(world, flood);
    expect((await expectNewestKept(world, 2, 'q', 20)).dropped.background).toBe(0);
    expect((await expectNewestKept(world, 3, 's', 4)).dropped.background).toBe(0);
    const floodStats = await expectNewestKept(world, 1, 'f', 60);
    // It kept about its share (a third of the bound), give or take a chunk.
    expect(floodStats.chars).toBeGreaterThan(200_000 / 3 - 20_000);
    const total = (await world.hub.api.tabs()).reduce((n, t) => n + t.chars, 0);
    expect(total).toBeLessThanOrEqual(200_000);
  });

  it("a closed tab's late batches are neither kept nor counted against the bound", async () => {
    const world = new World(limits);
    const closed = new Frame(world, 9, 0, 'closed');
    postSized(closed, 2, 1000, 'c');
    await settle(world, closed);
    await world.hub.removeTab(9);
    // Batches its relay still sends after the tab closed: about 156k chars.
    postSized(closed, 30, 5000, 'late');
    await tick(200);
    await world.hub.settled();
    const open = new Frame(world, 1, 0, 'open');
    postSized(open, 20, 5000, 'o');
    await settle(world, open);
    expect((await expectNewestKept(world, 1, 'o', 20)).dropped.background).toBe(0);
    expect((await world.hub.api.tabs()).map((t) => t.tabId)).toEqual([1]);
  });

  it('a tab below its share takes room from the tab furthest above its share, never below that share', async () => {
    const world = new World(limits);
    const hoarder = new Frame(world, 2, 0, 'hoarder');
    postSized(hoarder, 32, 5000, 'h');
    await settle(world, hoarder);
    expect((await world.hub.api.stats(2)).chars).toBeGreaterThan(160_000);
    const newcomer = new Frame(world, 1, 0, 'newcomer');
    postSized(newcomer, 60, 10_000, 'n');
    await settle(world, newcomer);
    const hoarderStats = await expectNewestKept(world, 2, 'h', 32);
    const newcomerStats = await expectNewestKept(world, 1, 'n', 60);
    expect(hoarderStats.dropped.background).toBeGreaterThan(0);
    // It gave what it held above its share (half the bound), to within one chunk, and nothing below it.
    expect(hoarderStats.chars).toBeGreaterThanOrEqual(100_000);
    expect(hoarderStats.chars).toBeLessThan(100_000 + 20_000);
    expect(newcomerStats.chars).toBeGreaterThan(100_000 - 2 * 20_000);
    expect(hoarderStats.chars + newcomerStats.chars).toBeLessThanOrEqual(200_000);
  });
});

describe('navigation and preserve log (node)', () => {
  it('keeps the previous page in the buffer; the bridge shows the current page unless preserve log is on', async () => {
    const world = new World();
    const first = new Frame(world, 1, 0, 'page1');
    first.post([first.docStart('http://a/1'), first.event('one')]);
    await settle(world, first);
    const second = new Frame(world, 1, 0, 'page2');
    const sub = new Frame(world, 1, 4, 'frame2');
    second.post([second.docStart('http://a/2'), second.event('two')]);
    await settle(world, second);
    sub.post([sub.docStart('http://b/frame', false), sub.event('framed')]);
    // Stored in arrival order: let the new frame's relay (whose port may still await its welcome) deliver first.
    await settle(world, sub);
    first.post([first.event('late-unload')]);
    await settle(world, first);
    const view = panel(world, 1);
    await until(() => view.status().state === 'connected');
    expect(texts(view.events())).toEqual(['one', 'two', 'framed', 'late-unload']);
    expect(texts(view.visibleEvents())).toEqual(['two', 'framed']);
    view.setPreserveLog(true);
    expect(texts(view.visibleEvents())).toEqual(['one', 'two', 'framed', 'late-unload']);
    expect((await world.hub.api.stats(1)).url).toBe('http://a/2');
    expect(currentPageEvents([])).toEqual([]);
  });
});
