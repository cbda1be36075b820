/**
 * The message list's model: one row per frame, SSE event, HTTP request/response
 * or connection-state change of a channel. Built incrementally (only events
 * not yet seen become rows); payload rows are labelled by the protocol decoder
 * when first shown, and typed (data/heartbeat/control) by the core's series.
 */
import { SequenceLabeller, decodeMessage, flattenDecoded, formatBytes, getDecoder, isFramedStream } from '../core/index.ts';
import type { CaptureEvent, ChannelSeries, Direction, MessageContext, MessageRole, Payload, SseMessageEvent } from '../core/index.ts';

/** The three groups a user filters by. */
export type MessageKind = 'data' | 'heartbeat' | 'control';

export interface MessageRow {
  seq: number;
  t: number;
  /** null for state changes (open, close, error). */
  dir: Direction | null;
  size: number;
  kind: MessageKind;
  /**
   * The row's label. Payload rows are labelled by the protocol decoder lazily,
   * when first shown (`MessageIndex.label`): decoding 100k frames up front would stall the panel.
   */
  label: string | null;
  /** Text besides the payload that search matches (SSE event name, state-change text). */
  extra: string;
  payload: Payload | null;
  conn: string;
  /** The captured event the row shows (what tells two rows apart: seq need not be unique in an imported file). */
  event: CaptureEvent;
}

function preview(text: string, max = 80): string {
  const oneLine = text.slice(0, max * 4).replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

function decodedLabel(protocol: string | null, data: Payload, dir: Direction, context?: MessageContext): string {
  try {
    const d = decodeMessage(protocol, data, dir, context);
    if (d.label) return d.label;
  } catch {
    // A decoder must not throw; if one does, the raw preview below still labels the row.
  }
  return data.encoding === 'binary' ? `binary ${formatBytes(data.size)}` : preview(data.data);
}

function pathOf(url: string): string {
  try {
    const u = new URL(url);
    return u.pathname + u.search;
  } catch {
    return url;
  }
}

function state(e: CaptureEvent & { conn?: string | null }, label: string): MessageRow {
  return { seq: e.seq, t: e.t, dir: null, size: 0, kind: 'control', label, extra: label, payload: null, conn: e.conn ?? '', event: e };
}

/** The payload a row shows (and a regex search reads), or null for rows without one. */
function rowPayload(e: CaptureEvent): Payload | null {
  switch (e.type) {
    case 'ws.message':
    case 'sse.message':
      return e.data;
    case 'sse.comment':
      return { size: e.text.length, encoding: 'text', data: e.text, truncated: false };
    case 'http.chunk':
      return e.data ?? { size: e.size, encoding: 'text', data: e.preview, truncated: e.preview.length < e.size };
    case 'http.end':
      return e.body;
    default:
      return null;
  }
}

function sseExtra(e: SseMessageEvent): string {
  return `${e.event !== 'message' ? `event: ${e.event}` : ''}${e.id !== null ? ` id=${e.id}` : ''}`.trim();
}

/** Turn one captured event into a row, or null when it is not shown in the list. */
/**
 * Who closed a socket, as far as the page can tell. 1006 is never sent by anyone: the browser reports it
 * when the connection ended without a close frame (RFC 6455 §7.4.1), so "by server" would blame a party
 * that may never have been reached (a refused connection, a dropped network).
 */
function closedBy(initiator: 'client' | 'server', code: number, wasClean: boolean): string {
  if (initiator === 'client') return 'by the page';
  if (code === 1006) return '(abnormal: no close frame)';
  return `by the server${wasClean ? '' : ' (unclean)'}`;
}

export function eventToRow(e: CaptureEvent): MessageRow | null {
  switch (e.type) {
    case 'ws.message':
      return { seq: e.seq, t: e.t, dir: e.dir, size: e.data.size, kind: 'data', label: null, extra: '', payload: e.data, conn: e.conn, event: e };
    case 'sse.message':
      return { seq: e.seq, t: e.t, dir: 'in', size: e.data.size, kind: 'data', label: null, extra: sseExtra(e), payload: e.data, conn: e.conn, event: e };
    case 'sse.comment':
      return { seq: e.seq, t: e.t, dir: 'in', size: e.text.length, kind: 'heartbeat', label: `: ${preview(e.text)}`, extra: '', payload: rowPayload(e), conn: e.conn, event: e };
    case 'http.request': {
      const label = `${e.method} ${pathOf(e.url)}`;
      return { seq: e.seq, t: e.t, dir: 'out', size: e.bodySize ?? 0, kind: 'data', label, extra: label, payload: null, conn: e.conn, event: e };
    }
    case 'http.response':
      return state(e, `${e.status} ${e.statusText} ${e.contentType}`.trim());
    case 'http.chunk':
      return { seq: e.seq, t: e.t, dir: 'in', size: e.size, kind: 'data', label: `chunk ${preview(e.preview) || formatBytes(e.size)}`, extra: '', payload: rowPayload(e), conn: e.conn, event: e };
    case 'http.end':
      return { seq: e.seq, t: e.t, dir: 'in', size: e.size, kind: 'data', label: e.body ? null : `response ${formatBytes(e.size)}`, extra: `response ${formatBytes(e.size)}`, payload: e.body, conn: e.conn, event: e };
    case 'http.error':
      return state(e, `request failed: ${e.reason}${e.message ? ` (${preview(e.message, 60)})` : ''}`);
    case 'ws.create':
      return state(e, `connect${e.protocols.length ? ` [${e.protocols.join(', ')}]` : ''}`);
    case 'ws.open':
      return state(e, `open${e.protocol ? ` protocol=${e.protocol}` : ''}`);
    case 'ws.close':
      return state(e, `close ${e.code}${e.reason ? ` "${preview(e.reason, 40)}"` : ''} ${closedBy(e.initiator, e.code, e.wasClean)}`);
    case 'ws.error':
      return state(e, 'error');
    case 'sse.create':
      return state(e, `connect (${e.transport})`);
    case 'sse.open':
      return state(e, 'open');
    case 'sse.error':
      return state(e, e.readyState === 2 ? 'error, closed' : 'error, reconnecting');
    case 'sse.close':
      return state(e, 'closed by page');
    case 'wt.create':
      return state(e, 'connect (WebTransport)');
    case 'wt.ready':
      return state(e, `ready${e.protocol ? ` protocol=${e.protocol}` : ''}`);
    case 'wt.close':
      return state(e, `close ${e.code}${e.reason ? ` "${preview(e.reason, 40)}"` : ''} by ${e.initiator === 'client' ? 'the page' : 'the server'}`);
    case 'wt.error':
      return state(e, `failed: ${e.name}${e.message ? ` ${preview(e.message, 60)}` : ''}`);
    case 'wt.stream':
      return state(e, `stream ${e.stream} opened by ${e.initiator === 'client' ? 'the page' : 'the server'} (${e.bidi ? 'bidirectional' : 'unidirectional'})`);
    case 'wt.data':
      return { seq: e.seq, t: e.t, dir: e.dir, size: e.data.size, kind: 'data', label: null, extra: `stream ${e.stream}`, payload: e.data, conn: e.conn, event: e };
    case 'wt.stream.end':
      return state(e, `stream ${e.stream} ${e.dir === 'out' ? 'sending' : 'receiving'} side: ${e.how}${e.message ? ` (${preview(e.message, 60)})` : ''}`);
    case 'wt.datagram':
      return { seq: e.seq, t: e.t, dir: e.dir, size: e.data.size, kind: 'data', label: null, extra: 'datagram', payload: e.data, conn: e.conn, event: e };
    case 'fault':
      return state(e, `injected fault: ${e.fault} ${e.phase}`);
    default:
      return null;
  }
}

/** Kinds the core's series gives messages that are not plain data: time → kind per direction. */
export interface MessageRoles {
  in: Map<number, MessageKind>;
  out: Map<number, MessageKind>;
}

/** Collect the non-data roles of a channel's series (few: heartbeats, handshakes, acks). */
export function rolesOf(series: Pick<ChannelSeries, 'messages'>): MessageRoles {
  const roles: MessageRoles = { in: new Map(), out: new Map() };
  const m = series.messages;
  for (let i = 0; i < m.t.length; i++) {
    const role = m.role[i];
    if (role && role !== 'data') (m.dir[i] === 0 ? roles.in : roles.out).set(m.t[i]!, role);
  }
  return roles;
}

/** The list's kind of a frame's protocol role (as the core's series counts it: src/core/series.ts roleOf). */
const kindOfRole = (role: MessageRole): MessageKind => (role === 'heartbeat' ? 'heartbeat' : role === 'data' ? 'data' : 'control');

/** A frame a chunk of a streamed body completed (a gRPC-web envelope, a multipart part): one row each. */
interface ChunkFrame {
  label: string;
  kind: MessageKind;
  size: number;
}

const DIRS: ReadonlyArray<Direction | null> = [null, 'in', 'out'];
const KINDS: readonly MessageKind[] = ['data', 'heartbeat', 'control'];
const dirCode = (dir: Direction | null) => (dir === null ? 0 : dir === 'in' ? 1 : 2);
const kindCode = (kind: MessageKind) => (kind === 'data' ? 0 : kind === 'heartbeat' ? 1 : 2);
const DATA = 0;

/**
 * Rows of one channel, extended as its events grow.
 *
 * Stored as columns: time, size, direction and kind in typed arrays (their
 * buffers are outside the JS heap), and per row only references to the row's
 * event, its label once decoded and its extra text (mostly the one shared empty
 * string). A row object per message (100,000 of them on a busy channel, each
 * with a boxed time) was a large share of what the panel's major GCs marked and
 * moved while a channel was open; `row(i)` builds one for the few rows shown.
 */
export class MessageIndex {
  private n = 0;
  private t = new Float64Array(64);
  private sizes = new Float64Array(64);
  private dirs = new Uint8Array(64);
  private kinds = new Uint8Array(64);
  /** The event of each row: payload, seq and connection are read from it; an eviction finds the rows of the events let go by identity (dropGone). */
  private readonly rowEvents: CaptureEvent[] = [];
  /** Each row's label: decoded lazily for payload rows (null until first shown), set at indexing for the others. */
  private readonly labels: Array<string | null> = [];
  /** The text a regex search reads in each row's payload: the event's own string (no copy), or null. */
  private readonly texts: Array<string | null> = [];
  /** Text besides the payload that search matches (SSE event name, state-change text); mostly the one shared empty string. */
  private readonly extras: string[] = [];
  private seen = 0;
  private first: CaptureEvent | undefined;
  private last: CaptureEvent | undefined;
  /** The events indexed last (the array given to `update`). */
  private indexed: readonly CaptureEvent[] = [];
  /** Rows whose kind applyRoles set (reset to data before the next roles apply). */
  private marked: number[] = [];

  /**
   * Protocols whose packets span messages (MQTT, STOMP): each connection's frames are
   * labelled as they are indexed, in order, by a decoder that keeps the unfinished packet
   * (the lazy, row-by-row labelling would show the later pieces as raw bytes).
   */
  /** Labels of protocols whose packets span messages (MQTT, STOMP): the core's labeller, with the list's own state. */
  private readonly sequences: SequenceLabeller | null;
  /** Response media type of each request (http.response), to know the streams whose chunks hold frames. */
  private readonly contentTypes = new Map<string, string>();
  /**
   * The frames each chunk of a framed stream (gRPC-web, Connect, multipart; the same labeller
   * reads them across chunks) completed, one row each: decoded once, when the chunk is indexed
   * (a re-indexing reuses them). A chunk that completed none keeps one row, labelled with what is pending.
   */
  private readonly chunkFrames = new WeakMap<CaptureEvent, ChunkFrame[]>();
  /** Requests whose chunks gave frames: their http.end row is not decoded again (its frames are listed already). */
  private readonly streamed = new Set<string>();

  constructor(readonly protocol: string | null) {
    this.sequences = protocol !== null ? SequenceLabeller.of(getDecoder(protocol)) : null;
  }

  /** Number of rows. */
  get length(): number {
    return this.n;
  }

  /** Row i, built for showing it (its label decoded). */
  row(i: number): MessageRow {
    const e = this.rowEvents[i]!;
    const dir = DIRS[this.dirs[i]!]!;
    return {
      seq: e.seq,
      t: this.t[i]!,
      dir,
      size: this.sizes[i]!,
      kind: KINDS[this.kinds[i]!]!,
      label: this.label(i),
      extra: this.extras[i]!,
      payload: rowPayload(e),
      conn: 'conn' in e ? (e.conn ?? '') : '',
      event: e,
    };
  }

  /** Every row (for a whole-list read; the view builds only the rows it shows). */
  allRows(): MessageRow[] {
    const out: MessageRow[] = [];
    for (let i = 0; i < this.n; i++) out.push(this.row(i));
    return out;
  }

  /** The event row i shows. */
  eventAt(i: number): CaptureEvent | undefined {
    return i >= 0 && i < this.n ? this.rowEvents[i] : undefined;
  }

  /** The row showing `event` (rows are in time order: found by binary search), or -1 once it is gone. */
  indexOf(event: CaptureEvent): number {
    for (let i = this.searchTime(event.t, false, 0, this.n); i < this.n && this.t[i] === event.t; i++) {
      if (this.rowEvents[i] === event) return i;
    }
    return -1;
  }

  /** Row i's label, decoding its payload on first use. */
  label(i: number): string {
    let label = this.labels[i];
    if (label === null || label === undefined) {
      const e = this.rowEvents[i]!;
      const payload = rowPayload(e);
      // SSE messages: the event name is part of the message (graphql-sse's next/complete).
      const context = e.type === 'sse.message' ? { event: e.event } : undefined;
      const decoded = payload ? decodedLabel(this.protocol, payload, DIRS[this.dirs[i]!] ?? 'in', context) : '';
      const extra = this.extras[i]!;
      label = extra ? `${extra} ${decoded}` : decoded;
      this.labels[i] = label;
    }
    return label;
  }

  /** Whether row i's label is decoded already (payload labels are decoded when first shown). */
  labelled(i: number): boolean {
    return this.labels[i] != null;
  }

  private grow(need: number): void {
    if (need <= this.t.length) return;
    let cap = this.t.length;
    while (cap < need) cap *= 2;
    const t = new Float64Array(cap);
    t.set(this.t.subarray(0, this.n));
    const sizes = new Float64Array(cap);
    sizes.set(this.sizes.subarray(0, this.n));
    const dirs = new Uint8Array(cap);
    dirs.set(this.dirs.subarray(0, this.n));
    const kinds = new Uint8Array(cap);
    kinds.set(this.kinds.subarray(0, this.n));
    this.t = t;
    this.sizes = sizes;
    this.dirs = dirs;
    this.kinds = kinds;
  }

  /**
   * Add a row for `e` (when it has one). `reused`: the label the event's row had before a re-indexing
   * (null: not decoded yet); a reused row's frame is not fed to its connection's sequence decoder again.
   */
  private push(e: CaptureEvent, reused?: string | null): void {
    const row = eventToRow(e);
    if (!row) return;
    if (e.type === 'http.response') this.contentTypes.set(e.conn, e.contentType);
    if (e.type === 'http.chunk' && this.sequences && isFramedStream(this.contentTypes.get(e.conn) ?? '')) {
      let frames = this.chunkFrames.get(e);
      if (frames === undefined) {
        frames = this.framesOf(e, row);
        this.chunkFrames.set(e, frames);
      }
      if (frames.length > 0) {
        this.streamed.add(e.conn);
        for (const f of frames) this.pushRow(e, { ...row, label: f.label, kind: f.kind, size: f.size });
        return;
      }
    } else if (e.type === 'http.end' && this.streamed.has(e.conn)) {
      row.label = `response ${formatBytes(e.size)}, the end of the stream`;
      row.kind = 'control';
    }
    if (reused !== undefined) row.label = reused ?? row.label;
    else if (this.sequences && e.type === 'ws.message') this.labelInSequence(row);
    this.pushRow(e, row);
  }

  /** The frames a chunk of a framed stream completes, read by the connection's sequence decoder; none leaves the chunk's row labelled with what is pending. */
  private framesOf(e: CaptureEvent, row: MessageRow): ChunkFrame[] {
    const decoded = this.sequences!.next(row.conn, 'in', row.payload);
    if (!decoded) return [];
    const frames = flattenDecoded(decoded);
    if (frames.length === 0 && decoded.label) row.label = `chunk ${formatBytes(row.size)}: ${decoded.label}`;
    return frames.map((f) => ({ label: f.label, kind: kindOfRole(f.role), size: f.size ?? row.size }));
  }

  private pushRow(e: CaptureEvent, row: MessageRow): void {
    const i = this.n;
    this.grow(i + 1);
    this.t[i] = row.t;
    this.sizes[i] = row.size;
    this.dirs[i] = dirCode(row.dir);
    this.kinds[i] = kindCode(row.kind);
    this.rowEvents.push(e);
    this.labels.push(row.label);
    this.texts.push(row.payload?.data ?? null);
    this.extras.push(row.extra);
    this.n = i + 1;
  }

  /** Remove rows [from, to). */
  private cut(from: number, to: number): void {
    const count = to - from;
    if (count <= 0) return;
    this.t.copyWithin(from, to, this.n);
    this.sizes.copyWithin(from, to, this.n);
    this.dirs.copyWithin(from, to, this.n);
    this.kinds.copyWithin(from, to, this.n);
    this.rowEvents.splice(from, count);
    this.labels.splice(from, count);
    this.texts.splice(from, count);
    this.extras.splice(from, count);
    this.n -= count;
  }

  private labelInSequence(row: MessageRow): void {
    row.label = this.sequences!.next(row.conn, row.dir ?? 'in', row.payload ?? null)?.label || null;
  }


  /** Append rows for events past the ones already indexed; returns true when rows were added. */
  update(events: readonly CaptureEvent[]): boolean {
    const before = this.n;
    // Fewer events, another first one (the oldest were evicted) or another last indexed one (a late
    // event sorted in before it): the indexed events changed, not just grew.
    let changed = false;
    if (events.length < this.seen || (this.seen > 0 && (events[0] !== this.first || events[this.seen - 1] !== this.last))) {
      // Reused rows come back as data; the next applyRoles marks them again.
      for (const i of this.marked) this.kinds[i] = DATA;
      this.marked = [];
      if (!this.dropGone(events)) this.reindex(events);
      changed = true;
    }
    for (let i = this.seen; i < events.length; i++) this.push(events[i]!);
    this.indexed = events;
    this.seen = events.length;
    this.first = events[0];
    this.last = events[events.length - 1];
    return changed || this.n !== before;
  }

  /**
   * The usual change after an eviction: some indexed events are gone, the
   * rest kept in order, new ones after them. Finds the gone ones by identity
   * (a pass of comparisons, no lookups), removes their rows in blocks and
   * leaves `seen` at the first new event. False, with nothing changed, when
   * the change is another one (a new event sorted in among indexed ones, or
   * the same array changed in place).
   */
  private dropGone(events: readonly CaptureEvent[]): boolean {
    const old = this.indexed;
    const n = this.seen;
    if (old === events || old.length < n) return false;
    /** Blocks [from, to) of `old` that are gone. */
    const gone: number[] = [];
    let i = 0;
    let j = 0;
    while (j < n) {
      if (i < events.length && events[i] === old[j]) {
        i++;
        j++;
        continue;
      }
      // old[j] is gone, and so is every indexed event before the next one that events[i] is.
      const next = events[i];
      let k = j + 1;
      while (k < n && old[k] !== next) k++;
      // events[i] is no indexed event: it starts the new ones, unless an indexed one follows it (a late event sorted in).
      if (k === n && i < events.length) {
        const o = old[j];
        for (let x = i + 1; x < events.length; x++) if (events[x] === o) return false;
      }
      gone.push(j, k);
      j = k;
    }
    // The rows of the gone blocks: rows follow the indexed events that have one, in order.
    const rowEvents = this.rowEvents;
    const cut: number[] = [];
    let r = 0;
    let g = 0;
    let cutFrom = -1;
    for (j = 0; j < n && g < gone.length; j++) {
      if (j === gone[g]) cutFrom = r;
      // A chunk of a framed stream has a row per frame.
      while (r < this.n && rowEvents[r] === old[j]) r++;
      if (j + 1 === gone[g + 1]) {
        if (r > cutFrom) cut.push(cutFrom, r);
        g += 2;
      }
    }
    for (let c = cut.length - 2; c >= 0; c -= 2) this.cut(cut[c]!, cut[c + 1]!);
    this.seen = i;
    return true;
  }

  /** Index again from the start, reusing the labels decoded for events indexed before. */
  private reindex(events: readonly CaptureEvent[]): void {
    const previous = new Map<CaptureEvent, string | null>();
    for (let r = 0; r < this.n; r++) previous.set(this.rowEvents[r]!, this.labels[r]!);
    this.n = 0;
    this.rowEvents.length = 0;
    this.labels.length = 0;
    this.texts.length = 0;
    this.extras.length = 0;
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      this.push(e, previous.has(e) ? (previous.get(e) ?? null) : undefined);
    }
    this.seen = events.length;
  }

  /**
   * Apply the core's judgement of each message (heartbeat by protocol role or
   * by timing pattern, control for handshakes/acks/closes). Only the rows at the
   * roles' times are touched (found by binary search, rows being in time order),
   * and the rows marked by the previous call are reset first, so a live update
   * costs the few non-data messages rather than a pass over 100k rows.
   */
  applyRoles(roles: MessageRoles): void {
    for (const i of this.marked) if (i < this.n) this.kinds[i] = DATA;
    this.marked = [];
    // forEach rather than for...of: no [t, kind] entry array per role on every live update.
    roles.in.forEach((kind, t) => this.markRows(1, t, kind));
    roles.out.forEach((kind, t) => this.markRows(2, t, kind));
  }

  private markRows(dir: number, t: number, kind: MessageKind): void {
    const code = kindCode(kind);
    for (let i = this.searchTime(t, false, 0, this.n); i < this.n && this.t[i] === t; i++) {
      // Frame rows have their kinds from their own roles (the core's roles are per time, and a chunk's frames share one).
      if (this.dirs[i] !== dir || this.kinds[i] !== DATA || this.texts[i] === null || this.chunkFrames.has(this.rowEvents[i]!)) continue;
      this.kinds[i] = code;
      this.marked.push(i);
    }
  }

  /** First row index in [lo, hi) whose time is past `t` (>= t, or > t when `after`); rows are in time order. */
  private searchTime(t: number, after: boolean, lo: number, hi: number): number {
    const times = this.t;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const x = times[mid]!;
      if (x < t || (after && x === t)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Indices of rows passing the filter (an invalid regex filters nothing out).
   * Rows are in time order, so a brushed window is found by binary search; the
   * loop reads the typed columns, and the regex only the payload and extra text.
   */
  filter(filter: MessageFilter): number[] {
    const { re } = compileSearch(filter.search);
    const w = filter.window;
    const from = w ? this.searchTime(w[0], false, 0, this.n) : 0;
    const to = w ? this.searchTime(w[1], true, from, this.n) : this.n;
    const { data, heartbeat, control } = filter.kinds;
    const kindOn = [data, heartbeat, control];
    const dirOn = [filter.dirs.none, filter.dirs.in, filter.dirs.out];
    const out: number[] = [];
    if (!re && data && heartbeat && control && dirOn[0] && dirOn[1] && dirOn[2]) {
      // Nothing but the window filters: every row in range.
      for (let i = from; i < to; i++) out.push(i);
      return out;
    }
    const kinds = this.kinds;
    const dirs = this.dirs;
    for (let i = from; i < to; i++) {
      if (!kindOn[kinds[i]!] || !dirOn[dirs[i]!]) continue;
      if (re) {
        const text = this.texts[i]!;
        const extra = this.extras[i]!;
        if (!(text !== null && re.test(text)) && !(extra && re.test(extra))) continue;
      }
      out.push(i);
    }
    return out;
  }
}

export interface MessageFilter {
  dirs: { in: boolean; out: boolean; none: boolean };
  kinds: Record<MessageKind, boolean>;
  /** Regex source; '' matches everything. */
  search: string;
  /** Brushed time window from the timeline, null for all. */
  window: [number, number] | null;
}

export const DEFAULT_FILTER: MessageFilter = {
  dirs: { in: true, out: true, none: true },
  kinds: { data: true, heartbeat: true, control: true },
  search: '',
  window: null,
};

/** Compile the search box text; an invalid pattern yields its error message instead of throwing. */
export function compileSearch(source: string): { re: RegExp | null; error: string | null } {
  if (!source) return { re: null, error: null };
  try {
    return { re: new RegExp(source, 'i'), error: null };
  } catch (err) {
    return { re: null, error: err instanceof Error ? err.message : String(err) };
  }
}
