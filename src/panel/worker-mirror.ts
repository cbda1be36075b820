/**
 * The analysis backend's copy of the panel's event list. Every change of the list is
 * posted to it at once (cheap) and in order; a whole new list is copied after its
 * first overview had time to paint, in chunks of MIRROR_CHUNK_EVENTS posted one per
 * task, so the panel keeps painting while the worker catches up. Events are interned
 * (one copy of each repeated string, intern.ts) before they are copied.
 */
import { localAnalysis, type AnalysisBackend, type ResultHandler } from './analysis-backend.ts';
import type { ToAnalysis } from './analysis-engine.ts';
import type { Schedule } from './analysis-scheduler.ts';
import type { CaptureEvent } from '../core/index.ts';
import { internEvent, StringPool } from './intern.ts';

/**
 * Events per message when a whole list is copied to the worker: each copy
 * (structured clone, about 1.5 µs per event on a 2-core machine, several times
 * that when the machine is loaded: 5,000-event copies took 8-59 ms in
 * bench/panel.ts traces) stays a short task, so the panel keeps painting while
 * the worker catches up.
 */
export const MIRROR_CHUNK_EVENTS = 1000;
/** The copy starts after the new list's first overview had time to paint (its render and one frame). */
export const MIRROR_START_MS = 100;

/** Builds the backend the store posts to; it answers through `onResult`. */
export type BackendFactory = (onResult: ResultHandler, onError: (message: string) => void) => AnalysisBackend;

export class WorkerMirror {
  private backend: AnalysisBackend;
  /** Messages waiting to be posted one per task (a whole list being copied to the worker). */
  private outbox: ToAnalysis[] = [];
  private draining = false;
  /** One copy of each repeated string of the events held (see intern.ts). */
  private readonly strings = new StringPool();
  /** The list being copied still needs interning (an import, a reset list); held history was interned as it came. */
  private internCopies = true;

  /** A backend that cannot start leaves the analysis in the calling thread; one that fails later calls `onFailure`. */
  constructor(
    private readonly schedule: Schedule,
    factory: BackendFactory,
    private readonly onResult: ResultHandler,
    onFailure: (message: string) => void,
  ) {
    try {
      this.backend = factory(onResult, onFailure);
    } catch (error) {
      console.warn('[realtime-inspector] no analysis worker; analysing in the panel thread', error);
      this.backend = localAnalysis(onResult);
    }
  }

  /** Whether results arrive synchronously in the calling thread. */
  get inThread(): boolean {
    return this.backend.inThread;
  }

  intern(events: readonly CaptureEvent[]): void {
    const strings = this.strings;
    for (let i = 0; i < events.length; i++) internEvent(events[i]!, strings);
  }

  /** Post in order: straight away, or behind a list still being copied. */
  post(message: ToAnalysis): void {
    if (this.outbox.length === 0) this.backend.post(message);
    else this.outbox.push(message);
  }

  /**
   * A whole new list: at once to a backend in this thread; otherwise copied in chunks
   * after the first paint. `interned`: the events were interned as they arrived.
   */
  replaceList(generation: number, events: CaptureEvent[], interned: boolean): void {
    this.outbox = [];
    this.internCopies = !interned;
    if (this.backend.inThread) {
      if (!interned) this.intern(events);
      this.post({ type: 'reset', generation, events });
      return;
    }
    this.outbox.push({ type: 'reset', generation, events: events.slice(0, MIRROR_CHUNK_EVENTS) });
    for (let i = MIRROR_CHUNK_EVENTS; i < events.length; i += MIRROR_CHUNK_EVENTS) {
      this.outbox.push({ type: 'append', generation, events: events.slice(i, i + MIRROR_CHUNK_EVENTS) });
    }
    this.drain();
  }

  /** The worker failed: analyse in the calling thread from now on, starting from `events`. */
  fallBack(message: string, generation: number, events: CaptureEvent[]): void {
    console.warn('[realtime-inspector]', message, '; analysing in the panel thread');
    this.backend.dispose();
    this.backend = localAnalysis(this.onResult);
    this.outbox = [];
    this.post({ type: 'reset', generation, events });
  }

  /** Post the outbox one message per task. */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    const next = () => {
      const message = this.outbox.shift();
      // A new list's events are interned a chunk at a time as they are copied, after its first paint.
      if (message && this.internCopies && (message.type === 'reset' || message.type === 'append')) this.intern(message.events);
      if (message) this.backend.post(message);
      if (this.outbox.length === 0) {
        this.draining = false;
        return;
      }
      this.schedule(next, 0);
    };
    this.schedule(next, MIRROR_START_MS);
  }
}
