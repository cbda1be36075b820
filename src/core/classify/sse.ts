import type { Classifier } from './types.ts';

/** Server-Sent Events: an EventSource, or a text/event-stream response read through fetch/XHR. */
export const sseClassifier: Classifier = {
  kind: 'sse',
  title: 'Server-Sent Events',
  description: 'EventSource connections, and fetch/XHR responses with Content-Type text/event-stream.',
  classify(ctx) {
    const streams = ctx.records.filter((r) => r.sse);
    if (streams.length === 0) return null;
    let events = 0;
    for (const r of streams) events += r.messages.filter((m) => m.kind === 'sse').length;
    const how =
      ctx.transport === 'eventsource' ? 'EventSource' : `text/event-stream read through ${ctx.transport === 'xhr' ? 'XHR' : 'fetch'}`;
    const n = streams.length;
    return {
      kind: 'sse',
      confidence: ctx.transport === 'eventsource' ? 1 : 0.95,
      evidence: `${how}, ${n} connection${n === 1 ? '' : 's'}, ${events} events`,
    };
  },
};
