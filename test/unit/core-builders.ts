/**
 * Builders of realistic capture event sequences for the core tests: what the
 * page hooks emit for fetch/XHR, EventSource and WebSocket traffic.
 */
import type { CaptureEvent, HeaderList, Payload } from '../../src/core/events.ts';
import type { ChannelReport } from '../../src/core/report-types.ts';
import { bodyHashOf } from '../../src/core/formats/body-hash.ts';
import { bytesToBase64 } from '../../src/core/protocols/util.ts';

export const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);

/** The body hash the page hooks give a text body (src/core/formats/body-hash.ts). */
export function bodyHash(text: string): string {
  return bodyHashOf(new TextEncoder().encode(text));
}

export function text(data: string): Payload {
  return { size: new TextEncoder().encode(data).length, encoding: 'text', data, truncated: false };
}

export interface HttpSpec {
  at: number;
  url: string;
  method?: string;
  transport?: 'fetch' | 'xhr';
  status?: number;
  /** ms from request to response headers. */
  ttfbMs?: number;
  /** ms from request to body end. */
  durationMs?: number;
  body?: string;
  contentType?: string;
  headers?: HeaderList;
  responseHeaders?: HeaderList;
  /** Streamed chunks: [offset ms from request, text]. */
  chunks?: Array<[number, string]>;
  /** Fail instead of completing. */
  error?: 'abort' | 'network' | 'timeout';
  /** Never completes within the capture. */
  pending?: boolean;
}

/** Accumulates events with per-document sequence numbers. */
export class CaptureBuilder {
  readonly events: CaptureEvent[] = [];
  private pseq = 0;
  private n = 0;
  constructor(readonly doc = 'doc1') {}

  private base(t: number) {
    this.pseq++;
    return { seq: this.pseq, pseq: this.pseq, t, frameId: 0, doc: this.doc };
  }

  nextConn(): string {
    return `${this.doc}:${++this.n}`;
  }

  push(e: CaptureEvent): this {
    this.events.push(e);
    return this;
  }

  docStart(t: number, url: string, title: string): this {
    return this.push({ ...this.base(t), type: 'doc.start', url, title, top: true, parentDoc: null });
  }

  http(spec: HttpSpec): string {
    const conn = this.nextConn();
    const transport = spec.transport ?? 'fetch';
    this.push({
      ...this.base(spec.at),
      conn,
      type: 'http.request',
      transport,
      method: spec.method ?? 'GET',
      url: spec.url,
      headers: spec.headers ?? [],
      bodySize: 0,
    });
    const ttfb = spec.ttfbMs ?? Math.min(spec.durationMs ?? 40, 30);
    if (spec.error && spec.status === undefined) {
      this.push({ ...this.base(spec.at + (spec.durationMs ?? ttfb)), conn, type: 'http.error', reason: spec.error, message: 'Failed to fetch' });
      return conn;
    }
    this.push({
      ...this.base(spec.at + ttfb),
      conn,
      type: 'http.response',
      status: spec.status ?? 200,
      statusText: '',
      headers: spec.responseHeaders ?? [],
      url: spec.url,
      contentType: spec.contentType ?? 'application/json',
    });
    for (const [offset, chunk] of spec.chunks ?? []) {
      this.push({ ...this.base(spec.at + offset), conn, type: 'http.chunk', size: chunk.length, preview: chunk });
    }
    if (spec.pending) return conn;
    const end = spec.at + (spec.durationMs ?? 40);
    if (spec.error) {
      this.push({ ...this.base(end), conn, type: 'http.error', reason: spec.error, message: 'network error' });
      return conn;
    }
    const body = spec.body ?? (spec.chunks ? spec.chunks.map((c) => c[1]).join('') : '');
    this.push({
      ...this.base(end),
      conn,
      type: 'http.end',
      size: new TextEncoder().encode(body).length,
      bodyHash: bodyHash(body),
      body: text(body),
    });
    return conn;
  }

  wsCreate(t: number, url: string, protocols: string[] = []): string {
    const conn = this.nextConn();
    this.push({ ...this.base(t), conn, type: 'ws.create', url, protocols });
    return conn;
  }
  wsOpen(t: number, conn: string, protocol = ''): this {
    return this.push({ ...this.base(t), conn, type: 'ws.open', protocol, extensions: '' });
  }
  wsMsg(t: number, conn: string, dir: 'in' | 'out', data: string): this {
    return this.push({ ...this.base(t), conn, type: 'ws.message', dir, data: text(data) });
  }
  wsError(t: number, conn: string): this {
    return this.push({ ...this.base(t), conn, type: 'ws.error' });
  }
  wsClose(t: number, conn: string, code: number, reason = '', initiator: 'client' | 'server' = 'server'): this {
    return this.push({ ...this.base(t), conn, type: 'ws.close', code, reason, wasClean: code !== 1006, initiator });
  }

  esCreate(t: number, url: string): string {
    const conn = this.nextConn();
    this.push({ ...this.base(t), conn, type: 'sse.create', transport: 'eventsource', url, withCredentials: false });
    return conn;
  }
  sseFor(t: number, conn: string, transport: 'fetch' | 'xhr', url: string): this {
    return this.push({ ...this.base(t), conn, type: 'sse.create', transport, url, withCredentials: false });
  }
  esOpen(t: number, conn: string): this {
    return this.push({ ...this.base(t), conn, type: 'sse.open' });
  }
  esMsg(t: number, conn: string, data: string, opts: { event?: string; id?: string | null; retry?: number | null } = {}): this {
    return this.push({
      ...this.base(t),
      conn,
      type: 'sse.message',
      event: opts.event ?? 'message',
      data: text(data),
      id: opts.id ?? null,
      lastEventId: opts.id ?? '',
      retry: opts.retry ?? null,
    });
  }
  esComment(t: number, conn: string, comment: string): this {
    return this.push({ ...this.base(t), conn, type: 'sse.comment', text: comment });
  }
  esError(t: number, conn: string, readyState: number): this {
    return this.push({ ...this.base(t), conn, type: 'sse.error', readyState });
  }
  esClose(t: number, conn: string): this {
    return this.push({ ...this.base(t), conn, type: 'sse.close' });
  }
  /** A WebSocket to `url` that opens 30 ms after `t`; its conn. */
  wsUp(t: number, url: string): string {
    const conn = this.wsCreate(t, url);
    this.wsOpen(t + 30, conn);
    return conn;
  }

  /** Failed attempts to `url` (error, then 1006 before open, 5 ms after each start), each `delays[i]` after the previous one ended; the last end. */
  wsRetriesFailing(t: number, url: string, delays: readonly number[]): number {
    let end = t;
    for (const d of delays) {
      const c = this.wsCreate(end + d, url);
      this.wsError(end + d + 5, c);
      end += d + 5;
      this.wsClose(end, c, 1006, '', 'server');
    }
    return end;
  }

  /** The browser's online/offline event (page.network). */
  network(t: number, online: boolean): this {
    return this.push({ ...this.base(t), type: 'page.network', online });
  }

  fault(t: number, fault: 'drop' | 'offline' | 'close' | 'stall' | 'latency', conn: string | null): this {
    return this.push({ ...this.base(t), type: 'fault', fault, conn, params: {}, phase: 'instant' });
  }
  /** Recording paused (on = false) or resumed, as the background marks it. */
  recording(t: number, on: boolean): this {
    return this.push({ ...this.base(t), doc: 'background', type: 'capture.recording', on });
  }
  dropped(t: number, count: number): this {
    return this.push({ ...this.base(t), type: 'capture.dropped', count, where: 'relay' });
  }

  /**
   * A GraphQL subscription over multipart/mixed (Apollo Client's accept header) whose body
   * arrives as `chunks` ([ms after T0, text]); `ended`: the response completed, with the
   * closing boundary. Returns the connection id.
   */
  graphqlMultipart(chunks: Array<[number, string]>, opts: { ended: boolean; durationMs: number }): string {
    return this.http({
      at: T0,
      url: 'https://api.example/graphql',
      method: 'POST',
      contentType: 'multipart/mixed',
      headers: [['accept', 'multipart/mixed;boundary="graphql";subscriptionSpec=1.0,application/json']],
      chunks,
      pending: !opts.ended,
      durationMs: opts.durationMs,
      ...(opts.ended ? { body: `${chunks.map((c) => c[1]).join('')}--\r\n` } : {}),
    });
  }

  /** A chunk of a binary streamed body at `t`, its bytes carried as the hooks report them (http.chunk `data`, base64). */
  binaryChunk(t: number, conn: string, bytes: Uint8Array, pseq: number): this {
    return this.push({ type: 'http.chunk', seq: pseq, pseq, t, frameId: 0, doc: this.doc, conn, size: bytes.length, preview: '', data: { size: bytes.length, encoding: 'binary', data: bytesToBase64(bytes), truncated: false } });
  }

  /** Events sorted by time (builders may add connections out of order). */
  sorted(): CaptureEvent[] {
    return this.events.slice().sort((a, b) => a.t - b.t || a.pseq - b.pseq);
  }
}

/** Polling every `intervalMs` (fixed-rate) with the given bodies. */
export function pollingCapture(opts: { url: string; intervalMs: number; bodies: string[]; durationMs?: number; status?: (i: number) => number }): CaptureBuilder {
  const b = new CaptureBuilder();
  b.docStart(T0 - 100, 'https://app.example/', 'Dashboard');
  opts.bodies.forEach((body, i) => {
    b.http({ at: T0 + i * opts.intervalMs, url: opts.url.replace('{i}', String(1700000000000 + i * opts.intervalMs)), durationMs: opts.durationMs ?? 40, body, status: opts.status?.(i) });
  });
  return b;
}

/** A gRPC-web length-prefixed envelope: a flags byte (0x80: trailers), the payload's length (big-endian u32), the payload. */
export function grpcWebEnvelope(flags: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, payload.length);
  out.set(payload, 5);
  return out;
}

/** A channel report with nothing measured: the identity is what `over` sets (id, url, kind...). */
export function channelReport(over: Partial<ChannelReport>): ChannelReport {
  return {
    id: 'c',
    kind: 'websocket',
    confidence: 1,
    evidence: '',
    url: 'ws://h/socket',
    sampleUrl: 'ws://h/socket',
    transport: 'websocket',
    protocol: null,
    requests: 0,
    connections: 1,
    messages: { in: 0, out: 0 },
    bytes: { in: 0, out: 0 },
    wasted: 0,
    wasteRatio: null,
    wastedBytes: 0,
    intervalMs: null,
    durationMs: null,
    stalenessMs: null,
    gapMs: null,
    timeToFirstByteMs: null,
    heartbeat: null,
    reconnects: [],
    backoff: null,
    stalls: [],
    load: null,
    findings: [],
    advice: null,
    ...over,
  };
}
