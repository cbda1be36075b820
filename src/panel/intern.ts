/**
 * One copy of each repeated string of the captured events the panel holds.
 *
 * Events reach the panel through Chrome's extension messaging (and imports
 * through JSON.parse), which make a new string for every string value: a heap
 * snapshot of the panel holding 106,000 events (bench/panel.ts) had 104,848
 * copies of "ws.message", one copy of a connection id per event and 10,000
 * copies of the polling URLs, 770,000 strings in all for 106,000 events. Every
 * one is a heap object that a major GC marks and, on a fragmented page, copies
 * and re-points: the panel's longest frames with a 100k-message channel open
 * were such GCs. Interning the fields that repeat (type, document, connection,
 * direction, URLs, header names and values...) leaves one string each; the
 * payloads, which rarely repeat, are left as they are.
 */
import type { CaptureEvent, HeaderList, Payload } from '../core/index.ts';

/** Longest string interned: URLs and header values fit; a long one is rarely repeated. */
const MAX_INTERNED_CHARS = 2048;

/** A bounded set of strings: past `max` entries it starts again (old events keep their copies). */
export class StringPool {
  private readonly pool = new Map<string, string>();

  constructor(private readonly max = 20_000) {}

  /** The pool's copy of `s` (equal to it). */
  get(s: string): string {
    const hit = this.pool.get(s);
    if (hit !== undefined) return hit;
    if (s.length > MAX_INTERNED_CHARS) return s;
    if (this.pool.size >= this.max) this.pool.clear();
    this.pool.set(s, s);
    return s;
  }

  get size(): number {
    return this.pool.size;
  }
}

function internHeaders(headers: HeaderList, pool: StringPool): void {
  for (const pair of headers) {
    pair[0] = pool.get(pair[0]);
    pair[1] = pool.get(pair[1]);
  }
}

function internPayload(p: Payload | null, pool: StringPool): void {
  if (p) p.encoding = pool.get(p.encoding) as Payload['encoding'];
}

/** String fields, besides type, doc and conn, that repeat across events of one kind. */
const OTHER_FIELDS = ['url', 'method', 'transport', 'contentType', 'statusText', 'protocol', 'extensions', 'initiator', 'reason', 'fault', 'phase', 'where', 'hook', 'title', 'parentDoc'] as const;

/**
 * Replace the event's repeated strings by the pool's copies, in place (the
 * values stay equal: nothing that reads the event can tell). The hot types
 * (messages) take a few direct stores; the rest a pass over their known fields.
 */
export function internEvent(e: CaptureEvent, pool: StringPool): void {
  // Events are checked against the schema before they get here (guard.ts, the capture-file reader); an
  // event without the base fields is left alone rather than trusted.
  if (typeof e.type !== 'string' || typeof e.doc !== 'string') return;
  e.type = pool.get(e.type) as typeof e.type;
  e.doc = pool.get(e.doc);
  switch (e.type) {
    case 'ws.message':
    case 'wt.data':
    case 'wt.datagram':
      e.conn = pool.get(e.conn);
      e.dir = pool.get(e.dir) as typeof e.dir;
      internPayload(e.data, pool);
      return;
    case 'sse.message':
      e.conn = pool.get(e.conn);
      e.event = pool.get(e.event);
      // lastEventId and id are left: they rarely repeat, and would only churn the pool.
      internPayload(e.data, pool);
      return;
    case 'http.end':
      e.conn = pool.get(e.conn);
      if (e.bodyHash !== null) e.bodyHash = pool.get(e.bodyHash);
      internPayload(e.body, pool);
      return;
    case 'http.request':
    case 'http.response':
      internHeaders(e.headers, pool);
      break;
    case 'ws.create':
      for (let i = 0; i < e.protocols.length; i++) e.protocols[i] = pool.get(e.protocols[i]!);
      break;
  }
  const fields = e as unknown as Record<string, unknown>;
  if (typeof fields.conn === 'string') fields.conn = pool.get(fields.conn);
  for (const key of OTHER_FIELDS) {
    const v = fields[key];
    if (typeof v === 'string') fields[key] = pool.get(v);
  }
}
