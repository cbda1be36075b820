/**
 * The panel's analysis, as one object that runs either in a dedicated Web
 * Worker (analysis-worker.ts, the panel's normal set-up) or in the panel's own
 * thread (where there is no Worker, e.g. component tests). It mirrors the
 * events the panel shows, feeds them to the core's incremental Analyzer, and
 * answers an analysis request with everything the visible view needs and
 * nothing more: the report, the page timeline's lanes, and for the channel open
 * in detail its series, its timeline lanes and the positions of its events in
 * the panel's event list (the panel holds the events themselves, so they are
 * never sent back). While the open channel only grows, its view is sent as a
 * change of the one before: the positions and timeline rows from the first
 * that differs (view-delta.ts), not 100k of each again.
 *
 * Positions are indices into the events since the last `reset`, minus the
 * events `evict` let go: the panel's list and this mirror stay index-aligned
 * because both apply the same reset/append/evict in the same order.
 */
import { Analyzer } from '../core/index.ts';
import type { CaptureEvent, ChannelSeries, Report } from '../core/index.ts';
import { rolesOf, type MessageRoles } from './messages.ts';
import type { LaneData } from './timeline-data.ts';
import { channelTimeline, pageTimeline } from './timelines.ts';
import { commonPrefix, laneBase, laneTails, type ViewBase } from './view-delta.ts';

/** What the visible view needs analysed. */
export interface AnalysisRequest {
  /** Request id, echoed in the result. */
  id: number;
  users: number;
  /** The channel open in detail, if any. */
  channel: string | null;
  /** Whether the page timeline is shown (the overview). */
  page: boolean;
  /** Send the open channel's view whole, not as a change of the one sent before (the panel holds another). */
  full?: boolean;
}

/**
 * A channel's series as the panel's charts use it: without the per-message
 * columns (100k entries the panel would only have to deserialise), whose
 * non-data roles come as `roles` instead.
 */
export type ViewSeries = Omit<ChannelSeries, 'messages'>;

/**
 * The view of the channel open in detail. With `base` it is a change of the
 * view this engine sent before (view-delta.ts): `positions` and the
 * timeline's span and mark columns then hold only the rows from `base`'s
 * counts on, the rows before them being those of that view.
 */
export interface ChannelAnalysisView {
  id: string;
  /** This view's number, unique to the engine that sent it (a later change names it as its base). */
  seq: number;
  /** null: a whole view. */
  base: ViewBase | null;
  series: ViewSeries | null;
  /**
   * Non-data roles of the channel's messages (heartbeats, control), by direction and time;
   * null in a change when they are the base view's (they change only with a new heartbeat or control message).
   */
  roles: MessageRoles | null;
  timeline: LaneData;
  /** Positions of the channel's events (time order) in the panel's event list. */
  positions: Int32Array;
}

function sameRoles(a: MessageRoles, b: MessageRoles): boolean {
  const same = (x: Map<number, string>, y: Map<number, string>) => {
    if (x.size !== y.size) return false;
    let equal = true;
    x.forEach((kind, t) => {
      if (equal && y.get(t) !== kind) equal = false;
    });
    return equal;
  };
  return same(a.in, b.in) && same(a.out, b.out);
}

export interface AnalysisResult {
  /** Echo of the request id. */
  id: number;
  /** The event list's generation (bumped by every reset and eviction) the positions refer to. */
  generation: number;
  /** Events the result covers (the whole list of this generation at the time of the request). */
  covered: number;
  report: Report;
  /** Earliest event time (epoch ms): timelines measure from it. */
  origin: number;
  /** The page timeline; null when not asked for or unchanged since the last one sent. */
  page: LaneData | null;
  /** The open channel's view; null when none is open, it is not in the report, or unchanged since the last one sent. */
  channel: ChannelAnalysisView | null;
}

/** Messages to the engine, in the order the panel changed its list. */
export type ToAnalysis =
  | { type: 'reset'; generation: number; events: readonly CaptureEvent[] }
  | { type: 'append'; generation: number; events: readonly CaptureEvent[] }
  /** `count` oldest events let go, by `evictOldest`. */
  | { type: 'evict'; generation: number; count: number }
  | { type: 'analyze'; generation: number; request: AnalysisRequest };

/** Events that say what a connection is (its channel, its start): an eviction keeps them while the connection has events left. */
const DEFINING_TYPES = new Set<CaptureEvent['type']>(['http.request', 'http.response', 'ws.create', 'ws.open', 'sse.create', 'sse.open', 'wt.create', 'wt.ready']);

/**
 * Events that say how to read the rest (recording pauses, back/forward cache stays, injected
 * faults): rare, and kept through every eviction, or a pause would read as silence again.
 */
const CONTEXT_TYPES = new Set<CaptureEvent['type']>(['capture.recording', 'doc.restored', 'doc.resumed', 'doc.end', 'fault', 'page.network']);

/**
 * How many events of a list belong to each connection and each document, kept
 * up to date as the list grows (`add`) and is evicted (by `evictOldest`): an
 * eviction then costs the events it lets go, not a pass over the whole list.
 */
export class EventCounts {
  private readonly conns = new Map<string, number>();
  private readonly docs = new Map<string, number>();

  constructor(events: readonly CaptureEvent[] = []) {
    this.add(events);
  }

  add(events: readonly CaptureEvent[], from = 0, to = events.length): void {
    for (let i = from; i < to; i++) {
      const e = events[i]!;
      this.docs.set(e.doc, (this.docs.get(e.doc) ?? 0) + 1);
      if ('conn' in e && e.conn !== null) this.conns.set(e.conn, (this.conns.get(e.conn) ?? 0) + 1);
    }
  }

  remove(events: readonly CaptureEvent[], from: number, to: number): void {
    // Runs of one document or connection (the common case: a busy socket) cost one update each.
    let doc: string | null = null;
    let docRun = 0;
    let conn: string | null = null;
    let connRun = 0;
    for (let i = from; i < to; i++) {
      const e = events[i]!;
      if (e.doc !== doc) {
        if (doc !== null) subtract(this.docs, doc, docRun);
        doc = e.doc;
        docRun = 0;
      }
      docRun++;
      const c = 'conn' in e ? e.conn : null;
      if (c === null) continue;
      if (c !== conn) {
        if (conn !== null) subtract(this.conns, conn, connRun);
        conn = c;
        connRun = 0;
      }
      connRun++;
    }
    if (doc !== null) subtract(this.docs, doc, docRun);
    if (conn !== null) subtract(this.conns, conn, connRun);
  }

  hasConn(conn: string): boolean {
    return this.conns.has(conn);
  }

  hasDoc(doc: string): boolean {
    return this.docs.has(doc);
  }
}

function subtract(counts: Map<string, number>, key: string, by: number): void {
  const n = (counts.get(key) ?? 0) - by;
  if (n > 0) counts.set(key, n);
  else counts.delete(key);
}

/**
 * The list without its `count` oldest events, except the events that define a
 * connection still present (its creation, open or response) and the start of
 * a document still present: without them a long-lived socket would lose its
 * channel once its first 100k messages were let go. The panel and the
 * worker apply this same function, so their lists stay index-aligned.
 *
 * With `counts` (the list's EventCounts, updated here to the returned list)
 * it looks only at the evicted events; without, it counts the kept ones.
 */
export function evictOldest(events: readonly CaptureEvent[], count: number, counts?: EventCounts): CaptureEvent[] {
  const end = Math.min(count, events.length);
  const kept = events.slice(count);
  let present: EventCounts;
  if (counts) {
    counts.remove(events, 0, end);
    present = counts;
  } else {
    present = new EventCounts(kept);
  }
  const pinned = pinnedAmong(events, end, present);
  counts?.add(pinned);
  return pinned.length ? pinned.concat(kept) : kept;
}

/**
 * `evictOldest` on the list itself (the panel's own list): the kept
 * connection-defining events move up next to the rest and the list's head is
 * cut off, without a copy of the whole list. Same result as evictOldest.
 */
export function evictOldestInPlace(events: CaptureEvent[], count: number, counts: EventCounts): void {
  const end = Math.min(count, events.length);
  counts.remove(events, 0, end);
  const pinned = pinnedAmong(events, end, counts);
  counts.add(pinned);
  for (let i = 0; i < pinned.length; i++) events[end - pinned.length + i] = pinned[i]!;
  events.splice(0, end - pinned.length);
}

/** The events among the first `end` that an eviction keeps, given what the list holds after it. */
function pinnedAmong(events: readonly CaptureEvent[], end: number, present: EventCounts): CaptureEvent[] {
  const pinned: CaptureEvent[] = [];
  for (let i = 0; i < end; i++) {
    const e = events[i]!;
    if (
      e.type === 'doc.start'
        ? present.hasDoc(e.doc)
        : CONTEXT_TYPES.has(e.type) || (DEFINING_TYPES.has(e.type) && 'conn' in e && e.conn !== null && present.hasConn(e.conn))
    ) {
      pinned.push(e);
    }
  }
  return pinned;
}

/** Holds the mirrored events and the Analyzer over them. */
export class AnalysisEngine {
  private events: CaptureEvent[] = [];
  private analyzer = new Analyzer();
  /**
   * Position of each mirrored event (object identity: the analyzer hands back the
   * same objects); built when a channel view first needs it, so the first
   * overview of a new list does not pay for it. A Map (the events are held
   * anyway): a 100k-entry WeakMap makes every major GC process 100k ephemerons.
   */
  private positions: Map<CaptureEvent, number> | null = null;
  private generation = 0;
  private origin = Number.POSITIVE_INFINITY;
  private end = Number.NEGATIVE_INFINITY;
  /** The reports the last page timeline and channel view were built from (the Analyzer returns the same report object while nothing changed). */
  private pageSentFor: Report | null = null;
  /** The last channel view sent, whole (what the next one is sent as a change of). */
  private channelSent: { report: Report; id: string; generation: number; seq: number; positions: Int32Array; timeline: LaneData; roles: MessageRoles } | null = null;
  /**
   * View numbers start at a random point, so a change from one engine never
   * applies to a view from another (the panel's interim engine and its worker).
   */
  private seq = Math.floor(Math.random() * 2 ** 30);

  /** Apply one message; `analyze` returns its result. */
  handle(message: ToAnalysis): AnalysisResult | null {
    this.generation = message.generation;
    switch (message.type) {
      case 'reset':
        this.rebuild(message.events.slice());
        return null;
      case 'append':
        this.add(message.events);
        this.analyzer.ingest(message.events);
        return null;
      case 'evict':
        this.rebuild(evictOldest(this.events, message.count));
        return null;
      case 'analyze':
        return this.analyze(message.request);
    }
  }

  private rebuild(events: CaptureEvent[]): void {
    this.events = [];
    this.positions = null;
    this.analyzer = new Analyzer();
    this.origin = Number.POSITIVE_INFINITY;
    this.end = Number.NEGATIVE_INFINITY;
    this.add(events);
    this.analyzer.ingest(events);
  }

  private add(events: readonly CaptureEvent[]): void {
    const positions = this.positions;
    for (const e of events) {
      positions?.set(e, this.events.length);
      this.events.push(e);
      if (e.t < this.origin) this.origin = e.t;
      if (e.t > this.end) this.end = e.t;
    }
  }

  private positionIndex(): Map<CaptureEvent, number> {
    if (!this.positions) {
      this.positions = new Map();
      this.events.forEach((e, i) => this.positions!.set(e, i));
    }
    return this.positions;
  }

  private analyze(request: AnalysisRequest): AnalysisResult {
    const report = this.analyzer.report({ users: request.users });
    const origin = this.events.length ? this.origin : 0;
    const end = this.events.length ? this.end : origin;
    // channelEvents sorts a copy when a channel's events came out of order: at most once per channel per analysis.
    const sorted = new Map<string, readonly CaptureEvent[]>();
    const eventsOf = (id: string) => {
      let events = sorted.get(id);
      if (!events) sorted.set(id, (events = this.analyzer.channelEvents(id)));
      return events;
    };
    let page: LaneData | null = null;
    if (request.page && this.pageSentFor !== report) {
      page = pageTimeline(report.channels, eventsOf, (id) => this.analyzer.channelSeries(id), origin, end, this.analyzer.offlineWindows(), (doc, after) =>
        this.analyzer.docGoneAt(doc, after),
      );
      this.pageSentFor = report;
    }
    let channel: ChannelAnalysisView | null = null;
    const ch = request.channel === null ? undefined : report.channels.find((c) => c.id === request.channel);
    const sent = this.channelSent?.id === ch?.id && this.channelSent?.generation === this.generation && !request.full ? this.channelSent : null;
    if (ch && sent?.report !== report) {
      const events = eventsOf(ch.id);
      const series = this.analyzer.channelSeries(ch.id);
      let viewSeries: ViewSeries | null = null;
      if (series) {
        const { messages: _perMessage, ...rest } = series;
        viewSeries = rest;
      }
      const positionOf = this.positionIndex();
      const positions = new Int32Array(events.length);
      for (let i = 0; i < events.length; i++) positions[i] = positionOf.get(events[i]!) ?? -1;
      const channelEnd = events.length ? events[events.length - 1]!.t : origin;
      const roles: MessageRoles = series ? rolesOf(series) : { in: new Map(), out: new Map() };
      const timeline = channelTimeline(ch, series, events, origin, channelEnd, (doc, after) => this.analyzer.docGoneAt(doc, after));
      const seq = ++this.seq;
      // Sent as a change of the last view of this channel and generation: the rows from the first that differs.
      const base: ViewBase | null = sent ? { seq: sent.seq, positions: commonPrefix([sent.positions], [positions]), ...laneBase(sent.timeline, timeline) } : null;
      const rolesKept = sent !== null && sameRoles(sent.roles, roles);
      this.channelSent = { report, id: ch.id, generation: this.generation, seq, positions, timeline, roles };
      channel = {
        id: ch.id,
        seq,
        base,
        series: viewSeries,
        roles: rolesKept ? null : roles,
        timeline: laneTails(timeline, base?.spans ?? 0, base?.marks ?? 0),
        positions: positions.slice(base?.positions ?? 0),
      };
    }
    return { id: request.id, generation: this.generation, covered: this.events.length, report, origin, page, channel };
  }
}

/** The buffers a result can hand over without copying (postMessage transfer list). */
export function transferables(result: AnalysisResult): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  const lanes = (d: LaneData) => {
    for (const col of [d.spans.start, d.spans.end, d.spans.lane, d.spans.style, d.marks.t, d.marks.lane, d.marks.style, d.marks.groups]) {
      if (ArrayBuffer.isView(col)) buffers.add(col.buffer as ArrayBuffer);
    }
  };
  if (result.page) lanes(result.page);
  if (result.channel) {
    lanes(result.channel.timeline);
    buffers.add(result.channel.positions.buffer as ArrayBuffer);
  }
  return [...buffers];
}
