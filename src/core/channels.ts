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

/** Normalise a URL into an endpoint pattern: volatile path segments and query values folded. */
export function normalizeEndpoint(rawUrl: string): string {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return rawUrl.split('#')[0]!.replace(/\d+/g, ':n');
  }
  const segments = url.pathname.split('/');
  const last = segments.length - 1;
  const sockjs =
    last >= 3 && SOCKJS_TRANSPORTS.has(segments[last]!) && /^\d{1,3}$/.test(segments[last - 2]!) && segments[last - 1]!.length > 0;
  const path = segments
    .map((seg, i) => {
      if (sockjs && i === last - 2) return ':server';
      if (sockjs && i === last - 1) return ':session';
      return foldSegment(seg);
    })
    .join('/');
  const engineIo = url.searchParams.has('EIO');
  const keys: string[] = [];
  const seen = new Set<string>();
  for (const [key, value] of url.searchParams) {
    const lower = key.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    if (VOLATILE_QUERY_KEYS.has(lower)) continue;
    // engine.io: the transport is what the channel is about; keep it verbatim.
    if (engineIo && (key === 'transport' || key === 'EIO')) {
      keys.push(`${key}=${value}`);
      continue;
    }
    keys.push(`${key}=${foldValue(value)}`);
  }
  keys.sort();
  const query = keys.length > 0 ? `?${keys.join('&')}` : '';
  return `${url.protocol}//${url.host.toLowerCase()}${path}${query}`;
}

/**
 * Whether requests to this URL belong to one logical channel regardless of
 * method: engine.io and SockJS send (POST) and receive (GET) on the same session.
 */
export function isMethodAgnostic(rawUrl: string): boolean {
  return /[?&]EIO=\d/.test(rawUrl) || /\/\d{1,3}\/[^/]+\/(xhr|xhr_send|xhr_streaming|jsonp|jsonp_send)(\?|$)/.test(rawUrl);
}

/** The channel key: transport (and method for plain HTTP) plus the normalised endpoint. */
export function channelKey(transport: Transport, rawUrl: string, method: string | null): string {
  const endpoint = normalizeEndpoint(rawUrl);
  if (transport === 'websocket' || transport === 'eventsource') return `${transport} ${endpoint}`;
  if (method === null || isMethodAgnostic(rawUrl)) return `${transport} ${endpoint}`;
  return `${transport} ${method.toUpperCase()} ${endpoint}`;
}
