/**
 * The capture schema: every fact the page hooks observe, as one versioned
 * discriminated union. The page, the relay, the background, the panel, the CLI
 * and HAR import all speak it. Documented in docs/capture-format.md.
 *
 * Conventions:
 * - `t` is epoch milliseconds with sub-millisecond precision
 *   (performance.timeOrigin + performance.now()).
 * - `conn` identifies one request or one connection inside a document
 *   (`<docId>:<n>`); every event of that request/connection carries it.
 * - `seq` is assigned per tab by the background (monotonic, gap-free unless
 *   events were dropped, which is then counted in a `capture.dropped` event).
 *   Events not yet sequenced (in the page or the relay) carry `seq: 0`.
 * - `pseq` is the per-document sequence number assigned in the page; the
 *   background uses (doc, pseq) to acknowledge and de-duplicate.
 */

export const CAPTURE_SCHEMA_VERSION = 1;

/** Which page API a request or connection went through. */
export type Transport = 'fetch' | 'xhr' | 'eventsource' | 'websocket' | 'webtransport';

/** fetch and XMLHttpRequest: request/response transports (requests, statuses, bodies), as opposed to EventSource, WebSocket and WebTransport. */
export function isHttp(transport: Transport): boolean {
  return transport === 'fetch' || transport === 'xhr';
}

/** Headers as an ordered list of [name, value] pairs (names lower-cased). */
export type HeaderList = Array<[string, string]>;

/** Direction of a message relative to the page. */
export type Direction = 'in' | 'out';

/** A bounded view of a payload. */
export interface Payload {
  /** Total size in bytes (UTF-8 for text). */
  size: number;
  /** 'text' for strings, 'binary' for ArrayBuffer/Blob/typed arrays. */
  encoding: 'text' | 'binary';
  /** Text (up to the capture cap) or base64 of the first bytes for binary. */
  data: string;
  /** True when `data` holds less than the whole payload. */
  truncated: boolean;
  /**
   * Set when the page hooks kept only the message's first bytes because its connection
   * ran above the payload budget (a flood; src/content/page/payload.ts TextBudget): the
   * message is recorded, its text sampled. Absent otherwise.
   */
  sampled?: true;
}

interface Base {
  /** Per-tab sequence number (0 until the background assigns it). */
  seq: number;
  /** Per-document sequence number assigned in the page. */
  pseq: number;
  /** Epoch ms, sub-millisecond precision. */
  t: number;
  /** Chrome frame id (0 = top frame); -1 when unknown (imports). */
  frameId: number;
  /** Document id: unique per document load (navigation creates a new one). */
  doc: string;
}

/** Which kind of worker a request or connection came from (HTML §10.2 Workers; Service Workers §3). */
export type WorkerKind = 'dedicated' | 'shared' | 'service';

/**
 * The worker a request or connection ran in, for traffic captured over the DevTools
 * protocol (src/core/formats/cdp-network.ts); absent for the page's own traffic.
 */
export interface WorkerOrigin {
  kind: WorkerKind;
  /** The worker's script URL. */
  url: string;
}

interface ConnBase extends Base {
  /** Request/connection id, unique within the tab capture. */
  conn: string;
  /** Set when the request or connection ran in a worker rather than in a document (never by the page hooks). */
  origin?: WorkerOrigin;
}

/** A document started (one per frame load): the navigation boundary. */
export interface DocStartEvent extends Base {
  type: 'doc.start';
  url: string;
  title: string;
  /** True for the top-level document of the tab. */
  top: boolean;
  /** Document id of the parent frame's document, when known. */
  parentDoc: string | null;
}

/** An HTTP request issued by fetch or XMLHttpRequest. */
export interface HttpRequestEvent extends ConnBase {
  type: 'http.request';
  transport: 'fetch' | 'xhr';
  method: string;
  url: string;
  headers: HeaderList;
  /** Request body size in bytes; null when unknown (a stream). */
  bodySize: number | null;
  /** XHR only: synchronous request. */
  sync?: boolean;
}

/** Response headers received (time to first byte). */
export interface HttpResponseEvent extends ConnBase {
  type: 'http.response';
  status: number;
  statusText: string;
  headers: HeaderList;
  /** Final URL after redirects. */
  url: string;
  /** Lower-cased media type without parameters, '' when absent. */
  contentType: string;
}

/** One chunk of a streamed response body (streaming fetch, XHR progress). */
export interface HttpChunkEvent extends ConnBase {
  type: 'http.chunk';
  size: number;
  /** Bounded preview of the chunk's text; '' for binary. */
  preview: string;
  /**
   * Binary streaming media types only (gRPC-web, Connect `+proto`): the chunk's bytes, base64 of
   * at most the first 4096 (fewer when the text cap is smaller), `truncated` when some were left
   * out. Absent for text chunks (the preview holds them) and for other binary bodies.
   */
  data?: Payload;
}

/** The response body completed. */
export interface HttpEndEvent extends ConnBase {
  type: 'http.end';
  /** Decoded body size in bytes as the page sees it. */
  size: number;
  /**
   * Hash of the body for "unchanged response" tests: a 32-bit hash as 8 hex digits (src/core/formats/body-hash.ts) of every byte
   * up to 1 MiB (FULL_BODY_HASH_MAX_BYTES); beyond, the page hooks hash samples, the end and the size (`<16 hex>~<size>`). Null
   * when not computed.
   */
  bodyHash: string | null;
  /** Bounded body text; binary bodies are base64 of their first bytes. */
  body: Payload | null;
}

/**
 * The browser's Resource Timing entry of a fetch/XHR request (PerformanceResourceTiming),
 * matched to the request by URL and start time. Sent once the entry exists (after the body
 * completed); absent when the page's performance timeline has none (buffer full, a cleared
 * timeline, no entry for the initiator).
 */
export interface HttpTimingEvent extends ConnBase {
  type: 'http.timing';
  /**
   * From the request's start to its sending, less DNS and connection set-up: the time it
   * queued for a connection (HAR's `timings.blocked`). Null when the entry hides its detail
   * (cross-origin without Timing-Allow-Origin: requestStart is 0).
   */
  blockedMs: number | null;
  /** nextHopProtocol: 'http/1.1', 'h2', 'h3'…, '' when hidden or unknown. */
  protocol: string;
}

/** The request failed: abort, network error, timeout. */
export interface HttpErrorEvent extends ConnBase {
  type: 'http.error';
  reason: 'abort' | 'network' | 'timeout';
  message: string;
}

/** An EventSource was constructed (or an SSE stream began on fetch/XHR). */
export interface SseCreateEvent extends ConnBase {
  type: 'sse.create';
  transport: 'eventsource' | 'fetch' | 'xhr';
  url: string;
  withCredentials: boolean;
}

/** The SSE connection opened (EventSource `open`; repeated opens are reconnects). */
export interface SseOpenEvent extends ConnBase {
  type: 'sse.open';
}

/** One dispatched SSE event. */
export interface SseMessageEvent extends ConnBase {
  type: 'sse.message';
  /** Event type ('message' when no `event:` field). */
  event: string;
  data: Payload;
  /**
   * The `id:` field of this event, null when it had none. From a native EventSource (which
   * shows only `lastEventId`): the last event id when it changed with this event; after
   * events whose id was not read (`idUnread`), when it changed since the last one read.
   */
  id: string | null;
  /** The stream's last event id after this event. */
  lastEventId: string;
  /** A `retry:` value seen since the previous event, null when none. */
  retry: number | null;
  /**
   * The page hooks did not read this event's last event id (a native EventSource above
   * 1,000 events a second: one read every 10 ms after that): `id` is null and `lastEventId`
   * the last value read before it (src/content/page/event-source.ts, IdReads).
   */
  idUnread?: true;
}

/** An SSE comment line (only visible on fetch/XHR-read streams). */
export interface SseCommentEvent extends ConnBase {
  type: 'sse.comment';
  text: string;
}

/** EventSource `error` (readyState tells reconnecting (0) from closed (2)). */
export interface SseErrorEvent extends ConnBase {
  type: 'sse.error';
  readyState: number;
}

/** The page called EventSource.close(). */
export interface SseCloseEvent extends ConnBase {
  type: 'sse.close';
}

/** A WebSocket was constructed. */
export interface WsCreateEvent extends ConnBase {
  type: 'ws.create';
  url: string;
  protocols: string[];
}

/** The WebSocket opened. */
export interface WsOpenEvent extends ConnBase {
  type: 'ws.open';
  protocol: string;
  extensions: string;
}

/** One WebSocket message, either direction. */
export interface WsMessageEvent extends ConnBase {
  type: 'ws.message';
  dir: Direction;
  data: Payload;
}

/** The WebSocket closed. */
export interface WsCloseEvent extends ConnBase {
  type: 'ws.close';
  code: number;
  reason: string;
  wasClean: boolean;
  /** Who started the close: the page (close() called) or the server/network. */
  initiator: 'client' | 'server';
}

/** The WebSocket fired `error`. */
export interface WsErrorEvent extends ConnBase {
  type: 'ws.error';
}

/** bufferedAmount grew past a threshold after a send (backpressure). */
export interface WsBufferedEvent extends ConnBase {
  type: 'ws.buffered';
  bufferedAmount: number;
}

/** A WebTransport session was constructed (the URL as the page gave it). */
export interface WtCreateEvent extends ConnBase {
  type: 'wt.create';
  url: string;
}

/** The session's `ready` promise resolved: the HTTP/3 handshake succeeded. */
export interface WtReadyEvent extends ConnBase {
  type: 'wt.ready';
  /** The negotiated application protocol (`WebTransport.protocol`), '' when none. */
  protocol: string;
}

/** The session's `closed` promise resolved: it ended cleanly, with the WebTransportCloseInfo. */
export interface WtCloseEvent extends ConnBase {
  type: 'wt.close';
  /** WebTransportCloseInfo.closeCode (an unsigned 32-bit application code). */
  code: number;
  reason: string;
  /** The page called close(), or the server (or the network) ended it. */
  initiator: 'client' | 'server';
}

/** The session failed: `closed` rejected (and `ready` too when it never opened), with this error. */
export interface WtErrorEvent extends ConnBase {
  type: 'wt.error';
  /** The error's name ('WebTransportError' in Chromium). */
  name: string;
  message: string;
  /** WebTransportError.source: 'session' or 'stream'; '' for another kind of error. */
  source: string;
}

/** A stream of the session opened, by the page (create…Stream) or by the server (incoming…Streams). */
export interface WtStreamEvent extends ConnBase {
  type: 'wt.stream';
  /** The stream's number in its session (1, 2, … in the order the hooks saw them; not the QUIC stream id). */
  stream: number;
  /** Bidirectional, or unidirectional (client→server when the page opened it, server→client otherwise). */
  bidi: boolean;
  initiator: 'client' | 'server';
}

/** Bytes on a stream: written by the page (`out`) or read by the page (`in`, as its reads returned them). */
export interface WtDataEvent extends ConnBase {
  type: 'wt.data';
  stream: number;
  dir: Direction;
  data: Payload;
}

/** One side of a stream ended: its end was read or written (`end`), the page cancelled or aborted it, or it errored. */
export interface WtStreamEndEvent extends ConnBase {
  type: 'wt.stream.end';
  stream: number;
  dir: Direction;
  how: 'end' | 'cancel' | 'abort' | 'error';
  /** The error's message for `error`, '' otherwise. */
  message: string;
}

/** One datagram, sent by the page (`out`) or read by the page (`in`). */
export interface WtDatagramEvent extends ConnBase {
  type: 'wt.datagram';
  dir: Direction;
  data: Payload;
}

/**
 * The document came back from the back/forward cache (a Back or Forward navigation):
 * it was frozen, its timers and connections stopped, from `cachedAt` (pagehide) until
 * `t` (pageshow). Made by the background from what the relay saw of the browser's own
 * page-lifecycle events (a page cannot send it). The analysis reads nothing into the
 * document's silence in that window, as for a recording pause; the panel's default
 * view starts at a top-level one as at a `doc.start`.
 */
export interface DocRestoredEvent extends Base {
  type: 'doc.restored';
  cachedAt: number;
}

/**
 * The browser froze the document and resumed it: from `frozenAt` (its `freeze` event) until `t`
 * (its `resume` event) none of its tasks ran, its timers, network events and message handlers
 * included (Page Lifecycle; Chrome 133+ freezes CPU-intensive tabs hidden for 5 minutes under
 * Energy Saver, WebSockets or not). A stay in the back/forward cache is a `doc.restored`, not this.
 * What arrived meanwhile is delivered at `t`, all at once. Made by the background from what the
 * relay saw of the browser's own lifecycle events (a page cannot send it). The analysis reads
 * nothing into the document's silence in that window, as for a stay in the back/forward cache.
 */
export interface DocResumedEvent extends Base {
  type: 'doc.resumed';
  frozenAt: number;
}

/**
 * The document is gone: its frame's link to the extension closed and did not come back (the
 * page navigated or reloaded, the tab was discarded to save memory or closed, the renderer
 * crashed, or the document went into the back/forward cache, which `doc.restored` then ends).
 * The browser tears its connections down without telling the page, so none of them gets a
 * close event: the analysis ends the connections the document left open at `t`, instead of
 * reading them as open and silent until the capture ends. Made by the background (a page
 * cannot send it).
 */
export interface DocEndEvent extends Base {
  type: 'doc.end';
}

/**
 * The browser said the page's network went away (`online: false`: the window's `offline`
 * event, or navigator.onLine false when the document started) or came back (`online: true`:
 * the `online` event). Chrome fires these when the OS reports no usable network (Wi-Fi off,
 * cable out, airplane mode, a laptop waking from sleep) and under DevTools' offline
 * throttling. The analysis names 'network offline' as the cause of the drops and failed
 * attempts such a window explains.
 */
export interface PageNetworkEvent extends Base {
  type: 'page.network';
  online: boolean;
}

/** A fault injected by Realtime Inspector (so analysis can tell it from organic failures). */
export interface FaultEvent extends Base {
  type: 'fault';
  fault: 'drop' | 'offline' | 'close' | 'stall' | 'latency';
  /** Connection affected, null for page-wide faults. */
  conn: string | null;
  /** Fault parameters (duration, close code...). */
  params: Record<string, number | string>;
  /** 'start' or 'end' for windowed faults, 'instant' otherwise. */
  phase: 'start' | 'end' | 'instant';
}

/** Events lost to a bound, counted where they were lost. */
export interface DroppedEvent extends Base {
  type: 'capture.dropped';
  count: number;
  where: 'page' | 'relay' | 'background';
}

/**
 * Recording was paused (`on: false`) or resumed (`on: true`) for the tab. Made by the
 * background only (a page cannot send it); the analysis does not read a gap in
 * traffic while paused as a gap in the page's behaviour.
 */
export interface RecordingEvent extends Base {
  type: 'capture.recording';
  on: boolean;
}

/** A hook failed internally; the page's call still went through. */
export interface HookErrorEvent extends Base {
  type: 'hook.error';
  hook: string;
  message: string;
}

/** Every captured event. */
export type CaptureEvent =
  | DocStartEvent
  | DocRestoredEvent
  | DocResumedEvent
  | DocEndEvent
  | PageNetworkEvent
  | HttpRequestEvent
  | HttpResponseEvent
  | HttpChunkEvent
  | HttpEndEvent
  | HttpTimingEvent
  | HttpErrorEvent
  | SseCreateEvent
  | SseOpenEvent
  | SseMessageEvent
  | SseCommentEvent
  | SseErrorEvent
  | SseCloseEvent
  | WsCreateEvent
  | WsOpenEvent
  | WsMessageEvent
  | WsCloseEvent
  | WsErrorEvent
  | WsBufferedEvent
  | WtCreateEvent
  | WtReadyEvent
  | WtCloseEvent
  | WtErrorEvent
  | WtStreamEvent
  | WtDataEvent
  | WtStreamEndEvent
  | WtDatagramEvent
  | FaultEvent
  | DroppedEvent
  | RecordingEvent
  | HookErrorEvent;

/** The `type` tag of every captured event. */
export type CaptureEventType = CaptureEvent['type'];

/** Narrow the union by tag. */
export type EventOf<T extends CaptureEventType> = Extract<CaptureEvent, { type: T }>;

/** A capture file: what the panel exports and the CLI analyses. */
export interface CaptureFile {
  format: 'realtime-inspector-capture';
  version: typeof CAPTURE_SCHEMA_VERSION;
  createdAt: string;
  page: { url: string; title: string };
  /** True when credentials were redacted on export. */
  redacted: boolean;
  events: CaptureEvent[];
}
