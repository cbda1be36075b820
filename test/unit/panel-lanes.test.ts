// @vitest-environment happy-dom
/**
 * The lane timelines' marks: the page timeline's marks grouped by lane and
 * style (LaneBuilder.finish({ grouped })), and the drawing that steps through
 * those groups pixel by pixel, which must paint what a pass over every mark
 * paints.
 */
import fc from 'fast-check';
import type uPlot from 'uplot';
import { describe, expect, it } from 'vitest';
import { drawLanes, formatSeconds } from '../../src/panel/charts/lane-painter.ts';
import type { Palette } from '../../src/panel/charts/palette.ts';
import { emptyLanes, LaneBuilder, MARK, MARK_KEYS, type LaneData } from '../../src/panel/timeline-data.ts';
import { OFFLINE_LANE, pageTimeline } from '../../src/panel/timelines.ts';
import { Analyzer } from '../../src/core/index.ts';
import { CaptureBuilder, T0 } from './core-builders.ts';

const palette = new Proxy({}, { get: (_t, key) => String(key) }) as Palette;

interface Mark {
  t: number;
  lane: number;
  style: number;
}

const markArb = (lanes: number) =>
  fc.record({
    // A coarse grid of times, so that many marks share a pixel and some share a time.
    t: fc.integer({ min: -50, max: 1050 }).map((n) => n / 10),
    lane: fc.integer({ min: 0, max: lanes - 1 }),
    style: fc.constantFrom(MARK.in, MARK.in, MARK.in, MARK.out, MARK.out, MARK.heartbeat, MARK.open, MARK.close, MARK.fault),
  });

function build(lanes: number, marks: readonly Mark[], grouped: boolean): LaneData {
  const b = new LaneBuilder(0, Array.from({ length: lanes }, (_, i) => `lane ${i}`));
  for (const m of marks) b.mark(m.t * 1000, m.lane, m.style);
  return b.finish({ grouped });
}

const rows = (d: LaneData): Mark[] => Array.from(d.marks.t, (t, i) => ({ t, lane: d.marks.lane[i]!, style: d.marks.style[i]! }));
const byRow = (a: Mark, b: Mark) => a.lane - b.lane || a.style - b.style || a.t - b.t;

/** Every pixel a drawing covers, per fill colour and row band: what a person would see, whatever the rects were cut into. */
function paint(data: LaneData, scale: { min: number | null; max: number | null }, bbox = { left: 12.5, top: 0, width: 300, height: 120 }): Set<string> {
  const covered = new Set<string>();
  let fill = '';
  let path: number[] = [];
  const ctx = {
    set fillStyle(v: string) {
      fill = v;
    },
    get fillStyle() {
      return fill;
    },
    font: '',
    textBaseline: '',
    save() {},
    restore() {},
    clip() {},
    rect() {},
    fillText() {},
    beginPath() {
      path = [];
    },
    moveTo(x: number, y: number) {
      path.push(x, y);
    },
    lineTo() {},
    fill() {
      covered.add(`${fill} diamond@${path[0]},${Math.round(path[1]!)}`);
    },
    fillRect(x: number, y: number, w: number) {
      for (let px = Math.round(x); px < Math.round(x + w); px++) covered.add(`${fill} ${Math.round(y)} ${px}`);
    },
  };
  const u = { ctx, bbox, scales: { x: scale } } as unknown as uPlot;
  drawLanes(u, data, palette);
  return covered;
}

describe('grouped marks (the page timeline)', () => {
  it('holds the same marks, grouped by lane and style, each group in time order, with the right bounds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }).chain((lanes) => fc.tuple(fc.constant(lanes), fc.array(markArb(lanes), { maxLength: 300 }))),
        ([lanes, marks]) => {
          const d = build(lanes, marks, true);
          const groups = d.marks.groups!;
          expect(groups).toHaveLength(lanes * MARK_KEYS + 1);
          expect(groups[0]).toBe(0);
          expect(groups[groups.length - 1]).toBe(marks.length);
          const got = rows(d);
          // The same multiset of rows (lane and style stay with their time).
          expect([...got].sort(byRow)).toEqual(rows(build(lanes, marks, false)).sort(byRow));
          for (let key = 0; key + 1 < groups.length; key++) {
            for (let i = groups[key]!; i < groups[key + 1]!; i++) {
              expect(got[i]!.lane * MARK_KEYS + got[i]!.style).toBe(key);
              if (i > groups[key]!) expect(got[i]!.t).toBeGreaterThanOrEqual(got[i - 1]!.t);
            }
          }
        },
      ),
    );
  });

  it('refuses a mark outside its lanes instead of filing it under another lane', () => {
    const b = new LaneBuilder(0, ['only']);
    b.mark(1000, 1, MARK.in);
    expect(() => b.finish({ grouped: true })).toThrow(RangeError);
    expect(() => b.finish()).not.toThrow();
  });

  it('leaves out marks without a finite time (a malformed import), which have no place on the axis', () => {
    const d = build(1, [{ t: 1, lane: 0, style: MARK.in }, { t: Number.NaN, lane: 0, style: MARK.in }, { t: Infinity, lane: 0, style: MARK.close }, { t: 2, lane: 0, style: MARK.close }], true);
    expect(rows(d)).toEqual([{ t: 1, lane: 0, style: MARK.in }, { t: 2, lane: 0, style: MARK.close }]);
  });

  it('paints a mark that sits exactly on a pixel boundary (no inverse of the scale to round the wrong way)', () => {
    // Found by fuzzing: the second heartbeat maps to exactly x = 337.5 and rounds to 338, while the time
    // computed back from pixel 337.5 came out a few ULPs above it, so a search by time skipped it.
    const direct = (grouped: boolean): LaneData => {
      const d = emptyLanes(0, ['lane']);
      d.marks = { t: Float64Array.of(226.6359886392014, 228.30221288530697), lane: Int32Array.of(0, 0), style: Uint8Array.of(MARK.heartbeat, MARK.heartbeat) };
      if (grouped) d.marks.groups = Int32Array.from({ length: MARK_KEYS + 1 }, (_, k) => (k <= MARK.heartbeat ? 0 : 2));
      return d;
    };
    const bbox = { left: 193, top: 0, width: 383, height: 40 };
    const scale = { min: -12.467190676957973, max: 625.6966955815022 };
    const grouped = paint(direct(true), scale, bbox);
    expect([...grouped].filter((k) => k.includes('diamond'))).toHaveLength(2);
    expect(grouped).toEqual(paint(direct(false), scale, bbox));
  });

  it('draws as a pass over every mark does on degenerate scales: one point, inverted, unset', () => {
    const marks: Mark[] = [0, 1, 1, 2, 50, 99].flatMap((t) => [{ t, lane: 0, style: MARK.in }, { t: t + 0.5, lane: 0, style: MARK.heartbeat }, { t, lane: 1, style: MARK.close }]);
    for (const scale of [{ min: 5, max: 5 }, { min: 60, max: 10 }, { min: null, max: null }, { min: 0, max: null }]) {
      expect(paint(build(2, marks, true), scale)).toEqual(paint(build(2, marks, false), scale));
    }
  });

  it('covers the pixels a pass over every mark covers, at any zoom (the layering of overlapping styles aside)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }).chain((lanes) =>
          fc.tuple(
            fc.constant(lanes),
            fc.array(markArb(lanes), { maxLength: 400 }),
            // Windows from the whole range to a few marks, and some that miss every mark.
            fc.tuple(fc.integer({ min: -200, max: 1200 }), fc.integer({ min: 1, max: 1500 })).map(([from, span]) => ({ min: from / 10, max: from / 10 + span / 10 })),
          ),
        ),
        ([lanes, marks, scale]) => {
          const grouped = build(lanes, marks, true);
          const inOrder = build(lanes, marks, false);
          expect(inOrder.marks.groups).toBeUndefined();
          expect(paint(grouped, scale)).toEqual(paint(inOrder, scale));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('paints each busy pixel once: 100,000 marks over 300 pixels cost a few hundred steps, not 100,000', () => {
    const marks: Mark[] = [];
    for (let i = 0; i < 100_000; i++) marks.push({ t: i / 1000, lane: 0, style: i % 10 === 0 ? MARK.out : MARK.in });
    const data = build(1, marks, true);
    let reads = 0;
    const t = data.marks.t;
    // Count the times the drawing reads: a pass over every mark reads each at least once.
    data.marks.t = new Proxy(t, {
      get(target, key) {
        if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
        const v = Reflect.get(target, key, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const covered = paint(data, { min: 0, max: 100 });
    expect(reads).toBeLessThan(20_000);
    // Every pixel of both rows is painted: the marks are dense across the window.
    const inPixels = [...covered].filter((k) => k.startsWith('inbound ')).length;
    const outPixels = [...covered].filter((k) => k.startsWith('outbound ')).length;
    expect(inPixels).toBeGreaterThanOrEqual(300);
    expect(outPixels).toBeGreaterThanOrEqual(300);
  });

  it('prints notes (close codes, reconnect delays) only where they do not run into the previous one on their lane; zoom shows the rest', () => {
    const b = new LaneBuilder(0, ['connection', 'lifecycle']);
    // 40 reconnects 0.5 s apart over 20 s, each with its note, and a close code right after each.
    for (let i = 0; i < 40; i++) {
      b.note(i * 500, 1, `reconnect +${100 + i}ms`);
      b.note(i * 500 + 50, 1, '1006');
    }
    const data = b.finish();
    const drawn = (scale: { min: number; max: number }) => {
      const texts: { from: number; to: number; y: number }[] = [];
      const ctx = {
        fillStyle: '',
        font: '',
        textBaseline: '',
        save() {},
        restore() {},
        beginPath() {},
        rect() {},
        clip() {},
        fillRect() {},
        measureText: (text: string) => ({ width: text.length * 6 }),
        fillText(text: string, x: number, y: number) {
          texts.push({ from: x, to: x + text.length * 6, y });
        },
      };
      drawLanes({ ctx, bbox: { left: 0, top: 0, width: 600, height: 60 }, scales: { x: scale } } as unknown as uPlot, data, palette);
      return texts;
    };
    const whole = drawn({ min: 0, max: 20 });
    expect(whole.length).toBeGreaterThan(3);
    expect(whole.length).toBeLessThan(80);
    const sorted = [...whole].sort((a, c) => a.from - c.from);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]!.from).toBeGreaterThanOrEqual(sorted[i - 1]!.to);
    // Zoomed to 2 s: the notes of that window are far enough apart to print more of them.
    const zoomed = drawn({ min: 0, max: 2 });
    expect(zoomed.length).toBeGreaterThan(whole.filter((t) => t.from < 60).length);
  });

  it("names lanes of channels on one path apart by their kind (engine.io's polling handshake and its WebSocket)", () => {
    const b = new CaptureBuilder();
    for (let i = 0; i < 3; i++) b.http({ at: T0 + i * 40, url: `https://chat.example/socket.io/?EIO=4&transport=polling&t=${i}`, body: '0{"sid":"a"}' });
    const ws = b.wsCreate(T0 + 200, 'wss://chat.example/socket.io/?EIO=4&transport=websocket&sid=a');
    b.wsOpen(T0 + 210, ws);
    b.wsMsg(T0 + 300, ws, 'in', '42["hello"]');
    const a = new Analyzer();
    a.ingest(b.events);
    const r = a.report();
    const lanes = pageTimeline(r.channels, (id) => a.channelEvents(id), (id) => a.channelSeries(id), T0, T0 + 300).lanes;
    expect(lanes).toHaveLength(2);
    expect(new Set(lanes).size).toBe(2);
    expect(lanes.every((l) => l.endsWith('/socket.io/'))).toBe(true);
  });
});

describe('the browser offline lane (page.network windows)', () => {
  it('comes first, spans each window (an open one to the end), and leaves the channels their own marks', () => {
    const b = new CaptureBuilder();
    const url = 'wss://live.example/ws';
    const c1 = b.wsUp(T0, url);
    b.network(T0 + 1000, false);
    b.wsClose(T0 + 1001, c1, 1006, '', 'server');
    b.network(T0 + 4000, true);
    b.wsUp(T0 + 4010, url);
    b.network(T0 + 6000, false);
    const a = new Analyzer();
    a.ingest(b.sorted());
    const r = a.report();
    const data = pageTimeline(r.channels, (id) => a.channelEvents(id), (id) => a.channelSeries(id), T0, T0 + 7000, a.offlineWindows());
    expect(data.lanes).toEqual([OFFLINE_LANE, '/ws']);
    const offline = [...data.spans.lane].flatMap((lane, i) => (lane === 0 ? [[Math.round(data.spans.start[i]! * 1000 + data.origin), Math.round(data.spans.end[i]! * 1000 + data.origin)]] : []));
    expect(offline).toEqual([
      [T0 + 1000, T0 + 4000],
      [T0 + 6000, T0 + 7000],
    ]);
    // The reconnect mark is on the channel's lane, not the offline one.
    expect([...data.marks.lane].every((lane) => lane === 1)).toBe(true);
    // Without windows, no lane for them.
    expect(pageTimeline(r.channels, (id) => a.channelEvents(id), (id) => a.channelSeries(id), T0, T0 + 7000).lanes).toEqual(['/ws']);
  });
});

describe('connections of a document that went away', () => {
  it('end on the page timeline where their document went (doc.end), not at the end of the capture', () => {
    const a = new CaptureBuilder('docA');
    a.docStart(T0, 'https://app.example/', 'App');
    const conn = a.wsUp(T0 + 10, 'wss://live.example/ws');
    a.wsMsg(T0 + 1000, conn, 'in', 'tick');
    a.push({ type: 'doc.end', seq: 0, pseq: 0, t: T0 + 2000, frameId: 0, doc: 'docA' });
    const b = new CaptureBuilder('docB');
    b.docStart(T0 + 60_000, 'https://app.example/', 'App');
    const analyzer = new Analyzer();
    analyzer.ingest([...a.sorted(), ...b.sorted()].sort((x, y) => x.t - y.t));
    const r = analyzer.report();
    const timeline = (goneAt?: (doc: string, after: number) => number | null) =>
      pageTimeline(r.channels, (id) => analyzer.channelEvents(id), (id) => analyzer.channelSeries(id), T0, T0 + 90_000, [], goneAt);
    const spanEnds = (data: LaneData) => [...data.spans.end].map((e) => Math.round(e * 1000 + data.origin));
    expect(spanEnds(timeline((doc, after) => analyzer.docGoneAt(doc, after)))).toEqual([T0 + 2000]);
    // Without the documents' ends, as before: open to the end of the capture.
    expect(spanEnds(timeline())).toEqual([T0 + 90_000]);
    expect(analyzer.docGoneAt('docB', T0 + 60_000)).toBeNull();
  });
});

describe('timeline axis times', () => {
  it('reads seconds under a minute and minutes:seconds from a minute on, rounding once', () => {
    expect([0.25, 9.5, 59.5, 60, 110, 119.6, 179.6, 3600, -75].map(formatSeconds)).toEqual(['0.25s', '9.5s', '59.5s', '1m00', '1m50', '2m00', '3m00', '60m00', '-1m15']);
  });
});
