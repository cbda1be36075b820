/**
 * The one guard for captured events crossing a boundary (page → relay,
 * relay → background, capture-file and HAR import). Page script can post
 * anything; only well-formed, size-bounded events of the schema pass, every
 * number within what a browser can produce (BOUNDS): the analysis, the exports
 * and the panel can then take any accepted event as it is.
 */
import type { CaptureEvent, CaptureEventType } from './events.ts';
import { oneLine, quoteValue } from './message-text.ts';

/** Largest string accepted in any single field (bytes of UTF-16 code units). */
export const MAX_FIELD_CHARS = 1_048_576;
/** Largest header list accepted. */
export const MAX_HEADERS = 256;

/**
 * A field test. A number test also says what range it holds (`bound`), so that a number of the
 * right kind but out of range is named with its value and the range it broke.
 */
interface Check {
  (v: unknown): boolean;
  bound?: Bound;
  /** For an object field: which of its own fields broke which bound. */
  inner?: (v: unknown) => { key: string; bound: Bound } | null;
}

/** The range a number must lie in, and what the range is, in words. */
interface Bound {
  min: number;
  max: number;
  integer: boolean;
  what: string;
}

/** Number.MAX_SAFE_INTEGER: beyond 2^53 − 1 a JavaScript number no longer counts bytes or events one by one. */
const SAFE = Number.MAX_SAFE_INTEGER;

/**
 * Epoch milliseconds the capture can hold: from the epoch (performance.timeOrigin counts from it, and
 * Chrome's HAR falls back to its monotonic clock, milliseconds since boot) to the last instant with a
 * four-digit year, the largest that ISO 8601 dates (HAR startedDateTime, the report's capturedAt) write
 * without an expanded year. ECMAScript's own limit is ±8.64e15 (ECMA-262 §21.4.1.1); -1e16 made
 * Date#toISOString throw a RangeError.
 */
export const MAX_EPOCH_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** The bounds the guard holds numbers to, each with where it comes from. */
export const BOUNDS = {
  time: { min: 0, max: MAX_EPOCH_MS, integer: false, what: 'an epoch time in ms from 1970 to the year 9999' },
  /** Byte counts: Blob.size, WebSocket.bufferedAmount (WebIDL unsigned long long) and body lengths, exact up to 2^53 − 1. */
  bytes: { min: 0, max: SAFE, integer: true, what: 'a byte count from 0 to 2^53 − 1' },
  count: { min: 0, max: SAFE, integer: true, what: 'a count from 0 to 2^53 − 1' },
  /** A span measured in the page (Resource Timing differences): up to a day, in ms. */
  durationMs: { min: 0, max: 86_400_000, integer: false, what: 'a duration in ms from 0 to 86,400,000' },
  /** Sequence numbers count up from 1 (0: not yet sequenced). */
  seq: { min: 0, max: SAFE, integer: true, what: 'a sequence number from 0 to 2^53 − 1' },
  /**
   * chrome.runtime.MessageSender.frameId: 0 for the top frame, a positive int for a subframe
   * (Chromium's FrameTreeNode id, a 32-bit int); -1 when unknown (imports).
   */
  frameId: { min: -1, max: 2 ** 31 - 1, integer: true, what: 'a Chrome frame id from -1 to 2^31 − 1' },
  /** WHATWG Fetch §2.2.4 (responses): "A status is an integer in the range 0 to 999, inclusive" (0: network error, opaque). */
  httpStatus: { min: 0, max: 999, integer: true, what: 'an HTTP status from 0 to 999' },
  /** RFC 6455 §7.4.2: codes 0-999 are not used, 1000-4999 are the defined ranges (browsers report 1005 and 1006 themselves). */
  closeCode: { min: 1000, max: 4999, integer: true, what: 'a WebSocket close code from 1000 to 4999' },
  /** W3C WebTransport §5 WebTransportCloseInfo.closeCode: an `unsigned long` application code. */
  wtCloseCode: { min: 0, max: 2 ** 32 - 1, integer: true, what: 'a WebTransport close code from 0 to 2^32 − 1' },
  /** A WebTransport stream's number in its session (src/content/page/web-transport.ts counts from 1). */
  wtStream: { min: 1, max: SAFE, integer: true, what: 'a WebTransport stream number from 1 to 2^53 − 1' },
  /** HTML §9.2.2 EventSource readyState: CONNECTING 0, OPEN 1, CLOSED 2. */
  readyState: { min: 0, max: 2, integer: true, what: 'an EventSource readyState from 0 to 2' },
  /** HTML §9.2.6: a `retry:` field is ASCII digits, a whole number of ms. */
  retryMs: { min: 0, max: SAFE, integer: true, what: 'a retry delay in whole ms from 0 to 2^53 − 1' },
  /** Fault durations and delays: what a fault command may ask for (src/shared/messages.ts isFaultCommand, at most an hour). */
  faultMs: { min: 0, max: 3_600_000, integer: false, what: 'a fault duration in ms from 0 to 3,600,000' },
  /** Any other fault parameter: a finite number a JavaScript number holds exactly. */
  faultNumber: { min: -SAFE, max: SAFE, integer: false, what: 'a number from -(2^53 − 1) to 2^53 − 1' },
} as const satisfies Record<string, Bound>;

/** A fault parameter's bound, by its name (src/content/page/faults.ts faultEvent). */
const FAULT_PARAM_BOUNDS: ReadonlyMap<string, Bound> = new Map<string, Bound>([
  ['durationMs', BOUNDS.faultMs],
  ['delayMs', BOUNDS.faultMs],
  ['code', BOUNDS.closeCode],
]);
const faultParamBound = (key: string): Bound => FAULT_PARAM_BOUNDS.get(key) ?? BOUNDS.faultNumber;

function within(v: unknown, b: Bound): boolean {
  return typeof v === 'number' && (b.integer ? Number.isSafeInteger(v) : Number.isFinite(v)) && v >= b.min && v <= b.max;
}

/** A number test for the bound. */
function bounded(b: Bound): Check {
  const check: Check = (v) => within(v, b);
  check.bound = b;
  return check;
}

const str: Check = (v) => typeof v === 'string' && v.length <= MAX_FIELD_CHARS;
const bool: Check = (v) => typeof v === 'boolean';
const time = bounded(BOUNDS.time);
const bytes = bounded(BOUNDS.bytes);
const nullable = (c: Check): Check => Object.assign((v: unknown) => v === null || c(v), { bound: c.bound, inner: c.inner });
const optional = (c: Check): Check => Object.assign((v: unknown) => v === undefined || c(v), { bound: c.bound, inner: c.inner });
const oneOf = (...values: string[]): Check => (v) => typeof v === 'string' && values.includes(v);
const headers: Check = (v) =>
  Array.isArray(v) &&
  v.length <= MAX_HEADERS &&
  v.every((h) => Array.isArray(h) && h.length === 2 && str(h[0]) && str(h[1]));
const encoding = oneOf('text', 'binary');
const payload: Check = Object.assign(
  (v: unknown) => {
    if (typeof v !== 'object' || v === null) return false;
    const p = v as Record<string, unknown>;
    return bytes(p.size) && encoding(p.encoding) && str(p.data) && bool(p.truncated) && (p.sampled === undefined || p.sampled === true);
  },
  { inner: (v: unknown) => (typeof v === 'object' && v !== null && typeof (v as { size?: unknown }).size === 'number' && !bytes((v as { size: unknown }).size) ? { key: 'size', bound: BOUNDS.bytes } : null) },
);
const strings: Check = (v) => Array.isArray(v) && v.length <= 64 && v.every(str);
const paramValue = (key: string, x: unknown): boolean => str(x) || within(x, faultParamBound(key));
const params: Check = Object.assign(
  (v: unknown) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
    let keys = 0;
    for (const key in v) {
      if (!Object.hasOwn(v, key)) continue;
      if (++keys > 32 || !paramValue(key, (v as Record<string, unknown>)[key])) return false;
    }
    return true;
  },
  {
    inner: (v: unknown) => {
      if (typeof v !== 'object' || v === null) return null;
      for (const [key, x] of Object.entries(v)) {
        if (typeof x === 'number' && !paramValue(key, x)) return { key, bound: faultParamBound(key) };
      }
      return null;
    },
  },
);

const workerKind = oneOf('dedicated', 'shared', 'service');
/** A worker origin (events.ts WorkerOrigin): exactly `kind` and `url`. */
const workerOrigin: Check = (v) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  for (const key in o) if (Object.hasOwn(o, key) && key !== 'kind' && key !== 'url') return false;
  return workerKind(o.kind) && str(o.url);
};

const base = { seq: bounded(BOUNDS.seq), pseq: bounded(BOUNDS.seq), t: time, frameId: bounded(BOUNDS.frameId), doc: str };
const conn = { ...base, conn: str, origin: optional(workerOrigin) };

const SHAPES: Record<CaptureEventType, Record<string, Check>> = {
  'doc.start': { ...base, url: str, title: str, top: bool, parentDoc: nullable(str) },
  'doc.restored': { ...base, cachedAt: time },
  'doc.resumed': { ...base, frozenAt: time },
  'doc.end': base,
  'page.network': { ...base, online: bool },
  'http.request': {
    ...conn,
    transport: oneOf('fetch', 'xhr'),
    method: str,
    url: str,
    headers,
    bodySize: nullable(bytes),
    sync: optional(bool),
  },
  'http.response': { ...conn, status: bounded(BOUNDS.httpStatus), statusText: str, headers, url: str, contentType: str },
  'http.chunk': { ...conn, size: bytes, preview: str, data: optional(payload) },
  'http.end': { ...conn, size: bytes, bodyHash: nullable(str), body: nullable(payload) },
  'http.timing': { ...conn, blockedMs: nullable(bounded(BOUNDS.durationMs)), protocol: str },
  'http.error': { ...conn, reason: oneOf('abort', 'network', 'timeout'), message: str },
  'sse.create': { ...conn, transport: oneOf('eventsource', 'fetch', 'xhr'), url: str, withCredentials: bool },
  'sse.open': conn,
  'sse.message': { ...conn, event: str, data: payload, id: nullable(str), lastEventId: str, retry: nullable(bounded(BOUNDS.retryMs)), idUnread: optional((v) => v === true) },
  'sse.comment': { ...conn, text: str },
  'sse.error': { ...conn, readyState: bounded(BOUNDS.readyState) },
  'sse.close': conn,
  'ws.create': { ...conn, url: str, protocols: strings },
  'ws.open': { ...conn, protocol: str, extensions: str },
  'ws.message': { ...conn, dir: oneOf('in', 'out'), data: payload },
  'ws.close': { ...conn, code: bounded(BOUNDS.closeCode), reason: str, wasClean: bool, initiator: oneOf('client', 'server') },
  'ws.error': conn,
  'ws.buffered': { ...conn, bufferedAmount: bytes },
  'wt.create': { ...conn, url: str },
  'wt.ready': { ...conn, protocol: str },
  'wt.close': { ...conn, code: bounded(BOUNDS.wtCloseCode), reason: str, initiator: oneOf('client', 'server') },
  'wt.error': { ...conn, name: str, message: str, source: str },
  'wt.stream': { ...conn, stream: bounded(BOUNDS.wtStream), bidi: bool, initiator: oneOf('client', 'server') },
  'wt.data': { ...conn, stream: bounded(BOUNDS.wtStream), dir: oneOf('in', 'out'), data: payload },
  'wt.stream.end': { ...conn, stream: bounded(BOUNDS.wtStream), dir: oneOf('in', 'out'), how: oneOf('end', 'cancel', 'abort', 'error'), message: str },
  'wt.datagram': { ...conn, dir: oneOf('in', 'out'), data: payload },
  fault: {
    ...base,
    fault: oneOf('drop', 'offline', 'close', 'stall', 'latency'),
    conn: nullable(str),
    params,
    phase: oneOf('start', 'end', 'instant'),
  },
  'capture.dropped': { ...base, count: bounded(BOUNDS.count), where: oneOf('page', 'relay', 'background') },
  'capture.recording': { ...base, on: bool },
  'hook.error': { ...base, hook: str, message: str },
};

/** Why a field failed its check: its value and the range it broke when it is a number out of range. */
function explainField(type: string, key: string, check: Check, value: unknown, record: Record<string, unknown>): string {
  const seq = Number.isSafeInteger(record.seq) && (record.seq as number) > 0 ? ` (seq ${record.seq as number})` : '';
  const broken = check.bound && typeof value === 'number' ? { key, bound: check.bound } : (check.inner?.(value) ?? null);
  if (broken === null) return `${type}: bad field "${key}"`;
  // A fault parameter's name is the page's: shown on one line, cut short.
  const path = broken.key === key ? key : `${key}.${oneLine(broken.key, 60)}`;
  const v = broken.key === key ? value : (value as Record<string, unknown>)[broken.key];
  return `${type}${seq}: bad field "${path}": ${String(v)} is not ${broken.bound.what}`;
}

/** Why `value` is not a valid captured event, or null when it is. */
export function explainInvalidEvent(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an object';
  const record = value as Record<string, unknown>;
  const type = record.type;
  if (typeof type !== 'string' || !Object.hasOwn(SHAPES, type)) return `unknown event type ${quoteValue(type)}`;
  const shape = SHAPES[type as CaptureEventType];
  // The relay runs this on every event the page posts: no per-event arrays.
  const fields = FIELDS[type as CaptureEventType];
  for (let i = 0; i < fields.length; i++) {
    const [key, check] = fields[i]!;
    if (!check(record[key])) return explainField(type, key, check, record[key], record);
  }
  for (const key in record) {
    if (key !== 'type' && Object.hasOwn(record, key) && !Object.hasOwn(shape, key)) return `${type}: unexpected field ${quoteValue(key)}`;
  }
  return null;
}

/** Each shape's fields as a list, built once. */
const FIELDS = Object.fromEntries(Object.entries(SHAPES).map(([type, shape]) => [type, Object.entries(shape)])) as Record<CaptureEventType, Array<[string, Check]>>;

/** True when `value` is a well-formed, size-bounded captured event. */
export function isCaptureEvent(value: unknown): value is CaptureEvent {
  return explainInvalidEvent(value) === null;
}
