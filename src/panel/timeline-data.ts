/**
 * Columnar data for the lane timelines (page and channel): spans (requests,
 * connection lifetimes), point marks (messages, heartbeats, reconnects,
 * closes), text notes (close codes) and highlighted idle gaps. Times are
 * seconds from `origin` (epoch ms) so axes read "+12.3 s".
 */

/** Span styles. */
export const SPAN = { useful: 0, wasted: 1, failed: 2, open: 3 } as const;
/** Mark styles. */
export const MARK = { in: 0, out: 1, heartbeat: 2, open: 3, close: 4, fault: 5 } as const;

export interface LaneData {
  origin: number;
  lanes: string[];
  spans: { start: number[]; end: number[]; lane: number[]; style: number[] };
  marks: { t: number[]; lane: number[]; style: number[] };
  notes: { t: number[]; lane: number[]; text: string[] };
  gaps: { start: number[]; end: number[] };
  range: [number, number];
}

/** An empty LaneData with the given lanes. */
export function emptyLanes(origin: number, lanes: string[]): LaneData {
  return {
    origin,
    lanes,
    spans: { start: [], end: [], lane: [], style: [] },
    marks: { t: [], lane: [], style: [] },
    notes: { t: [], lane: [], text: [] },
    gaps: { start: [], end: [] },
    range: [0, 1],
  };
}

/** Builder helpers that keep the columns aligned. */
export class LaneBuilder {
  readonly data: LaneData;
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
    const s = this.data.spans;
    s.start.push(this.sec(start));
    s.end.push(this.sec(end));
    s.lane.push(lane);
    s.style.push(style);
  }

  mark(t: number, lane: number, style: number): void {
    const m = this.data.marks;
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
    if (this.min <= this.max) {
      const pad = Math.max(0.05, (this.max - this.min) * 0.01);
      this.data.range = [this.min - pad, this.max + pad];
    }
    return this.data;
  }
}
