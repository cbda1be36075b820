import { describe, expect, test } from 'vitest';
import { Analyzer, analyzeCapture } from '../../src/core/index.ts';
import { rolesOf } from '../../src/panel/messages.ts';
import { HISTORY_WAIT_MS, PanelStore, REANALYZE_MIN_MS } from '../../src/panel/store.ts';
import { threeChannelCapture } from './panel-fixtures.ts';
import { storeWithWorker } from './panel-harness.ts';

describe('panel store', () => {
  test('live events are analysed in throttled batches, not one report per batch', () => {
    const timers: Array<{ fn: () => void; ms: number }> = [];
    const store = new PanelStore((fn, ms) => {
      timers.push({ fn, ms });
      return 0 as unknown as ReturnType<typeof setTimeout>;
    });
    const events = threeChannelCapture();
    let notified = 0;
    store.subscribe(() => notified++);
    for (let i = 0; i < events.length; i += 5) store.appendLive(events.slice(i, i + 5));
    expect(notified).toBe(0);
    expect(timers).toHaveLength(1);
    expect(timers[0]!.ms).toBeLessThanOrEqual(REANALYZE_MIN_MS);
    timers[0]!.fn();
    expect(notified).toBe(1);
    expect(store.report().channels).toHaveLength(3);
  });

  test('the analysed events stay bounded: the oldest are let go past the bound', () => {
    const store = new PanelStore(() => 0 as unknown as ReturnType<typeof setTimeout>, 40);
    const events = threeChannelCapture();
    expect(events.length).toBeGreaterThan(60);
    for (let i = 0; i < events.length; i += 3) store.appendLive(events.slice(i, i + 3));
    expect(store.events().length).toBeLessThanOrEqual(44);
    expect(store.events().at(-1)).toBe(events.at(-1));
  });

  test('an import is shown aside from the live capture, which keeps accumulating', () => {
    const store = new PanelStore(() => 0 as unknown as ReturnType<typeof setTimeout>);
    const events = threeChannelCapture();
    store.appendLive(events.slice(0, 10));
    store.showImported('x.json', events);
    store.appendLive(events.slice(10, 20));
    expect(store.events()).toHaveLength(events.length);
    store.showLive();
    expect(store.events()).toEqual(events.slice(0, 20));
  });
});

describe('panel store with an analysis worker', () => {
  test('a new list is analysed at once in the panel thread, then copied to the worker in chunks', () => {
    const { w, t, store } = storeWithWorker();
    const events = threeChannelCapture();
    store.resetLive(events);
    expect(store.report().channels).toHaveLength(3);
    expect(store.analysing()).toBe(false);
    expect(w.posted).toHaveLength(0);
    t.runAll();
    const copied = w.posted.flatMap((m) => (m.type === 'reset' || m.type === 'append' ? [...m.events] : []));
    expect(copied).toEqual(events);
  });

  test('events arriving while an analysis is in flight are analysed by one more request after it', () => {
    const { w, t, store } = storeWithWorker();
    const events = threeChannelCapture();
    store.appendLive(events.slice(0, 20));
    t.runAll();
    expect(w.pending).toHaveLength(1);
    store.appendLive(events.slice(20, 40));
    store.appendLive(events.slice(40));
    t.runAll();
    // One request at a time: nothing new is asked while the first is in flight.
    expect(w.pending).toHaveLength(1);
    w.deliver();
    expect(store.analysing()).toBe(true);
    expect(store.report().summary.requests).toBeLessThan(20);
    t.runAll();
    expect(w.pending).toHaveLength(1);
    w.deliver();
    expect(store.analysing()).toBe(false);
    expect(store.report()).toEqual(analyzeCapture(events));
  });

  test('a result computed before a reset is dropped; analyzed() waits for the current one', async () => {
    const { w, t, store } = storeWithWorker();
    const events = threeChannelCapture();
    store.appendLive(events);
    t.runAll();
    store.clear();
    t.runAll();
    // The cleared list was analysed at once; the request in flight still describes the old one.
    expect(store.report().channels).toHaveLength(0);
    expect(store.analysing()).toBe(true);
    w.deliver();
    expect(store.report().channels).toHaveLength(0);
    expect(store.analysing()).toBe(false);
    store.appendLive(events.slice(0, 10));
    let done: unknown = null;
    void store.analyzed().then((r) => (done = r));
    t.runAll();
    await Promise.resolve();
    expect(done).toBe(null);
    w.deliver();
    await Promise.resolve();
    expect(done).toEqual(analyzeCapture(events.slice(0, 10)));
  });

  test('the open channel gets its events in time order, also after the oldest events were evicted', () => {
    const max = 60;
    const { store, settle } = storeWithWorker(max);
    const events = threeChannelCapture();
    expect(events.length).toBeGreaterThan(max * 1.1);
    const ws = analyzeCapture(events).channels.find((c) => c.kind === 'websocket')!.id;
    store.resetLive(events.slice(0, 20));
    store.watch(ws);
    for (let i = 20; i < events.length; i += 7) store.appendLive(events.slice(i, i + 7));
    settle();
    // Bounded, but the socket's creation (the oldest of its events) was kept with its channel.
    expect(store.events().length).toBeLessThanOrEqual(max * 1.1);
    expect(store.events()).toContain(events.find((e) => e.type === 'ws.create'));
    expect(store.report().channels.map((c) => c.id)).toContain(ws);
    const kept = new Analyzer();
    kept.ingest(store.events());
    expect(store.channelView(ws)!.events).toEqual(kept.channelEvents(ws));
    const { messages, ...charts } = kept.channelSeries(ws)!;
    expect(store.channelSeries(ws)).toEqual(charts);
    expect(store.channelView(ws)!.roles).toEqual(rolesOf({ messages }));
  });

  test("a tab's history is held until the connection is in sync, analysed once in the panel's thread, then copied to the worker", () => {
    const { w, t, store } = storeWithWorker();
    const events = threeChannelCapture();
    store.appendLive(events.slice(0, 30), true);
    store.appendLive(events.slice(30), true);
    expect(t.timers.map((x) => x.ms)).toEqual([HISTORY_WAIT_MS]);
    expect(w.posted).toHaveLength(0);
    expect(store.analysing()).toBe(true);
    store.setConnection({ connected: true, dropped: 0, recording: true });
    // The first overview comes at once, from one analysis of the whole history.
    expect(store.analysing()).toBe(false);
    expect(store.report()).toEqual(analyzeCapture(events));
    t.runAll();
    const copied = w.posted.flatMap((m) => (m.type === 'reset' || m.type === 'append' ? [...m.events] : []));
    expect(copied).toEqual(events);
    // Live events after it go to the worker as they come.
    const more = threeChannelCapture().map((e) => ({ ...e, seq: e.seq + 10_000 }));
    store.appendLive(more.slice(0, 3));
    expect(w.posted.at(-1)).toMatchObject({ type: 'append', events: more.slice(0, 3) });
  });

  test('history past the bound while held: the worker gets the kept events once, no eviction of events it never had', () => {
    const { w, t, store } = storeWithWorker(40);
    const events = threeChannelCapture();
    expect(events.length).toBeGreaterThan(60);
    for (let i = 0; i < events.length; i += 7) store.appendLive(events.slice(i, i + 7), true);
    expect(w.posted).toHaveLength(0);
    store.setConnection({ connected: true, dropped: 0, recording: true });
    t.runAll();
    expect(w.posted.some((m) => m.type === 'evict')).toBe(false);
    const copied = w.posted.flatMap((m) => (m.type === 'reset' || m.type === 'append' ? [...m.events] : []));
    expect(copied).toEqual(store.events());
    expect(store.events().length).toBeLessThanOrEqual(44);
    store.appendLive(threeChannelCapture().slice(0, 2).map((e) => ({ ...e, seq: e.seq + 10_000 })));
    t.runAll();
    while (w.pending.length) w.deliver();
    expect(store.analysing()).toBe(false);
    expect(store.report()).toEqual(analyzeCapture([...store.events()]));
  });

  test("a hold's wait ends that hold only: a stale timer leaves a later hold alone", () => {
    const { w, t, store } = storeWithWorker();
    const events = threeChannelCapture();
    store.appendLive(events.slice(0, 20), true);
    const firstWait = t.timers.shift()!;
    store.setConnection({ connected: true, dropped: 0, recording: true });
    // Cleared, disconnected, and history again: a new hold.
    store.clear();
    store.setConnection({ connected: false, dropped: 0, recording: true });
    store.appendLive(events, true);
    const posted = w.posted.length;
    firstWait.fn();
    expect(store.analysing()).toBe(true);
    expect(w.posted.slice(posted).filter((m) => m.type === 'reset' || m.type === 'append')).toEqual([]);
    store.setConnection({ connected: true, dropped: 0, recording: true });
    expect(store.report()).toEqual(analyzeCapture(events));
  });

  test('history that stops short of a sync is shown after HISTORY_WAIT_MS anyway', () => {
    const { t, store } = storeWithWorker();
    const events = threeChannelCapture();
    store.appendLive(events, true);
    expect(store.analysing()).toBe(true);
    t.timers.shift()!.fn();
    expect(store.report()).toEqual(analyzeCapture(events));
  });

  test('history re-sent after a reconnection, into a list already shown, is mirrored chunk by chunk and analysed once in sync', () => {
    const { w, t, store } = storeWithWorker();
    const events = threeChannelCapture();
    store.setConnection({ connected: true, dropped: 0, recording: true });
    store.appendLive(events.slice(0, 30));
    t.runAll();
    while (w.pending.length) w.deliver();
    store.setConnection({ connected: false, dropped: 0, recording: true });
    const posted = w.posted.length;
    store.appendLive(events.slice(30), true);
    expect(w.posted.slice(posted)).toMatchObject([{ type: 'append' }]);
    expect(t.timers.map((x) => x.ms)).toEqual([HISTORY_WAIT_MS]);
    store.setConnection({ connected: true, dropped: 0, recording: true });
    while (w.pending.length) w.deliver();
    expect(store.report()).toEqual(analyzeCapture(events));
  });
});

describe('panel store: what each analysis carries', () => {
  test('the page timeline is left out while a channel is open and comes back with the overview', () => {
    const { w, t, store } = storeWithWorker();
    const events = threeChannelCapture();
    store.appendLive(events);
    t.runAll();
    w.deliver();
    const lanes = store.pageTimeline();
    expect(lanes.lanes).toHaveLength(3);
    const ws = store.report().channels.find((c) => c.kind === 'websocket')!.id;
    store.watch(ws);
    w.deliver();
    expect(store.channelView(ws)!.events.length).toBeGreaterThan(10);
    store.watch(null);
    expect(w.posted.at(-1)).toMatchObject({ type: 'analyze', request: { channel: null, page: true } });
    w.deliver();
    // Nothing changed: the lanes already shown stay, and reopening the channel shows its view at once.
    expect(store.pageTimeline()).toBe(lanes);
    store.watch(ws);
    expect(store.channelView(ws)).not.toBeNull();
    w.deliver();
    expect(store.channelView(ws)!.events.length).toBeGreaterThan(10);
  });
});

test('a channel opened before the worker has caught up with a new list is shown from the first analysis', () => {
  const { w, t, store } = storeWithWorker();
  const events = threeChannelCapture();
  store.resetLive(events);
  const ws = store.report().channels.find((c) => c.kind === 'websocket')!.id;
  store.watch(ws);
  // Nothing reached the worker yet (the copy waits for its tasks), but the channel is shown.
  expect(w.posted).toHaveLength(0);
  const core = new Analyzer();
  core.ingest(events);
  expect(store.channelView(ws)!.events).toEqual(core.channelEvents(ws));
  t.runAll();
  w.deliver();
  expect(store.channelView(ws)!.events).toEqual(core.channelEvents(ws));
});

describe('eviction', () => {
  test('with the list\'s event counts it lets go and keeps the same events as without, eviction after eviction', async () => {
    const { EventCounts, evictOldest, evictOldestInPlace } = await import('../../src/panel/analysis-engine.ts');
    const events = threeChannelCapture();
    let plain = events.slice(0, 20);
    let counted = plain.slice();
    const inPlace = plain.slice();
    const counts = new EventCounts(counted);
    const inPlaceCounts = new EventCounts(inPlace);
    let evictions = 0;
    let pinned = 0;
    for (let i = 20; i < events.length; i += 9) {
      const batch = events.slice(i, i + 9);
      plain = plain.concat(batch);
      counted = counted.concat(batch);
      inPlace.push(...batch);
      counts.add(batch);
      inPlaceCounts.add(batch);
      if (plain.length > 24) {
        const evicted = new Set(plain.slice(0, plain.length - 20));
        plain = evictOldest(plain, plain.length - 20);
        pinned += plain.filter((e) => evicted.has(e)).length;
        counted = evictOldest(counted, counted.length - 20, counts);
        evictOldestInPlace(inPlace, inPlace.length - 20, inPlaceCounts);
        evictions++;
        expect(counted).toEqual(plain);
        expect(inPlace).toEqual(plain);
        expect(counts).toEqual(new EventCounts(counted));
        expect(inPlaceCounts).toEqual(new EventCounts(inPlace));
      }
    }
    expect(evictions).toBeGreaterThan(3);
    // Some evictions kept events that define a connection still present.
    expect(pinned).toBeGreaterThan(0);
  });

  test('keeps recording pauses and injected faults, which say how to read the events left', async () => {
    const { evictOldest } = await import('../../src/panel/analysis-engine.ts');
    const base = { seq: 0, pseq: 0, frameId: 0, doc: 'd' };
    const events = [
      { ...base, t: 1, type: 'capture.recording', doc: 'background', on: false },
      { ...base, t: 2, type: 'fault', fault: 'stall', conn: null, params: { durationMs: 5 }, phase: 'start' },
      ...Array.from({ length: 6 }, (_, i) => ({ ...base, t: 3 + i, type: 'hook.error', hook: 'x', message: `m${i}` })),
    ] as unknown as import('../../src/core/events.ts').CaptureEvent[];
    const kept = evictOldest(events, 5);
    expect(kept.map((e) => e.type)).toEqual(['capture.recording', 'fault', 'hook.error', 'hook.error', 'hook.error']);
  });
});
