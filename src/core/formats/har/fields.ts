/**
 * Typed readers for the loosely typed JSON of a HAR: each returns the value
 * when it has the expected type, else null, so entry readers never cast.
 * `HarEntryError` is what an entry reader throws when an entry is unreadable.
 */
import type { HeaderList, Payload } from '../../events.ts';
import { utf8Bytes } from '../../protocols/util.ts';

/** An entry that cannot be read: names the entry (index in log.entries, and its URL when known) and the problem. */
export class HarEntryError extends Error {
  constructor(
    readonly index: number,
    readonly problem: string,
    readonly url: string | null = null,
  ) {
    super(`entry ${index}: ${problem}`);
    this.name = 'HarEntryError';
  }
}

export type Json = Record<string, unknown>;

/** A JSON object (not an array, not null). */
export function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The object at `v`, or an empty one. */
export function objOf(v: unknown): Json {
  return isObj(v) ? v : {};
}

/** The objects of an array, or none. */
export function objects(v: unknown): Json[] {
  return Array.isArray(v) ? v.filter(isObj) : [];
}

/**
 * Visit the objects of an optional list field (absent: none) in order, each with
 * its index; an element that is not an object, and a field that is not a list,
 * is passed to `leaveOut` by name (`name[j]: …`, `name is not a list`), so that
 * what a HAR holds is read or counted, never dropped unsaid.
 */
export function forEachItem(v: unknown, name: string, leaveOut: (what: string) => void, visit: (item: Json, j: number) => void): void {
  if (v === undefined || v === null) return;
  if (!Array.isArray(v)) return leaveOut(`${name} is not a list`);
  v.forEach((item: unknown, j) => (isObj(item) ? visit(item, j) : leaveOut(`${name}[${j}]: not an object`)));
}

export const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
export const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export type SeqPair = [number, number];

/** A [seq, pseq] pair from our own export, or undefined. */
export function seqPair(v: unknown): SeqPair | undefined {
  return Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && Number.isSafeInteger(v[1]) ? [v[0], v[1]] : undefined;
}

/** A header's value by lower-case name from a HAR `headers` array. */
export function headerValue(headers: unknown, name: string): string | null {
  for (const h of objects(headers)) {
    if (typeof h.name === 'string' && h.name.toLowerCase() === name && typeof h.value === 'string') return h.value;
  }
  return null;
}

/** HAR headers as the hooks record them: names lower-cased, HTTP/2 pseudo-headers (never seen by page script) left out. */
export function harHeaders(headers: unknown): HeaderList {
  const out: HeaderList = [];
  for (const h of objects(headers)) {
    if (typeof h.name !== 'string' || typeof h.value !== 'string' || h.name.startsWith(':')) continue;
    out.push([h.name.toLowerCase(), h.value]);
  }
  return out;
}

/** The media type of a Content-Type value, lower-cased, without parameters. */
export function mediaType(mime: string): string {
  return (mime.split(';')[0] ?? '').trim().toLowerCase();
}

/** A text payload; `size` when the HAR says the real one was larger. */
export function textPayloadOf(text: string, size?: number, truncated = false): Payload {
  return { size: size ?? utf8Bytes(text).length, encoding: 'text', data: text, truncated };
}
