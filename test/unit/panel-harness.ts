/**
 * Test doubles for the panel store: the real analysis engine behind a backend that
 * answers only when the test delivers, and a scheduler the test runs by hand.
 */
import type { ResultHandler } from '../../src/panel/analysis-backend.ts';
import { AnalysisEngine, type AnalysisResult, type ToAnalysis } from '../../src/panel/analysis-engine.ts';
import { PANEL_MAX_EVENTS, PanelStore, type BackendFactory } from '../../src/panel/store.ts';

/** The real engine behind a store, answering when the test delivers; results can be rewritten on the way. */
export function deferredBackend(rewrite: (r: AnalysisResult) => AnalysisResult = (r) => r) {
  const engine = new AnalysisEngine();
  const pending: AnalysisResult[] = [];
  const posted: ToAnalysis[] = [];
  const delivered: AnalysisResult[] = [];
  let onResult: ResultHandler = () => {};
  const factory: BackendFactory = (handler) => {
    onResult = handler;
    return {
      inThread: false,
      post(message) {
        posted.push(message);
        const result = engine.handle(message);
        if (result) pending.push(result);
      },
      dispose() {},
    };
  };
  return {
    factory,
    posted,
    pending,
    delivered,
    /** Deliver the oldest pending result. */
    deliver() {
      const r = rewrite(pending.shift()!);
      delivered.push(r);
      onResult(r);
    },
  };
}

/** A scheduler the test runs by hand. */
export function manualTimers() {
  const timers: Array<{ fn: () => void; ms: number }> = [];
  const schedule = (fn: () => void, ms: number) => {
    timers.push({ fn, ms });
    return 0 as unknown as ReturnType<typeof setTimeout>;
  };
  /** Run every due timer (and those they schedule), in order. */
  const runAll = () => {
    while (timers.length) timers.shift()!.fn();
  };
  return { timers, schedule, runAll };
}

/** A store of at most `maxEvents` whose analysis worker is a deferredBackend, on a manual scheduler. */
export function storeWithWorker(maxEvents = PANEL_MAX_EVENTS, rewrite?: (r: AnalysisResult) => AnalysisResult) {
  const w = deferredBackend(rewrite);
  const t = manualTimers();
  const store = new PanelStore(t.schedule, maxEvents, w.factory);
  /** Run the due timers and deliver every result, and the timers and results those bring, until nothing is left. */
  const settle = () => {
    t.runAll();
    while (w.pending.length) {
      w.deliver();
      t.runAll();
    }
  };
  return { w, t, store, settle };
}
