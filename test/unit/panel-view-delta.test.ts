import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { CaptureEvent } from '../../src/core/events.ts';
import { analyzeCapture } from '../../src/core/index.ts';
import { AnalysisEngine, type AnalysisResult } from '../../src/panel/analysis-engine.ts';
import { PANEL_MAX_EVENTS, PanelStore } from '../../src/panel/store.ts';
import { emptyLanes, type LaneData } from '../../src/panel/timeline-data.ts';
import { ColumnBuffer, commonPrefix, LaneColumns, laneBase, laneTails } from '../../src/panel/view-delta.ts';
import { threeChannelCapture } from './panel-fixtures.ts';
import { storeWithWorker } from './panel-harness.ts';

/** Plain arrays of every part of a timeline, for comparison. */
function plain(d: LaneData) {
  return {
    origin: d.origin,
    lanes: d.lanes,
    spans: { start: Array.from(d.spans.start), end: Array.from(d.spans.end), lane: Array.from(d.spans.lane), style: Array.from(d.spans.style) },
    marks: { t: Array.from(d.marks.t), lane: Array.from(d.marks.lane), style: Array.from(d.marks.style) },
    notes: d.notes,
    gaps: d.gaps,
    range: d.range,
  };
}

type Row = [number, number, number];

function lanesOf(spans: Row[], marks: Row[]): LaneData {
  const d = emptyLanes(1000, ['a', 'b', 'c']);
  d.spans = { start: Float64Array.from(spans, (r) => r[0]), end: Float64Array.from(spans, (r) => r[0] + r[1]), lane: Int32Array.from(spans, (r) => r[2] % 3), style: Uint8Array.from(spans, (r) => r[1] % 4) };
  d.marks = { t: Float64Array.from(marks, (r) => r[0]), lane: Int32Array.from(marks, (r) => r[1] % 3), style: Uint8Array.from(marks, (r) => r[2] % 6) };
  d.range = [0, marks.length];
  return d;
}

describe('view deltas: columns', () => {
  test('commonPrefix compares the parallel columns together', () => {
    expect(commonPrefix([[1, 2, 3], [4, 5, 6]], [[1, 2, 3, 7], [4, 9, 6, 8]])).toBe(1);
    expect(commonPrefix([[1, 2, 3]], [[1, 2, 3, 4]])).toBe(3);
    expect(commonPrefix([[1, 2, 3]], [[1, 2]])).toBe(2);
    expect(commonPrefix([[]], [[1]])).toBe(0);
  });

  test('a column grows in place from its changes and refuses one that keeps rows it does not have', () => {
    const c = new ColumnBuffer((n): Float64Array => new Float64Array(n));
    c.adopt(Float64Array.of(1, 2, 3));
    expect(Array.from(c.apply(3, Float64Array.of(4, 5)))).toEqual([1, 2, 3, 4, 5]);
    const view = c.apply(2, Float64Array.of(9));
    expect(Array.from(view)).toEqual([1, 2, 9]);
    // Grown once to room for more: the next change writes into the same buffer.
    expect(c.apply(3, Float64Array.of(10)).buffer).toBe(view.buffer);
    expect(() => c.apply(5, Float64Array.of(1))).toThrow(RangeError);
  });

  test('merging each version\'s tails into the previous gives every version whole, whatever changed', () => {
    const row = fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 7 })) as fc.Arbitrary<Row>;
    // Each version keeps some leading rows of the one before and adds others (an append, a late row sorted in, a replaced tail).
    const step = fc.record({ keepSpans: fc.nat(), keepMarks: fc.nat(), spans: fc.array(row, { maxLength: 4 }), marks: fc.array(row, { maxLength: 40 }) });
    fc.assert(
      fc.property(fc.array(row, { maxLength: 5 }), fc.array(row, { maxLength: 60 }), fc.array(step, { minLength: 1, maxLength: 12 }), (spans0, marks0, steps) => {
        let spans = spans0;
        let marks = marks0;
        let sent = lanesOf(spans, marks);
        const columns = new LaneColumns();
        expect(plain(columns.adopt(laneTails(sent, 0, 0)))).toEqual(plain(sent));
        for (const s of steps) {
          spans = [...spans.slice(0, s.keepSpans % (spans.length + 1)), ...s.spans];
          marks = [...marks.slice(0, s.keepMarks % (marks.length + 1)), ...s.marks];
          const next = lanesOf(spans, marks);
          const base = laneBase(sent, next);
          const merged = columns.apply(laneTails(next, base.spans, base.marks), base);
          expect(plain(merged)).toEqual(plain(next));
          sent = next;
        }
      }),
      { numRuns: 300 },
    );
  });
});


/** The channel's view as a fresh engine computes it whole from the store's list. */
function wholeView(events: readonly CaptureEvent[], channel: string) {
  const engine = new AnalysisEngine();
  engine.handle({ type: 'reset', generation: 1, events });
  const r = engine.handle({ type: 'analyze', generation: 1, request: { id: 1, users: 1, channel, page: false } })!;
  expect(r.channel!.base).toBeNull();
  return { events: Array.from(r.channel!.positions, (p) => events[p]!), timeline: plain(r.channel!.timeline), roles: r.channel!.roles };
}

function expectWhole(store: PanelStore, channel: string) {
  const view = store.channelView(channel)!;
  const whole = wholeView(store.events(), channel);
  expect(view.events).toEqual(whole.events);
  expect(view.events.every((e, i) => e === whole.events[i])).toBe(true);
  expect(plain(view.timeline)).toEqual(whole.timeline);
  expect(view.roles).toEqual(whole.roles);
}

describe('view deltas: engine and store', () => {
  /** The socket's events come live, a few at a time, with one sent late (sorted in before the last ones shown). */
  function liveSocket() {
    const events = threeChannelCapture();
    const ws = analyzeCapture(events).channels.find((c) => c.kind === 'websocket')!.id;
    const late = events.findIndex((e) => e.type === 'ws.message' && e.t > events.find((x) => x.type === 'ws.open')!.t + 24_000);
    const order = events.filter((_, i) => i !== late);
    order.splice(order.length - 3, 0, events[late]!);
    return { events: order, ws };
  }

  /** A store over the live socket's first 30 events, its channel open and both results delivered. */
  function watching(max = PANEL_MAX_EVENTS, rewrite?: (r: AnalysisResult) => AnalysisResult) {
    const { w, t, store, settle } = storeWithWorker(max, rewrite);
    const { events, ws } = liveSocket();
    store.appendLive(events.slice(0, 30));
    t.runAll();
    w.deliver();
    store.watch(ws);
    w.deliver();
    return { w, t, store, settle, events, ws };
  }

  test('while the channel grows, each view after the first is a change of the one before, and the store shows the whole view', () => {
    const { w, store, settle, events, ws } = watching();
    expectWhole(store, ws);
    const first = store.channelView(ws)!.events;
    for (let i = 30; i < events.length; i += 2) {
      store.appendLive(events.slice(i, i + 2));
      settle();
      expectWhole(store, ws);
    }
    const views = w.delivered.map((r) => r.channel).filter((c) => c !== null);
    expect(views[0]!.base).toBeNull();
    const changes = views.filter((c) => c.base !== null);
    expect(changes.length).toBeGreaterThan(5);
    // Changes carry only the rows past what is kept.
    // Two events a step: only the step with the late event resends the socket's events after it, and the
    // close its message marks (lifecycle marks come first in the timeline's columns).
    for (const c of changes) expect(c.base!.positions).toBeGreaterThan(0);
    // Roles come only when they changed (a new ping or pong), and the store keeps the base view's otherwise.
    expect(changes.filter((c) => c.roles === null).length).toBeGreaterThan(3);
    expect(changes.filter((c) => c.roles !== null && c.roles.in.size + c.roles.out.size > 0).length).toBeGreaterThan(1);
    expect(changes.filter((c) => c.positions.length > 4 || c.timeline.marks.t.length > 6)).toHaveLength(2);
    // The same events array, extended in place.
    expect(store.channelView(ws)!.events).toBe(first);
  });

  test('after an eviction (a new generation) the view comes whole, in a new array', () => {
    const max = 60;
    const { store, settle, events, ws } = watching(max);
    const before = store.channelView(ws)!.events;
    const snapshot = [...before];
    for (let i = 30; i < events.length; i += 5) {
      store.appendLive(events.slice(i, i + 5));
      settle();
    }
    expect(store.events().length).toBeLessThan(events.length);
    expectWhole(store, ws);
    expect(store.channelView(ws)!.events).not.toBe(before);
    // The array of an older generation is left as it was (the message list compares it with the new one).
    expect(before.length).toBeGreaterThanOrEqual(snapshot.length);
  });

  test('a change of a view the store does not hold is dropped and the whole view asked for', () => {
    let tamper = true;
    const { w, t, store, events, ws } = watching(PANEL_MAX_EVENTS, (r) => {
      if (tamper && r.channel?.base) {
        tamper = false;
        return { ...r, channel: { ...r.channel, base: { ...r.channel.base, seq: r.channel.base.seq + 1 } } };
      }
      return r;
    });
    const shown = store.channelView(ws)!;
    const shownEvents = [...shown.events];
    store.appendLive(events.slice(30, 40));
    t.runAll();
    w.deliver();
    expect(tamper).toBe(false);
    // Not applied: the view shown is still the last whole one...
    expect(store.channelView(ws)).toBe(shown);
    expect([...shown.events]).toEqual(shownEvents);
    // ...and the next request asks for the whole view, which the engine sends.
    const ask = w.posted.at(-1)!;
    expect(ask).toMatchObject({ type: 'analyze', request: { channel: ws, full: true } });
    w.deliver();
    expect(w.delivered.at(-1)!.channel!.base).toBeNull();
    expectWhole(store, ws);
  });
});
