/**
 * HAR export: a HAR 1.2 that Chrome DevTools and other viewers open, which
 * writes each entry as Chrome DevTools would (a WebSocket entry's `time` is
 * its life, handshake to close) and keeps what plain HAR has no field for in
 * fields of our own that our import reads back (docs/capture-format.md):
 * - `_eventSourceMessages` on an entry: the SSE events ({time, eventName,
 *   eventId, data} as Chrome DevTools' HAR importer reads them, plus our
 *   lastEventId, retry, _id); the SSE stream is also written as
 *   `response.content.text`, so any viewer shows it;
 * - `_webSocketClose` on a WebSocket entry: {time, code, reason, wasClean, initiator};
 * - `_realtimeInspector` on an entry: exact times, ids and flags;
 * - `log._realtimeInspector.events`: events that belong to no entry (faults,
 *   drop counts, hook errors, chunks, comments, buffering, errors).
 */
import type { CaptureEvent, EventOf, HeaderList, HttpRequestEvent, SseCreateEvent, WsCreateEvent } from '../../events.ts';
import { base64ToBytes, utf8Bytes } from '../../protocols/util.ts';
import type { ExportOptions } from '../capture-file.ts';
import { Redactor } from '../redact.ts';
import type { EntryExtras, Har, HarEntry, HarEventSourceMessage, HarNameValue, HarWebSocketMessage } from './types.ts';

export const EXPORT_VERSION = 1;
const SECONDS = 1000;

function headersToHar(headers: HeaderList): HarNameValue[] {
  return headers.map(([name, value]) => ({ name, value }));
}

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
    if (m.idUnread) out._idUnread = true;
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
      ...(req.origin ? { origin: req.origin } : {}),
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
    _realtimeInspector: { conn: create.conn, doc: create.doc, frameId: create.frameId, ...(create.origin ? { origin: create.origin } : {}), ...lifecycle(c, SSE_MAPPED), withCredentials: create.withCredentials },
  };
}

function webSocketEntry(create: WsCreateEvent, c: ConnEvents): HarEntry {
  const open = c.first('ws.open');
  const close = c.first('ws.close');
  const frames = c.every('ws.message');
  // Timed as Chrome DevTools times a WebSocket entry (source.ts): the wait runs to its last frame (or its
  // open, or its error), the receive from there to the close, and is 0 while it is still open.
  const waitEnd = Math.max(create.t, frames.at(-1)?.t ?? open?.t ?? c.first('ws.error')?.t ?? close?.t ?? create.t);
  const closedAt = close ? Math.max(close.t, waitEnd) : null;
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
    time: (closedAt ?? waitEnd) - create.t,
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
    timings: emptyTimings(waitEnd - create.t, closedAt === null ? 0 : closedAt - waitEnd),
    _resourceType: 'websocket',
    _webSocketMessages: frames.map((m) => {
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
    _realtimeInspector: { conn: create.conn, doc: create.doc, frameId: create.frameId, ...(create.origin ? { origin: create.origin } : {}), ...lifecycle(c, WS_MAPPED) },
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
  const redactor = (options.redact ?? true) ? new Redactor() : null;
  const source = redactor ? redactor.events(events) : [...events];

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
  const title = (redactor && page ? redactor.text(page.title) : page?.title) || top?.title || '';
  if (pages.length === 0) {
    const first = source[0];
    pages.push({ startedDateTime: iso(first?.t ?? 0), id: first?.doc ?? 'page', title: (redactor && page ? redactor.text(page.url) : page?.url) || title, pageTimings: {} });
  }
  return {
    log: {
      version: '1.2',
      creator: { name: 'Realtime Inspector', version: String(EXPORT_VERSION) },
      pages,
      entries,
      _realtimeInspector: { version: EXPORT_VERSION, redacted: redactor !== null, events: rest },
    },
  };
}

