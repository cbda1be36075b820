/**
 * SSE read through fetch or XHR: the stream's text goes through the core's SSE
 * parser, and each dispatched event and comment is recorded on the request's conn.
 */
import { createSseParser, type SseParser } from '../../core/sse-parser.ts';
import { emit, now, settings } from './emitter.ts';
import { stringSlice } from './natives.ts';
import { TextBudget } from './payload.ts';

/** A parser that records the events and comments of the SSE stream carried by `conn`. */
export function recordingSseParser(conn: string): SseParser {
  const budget = new TextBudget();
  return createSseParser(
    (e) =>
      emit({
        type: 'sse.message',
        conn,
        event: e.type,
        data: budget.payload(e.data, now()),
        id: e.id,
        lastEventId: e.lastEventId,
        retry: e.retry,
      }),
    (text) => emit({ type: 'sse.comment', conn, text: stringSlice(text, 0, settings.maxTextChars) }),
  );
}
