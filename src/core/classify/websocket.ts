import type { Classifier } from './types.ts';
import { formatMs } from '../stats.ts';

/** A WebSocket channel: the transport says so. */
export const websocketClassifier: Classifier = {
  kind: 'websocket',
  title: 'WebSocket',
  description: 'Connections opened with the WebSocket API.',
  classify(ctx) {
    if (ctx.transport !== 'websocket') return null;
    let inCount = 0;
    let outCount = 0;
    let openMs = 0;
    for (const r of ctx.records) {
      for (const m of r.messages) m.dir === 'in' ? inCount++ : outCount++;
      if (r.openAt !== null) openMs += (r.end ?? ctx.captureEnd) - r.openAt;
    }
    const n = ctx.records.length;
    return {
      kind: 'websocket',
      confidence: 1,
      evidence: `${n} connection${n === 1 ? '' : 's'}, ${inCount + outCount} messages (${inCount} in, ${outCount} out), open ${formatMs(openMs)} in total`,
    };
  },
};
