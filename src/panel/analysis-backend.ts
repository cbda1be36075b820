/**
 * Where the panel's analysis runs: a module Web Worker (analysis-worker.ts;
 * the panel's normal set-up), or the panel's own thread where no Worker can
 * start (component tests under happy-dom). Both run the same AnalysisEngine;
 * the in-thread one answers synchronously.
 */
import { AnalysisEngine, type AnalysisResult, type ToAnalysis } from './analysis-engine.ts';

export interface AnalysisBackend {
  /** Whether results arrive synchronously in the calling thread. */
  readonly inThread: boolean;
  /** Send a change of the event list or a request; results come to `onResult`. */
  post(message: ToAnalysis): void;
  dispose(): void;
}

export type ResultHandler = (result: AnalysisResult) => void;

/** The engine in the calling thread; `analyze` answers before `post` returns. */
export function localAnalysis(onResult: ResultHandler): AnalysisBackend {
  const engine = new AnalysisEngine();
  return {
    inThread: true,
    post(message) {
      const result = engine.handle(message);
      if (result) onResult(result);
    },
    dispose() {},
  };
}

/**
 * The engine in a dedicated module worker. Vite bundles the worker from this
 * `new Worker(new URL(...), { type: 'module' })` form (vite 8 "Web Workers":
 * the URL must be inline for the bundler to see it); the page's
 * `script-src 'self'` (MV3's default extension-page CSP) allows it because the
 * bundle is served from the extension's own origin.
 */
export function workerAnalysis(onResult: ResultHandler, onError: (message: string) => void): AnalysisBackend {
  const worker = new Worker(new URL('./analysis-worker.ts', import.meta.url), { type: 'module', name: 'realtime-inspector-analysis' });
  worker.onmessage = (e: MessageEvent<AnalysisResult>) => onResult(e.data);
  worker.onerror = (e) => onError(`analysis worker failed: ${e.message || 'unknown error'}`);
  return {
    inThread: false,
    post(message) {
      worker.postMessage(message);
    },
    dispose() {
      worker.terminate();
    },
  };
}
