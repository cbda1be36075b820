/**
 * Worker traffic from the DevTools protocol, as capture events. Page hooks cannot run
 * in a worker; a DevTools client can: the CLI (src/cli/workers.ts) and the extension's
 * background (chrome.debugger, src/background/index.ts) attach to the page's workers
 * (src/shared/cdp-workers.ts) and feed each worker session's `Network` events here.
 * Pure: no chrome.*, no I/O; one translator per inspected tab.
 *
 * What the protocol does not tell, and what the events say instead:
 * - a WebSocket's close code, reason and initiator: `ws.close` has 1005 ("no status",
 *   RFC 6455 §7.4.1), reason '', `wasClean: false`, initiator 'server', as HAR import does;
 * - ping/pong control frames are left out (the hooks cannot see them either);
 * - an EventSource's reconnect is a new request: requests of one worker to the same
 *   EventSource URL after the previous one ended are the same connection (`sse.open` again);
 * - a streamed body's pieces (`http.chunk`, from `Network.dataReceived`) have their size but no
 *   text; the body's size, hash and text come with `http.end`, from `Network.getResponseBody`
 *   when the driver fetched it.
 */
import type { CaptureEvent, HeaderList, Payload, WorkerKind, WorkerOrigin } from '../events.ts';
import { bodyHashOf } from './body-hash.ts';
import { CLOSE_CODE_UNKNOWN } from './har/websocket.ts';
import { base64ToBytes, utf8Bytes } from '../protocols/util.ts';

/** The DevTools protocol's target types of workers (Target.TargetInfo.type), and the capture's kind for each. */
export const WORKER_TARGET_KINDS: Readonly<Record<string, WorkerKind>> = {
  worker: 'dedicated',
  shared_worker: 'shared',
  service_worker: 'service',
};

/** Responses whose body the driver fetches with Network.getResponseBody (encoded bytes): bigger ones get no body or hash. */
export const CDP_BODY_MAX_BYTES = 256 * 1024;

/** Most binary bytes kept (as base64) in a payload preview: the page hooks' MAX_BINARY_PREVIEW_BYTES (src/content/page/payload.ts). */
const MAX_BINARY_PREVIEW_BYTES = 4096;

/** A response body as Network.getResponseBody returns it. */
export interface CdpBody {
  body: string;
  base64Encoded: boolean;
}

/** Options of a translator. */
export interface CdpTranslatorOptions {
  /** The capture cap on text (src/shared/constants.ts DEFAULT_MAX_TEXT_CHARS). */
  maxTextChars: number;
  /** Epoch ms now: the time of events that carry no protocol timestamp before any clock was seen. */
  now: () => number;
}

interface Session {
  doc: string;
  origin: WorkerOrigin;
  pseq: number;
  requests: Map<string, RequestState>;
  /** EventSource URL → its connection, to tie a reconnect's new request to it. */
  eventSources: Map<string, { conn: string; lastEventId: string; live: boolean }>;
}

interface RequestState {
  conn: string;
  kind: 'fetch' | 'xhr' | 'eventsource' | 'websocket';
  url: string;
  /** Decoded bytes received (Network.dataReceived dataLength). */
  received: number;
  encoded: number;
  /** Network.dataReceived events so far, and the first one, held until a second proves the body streams. */
  chunks: number;
  firstChunk: { t: number; size: number } | null;
  created: boolean;
  done: boolean;
}

type Params = Record<string, unknown>;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const rec = (v: unknown): Params => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Params) : {});

/** Network.Headers (an object) as the capture's lower-cased header list. CDP joins repeated headers with '\n'. */
export function cdpHeaders(v: unknown): HeaderList {
  const out: HeaderList = [];
  for (const [name, value] of Object.entries(rec(v))) {
    if (typeof value !== 'string') continue;
    for (const line of value.split('\n')) out.push([name.toLowerCase(), line]);
    if (out.length >= 256) break;
  }
  return out.slice(0, 256);
}

const header = (headers: HeaderList, name: string): string => headers.find(([n]) => n === name)?.[1] ?? '';

/** The translator of one tab's worker sessions. */
export class CdpNetworkTranslator {
  private readonly sessions = new Map<string, Session>();
  /** Epoch ms minus the protocol's monotonic ms (Network.MonotonicTime), from the last event carrying both. */
  private clockOffsetMs: number | null = null;

  constructor(private readonly options: CdpTranslatorOptions) {}

  /** A worker session to translate: `targetId` names its document, `origin` goes on its events. */
  addWorker(sessionId: string, targetId: string, origin: WorkerOrigin): void {
    if (this.sessions.has(sessionId)) return;
    this.sessions.set(sessionId, { doc: `worker:${targetId}`, origin, pseq: 0, requests: new Map(), eventSources: new Map() });
  }

  /** The worker ended or was detached: its open connections end as the protocol would no longer report them. */
  removeWorker(sessionId: string): CaptureEvent[] {
    const s = this.sessions.get(sessionId);
    if (!s) return [];
    this.sessions.delete(sessionId);
    const out: CaptureEvent[] = [];
    const t = this.options.now();
    for (const r of s.requests.values()) {
      if (r.done || !r.created) continue;
      if (r.kind === 'websocket') out.push(this.make(s, r.conn, t, { type: 'ws.close', code: CLOSE_CODE_UNKNOWN, reason: '', wasClean: false, initiator: 'client' }));
      else if (r.kind === 'eventsource') out.push(this.make(s, r.conn, t, { type: 'sse.close' }));
      else out.push(this.make(s, r.conn, t, { type: 'http.error', reason: 'abort', message: 'worker ended' }));
    }
    return out;
  }

  /** The worker of a session, or undefined when the session is none of this translator's workers. */
  originOf(sessionId: string): WorkerOrigin | undefined {
    return this.sessions.get(sessionId)?.origin;
  }

  /**
   * True when `Network.loadingFinished` (`params`) ends an HTTP request whose body is worth
   * fetching (Network.getResponseBody) before translating it: fetch/XHR, at most CDP_BODY_MAX_BYTES.
   */
  wantsBody(sessionId: string, method: string, params: Params): boolean {
    if (method !== 'Network.loadingFinished') return false;
    const r = this.sessions.get(sessionId)?.requests.get(str(params.requestId));
    const size = num(params.encodedDataLength) ?? 0;
    return r !== undefined && (r.kind === 'fetch' || r.kind === 'xhr') && size <= CDP_BODY_MAX_BYTES;
  }

  /** The capture events of one protocol event of a worker session ([] for anything else). */
  translate(sessionId: string, method: string, params: Params, body: CdpBody | null = null): CaptureEvent[] {
    const s = this.sessions.get(sessionId);
    if (!s) return [];
    const requestId = str(params.requestId);
    switch (method) {
      case 'Network.requestWillBeSent':
        return this.requestWillBeSent(s, requestId, params);
      case 'Network.responseReceived':
        return this.responseReceived(s, requestId, params);
      case 'Network.dataReceived':
        return this.dataReceived(s, requestId, params);
      case 'Network.loadingFinished':
        return this.loadingFinished(s, requestId, params, body);
      case 'Network.loadingFailed':
        return this.loadingFailed(s, requestId, params);
      case 'Network.eventSourceMessageReceived':
        return this.eventSourceMessage(s, requestId, params);
      case 'Network.webSocketCreated': {
        const id = `${s.doc}:${requestId}`;
        s.requests.set(requestId, { conn: id, kind: 'websocket', url: str(params.url), received: 0, encoded: 0, chunks: 0, firstChunk: null, created: false, done: false });
        return [];
      }
      case 'Network.webSocketWillSendHandshakeRequest': {
        this.clock(params);
        const r = s.requests.get(requestId);
        if (!r || r.created) return [];
        const protocols = header(cdpHeaders(rec(params.request).headers), 'sec-websocket-protocol');
        return [this.wsCreate(s, r, this.time(params), protocols)];
      }
      case 'Network.webSocketHandshakeResponseReceived':
        return this.wsHandshake(s, requestId, params);
      case 'Network.webSocketFrameSent':
      case 'Network.webSocketFrameReceived':
        return this.wsFrame(s, requestId, params, method === 'Network.webSocketFrameSent' ? 'out' : 'in');
      case 'Network.webSocketFrameError': {
        const r = s.requests.get(requestId);
        if (!r || r.done) return [];
        return [...this.ensureWsCreated(s, r, params), this.make(s, r.conn, this.time(params), { type: 'ws.error' })];
      }
      case 'Network.webSocketClosed': {
        const r = s.requests.get(requestId);
        if (!r || r.done) return [];
        r.done = true;
        return [
          ...this.ensureWsCreated(s, r, params),
          this.make(s, r.conn, this.time(params), { type: 'ws.close', code: CLOSE_CODE_UNKNOWN, reason: '', wasClean: false, initiator: 'server' }),
        ];
      }
      default:
        return [];
    }
  }

  // --- HTTP and EventSource ---

  private requestWillBeSent(s: Session, requestId: string, params: Params): CaptureEvent[] {
    this.clock(params);
    const request = rec(params.request);
    const url = str(request.url);
    const t = this.time(params);
    const existing = s.requests.get(requestId);
    // A redirect reuses the request id: the page sees one request, answered at its final URL.
    if (existing) {
      existing.url = url;
      return [];
    }
    const type = str(params.type);
    if (type === 'EventSource') {
      const known = s.eventSources.get(url);
      if (known && !known.live) {
        known.live = true;
        s.requests.set(requestId, { conn: known.conn, kind: 'eventsource', url, received: 0, encoded: 0, chunks: 0, firstChunk: null, created: true, done: false });
        return [];
      }
      const conn = `${s.doc}:${requestId}`;
      s.eventSources.set(url, { conn, lastEventId: '', live: true });
      s.requests.set(requestId, { conn, kind: 'eventsource', url, received: 0, encoded: 0, chunks: 0, firstChunk: null, created: true, done: false });
      return [this.make(s, conn, t, { type: 'sse.create', transport: 'eventsource', url, withCredentials: false })];
    }
    if (type !== 'Fetch' && type !== 'XHR') return [];
    const transport = type === 'Fetch' ? 'fetch' : 'xhr';
    const conn = `${s.doc}:${requestId}`;
    s.requests.set(requestId, { conn, kind: transport, url, received: 0, encoded: 0, chunks: 0, firstChunk: null, created: true, done: false });
    const postData = typeof request.postData === 'string' ? request.postData : null;
    const bodySize = postData !== null ? utf8Bytes(postData).length : request.hasPostData === true ? null : 0;
    return [
      this.make(s, conn, t, {
        type: 'http.request',
        transport,
        method: str(request.method) || 'GET',
        url,
        headers: cdpHeaders(request.headers),
        bodySize,
      }),
    ];
  }

  private responseReceived(s: Session, requestId: string, params: Params): CaptureEvent[] {
    const r = s.requests.get(requestId);
    if (!r || r.done) return [];
    const response = rec(params.response);
    const t = this.time(params);
    const status = num(response.status) ?? 0;
    if (r.kind === 'eventsource') {
      const mime = str(response.mimeType).toLowerCase();
      if (status === 200 && mime === 'text/event-stream') return [this.make(s, r.conn, t, { type: 'sse.open' })];
      return [];
    }
    if (r.kind === 'websocket') return [];
    const headers = cdpHeaders(response.headers);
    return [
      this.make(s, r.conn, t, {
        type: 'http.response',
        status: Math.max(0, Math.min(999, Math.trunc(status))),
        statusText: str(response.statusText),
        headers,
        url: str(response.url) || r.url,
        contentType: (header(headers, 'content-type').split(';')[0] ?? '').trim().toLowerCase(),
      }),
    ];
  }

  /**
   * A piece of an HTTP body arrived. As the page hooks do (src/content/page/response-body.ts), a
   * body's first piece is held and reported only once a second one shows it streams; pieces carry
   * their size, not their text (the protocol sends no data without Network.streamResourceContent).
   */
  private dataReceived(s: Session, requestId: string, params: Params): CaptureEvent[] {
    const r = s.requests.get(requestId);
    if (!r || r.done) return [];
    const size = Math.max(0, Math.trunc(num(params.dataLength) ?? 0));
    r.received += size;
    r.encoded += num(params.encodedDataLength) ?? 0;
    if (r.kind !== 'fetch' && r.kind !== 'xhr') return [];
    const t = this.time(params);
    r.chunks++;
    if (r.chunks === 1) {
      r.firstChunk = { t, size };
      return [];
    }
    const out: CaptureEvent[] = [];
    if (r.chunks === 2 && r.firstChunk) out.push(this.make(s, r.conn, r.firstChunk.t, { type: 'http.chunk', size: r.firstChunk.size, preview: '' }));
    out.push(this.make(s, r.conn, t, { type: 'http.chunk', size, preview: '' }));
    return out;
  }

  /** A request's end, taken once: the request is forgotten; null when unknown or already ended. */
  private endRequest(s: Session, requestId: string) {
    const r = s.requests.get(requestId);
    if (!r || r.done) return null;
    r.done = true;
    s.requests.delete(requestId);
    return r;
  }

  private loadingFinished(s: Session, requestId: string, params: Params, body: CdpBody | null): CaptureEvent[] {
    const r = this.endRequest(s, requestId);
    if (!r) return [];
    const t = this.time(params);
    if (r.kind === 'eventsource') return this.sseEnded(s, r, t);
    if (r.kind === 'websocket') return [];
    let size = r.received;
    let bodyHash: string | null = null;
    let payload: Payload | null = null;
    if (body) {
      const bytes = body.base64Encoded ? base64ToBytes(body.body) : utf8Bytes(body.body);
      size = bytes.length;
      bodyHash = bodyHashOf(bytes);
      payload = body.base64Encoded ? binaryPayload(body.body, bytes.length) : this.textPayload(body.body, bytes.length);
    }
    return [this.make(s, r.conn, t, { type: 'http.end', size, bodyHash, body: payload })];
  }

  private loadingFailed(s: Session, requestId: string, params: Params): CaptureEvent[] {
    const r = this.endRequest(s, requestId);
    if (!r) return [];
    const t = this.time(params);
    if (r.kind === 'eventsource') return this.sseEnded(s, r, t);
    if (r.kind === 'websocket') return [];
    const canceled = params.canceled === true;
    return [this.make(s, r.conn, t, { type: 'http.error', reason: canceled ? 'abort' : 'network', message: str(params.errorText) })];
  }

  /** An EventSource's response ended: it reconnects (readyState CONNECTING, HTML §9.2.3) unless the worker closes it. */
  private sseEnded(s: Session, r: RequestState, t: number): CaptureEvent[] {
    const known = s.eventSources.get(r.url);
    if (known && known.conn === r.conn) known.live = false;
    return [this.make(s, r.conn, t, { type: 'sse.error', readyState: 0 })];
  }

  private eventSourceMessage(s: Session, requestId: string, params: Params): CaptureEvent[] {
    const r = s.requests.get(requestId);
    if (!r || r.kind !== 'eventsource') return [];
    const known = s.eventSources.get(r.url);
    const id = typeof params.eventId === 'string' && params.eventId !== '' ? params.eventId : null;
    let lastEventId = known?.lastEventId ?? '';
    if (id !== null) lastEventId = id;
    if (known) known.lastEventId = lastEventId;
    const data = str(params.data);
    return [
      this.make(s, r.conn, this.time(params), {
        type: 'sse.message',
        event: str(params.eventName) || 'message',
        data: this.textPayload(data, utf8Bytes(data).length),
        id,
        lastEventId,
        retry: null,
      }),
    ];
  }

  // --- WebSocket ---

  private wsCreate(s: Session, r: RequestState, t: number, protocols: string): CaptureEvent {
    r.created = true;
    const list = protocols
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== '')
      .slice(0, 64);
    return this.make(s, r.conn, t, { type: 'ws.create', url: r.url, protocols: list });
  }

  /** A frame or close of a socket whose handshake request was not seen (attached late): create it first. */
  private ensureWsCreated(s: Session, r: RequestState, params: Params): CaptureEvent[] {
    return r.created ? [] : [this.wsCreate(s, r, this.time(params), '')];
  }

  private wsHandshake(s: Session, requestId: string, params: Params): CaptureEvent[] {
    const r = s.requests.get(requestId);
    if (!r || r.kind !== 'websocket' || r.done) return [];
    const out = this.ensureWsCreated(s, r, params);
    const response = rec(params.response);
    const headers = cdpHeaders(response.headers);
    const t = this.time(params);
    if (num(response.status) === 101) {
      out.push(this.make(s, r.conn, t, { type: 'ws.open', protocol: header(headers, 'sec-websocket-protocol'), extensions: header(headers, 'sec-websocket-extensions') }));
    }
    return out;
  }

  private wsFrame(s: Session, requestId: string, params: Params, dir: 'in' | 'out'): CaptureEvent[] {
    const r = s.requests.get(requestId);
    if (!r || r.kind !== 'websocket' || r.done) return [];
    const frame = rec(params.response);
    const opcode = num(frame.opcode);
    // RFC 6455 §5.2: 1 text, 2 binary; control frames (close, ping, pong) are no messages.
    if (opcode !== 1 && opcode !== 2) return [];
    const data = str(frame.payloadData);
    const payload = opcode === 1 ? this.textPayload(data, utf8Bytes(data).length) : binaryPayload(data, base64Length(data));
    return [...this.ensureWsCreated(s, r, params), this.make(s, r.conn, this.time(params), { type: 'ws.message', dir, data: payload })];
  }

  // --- Helpers ---

  private textPayload(text: string, size: number): Payload {
    const cap = this.options.maxTextChars;
    return text.length > cap ? { size, encoding: 'text', data: text.slice(0, cap), truncated: true } : { size, encoding: 'text', data: text, truncated: false };
  }

  /** Learn the protocol clock from an event carrying both `timestamp` (monotonic s) and `wallTime` (epoch s). */
  private clock(params: Params): void {
    const ts = num(params.timestamp);
    const wall = num(params.wallTime);
    if (ts !== null && wall !== null) this.clockOffsetMs = wall * 1000 - ts * 1000;
  }

  /** Epoch ms of a protocol event: its monotonic `timestamp` on the learnt clock, else now. */
  private time(params: Params): number {
    const ts = num(params.timestamp);
    if (ts === null || this.clockOffsetMs === null) return this.options.now();
    const t = ts * 1000 + this.clockOffsetMs;
    return t > 0 ? t : this.options.now();
  }

  private make<E extends Omit<CaptureEvent, 'seq' | 'pseq' | 't' | 'frameId' | 'doc' | 'conn' | 'origin'>>(s: Session, conn: string, t: number, fields: E): CaptureEvent {
    return { seq: 0, pseq: ++s.pseq, t, frameId: -1, doc: s.doc, conn, origin: { ...s.origin }, ...fields } as unknown as CaptureEvent;
  }
}

/** Decoded length of base64 text. */
function base64Length(b64: string): number {
  const clean = b64.replace(/[^A-Za-z0-9+/]/g, '');
  return Math.floor((clean.length * 3) / 4);
}

/** A binary payload: base64 of the first MAX_BINARY_PREVIEW_BYTES bytes (whole 3-byte groups, so the cut base64 stays valid). */
function binaryPayload(b64: string, size: number): Payload {
  const keepChars = Math.ceil(MAX_BINARY_PREVIEW_BYTES / 3) * 4;
  return b64.length > keepChars ? { size, encoding: 'binary', data: b64.slice(0, keepChars), truncated: true } : { size, encoding: 'binary', data: b64, truncated: false };
}
