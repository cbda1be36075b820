/**
 * Bounded views of payloads, computed with as little work as the bound allows:
 * text is cut at the cap before anything is copied, binary keeps base64 of its
 * first bytes, and the body hash is MurmurHash3 32-bit over the bytes.
 */
import type { Payload } from '../../core/events.ts';
import { settings } from './emitter.ts';
import {
  apply,
  blobSize,
  btoaNative,
  fromCharCode,
  ownRegExp,
  regExpSearch,
  regExpTest,
  textEncode,
  textEncoder,
  Uint8ArrayCtor,
  urlSearchParamsToString,
} from './natives.ts';
import { hashHex, Murmur3 } from '../../core/formats/body-hash.ts';


/** Most binary bytes kept (as base64) in a payload preview. */
const MAX_BINARY_PREVIEW_BYTES = 4096;

/** Binary bytes to keep: 4096, or fewer when the text cap is smaller (base64 grows 4/3). */
export function binaryPreviewBytes(): number {
  return Math.min(MAX_BINARY_PREVIEW_BYTES, Math.floor((settings.maxTextChars * 3) / 4));
}

/** Any UTF-16 code unit outside ASCII. */
const NON_ASCII = ownRegExp(/[\u0080-\uffff]/);

/** Below this length the char loop is as fast as the regular-expression scan (measured in Chromium 156, 20–80 chars). */
const UTF8_SCAN_MIN_CHARS = 80;

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
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
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
  return { size: utf8Length(text), encoding: 'text', data: truncated ? text.slice(0, cap) : text, truncated };
}

/** Base64 of bytes. */
function base64(bytes: Uint8Array): string {
  let binary = '';
  const step = 0x2000;
  for (let i = 0; i < bytes.length; i += step) {
    binary += apply(fromCharCode, null, bytes.subarray(i, i + step) as unknown as number[]) as string;
  }
  return btoaNative(binary);
}

/** A binary payload: total size and base64 of the first bytes. */
export function binaryPayload(firstBytes: Uint8Array, size: number): Payload {
  const keep = binaryPreviewBytes();
  const head = firstBytes.length > keep ? firstBytes.subarray(0, keep) : firstBytes;
  return { size, encoding: 'binary', data: base64(head), truncated: head.length < size };
}

/** The bytes of an ArrayBuffer or a view over one. */
export function bytesOf(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  return data instanceof ArrayBuffer
    ? new Uint8ArrayCtor(data)
    : new Uint8ArrayCtor(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Bodies up to this many bytes are hashed whole, with the same MurmurHash3 as imports
 * (src/core/formats/body-hash.ts), so the core's "unchanged body" test (waste) is
 * exact for them: polling bodies are typically a few KiB, large dashboards' a few
 * hundred. Hashing every byte in JavaScript costs the page about 1 ms per MiB in
 * Chromium (1.7–3.4 ms with the FNV-1a used before; src/core/formats/body-hash.ts),
 * so beyond this bound the hash only samples the body (see BodyHasher). (WebCrypto's SHA-256 was tried: in the bench it cost
 * the page's main thread about three times as much as FNV-1a, 2.8× against ~1.5×
 * the baseline on 1 MiB fetches.)
 */
export const FULL_BODY_HASH_MAX_BYTES = 1024 * 1024;
/** Beyond FULL_BODY_HASH_MAX_BYTES, the first BODY_HASH_SAMPLE_BYTES of every BODY_HASH_STRIDE bytes are hashed. */
const BODY_HASH_STRIDE = 4096;
const BODY_HASH_SAMPLE_BYTES = 64;

/**
 * The http.end body hash, fed chunk by chunk. Up to FULL_BODY_HASH_MAX_BYTES it is
 * MurmurHash3 of every byte (8 hex digits, equal to an imported body's hash). A longer
 * body hashes its first 1 MiB whole, then 64 bytes of each following 4 KiB, and its
 * hash carries the total size (`<8 hex>~<size>`): two large bodies compare equal
 * when they have the same size, the same first 1 MiB and the same sampled bytes.
 * A same-length change only in unsampled bytes of a body over 1 MiB goes unseen
 * (reported as "unchanged"); any change of length, or in the first 1 MiB, is seen.
 * Sampling is by absolute offset, so chunking does not change the hash.
 */
export class BodyHasher {
  private readonly hash = new Murmur3();
  private size = 0;

  /** Feed the next bytes of the body. */
  update(bytes: Uint8Array): void {
    const start = this.size;
    const end = start + bytes.byteLength;
    let pos = start;
    if (pos < FULL_BODY_HASH_MAX_BYTES) {
      const whole = Math.min(end, FULL_BODY_HASH_MAX_BYTES) - pos;
      this.hash.update(whole === bytes.byteLength ? bytes : bytes.subarray(0, whole));
      pos += whole;
    }
    while (pos < end) {
      const inStride = pos % BODY_HASH_STRIDE;
      if (inStride < BODY_HASH_SAMPLE_BYTES) {
        const take = Math.min(BODY_HASH_SAMPLE_BYTES - inStride, end - pos);
        this.hash.update(bytes.subarray(pos - start, pos - start + take));
        pos += take;
      } else {
        pos += Math.min(BODY_HASH_STRIDE - inStride, end - pos);
      }
    }
    this.size = end;
  }

  /** The hash of everything fed so far. */
  hex(): string {
    const hex = hashHex(this.hash.digest());
    return this.size <= FULL_BODY_HASH_MAX_BYTES ? hex : `${hex}~${this.size}`;
  }
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
  const semi = header.indexOf(';');
  return (semi < 0 ? header : header.slice(0, semi)).trim().toLowerCase();
}

/** Fetch § "normalize a method": the standard methods, any case. */
const STANDARD_METHOD = ownRegExp(/^(delete|get|head|options|post|put)$/i);

/** A request method as the platform sends it: the standard methods upper-cased. */
export function normalizeMethod(method: string): string {
  return regExpTest(STANDARD_METHOD, method) ? method.toUpperCase() : method;
}

/** Request body size in bytes as the browser will send it; null when unknown before sending. */
export function requestBodySize(body: unknown): number | null {
  if (body === undefined || body === null) return 0;
  if (typeof body === 'string') return utf8Length(body);
  if (body instanceof ArrayBuffer) return body.byteLength;
  if (ArrayBuffer.isView(body)) return body.byteLength;
  // Through the natives: the platform sends these without calling the page's overrides.
  if (body instanceof Blob) return blobSize(body);
  if (body instanceof URLSearchParams) return utf8Length(urlSearchParamsToString(body) as string);
  return null;
}
