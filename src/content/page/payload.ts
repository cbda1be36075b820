/**
 * Bounded views of payloads, computed with as little work as the bound allows:
 * text is cut at the cap before anything is copied, binary keeps base64 of its
 * first bytes, and the body hash is src/core/formats/body-hash.ts over the bytes.
 */
import type { Payload } from '../../core/events.ts';
import { settings } from './emitter.ts';
import {
  apply,
  arrayBufferByteLength,
  isArrayBuffer,
  BlobCtor,
  blobSize,
  bytesRange,
  btoaNative,
  charCodeAt,
  fromCharCode,
  isView,
  ownRegExp,
  regExpSearch,
  regExpTest,
  stringIndexOf,
  stringSlice,
  stringToLowerCase,
  stringToUpperCase,
  stringTrim,
  textEncode,
  textEncoder,
  typedArrayByteLength,
  Uint8ArrayCtor,
  viewBytes,
  URLSearchParamsCtor,
  urlSearchParamsToString,
} from './natives.ts';
import { BodyHasher } from '../../core/formats/body-hash.ts';
import { SIZE_OF_TEXT } from '../../shared/page-bridge.ts';

export { BodyHasher };


/** Most binary bytes kept (as base64) in a payload preview. */
const MAX_BINARY_PREVIEW_BYTES = 4096;

/** Binary bytes to keep: 4096, or fewer when the text cap is smaller (base64 grows 4/3). */
export function binaryPreviewBytes(): number {
  // maxTextChars is a whole number within MAX_TEXT_CHARS_LIMIT: `>> 2` floors (3/4 of it) without Math.
  const bytes = (settings.maxTextChars * 3) >> 2;
  return bytes < MAX_BINARY_PREVIEW_BYTES ? bytes : MAX_BINARY_PREVIEW_BYTES;
}

/** Any UTF-16 code unit outside ASCII. */
const NON_ASCII = ownRegExp(/[\u0080-\uffff]/);

/**
 * Below this length the char loop is cheaper than the regular-expression scan. In Chromium 156
 * on this project's machine (best of 5 × 300,000 calls, ASCII texts) the loop cost about 2.7 ns
 * per char (9 ns at 4 chars, 57 at 16, 170 at 62, 214 at 80) and the scan about 35 ns at any
 * length from 16 on (29 at 4): a 62-char message, the size of the bench's small WebSocket and SSE
 * messages, paid 170 ns where 34 suffice. (This was 80, from an earlier measurement that this one
 * did not reproduce.)
 */
const UTF8_SCAN_MIN_CHARS = 12;

/**
 * UTF-8 byte length of a string, without encoding it (a lone surrogate counts
 * 3 bytes, as U+FFFD). Most traffic is ASCII, one byte per char: finding the first
 * non-ASCII unit with a regular expression took 4 µs on a 64 KiB message in
 * Chromium 156 against 170 µs for a loop over every char (and 120 µs for
 * `TextEncoder.encodeInto`), so only the rest after it is walked char by char.
 */
export function utf8Length(text: string): number {
  const first = text.length < UTF8_SCAN_MIN_CHARS ? 0 : regExpSearch(NON_ASCII, text);
  if (first < 0) return text.length;
  let bytes = text.length;
  for (let i = first; i < text.length; i++) {
    const c = charCodeAt(text, i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = charCodeAt(text, i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 2;
        i++;
      } else bytes += 2;
    } else bytes += 2;
  }
  return bytes;
}

/** A text payload cut at the capture cap. */
export function textPayload(text: string): Payload {
  const cap = settings.maxTextChars;
  const truncated = text.length > cap;
  return { size: utf8Length(text), encoding: 'text', data: truncated ? stringSlice(text, 0, cap) : text, truncated };
}

/**
 * Payload text one connection keeps whole per second; beyond it, in that second, its
 * messages longer than SAMPLED_PREFIX_CHARS keep only their first SAMPLED_PREFIX_CHARS
 * (marked `sampled`), except one message whole every SAMPLE_WHOLE_EVERY_MS. Every
 * message is still recorded, with its time, direction and full size. Each character
 * kept costs the page's thread about 3.5 ns to serialise and post (BENCHMARKS.md): at
 * this budget at most about 1 ms a second per connection, while a flood of 64 KiB
 * frames kept whole at the 16 KiB cap cost the page twice its own work.
 */
export const TEXT_BUDGET_CHARS_PER_SECOND = 256 * 1024;
/**
 * What a sampled message keeps: enough for the protocol decoders to tell the message's
 * kind (socket.io's packet type and event name, a GraphQL-over-WebSocket `type`, STOMP's
 * command line, a JSON message's first keys).
 */
export const SAMPLED_PREFIX_CHARS = 256;
/** Under a flood, one message of a connection is still kept whole this often. */
export const SAMPLE_WHOLE_EVERY_MS = 100;

/** One connection's payload text budget (TEXT_BUDGET_CHARS_PER_SECOND), by one-second windows of the page clock. */
export class TextBudget {
  private windowStart = -Infinity;
  private used = 0;
  private lastWhole = -Infinity;
  /**
   * Of the last `keep`: the message's UTF-8 size, or SIZE_OF_TEXT when it is kept whole (the
   * reader counts it, off the page's thread), and 0 kept whole, 1 cut at the cap, 2 sampled
   * (the QueuedMessage `cut` code).
   */
  size = 0;
  cut = 0;

  /**
   * The text to record of `text`, a message of this connection at time `t` (epoch ms);
   * its size and cut code are left in `size` and `cut` (no object per message).
   */
  keep(text: string, t: number): string {
    if (t - this.windowStart >= 1000) {
      this.windowStart = t;
      this.used = 0;
    }
    const cap = settings.maxTextChars;
    const kept = text.length < cap ? text.length : cap;
    if (kept <= SAMPLED_PREFIX_CHARS || this.used + kept <= TEXT_BUDGET_CHARS_PER_SECOND || t - this.lastWhole >= SAMPLE_WHOLE_EVERY_MS) {
      if (this.used + kept > TEXT_BUDGET_CHARS_PER_SECOND && kept > SAMPLED_PREFIX_CHARS) this.lastWhole = t;
      this.used += kept;
      if (text.length <= cap) {
        this.size = SIZE_OF_TEXT;
        this.cut = 0;
        return text;
      }
      this.size = utf8Length(text);
      this.cut = 1;
      return stringSlice(text, 0, cap);
    }
    this.size = utf8Length(text);
    this.used += SAMPLED_PREFIX_CHARS;
    this.cut = 2;
    return stringSlice(text, 0, SAMPLED_PREFIX_CHARS);
  }
}

/** Base64 of bytes. */
function base64(bytes: Uint8Array): string {
  let binary = '';
  const step = 0x2000;
  for (let i = 0; i < bytes.length; i += step) {
    binary += apply(fromCharCode, null, bytesRange(bytes, i, i + step) as unknown as number[]) as string;
  }
  return btoaNative(binary);
}

/** A binary payload: total size and base64 of the first bytes. */
export function binaryPayload(firstBytes: Uint8Array, size: number): Payload {
  const keep = binaryPreviewBytes();
  const head = firstBytes.length > keep ? bytesRange(firstBytes, 0, keep) : firstBytes;
  return { size, encoding: 'binary', data: base64(head), truncated: head.length < size };
}

/** The bytes of an ArrayBuffer or a view over one. */
export function bytesOf(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  return isView(data) ? viewBytes(data) : new Uint8ArrayCtor(data as ArrayBuffer);
}

/** The http.end body hash of complete bytes. */
export function bodyHashOfBytes(bytes: Uint8Array): string {
  const hasher = new BodyHasher();
  hasher.update(bytes);
  return hasher.hex();
}

/** The http.end body hash of an empty body. */
export const EMPTY_BODY_HASH = new BodyHasher().hex();

/** The http.end body hash of a string's UTF-8 bytes. */
export function bodyHashOfText(text: string): string {
  return bodyHashOfBytes(textEncode(textEncoder, text));
}

/** application/grpc-web-text(+proto) is base64 (github.com/grpc/grpc doc/PROTOCOL-WEB.md), text like the others. */
const TEXTUAL = ownRegExp(/^text\/|json|xml|javascript|ecmascript|x-www-form-urlencoded|ndjson|jsonl|graphql|csv|event-stream|grpc-web-text/);

/** True when a media type (lower-cased, no parameters) carries text; '' counts as text. */
export function isTextual(contentType: string): boolean {
  return contentType === '' || regExpTest(TEXTUAL, contentType);
}

/**
 * Media types whose bodies are streams of records, observed chunk by chunk: SSE, JSON lines,
 * multipart (`multipart/mixed`: GraphQL incremental delivery and multipart subscriptions), and
 * the enveloped RPC streams of gRPC-web (`application/grpc-web`, `+proto`, `+json`,
 * `application/grpc-web-text`) and Connect (`application/connect+proto`, `+json`), as
 * connect-es 2.3.0 protocol-grpc-web/content-type.js and protocol-connect/content-type.js match them.
 */
const STREAMING = ownRegExp(
  /^(text\/event-stream|application\/(x-)?ndjson|application\/jsonl|application\/x-jsonlines|application\/stream\+json|multipart\/x-mixed-replace|multipart\/mixed|application\/grpc-web(-text)?(\+[\w.-]+)?|application\/connect\+[\w.-]+)$/,
);

/** True when a media type is a known streaming format. */
export function isStreamingType(contentType: string): boolean {
  return regExpTest(STREAMING, contentType);
}

/** Lower-cased media type without parameters. */
export function mediaType(header: string | null): string {
  if (!header) return '';
  const semi = stringIndexOf(header, ';');
  return stringToLowerCase(stringTrim(semi < 0 ? header : stringSlice(header, 0, semi)));
}

/** Fetch § "normalize a method": the standard methods, any case. */
const STANDARD_METHOD = ownRegExp(/^(delete|get|head|options|post|put)$/i);

/** A request method as the platform sends it: the standard methods upper-cased. */
export function normalizeMethod(method: string): string {
  return regExpTest(STANDARD_METHOD, method) ? stringToUpperCase(method) : method;
}

/** Request body size in bytes as the browser will send it; null when unknown before sending. */
export function requestBodySize(body: unknown): number | null {
  if (body === undefined || body === null) return 0;
  if (typeof body === 'string') return utf8Length(body);
  if (isArrayBuffer(body)) return arrayBufferByteLength(body);
  if (isView(body)) return typedArrayByteLength(viewBytes(body));
  // Through the natives: the platform sends these without calling the page's overrides.
  if (body instanceof BlobCtor) return blobSize(body);
  if (body instanceof URLSearchParamsCtor) return utf8Length(urlSearchParamsToString(body) as string);
  return null;
}
