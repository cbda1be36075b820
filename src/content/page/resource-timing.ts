/**
 * The browser's own timing of each fetch/XHR request (Resource Timing), read from a
 * PerformanceObserver of our own: the page's performance timeline, its buffer and its
 * own observers are left as they were. An entry is matched to the request the hooks
 * captured by URL and start time and sent as `http.timing`: how long the request
 * queued for a connection before it was sent, and over which protocol it went. That
 * queueing is what Chromium's six connections per host on HTTP/1.1 cause when
 * long-lived streams hold them all (src/core/findings/connection-starvation.ts).
 */
import { emit, hookError } from './emitter.ts';
import {
  apply,
  getOwnPropertyDescriptor,
  global,
  MapCtor,
  mapDelete,
  mapGet,
  mapSet,
  StringCtor,
  stringIndexOf,
  stringSlice,
  timeOrigin,
} from './natives.ts';

/** Requests awaiting their entry; the oldest is forgotten beyond this (an entry that never comes). */
const MAX_PENDING = 256;
/**
 * A request's hook time and its entry's startTime are both taken in the page's call to
 * fetch()/send(), microseconds apart; a busy page may hold the call a little.
 */
const MATCH_WINDOW_MS = 50;

interface Pending {
  conn: string;
  url: string;
  t: number;
  /** Matched or forgotten: no longer in `byUrl`. */
  done: boolean;
}

/**
 * Requests awaiting their entry, by URL (without fragment), oldest first. An entry looks up
 * only its URL's requests: a scan of every pending request per entry cost a flood of
 * fetches a quadratic share of its CPU (200 in flight, 256 kept).
 */
const byUrl: Map<string, Pending[]> = new MapCtor();
/** The same requests in the order they were noted (done ones dropped now and then), to forget the oldest. */
let order: Pending[] = [];
let oldest = 0;
/** Requests not done. */
let live = 0;

function uncurryGetter(proto: object | undefined, key: string): ((self: unknown) => unknown) | null {
  if (proto === undefined) return null;
  const d = getOwnPropertyDescriptor(proto, key);
  const get = d?.get;
  return get ? (self: unknown) => apply(get, self, []) : null;
}

const ObserverCtor = (global as unknown as { PerformanceObserver?: typeof PerformanceObserver }).PerformanceObserver;
const observe = ObserverCtor?.prototype.observe;
const listEntries = (global as unknown as { PerformanceObserverEntryList?: typeof PerformanceObserverEntryList }).PerformanceObserverEntryList?.prototype.getEntries;
const entryProto = (global as unknown as { PerformanceEntry?: typeof PerformanceEntry }).PerformanceEntry?.prototype;
const timingProto = (global as unknown as { PerformanceResourceTiming?: typeof PerformanceResourceTiming }).PerformanceResourceTiming?.prototype;
const get = {
  name: uncurryGetter(entryProto, 'name'),
  startTime: uncurryGetter(entryProto, 'startTime'),
  initiatorType: uncurryGetter(timingProto, 'initiatorType'),
  nextHopProtocol: uncurryGetter(timingProto, 'nextHopProtocol'),
  domainLookupStart: uncurryGetter(timingProto, 'domainLookupStart'),
  domainLookupEnd: uncurryGetter(timingProto, 'domainLookupEnd'),
  connectStart: uncurryGetter(timingProto, 'connectStart'),
  connectEnd: uncurryGetter(timingProto, 'connectEnd'),
  requestStart: uncurryGetter(timingProto, 'requestStart'),
};

function withoutFragment(url: string): string {
  const hash = stringIndexOf(url, '#');
  return hash < 0 ? url : stringSlice(url, 0, hash);
}

function forget(request: Pending): void {
  request.done = true;
  live--;
  const list = mapGet(byUrl, request.url);
  if (list === undefined) return;
  if (list.length === 1) {
    mapDelete(byUrl, request.url);
    return;
  }
  // Without the page's (patchable) Array methods.
  let k = 0;
  for (let i = 0; i < list.length; i++) if (list[i] !== request) list[k++] = list[i]!;
  list.length = k;
}

/** Remember a request the hooks captured so its Resource Timing entry can be matched to it. */
export function noteRequest(conn: string, url: string, t: number): void {
  if (ObserverCtor === undefined) return;
  while (live >= MAX_PENDING && oldest < order.length) {
    const first = order[oldest++]!;
    if (!first.done) forget(first);
  }
  const request: Pending = { conn, url: withoutFragment(url), t, done: false };
  const list = mapGet(byUrl, request.url);
  if (list === undefined) mapSet(byUrl, request.url, [request]);
  else list[list.length] = request;
  order[order.length] = request;
  live++;
  if (order.length - oldest > 2 * MAX_PENDING) {
    const kept: Pending[] = [];
    for (let i = oldest; i < order.length; i++) if (!order[i]!.done) kept[kept.length] = order[i]!;
    order = kept;
    oldest = 0;
  }
}

/** The pending request an entry belongs to (same URL, start within the window), no longer pending. */
function take(url: string, startEpoch: number): Pending | null {
  const list = mapGet(byUrl, url);
  if (list === undefined) return null;
  let found: Pending | null = null;
  let bestGap = MATCH_WINDOW_MS;
  for (let i = 0; i < list.length; i++) {
    const p = list[i]!;
    const gap = p.t > startEpoch ? p.t - startEpoch : startEpoch - p.t;
    if (gap <= bestGap) {
      found = p;
      bestGap = gap;
    }
  }
  if (found !== null) forget(found);
  return found;
}

function num(getter: ((self: unknown) => unknown) | null, entry: unknown): number {
  const v = getter ? getter(entry) : 0;
  return typeof v === 'number' ? v : 0;
}

function onEntries(list: PerformanceObserverEntryList): void {
  try {
    const entries = apply(listEntries!, list, []) as PerformanceEntry[];
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      const initiator = get.initiatorType ? get.initiatorType(entry) : '';
      if (initiator !== 'fetch' && initiator !== 'xmlhttprequest') continue;
      const startTime = num(get.startTime, entry);
      const request = take(withoutFragment(StringCtor(get.name ? get.name(entry) : '')), timeOrigin + startTime);
      if (request === null) continue;
      const requestStart = num(get.requestStart, entry);
      // requestStart is 0 when a cross-origin response hides its detail (no Timing-Allow-Origin).
      const waitedMs =
        requestStart - startTime - (num(get.connectEnd, entry) - num(get.connectStart, entry)) - (num(get.domainLookupEnd, entry) - num(get.domainLookupStart, entry));
      const blockedMs = requestStart > 0 ? (waitedMs > 0 ? waitedMs : 0) : null;
      const protocol = get.nextHopProtocol ? get.nextHopProtocol(entry) : '';
      emit({ type: 'http.timing', conn: request.conn, blockedMs, protocol: typeof protocol === 'string' ? protocol : '' });
    }
  } catch (error) {
    hookError('resource-timing', error);
  }
}

/** Observe the page's resource entries; false when the browser has no PerformanceObserver. */
export function installResourceTiming(): boolean {
  if (ObserverCtor === undefined || observe === undefined || listEntries === undefined || get.requestStart === null) return false;
  const observer = new ObserverCtor(onEntries);
  apply(observe, observer, [{ type: 'resource' }]);
  return true;
}
