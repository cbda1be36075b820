/**
 * The message list's model: one row per frame, SSE event, HTTP request/response
 * or connection-state change of a channel, labelled by the protocol decoder.
 * Built incrementally (only events not yet seen are turned into rows).
 */
import type { CaptureEvent, Direction, Payload } from '../core/events.ts';
import { decodeMessage } from '../core/protocols/index.ts';
import type { MessageRole } from '../core/protocols/types.ts';

/** The three groups a user filters by. */
export type MessageKind = 'data' | 'heartbeat' | 'control';

export interface MessageRow {
  seq: number;
  t: number;
  /** null for state changes (open, close, error). */
  dir: Direction | null;
  size: number;
  kind: MessageKind;
  label: string;
  payload: Payload | null;
  conn: string;
}

const ROLE_KIND: Record<MessageRole, MessageKind> = {
  data: 'data',
  heartbeat: 'heartbeat',
  handshake: 'control',
  ack: 'control',
  error: 'control',
  close: 'control',
  control: 'control',
};

/** Byte count as DevTools shows it. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function preview(text: string, max = 80): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

function decoded(protocol: string | null, data: Payload, dir: Direction): { kind: MessageKind; label: string } {
  try {
    const d = decodeMessage(protocol, data, dir);
    if (d.label) return { kind: ROLE_KIND[d.role] ?? 'data', label: d.label };
  } catch {
    // A decoder must not throw; if one does, the raw preview below still labels the row.
  }
  return { kind: 'data', label: data.encoding === 'binary' ? `binary ${formatBytes(data.size)}` : preview(data.data) };
}

function pathOf(url: string): string {
  try {
    const u = new URL(url);
    return u.pathname + u.search;
  } catch {
    return url;
  }
}

/** Turn one captured event into a row, or null when it is not shown in the list. */
export function eventToRow(e: CaptureEvent, protocol: string | null): MessageRow | null {
  const base = { seq: e.seq, t: e.t, conn: 'conn' in e && e.conn ? e.conn : '' };
  switch (e.type) {
    case 'ws.message': {
      const d = decoded(protocol, e.data, e.dir);
      return { ...base, dir: e.dir, size: e.data.size, ...d, payload: e.data };
    }
    case 'sse.message': {
      const d = decoded(protocol, e.data, 'in');
      const named = e.event !== 'message' ? `event: ${e.event} ` : '';
      const id = e.id !== null ? ` id=${e.id}` : '';
      return { ...base, dir: 'in', size: e.data.size, kind: d.kind, label: protocol ? d.label : `${named}${d.label}${id}`, payload: e.data };
    }
    case 'sse.comment':
      return { ...base, dir: 'in', size: e.text.length, kind: 'heartbeat', label: `: ${preview(e.text)}`, payload: { size: e.text.length, encoding: 'text', data: e.text, truncated: false } };
    case 'http.request':
      return { ...base, dir: 'out', size: e.bodySize ?? 0, kind: 'data', label: `${e.method} ${pathOf(e.url)}`, payload: null };
    case 'http.response':
      return { ...base, dir: 'in', size: 0, kind: 'control', label: `${e.status} ${e.statusText} ${e.contentType}`.trim(), payload: null };
    case 'http.chunk':
      return { ...base, dir: 'in', size: e.size, kind: 'data', label: `chunk ${preview(e.preview) || formatBytes(e.size)}`, payload: { size: e.size, encoding: 'text', data: e.preview, truncated: e.preview.length < e.size } };
    case 'http.end': {
      const d = e.body ? decoded(protocol, e.body, 'in') : null;
      return { ...base, dir: 'in', size: e.size, kind: d?.kind ?? 'data', label: `response ${formatBytes(e.size)}${d ? ` ${d.label}` : ''}`, payload: e.body };
    }
    case 'http.error':
      return { ...base, dir: null, size: 0, kind: 'control', label: `request failed: ${e.reason}${e.message ? ` (${preview(e.message, 60)})` : ''}`, payload: null };
    case 'ws.create':
      return { ...base, dir: null, size: 0, kind: 'control', label: `connect${e.protocols.length ? ` [${e.protocols.join(', ')}]` : ''}`, payload: null };
    case 'ws.open':
      return { ...base, dir: null, size: 0, kind: 'control', label: `open${e.protocol ? ` protocol=${e.protocol}` : ''}`, payload: null };
    case 'ws.close':
      return { ...base, dir: null, size: 0, kind: 'control', label: `close ${e.code}${e.reason ? ` "${preview(e.reason, 40)}"` : ''} by ${e.initiator}${e.wasClean ? '' : ' (unclean)'}`, payload: null };
    case 'ws.error':
      return { ...base, dir: null, size: 0, kind: 'control', label: 'error', payload: null };
    case 'sse.create':
      return { ...base, dir: null, size: 0, kind: 'control', label: `connect (${e.transport})`, payload: null };
    case 'sse.open':
      return { ...base, dir: null, size: 0, kind: 'control', label: 'open', payload: null };
    case 'sse.error':
      return { ...base, dir: null, size: 0, kind: 'control', label: e.readyState === 2 ? 'error, closed' : 'error, reconnecting', payload: null };
    case 'sse.close':
      return { ...base, dir: null, size: 0, kind: 'control', label: 'closed by page', payload: null };
    case 'fault':
      return { ...base, dir: null, size: 0, kind: 'control', label: `injected fault: ${e.fault} ${e.phase}`, payload: null };
    default:
      return null;
  }
}

/** Rows of one channel, extended as its events grow. */
export class MessageIndex {
  readonly rows: MessageRow[] = [];
  private seen = 0;

  constructor(readonly protocol: string | null) {}

  /**
   * Mark rows the core recognised as heartbeats by their timing pattern (not
   * only by protocol role): keys are `${t}|${dir}` from the channel series.
   */
  markHeartbeats(keys: ReadonlySet<string>): void {
    if (keys.size === 0) return;
    for (const r of this.rows) {
      if (r.kind === 'data' && r.dir && keys.has(`${r.t}|${r.dir}`)) r.kind = 'heartbeat';
    }
  }

  /** Append rows for events past the ones already indexed; returns true when rows were added. */
  update(events: readonly CaptureEvent[]): boolean {
    if (events.length < this.seen) {
      this.rows.length = 0;
      this.seen = 0;
    }
    const before = this.rows.length;
    for (let i = this.seen; i < events.length; i++) {
      const row = eventToRow(events[i]!, this.protocol);
      if (row) this.rows.push(row);
    }
    this.seen = events.length;
    return this.rows.length !== before;
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

/** Indices of rows passing the filter (an invalid regex filters nothing out). */
export function filterRows(rows: readonly MessageRow[], filter: MessageFilter): number[] {
  const { re } = compileSearch(filter.search);
  const out: number[] = [];
  const w = filter.window;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (!filter.kinds[r.kind]) continue;
    if (!filter.dirs[r.dir ?? 'none']) continue;
    if (w && (r.t < w[0] || r.t > w[1])) continue;
    if (re && !re.test(r.label) && !(r.payload && re.test(r.payload.data))) continue;
    out.push(i);
  }
  return out;
}
