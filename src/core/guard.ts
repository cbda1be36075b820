/**
 * The one guard for captured events crossing a boundary (page → relay,
 * relay → background, capture-file import). Page script can post anything;
 * only well-formed, size-bounded events of the schema pass.
 */
import type { CaptureEvent, CaptureEventType } from './events.ts';

/** Largest string accepted in any single field (bytes of UTF-16 code units). */
export const MAX_FIELD_CHARS = 1_048_576;
/** Largest header list accepted. */
export const MAX_HEADERS = 256;

type Check = (v: unknown) => boolean;

const str: Check = (v) => typeof v === 'string' && v.length <= MAX_FIELD_CHARS;
const num: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const int: Check = (v) => Number.isSafeInteger(v);
const bool: Check = (v) => typeof v === 'boolean';
const nullable = (c: Check): Check => (v) => v === null || c(v);
const optional = (c: Check): Check => (v) => v === undefined || c(v);
const oneOf = (...values: string[]): Check => (v) => typeof v === 'string' && values.includes(v);
const headers: Check = (v) =>
  Array.isArray(v) &&
  v.length <= MAX_HEADERS &&
  v.every((h) => Array.isArray(h) && h.length === 2 && str(h[0]) && str(h[1]));
const encoding = oneOf('text', 'binary');
const payload: Check = (v) => {
  if (typeof v !== 'object' || v === null) return false;
  const p = v as Record<string, unknown>;
  return int(p.size) && encoding(p.encoding) && str(p.data) && bool(p.truncated);
};
const strings: Check = (v) => Array.isArray(v) && v.length <= 64 && v.every(str);
const params: Check = (v) =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  Object.keys(v).length <= 32 &&
  Object.values(v).every((x) => str(x) || num(x));

const base = { seq: int, pseq: int, t: num, frameId: int, doc: str };
const conn = { ...base, conn: str };

const SHAPES: Record<CaptureEventType, Record<string, Check>> = {
  'doc.start': { ...base, url: str, title: str, top: bool, parentDoc: nullable(str) },
  'doc.restored': { ...base, cachedAt: num },
  'http.request': {
    ...conn,
    transport: oneOf('fetch', 'xhr'),
    method: str,
    url: str,
    headers,
    bodySize: nullable(int),
    sync: optional(bool),
  },
  'http.response': { ...conn, status: int, statusText: str, headers, url: str, contentType: str },
  'http.chunk': { ...conn, size: int, preview: str },
  'http.end': { ...conn, size: int, bodyHash: nullable(str), body: nullable(payload) },
  'http.error': { ...conn, reason: oneOf('abort', 'network', 'timeout'), message: str },
  'sse.create': { ...conn, transport: oneOf('eventsource', 'fetch', 'xhr'), url: str, withCredentials: bool },
  'sse.open': conn,
  'sse.message': { ...conn, event: str, data: payload, id: nullable(str), lastEventId: str, retry: nullable(int) },
  'sse.comment': { ...conn, text: str },
  'sse.error': { ...conn, readyState: int },
  'sse.close': conn,
  'ws.create': { ...conn, url: str, protocols: strings },
  'ws.open': { ...conn, protocol: str, extensions: str },
  'ws.message': { ...conn, dir: oneOf('in', 'out'), data: payload },
  'ws.close': { ...conn, code: int, reason: str, wasClean: bool, initiator: oneOf('client', 'server') },
  'ws.error': conn,
  'ws.buffered': { ...conn, bufferedAmount: int },
  fault: {
    ...base,
    fault: oneOf('drop', 'offline', 'close', 'stall', 'latency'),
    conn: nullable(str),
    params,
    phase: oneOf('start', 'end', 'instant'),
  },
  'capture.dropped': { ...base, count: int, where: oneOf('page', 'relay', 'background') },
  'capture.recording': { ...base, on: bool },
  'hook.error': { ...base, hook: str, message: str },
};

/** Why `value` is not a valid captured event, or null when it is. */
export function explainInvalidEvent(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an object';
  const record = value as Record<string, unknown>;
  const type = record.type;
  if (typeof type !== 'string' || !Object.hasOwn(SHAPES, type)) return `unknown event type ${JSON.stringify(type)}`;
  const shape = SHAPES[type as CaptureEventType];
  // The relay runs this on every event the page posts: no per-event arrays.
  const fields = FIELDS[type as CaptureEventType];
  for (let i = 0; i < fields.length; i++) {
    const [key, check] = fields[i]!;
    if (!check(record[key])) return `${type}: bad field "${key}"`;
  }
  for (const key in record) {
    if (key !== 'type' && Object.hasOwn(record, key) && !Object.hasOwn(shape, key)) return `${type}: unexpected field "${key}"`;
  }
  return null;
}

/** Each shape's fields as a list, built once. */
const FIELDS = Object.fromEntries(Object.entries(SHAPES).map(([type, shape]) => [type, Object.entries(shape)])) as Record<CaptureEventType, Array<[string, Check]>>;

/** True when `value` is a well-formed, size-bounded captured event. */
export function isCaptureEvent(value: unknown): value is CaptureEvent {
  return explainInvalidEvent(value) === null;
}
