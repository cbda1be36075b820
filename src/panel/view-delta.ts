/**
 * The open channel's view travels from the analysis engine to the panel as a
 * change of the view sent before it: while the channel's events only grow,
 * its positions and its timeline's span and mark columns keep their rows and
 * gain new ones at the end (the marks of a live socket: one per message), so
 * the engine sends the rows from the first one that differs and the panel
 * writes them into buffers with room to grow. A 100k-message channel then
 * costs the panel a few kB per analysis instead of ~1.7 MB of new typed arrays
 * (whose backing stores are external memory the panel's GC has to reclaim).
 *
 * The engine side: `commonPrefix` (how many rows are unchanged) and
 * `laneTails` (the timeline with only the changed rows). The panel side:
 * `ColumnBuffer` / `LaneColumns` (merge them back into whole columns).
 */
import type { LaneData } from './timeline-data.ts';

type Column = Float64Array | Int32Array | Uint8Array;

/** What a view sent as a change keeps of the view it changes: the rows before these counts. */
export interface ViewBase {
  /** The `seq` of the view it changes (the panel applies it only on that view). */
  seq: number;
  positions: number;
  spans: number;
  marks: number;
}

/** Number of leading rows that are the same in `prev` and `next` (parallel columns, compared together). */
export function commonPrefix(prev: readonly ArrayLike<number>[], next: readonly ArrayLike<number>[]): number {
  let n = Math.min(prev[0]?.length ?? 0, next[0]?.length ?? 0);
  for (let c = 0; c < prev.length && n > 0; c++) {
    const a = prev[c]!;
    const b = next[c]!;
    let i = 0;
    while (i < n && a[i] === b[i]) i++;
    n = i;
  }
  return n;
}

const spanColumns = (d: LaneData) => [d.spans.start, d.spans.end, d.spans.lane, d.spans.style];
const markColumns = (d: LaneData) => [d.marks.t, d.marks.lane, d.marks.style];

/** How many span and mark rows `next` shares with `prev` from the start. */
export function laneBase(prev: LaneData, next: LaneData): { spans: number; marks: number } {
  return { spans: commonPrefix(spanColumns(prev), spanColumns(next)), marks: commonPrefix(markColumns(prev), markColumns(next)) };
}

/** `data` with its span and mark columns cut to the rows from `spans` / `marks` on (copies: the engine keeps `data`). */
export function laneTails(data: LaneData, spans: number, marks: number): LaneData {
  return {
    ...data,
    spans: { start: data.spans.start.slice(spans), end: data.spans.end.slice(spans), lane: data.spans.lane.slice(spans), style: data.spans.style.slice(spans) },
    marks: { t: data.marks.t.slice(marks), lane: data.marks.lane.slice(marks), style: data.marks.style.slice(marks) },
  };
}

/**
 * A typed column in a buffer with room to grow (by half again): rows appended, or merged from changes,
 * without a new column each time. Views it returns share the buffer: a later `apply` rewrites the rows
 * past its `from` in place. The lane timelines' builder (timeline-data.ts) grows its columns here too.
 */
export class ColumnBuffer<T extends Column> {
  private buffer: T;
  private rows = 0;

  /** `minCapacity`: the first buffer's size, once rows arrive. */
  constructor(
    private readonly make: (length: number) => T,
    private readonly minCapacity = 1024,
  ) {
    this.buffer = make(0);
  }

  get length(): number {
    return this.rows;
  }

  /** Room for `rows` rows, keeping the first `keep`. */
  private reserve(rows: number, keep: number): void {
    if (rows <= this.buffer.length) return;
    const grown = this.make(Math.max(rows, Math.ceil(this.buffer.length * 1.5), this.minCapacity));
    grown.set(this.buffer.subarray(0, keep));
    this.buffer = grown;
  }

  /** Take a whole column as it is (no copy); later changes grow from it. */
  adopt(column: T): T {
    this.buffer = column;
    this.rows = column.length;
    return column;
  }

  /** Keep the first `from` rows, then the rows of `tail`; returns the whole column. */
  apply(from: number, tail: T): T {
    if (from > this.rows) throw new RangeError(`a change keeps ${from} rows of a column of ${this.rows}`);
    const rows = from + tail.length;
    this.reserve(rows, from);
    this.buffer.set(tail, from);
    this.rows = rows;
    return this.view();
  }

  push(value: number): void {
    this.reserve(this.rows + 1, this.rows);
    this.buffer[this.rows++] = value;
  }

  /** The rows, read in place (valid until the next change). */
  view(): T {
    return this.buffer.subarray(0, this.rows) as T;
  }

  /** The rows as a column of their own, exactly as long. */
  copy(): T {
    return this.buffer.slice(0, this.rows) as T;
  }
}

export const f64 = (n: number): Float64Array => new Float64Array(n);
export const i32 = (n: number): Int32Array => new Int32Array(n);
export const u8 = (n: number): Uint8Array => new Uint8Array(n);

/** A timeline's span and mark columns, merged from the changes the engine sends. */
export class LaneColumns {
  private readonly spans = { start: new ColumnBuffer(f64), end: new ColumnBuffer(f64), lane: new ColumnBuffer(i32), style: new ColumnBuffer(u8) };
  private readonly marks = { t: new ColumnBuffer(f64), lane: new ColumnBuffer(i32), style: new ColumnBuffer(u8) };

  /** Rows held (spans, marks). */
  size(): { spans: number; marks: number } {
    return { spans: this.spans.start.length, marks: this.marks.t.length };
  }

  /** Start from a whole timeline (its columns are taken, not copied). */
  adopt(data: LaneData): LaneData {
    const s = this.spans;
    const m = this.marks;
    s.start.adopt(data.spans.start);
    s.end.adopt(data.spans.end);
    s.lane.adopt(data.spans.lane);
    s.style.adopt(data.spans.style);
    m.t.adopt(data.marks.t);
    m.lane.adopt(data.marks.lane);
    m.style.adopt(data.marks.style);
    return data;
  }

  /** The whole timeline from a change: `tails` holds the span and mark rows from `base.spans` / `base.marks` on, and the rest of the timeline whole. */
  apply(tails: LaneData, base: { spans: number; marks: number }): LaneData {
    const s = this.spans;
    const m = this.marks;
    return {
      ...tails,
      spans: {
        start: s.start.apply(base.spans, tails.spans.start),
        end: s.end.apply(base.spans, tails.spans.end),
        lane: s.lane.apply(base.spans, tails.spans.lane),
        style: s.style.apply(base.spans, tails.spans.style),
      },
      marks: { t: m.t.apply(base.marks, tails.marks.t), lane: m.lane.apply(base.marks, tails.marks.lane), style: m.style.apply(base.marks, tails.marks.style) },
    };
  }
}
