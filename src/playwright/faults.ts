/**
 * The faults a test can inject (`rt.fault(name, options)`), as the page hooks' own
 * fault commands (src/shared/page-bridge.ts FaultCommand): the same machinery the
 * panel's fault controls and `audit --fault` drive, applied in the page by
 * src/content/page/faults.ts.
 */
import type { CaptureEvent } from '../core/index.ts';
import type { FaultCommand } from '../shared/page-bridge.ts';
import { describeUrl, urlMatches, type UrlMatcher } from './url-matcher.ts';

/** Which connections a fault that can target one acts on: one by id (from `rt.events()`), or every open one whose URL matches. */
export interface Target {
  conn?: string;
  url?: UrlMatcher;
}

/** Options of each fault; durations and delays in milliseconds. Without `conn` or `url`, a fault acts on every connection of every frame. */
export interface FaultOptions {
  /** End open WebSockets (close 1006, wasClean false) and SSE/streaming responses, as a network drop would. */
  drop: Target;
  /** For `for` ms, new connections and requests fail as offline; open ones are dropped at once. */
  offline: { for: number };
  /** Deliver a server close with this code (and reason) to open WebSockets. */
  close: { code: number; reason?: string } & Target;
  /** Hold incoming WebSocket and EventSource messages for `for` ms, then deliver them in order. */
  stall: { for: number } & Target;
  /** Add `delay` ms to responses and incoming messages, for `for` ms (0 or absent: until `latency` with delay 0). */
  latency: { delay: number; for?: number };
}

/** A fault's name. */
export type FaultName = keyof FaultOptions;

function duration(name: string, value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`rt.fault('${name}'): ${what} must be a number of milliseconds ≥ 0, got ${String(value)}`);
  }
  return value;
}

/** The hooks' command for a fault, or a TypeError that names the bad option. */
export function faultCommand<N extends FaultName>(name: N, options: FaultOptions[N]): FaultCommand {
  const o = (options ?? {}) as Partial<FaultOptions[FaultName]> & Record<string, unknown>;
  const conn = typeof o.conn === 'string' ? o.conn : null;
  switch (name) {
    case 'drop':
      return { fault: 'drop', conn };
    case 'offline':
      return { fault: 'offline', durationMs: duration(name, o.for, '`for`') };
    case 'close': {
      const code = o.code;
      // RFC 6455 7.4: 1000 and 3000-4999 are the codes an endpoint may send; 1001-1014 are what servers send too.
      if (typeof code !== 'number' || !Number.isInteger(code) || code < 1000 || code > 4999) {
        throw new TypeError(`rt.fault('close'): \`code\` must be a WebSocket close code from 1000 to 4999, got ${String(code)}`);
      }
      return { fault: 'close', code, reason: typeof o.reason === 'string' ? o.reason : '', conn };
    }
    case 'stall':
      return { fault: 'stall', durationMs: duration(name, o.for, '`for`'), conn };
    case 'latency':
      return { fault: 'latency', delayMs: duration(name, o.delay, '`delay`'), durationMs: o.for === undefined ? 0 : duration(name, o.for, '`for`') };
    default:
      throw new TypeError(`rt.fault: unknown fault ${JSON.stringify(name)} (drop, offline, close, stall, latency)`);
  }
}

/** The connections still open at the end of `events` (WebSocket, EventSource, fetch/XHR not yet ended), with their URLs. */
export function openConnections(events: readonly CaptureEvent[]): Array<{ conn: string; url: string }> {
  const open = new Map<string, string>();
  for (const e of events) {
    if (e.type === 'ws.create' || e.type === 'sse.create' || e.type === 'http.request') open.set(e.conn, e.url);
    else if (e.type === 'ws.close' || e.type === 'sse.close' || e.type === 'http.end' || e.type === 'http.error') open.delete(e.conn);
    // EventSource.CLOSED: the browser gave up on the stream and will not reconnect it.
    else if (e.type === 'sse.error' && e.readyState === 2) open.delete(e.conn);
  }
  return [...open].map(([conn, url]) => ({ conn, url }));
}

/** The ids of the open connections whose URL matches, or an Error that lists the open ones. */
export function targetConnections(name: FaultName, events: readonly CaptureEvent[], url: UrlMatcher): string[] {
  const open = openConnections(events);
  const hits = open.filter((c) => urlMatches(c.url, url));
  if (hits.length) return hits.map((c) => c.conn);
  const listed = open.length ? `open: ${open.map((c) => c.url).join(', ')}` : 'none is open';
  throw new Error(`rt.fault('${name}'): no open connection with url ${describeUrl(url)} (${listed})`);
}
