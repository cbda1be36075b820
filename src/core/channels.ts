/**
 * Channel identity: requests and connections that are "the same thing" (one
 * polling loop, one reconnecting socket) share a transport and a normalised
 * endpoint. Volatile parts of URLs are folded to placeholders.
 */
import type { Transport } from './events.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NUMBER = /^-?\d+(\.\d+)?$/;
const HEX = /^(?=.*\d)[0-9a-f]{8,}$/i;
/** Opaque tokens: long mixed letters+digits strings (session ids, base64/base62 ids). */
const TOKEN = /^(?=.*\d)(?=.*[a-z])[A-Za-z0-9_-]{16,}={0,2}$/i;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Query keys whose values are cache-busters or per-session ids and never
 * identify the endpoint. `sid`/`t`: engine.io-client 6.x lib/transports/polling.ts
 * adds `sid` after the handshake and a `t` timestamp (yeast) when timestampRequests.
 */
const VOLATILE_QUERY_KEYS = new Set([
  '_', 't', 'ts', '_t', 'timestamp', 'time', 'cb', 'cachebust', 'cachebuster', 'cache_bust', 'nocache',
  'nonce', 'rand', 'random', 'r', 'rnd', 'sid', 'session_id', 'connectiontoken', 'jsessionid',
  '_ts', 'since', 'cursor', 'lasteventid', 'last_event_id',
]);

/**
 * SockJS URLs: <prefix>/<server>/<session>/<transport> (sockjs-client 1.6
 * lib/utils/random.js: server is 3 digits, session 8 random chars).
 */
const SOCKJS_TRANSPORTS = new Set([
  'websocket', 'xhr', 'xhr_send', 'xhr_streaming', 'eventsource', 'htmlfile', 'jsonp', 'jsonp_send',
]);

/** Fold one path segment to a placeholder when it looks like an id, hash, timestamp or token. */
export function foldSegment(segment: string): string {
  if (segment === '') return segment;
  let s: string;
  try {
    s = decodeURIComponent(segment);
  } catch {
    s = segment;
  }
  if (UUID.test(s)) return ':uuid';
  if (NUMBER.test(s)) return ':n';
  if (ISO_DATE.test(s)) return ':date';
  if (HEX.test(s)) return ':hash';
  if (TOKEN.test(s)) return ':token';
  return segment;
}

/**
 * A query value of random base64url with no digit by chance: ASP.NET Core SignalR's
 * connection token (`?id=`, 16 random bytes as 22 base64url characters) has none in about
 * one connection of forty. Mixed case over 20 characters with no separator is no word.
 */
const MIXED_CASE_TOKEN = /^(?=.*[a-z])(?=.*[A-Z])[A-Za-z0-9_-]{20,}={0,2}$/;

/** Fold a query value the same way as a path segment, and random tokens without digits too. */
function foldValue(value: string): string {
  if (value === '') return value;
  const folded = foldSegment(value);
  return folded === value && MIXED_CASE_TOKEN.test(value) ? ':token' : folded;
}

/** A URL cut into the parts channel identity looks at. */
interface UrlParts {
  /** scheme://host (host lower-cased). */
  origin: string;
  segments: string[];
  /** Query pairs, first of each key, in order. */
  query: Array<[key: string, value: string]>;
  /** Index of the SockJS server segment, or -1. */
  sockjsAt: number;
  engineIo: boolean;
}

function parseUrl(rawUrl: string): UrlParts | null {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return null;
  }
  const segments = url.pathname.split('/');
  const last = segments.length - 1;
  const sockjs =
    last >= 3 && SOCKJS_TRANSPORTS.has(segments[last]!) && /^\d{1,3}$/.test(segments[last - 2]!) && segments[last - 1]!.length > 0;
  const query: Array<[string, string]> = [];
  const seen = new Set<string>();
  for (const [key, value] of url.searchParams) {
    if (seen.has(key)) continue;
    seen.add(key);
    query.push([key, value]);
  }
  return { origin: `${url.protocol}//${url.host.toLowerCase()}`, segments, query, sockjsAt: sockjs ? last - 2 : -1, engineIo: url.searchParams.has('EIO') };
}

/** A learned position of a URL shape: a path segment by index (`/2`) or a query value by key (`?id`). */
type Position = string;

/** The shape of a URL: what stays when the values that may vary are left out (origin, segment count, query keys). */
function shapeOf(scope: string, parts: UrlParts): string {
  return `${scope} ${parts.origin} ${parts.segments.length} ${parts.query.map(([k]) => k).sort().join('&')}`;
}

/** Normalise URL parts into an endpoint pattern; `learned` positions are folded whatever their values look like. */
function endpointOf(parts: UrlParts, learned: ReadonlySet<Position> | undefined): string {
  const path = parts.segments
    .map((seg, i) => {
      if (parts.sockjsAt >= 0 && i === parts.sockjsAt) return ':server';
      if (parts.sockjsAt >= 0 && i === parts.sockjsAt + 1) return ':session';
      if (learned?.has(`/${i}`)) return ':token';
      return foldSegment(seg);
    })
    .join('/');
  const keys: string[] = [];
  for (const [key, value] of parts.query) {
    if (VOLATILE_QUERY_KEYS.has(key.toLowerCase())) continue;
    // engine.io: the transport is what the channel is about; keep it verbatim.
    if (parts.engineIo && (key === 'transport' || key === 'EIO')) {
      keys.push(`${key}=${value}`);
      continue;
    }
    keys.push(`${key}=${learned?.has(`?${key}`) ? ':token' : foldValue(value)}`);
  }
  keys.sort();
  const query = keys.length > 0 ? `?${keys.join('&')}` : '';
  return `${parts.origin}${path}${query}`;
}

/** Normalise a URL into an endpoint pattern: volatile path segments and query values folded. */
export function normalizeEndpoint(rawUrl: string): string {
  const parts = parseUrl(rawUrl);
  return parts === null ? rawUrl.split('#')[0]!.replace(/\d+/g, ':n') : endpointOf(parts, undefined);
}

/**
 * Whether requests to this URL belong to one logical channel regardless of
 * method: engine.io and SockJS send (POST) and receive (GET) on the same session.
 */
export function isMethodAgnostic(rawUrl: string): boolean {
  return /[?&]EIO=\d/.test(rawUrl) || /\/\d{1,3}\/[^/]+\/(xhr|xhr_send|xhr_streaming|jsonp|jsonp_send)(\?|$)/.test(rawUrl);
}

/** What the channel key puts before the endpoint: the transport, and the method for plain HTTP. */
function scopeOf(transport: Transport, rawUrl: string, method: string | null): string {
  if (transport === 'websocket' || transport === 'eventsource' || transport === 'webtransport') return transport;
  if (method === null || isMethodAgnostic(rawUrl)) return transport;
  return `${transport} ${method.toUpperCase()}`;
}

/** The channel key: transport (and method for plain HTTP) plus the normalised endpoint. */
export function channelKey(transport: Transport, rawUrl: string, method: string | null): string {
  return `${scopeOf(transport, rawUrl, method)} ${normalizeEndpoint(rawUrl)}`;
}

/** Placeholders the endpoint normalisation and the grouping put where an id was (foldSegment, endpointOf). */
export const FOLDED_PLACEHOLDER = /^:(uuid|n|date|hash|token|server|session)$/;

/**
 * The session a request belongs to, when its protocol names one in the URL: engine.io's `sid`
 * query parameter (engine.io-client 6.6.8 lib/transports/polling.ts; a new session's handshake
 * has none) and SockJS's `/<server>/<session>/<transport>` path (sockjs-client 1.6
 * lib/utils/random.js). Null when the URL names no session.
 */
export function sessionOf(rawUrl: string): string | null {
  const parts = parseUrl(rawUrl);
  if (parts === null) return null;
  if (parts.engineIo) {
    const sid = parts.query.find(([key]) => key === 'sid')?.[1];
    return sid ? `eio:${sid}` : null;
  }
  return parts.sockjsAt >= 0 ? `sockjs:${parts.segments[parts.sockjsAt]}/${parts.segments[parts.sockjsAt + 1]}` : null;
}

/**
 * The channel an earlier channel id now belongs to, among `ids`. The grouping learns as
 * requests come: once a position shows one session's token after another it is folded to
 * `:token`, and the channel that had a literal token in its id joins the folded one
 * (channel ids are `<scope> <endpoint>`, see channelKey). The successor has the same scope
 * and the same endpoint except where it has a placeholder. Null when no channel, or more
 * than one, fits.
 */
export function successorChannel(oldId: string, ids: readonly string[]): string | null {
  if (ids.includes(oldId)) return oldId;
  const old = splitId(oldId);
  if (!old) return null;
  let found: string | null = null;
  for (const id of ids) {
    const candidate = splitId(id);
    if (!candidate || candidate.scope !== old.scope || !endpointCovers(candidate.endpoint, old.endpoint)) continue;
    if (found !== null) return null;
    found = id;
  }
  return found;
}

function splitId(id: string): { scope: string; endpoint: string } | null {
  const at = id.lastIndexOf(' ');
  return at > 0 ? { scope: id.slice(0, at), endpoint: id.slice(at + 1) } : null;
}

/** Whether `pattern` is `endpoint` with some of its path segments or query values folded to placeholders. */
function endpointCovers(pattern: string, endpoint: string): boolean {
  const [pPath = '', pQuery = ''] = pattern.split('?', 2);
  const [ePath = '', eQuery = ''] = endpoint.split('?', 2);
  const same = (p: string, e: string) => p === e || (FOLDED_PLACEHOLDER.test(p) && !FOLDED_PLACEHOLDER.test(e));
  const pSegments = pPath.split('/');
  const eSegments = ePath.split('/');
  if (pSegments.length !== eSegments.length || !pSegments.every((p, i) => same(p, eSegments[i]!))) return false;
  const pPairs = pQuery === '' ? [] : pQuery.split('&');
  const ePairs = eQuery === '' ? [] : eQuery.split('&');
  if (pPairs.length !== ePairs.length) return false;
  return pPairs.every((pair, i) => {
    const [pk, pv = ''] = pair.split('=', 2);
    const [ek, ev = ''] = ePairs[i]!.split('=', 2);
    return pk === ek && same(pv, ev);
  });
}

/**
 * Values shorter than this are names a page chooses (`?topic=a`, `/api/users`), not
 * generated ids: SockJS's session id, the shortest generated id met, is 8 characters
 * (sockjs-client 1.6 lib/utils/random.js string(8)).
 */
export const MIN_VARYING_CHARS = 8;
/** Distinct values of unequal lengths needed before their spread of characters alone says "generated". */
const MIN_UNEQUAL_VALUES = 3;
/** Shannon entropy per character, in bits, above which a value of unequal length counts as generated. */
const MIN_BITS_PER_CHAR = 3;
/** Distinct values kept per position: past this the position has shown all it will. */
const MAX_VALUES = 256;

/** Shannon entropy of a string's characters, bits per character. */
export function bitsPerChar(value: string): number {
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  const n = value.length;
  for (const c of counts.values()) bits -= (c / n) * Math.log2(c / n);
  return bits;
}

/** What one position of one URL shape has shown so far. */
interface PositionHistory {
  values: Set<string>;
  /** The value of the latest request. */
  current: string;
  /** A value came back after another replaced it: two things side by side, not one session after another. */
  revisited: boolean;
  lengths: Set<number>;
  minLength: number;
  minBits: number;
}

/**
 * Endpoint grouping learnt from the requests of one client, not from what a token looks
 * like. Per URL shape (transport, method, origin, segment count, query keys), each path
 * segment and query value is watched: a position whose values replace one another, each
 * used in one run of requests and never again, at least MIN_VARYING_CHARS long and of one
 * length (or of high character entropy), carries one session's id after another (a
 * SignalR connection token, a session path segment). It is folded to `:token`, so one
 * client's reconnect history stays one channel whatever its tokens look like. Names a page
 * chooses (short, or used side by side: a value that comes back after another) keep their
 * channels apart. A judgement can be undone: two values that looked like one session after
 * another until the first came back split again.
 */
export class EndpointGrouper {
  private readonly shapes = new Map<string, Map<Position, PositionHistory>>();
  private readonly learned = new Map<string, Set<Position>>();
  /** Grows each time a position is learnt: keys given before may have changed. */
  version = 0;

  /** Watch the URL of a new request or connection (call in the order they started). */
  observe(transport: Transport, rawUrl: string, method: string | null): void {
    const parts = parseUrl(rawUrl);
    if (parts === null) return;
    const shape = shapeOf(scopeOf(transport, rawUrl, method), parts);
    let positions = this.shapes.get(shape);
    if (!positions) {
      positions = new Map();
      this.shapes.set(shape, positions);
    }
    const watch = (position: Position, raw: string) => {
      let value = raw;
      try {
        value = decodeURIComponent(raw);
      } catch {
        // Keep the raw text.
      }
      const h = positions.get(position);
      if (!h) {
        positions.set(position, { values: new Set([value]), current: value, revisited: false, lengths: new Set([value.length]), minLength: value.length, minBits: bitsPerChar(value) });
        return;
      }
      if (value === h.current) return;
      if (h.values.has(value)) h.revisited = true;
      else if (h.values.size < MAX_VALUES) {
        h.values.add(value);
        h.lengths.add(value.length);
        h.minLength = Math.min(h.minLength, value.length);
        h.minBits = Math.min(h.minBits, bitsPerChar(value));
      }
      h.current = value;
      this.judge(shape, position, varies(h));
    };
    parts.segments.forEach((seg, i) => {
      if (seg !== '' && (parts.sockjsAt < 0 || i < parts.sockjsAt || i > parts.sockjsAt + 1)) watch(`/${i}`, seg);
    });
    for (const [key, value] of parts.query) {
      if (VOLATILE_QUERY_KEYS.has(key.toLowerCase()) || (parts.engineIo && (key === 'transport' || key === 'EIO'))) continue;
      watch(`?${key}`, value);
    }
  }

  /** Record whether a position varies; the version grows when that changed. */
  private judge(shape: string, position: Position, varying: boolean): void {
    let set = this.learned.get(shape);
    if (varying === (set?.has(position) ?? false)) return;
    if (!set) {
      set = new Set();
      this.learned.set(shape, set);
    }
    if (varying) set.add(position);
    else set.delete(position);
    this.version++;
  }

  /** The normalised endpoint, with what has been learnt. */
  endpoint(transport: Transport, rawUrl: string, method: string | null): string {
    const parts = parseUrl(rawUrl);
    if (parts === null) return normalizeEndpoint(rawUrl);
    return endpointOf(parts, this.learned.get(shapeOf(scopeOf(transport, rawUrl, method), parts)));
  }

  /** The channel key, with what has been learnt. */
  key(transport: Transport, rawUrl: string, method: string | null): string {
    return `${scopeOf(transport, rawUrl, method)} ${this.endpoint(transport, rawUrl, method)}`;
  }
}

/** Whether a position's values are one generated id after another (see EndpointGrouper). */
function varies(h: PositionHistory): boolean {
  if (h.revisited || h.values.size < 2 || h.minLength < MIN_VARYING_CHARS) return false;
  return h.lengths.size === 1 || (h.values.size >= MIN_UNEQUAL_VALUES && h.minBits >= MIN_BITS_PER_CHAR);
}
