/**
 * Columnar data for the lane timelines (page and channel): spans (requests,
 * connection lifetimes), point marks (messages, heartbeats, reconnects,
 * closes), text notes (close codes) and highlighted idle gaps. Times are
 * seconds from `origin` (epoch ms) so axes read "+12.3 s". Numeric columns are
 * typed arrays once built, so the analysis worker hands them to the panel
 * without copying (a page timeline holds one mark per message).
 */
import { ColumnBuffer, f64, i32, u8 } from './view-delta.ts';

/** Span styles. */
export const SPAN = { useful: 0, wasted: 1, failed: 2, open: 3 } as const;
/** Mark styles. */
export const MARK = { in: 0, out: 1, heartbeat: 2, open: 3, close: 4, fault: 5 } as const;
/** Mark keys per lane (`lane * MARK_KEYS + style`): room for MARK's styles. */
export const MARK_KEYS = 8;

export interface LaneData {
  origin: number;
  lanes: string[];
  spans: { start: Float64Array; end: Float64Array; lane: Int32Array; style: Uint8Array };
  marks: {
    t: Float64Array;
    lane: Int32Array;
    style: Uint8Array;
    /**
     * Present when the marks are grouped by key (`lane * MARK_KEYS + style`, keys ascending) and each
     * group is in time order: group k is rows `groups[k]` to `groups[k + 1]`. A drawing can then step
     * from pixel to pixel by binary search instead of visiting every mark (the page timeline, built
     * whole per analysis). Absent on timelines sent as changes (the channel timeline), whose marks stay
     * in the order they were added so that new ones append.
     */
    groups?: Int32Array;
  };
  notes: { t: number[]; lane: number[]; text: string[] };
  gaps: { start: number[]; end: number[] };
  range: [number, number];
}

/** An empty LaneData with the given lanes. */
export function emptyLanes(origin: number, lanes: string[]): LaneData {
  return {
    origin,
    lanes,
    spans: { start: new Float64Array(0), end: new Float64Array(0), lane: new Int32Array(0), style: new Uint8Array(0) },
    marks: { t: new Float64Array(0), lane: new Int32Array(0), style: new Uint8Array(0) },
    notes: { t: [], lane: [], text: [] },
    gaps: { start: [], end: [] },
    range: [0, 1],
  };
}

/** A builder's column: small timelines (a channel with a few requests) start small. */
const column = <T extends Float64Array | Int32Array | Uint8Array>(make: (n: number) => T) => new ColumnBuffer(make, 256);

/** Builder helpers that keep the columns aligned. */
export class LaneBuilder {
  private readonly data: LaneData;
  // Typed columns, not number arrays: the panel builds its first timeline in its own thread, and a row per
  // message grown in typed arrays leaves its garbage in ArrayBuffers (outside the JS heap) rather than in
  // arrays the panel's next major GC has to evacuate and free.
  private readonly spans = { start: column(f64), end: column(f64), lane: column(i32), style: column(u8) };
  private readonly marks = { t: column(f64), lane: column(i32), style: column(u8) };
  private min = Infinity;
  private max = -Infinity;

  constructor(origin: number, lanes: string[]) {
    this.data = emptyLanes(origin, lanes);
  }

  private sec(t: number): number {
    const s = (t - this.data.origin) / 1000;
    if (s < this.min) this.min = s;
    if (s > this.max) this.max = s;
    return s;
  }

  span(start: number, end: number, lane: number, style: number): void {
    const s = this.spans;
    s.start.push(this.sec(start));
    s.end.push(this.sec(end));
    s.lane.push(lane);
    s.style.push(style);
  }

  /** A mark at `t` (epoch ms); one without a finite time (a malformed imported event) has no place on the axis and is left out. */
  mark(t: number, lane: number, style: number): void {
    if (!Number.isFinite(t)) return;
    const m = this.marks;
    m.t.push(this.sec(t));
    m.lane.push(lane);
    m.style.push(style);
  }

  note(t: number, lane: number, text: string): void {
    const n = this.data.notes;
    n.t.push(this.sec(t));
    n.lane.push(lane);
    n.text.push(text);
  }

  gap(start: number, end: number): void {
    this.data.gaps.start.push(this.sec(start));
    this.data.gaps.end.push(this.sec(end));
  }

  /** The columns as typed arrays; with `grouped`, the marks grouped by key, in time order (see `LaneData.marks.groups`). */
  finish(options: { grouped?: boolean } = {}): LaneData {
    const s = this.spans;
    const m = this.marks;
    this.data.spans = { start: s.start.copy(), end: s.end.copy(), lane: s.lane.copy(), style: s.style.copy() };
    this.data.marks = options.grouped
      ? groupMarks({ t: m.t.view(), lane: m.lane.view(), style: m.style.view() }, this.data.lanes.length)
      : { t: m.t.copy(), lane: m.lane.copy(), style: m.style.copy() };
    if (this.min <= this.max) {
      const pad = Math.max(0.05, (this.max - this.min) * 0.01);
      this.data.range = [this.min - pad, this.max + pad];
    }
    return this.data;
  }
}

/** Marks grouped by key with a stable counting sort (O(n)); a group whose times go back is sorted on its own. */
function groupMarks(m: { t: Float64Array; lane: Int32Array; style: Uint8Array }, lanes: number): LaneData['marks'] {
  const n = m.t.length;
  const keys = Math.max(1, lanes) * MARK_KEYS;
  const keyOf = (i: number) => {
    const key = m.lane[i]! * MARK_KEYS + m.style[i]!;
    if (!(key >= 0 && key < keys && m.style[i]! < MARK_KEYS)) throw new RangeError(`a mark on lane ${m.lane[i]} with style ${m.style[i]} is outside ${lanes} lanes`);
    return key;
  };
  const groups = new Int32Array(keys + 1);
  for (let i = 0; i < n; i++) groups[keyOf(i) + 1]!++;
  for (let k = 0; k < keys; k++) groups[k + 1]! += groups[k]!;
  const next = groups.slice(0, keys);
  const t = new Float64Array(n);
  const lane = new Int32Array(n);
  const style = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const at = next[keyOf(i)]!++;
    t[at] = m.t[i]!;
    lane[at] = m.lane[i]!;
    style[at] = m.style[i]!;
  }
  // Within a group only t differs (lane and style are the key), so sorting t alone keeps the rows whole.
  // (A NaN reads as out of order; sorting puts it last. The builder leaves non-finite times out.)
  for (let k = 0; k < keys; k++) {
    const from = groups[k]!;
    const to = groups[k + 1]!;
    for (let i = from + 1; i < to; i++) {
      if (!(t[i]! >= t[i - 1]!)) {
        t.subarray(from, to).sort();
        break;
      }
    }
  }
  return { t, lane, style, groups };
}
