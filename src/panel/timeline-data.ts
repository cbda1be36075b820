/**
 * Columnar data for the lane timelines (page and channel): spans (requests,
 * connection lifetimes), point marks (messages, heartbeats, reconnects,
 * closes), text notes (close codes) and highlighted idle gaps. Times are
 * seconds from `origin` (epoch ms) so axes read "+12.3 s". Numeric columns are
 * typed arrays once built, so the analysis worker hands them to the panel
 * without copying (a page timeline holds one mark per message).
 */

/** Span styles. */
export const SPAN = { useful: 0, wasted: 1, failed: 2, open: 3 } as const;
/** Mark styles. */
export const MARK = { in: 0, out: 1, heartbeat: 2, open: 3, close: 4, fault: 5 } as const;

export interface LaneData {
  origin: number;
  lanes: string[];
  spans: { start: Float64Array; end: Float64Array; lane: Int32Array; style: Uint8Array };
  marks: { t: Float64Array; lane: Int32Array; style: Uint8Array };
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

/** Builder helpers that keep the columns aligned. */
export class LaneBuilder {
  private readonly data: LaneData;
  private readonly spans = { start: [] as number[], end: [] as number[], lane: [] as number[], style: [] as number[] };
  private readonly marks = { t: [] as number[], lane: [] as number[], style: [] as number[] };
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

  mark(t: number, lane: number, style: number): void {
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

  finish(): LaneData {
    const s = this.spans;
    const m = this.marks;
    this.data.spans = { start: Float64Array.from(s.start), end: Float64Array.from(s.end), lane: Int32Array.from(s.lane), style: Uint8Array.from(s.style) };
    this.data.marks = { t: Float64Array.from(m.t), lane: Int32Array.from(m.lane), style: Uint8Array.from(m.style) };
    if (this.min <= this.max) {
      const pad = Math.max(0.05, (this.max - this.min) * 0.01);
      this.data.range = [this.min - pad, this.max + pad];
    }
    return this.data;
  }
}
