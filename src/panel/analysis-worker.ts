/**
 * The panel's analysis worker: runs the AnalysisEngine off the panel's main
 * thread, so re-analysing 100k messages never blocks a frame. Messages arrive
 * in the order the panel changed its event list; each `analyze` is answered
 * with one result whose typed arrays are transferred, not copied.
 */
import { AnalysisEngine, transferables, type ToAnalysis } from './analysis-engine.ts';

const engine = new AnalysisEngine();
const scope = self as unknown as { onmessage: ((e: MessageEvent<ToAnalysis>) => void) | null; postMessage(message: unknown, transfer: Transferable[]): void };

scope.onmessage = (e) => {
  const result = engine.handle(e.data);
  if (result) scope.postMessage(result, transferables(result));
};
