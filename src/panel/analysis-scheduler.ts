/**
 * When the panel asks for an analysis. A request is sent at most every
 * REANALYZE_MIN_MS while events stream in (longer when the view's renders or the
 * requests themselves cost the panel's thread more, see REANALYZE_COST_FACTOR), one
 * at a time; a change made while a request is in flight is always followed by one
 * more request, so the last state is always analysed. A user action asks `now`: it is
 * sent at once, or right after the request in flight. While a tab's history arrives,
 * the first request waits for it (HISTORY_WAIT_MS, ended early by `historyInSync`).
 */

/** Lower bound between two analysis requests while events stream in. */
export const REANALYZE_MIN_MS = 250;
/** A request or render that cost the panel's thread X ms waits at least X * this before the next request. */
export const REANALYZE_COST_FACTOR = 3;
/** ...but never longer than this, so a flood on a huge capture still shows progress. */
export const REANALYZE_MAX_MS = 4000;
/**
 * While the connection is still delivering a tab's history, wait this long for
 * the rest before analysing, so the first overview comes from one analysis of
 * the whole history rather than one per chunk (the wait ends when the bridge
 * reports it is in sync).
 */
export const HISTORY_WAIT_MS = 1000;

export type Schedule = (fn: () => void, ms: number) => ReturnType<typeof setTimeout>;

export class AnalysisScheduler {
  private nextRequestId = 1;
  /** The request whose result is awaited. */
  private inFlight: number | null = null;
  /** The list or the request changed since the last request was sent. */
  private dirty = false;
  /** A user action is waiting for the request in flight: send the next one as soon as it returns. */
  private urgent = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** When the last request was sent or answered: the throttle's gap counts from there, so the worker rests between analyses too. */
  private lastAnalysisAt = Number.NEGATIVE_INFINITY;
  private lastCostMs = 0;
  private lastRenderMs = 0;
  /** History chunks are arriving: the first request waits for the bridge to be in sync. */
  private awaitingHistory = false;

  /**
   * `send(id)` posts request `id`; what it costs the calling thread slows the next ones down.
   * `cancel` clears a timer that `schedule` set.
   */
  constructor(
    private readonly schedule: Schedule,
    private readonly send: (id: number) => void,
    private readonly cancel: (timer: ReturnType<typeof setTimeout>) => void = (timer) => clearTimeout(timer),
  ) {}

  /** No change is waiting for a request and no request is in flight. */
  idle(): boolean {
    return !this.dirty && this.inFlight === null;
  }

  /** Whether a change is waiting for a request. */
  pending(): boolean {
    return this.dirty;
  }

  /** Ask for an analysis within the throttle's gap. */
  soon(): void {
    this.dirty = true;
    if (this.inFlight !== null || this.timer !== null) return;
    const gap = Math.min(REANALYZE_MAX_MS, Math.max(REANALYZE_MIN_MS, Math.max(this.lastCostMs, this.lastRenderMs) * REANALYZE_COST_FACTOR));
    // History: counted from its first chunk (the timer is set once), ended early by historyInSync.
    const wait = this.awaitingHistory ? HISTORY_WAIT_MS : Math.max(0, this.lastAnalysisAt + gap - performance.now());
    this.timer = this.schedule(() => {
      this.timer = null;
      this.request();
    }, wait);
  }

  /** Ask for an analysis now (a user action, a new list), or right after the one in flight. */
  now(): void {
    this.dirty = true;
    if (this.timer !== null) {
      this.cancel(this.timer);
      this.timer = null;
    }
    if (this.inFlight === null) this.request();
    else this.urgent = true;
  }

  /** The last answer cannot be used (a change of a view not held): ask again as soon as the one in flight returns. */
  again(): void {
    this.dirty = true;
    this.urgent = true;
  }

  /** A result arrived for request `id` (0: the panel's own first analysis, never in flight). */
  answered(id: number): void {
    if (id === this.inFlight) this.inFlight = null;
    this.lastAnalysisAt = performance.now();
  }

  /** After a result was taken: what changed meanwhile gets its request. */
  followUp(): void {
    if (!this.dirty || this.inFlight !== null) return;
    if (this.urgent) this.now();
    else this.soon();
  }

  /** The backend was replaced: the request in flight will never be answered. */
  abandon(): void {
    this.inFlight = null;
  }

  /** A tab's history is arriving (more may follow), or a new list replaced it (false). */
  awaitHistory(on: boolean): void {
    this.awaitingHistory = on;
  }

  /** The bridge is in sync: a request held for the history goes now. */
  historyInSync(): void {
    if (!this.awaitingHistory) return;
    this.awaitingHistory = false;
    if (this.dirty) this.now();
  }

  /** What rendering the last update cost (ms), so floods slow re-analysis down instead of freezing the panel. */
  noteRenderCost(ms: number): void {
    this.lastRenderMs = ms;
  }

  private request(): void {
    const id = this.nextRequestId++;
    this.dirty = false;
    this.urgent = false;
    this.inFlight = id;
    const started = performance.now();
    this.lastAnalysisAt = started;
    this.send(id);
    this.lastCostMs = performance.now() - started;
  }
}
