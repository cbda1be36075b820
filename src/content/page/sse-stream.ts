/**
 * SSE read through fetch or XHR: the stream's text goes through the core's SSE
 * parser, and each dispatched event and comment is recorded on the request's conn.
 * An event is queued in its compact form (QueuedMessage), as the EventSource hook's.
 */
import { createSseParser, type SseParser } from '../../core/sse-parser.ts';
import { COMPACT_SSE, sseEventCode, sseIdCode } from '../../shared/page-bridge.ts';
import { emit, emitQueued, now, settings } from './emitter.ts';
import { stringSlice } from './natives.ts';
import { TextBudget } from './payload.ts';

/** A parser that records the events and comments of the SSE stream carried by `conn`. */
export function recordingSseParser(conn: string): SseParser {
  const budget = new TextBudget();
  return createSseParser(
    (e) => {
      const t = now();
      const text = budget.keep(e.data, t);
      emitQueued([COMPACT_SSE, conn, t, 0, budget.size, 0, budget.cut, sseEventCode(e.type), sseIdCode(e.id, e.lastEventId), e.lastEventId, e.retry, text]);
    },
    (text) => emit({ type: 'sse.comment', conn, text: stringSlice(text, 0, settings.maxTextChars) }),
  );
}
