/**
 * SSE read through fetch or XHR: the stream's text goes through the core's SSE
 * parser, and each dispatched event and comment is recorded on the request's conn.
 */
import { createSseParser, type SseParser } from '../../core/sse-parser.ts';
import { emit, settings } from './emitter.ts';
import { textPayload } from './payload.ts';

/** A parser that records the events and comments of the SSE stream carried by `conn`. */
export function recordingSseParser(conn: string): SseParser {
  return createSseParser(
    (e) =>
      emit({
        type: 'sse.message',
        conn,
        event: e.type,
        data: textPayload(e.data),
        id: e.id,
        lastEventId: e.lastEventId,
        retry: e.retry,
      }),
    (text) => emit({ type: 'sse.comment', conn, text: text.slice(0, settings.maxTextChars) }),
  );
}
