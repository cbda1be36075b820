/**
 * The lane timeline's canvas painter, apart from the component (LaneTimeline.tsx): pure
 * drawing of spans, marks, notes and idle gaps from columnar arrays on uPlot's canvas.
 * Each pixel of a lane and style is painted once: marks grouped by lane and style (the page
 * timeline) are stepped through pixel by pixel, so 100k messages cost the pixels they cover;
 * marks in arrival order (the channel timeline) cost one pass.
 */
import type uPlot from 'uplot';
import { MARK, MARK_KEYS, SPAN, type LaneData } from '../timeline-data.ts';
import type { Palette } from './palette.ts';

function spanColor(p: Palette, style: number): string {
  switch (style) {
    case SPAN.wasted: return p.wasted;
    case SPAN.failed: return p.error;
    case SPAN.open: return p.grid;
    default: return p.useful;
  }
}

function markColor(p: Palette, style: number): string {
  switch (style) {
    case MARK.out: return p.outbound;
    case MARK.heartbeat: return p.heartbeat;
    case MARK.open: return p.outbound;
    case MARK.close: return p.reconnect;
    case MARK.fault: return p.error;
    default: return p.inbound;
  }
}

/** Slots per lane for span runs (SPAN has 4 styles). */
const SPAN_STYLES = 4;

/** What painting marks needs: the canvas, the palette, the plot box and the x scale. */
interface MarkPainter {
  ctx: CanvasRenderingContext2D;
  p: Palette;
  left: number;
  right: number;
  /** The scale's minimum and canvas pixels per unit: a mark at t is at `left + (t - x0) * perUnit`. */
  x0: number;
  perUnit: number;
  laneH: number;
  laneY: (lane: number) => number;
  markH: number;
  markW: number;
}

/** In (upper half) and out (lower half) marks of one lane, pixels `from` to `to`, as one rect. */
function paintRun(k: MarkPainter, lane: number, style: number, from: number, to: number): void {
  const y = k.laneY(lane) + k.laneH / 2;
  k.ctx.fillStyle = markColor(k.p, style);
  k.ctx.fillRect(from, y + (style === MARK.out ? -k.markH / 2 : 0), to - from + k.markW, k.markH / 2);
}

/** A lifecycle mark (a tall bar) or a heartbeat (a diamond) at pixel `px`. */
function paintMark(k: MarkPainter, lane: number, style: number, px: number): void {
  const { ctx, laneH, markH } = k;
  const y = k.laneY(lane) + laneH / 2;
  ctx.fillStyle = markColor(k.p, style);
  if (style === MARK.open || style === MARK.close || style === MARK.fault) {
    ctx.fillRect(px - 1, y - laneH * 0.45, 2, laneH * 0.9);
  } else {
    ctx.beginPath();
    ctx.moveTo(px, y - markH / 2);
    ctx.lineTo(px + markH / 2, y);
    ctx.lineTo(px, y + markH / 2);
    ctx.lineTo(px - markH / 2, y);
    ctx.fill();
  }
}

/**
 * The first row in [from, to) whose pixel is past `px` (rows in time order, so pixels never go back):
 * galloping from `from`, then binary search, so a step costs log(rows skipped). It compares pixels
 * computed as the painting computes them, not times from an inverse of the scale, whose rounding could
 * put a mark that sits on a pixel's rounding boundary on the wrong side and skip it.
 */
function firstPast(times: Float64Array, from: number, to: number, pixelOf: (t: number) => number, px: number): number {
  if (from >= to || pixelOf(times[from]!) > px) return from;
  let lo = from;
  let step = 1;
  let hi = from + 1;
  while (hi < to && !(pixelOf(times[hi]!) > px)) {
    lo = hi;
    step *= 2;
    hi = from + step;
  }
  if (hi > to) hi = to;
  // pixel(times[lo]) <= px, and pixel(times[hi]) > px or hi === to
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (pixelOf(times[mid]!) > px) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * Marks grouped by lane and style, each group in time order (the page timeline): each group steps
 * from one painted pixel to the next by a search for the first mark past it, so a redraw costs the
 * pixels painted, not the marks (100k messages on a lane are ~1,000 steps). It covers the pixels a
 * pass in data order covers; where marks of one lane overlap, the layering is by style instead of by
 * data order: in and out runs, then heartbeats, then lifecycle marks on top.
 */
function drawGroupedMarks(k: MarkPainter, t: Float64Array, groups: Int32Array): void {
  const { left, right, x0, perUnit } = k;
  const pixelOf = (time: number) => Math.round(left + (time - x0) * perUnit);
  for (let key = 0; key + 1 < groups.length; key++) {
    const end = groups[key + 1]!;
    // The first mark on a pixel at or right of `left` (pixels are integers: past ceil(left) - 1).
    let i = firstPast(t, groups[key]!, end, pixelOf, Math.ceil(left) - 1);
    if (i >= end) continue;
    const lane = Math.floor(key / MARK_KEYS);
    const style = key % MARK_KEYS;
    const run = style === MARK.in || style === MARK.out;
    let runFrom = -1;
    let last = -Infinity;
    while (i < end) {
      const px = pixelOf(t[i]!);
      if (px > right) break;
      if (px !== last && px >= left) {
        if (!run) paintMark(k, lane, style, px);
        else if (runFrom < 0) runFrom = px;
        else if (px !== last + 1) {
          paintRun(k, lane, style, runFrom, last);
          runFrom = px;
        }
        last = px;
      }
      i = firstPast(t, i + 1, end, pixelOf, px);
    }
    if (runFrom >= 0) paintRun(k, lane, style, runFrom, last);
  }
}

/** Marks in the order they were added (the channel timeline): one pass over every mark, painting each pixel of a lane and style once. */
function drawMarksInOrder(k: MarkPainter, m: LaneData['marks'], lanes: number): void {
  const { left, right, x0, perUnit } = k;
  // The last pixel painted per lane and style: marks come per lane in time order, so
  // interleaved styles (in/out on one page lane) still paint each pixel once.
  const lastPx = new Float64Array(lanes * MARK_KEYS).fill(-1);
  // In/out marks on consecutive pixels of a lane are painted as one rect per run (100k
  // messages across a lane are a few runs, not a fill per pixel); a run is painted when
  // it breaks, and before any other mark, so marks still paint in data order.
  const runFrom = new Float64Array(lanes * MARK_KEYS).fill(-1);
  const pending: number[] = [];
  const flush = (key: number) => {
    paintRun(k, Math.floor(key / MARK_KEYS), key % MARK_KEYS, runFrom[key]!, lastPx[key]!);
    runFrom[key] = -1;
  };
  const paintPending = () => {
    for (const key of pending) if (runFrom[key]! >= 0) flush(key);
    pending.length = 0;
  };
  // The hot loop (most marks land on a pixel already painted) with x() and the columns inlined:
  // the first redraws run before the JIT has optimised it.
  const mt = m.t;
  const mStyle = m.style;
  const mLane = m.lane;
  for (let i = 0; i < mt.length; i++) {
    const px = Math.round(left + (mt[i]! - x0) * perUnit);
    if (px < left || px > right) continue;
    const style = mStyle[i]!;
    const key = mLane[i]! * MARK_KEYS + style;
    const prev = lastPx[key]!;
    if (prev === px) continue;
    if (style === MARK.in || style === MARK.out) {
      if (runFrom[key]! >= 0 && px !== prev + 1) flush(key);
      if (runFrom[key]! < 0) {
        runFrom[key] = px;
        pending.push(key);
      }
      lastPx[key] = px;
      continue;
    }
    paintPending();
    lastPx[key] = px;
    paintMark(k, mLane[i]!, style, px);
  }
  paintPending();
}

/**
 * Text notes (close codes, reconnect delays) left to right per lane, each only where it does not run
 * into the one drawn before it on its lane: dozens of reconnects would otherwise print over each other
 * into an unreadable smear. Zooming in spreads them out and shows the rest.
 */
function drawNotes(
  ctx: CanvasRenderingContext2D,
  n: LaneData['notes'],
  x: (s: number) => number,
  laneY: (lane: number) => number,
  left: number,
  right: number,
): void {
  const order: number[] = [];
  for (let i = 0; i < n.t.length; i++) {
    const px = x(n.t[i]!);
    if (px >= left && px <= right) order.push(i);
  }
  order.sort((a, b) => n.lane[a]! - n.lane[b]! || n.t[a]! - n.t[b]!);
  const gap = 4 * devicePixelRatio;
  let lane = Number.NaN;
  let end = -Infinity;
  for (const i of order) {
    if (n.lane[i] !== lane) {
      lane = n.lane[i]!;
      end = -Infinity;
    }
    const at = x(n.t[i]!) + 3;
    if (at < end + gap) continue;
    const text = n.text[i]!;
    ctx.fillText(text, at, laneY(lane) + 1);
    end = at + ctx.measureText(text).width;
  }
}

export function drawLanes(u: uPlot, d: LaneData, p: Palette): void {
  const ctx = u.ctx;
  const { left, top, width, height } = u.bbox;
  const lanes = Math.max(1, d.lanes.length);
  const laneH = height / lanes;
  // uPlot's valToPos(s, 'x', true) for a linear, left-to-right x scale (uplot 1.6.32 dist/uPlot.esm.js valToPos/getHPos), inlined:
  // the page timeline maps 100k marks per redraw.
  const { min: xMin, max: xMax } = u.scales.x ?? {};
  const perUnit = xMin != null && xMax != null && xMax > xMin ? width / (xMax - xMin) : 0;
  const x0 = xMin ?? 0;
  const x = (s: number) => left + (s - x0) * perUnit;
  const laneY = (lane: number) => top + laneH * lane;
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();

  for (let i = 1; i < lanes; i++) {
    ctx.fillStyle = p.grid;
    ctx.fillRect(left, Math.round(laneY(i)), width, 1);
  }

  ctx.fillStyle = p.gap;
  for (let i = 0; i < d.gaps.start.length; i++) {
    const x0 = x(d.gaps.start[i]!);
    const x1 = x(d.gaps.end[i]!);
    ctx.fillRect(x0, top, Math.max(1, x1 - x0), height);
  }

  const barH = Math.max(2, Math.min(14, laneH * 0.5));
  const s = d.spans;
  // Spans of one lane and style that touch (within a pixel) are painted as one rect: 5,000 polls
  // across a lane are a few hundred fills, not 5,000. Each lane and style keeps its open run.
  const spanFrom = new Float64Array(lanes * SPAN_STYLES).fill(Number.NaN);
  const spanTo = new Float64Array(lanes * SPAN_STYLES);
  const paintSpan = (key: number) => {
    const style = key % SPAN_STYLES;
    const h = style === SPAN.open ? laneH * 0.8 : barH;
    ctx.fillStyle = spanColor(p, style);
    ctx.fillRect(spanFrom[key]!, laneY(Math.floor(key / SPAN_STYLES)) + (laneH - h) / 2, spanTo[key]! - spanFrom[key]!, h);
  };
  for (let i = 0; i < s.start.length; i++) {
    const x0 = x(s.start[i]!);
    const x1 = x(s.end[i]!);
    if (x1 < left || x0 > left + width) continue;
    const key = s.lane[i]! * SPAN_STYLES + s.style[i]!;
    const to = x0 + Math.max(1.5, x1 - x0);
    const from = spanFrom[key]!;
    if (from === from && x0 <= spanTo[key]! + 1 && to >= from - 1) {
      spanFrom[key] = Math.min(from, x0);
      spanTo[key] = Math.max(spanTo[key]!, to);
      continue;
    }
    if (from === from) paintSpan(key);
    spanFrom[key] = x0;
    spanTo[key] = to;
  }
  for (let key = 0; key < spanFrom.length; key++) if (spanFrom[key] === spanFrom[key]) paintSpan(key);

  const m = d.marks;
  const marks: MarkPainter = {
    ctx,
    p,
    left,
    right: left + width,
    x0,
    perUnit,
    laneH,
    laneY,
    markH: Math.max(3, Math.min(12, laneH * 0.6)),
    markW: 1.5 * devicePixelRatio,
  };
  if (m.groups && m.groups.length === lanes * MARK_KEYS + 1) drawGroupedMarks(marks, m.t, m.groups);
  else drawMarksInOrder(marks, m, lanes);

  ctx.fillStyle = p.text;
  ctx.font = `${10 * devicePixelRatio}px system-ui, sans-serif`;
  ctx.textBaseline = 'top';
  drawNotes(ctx, d.notes, x, laneY, left, left + width);
  ctx.restore();
}

/** An axis time: seconds under a minute, minutes and seconds from one minute on (one axis never mixes "110s" with "2m00"). */
export function formatSeconds(s: number): string {
  const abs = Math.abs(s);
  if (abs >= 60) {
    // Rounded once, then split: 179.6 s is 3m00, not 2m60.
    const total = Math.round(abs);
    return `${s < 0 ? '-' : ''}${Math.floor(total / 60)}m${String(total % 60).padStart(2, '0')}`;
  }
  return `${Number(s.toFixed(abs < 10 ? 2 : 1))}s`;
}

/** A zoomable multi-lane timeline; brushing reports the window. */
