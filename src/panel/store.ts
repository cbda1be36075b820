/**
 * The panel's state: the captured events (live from the bridge or imported from
 * a file), one incremental Analyzer over them, and a throttled report.
 *
 * Re-analysis is throttled: new events are ingested at once (cheap), but the
 * report is rebuilt at most every REANALYZE_MIN_MS, and no sooner than
 * REANALYZE_COST_FACTOR times what the last rebuild and its render cost (capped
 * at REANALYZE_MAX_MS), so a flood of messages cannot starve the panel's frames.
 */
import { Analyzer, DEFAULT_USERS } from '../core/index.ts';
import type { CaptureEvent } from '../core/events.ts';
import type { Report } from '../core/report-types.ts';
import { TAB_MAX_EVENTS } from '../shared/constants.ts';

/** Lower bound between two report rebuilds while events stream in. */
export const REANALYZE_MIN_MS = 250;
/** A rebuild (analysis + render) that took X ms waits at least X * this before the next one. */
export const REANALYZE_COST_FACTOR = 3;
/** ...but never longer than this, so a flood on a huge capture still shows progress. */
export const REANALYZE_MAX_MS = 4000;
/**
 * Most events the panel analyses: the background's per-tab bound, so the panel
 * never holds more than the tab buffer it mirrors. Past it (plus 10% slack, so the
 * rebuild is rare) the oldest events are let go and the analysis is rebuilt;
 * the bridge counts them as dropped.
 */
export const PANEL_MAX_EVENTS = TAB_MAX_EVENTS;
const EVICT_SLACK = 1.1;


export type StoreListener = () => void;

/** Where the shown events come from. */
export type StoreMode = { kind: 'live' } | { kind: 'import'; name: string };

/** Holds events and the analysis of them; notifies listeners after throttled re-analysis. */
export class PanelStore {
  private analyzer = new Analyzer();
  private all: CaptureEvent[] = [];
  private liveBackup: CaptureEvent[] | null = null;
  private listeners = new Set<StoreListener>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastBuiltAt = 0;
  private lastCostMs = 0;
  private lastRenderMs = 0;
  private cachedReport: Report | null = null;
  private reportStale = true;
  /** Bumped on every change that listeners see. */
  version = 0;
  users = DEFAULT_USERS;
  mode: StoreMode = { kind: 'live' };
  /** Events dropped by buffer bounds, as reported by the connection (capture.dropped events are in the report). */
  connectionDropped = 0;
  connected = false;
  /** Whether the tab is recording (live capture only). */
  recording = true;

  /** `schedule` defaults to setTimeout, called as a plain function (browsers reject it bound to another `this`). */
  constructor(
    private readonly schedule: (fn: () => void, ms: number) => ReturnType<typeof setTimeout> = (fn, ms) => setTimeout(fn, ms),
    private readonly maxEvents = PANEL_MAX_EVENTS,
  ) {}

  /** Every event currently shown. */
  events(): readonly CaptureEvent[] {
    return this.all;
  }

  /** The report over the shown events (rebuilt lazily; cached between changes). */
  report(): Report {
    if (this.reportStale || !this.cachedReport) {
      const started = performance.now();
      this.cachedReport = this.analyzer.report({ users: this.users });
      this.lastCostMs = performance.now() - started;
      this.reportStale = false;
    }
    return this.cachedReport;
  }

  /** The events of one channel, in capture order. */
  channelEvents(id: string): readonly CaptureEvent[] {
    return this.analyzer.channelEvents(id);
  }

  /** Columnar chart data of one channel. */
  channelSeries(id: string) {
    return this.analyzer.channelSeries(id);
  }

  /** Live events arrived from the connection. */
  appendLive(events: readonly CaptureEvent[]): void {
    if (events.length === 0) return;
    if (this.mode.kind === 'import') {
      this.liveBackup ??= [];
      for (const e of events) this.liveBackup.push(e);
      return;
    }
    for (const e of events) this.all.push(e);
    if (this.all.length > this.maxEvents * EVICT_SLACK) {
      this.load(this.all.slice(this.all.length - this.maxEvents));
      return;
    }
    this.analyzer.ingest(events as CaptureEvent[]);
    this.reportStale = true;
    this.scheduleNotify();
  }

  /** Replace the live events (the connection re-sent its whole buffer, or was cleared). */
  resetLive(events: readonly CaptureEvent[]): void {
    if (this.mode.kind === 'import') {
      this.liveBackup = [...events];
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
    this.reportStale = true;
    this.notifyNow();
  }

  /** Connection state from the bridge; a recording change shows at once (the report is not rebuilt for it). */
  setConnection(status: { connected: boolean; dropped: number; recording: boolean }): void {
    if (status.connected === this.connected && status.dropped === this.connectionDropped && status.recording === this.recording) return;
    const recordingChanged = status.recording !== this.recording;
    this.connected = status.connected;
    this.connectionDropped = status.dropped;
    this.recording = status.recording;
    if (recordingChanged) this.notifyNow();
    else this.scheduleNotify();
  }

  /** The view reports what rendering the last update cost (ms), so floods slow re-analysis down instead of freezing the panel. */
  noteRenderCost(ms: number): void {
    this.lastRenderMs = ms;
  }

  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private load(events: CaptureEvent[]): void {
    this.all = events;
    this.analyzer = new Analyzer();
    if (events.length) this.analyzer.ingest(events);
    this.reportStale = true;
    this.notifyNow();
  }

  private scheduleNotify(): void {
    if (this.timer !== null) return;
    const gap = Math.min(REANALYZE_MAX_MS, Math.max(REANALYZE_MIN_MS, (this.lastCostMs + this.lastRenderMs) * REANALYZE_COST_FACTOR));
    const wait = Math.max(0, this.lastBuiltAt + gap - performance.now());
    this.timer = this.schedule(() => {
      this.timer = null;
      this.notifyNow();
    }, wait);
  }

  private notifyNow(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.lastBuiltAt = performance.now();
    this.version++;
    for (const l of this.listeners) l();
  }
}
