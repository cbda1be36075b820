/**
 * HAR 1.2 import and export (w3c.github.io/web-performance/specs/HAR/Overview.html),
 * with Chrome DevTools' extensions: `_resourceType` (fetch, xhr, eventsource,
 * websocket, ...) and `_webSocketMessages` ({type: send|receive, time in
 * epoch seconds, opcode 1 text | 2 binary (base64), data}).
 *
 * Export keeps what plain HAR has no field for in fields of our own, which
 * HAR viewers ignore and our import reads back (docs/capture-format.md):
 * - `_eventSourceMessages` on an entry: the SSE events ({time, eventName,
 *   eventId, data} as Chrome DevTools' HAR importer reads them, plus our
 *   lastEventId, retry, _id); the SSE stream is also written as
 *   `response.content.text`, so any viewer shows it;
 * - `_webSocketClose` on a WebSocket entry: {time, code, reason, wasClean, initiator};
 * - `_realtimeInspector` on an entry: exact times, ids and flags;
 * - `log._realtimeInspector.events`: events that belong to no entry (faults,
 *   drop counts, hook errors, chunks, comments, buffering, errors).
 */
import type {
  CaptureEvent,
  Direction,
  EventOf,
  HeaderList,
  HttpRequestEvent,
  Payload,
  SseCreateEvent,
  WsCreateEvent,
} from '../events.ts';
import { explainInvalidEvent } from '../guard.ts';
import { base64ToBytes, utf8Bytes } from '../protocols/util.ts';
import { createSseParser, type ParsedSseEvent } from '../sse-parser.ts';
import { bodyHashOf } from './body-hash.ts';
import { CaptureFormatError, describeSkipped, parseJsonText, type ExportOptions, type SkippedEvent } from './capture-file.ts';
import { redactEvents, redactUrl } from './redact.ts';

/* ------------------------------------------------------------------ types */

export interface HarNameValue {
  name: string;
  value: string;
}

export interface HarWebSocketMessage {
  type: 'send' | 'receive';
  /** Epoch seconds. */
  time: number;
  opcode: number;
  data: string;
  /** Ours: the frame's full size when `data` holds less (truncated capture). */
  _size?: number;
  _truncated?: boolean;
  /** Ours: the event's [seq, pseq]. */
  _seq?: [number, number];
}

export interface HarEventSourceMessage {
  /** Epoch seconds. */
  time: number;
  eventName: string;
  /** As Chrome records it: the stream's last event id after this event (DevTools skips messages without it). */
  eventId: string;
  data: string;
  /** Ours: the event's own `id:` field (null when it had none). */
  _id?: string | null;
  lastEventId?: string;
  retry?: number;
  _size?: number;
  _truncated?: boolean;
  _seq?: [number, number];
}

export interface HarEntry {
  pageref?: string;
  startedDateTime: string;
  time: number;
  request: {
    method: string;
    url: string;
    httpVersion: string;
    headers: HarNameValue[];
    queryString: HarNameValue[];
    cookies: unknown[];
    headersSize: number;
    bodySize: number;
    postData?: { mimeType: string; text?: string };
  };
  response: {
    status: number;
    statusText: string;
    httpVersion: string;
    headers: HarNameValue[];
    cookies: unknown[];
    content: { size: number; mimeType: string; text?: string; encoding?: string };
    redirectURL: string;
    headersSize: number;
    bodySize: number;
    _error?: string | null;
  };
  cache: Record<string, never>;
  timings: { blocked: number; dns: number; ssl: number; connect: number; send: number; wait: number; receive: number };
  _resourceType?: string;
  _webSocketMessages?: HarWebSocketMessage[];
  _webSocketClose?: { time: number; code: number; reason: string; wasClean: boolean; initiator: 'client' | 'server' };
  _eventSourceMessages?: HarEventSourceMessage[];
  _realtimeInspector?: EntryExtras;
}

/** Exact facts our export keeps on each entry. */
interface EntryExtras {
  conn: string;
  doc: string;
  frameId: number;
  /** Exact epoch-ms time of each lifecycle event (HAR times are ms-rounded or relative). */
  times: Partial<Record<CaptureEvent['type'], number>>;
  /** [seq, pseq] of each lifecycle event. */
  seqs?: Partial<Record<CaptureEvent['type'], [number, number]>>;
  /** False when the capture had no body view (http.end body null). */
  hasBody?: boolean;
  transport?: string;
  sync?: boolean;
  withCredentials?: boolean;
  bodyHash?: string | null;
  bodyTruncated?: boolean;
  bodySize?: number | null;
  hasEnd?: boolean;
  errorReason?: 'abort' | 'network' | 'timeout';
  finalUrl?: string;
}

export interface HarPage {
  startedDateTime: string;
  id: string;
  title: string;
  pageTimings: Record<string, number>;
  /** Ours: the doc.start event's exact facts (HAR pages only have a start time and a title). */
  _realtimeInspector?: { t: number; url: string; title: string; top: boolean; parentDoc: string | null; frameId: number; seq: [number, number] };
}

export interface Har {
  log: {
    version: string;
    creator: { name: string; version: string };
    pages: HarPage[];
    entries: HarEntry[];
    _realtimeInspector?: { version: number; redacted: boolean; events: CaptureEvent[] };
  };
}

/* ----------------------------------------------------------------- shared */

const EXPORT_VERSION = 1;
const SECONDS = 1000;

function headersToHar(headers: HeaderList): HarNameValue[] {
  return headers.map(([name, value]) => ({ name, value }));
}

function headerValue(headers: unknown, name: string): string | null {
  if (!Array.isArray(headers)) return null;
  for (const h of headers) {
    if (isObj(h) && typeof h.name === 'string' && h.name.toLowerCase() === name && typeof h.value === 'string') return h.value;
  }
  return null;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function mediaType(mime: string): string {
  return (mime.split(';')[0] ?? '').trim().toLowerCase();
}

function textPayloadOf(text: string, size?: number, truncated = false): Payload {
  return { size: size ?? utf8Bytes(text).length, encoding: 'text', data: text, truncated };
}

/* ----------------------------------------------------------------- export */

/** The SSE stream text of a series of events, as a server would have sent it. */
function sseStreamText(events: Array<EventOf<'sse.message'> | EventOf<'sse.comment'>>): string {
  let out = '';
  for (const e of events) {
    if (e.type === 'sse.comment') {
      // The parser drops one space after the colon (sse-parser.ts), so write one.
      out += `: ${e.text}\n`;
      continue;
    }
    if (e.retry !== null) out += `retry: ${e.retry}\n`;
    if (e.event !== 'message') out += `event: ${e.event}\n`;
    if (e.id !== null) out += `id: ${e.id}\n`;
    for (const line of e.data.data.split('\n')) out += `data: ${line}\n`;
    out += '\n';
  }
  return out;
}

function iso(t: number): string {
  return new Date(t).toISOString();
}

function queryOf(url: string): HarNameValue[] {
  try {
    return [...new URL(url).searchParams].map(([name, value]) => ({ name, value }));
  } catch {
    return [];
  }
}

function emptyTimings(wait: number, receive: number): HarEntry['timings'] {
  return { blocked: -1, dns: -1, ssl: -1, connect: -1, send: 0, wait: Math.max(0, wait), receive: Math.max(0, receive) };
}

/** Exact time and sequence numbers of the first event of each lifecycle type (messages excluded). */
function lifecycle(c: ConnEvents, kinds: Set<string>): Pick<EntryExtras, 'times' | 'seqs'> {
  const times: EntryExtras['times'] = {};
  const seqs: NonNullable<EntryExtras['seqs']> = {};
  for (const e of c.all) {
    if (!kinds.has(e.type) || e.type === 'sse.message' || e.type === 'ws.message' || e.type in times) continue;
    times[e.type] = e.t;
    seqs[e.type] = [e.seq, e.pseq];
  }
  return { times, seqs };
}

/** The events of one connection, by type. */
class ConnEvents {
  readonly all: CaptureEvent[] = [];
  first<T extends CaptureEvent['type']>(type: T): EventOf<T> | undefined {
    return this.all.find((e) => e.type === type) as EventOf<T> | undefined;
  }
  every<T extends CaptureEvent['type']>(type: T): Array<EventOf<T>> {
    return this.all.filter((e) => e.type === type) as Array<EventOf<T>>;
  }
}

/** Event types an entry represents; anything else of a connection goes to log._realtimeInspector.events. */
const HTTP_MAPPED = new Set(['http.request', 'http.response', 'http.end', 'http.error', 'sse.create', 'sse.open', 'sse.message']);
const SSE_MAPPED = new Set(['sse.create', 'sse.open', 'sse.message']);
const WS_MAPPED = new Set(['ws.create', 'ws.open', 'ws.message', 'ws.close']);

function sseMessagesToHar(messages: Array<EventOf<'sse.message'>>): HarEventSourceMessage[] {
  return messages.map((m) => {
    const out: HarEventSourceMessage = {
      time: m.t / SECONDS,
      eventName: m.event,
      eventId: m.lastEventId,
      data: m.data.data,
      lastEventId: m.lastEventId,
      _id: m.id,
      _seq: [m.seq, m.pseq],
    };
    if (m.retry !== null) out.retry = m.retry;
    if (m.data.truncated) out._truncated = true;
    if (m.data.truncated || m.data.size !== utf8Bytes(m.data.data).length) out._size = m.data.size;
    return out;
  });
}

function httpEntry(req: HttpRequestEvent, c: ConnEvents): HarEntry {
  const res = c.first('http.response');
  const end = c.first('http.end');
  const err = c.first('http.error');
  const sse = c.first('sse.create');
  const messages = c.every('sse.message');
  const finish = end?.t ?? err?.t ?? messages.at(-1)?.t ?? res?.t ?? req.t;
  const wait = (res?.t ?? finish) - req.t;
  let content: HarEntry['response']['content'] = { size: end?.size ?? 0, mimeType: res?.contentType ?? '' };
  if (end?.body) {
    content = { ...content, text: end.body.data };
    if (end.body.encoding === 'binary') content.encoding = 'base64';
  } else if (sse) {
    const streamed = c.all.filter((e): e is EventOf<'sse.message'> | EventOf<'sse.comment'> => e.type === 'sse.message' || e.type === 'sse.comment');
    content = { ...content, text: sseStreamText(streamed) };
  }
  const entry: HarEntry = {
    pageref: req.doc,
    startedDateTime: iso(req.t),
    time: Math.max(0, finish - req.t),
    request: {
      method: req.method,
      url: req.url,
      httpVersion: '',
      headers: headersToHar(req.headers),
      queryString: queryOf(req.url),
      cookies: [],
      headersSize: -1,
      bodySize: req.bodySize ?? -1,
    },
    response: {
      status: res?.status ?? 0,
      statusText: res?.statusText ?? '',
      httpVersion: '',
      headers: headersToHar(res?.headers ?? []),
      cookies: [],
      content,
      redirectURL: '',
      headersSize: -1,
      bodySize: end?.size ?? -1,
    },
    cache: {},
    timings: emptyTimings(wait, finish - (res?.t ?? finish)),
    _resourceType: req.transport,
    _realtimeInspector: {
      conn: req.conn,
      doc: req.doc,
      frameId: req.frameId,
      ...lifecycle(c, HTTP_MAPPED),
      hasBody: Boolean(end?.body),
      sync: req.sync,
      bodySize: req.bodySize,
      hasEnd: end !== undefined,
      bodyHash: end?.bodyHash ?? null,
      bodyTruncated: end?.body?.truncated ?? false,
      finalUrl: res && res.url !== req.url ? res.url : undefined,
      errorReason: err?.reason,
      withCredentials: sse?.withCredentials,
      transport: sse?.transport,
    },
  };
  if (err) entry.response._error = err.message;
  if (sse) entry._eventSourceMessages = sseMessagesToHar(messages);
  return entry;
}

/** The request of a connection the page opens with a body-less GET (EventSource, the WebSocket handshake). */
function bodilessGet(url: string, headers: HarNameValue[]): HarEntry['request'] {
  return { method: 'GET', url, httpVersion: '', headers, queryString: queryOf(url), cookies: [], headersSize: -1, bodySize: 0 };
}

function eventSourceEntry(create: SseCreateEvent, c: ConnEvents): HarEntry {
  const open = c.first('sse.open');
  const messages = c.every('sse.message');
  const streamed = c.all.filter((e): e is EventOf<'sse.message'> | EventOf<'sse.comment'> => e.type === 'sse.message' || e.type === 'sse.comment');
  const last = c.all.at(-1)?.t ?? create.t;
  const text = sseStreamText(streamed);
  return {
    pageref: create.doc,
    startedDateTime: iso(create.t),
    time: Math.max(0, last - create.t),
    request: bodilessGet(create.url, [{ name: 'accept', value: 'text/event-stream' }]),
    response: {
      status: open ? 200 : 0,
      statusText: open ? 'OK' : '',
      httpVersion: '',
      headers: open ? [{ name: 'content-type', value: 'text/event-stream' }] : [],
      cookies: [],
      content: { size: utf8Bytes(text).length, mimeType: 'text/event-stream', text },
      redirectURL: '',
      headersSize: -1,
      bodySize: -1,
    },
    cache: {},
    timings: emptyTimings((open?.t ?? last) - create.t, last - (open?.t ?? last)),
    _resourceType: 'eventsource',
    _eventSourceMessages: sseMessagesToHar(messages),
    _realtimeInspector: { conn: create.conn, doc: create.doc, frameId: create.frameId, ...lifecycle(c, SSE_MAPPED), withCredentials: create.withCredentials },
  };
}

function webSocketEntry(create: WsCreateEvent, c: ConnEvents): HarEntry {
  const open = c.first('ws.open');
  const close = c.first('ws.close');
  const last = c.all.at(-1)?.t ?? create.t;
  const requestHeaders: HarNameValue[] = [{ name: 'upgrade', value: 'websocket' }];
  if (create.protocols.length) requestHeaders.push({ name: 'sec-websocket-protocol', value: create.protocols.join(', ') });
  const responseHeaders: HarNameValue[] = [];
  if (open) {
    responseHeaders.push({ name: 'upgrade', value: 'websocket' });
    if (open.protocol) responseHeaders.push({ name: 'sec-websocket-protocol', value: open.protocol });
    if (open.extensions) responseHeaders.push({ name: 'sec-websocket-extensions', value: open.extensions });
  }
  const entry: HarEntry = {
    pageref: create.doc,
    startedDateTime: iso(create.t),
    // Chrome reports the handshake duration as a WebSocket entry's time.
    time: Math.max(0, (open?.t ?? close?.t ?? last) - create.t),
    request: bodilessGet(create.url, requestHeaders),
    response: {
      status: open ? 101 : 0,
      statusText: open ? 'Switching Protocols' : '',
      httpVersion: '',
      headers: responseHeaders,
      cookies: [],
      content: { size: 0, mimeType: '' },
      redirectURL: '',
      headersSize: -1,
      bodySize: -1,
    },
    cache: {},
    timings: emptyTimings((open?.t ?? last) - create.t, 0),
    _resourceType: 'websocket',
    _webSocketMessages: c.every('ws.message').map((m) => {
      const out: HarWebSocketMessage = {
        type: m.dir === 'out' ? 'send' : 'receive',
        time: m.t / SECONDS,
        opcode: m.data.encoding === 'text' ? 1 : 2,
        data: m.data.data,
        _seq: [m.seq, m.pseq],
      };
      if (m.data.truncated) out._truncated = true;
      const shown = m.data.encoding === 'text' ? utf8Bytes(m.data.data).length : base64ToBytes(m.data.data).length;
      if (m.data.truncated || m.data.size !== shown) out._size = m.data.size;
      return out;
    }),
    _realtimeInspector: { conn: create.conn, doc: create.doc, frameId: create.frameId, ...lifecycle(c, WS_MAPPED) },
  };
  if (close) {
    entry._webSocketClose = { time: close.t / SECONDS, code: close.code, reason: close.reason, wasClean: close.wasClean, initiator: close.initiator };
  }
  return entry;
}

/** Options of a HAR export. */
export type HarExportOptions = Pick<ExportOptions, 'redact'>;

/**
 * A HAR 1.2 of a capture that Chrome DevTools and other HAR viewers open.
 * Credentials are redacted unless `{redact: false}`. `page` names the capture
 * (default: the top document's URL and title).
 */
export function eventsToHar(events: readonly CaptureEvent[], options?: HarExportOptions): Har;
export function eventsToHar(events: readonly CaptureEvent[], page: { url: string; title: string }, options?: HarExportOptions): Har;
export function eventsToHar(
  events: readonly CaptureEvent[],
  pageOrOptions?: { url: string; title: string } | HarExportOptions,
  maybeOptions?: HarExportOptions,
): Har {
  const page = pageOrOptions && 'url' in pageOrOptions ? pageOrOptions : null;
  const options = (page ? maybeOptions : (pageOrOptions as HarExportOptions | undefined)) ?? {};
  const redact = options.redact ?? true;
  const source = redact ? redactEvents(events) : [...events];

  const conns = new Map<string, ConnEvents>();
  const pages: Har['log']['pages'] = [];
  for (const e of source) {
    if (e.type === 'doc.start') {
      // Chrome titles HAR pages with their URL; the document title is kept with the exact facts.
      pages.push({
        startedDateTime: iso(e.t),
        id: e.doc,
        title: e.url,
        pageTimings: {},
        _realtimeInspector: { t: e.t, url: e.url, title: e.title, top: e.top, parentDoc: e.parentDoc, frameId: e.frameId, seq: [e.seq, e.pseq] },
      });
      continue;
    }
    if ('conn' in e && typeof e.conn === 'string') {
      let c = conns.get(e.conn);
      if (!c) conns.set(e.conn, (c = new ConnEvents()));
      c.all.push(e);
    }
  }
  const entries: HarEntry[] = [];
  const mapped = new Set<CaptureEvent>();
  for (const c of conns.values()) {
    const ws = c.first('ws.create');
    const req = c.first('http.request');
    const sse = c.first('sse.create');
    let entry: HarEntry | null = null;
    let kinds: Set<string> | null = null;
    if (ws) [entry, kinds] = [webSocketEntry(ws, c), WS_MAPPED];
    else if (req) [entry, kinds] = [httpEntry(req, c), HTTP_MAPPED];
    else if (sse && sse.transport === 'eventsource') [entry, kinds] = [eventSourceEntry(sse, c), SSE_MAPPED];
    if (!entry || !kinds) continue;
    entries.push(entry);
    // Only the first event of each lifecycle type is an entry field; repeats (e.g. reconnect opens) stay as events.
    const seenOnce = new Set<string>();
    for (const e of c.all) {
      if (!kinds.has(e.type)) continue;
      const repeatable = e.type === 'ws.message' || e.type === 'sse.message';
      if (!repeatable && seenOnce.has(e.type)) continue;
      seenOnce.add(e.type);
      mapped.add(e);
    }
  }
  const rest = source.filter((e) => e.type !== 'doc.start' && !mapped.has(e));
  const top = source.find((e): e is EventOf<'doc.start'> => e.type === 'doc.start' && e.top);
  const title = page?.title || top?.title || '';
  if (pages.length === 0) {
    const first = source[0];
    pages.push({ startedDateTime: iso(first?.t ?? 0), id: first?.doc ?? 'page', title: (redact && page ? redactUrl(page.url) : page?.url) || title, pageTimings: {} });
  }
  return {
    log: {
      version: '1.2',
      creator: { name: 'Realtime Inspector', version: String(EXPORT_VERSION) },
      pages,
      entries,
      _realtimeInspector: { version: EXPORT_VERSION, redacted: redact, events: rest },
    },
  };
}

/* ----------------------------------------------------------------- import */

/** Resource types that are never real-time traffic (Chrome's `_resourceType` values). */
const STATIC_TYPES = new Set(['document', 'stylesheet', 'script', 'image', 'font', 'media', 'manifest', 'texttrack', 'wasm', 'signedexchange', 'signed-exchange', 'preflight', 'cspviolationreport', 'csp-violation-report', 'ping', 'prefetch', 'fedcm', 'webtransport']);

/** Media types worth importing from HARs without `_resourceType` (data, not page assets). */
const DATA_MEDIA = /json|xml|event-stream|text\/plain|octet-stream|protobuf|msgpack|cbor|grpc|ndjson/;

/** The result of a HAR import. */
export interface HarImport {
  events: CaptureEvent[];
  page: { url: string; title: string };
  /** Entries that could not be read, by index in log.entries. */
  skipped: SkippedEvent[];
  /** Entries left out because they are page assets (scripts, images...). */
  ignored: number;
}

type Draft = Omit<CaptureEvent, 'seq' | 'pseq'> & { order: number; origSeq?: [number, number] };

/** A [seq, pseq] pair from our own export, or undefined. */
function seqPair(v: unknown): [number, number] | undefined {
  return Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && Number.isSafeInteger(v[1]) ? [v[0], v[1]] : undefined;
}

function errorReason(message: string): 'abort' | 'network' | 'timeout' {
  if (/ABORTED|cancel/i.test(message)) return 'abort';
  if (/TIMED_OUT|timeout/i.test(message)) return 'timeout';
  return 'network';
}

function harHeaders(headers: unknown): HeaderList {
  if (!Array.isArray(headers)) return [];
  const out: HeaderList = [];
  for (const h of headers) {
    if (!isObj(h) || typeof h.name !== 'string' || typeof h.value !== 'string') continue;
    // HTTP/2 pseudo-headers are not headers that page script sees.
    if (h.name.startsWith(':')) continue;
    out.push([h.name.toLowerCase(), h.value]);
  }
  return out;
}

function parseSseText(text: string): Array<{ kind: 'message'; event: ParsedSseEvent } | { kind: 'comment'; text: string }> {
  const out: Array<{ kind: 'message'; event: ParsedSseEvent } | { kind: 'comment'; text: string }> = [];
  const parser = createSseParser(
    (event) => out.push({ kind: 'message', event }),
    (comment) => out.push({ kind: 'comment', text: comment }),
  );
  parser.push(text);
  parser.end();
  return out;
}

/** One entry's events; throws a string reason when the entry is unreadable. */
function entryEvents(entry: unknown, index: number, push: (e: Draft) => void): 'ignored' | 'ok' {
  if (!isObj(entry)) throw 'not an object';
  const request = entry.request;
  const response = isObj(entry.response) ? entry.response : {};
  if (!isObj(request) || typeof request.url !== 'string') throw 'request.url missing';
  const url = request.url;
  const method = str(request.method) ?? 'GET';
  const started = Date.parse(str(entry.startedDateTime) ?? '');
  if (!Number.isFinite(started)) throw 'startedDateTime is not a date';
  const extras = isObj(entry._realtimeInspector) ? (entry._realtimeInspector as unknown as EntryExtras) : null;
  const times = extras && isObj(extras.times) ? extras.times : {};
  const base = {
    frameId: num(extras?.frameId) ?? -1,
    doc: str(extras?.doc) ?? str(entry.pageref) ?? 'har',
    conn: str(extras?.conn) ?? `har:${index}`,
  };
  const t0 = num(times['http.request']) ?? num(times['ws.create']) ?? num(times['sse.create']) ?? started;
  const timings = isObj(entry.timings) ? entry.timings : {};
  const phase = (k: string) => Math.max(0, num(timings[k]) ?? 0);
  const ttfb = phase('blocked') + phase('dns') + phase('connect') + phase('send') + phase('wait');
  const total = num(entry.time) ?? ttfb + phase('receive');
  const status = num(response.status) ?? 0;
  const statusText = str(response.statusText) ?? '';
  const content = isObj(response.content) ? response.content : {};
  const mime = mediaType(str(content.mimeType) ?? '');
  const resourceType = (str(entry._resourceType) ?? '').toLowerCase();
  const responseHeaders = harHeaders(response.headers);
  const errorText = str(response._error);
  let order = 0;
  const seqs = extras && isObj(extras.seqs) ? (extras.seqs as Record<string, unknown>) : {};
  const add = (e: Record<string, unknown>) => {
    const origSeq = seqPair(e.origSeq) ?? seqPair(seqs[e.type as string]);
    push({ ...base, ...e, origSeq, order: order++ } as unknown as Draft);
  };

  const isWebSocket = resourceType === 'websocket' || /^wss?:/i.test(url) || Array.isArray(entry._webSocketMessages);
  if (isWebSocket) {
    const requested = (headerValue(request.headers, 'sec-websocket-protocol') ?? '').split(',').map((p) => p.trim()).filter(Boolean);
    add({ type: 'ws.create', t: t0, url, protocols: requested });
    const messages = Array.isArray(entry._webSocketMessages) ? entry._webSocketMessages.filter(isObj) : [];
    const firstMessageT = messages.length ? (num(messages[0]!.time) ?? 0) * SECONDS : Infinity;
    const opened = extras ? times['ws.open'] !== undefined : status === 101;
    if (opened) {
      const openT = num(times['ws.open']) ?? Math.min(t0 + total, firstMessageT);
      add({
        type: 'ws.open',
        t: openT,
        protocol: headerValue(response.headers, 'sec-websocket-protocol') ?? '',
        extensions: headerValue(response.headers, 'sec-websocket-extensions') ?? '',
      });
    }
    for (const m of messages) {
      const opcode = num(m.opcode);
      const time = num(m.time);
      const data = str(m.data);
      // Only data frames (1 text, 2 binary); Chrome does not record control frames here.
      if ((opcode !== 1 && opcode !== 2) || time === null || data === null) continue;
      const dir: Direction = m.type === 'send' ? 'out' : 'in';
      const shown = opcode === 1 ? utf8Bytes(data).length : base64ToBytes(data).length;
      const payload: Payload = { size: num(m._size) ?? shown, encoding: opcode === 1 ? 'text' : 'binary', data, truncated: m._truncated === true };
      add({ type: 'ws.message', t: time * SECONDS, dir, data: payload, origSeq: m._seq });
    }
    const close = isObj(entry._webSocketClose) ? entry._webSocketClose : null;
    if (close && num(close.time) !== null) {
      add({
        type: 'ws.close',
        t: num(close.time)! * SECONDS,
        code: num(close.code) ?? 1005,
        reason: str(close.reason) ?? '',
        wasClean: close.wasClean === true,
        initiator: close.initiator === 'client' ? 'client' : 'server',
      });
    } else if (!extras && status !== 101) {
      // The handshake failed: what the page sees is an error and a 1006 close.
      add({ type: 'ws.error', t: t0 + total });
      add({ type: 'ws.close', t: t0 + total, code: 1006, reason: '', wasClean: false, initiator: 'server' });
    }
    return 'ok';
  }

  const isSse = resourceType === 'eventsource' || mime === 'text/event-stream';
  if (!isSse && resourceType !== 'fetch' && resourceType !== 'xhr') {
    if (STATIC_TYPES.has(resourceType)) return 'ignored';
    // No type (other tools' HARs) or 'other': keep data, leave page assets out.
    if (!DATA_MEDIA.test(mime) && method === 'GET') return 'ignored';
  }
  const responseT = num(times['http.response']) ?? num(times['sse.open']) ?? t0 + ttfb;
  const endT = num(times['http.end']) ?? num(times['http.error']) ?? t0 + total;
  // Our own export says exactly which lifecycle events happened; a plain HAR says it through the status.
  const responded = extras ? times['http.response'] !== undefined || times['sse.open'] !== undefined : status !== 0;
  const failed = extras ? times['http.error'] !== undefined : status === 0;

  const sseMessages: Array<Record<string, unknown>> = [];
  const sseComments: Array<{ text: string; t: number }> = [];
  if (isSse) {
    if (Array.isArray(entry._eventSourceMessages)) {
      for (const m of entry._eventSourceMessages.filter(isObj)) {
        const data = str(m.data) ?? '';
        sseMessages.push({
          t: (num(m.time) ?? responseT / SECONDS) * SECONDS,
          event: str(m.eventName) || 'message',
          data: textPayloadOf(data, num(m._size) ?? undefined, m._truncated === true),
          id: '_id' in m ? str(m._id) : str(m.eventId) || null,
          lastEventId: str(m.lastEventId) ?? str(m.eventId) ?? '',
          retry: num(m.retry),
          origSeq: m._seq,
        });
      }
    } else if (typeof content.text === 'string') {
      // Plain HAR has no per-event times: spread the events evenly over the response (docs/capture-format.md).
      const parsed = parseSseText(content.text);
      const span = Math.max(0, endT - responseT);
      parsed.forEach((p, i) => {
        const t = responseT + (parsed.length > 1 ? (span * i) / (parsed.length - 1) : 0);
        if (p.kind === 'comment') sseComments.push({ text: p.text, t });
        else {
          sseMessages.push({
            t,
            event: p.event.type,
            data: textPayloadOf(p.event.data),
            id: p.event.id,
            lastEventId: p.event.lastEventId,
            retry: p.event.retry,
          });
        }
      });
    }
  }

  if (resourceType === 'eventsource' || (isSse && extras?.transport === 'eventsource')) {
    add({ type: 'sse.create', t: t0, transport: 'eventsource', url, withCredentials: extras?.withCredentials === true });
    if (responded) add({ type: 'sse.open', t: responseT });
    for (const m of sseMessages) add({ type: 'sse.message', ...m });
    for (const c of sseComments) add({ type: 'sse.comment', ...c });
    if (!extras && status === 0) add({ type: 'sse.error', t: endT, readyState: 2 });
    return 'ok';
  }

  const transport: 'fetch' | 'xhr' = resourceType === 'xhr' ? 'xhr' : 'fetch';
  const postText = isObj(request.postData) ? str(request.postData.text) : null;
  const harBodySize = num(request.bodySize);
  const bodySize = extras && 'bodySize' in extras ? (extras.bodySize ?? null) : harBodySize !== null && harBodySize >= 0 ? harBodySize : postText !== null ? utf8Bytes(postText).length : method === 'GET' ? 0 : null;
  const request_: Record<string, unknown> = { type: 'http.request', t: t0, transport, method, url, headers: harHeaders(request.headers), bodySize };
  if (typeof extras?.sync === 'boolean') request_.sync = extras.sync;
  add(request_);
  if (responded) {
    add({ type: 'http.response', t: responseT, status, statusText, headers: responseHeaders, url: str(extras?.finalUrl) ?? url, contentType: mime });
  }
  if (isSse && responded) {
    add({ type: 'sse.create', t: num(times['sse.create']) ?? responseT, transport, url, withCredentials: extras?.withCredentials === true });
    add({ type: 'sse.open', t: num(times['sse.open']) ?? responseT });
    for (const m of sseMessages) add({ type: 'sse.message', ...m });
    for (const c of sseComments) add({ type: 'sse.comment', ...c });
  }
  if (failed) {
    const message = errorText ?? 'request failed';
    add({ type: 'http.error', t: endT, reason: extras?.errorReason ?? errorReason(message), message });
    return 'ok';
  }
  if (extras ? extras.hasEnd !== true : !responded) return 'ok';
  const size = num(content.size);
  const text = str(content.text);
  let body: Payload | null = null;
  let hash: string | null = null;
  if (text !== null && extras?.hasBody !== false) {
    const binary = content.encoding === 'base64';
    const bytes = binary ? base64ToBytes(text) : utf8Bytes(text);
    const truncated = extras?.bodyTruncated === true;
    body = { size: size !== null && size >= 0 ? size : bytes.length, encoding: binary ? 'binary' : 'text', data: text, truncated };
    hash = truncated ? null : bodyHashOf(bytes);
  }
  if (extras && 'bodyHash' in extras) hash = extras.bodyHash ?? null;
  add({ type: 'http.end', t: endT, size: size !== null && size >= 0 ? size : (body?.size ?? 0), bodyHash: hash, body });
  return 'ok';
}

/** Read a HAR (parsed JSON or its text) into capture events; throws CaptureFormatError when it is not a HAR. */
export function importHar(input: unknown): HarImport {
  const json = typeof input === 'string' ? parseJsonText(input, 'HAR file') : input;
  if (!isObj(json) || !isObj(json.log)) throw new CaptureFormatError('Not a HAR file: expected a JSON object with a "log" object.');
  const log = json.log;
  if (!Array.isArray(log.entries)) throw new CaptureFormatError('Invalid HAR file: "log.entries" is not an array.');
  const drafts: Draft[] = [];
  const skipped: SkippedEvent[] = [];
  let ignored = 0;
  let order = 0;
  const pages = Array.isArray(log.pages) ? log.pages.filter(isObj) : [];
  for (const [i, p] of pages.entries()) {
    if (isObj(p._realtimeInspector)) {
      const { seq, ...exact } = p._realtimeInspector;
      const doc = { type: 'doc.start', doc: str(p.id) ?? 'har', ...exact };
      if (explainInvalidEvent({ ...doc, seq: 0, pseq: 0 }) === null) {
        drafts.push({ ...doc, origSeq: seqPair(seq), order: order++ } as Draft);
        continue;
      }
    }
    const t = Date.parse(str(p.startedDateTime) ?? '');
    if (!Number.isFinite(t)) continue;
    const title = str(p.title) ?? '';
    drafts.push({ type: 'doc.start', t, frameId: -1, doc: str(p.id) ?? 'har', url: /^[a-z]+:\/\//i.test(title) ? title : '', title, top: i === 0, parentDoc: null, order: order++ } as Draft);
  }
  log.entries.forEach((entry: unknown, index: number) => {
    const pending: Draft[] = [];
    try {
      if (entryEvents(entry, index, (e) => pending.push(e)) === 'ignored') ignored++;
      else for (const e of pending) drafts.push({ ...e, order: order++ });
    } catch (reason) {
      skipped.push({ index, reason: typeof reason === 'string' ? `entry ${index}: ${reason}` : String(reason) });
    }
  });
  const extra = isObj(log._realtimeInspector) && Array.isArray(log._realtimeInspector.events) ? log._realtimeInspector.events : [];
  for (const e of extra) {
    if (explainInvalidEvent(e) !== null) continue;
    const { seq, pseq, ...rest } = e as CaptureEvent;
    drafts.push({ ...rest, origSeq: [seq, pseq], order: order++ } as Draft);
  }
  if (drafts.length === 0 && skipped.length > 0) {
    const problems = describeSkipped(skipped);
    throw new CaptureFormatError(`No readable entries in the HAR file (${skipped.length} unreadable): ${problems.join('; ')}`, problems);
  }
  // Our own export carries the original sequence numbers: keep them, and let them order simultaneous events.
  const keepSeq = drafts.length > 0 && drafts.every((d) => d.origSeq);
  drafts.sort((a, b) => a.t - b.t || (keepSeq ? a.origSeq![0] - b.origSeq![0] : 0) || a.order - b.order);
  const events: CaptureEvent[] = [];
  for (const [i, d] of drafts.entries()) {
    const { order: _order, origSeq, ...rest } = d;
    const event = { ...rest, seq: keepSeq ? origSeq![0] : i + 1, pseq: keepSeq ? origSeq![1] : i + 1 } as CaptureEvent;
    const problem = explainInvalidEvent(event);
    if (problem === null) events.push(event);
    else skipped.push({ index: -1, reason: `converted event ${d.type}: ${problem}` });
  }
  const top = events.find((e): e is EventOf<'doc.start'> => e.type === 'doc.start' && e.top);
  const firstUrl = events.find((e) => 'url' in e && typeof e.url === 'string') as { url: string } | undefined;
  return { events, page: { url: top?.url || firstUrl?.url || '', title: top?.title ?? '' }, skipped, ignored };
}

/** Capture events from a HAR (Chrome's, with `_resourceType` and `_webSocketMessages`, or any HAR 1.2). */
export function harToEvents(har: unknown): CaptureEvent[] {
  return importHar(har).events;
}
