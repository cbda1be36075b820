/**
 * Bounded views of payloads, computed with as little work as the bound allows:
 * text is cut at the cap before anything is copied, binary keeps base64 of its
 * first bytes, and the body hash is FNV-1a 32-bit over the bytes.
 */
import type { Payload } from '../../core/events.ts';
import { settings } from './emitter.ts';
import { apply, btoaNative, fromCharCode, textEncode, textEncoder, Uint8ArrayCtor } from './natives.ts';
import { FNV_OFFSET, fnv1a, hashHex } from '../../core/formats/body-hash.ts';

export { FNV_OFFSET, fnv1a, hashHex };

/** Most binary bytes kept (as base64) in a payload preview. */
const MAX_BINARY_PREVIEW_BYTES = 4096;

/** Binary bytes to keep: 4096, or fewer when the text cap is smaller (base64 grows 4/3). */
export function binaryPreviewBytes(): number {
  return Math.min(MAX_BINARY_PREVIEW_BYTES, Math.floor((settings.maxTextChars * 3) / 4));
}

/** UTF-8 byte length of a string, without encoding it. */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
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

/** FNV-1a of a string's UTF-8 bytes. */
export function fnv1aText(text: string): number {
  return fnv1a(FNV_OFFSET, textEncode(textEncoder, text));
}

const TEXTUAL = /^text\/|json|xml|javascript|ecmascript|x-www-form-urlencoded|ndjson|jsonl|graphql|csv|event-stream/;

/** True when a media type (lower-cased, no parameters) carries text; '' counts as text. */
export function isTextual(contentType: string): boolean {
  return contentType === '' || TEXTUAL.test(contentType);
}

/** Media types whose bodies are streams of records, observed chunk by chunk. */
const STREAMING = /^(text\/event-stream|application\/(x-)?ndjson|application\/jsonl|application\/x-jsonlines|application\/stream\+json|multipart\/x-mixed-replace)$/;

/** True when a media type is a known streaming format. */
export function isStreamingType(contentType: string): boolean {
  return STREAMING.test(contentType);
}

/** Lower-cased media type without parameters. */
export function mediaType(header: string | null): string {
  if (!header) return '';
  const semi = header.indexOf(';');
  return (semi < 0 ? header : header.slice(0, semi)).trim().toLowerCase();
}

/** Request body size in bytes as the browser will send it; null when unknown before sending. */
export function requestBodySize(body: unknown): number | null {
  if (body === undefined || body === null) return 0;
  if (typeof body === 'string') return utf8Length(body);
  if (body instanceof ArrayBuffer) return body.byteLength;
  if (ArrayBuffer.isView(body)) return body.byteLength;
  if (body instanceof Blob) return body.size;
  if (body instanceof URLSearchParams) return utf8Length(body.toString());
  return null;
}
