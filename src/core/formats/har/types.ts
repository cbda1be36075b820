/**
 * The HAR 1.2 shape (w3c.github.io/web-performance/specs/HAR/Overview.html) as
 * the browsers write it, with Chrome DevTools' extensions (`_resourceType`,
 * `_webSocketMessages`, `_eventSourceMessages`) and our own fields, which HAR
 * viewers ignore and our import reads back (docs/capture-format.md).
 */
import type { CaptureEvent, WorkerOrigin } from '../../events.ts';

export interface HarNameValue {
  name: string;
  value: string;
}

/**
 * A WebSocket frame as Chrome DevTools writes it (front_end/models/har/Log.ts:
 * `{type, time, opcode, data}` from the request's frames). On import Chrome's
 * `type: 'error'` (opcode -1, a handshake or frame error) is read too; see
 * source.ts for the clock each tool uses for `time`.
 */
export interface HarWebSocketMessage {
  type: 'send' | 'receive';
  /** Epoch seconds in Chrome's HAR and ours. */
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
  /** Ours: the hooks did not read this event's id (a flood; `sse.message` idUnread). */
  _idUnread?: true;
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
export interface EntryExtras {
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
  /** The worker the request or connection ran in (worker traffic, docs/capture-format.md). */
  origin?: WorkerOrigin;
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
