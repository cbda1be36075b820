/**
 * The per-connection view of a channel's events: one record per request or
 * connection (`conn`), built lazily from the raw events when a report is asked for.
 */
import { isHttp, type CaptureEvent, type Direction, type HeaderList, type Payload, type Transport } from './events.ts';
import type { MessageRole } from './protocols/types.ts';

/** One message on a connection: a WebSocket frame, an SSE event or comment, a streamed chunk, or WebTransport stream bytes or a datagram. */
export interface ConnMessage {
  t: number;
  dir: Direction;
  size: number;
  kind: 'ws' | 'sse' | 'sse-comment' | 'chunk' | 'wt-stream' | 'wt-datagram';
  /** Payload (WebSocket, SSE data, WebTransport bytes); null for chunks and comments. */
  data: Payload | null;
  /** Short text used to recognise repeats (first bytes of the payload, comment text, chunk preview). */
  sample: string;
  /** SSE event name, id and retry. */
  event: string | null;
  id: string | null;
  retry: number | null;
  /** Protocol role, filled by the protocol decoder when one is recognised. */
  role: MessageRole | null;
  /** The WebTransport stream the bytes went over ('wt-stream' messages only). */
  stream?: number;
  /** Heartbeat pattern key, computed once on first use (undefined until then). */
  patternKey?: string | null;
}

/** One request or connection. */
export interface ConnRecord {
  conn: string;
  /** The document that made it ('' for records the analysis makes itself). */
  doc: string;
  transport: Transport;
  method: string;
  url: string;
  requestHeaders: HeaderList;
  requestBytes: number;
  /** Creation time (request sent, socket/EventSource constructed). */
  start: number;
  responseAt: number | null;
  /** Time the request queued for a connection before it was sent (Resource Timing); null when unknown. */
  blockedMs: number | null;
  /** The protocol it went over (Resource Timing nextHopProtocol), '' when unknown. */
  nextHopProtocol: string;
  status: number | null;
  contentType: string;
  responseHeaders: HeaderList;
  /** First `open` (WebSocket, EventSource). */
  openAt: number | null;
  /** Every `open` (EventSource reconnects re-open the same object). */
  opens: number[];
  /** Every `error` with the EventSource readyState (null for WebSocket/HTTP errors). */
  errors: Array<{ t: number; readyState: number | null }>;
  end: number | null;
  /** 'end' (body complete), 'error', 'close' (WebSocket/EventSource closed) or null while open. */
  endKind: 'end' | 'error' | 'close' | null;
  closeCode: number | null;
  closeReason: string;
  closeInitiator: 'client' | 'server' | null;
  errorReason: string | null;
  size: number;
  bodyHash: string | null;
  body: Payload | null;
  chunks: ConnMessage[];
  /**
   * The frames the channel's protocol decoder read from the streamed chunks (gRPC-web and Connect
   * envelopes, multipart parts; src/core/protocol-support.ts), each at the time of the chunk that
   * completed it, with its role; null while none was read. `allMessages` counts them instead of the chunks.
   */
  frames: ConnMessage[] | null;
  messages: ConnMessage[];
  /** The response is an SSE stream (EventSource or text/event-stream on fetch/XHR). */
  sse: boolean;
  requestedProtocols: string[];
  negotiatedProtocol: string;
  maxBuffered: number;
  /** WebTransport streams opened on the session, by whom and how. */
  wtStreams: Array<{ t: number; stream: number; bidi: boolean; initiator: 'client' | 'server' }>;
}

/** An empty record of a request or connection created at `t`. */
export function newRecord(conn: string, transport: Transport, url: string, t: number, doc = ''): ConnRecord {
  return {
    conn,
    doc,
    transport,
    method: 'GET',
    url,
    requestHeaders: [],
    requestBytes: 0,
    start: t,
    responseAt: null,
    blockedMs: null,
    nextHopProtocol: '',
    status: null,
    contentType: '',
    responseHeaders: [],
    openAt: null,
    opens: [],
    errors: [],
    end: null,
    endKind: null,
    closeCode: null,
    closeReason: '',
    closeInitiator: null,
    errorReason: null,
    size: 0,
    bodyHash: null,
    body: null,
    chunks: [],
    frames: null,
    messages: [],
    sse: false,
    requestedProtocols: [],
    negotiatedProtocol: '',
    maxBuffered: 0,
    wtStreams: [],
  };
}

const SAMPLE_CHARS = 64;

function message(
  t: number,
  dir: Direction,
  kind: ConnMessage['kind'],
  size: number,
  data: Payload | null,
  sample: string,
): ConnMessage {
  return { t, dir, size, kind, data, sample: sample.slice(0, SAMPLE_CHARS), event: null, id: null, retry: null, role: null, patternKey: undefined };
}

/**
 * Builds records incrementally: events are applied in order, one at a time,
 * so a channel's records can be kept up to date as events arrive.
 */
export class RecordBuilder {
  private readonly byConn = new Map<string, ConnRecord>();
  /** Records in first-seen order of `conn`. */
  readonly records: ConnRecord[] = [];

  private get(conn: string, transport: Transport, url: string, t: number, doc: string): ConnRecord {
    let r = this.byConn.get(conn);
    if (!r) {
      r = newRecord(conn, transport, url, t, doc);
      this.byConn.set(conn, r);
      this.records.push(r);
    }
    return r;
  }

  /** Apply one event (events of unknown conns before their creation are ignored). */
  apply(e: CaptureEvent): void {
    switch (e.type) {
      case 'http.request': {
        const r = this.get(e.conn, e.transport, e.url, e.t, e.doc);
        r.transport = e.transport;
        r.start = e.t;
        r.url = e.url;
        r.method = e.method.toUpperCase();
        r.requestHeaders = e.headers;
        r.requestBytes = e.bodySize ?? 0;
        break;
      }
      case 'sse.create': {
        const r = this.get(e.conn, e.transport, e.url, e.t, e.doc);
        r.sse = true;
        if (!isHttp(r.transport)) r.transport = e.transport;
        if (e.transport === 'eventsource') r.start = e.t;
        break;
      }
      case 'ws.create': {
        const r = this.get(e.conn, 'websocket', e.url, e.t, e.doc);
        r.start = e.t;
        r.requestedProtocols = e.protocols;
        break;
      }
      case 'wt.create': {
        const r = this.get(e.conn, 'webtransport', e.url, e.t, e.doc);
        r.start = e.t;
        break;
      }
      default: {
        if (!('conn' in e) || typeof e.conn !== 'string') break;
        const r = this.byConn.get(e.conn);
        if (r) applyEvent(r, e);
      }
    }
  }
}

/** Build the records of a channel from its events, in first-seen order of `conn`. */
export function buildRecords(events: readonly CaptureEvent[]): ConnRecord[] {
  const builder = new RecordBuilder();
  for (const e of events) builder.apply(e);
  return builder.records;
}

function applyEvent(r: ConnRecord, e: CaptureEvent): void {
  switch (e.type) {
    case 'http.response':
      r.responseAt = e.t;
      r.status = e.status;
      r.contentType = e.contentType;
      r.responseHeaders = e.headers;
      if (e.contentType === 'text/event-stream') r.sse = true;
      break;
    case 'http.chunk':
      r.chunks.push(message(e.t, 'in', 'chunk', e.size, chunkPayload(e), e.preview));
      break;
    case 'http.end':
      r.end = e.t;
      r.endKind = 'end';
      r.size = e.size;
      r.bodyHash = e.bodyHash;
      r.body = e.body;
      break;
    case 'http.timing':
      r.blockedMs = e.blockedMs;
      r.nextHopProtocol = e.protocol;
      break;
    case 'http.error':
      r.end = e.t;
      r.endKind = 'error';
      r.errorReason = e.reason;
      break;
    case 'sse.open':
      if (r.openAt === null) r.openAt = e.t;
      if (r.responseAt === null) r.responseAt = e.t;
      r.opens.push(e.t);
      break;
    case 'sse.message': {
      const m = message(e.t, 'in', 'sse', e.data.size, e.data, e.data.encoding === 'text' ? e.data.data : '');
      m.event = e.event;
      m.id = e.id;
      m.retry = e.retry;
      r.messages.push(m);
      break;
    }
    case 'sse.comment':
      r.messages.push(message(e.t, 'in', 'sse-comment', e.text.length, null, e.text));
      break;
    case 'sse.error':
      r.errors.push({ t: e.t, readyState: e.readyState });
      // readyState 2 (CLOSED): the browser gave up and will not retry.
      if (e.readyState === 2) {
        r.end = e.t;
        r.endKind = 'error';
      }
      break;
    case 'sse.close':
      if (r.end === null) {
        r.end = e.t;
        r.endKind = 'close';
        r.closeInitiator = 'client';
      }
      break;
    case 'ws.open':
      r.openAt = e.t;
      r.opens.push(e.t);
      r.responseAt = e.t;
      r.negotiatedProtocol = e.protocol;
      break;
    case 'ws.message':
      r.messages.push(message(e.t, e.dir, 'ws', e.data.size, e.data, sampleOf(e.data)));
      break;
    case 'ws.close':
      closeWith(r, e);
      break;
    case 'ws.error':
      r.errors.push({ t: e.t, readyState: null });
      break;
    case 'ws.buffered':
      r.maxBuffered = Math.max(r.maxBuffered, e.bufferedAmount);
      break;
    case 'wt.ready':
      r.openAt = e.t;
      r.opens.push(e.t);
      r.responseAt = e.t;
      r.negotiatedProtocol = e.protocol;
      break;
    case 'wt.stream':
      r.wtStreams.push({ t: e.t, stream: e.stream, bidi: e.bidi, initiator: e.initiator });
      break;
    case 'wt.data': {
      const m = message(e.t, e.dir, 'wt-stream', e.data.size, e.data, sampleOf(e.data));
      m.stream = e.stream;
      r.messages.push(m);
      break;
    }
    case 'wt.datagram':
      r.messages.push(message(e.t, e.dir, 'wt-datagram', e.data.size, e.data, sampleOf(e.data)));
      break;
    case 'wt.close':
      if (r.end === null) closeWith(r, e);
      break;
    case 'wt.error':
      r.errors.push({ t: e.t, readyState: null });
      if (r.end !== null) break;
      r.end = e.t;
      r.endKind = 'error';
      r.errorReason = e.message === '' ? e.name : `${e.name}: ${e.message}`;
      break;
    default:
      break;
  }
}

/** A message's repeat key: its text, or its bytes marked as binary. */
function sampleOf(data: Payload): string {
  return data.encoding === 'text' ? data.data : `#bin:${data.data}`;
}

/** A WebSocket or WebTransport close ends the connection with its code, reason and side. */
function closeWith(r: ConnRecord, e: { t: number; code: number; reason: string; initiator: ConnRecord['closeInitiator'] }): void {
  r.end = e.t;
  r.endKind = 'close';
  r.closeCode = e.code;
  r.closeReason = e.reason;
  r.closeInitiator = e.initiator;
}

/**
 * What a chunk's message holds for a decoder: its bytes (binary streaming types) or its text
 * preview, `truncated` when the preview holds fewer bytes than the chunk; null for a binary chunk without bytes.
 */
function chunkPayload(e: Extract<CaptureEvent, { type: 'http.chunk' }>): Payload | null {
  if (e.data !== undefined) return e.data;
  if (e.preview === '') return null;
  // UTF-8 never takes fewer bytes than UTF-16 units: a preview as long as the chunk is whole.
  const truncated = e.preview.length < e.size && new TextEncoder().encode(e.preview).length < e.size;
  return { size: e.size, encoding: 'text', data: e.preview, truncated };
}

/** Every message of a record, streamed chunks (or the frames decoded from them) included, in time order. */
export function allMessages(r: ConnRecord): ConnMessage[] {
  const chunks = r.frames ?? r.chunks;
  // An SSE stream read through fetch/XHR reports both chunks and parsed events: count the events.
  if (chunks.length === 0 || (r.sse && r.messages.length > 0)) return r.messages;
  if (r.messages.length === 0) return chunks;
  return [...r.messages, ...chunks].sort((a, b) => a.t - b.t);
}

/** A request header value (names are lower-cased in the capture). */
export function header(list: HeaderList, name: string): string | null {
  for (const [k, v] of list) if (k === name) return v;
  return null;
}
