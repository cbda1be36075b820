/**
 * Incremental `text/event-stream` parser, following the WHATWG HTML standard,
 * "Server-sent events" § 9.2.6 (interpreting an event stream) and docs/domain.md's
 * field table. Pure: text in, callbacks out; the caller decodes bytes as UTF-8
 * (TextDecoder with `stream: true`) and pushes the text in whatever pieces it
 * arrives in. Used by the page hooks on fetch/XHR-read streams and by analysis, so it
 * calls string methods only through ./primordials.ts (a page may replace them).
 */
import { charCodeAt, stringIndexOf, stringSlice } from './primordials.ts';

/** One dispatched event, as EventSource would deliver it plus what the stream said. */
export interface ParsedSseEvent {
  /** Event type: the `event:` field, 'message' when absent or empty. */
  type: string;
  /** The data buffer with its final line feed removed. */
  data: string;
  /** The `id:` field of this event block ('' for an empty id line), null when it had none. */
  id: string | null;
  /** The stream's last event ID after this event (persists across events). */
  lastEventId: string;
  /** A valid `retry:` value seen since the previous dispatched event, null when none. */
  retry: number | null;
}

/** A running parser for one stream. */
export interface SseParser {
  /** Feed the next piece of decoded text; pieces may be split anywhere. */
  push(text: string): void;
  /** The stream ended: an unterminated event is discarded, as the standard says. */
  end(): void;
}

const LF = 10;
const BOM = 0xfeff;

function isAsciiDigits(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const c = charCodeAt(value, i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Create a parser that calls `onEvent` per dispatched event, `onComment` per `:` line, `onRetry` per valid `retry:`. */
export function createSseParser(
  onEvent: (event: ParsedSseEvent) => void,
  onComment?: (text: string) => void,
  onRetry?: (ms: number) => void,
): SseParser {
  let started = false;
  /** Text of the current unterminated line. */
  let pending = '';
  /** The previous piece ended in CR: a leading LF of the next piece belongs to it. */
  let skipLeadingLf = false;
  let data = '';
  let hasData = false;
  let eventType = '';
  let blockId: string | null = null;
  let lastEventId = '';
  let retrySinceDispatch: number | null = null;

  function dispatch(): void {
    // The id line already updated lastEventId: the standard commits it even when no event is dispatched.
    const id = blockId;
    blockId = null;
    if (!hasData) {
      eventType = '';
      return;
    }
    const event: ParsedSseEvent = {
      type: eventType === '' ? 'message' : eventType,
      data: charCodeAt(data, data.length - 1) === LF ? stringSlice(data, 0, -1) : data,
      id,
      lastEventId,
      retry: retrySinceDispatch,
    };
    data = '';
    hasData = false;
    eventType = '';
    retrySinceDispatch = null;
    onEvent(event);
  }

  function processLine(line: string): void {
    if (line.length === 0) {
      dispatch();
      return;
    }
    const colon = stringIndexOf(line, ':');
    if (colon === 0) {
      if (onComment) onComment(charCodeAt(line, 1) === 32 ? stringSlice(line, 2) : stringSlice(line, 1));
      return;
    }
    let field: string;
    let value: string;
    if (colon < 0) {
      field = line;
      value = '';
    } else {
      field = stringSlice(line, 0, colon);
      value = charCodeAt(line, colon + 1) === 32 ? stringSlice(line, colon + 2) : stringSlice(line, colon + 1);
    }
    switch (field) {
      case 'event':
        eventType = value;
        break;
      case 'data':
        data += value + '\n';
        hasData = true;
        break;
      case 'id':
        if (stringIndexOf(value, '\0') < 0) {
          lastEventId = value;
          blockId = value;
        }
        break;
      case 'retry':
        if (isAsciiDigits(value)) {
          const ms = +value;
          retrySinceDispatch = ms;
          if (onRetry) onRetry(ms);
        }
        break;
      default:
        break;
    }
  }

  return {
    push(text: string): void {
      if (text.length === 0) return;
      let start = 0;
      if (!started) {
        started = true;
        if (charCodeAt(text, 0) === BOM) start = 1;
      }
      if (skipLeadingLf) {
        skipLeadingLf = false;
        if (charCodeAt(text, start) === LF) start++;
      }
      const n = text.length;
      // Line ends are found with the native indexOf, not char by char: each search runs once
      // per piece and line (lf and cr: the next one at or after `start`, -1 none left, -2 not searched).
      let lf = -2;
      let cr = -2;
      while (start < n) {
        if (lf !== -1 && lf < start) lf = stringIndexOf(text, '\n', start);
        if (cr !== -1 && cr < start) cr = stringIndexOf(text, '\r', start);
        const end = lf < 0 ? cr : cr < 0 || lf < cr ? lf : cr;
        if (end < 0) break;
        const line = pending + stringSlice(text, start, end);
        pending = '';
        start = end + 1;
        if (end === cr) {
          if (start < n) {
            if (charCodeAt(text, start) === LF) start++;
          } else {
            skipLeadingLf = true;
          }
        }
        processLine(line);
      }
      if (start < n) pending += stringSlice(text, start);
    },
    end(): void {
      pending = '';
      data = '';
      hasData = false;
      eventType = '';
      blockId = null;
      retrySinceDispatch = null;
      skipLeadingLf = false;
    },
  };
}
