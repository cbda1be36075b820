/**
 * The panel's state: the captured events (live from the bridge or imported from
 * a file) and the latest analysis of them.
 *
 * The analysis runs in an AnalysisBackend (a Web Worker in the panel), which
 * mirrors the event list (worker-mirror.ts: every change is posted to it at
 * once, a new list is copied in chunks after its first paint). When to ask it
 * for a new result is the AnalysisScheduler's call (analysis-scheduler.ts:
 * throttled by cost, one request at a time, the last state always analysed).
 * Results describe one generation of the list (bumped by every reset and
 * eviction); older results are dropped.
 *
 * Bound: at most PANEL_MAX_EVENTS × 1.1 events are held (and mirrored once
 * in the worker); past it the oldest are let go down to PANEL_MAX_EVENTS, plus
 * the few events that define the connections still shown (evictOldest).
 */
import { Analyzer, DEFAULT_USERS } from '../core/index.ts';
import type { CaptureEvent, Report } from '../core/index.ts';
import { TAB_MAX_EVENTS } from '../shared/constants.ts';
import { localAnalysis } from './analysis-backend.ts';
import { AnalysisEngine, EventCounts, evictOldestInPlace, type AnalysisResult, type ToAnalysis, type ViewSeries } from './analysis-engine.ts';
import { AnalysisScheduler, HISTORY_WAIT_MS } from './analysis-scheduler.ts';
import type { MessageRoles } from './messages.ts';
import { type BackendFactory, WorkerMirror } from './worker-mirror.ts';
import { emptyLanes, type LaneData } from './timeline-data.ts';
import { LaneColumns } from './view-delta.ts';

export { HISTORY_WAIT_MS, REANALYZE_COST_FACTOR, REANALYZE_MAX_MS, REANALYZE_MIN_MS } from './analysis-scheduler.ts';
export { MIRROR_CHUNK_EVENTS, MIRROR_START_MS, type BackendFactory } from './worker-mirror.ts';

/**
 * Most events the panel analyses: the background's per-tab bound, so the panel
 * never holds more than the tab buffer it mirrors. Past it (plus 10% slack, so
 * eviction is rare) the oldest events are let go; the bridge counts them as dropped.
 */
export const PANEL_MAX_EVENTS = TAB_MAX_EVENTS;
const EVICT_SLACK = 1.1;
export type StoreListener = () => void;

/** Where the shown events come from. */
export type StoreMode = { kind: 'live' } | { kind: 'import'; name: string };

/** The channel open in detail, as of the latest analysis. */
export interface ChannelView {
  id: string;
  series: ViewSeries | null;
  /** Non-data roles of its messages (heartbeats, control), by direction and time. */
  roles: MessageRoles;
  timeline: LaneData;
  /**
   * The channel's events in time order. While the channel's events only grow
   * (no eviction, no reset), later views of it extend this same array in place
   * (each view is a new object: compare views, not this array, to see a change).
   */
  events: readonly CaptureEvent[];
}

const EMPTY_LANES = emptyLanes(0, []);

/** Holds events and the latest analysis of them; notifies listeners when either changes. */
export class PanelStore {
  private all: CaptureEvent[] = [];
  /** Events per connection and document of `all`, so an eviction costs the evicted events only. */
  private counts = new EventCounts();
  private liveBackup: CaptureEvent[] | null = null;
  private listeners = new Set<StoreListener>();
  /** The backend's copy of the list. */
  private readonly mirror: WorkerMirror;
  /** When to ask the backend for a new result. */
  private readonly scheduler: AnalysisScheduler;
  private generation = 0;
  /**
   * A tab's history is arriving into an empty list (DevTools just opened): it is held here,
   * not mirrored, and once in sync analysed as one new list (`load`: the first analysis in
   * this thread, the copy to the worker after the paint). Mirroring each chunk instead made
   * the worker deserialise 100k events before the first overview: 1.2 s in bench/panel.ts.
   */
  private holdingHistory = false;
  /** Holds started, so that a hold's timer cannot end a later one. */
  private holds = 0;
  private latest: AnalysisResult | null = null;
  /** The latest page timeline (results leave it out while a channel is open, or when it did not change). */
  private pageLanes: LaneData | null = null;
  /** The last channel view received (kept when the channel is closed: the engine sends a view again only when it changed). */
  private view: ChannelView | null = null;
  /**
   * Where `view` came from: the generation and the engine's view number, and
   * the buffers its timeline columns are merged into; null when a change of
   * it cannot be applied (some positions were not in the list).
   */
  private viewSource: { generation: number; seq: number; columns: LaneColumns; events: CaptureEvent[] } | null = null;
  /** The view held is not the one the engine's next change would apply to: ask for a whole one. */
  private needFullView = false;
  private watched: string | null = null;
  private emptyReport: Report | null = null;
  private waiters: Array<(report: Report) => void> = [];
  /** The first analysis of a new list, in this thread, kept until the worker's first result for that list. */
  private interim: { engine: AnalysisEngine; generation: number } | null = null;
  /** Bumped on every change that listeners see. */
  version = 0;
  users = DEFAULT_USERS;
  mode: StoreMode = { kind: 'live' };
  /** Events dropped by buffer bounds, as reported by the connection (capture.dropped events are in the report). */
  connectionDropped = 0;
  connected = false;
  /** Whether the tab is recording (live capture only). */
  recording = true;

  /**
   * `schedule` defaults to setTimeout, called as a plain function (browsers reject it bound to another `this`);
   * `backend` defaults to analysing in the calling thread (the panel passes its worker).
   */
  constructor(
    private readonly schedule: (fn: () => void, ms: number) => ReturnType<typeof setTimeout> = (fn, ms) => setTimeout(fn, ms),
    private readonly maxEvents = PANEL_MAX_EVENTS,
    backend: BackendFactory = localAnalysis,
  ) {
    this.mirror = new WorkerMirror(schedule, backend, (result) => this.receive(result), (message) => this.fallBack(message));
    this.scheduler = new AnalysisScheduler(schedule, (id) => {
      const full = this.needFullView;
      this.needFullView = false;
      this.post({ type: 'analyze', generation: this.generation, request: { id, users: this.users, channel: this.watched, page: this.watched === null, full } });
    });
  }

  /** Every event currently shown. */
  events(): readonly CaptureEvent[] {
    return this.all;
  }

  /** The latest report (it may lag the events by one analysis; see `analyzed`). */
  report(): Report {
    if (this.latest) return this.latest.report;
    this.emptyReport ??= new Analyzer().report({ users: this.users });
    return this.emptyReport;
  }

  /** Whether events arrived that the shown report does not cover yet. */
  analysing(): boolean {
    return !this.isCurrent();
  }

  /** The report once it covers every shown event and the current user count. */
  analyzed(): Promise<Report> {
    if (this.isCurrent()) return Promise.resolve(this.report());
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Where the analysis runs: 'worker', or 'panel' (no worker could start, or it failed). */
  analysisThread(): 'worker' | 'panel' {
    return this.mirror.inThread ? 'panel' : 'worker';
  }

  /** Earliest event time (epoch ms) of the analysed events: timelines measure from it. */
  origin(): number {
    return this.latest?.origin ?? 0;
  }

  /** Lanes of the page timeline (one per channel of the report). */
  pageTimeline(): LaneData {
    return this.pageLanes ?? EMPTY_LANES;
  }

  /** Say which channel is open in detail (null: none); its view comes with the next analysis. */
  watch(channelId: string | null): void {
    if (channelId === this.watched) return;
    this.watched = channelId;
    // A channel's view, or (back on the overview) the page timeline left out while the channel was open.
    if (channelId !== null) this.askInterim();
    this.scheduler.now();
  }

  /** The open channel's series, timeline and events, once analysed. */
  channelView(channelId: string): ChannelView | null {
    return this.view?.id === channelId ? this.view : null;
  }

  /** Columnar chart data of the open channel (null until analysed). */
  channelSeries(channelId: string): ViewSeries | null {
    return this.channelView(channelId)?.series ?? null;
  }

  /** Live events arrived from the connection; `history`: part of the tab's history, more may follow. */
  appendLive(events: readonly CaptureEvent[], history = false): void {
    if (events.length === 0) return;
    this.intern(events);
    if (this.mode.kind === 'import') {
      this.liveBackup ??= [];
      for (const e of events) this.liveBackup.push(e);
      return;
    }
    const startsHistory = history && !this.connected && this.all.length === 0;
    for (const e of events) this.all.push(e);
    this.counts.add(events);
    if (startsHistory) this.holdHistory();
    const holding = this.holdingHistory;
    if (!holding) this.post({ type: 'append', generation: this.generation, events });
    if (this.all.length > this.maxEvents * EVICT_SLACK) {
      const count = this.all.length - this.maxEvents;
      evictOldestInPlace(this.all, count, this.counts);
      this.generation++;
      // The first analysis answers for its own list only: let it go (it holds a whole analyzer of the list).
      this.interim = null;
      if (!holding) this.post({ type: 'evict', generation: this.generation, count });
    }
    if (holding) return;
    if (history && !this.connected) this.scheduler.awaitHistory(true);
    this.scheduler.soon();
  }

  /** Start holding a tab's history (see holdingHistory); the wait counts from the first chunk and setConnection ends it early. */
  private holdHistory(): void {
    if (this.holdingHistory) return;
    this.holdingHistory = true;
    // A later hold gets its own wait: this timer ends only this one.
    const hold = ++this.holds;
    this.schedule(() => {
      if (hold === this.holds) this.endHistory();
    }, HISTORY_WAIT_MS);
    // The view shows that events are being analysed, not the empty state.
    this.notify();
  }

  /** The held history is complete (or waited for long enough): show it as a new list. */
  private endHistory(): void {
    if (!this.holdingHistory) return;
    this.holdingHistory = false;
    this.load(this.all, true);
  }

  /** Replace the live events (the connection re-sent its whole buffer, or was cleared). */
  resetLive(events: readonly CaptureEvent[], history = false): void {
    if (this.mode.kind === 'import') {
      this.liveBackup = [...events];
      return;
    }
    // A navigation within the tab's history (its first chunk starts with the page's own doc.start): the held list
    // starts again from it, still held.
    if (history && !this.connected && (this.holdingHistory || this.all.length === 0)) {
      this.intern(events);
      this.all = [...events];
      this.counts = new EventCounts(this.all);
      if (this.all.length) this.holdHistory();
      return;
    }
    this.load([...events]);
  }

  /** Show an imported capture instead of the live one; live events keep accumulating aside. */
  showImported(name: string, events: CaptureEvent[]): void {
    if (this.mode.kind === 'live') this.liveBackup = this.all;
    this.mode = { kind: 'import', name };
    this.load(events);
  }

  /** Return from an imported capture to the live one. */
  showLive(): void {
    if (this.mode.kind === 'live') return;
    this.mode = { kind: 'live' };
    const live = this.liveBackup ?? [];
    this.liveBackup = null;
    this.load(live);
  }

  /** Forget every shown event. */
  clear(): void {
    this.load([]);
  }

  setUsers(users: number): void {
    if (!Number.isFinite(users) || users < 1) return;
    this.users = Math.round(users);
    this.emptyReport = null;
    this.scheduler.now();
    this.notify();
  }

  /** Connection state from the bridge; shown at once (no analysis needed). Being in sync ends the wait for history. */
  setConnection(status: { connected: boolean; dropped: number; recording: boolean }): void {
    if (status.connected === this.connected && status.dropped === this.connectionDropped && status.recording === this.recording) return;
    this.connected = status.connected;
    this.connectionDropped = status.dropped;
    this.recording = status.recording;
    if (this.connected) this.scheduler.historyInSync();
    if (this.connected) this.endHistory();
    this.notify();
  }

  /** The view reports what rendering the last update cost (ms), so floods slow re-analysis down instead of freezing the panel. */
  noteRenderCost(ms: number): void {
    this.scheduler.noteRenderCost(ms);
  }

  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Show a whole new list. With a worker, the first analysis runs here, at once:
   * copying 100k events to the worker costs more than analysing them (about
   * 0.2 s to serialise here and 0.3-0.5 s to deserialise there, measured with
   * worker_threads in Node 20 on a 2-core machine; the panel's postMessage of
   * them took 0.19 s plus 0.2 s of GC in Chromium 156), so the overview paints
   * sooner this way; the copy then goes to the worker in chunks after the paint,
   * and the worker analyses every later change. `interned`: the events came
   * through appendLive or resetLive's history path (held history), so the copy
   * need not intern them again.
   */
  private load(events: CaptureEvent[], interned = false): void {
    this.all = events;
    this.counts = new EventCounts(events);
    this.generation++;
    this.scheduler.awaitHistory(false);
    this.holdingHistory = false;
    if (this.mirror.inThread) {
      this.mirror.replaceList(this.generation, events, interned);
      this.scheduler.now();
    } else {
      this.analyseHere();
      this.mirror.replaceList(this.generation, events, interned);
    }
    this.notify();
  }

  private intern(events: readonly CaptureEvent[]): void {
    this.mirror.intern(events);
  }

  /** One analysis of the whole list in this thread (the first paint of a new list). */
  private analyseHere(): void {
    const engine = new AnalysisEngine();
    engine.handle({ type: 'reset', generation: this.generation, events: this.all });
    this.interim = { engine, generation: this.generation };
    this.askInterim();
  }

  /** Until the worker has caught up with a new list, the engine of its first analysis answers here (warm: a channel view costs little more). */
  private askInterim(): void {
    const interim = this.interim;
    if (!interim || interim.generation !== this.generation) return;
    const result = interim.engine.handle({ type: 'analyze', generation: this.generation, request: { id: 0, users: this.users, channel: this.watched, page: this.watched === null } });
    if (result) this.receive(result);
  }

  private post(message: ToAnalysis): void {
    this.mirror.post(message);
  }

  private isCurrent(): boolean {
    const r = this.latest;
    if (!r) return this.all.length === 0 && !this.scheduler.pending();
    return this.scheduler.idle() && r.generation === this.generation && r.covered === this.all.length && r.report.summary.users === this.users;
  }

  private receive(result: AnalysisResult): void {
    this.scheduler.answered(result.id);
    // The worker caught up (or the list moved on past the first analysis's generation): the first analysis is done.
    if (result.id !== 0 && this.interim && this.interim.generation <= result.generation) this.interim = null;
    if (result.generation === this.generation) {
      this.latest = result;
      if (result.page) this.pageLanes = result.page;
      if (result.channel) this.receiveView(result.channel, result.generation);
      this.notify();
    }
    this.scheduler.followUp();
    if (this.waiters.length && this.isCurrent()) {
      const report = this.report();
      for (const w of this.waiters.splice(0)) w(report);
    }
  }

  /**
   * Take the open channel's view: a whole one, or a change of the view held
   * (its events array and timeline buffers are extended in place). A change
   * of a view this store does not hold is dropped, and a whole view asked for.
   */
  private receiveView(channel: AnalysisResult['channel'] & object, generation: number): void {
    const base = channel.base;
    const source = this.viewSource;
    let events: CaptureEvent[];
    let timeline: LaneData;
    let columns: LaneColumns;
    if (base) {
      const size = source?.columns.size();
      if (!source || !size || this.view?.id !== channel.id || source.generation !== generation || source.seq !== base.seq || base.positions > source.events.length || base.spans > size.spans || base.marks > size.marks) {
        this.needFullView = true;
        this.scheduler.again();
        return;
      }
      events = source.events;
      events.length = base.positions;
      columns = source.columns;
      timeline = columns.apply(channel.timeline, base);
    } else {
      events = [];
      columns = new LaneColumns();
      timeline = columns.adopt(channel.timeline);
    }
    let complete = true;
    const positions = channel.positions;
    for (let i = 0; i < positions.length; i++) {
      const e = this.all[positions[i]!];
      if (e) events.push(e);
      else complete = false;
    }
    // A change leaves the roles out when they are the base view's (held: the base is this.view).
    const roles = channel.roles ?? this.view?.roles ?? { in: new Map(), out: new Map() };
    this.view = { id: channel.id, series: channel.series, roles, timeline, events };
    // A change applies only while events[i] stands for the engine's positions[i].
    this.viewSource = complete ? { generation, seq: channel.seq, columns, events } : null;
  }

  /** The worker failed: analyse in this thread from now on (slower, but the panel keeps working). */
  private fallBack(message: string): void {
    this.interim = null;
    this.scheduler.abandon();
    // The whole list goes to the new backend below: nothing is held back any more.
    this.holdingHistory = false;
    this.generation++;
    this.mirror.fallBack(message, this.generation, this.all);
    this.scheduler.now();
  }

  private notify(): void {
    this.version++;
    for (const l of this.listeners) l();
  }
}
